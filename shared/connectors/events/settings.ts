// An instance's event settings, in Open Connectors' configuration keys:
// `event.notification.enabled`, `event.vendor.type` (polling or webhook),
// `event.notification.callback.url`, `event.notification.signature.key`,
// `event.poller.refresh_interval` (minutes), `event.poller.configuration`
// (a JSON object, or the JSON string most Open Connectors examples send) and
// `filter.response.nulls`; plus `event.vendor.secret`, the vendor's webhook
// signing secret where the vendor hands it out (Slack's signing secret, a
// GitHub or Stripe secret you registered yourself). The public values live in
// the instance's configuration; the signature key and the vendor secret are
// sealed with its credentials and shown as `********`.
import * as z from 'zod';
import { getOrganization } from '../../auth/organizations.js';
import { unprocessable, type FieldProblem } from '../../http/errors.js';
import { checkUrl, OutboundError } from '../../net/outbound.js';
import type { Runtime } from '../../runtime.js';
import type { ElementDefinition } from '../element-schema.js';
import { isAllowedRedirect } from '../redirect-origins.js';
import type { EventMethod } from './element-events.js';
import { datePattern, DatePatternError, templateProblem, timezoneOffset } from './java-date.js';

export const EVENT_KEYS = {
  enabled: 'event.notification.enabled',
  type: 'event.vendor.type',
  callbackUrl: 'event.notification.callback.url',
  signatureKey: 'event.notification.signature.key',
  interval: 'event.poller.refresh_interval',
  poller: 'event.poller.configuration',
  filterNulls: 'filter.response.nulls',
  vendorSecret: 'event.vendor.secret',
} as const;

/** Keys sealed with the credentials and masked in every answer. */
export const SECRET_EVENT_KEYS: readonly string[] = [EVENT_KEYS.signatureKey, EVENT_KEYS.vendorSecret];
const PUBLIC_EVENT_KEYS: readonly string[] = [EVENT_KEYS.enabled, EVENT_KEYS.type, EVENT_KEYS.callbackUrl, EVENT_KEYS.interval, EVENT_KEYS.poller, EVENT_KEYS.filterNulls];

export function isEventKey(key: string): boolean {
  return PUBLIC_EVENT_KEYS.includes(key) || SECRET_EVENT_KEYS.includes(key);
}

export const DEFAULT_INTERVAL_MINUTES = 15;
export const MAX_POLLED_OBJECTS = 20;

const datesConfiguration = z.lazy(() => z
  .object({
    updatedDateField: z.string().min(1).max(200).optional(),
    updatedDateFormat: z.string().min(1).max(100).optional(),
    updatedDateTimezone: z.string().max(20).optional(),
    createdDateField: z.string().min(1).max(200).optional(),
    createdDateFormat: z.string().min(1).max(100).optional(),
    createdDateTimezone: z.string().max(20).optional(),
  })
  .superRefine((dates, ctx) => {
    for (const key of ['updatedDateFormat', 'createdDateFormat'] as const) {
      const pattern = dates[key];
      if (pattern === undefined || pattern === 'epoch' || pattern === 'milliseconds') continue;
      try {
        datePattern(pattern);
      } catch (error) {
        if (error instanceof DatePatternError) ctx.addIssue({ code: 'custom', path: [key], message: error.message });
        else throw error;
      }
    }
    for (const key of ['updatedDateTimezone', 'createdDateTimezone'] as const) {
      if (dates[key] !== undefined && timezoneOffset(dates[key]) === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'must be GMT, UTC or an offset such as +02:00' });
    }
  }));

const fieldPath = z.string().min(1).max(200).regex(/^[^\s]+$/, 'must be a field name or a dotted path such as user.id');

