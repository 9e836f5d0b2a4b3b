// InvalidateCache: removes an entry of the environment cache, and with
// PurgeChildEntries every entry whose key starts with it.
import * as z from 'zod';
import { definePolicy, policyXml } from './define-policy.js';
import { cacheKey, cacheSettings, commonFromXml, commonToXml } from './cache-settings.js';
import { el } from './xml-model.js';

const schema = z.lazy(() => z.object({ ...cacheSettings, purgeChildEntries: z.boolean().default(false) }));

export const invalidateCache = definePolicy({
  type: 'InvalidateCache',
  schema,
  services: ['cache'],
  execute: async ({ config, exchange, policy, services: { cache } }) => {
    const key = cacheKey(exchange, config.cacheKey, config.scope);
    exchange.set(`invalidatecache.${policy.name}.cachekey`, key);
    await cache.delete(config.cacheResource, key, { children: config.purgeChildEntries });
  },
});

export const invalidateCacheXml = /* @__PURE__ */ policyXml(invalidateCache, {
  fromXml: (root) => {
    // Apigee's CacheContext is the older spelling of the key's scope parts: the key itself is what counts here.
    root.child('CacheContext')?.consume();
    return { ...commonFromXml(root), purgeChildEntries: root.child('PurgeChildEntries')?.bool() };
  },
  toXml: (config) => ({ children: [...commonToXml(config), el('PurgeChildEntries', {}, config.purgeChildEntries)].filter((node) => node !== undefined) }),
});
