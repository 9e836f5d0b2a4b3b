// Quota: counts calls per identifier in fixed calendar windows with DynamoDB's
// atomic ADD, so the count is exact across every container: of 1,000
// concurrent calls against a quota of 300, exactly 300 pass. Settings can come
// from the API product (UseQuotaConfigInAPIProduct) through the variables
// VerifyAPIKey or OAuthV2 set.
import * as z from 'zod';
import { definePolicy } from '../policy.js';
import { policyFault, resolveValue, TIME_UNITS, UNIT_MS, ValueSchema, type TimeUnit } from './common.js';

const schema = z.object({
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
});

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

export const quota = definePolicy({
  type: 'Quota',
  schema: schema.refine((c) => c.allow !== undefined || c.allowRef || c.useQuotaConfigInAPIProduct, {
    message: 'allow, allowRef or useQuotaConfigInAPIProduct is required',
  }),
  execute: async ({ config, exchange, policy, deployment, rt }) => {
    const get = (name: string) => exchange.get(name);
    const fromProduct = productSettings(config, get);
    const ref = (name: string | undefined) => (name ? get(name) : undefined);
    const allow = Number(fromProduct.allow ?? ref(config.allowRef) ?? config.allow);
    const interval = Number(fromProduct.interval ?? ref(config.intervalRef) ?? config.interval) || 1;
    const unitText = String(fromProduct.timeUnit ?? ref(config.timeUnitRef) ?? config.timeUnit).toLowerCase();
    const unit = (TIME_UNITS as readonly string[]).includes(unitText) ? (unitText as TimeUnit) : config.timeUnit;
    if (!Number.isFinite(allow) || allow < 0) {
      throw policyFault('InvalidQuotaConfig', 'policies.ratelimit.FailedToResolveQuotaIntervalReference', 500, 'Quota allow count could not be resolved');
    }
    const identifier =
      resolveValue(exchange, config.identifier) ?? (config.useQuotaConfigInAPIProduct ? String(get('client_id') ?? '') : '') ?? '';
    const weight = Math.max(1, Number(resolveValue(exchange, config.messageWeight) ?? 1) || 1);
    const now = Date.now();
    const window = windowBounds(now, interval, unit, config.startTime);
    const counterKeys = {
      pk: `ORG#${deployment.organization}`,
      sk: `QUOTA#${deployment.environment}#${deployment.apiName}#${policy.name}#${identifier}#${interval}${unit}#${window.start}`,
    };
    const used = await rt.table.increment(counterKeys, 'count', weight, {
      type: 'quota-counter',
      expiresAt: Math.ceil(window.end / 1000) + 3600,
    });
    const prefix = `ratelimit.${policy.name}`;
    exchange.set(`${prefix}.allowed.count`, allow);
    exchange.set(`${prefix}.used.count`, Math.min(used, allow));
    exchange.set(`${prefix}.available.count`, Math.max(0, allow - used));
    exchange.set(`${prefix}.exceed.count`, Math.max(0, used - allow));
    exchange.set(`${prefix}.expiry.time`, window.end);
    exchange.set(`${prefix}.identifier`, identifier);
    exchange.set(`${prefix}.failed`, used > allow);
    if (used > allow) {
      throw policyFault(
        'QuotaViolation',
        'policies.ratelimit.QuotaViolation',
        429,
        `Rate limit quota violation. Quota limit  exceeded. Identifier : ${identifier || '_default'}`,
        { 'Retry-After': String(Math.max(1, Math.ceil((window.end - now) / 1000))) },
      );
    }
  },
});
