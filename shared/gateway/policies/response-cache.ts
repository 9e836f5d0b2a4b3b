// ResponseCache: attached to both the request and the response flow. On the
// request, a cached response for the key (unless SkipCacheLookup says so)
// becomes the response and the rest of the request flow and the target are
// skipped; on the response, the response is stored (unless it was a hit,
// SkipCachePopulation says so, or ExcludeErrorResponse and it is not 2xx),
// for the ExpirySettings' time or, with UseResponseCacheHeaders, what the
// response's Cache-Control allows.
import * as z from 'zod';
import { compileCondition } from '../language/condition.js';
import { HeaderMap, Message } from '../engine/message.js';
import { definePolicy, policyXml } from './define-policy.js';
import { cacheKey, cacheSettings, commonFromXml, commonToXml, expiryFromXml, ExpirySchema, ttlSeconds } from './cache-settings.js';
import { el, optional } from './xml-model.js';

const schema = z.lazy(() => z.object({
  ...cacheSettings,
  expiry: ExpirySchema,
  skipCacheLookup: z.string().optional(),
  skipCachePopulation: z.string().optional(),
  excludeErrorResponse: z.boolean().default(false),
  useAcceptHeader: z.boolean().default(false),
  useResponseCacheHeaders: z.boolean().default(false),
}));

/** Headers that belong to one connection or one answer, never replayed from the cache. */
const NOT_CACHED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'set-cookie', 'date']);

interface Stored {
  status: number;
  reason: string;
  headers: [string, string[]][];
  body: string;
}

/** The TTL a response's own headers allow, or 0 when it must not be stored. */
function headerTtl(response: Message, fallback: number): number {
  const control = (response.headers.get('cache-control') ?? '').toLowerCase();
  if (/\b(no-store|private|no-cache)\b/.test(control)) return 0;
  const age = /\bs-maxage=(\d+)/.exec(control) ?? /\bmax-age=(\d+)/.exec(control);
  if (age) return Math.min(fallback, Number(age[1]));
  const expires = Date.parse(response.headers.get('expires') ?? '');
  if (!Number.isNaN(expires)) return Math.min(fallback, Math.max(0, Math.floor((expires - Date.now()) / 1000)));
  return fallback;
}

export const responseCache = definePolicy({
  type: 'ResponseCache',
  schema,
  prepare: (config) => ({
    skipLookup: config.skipCacheLookup ? compileCondition(config.skipCacheLookup) : undefined,
    skipPopulation: config.skipCachePopulation ? compileCondition(config.skipCachePopulation) : undefined,
  }),
  services: ['cache'],
  execute: async ({ config, prepared, exchange, policy, services: { cache } }) => {
    const prefix = `responsecache.${policy.name}`;
    const lookup = (name: string) => exchange.get(name);
    if (exchange.phase === 'request') {
      let key = cacheKey(exchange, config.cacheKey, config.scope);
      if (config.useAcceptHeader) key = [key, ...['accept', 'accept-encoding', 'accept-language', 'accept-charset'].map((h) => exchange.request.headers.get(h) ?? '')].join('__');
      exchange.set(`${prefix}.cachekey`, key);
      exchange.set(`${prefix}.cachename`, config.cacheResource);
      exchange.set(`${prefix}.cachehit`, false);
      if (prepared.skipLookup?.evaluate(lookup)) return;
      const found = await cache.get(config.cacheResource, key);
      if (found === undefined) return;
      let stored: Stored;
      try {
        stored = JSON.parse(found) as Stored;
      } catch {
        exchange.set(`${prefix}.invalidentry`, true);
        return;
      }
      exchange.response = new Message({ status: stored.status, reasonPhrase: stored.reason, headers: new HeaderMap(Object.fromEntries(stored.headers)), body: Buffer.from(stored.body, 'base64') });
      exchange.hasResponse = true;
      exchange.skipToResponse = true;
      exchange.set(`${prefix}.cachehit`, true);
      return;
    }
    const key = exchange.get(`${prefix}.cachekey`);
    if (typeof key !== 'string' || exchange.get(`${prefix}.cachehit`) === true) return;
    if (prepared.skipPopulation?.evaluate(lookup)) return;
    const response = exchange.response;
    if (config.excludeErrorResponse && (response.status < 200 || response.status > 299)) return;
    let ttl = ttlSeconds(exchange, config.expiry, 3600);
    if (config.useResponseCacheHeaders) ttl = headerTtl(response, ttl);
    if (ttl <= 0) return;
    const stored: Stored = {
      status: response.status,
      reason: response.reasonPhrase,
      headers: response.headers.list().filter(([name]) => !NOT_CACHED.has(name.toLowerCase())),
      body: response.body.toString('base64'),
    };
    await cache.put(config.cacheResource, key, JSON.stringify(stored), ttl);
  },
});

export const responseCacheXml = /* @__PURE__ */ policyXml(responseCache, {
  fromXml: (root) => {
    root.child('CacheLookupTimeoutInSeconds')?.consume();
    return {
      ...commonFromXml(root),
      expiry: expiryFromXml(root),
      skipCacheLookup: root.childText('SkipCacheLookup') || undefined,
      skipCachePopulation: root.childText('SkipCachePopulation') || undefined,
      excludeErrorResponse: root.child('ExcludeErrorResponse')?.bool(),
      useAcceptHeader: root.child('UseAcceptHeader')?.bool(),
      useResponseCacheHeaders: root.child('UseResponseCacheHeaders')?.bool(),
    };
  },
  toXml: (config) => ({
    children: [
      ...commonToXml(config, config.expiry),
      optional('SkipCacheLookup', config.skipCacheLookup),
      optional('SkipCachePopulation', config.skipCachePopulation),
      el('ExcludeErrorResponse', {}, config.excludeErrorResponse),
      el('UseAcceptHeader', {}, config.useAcceptHeader),
      el('UseResponseCacheHeaders', {}, config.useResponseCacheHeaders),
    ].filter((node) => node !== undefined),
  }),
});
