// SpikeArrest: smoothing (one request per interval) and effective-count
// buckets per identifier, with the container's clock set by the test.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { spikeArrest } from '../../../shared/gateway/policies/spike-arrest.js';
import { exchangeFor, runPolicy, xmlProblems, xmlRoundTrip } from '../../support/policy-context.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_700_000_000_000);
});
afterEach(() => vi.useRealTimers());

describe('SpikeArrest schema', () => {
  it('needs a rate like 10ps or 30pm, or a variable holding one', () => {
    expect(spikeArrest.schema.safeParse({ rate: '10ps' }).success).toBe(true);
    expect(spikeArrest.schema.safeParse({ rateRef: 'verifyapikey.k.rate' }).success).toBe(true);
    expect(spikeArrest.schema.safeParse({ rate: '10 per second' }).success).toBe(false);
    expect(spikeArrest.schema.safeParse({}).success).toBe(false);
  });
});

describe('SpikeArrest XML', () => {
  it('reads and writes Rate, Identifier, MessageWeight and UseEffectiveCount', () => {
    expect(
      xmlRoundTrip(
        spikeArrest,
        '<Identifier ref="client_id"/><MessageWeight ref="request.header.weight"/><Rate>30pm</Rate><UseEffectiveCount>true</UseEffectiveCount>',
      ),
    ).toEqual({ rate: '30pm', identifier: { ref: 'client_id' }, messageWeight: { ref: 'request.header.weight' }, useEffectiveCount: true });
    expect(xmlRoundTrip(spikeArrest, '<Rate ref="request.header.rate"/>')).toMatchObject({ rateRef: 'request.header.rate' });
  });

  it('reports a flag that is not true or false', () => {
    expect(xmlProblems(spikeArrest, '<Rate>1ps</Rate><UseEffectiveCount>maybe</UseEffectiveCount>')).toEqual(['/SpikeArrest/UseEffectiveCount invalid']);
  });
});

describe('SpikeArrest execute', () => {
  it('admits one call per interval and answers the next with a 429 fault', async () => {
    const first = await runPolicy(spikeArrest, { rate: '6pm' });
    expect(first.fault).toBeUndefined();
    expect(first.exchange.get('ratelimit.SpikeArrest-1.failed')).toBe(false);
    const second = await runPolicy(spikeArrest, { rate: '6pm' }, { prepared: first.prepared });
    expect(second.fault).toMatchObject({ status: 429, faultName: 'SpikeArrestViolation', errorCode: 'policies.ratelimit.SpikeArrestViolation' });
    vi.advanceTimersByTime(10_000);
    expect((await runPolicy(spikeArrest, { rate: '6pm' }, { prepared: first.prepared })).fault).toBeUndefined();
  });

  it('counts each identifier on its own', async () => {
    const config = { rate: '1ps', identifier: { ref: 'request.header.x-client' } };
    const call = (client: string, prepared?: unknown) => runPolicy(spikeArrest, config, { prepared, exchange: exchangeFor({ headers: { 'x-client': client } }) });
    const a = await call('a');
    expect((await call('b', a.prepared)).fault).toBeUndefined();
    expect((await call('a', a.prepared)).fault?.status).toBe(429);
  });

  it('with useEffectiveCount admits a burst up to the rate, refilled over the window', async () => {
    const config = { rate: '3ps', useEffectiveCount: true };
    const first = await runPolicy(spikeArrest, config);
    const statuses = [first.fault?.status];
    for (let i = 0; i < 3; i++) statuses.push((await runPolicy(spikeArrest, config, { prepared: first.prepared })).fault?.status);
    expect(statuses).toEqual([undefined, undefined, undefined, 429]);
    vi.advanceTimersByTime(334);
    expect((await runPolicy(spikeArrest, config, { prepared: first.prepared })).fault).toBeUndefined();
  });

  it('reads the rate from a variable and faults when it cannot', async () => {
    const exchange = exchangeFor();
    exchange.set('plan.rate', 'lots');
    expect((await runPolicy(spikeArrest, { rateRef: 'plan.rate' }, { exchange })).fault).toMatchObject({ status: 500, faultName: 'InvalidMessageRate' });
  });
});
