// LookupCache: reads an entry of the environment cache into a variable
// (`lookupcache.{policy}.cachehit` says whether it was there).
import * as z from 'zod';
import { definePolicy, policyXml } from './define-policy.js';
import { cacheKey, cacheSettings, commonFromXml, commonToXml } from './cache-settings.js';
import { el } from './xml-model.js';

const schema = z.lazy(() => z.object({ ...cacheSettings, assignTo: z.string().min(1) }));

export const lookupCache = definePolicy({
  type: 'LookupCache',
  schema,
  services: ['cache'],
  execute: async ({ config, exchange, policy, services: { cache } }) => {
    const prefix = `lookupcache.${policy.name}`;
    const key = cacheKey(exchange, config.cacheKey, config.scope);
    exchange.set(`${prefix}.cachekey`, key);
    exchange.set(`${prefix}.cachename`, config.cacheResource);
    exchange.set(`${prefix}.assignto`, config.assignTo);
    const value = await cache.get(config.cacheResource, key);
    exchange.set(`${prefix}.cachehit`, value !== undefined);
    if (value !== undefined) exchange.set(config.assignTo, value);
  },
});

export const lookupCacheXml = /* @__PURE__ */ policyXml(lookupCache, {
  fromXml: (root) => {
    root.child('CacheLookupTimeoutInSeconds')?.consume();
    return { ...commonFromXml(root), assignTo: root.childText('AssignTo') };
  },
  toXml: (config) => ({ children: [...commonToXml(config), el('AssignTo', {}, config.assignTo)].filter((node) => node !== undefined) }),
});
