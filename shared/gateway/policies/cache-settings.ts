// What ResponseCache, PopulateCache, LookupCache and InvalidateCache share:
// Apigee's cache key (a scope prefix, or `<Prefix>`, then the key fragments,
// joined by `__`), the cache resource, and the expiry settings.
import * as z from 'zod';
import type { PolicyExchange } from '../engine/policy.js';
import { stringify } from '../language/template.js';
import { resolveValue, valueFromXml, valueToXml, ValueSchema } from './common.js';
import { el, type XmlElement, type XmlNode } from './xml-model.js';

export const SCOPES = ['Exclusive', 'Global', 'Application', 'Proxy', 'Target'] as const;

export const CacheKeySchema = z.lazy(() => z.object({
  prefix: z.string().optional(),
  fragments: z.array(ValueSchema).default([]),
}));

export const ExpirySchema = z.lazy(() => z
  .object({
    timeoutInSeconds: ValueSchema.optional(),
    /** `mm-dd-yyyy`: expires at the end of that day (UTC). */
    expiryDate: ValueSchema.optional(),
    /** `hh:mm:ss`: expires at that time of day (UTC), today or tomorrow. */
    timeOfDay: ValueSchema.optional(),
  })
  .default({}));

export const cacheSettings = {
  cacheKey: CacheKeySchema.default({ fragments: [] }),
  cacheResource: z.string().min(1).default('default'),
  scope: z.enum(SCOPES).default('Exclusive'),
};

export type CacheKey = z.infer<typeof CacheKeySchema>;
export type Expiry = z.infer<typeof ExpirySchema>;
export type Scope = (typeof SCOPES)[number];

/** The key Apigee would use: the scope's prefix (or the given one) and the fragments, `__`-joined. */
export function cacheKey(exchange: PolicyExchange, key: CacheKey, scope: Scope): string {
  const v = (name: string) => stringify(exchange.get(name));
  const base = `${v('organization.name')}__${v('environment.name')}`;
  const api = `${base}__${v('apiproxy.name')}`;
  const endpoint = v('target.name') && exchange.phase === 'response' ? v('target.name') : v('proxy.name');
  const prefix =
    key.prefix ??
    {
      Global: base,
      Application: api,
      Proxy: `${api}__${v('apiproxy.revision')}__${v('proxy.name')}`,
      Target: `${api}__${v('apiproxy.revision')}__${v('target.name')}`,
      Exclusive: `${api}__${v('apiproxy.revision')}__${endpoint}`,
    }[scope];
  const fragments = key.fragments.map((fragment) => resolveValue(exchange, fragment) ?? '');
  return [prefix, ...fragments].join('__');
}

const DAY = 86_400;

/** Seconds an entry lives, from the expiry settings (default `fallback`). */
export function ttlSeconds(exchange: PolicyExchange, expiry: Expiry, fallback: number, now = new Date()): number {
  const timeout = resolveValue(exchange, expiry.timeoutInSeconds);
  if (timeout !== undefined && /^\d+$/.test(timeout.trim())) return Number(timeout);
  const date = resolveValue(exchange, expiry.expiryDate);
  const match = date && /^(\d{2})-(\d{2})-(\d{4})$/.exec(date.trim());
  if (match) return Math.max(0, Math.floor((Date.UTC(Number(match[3]), Number(match[1]) - 1, Number(match[2]) + 1) - now.getTime()) / 1000));
  const time = resolveValue(exchange, expiry.timeOfDay);
  const clock = time && /^(\d{2}):(\d{2}):(\d{2})$/.exec(time.trim());
  if (clock) {
    const target = Number(clock[1]) * 3600 + Number(clock[2]) * 60 + Number(clock[3]);
    const current = now.getUTCHours() * 3600 + now.getUTCMinutes() * 60 + now.getUTCSeconds();
    return (target - current + DAY) % DAY || DAY;
  }
  return fallback;
}

// ---------------------------------------------------------------------------
// XML

export function cacheKeyFromXml(parent: XmlElement) {
  const key = parent.child('CacheKey');
  return key
    ? {
        prefix: key.child('Prefix') ? key.childText('Prefix') : undefined,
        fragments: key.all('KeyFragment').map((fragment) => {
          fragment.attr('type');
          return valueFromXml(fragment) ?? { value: '' };
        }),
      }
    : undefined;
}

export function expiryFromXml(parent: XmlElement) {
  const expiry = parent.child('ExpirySettings');
  if (!expiry) return undefined;
  return {
    timeoutInSeconds: valueFromXml(expiry.child('TimeoutInSeconds') ?? expiry.child('TimeoutInSec')),
    expiryDate: valueFromXml(expiry.child('ExpiryDate')),
    timeOfDay: valueFromXml(expiry.child('TimeOfDay')),
  };
}

export function commonFromXml(root: XmlElement) {
  return {
    cacheKey: cacheKeyFromXml(root),
    cacheResource: root.childText('CacheResource') || undefined,
    scope: root.child('Scope')?.oneOf(SCOPES),
  };
}

export function commonToXml(config: { cacheKey: CacheKey; cacheResource: string; scope: Scope }, expiry?: Expiry): (XmlNode | undefined)[] {
  return [
    el('CacheKey', {}, [
      config.cacheKey.prefix === undefined ? undefined : el('Prefix', {}, config.cacheKey.prefix),
      ...config.cacheKey.fragments.map((fragment) => valueToXml('KeyFragment', fragment) ?? el('KeyFragment')),
    ]),
    el('CacheResource', {}, config.cacheResource),
    el('Scope', {}, config.scope),
    expiry
      ? el('ExpirySettings', {}, [
          valueToXml('TimeoutInSeconds', expiry.timeoutInSeconds),
          valueToXml('ExpiryDate', expiry.expiryDate),
          valueToXml('TimeOfDay', expiry.timeOfDay),
        ])
      : undefined,
  ];
}

