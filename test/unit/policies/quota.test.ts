// Quota: counts per identifier in calendar windows through the counters
// service, takes limits from references or the API product, and answers the
// call over the limit with 429 and Retry-After.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { quota } from '../../../shared/gateway/policies/quota.js';
import { exchangeFor, MemoryCounters, runPolicy, xmlProblems, xmlRoundTrip } from '../../support/policy-context.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(Date.UTC(2024, 0, 15, 10, 30, 0));
});
afterEach(() => vi.useRealTimers());

describe('Quota schema', () => {
  it('needs a limit: allow, allowRef or the API product', () => {
    expect(quota.schema.safeParse({ allow: 5 }).success).toBe(true);
    expect(quota.schema.safeParse({ allowRef: 'x' }).success).toBe(true);
    expect(quota.schema.safeParse({ useQuotaConfigInAPIProduct: { stepName: 'VA-1' } }).success).toBe(true);
    expect(quota.schema.safeParse({}).success).toBe(false);
    expect(quota.schema.safeParse({ allow: 5, timeUnit: 'fortnight' }).success).toBe(false);
  });
});

describe('Quota XML', () => {
  it("reads Allow, Interval, TimeUnit, StartTime in Apigee's format and the identifier", () => {
    const config = xmlRoundTrip(
      quota,
      '<Allow count="10" countRef="request.header.allow"/><Interval ref="request.header.interval">2</Interval><TimeUnit>day</TimeUnit><StartTime>2021-3-4 05:06:07</StartTime><Identifier ref="client_id"/><Distributed>true</Distributed><Synchronous>true</Synchronous>',
      ' type="calendar"',
    );
    expect(config).toMatchObject({ type: 'calendar', allow: 10, allowRef: 'request.header.allow', interval: 2, timeUnit: 'day', startTime: '2021-03-04T05:06:07Z', identifier: { ref: 'client_id' } });
  });

  it('reads the product defaults under UseQuotaConfigInAPIProduct', () => {
    expect(
      xmlRoundTrip(quota, '<UseQuotaConfigInAPIProduct stepName="VA-1"><DefaultConfig><Allow>5</Allow><Interval>1</Interval><TimeUnit>month</TimeUnit></DefaultConfig></UseQuotaConfigInAPIProduct>'),
    ).toMatchObject({ allow: 5, timeUnit: 'month', useQuotaConfigInAPIProduct: { stepName: 'VA-1' } });
  });

  it('reports a start time it cannot read', () => {
    expect(xmlProblems(quota, '<Allow count="1"/><StartTime>tomorrow</StartTime>')).toEqual(['/Quota/StartTime invalid']);
  });
});

describe('Quota execute', () => {
  it('lets the allowed count through, then answers 429 with Retry-After until the window ends', async () => {
    const counters = new MemoryCounters();
    const config = { allow: 2, interval: 1, timeUnit: 'hour' };
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await runPolicy(quota, config, { services: { counters } }));
    expect(results.map((run) => run.fault?.status)).toEqual([undefined, undefined, 429]);
    expect(results[2]!.fault).toMatchObject({ faultName: 'QuotaViolation', errorCode: 'policies.ratelimit.QuotaViolation', headers: { 'Retry-After': '1800' } });
    expect(results[1]!.exchange.get('ratelimit.Quota-1.available.count')).toBe(0);
    expect(results[2]!.exchange.get('ratelimit.Quota-1.exceed.count')).toBe(1);
    // One counter for the window, kept an hour past its end.
    const windowStart = Date.UTC(2024, 0, 15, 10);
    expect([...counters.counts]).toEqual([[`Quota-1##1hour#${windowStart}`, { count: 3, expiresAt: windowStart / 1000 + 3600 + 3600 }]]);
  });

  it('counts per identifier and by message weight', async () => {
    const counters = new MemoryCounters();
    const config = { allow: 3, identifier: { ref: 'request.header.x-client' }, messageWeight: { ref: 'request.header.x-weight' } };
    const call = (client: string, weight: string) => runPolicy(quota, config, { services: { counters }, exchange: exchangeFor({ headers: { 'x-client': client, 'x-weight': weight } }) });
    expect((await call('a', '3')).fault).toBeUndefined();
    expect((await call('b', '1')).fault).toBeUndefined();
    expect((await call('a', '1')).fault?.status).toBe(429);
  });

  it("takes the limit from the API product that VerifyAPIKey found", async () => {
    const exchange = exchangeFor();
    exchange.set('verifyapikey.VA-1.apiproduct.developer.quota.limit', '1');
    exchange.set('verifyapikey.VA-1.apiproduct.developer.quota.interval', '1');
    exchange.set('verifyapikey.VA-1.apiproduct.developer.quota.timeunit', 'minute');
    exchange.set('client_id', 'key-1');
    const counters = new MemoryCounters();
    const config = { allow: 100, useQuotaConfigInAPIProduct: { stepName: 'VA-1' } };
    expect((await runPolicy(quota, config, { services: { counters }, exchange })).fault).toBeUndefined();
    expect((await runPolicy(quota, config, { services: { counters }, exchange })).fault?.status).toBe(429);
    expect([...counters.counts.keys()][0]).toBe(`Quota-1#key-1#1minute#${Date.UTC(2024, 0, 15, 10, 30)}`);
  });

  it('faults when the limit reference does not resolve to a number', async () => {
    const run = await runPolicy(quota, { allowRef: 'nothing.here' }, { services: { counters: new MemoryCounters() } });
    expect(run.fault).toMatchObject({ status: 500, faultName: 'FailedToResolveQuotaIntervalReference', errorCode: 'policies.ratelimit.FailedToResolveQuotaIntervalReference' });
  });
});
