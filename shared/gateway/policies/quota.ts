// Quota: counts calls per identifier in fixed calendar windows with DynamoDB's
// atomic ADD, so the count is exact across every container: of 1,000
// concurrent calls against a quota of 300, exactly 300 pass. Settings can come
// from the API product (UseQuotaConfigInAPIProduct) through the variables
// VerifyAPIKey or OAuthV2 set.
import * as z from 'zod';
import { el, type XmlElement, type XmlNode } from './xml-model.js';
import { definePolicy, policyXml } from './define-policy.js';
import { defineFaults, raise, resolveValue, TIME_UNITS, UNIT_MS, valueFromXml, valueToXml, ValueSchema, type TimeUnit } from './common.js';

const schema = z.lazy(() => z.object({
  /** Apigee quota types; all are counted in windows aligned to `startTime` (or the epoch / calendar). */
  type: z.enum(['default', 'calendar', 'rollingwindow', 'flexi']).default('calendar'),
  allow: z.number().int().min(0).optional(),
  allowRef: z.string().optional(),
  interval: z.number().int().min(1).default(1),
  intervalRef: z.string().optional(),
  timeUnit: z.enum(TIME_UNITS).default('minute'),
  timeUnitRef: z.string().optional(),
  /** Window alignment for calendar quotas (ISO date-time, UTC). */
  startTime: z.string().optional(),
  identifier: ValueSchema.optional(),
  messageWeight: ValueSchema.optional(),
  /** Take allow/interval/timeUnit from the product via this VerifyAPIKey or OAuthV2 step's variables. */
  useQuotaConfigInAPIProduct: z.object({ stepName: z.string().min(1) }).optional(),
}));

type QuotaConfig = z.infer<typeof schema>;

function windowBounds(now: number, interval: number, unit: TimeUnit, startTime?: string): { start: number; end: number } {
  if (unit === 'month') {
    const date = new Date(now);
    const months = date.getUTCFullYear() * 12 + date.getUTCMonth();
    const first = Math.floor(months / interval) * interval;
    const start = Date.UTC(Math.floor(first / 12), first % 12, 1);
    const end = Date.UTC(Math.floor((first + interval) / 12), (first + interval) % 12, 1);
    return { start, end };
  }
  const length = UNIT_MS[unit] * interval;
  const origin = startTime ? Date.parse(startTime.endsWith('Z') ? startTime : `${startTime}Z`) || 0 : 0;
  const start = origin + Math.floor((now - origin) / length) * length;
  return { start, end: start + length };
}

function productSettings(config: QuotaConfig, get: (name: string) => unknown) {
  const step = config.useQuotaConfigInAPIProduct?.stepName;
  if (!step) return {};
  const read = (suffix: string) => {
    const value = get(`verifyapikey.${step}.apiproduct.developer.quota.${suffix}`) ?? get(`apiproduct.developer.quota.${suffix}`);
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
  return { allow: read('limit'), interval: read('interval'), timeUnit: read('timeunit') };
}

/** Apigee writes StartTime as `2017-7-16 12:00:00` (UTC); the model keeps ISO 8601. */
function startTimeFromXml(element: XmlElement | undefined): string | undefined {
  if (!element) return undefined;
  const text = element.text();
  const match = /^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2}):(\d{2})Z?$/.exec(text);
  if (!match) {
    element.report(`must look like 2017-7-16 12:00:00, not "${text}"`);
    return undefined;
  }
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  const date = new Date(Date.UTC(year!, month! - 1, day!, hour!, minute!, second!));
  if (Number.isNaN(date.getTime())) {
    element.report(`"${text}" is not a valid date`);
    return undefined;
  }
  return date.toISOString().replace('.000Z', 'Z');
}

function startTimeToXml(iso: string | undefined): XmlNode | undefined {
  if (!iso) return undefined;
  const date = new Date(Date.parse(iso.endsWith('Z') ? iso : `${iso}Z`));
  if (Number.isNaN(date.getTime())) return undefined;
  const pad = (n: number) => String(n).padStart(2, '0');
  return el(
    'StartTime',
    {},
    `${date.getUTCFullYear()}-${date.getUTCMonth() + 1}-${date.getUTCDate()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`,
  );
}

/** Allow / Interval / TimeUnit, at the top level or inside UseQuotaConfigInAPIProduct/DefaultConfig. */
function limitsFromXml(parent: XmlElement) {
  const allow = parent.child('Allow');
  const interval = parent.child('Interval');
  const timeUnit = parent.child('TimeUnit');
  return {
    allow: allow?.int('count') ?? (allow?.text() ? allow.int() : undefined),
    allowRef: allow?.attr('countRef') || undefined,
    interval: interval?.text() ? interval.int() : undefined,
    intervalRef: interval?.attr('ref') || undefined,
    timeUnit: timeUnit?.text() ? timeUnit.oneOf(TIME_UNITS) : undefined,
    timeUnitRef: timeUnit?.attr('ref') || undefined,
  };
}

export const QUOTA_FAULTS = defineFaults({
  QuotaViolation: ['policies.ratelimit.QuotaViolation', 429],
  FailedToResolveQuotaIntervalReference: ['policies.ratelimit.FailedToResolveQuotaIntervalReference', 500],
});

