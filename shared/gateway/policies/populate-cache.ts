// PopulateCache: stores a variable's value in the environment cache under
// Apigee's key, for the ExpirySettings' time.
import * as z from 'zod';
import { stringify } from '../language/template.js';
import { defineFaults, raise } from './common.js';
import { definePolicy, policyXml } from './define-policy.js';
import { cacheKey, cacheSettings, commonFromXml, commonToXml, expiryFromXml, ExpirySchema, ttlSeconds } from './cache-settings.js';
import { el } from './xml-model.js';

export const POPULATE_CACHE_FAULTS = defineFaults({
  EntryCannotBeCached: ['steps.cache.EntryCannotBeCached', 500],
});

const schema = z.lazy(() => z.object({ ...cacheSettings, expiry: ExpirySchema, source: z.string().min(1) }));

export const populateCache = definePolicy({
  type: 'PopulateCache',
  schema,
  faults: POPULATE_CACHE_FAULTS,
  services: ['cache'],
  execute: async ({ config, exchange, policy, services: { cache } }) => {
    const key = cacheKey(exchange, config.cacheKey, config.scope);
    exchange.set(`populatecache.${policy.name}.cachekey`, key);
    const value = exchange.get(config.source);
    if (value === undefined || value === null) return;
    const text = stringify(value);
    if (Buffer.byteLength(text) > 350 * 1024) throw raise(POPULATE_CACHE_FAULTS, 'EntryCannotBeCached', `${policy.name}: the value of ${config.source} is too large to cache`);
    await cache.put(config.cacheResource, key, text, ttlSeconds(exchange, config.expiry, 300));
  },
});

export const populateCacheXml = /* @__PURE__ */ policyXml(populateCache, {
  fromXml: (root) => ({ ...commonFromXml(root), expiry: expiryFromXml(root), source: root.childText('Source') }),
  toXml: (config) => ({ children: [...commonToXml(config, config.expiry), el('Source', {}, config.source)].filter((node) => node !== undefined) }),
});