export const pollObjectSchema = z.lazy(() => z.object({
  /** A path under the element's base URL, as a resource call names it (`/hubs/crm/contacts?where=...`), with `${gmtDate:..}`, `${date:..}`, `${epoch}` placeholders. */
  url: z
    .string()
    .min(2)
    .max(2048)
    .refine((url) => url.startsWith('/') && !url.startsWith('//') && !/[\s#]/.test(url), 'must be a path under the element\'s base URL, starting with /')
    .superRefine((url, ctx) => {
      const problem = templateProblem(url);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  idField: fieldPath.default('id'),
  datesConfiguration: datesConfiguration.optional(),
  /** Records per vendor page, where the vendor takes a page size. */
  pageSize: z.coerce.number().int().min(1).max(1000).optional(),
  /** Where the records are in the vendor's answer (`results`, `data`); the answer itself when it is a list. */
  rootKey: fieldPath.optional(),
  /** A field that is true for deleted records (`archived`, `IsDeleted`): their changes are `DELETED` events. */
  deletedField: fieldPath.optional(),
}));

export type PollObject = z.output<typeof pollObjectSchema>;

const pollerConfiguration = z.lazy(() => z
  .record(z.string().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9_./{}-]*$/, 'must be an object name such as contacts'), pollObjectSchema)
  .refine((objects) => Object.keys(objects).length > 0, 'names at least one object to poll')
  .refine((objects) => Object.keys(objects).length <= MAX_POLLED_OBJECTS, `polls at most ${MAX_POLLED_OBJECTS} objects`));

export interface EventSettings {
  enabled: boolean;
  type: EventMethod;
  callbackUrl?: string;
  signatureKey?: string;
  vendorSecret?: string;
  intervalMinutes: number;
  objects: Record<string, PollObject>;
  filterNulls: boolean;
}

function flag(value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^(true|1|yes|on)$/i.test(value)) return true;
  if (/^(false|0|no|off)$/i.test(value)) return false;
  return undefined;
}

/** The settings an instance's stored configuration and sealed secrets describe. */
export function eventSettings(configuration: Record<string, string>, secrets: Record<string, string> | undefined, element?: ElementDefinition): EventSettings {
  const poller = configuration[EVENT_KEYS.poller];
  let objects: Record<string, PollObject> = {};
  if (poller) {
    const parsed = pollerConfiguration.safeParse(JSON.parse(poller));
    if (parsed.success) objects = parsed.data;
  }
  const type = configuration[EVENT_KEYS.type] as EventMethod | undefined;
  return {
    enabled: flag(configuration[EVENT_KEYS.enabled]) ?? false,
    type: type ?? element?.events?.methods[0] ?? 'polling',
    ...(configuration[EVENT_KEYS.callbackUrl] ? { callbackUrl: configuration[EVENT_KEYS.callbackUrl] } : {}),
    ...(secrets?.[EVENT_KEYS.signatureKey] ? { signatureKey: secrets[EVENT_KEYS.signatureKey] } : {}),
    ...(secrets?.[EVENT_KEYS.vendorSecret] ? { vendorSecret: secrets[EVENT_KEYS.vendorSecret] } : {}),
    intervalMinutes: Number(configuration[EVENT_KEYS.interval] ?? DEFAULT_INTERVAL_MINUTES),
    objects,
    filterNulls: flag(configuration[EVENT_KEYS.filterNulls]) ?? false,
  };
}

/**
 * Whether a callback URL may receive events: an absolute http(s) URL the
 * outbound guard accepts (no metadata addresses; loopback only where allowed)
 * on one of the organization's allowed origins. Checked when it is set and
 * again before every delivery.
 */
export async function callbackUrlProblem(rt: Runtime, org: string, url: string): Promise<string | undefined> {
  try {
    checkUrl(url, rt.config.allowLoopback);
  } catch (error) {
    if (error instanceof OutboundError) return error.message.replace(/^Target/, 'the callback');
    throw error;
  }
  const organization = await getOrganization(rt, org);
  if (!isAllowedRedirect(url, organization?.allowedRedirectOrigins ?? [])) {
    return 'its origin is not one of the organization\'s allowed origins (POST /v1/organizations/{org} property allowedRedirectOrigins)';
  }
  return undefined;
}

/**
 * The event keys an instance keeps after a create or update: the given values
 * over the previous ones, checked. Public values go to the configuration,
 * secrets (signature key, vendor secret) to the sealed credentials. Throws 422
 * naming every problem.
 */
export async function resolveEventConfiguration(
  rt: Runtime,
  org: string,
  element: ElementDefinition,
  given: Record<string, string>,
  previous: { configuration: Record<string, string>; secrets?: Record<string, string> } = { configuration: {} },
): Promise<{ configuration: Record<string, string>; secrets: Record<string, string> }> {
  const problems: FieldProblem[] = [];
  const at = (key: string) => `configuration.${key}`;
  const value = (key: string) => (key in given ? given[key] : SECRET_EVENT_KEYS.includes(key) ? previous.secrets?.[key] : previous.configuration[key]);
  const configuration: Record<string, string> = {};
  const secrets: Record<string, string> = {};

  const enabledText = value(EVENT_KEYS.enabled);
  const enabled = flag(enabledText);
  if (enabledText !== undefined && enabledText !== '' && enabled === undefined) problems.push({ path: at(EVENT_KEYS.enabled), message: 'must be true or false' });
  if (enabledText !== undefined && enabledText !== '') configuration[EVENT_KEYS.enabled] = String(enabled ?? false);

  const methods = element.events?.supported === false ? [] : (element.events?.methods ?? []);
  const type = value(EVENT_KEYS.type) || undefined;
  if (type !== undefined && type !== 'polling' && type !== 'webhook') problems.push({ path: at(EVENT_KEYS.type), message: 'must be polling or webhook' });
  else if (type !== undefined) configuration[EVENT_KEYS.type] = type;
  const effectiveType = (type as EventMethod | undefined) ?? methods[0] ?? 'polling';
  if (enabled) {
    if (methods.length === 0) problems.push({ path: at(EVENT_KEYS.enabled), message: `element ${element.key} supports no events` });
    else if (!methods.includes(effectiveType)) problems.push({ path: at(EVENT_KEYS.type), message: `element ${element.key} supports ${methods.join(' and ')} events` });
  }

  const callbackUrl = value(EVENT_KEYS.callbackUrl);
  if (callbackUrl) {
    const problem = callbackUrl.length > 2048 ? 'must be at most 2048 characters' : await callbackUrlProblem(rt, org, callbackUrl);
    if (problem) problems.push({ path: at(EVENT_KEYS.callbackUrl), message: problem });
    else configuration[EVENT_KEYS.callbackUrl] = callbackUrl;
  }

  for (const key of SECRET_EVENT_KEYS) {
    const secret = value(key);
    if (!secret) continue;
    if (secret.length < 8 || secret.length > 512 || !/^[\x21-\x7e]+$/.test(secret)) problems.push({ path: at(key), message: 'must be 8 to 512 printable characters without spaces' });
    else secrets[key] = secret;
  }

  const interval = value(EVENT_KEYS.interval);
  if (interval) {
    if (!/^\d{1,4}$/.test(interval) || Number(interval) < 1 || Number(interval) > 1440) problems.push({ path: at(EVENT_KEYS.interval), message: 'must be a number of minutes from 1 to 1440' });
    else configuration[EVENT_KEYS.interval] = String(Number(interval));
  }

  const poller = value(EVENT_KEYS.poller);
  if (poller) {
    let json: unknown;
    try {
      json = JSON.parse(poller);
      // Open Connectors' examples often send the object as a JSON string inside a string.
      if (typeof json === 'string') json = JSON.parse(json);
    } catch {
      problems.push({ path: at(EVENT_KEYS.poller), message: 'must be a JSON object (or a JSON string of one): {"contacts": {"url": "/contacts", "idField": "id"}}' });
    }
    if (json !== undefined) {
      const parsed = pollerConfiguration.safeParse(json);
      if (parsed.success) configuration[EVENT_KEYS.poller] = JSON.stringify(parsed.data);
      else for (const issue of parsed.error.issues) problems.push({ path: [at(EVENT_KEYS.poller), ...issue.path.map(String)].join('.'), message: issue.message });
    }
  } else if (enabled && effectiveType === 'polling') {
    problems.push({ path: at(EVENT_KEYS.poller), message: 'required for polling: which objects to poll, {"contacts": {"url": "/contacts", "idField": "id", "datesConfiguration": {...}}}' });
  }

  const filterNulls = value(EVENT_KEYS.filterNulls);
  if (filterNulls) {
    if (flag(filterNulls) === undefined) problems.push({ path: at(EVENT_KEYS.filterNulls), message: 'must be true or false' });
    else configuration[EVENT_KEYS.filterNulls] = String(flag(filterNulls));
  }

  if (problems.length) throw unprocessable(`Event settings are invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);
  return { configuration, secrets };
}