export const quota = definePolicy({
  type: 'Quota',
  faults: QUOTA_FAULTS,
  schema: schema.refine((c) => c.allow !== undefined || c.allowRef || c.useQuotaConfigInAPIProduct, {
    message: 'allow, allowRef or useQuotaConfigInAPIProduct is required',
  }),
  services: ['counters'],
  execute: async ({ config, exchange, policy, services: { counters } }) => {
    const get = (name: string) => exchange.get(name);
    const fromProduct = productSettings(config, get);
    const ref = (name: string | undefined) => (name ? get(name) : undefined);
    const allow = Number(fromProduct.allow ?? ref(config.allowRef) ?? config.allow);
    const interval = Number(fromProduct.interval ?? ref(config.intervalRef) ?? config.interval) || 1;
    const unitText = String(fromProduct.timeUnit ?? ref(config.timeUnitRef) ?? config.timeUnit).toLowerCase();
    const unit = (TIME_UNITS as readonly string[]).includes(unitText) ? (unitText as TimeUnit) : config.timeUnit;
    if (!Number.isFinite(allow) || allow < 0) {
      throw raise(QUOTA_FAULTS, 'FailedToResolveQuotaIntervalReference', 'Quota allow count could not be resolved');
    }
    const identifier =
      resolveValue(exchange, config.identifier) ?? (config.useQuotaConfigInAPIProduct ? String(get('client_id') ?? '') : '') ?? '';
    const weight = Math.max(1, Number(resolveValue(exchange, config.messageWeight) ?? 1) || 1);
    const now = Date.now();
    const window = windowBounds(now, interval, unit, config.startTime);
    // One counter per policy, identifier and window of this proxy; kept an hour past the window.
    const counter = `${policy.name}#${identifier}#${interval}${unit}#${window.start}`;
    const used = await counters.increment(counter, weight, Math.ceil(window.end / 1000) + 3600);
    const prefix = `ratelimit.${policy.name}`;
    exchange.set(`${prefix}.allowed.count`, allow);
    exchange.set(`${prefix}.used.count`, Math.min(used, allow));
    exchange.set(`${prefix}.available.count`, Math.max(0, allow - used));
    exchange.set(`${prefix}.exceed.count`, Math.max(0, used - allow));
    exchange.set(`${prefix}.expiry.time`, window.end);
    exchange.set(`${prefix}.identifier`, identifier);
    exchange.set(`${prefix}.failed`, used > allow);
    if (used > allow) {
      throw raise(
        QUOTA_FAULTS,
        'QuotaViolation',
        `Rate limit quota violation. Quota limit  exceeded. Identifier : ${identifier || '_default'}`,
        { 'Retry-After': String(Math.max(1, Math.ceil((window.end - now) / 1000))) },
      );
    }
  },
});

export const quotaXml = /* @__PURE__ */ policyXml(quota, {
  fromXml: (root) => {
    const fromProduct = root.child('UseQuotaConfigInAPIProduct');
    let limits = limitsFromXml(root);
    let useQuotaConfigInAPIProduct: { stepName: string | undefined } | undefined;
    if (fromProduct) {
      useQuotaConfigInAPIProduct = { stepName: fromProduct.attr('stepName') };
      if (!useQuotaConfigInAPIProduct.stepName) fromProduct.report('the stepName attribute is required', { attribute: 'stepName' });
      const defaults = fromProduct.child('DefaultConfig');
      if (defaults) limits = { ...limits, ...Object.fromEntries(Object.entries(limitsFromXml(defaults)).filter(([, v]) => v !== undefined)) };
    }
    // Counting is always distributed and synchronous (exact across containers): these settings need nothing.
    root.child('Distributed')?.bool();
    root.child('Synchronous')?.bool();
    root.child('AsynchronousConfiguration')?.consume();
    return {
      type: root.oneOf(['calendar', 'rollingwindow', 'flexi'] as const, 'type') ?? 'default',
      ...limits,
      startTime: startTimeFromXml(root.child('StartTime')),
      identifier: valueFromXml(root.child('Identifier')),
      messageWeight: valueFromXml(root.child('MessageWeight')),
      useQuotaConfigInAPIProduct,
    };
  },
  toXml: (config) => {
    const limits = [
      el('Allow', { count: config.allow, countRef: config.allowRef }),
      el('Interval', { ref: config.intervalRef }, config.interval),
      el('TimeUnit', { ref: config.timeUnitRef }, config.timeUnit),
    ];
    const product = config.useQuotaConfigInAPIProduct;
    const children: (XmlNode | undefined)[] = [
      ...(product ? [el('UseQuotaConfigInAPIProduct', { stepName: product.stepName }, [el('DefaultConfig', {}, limits)])] : limits),
      valueToXml('Identifier', config.identifier),
      valueToXml('MessageWeight', config.messageWeight),
      startTimeToXml(config.startTime),
      el('Distributed', {}, true),
      el('Synchronous', {}, true),
    ];
    return {
      attributes: { type: config.type === 'default' ? undefined : config.type },
      children: children.filter((node) => node !== undefined),
    };
  },
});
