// ResponseCache, PopulateCache, LookupCache and InvalidateCache: Apigee's
// keys and scopes, expiry settings, hits that skip the target, skips, and
// purging child entries.
import { describe, expect, it } from 'vitest';
import { HeaderMap, Message } from '../../../shared/gateway/engine/message.js';
import { invalidateCache } from '../../../shared/gateway/policies/invalidate-cache.js';
import { lookupCache } from '../../../shared/gateway/policies/lookup-cache.js';
import { populateCache } from '../../../shared/gateway/policies/populate-cache.js';
import { responseCache } from '../../../shared/gateway/policies/response-cache.js';
import { exchangeFor, MemoryCache, runPolicy, xmlRoundTrip } from '../../support/policy-context.js';

const respond = (exchange: ReturnType<typeof exchangeFor>, status: number, body: string, headers: Record<string, string> = {}) => {
  exchange.response = new Message({ status, headers: new HeaderMap({ 'content-type': 'text/plain', ...headers }), body: Buffer.from(body) });
  exchange.hasResponse = true;
  exchange.phase = 'response';
};

describe('cache policies XML', () => {
  it('reads ResponseCache as the samples write it', () => {
    expect(
      xmlRoundTrip(
        responseCache,
        `<CacheKey><Prefix>p</Prefix><KeyFragment ref="request.uri" type="string"/><KeyFragment>v1</KeyFragment></CacheKey><CacheResource>c</CacheResource><Scope>Global</Scope>
         <ExpirySettings><TimeoutInSec>3</TimeoutInSec></ExpirySettings><CacheLookupTimeoutInSeconds>30</CacheLookupTimeoutInSeconds><SkipCacheLookup>request.header.bypass = "true"</SkipCacheLookup>
         <ExcludeErrorResponse>true</ExcludeErrorResponse><UseAcceptHeader>false</UseAcceptHeader><UseResponseCacheHeaders>true</UseResponseCacheHeaders>`,
      ),
    ).toMatchObject({ cacheKey: { prefix: 'p', fragments: [{ ref: 'request.uri' }, { value: 'v1' }] }, cacheResource: 'c', scope: 'Global', expiry: { timeoutInSeconds: { value: '3' } }, excludeErrorResponse: true });
    expect(xmlRoundTrip(populateCache, '<CacheKey><KeyFragment ref="k"/></CacheKey><Scope>Application</Scope><ExpirySettings><TimeoutInSeconds ref="ttl">60</TimeoutInSeconds></ExpirySettings><Source>v</Source>')).toMatchObject({ source: 'v' });
    expect(xmlRoundTrip(lookupCache, '<CacheKey><KeyFragment ref="k"/></CacheKey><AssignTo>out</AssignTo>')).toMatchObject({ assignTo: 'out', scope: 'Exclusive' });
    expect(xmlRoundTrip(invalidateCache, '<CacheKey><KeyFragment>a</KeyFragment></CacheKey><PurgeChildEntries>true</PurgeChildEntries>')).toMatchObject({ purgeChildEntries: true });
  });
});

describe('ResponseCache', () => {
  const config = { cacheKey: { fragments: [{ ref: 'request.uri' }] }, expiry: { timeoutInSeconds: { value: '60' } }, skipCacheLookup: 'request.header.bypass = "true"' };

  it('stores the first response and answers the second from the cache, skipping the target', async () => {
    const cache = new MemoryCache();
    const first = exchangeFor({ path: '/orders/1' });
    const miss = await runPolicy(responseCache, config, { exchange: first, services: { cache }, name: 'RC' });
    expect(first.skipToResponse).toBe(false);
    respond(first, 200, 'from backend', { 'x-b': '1' });
    await runPolicy(responseCache, config, { exchange: first, services: { cache }, name: 'RC', prepared: miss.prepared });
    expect([...cache.entries.keys()]).toEqual(['default/acme__prod__orders__1__default__/orders/1']);
    expect(cache.entries.values().next().value!.ttlSeconds).toBe(60);

    const second = exchangeFor({ path: '/orders/1' });
    await runPolicy(responseCache, config, { exchange: second, services: { cache }, name: 'RC', prepared: miss.prepared });
    expect(second.skipToResponse).toBe(true);
    expect([second.response.status, second.response.content, second.response.headers.get('x-b'), second.get('responsecache.RC.cachehit')]).toEqual([200, 'from backend', '1', true]);
  });

  it('skips the lookup when told, does not store errors when excluded, and follows Cache-Control when asked', async () => {
    const cache = new MemoryCache();
    await cache.put('default', 'acme__prod__orders__1__default__/orders', '{"status":200,"reason":"","headers":[],"body":""}', 60);
    const bypass = exchangeFor({ headers: { bypass: 'true' } });
    await runPolicy(responseCache, config, { exchange: bypass, services: { cache } });
    expect(bypass.skipToResponse).toBe(false);

    const error = exchangeFor({ path: '/orders/2' });
    const strict = { ...config, excludeErrorResponse: true };
    await runPolicy(responseCache, strict, { exchange: error, services: { cache } });
    respond(error, 500, 'boom');
    await runPolicy(responseCache, strict, { exchange: error, services: { cache } });
    expect(cache.entries.size).toBe(1);

    const headers = { ...config, useResponseCacheHeaders: true };
    for (const [path, control, expected] of [['/orders/3', 'max-age=5', 5], ['/orders/4', 'no-store', undefined]] as const) {
      const exchange = exchangeFor({ path });
      await runPolicy(responseCache, headers, { exchange, services: { cache } });
      respond(exchange, 200, 'x', { 'cache-control': control });
      await runPolicy(responseCache, headers, { exchange, services: { cache } });
      expect(cache.entries.get(`default/acme__prod__orders__1__default__${path}`)?.ttlSeconds).toBe(expected);
    }
  });
});

describe('PopulateCache, LookupCache, InvalidateCache', () => {
  it('share entries by key and scope, and purge children', async () => {
    const cache = new MemoryCache();
    const exchange = exchangeFor();
    exchange.set('user', 'ada');
    exchange.set('profile', '{"name":"Ada"}');
    const key = { fragments: [{ value: 'profiles' }, { ref: 'user' }] };
    await runPolicy(populateCache, { cacheKey: key, scope: 'Global', source: 'profile', expiry: { timeOfDay: { value: '23:59:59' } } }, { exchange, services: { cache }, name: 'PC' });
    expect(exchange.get('populatecache.PC.cachekey')).toBe('acme__prod__profiles__ada');
    const ttl = cache.entries.get('default/acme__prod__profiles__ada')!.ttlSeconds;
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(86_400);

    await runPolicy(lookupCache, { cacheKey: key, scope: 'Global', assignTo: 'found' }, { exchange, services: { cache }, name: 'LC' });
    expect([exchange.get('found'), exchange.get('lookupcache.LC.cachehit')]).toEqual(['{"name":"Ada"}', true]);
    // Another scope is another key.
    await runPolicy(lookupCache, { cacheKey: key, assignTo: 'other' }, { exchange, services: { cache }, name: 'LC2' });
    expect(exchange.get('lookupcache.LC2.cachehit')).toBe(false);

    await runPolicy(invalidateCache, { cacheKey: { fragments: [{ value: 'profiles' }] }, scope: 'Global', purgeChildEntries: true }, { exchange, services: { cache } });
    expect(cache.entries.size).toBe(0);
  });
});
