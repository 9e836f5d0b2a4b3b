// KeyValueMapOperations: Get, Put and Delete on the kvm service at the
// policy's scope, multi-part keys joined with `__`, Index on multi-valued
// entries, and Put without override keeping what is there.
import { describe, expect, it } from 'vitest';
import { keyValueMapOperations } from '../../../shared/gateway/policies/key-value-map-operations.js';
import { exchangeFor, MemoryKvm, runPolicy, xmlRoundTrip } from '../../support/policy-context.js';

describe('KeyValueMapOperations schema', () => {
  it('needs a map, at least one operation, and a key of at least one part', () => {
    const get = { op: 'get', key: { parameters: [{ value: 'k' }] }, assignTo: 'v' };
    expect(keyValueMapOperations.schema.safeParse({ mapIdentifier: 'm', operations: [get] }).success).toBe(true);
    expect(keyValueMapOperations.schema.safeParse({ mapIdentifier: 'm', operations: [] }).success).toBe(false);
    expect(keyValueMapOperations.schema.safeParse({ mapIdentifier: 'm', operations: [{ ...get, key: { parameters: [] } }] }).success).toBe(false);
    expect(keyValueMapOperations.schema.parse({ mapIdentifier: 'm', operations: [get] })).toMatchObject({ scope: 'environment', expiryTimeInSecs: 300 });
  });
});

describe('KeyValueMapOperations XML', () => {
  it('reads Get, Put and Delete in order with their keys', () => {
    const config = xmlRoundTrip(
      keyValueMapOperations,
      '<ExpiryTimeInSecs>60</ExpiryTimeInSecs><Scope>organization</Scope><Get assignTo="a" index="2"><Key><Parameter>k</Parameter><Parameter ref="r"/></Key></Get><Put override="true"><Key><Parameter>k</Parameter></Key><Value>v1</Value><Value ref="v2"/></Put><Delete><Key><Parameter ref="d"/></Key></Delete>',
      ' mapIdentifier="m"',
    );
    expect(config.operations).toEqual([
      { op: 'get', key: { parameters: [{ value: 'k' }, { ref: 'r' }] }, assignTo: 'a', index: 2 },
      { op: 'put', key: { parameters: [{ value: 'k' }] }, values: [{ value: 'v1' }, { ref: 'v2' }], override: true },
      { op: 'delete', key: { parameters: [{ ref: 'd' }] } },
    ]);
  });
});

describe('KeyValueMapOperations execute', () => {
  const key = (...parameters: ({ value: string } | { ref: string })[]) => ({ parameters });

  it('gets a value into a variable, joining a multi-part key with __ and picking an Index', async () => {
    const kvm = new MemoryKvm().createMap('environment', 'tiers', { 'gold__eu': 'a,b,c' });
    const exchange = exchangeFor({ headers: { 'x-region': 'eu' } });
    await runPolicy(
      keyValueMapOperations,
      {
        mapIdentifier: 'tiers',
        operations: [
          { op: 'get', key: key({ value: 'gold' }, { ref: 'request.header.x-region' }), assignTo: 'all' },
          { op: 'get', key: key({ value: 'gold' }, { ref: 'request.header.x-region' }), assignTo: 'second', index: 2 },
          { op: 'get', key: key({ value: 'silver' }), assignTo: 'absent' },
        ],
      },
      { exchange, services: { kvm } },
    );
    expect([exchange.get('all'), exchange.get('second'), exchange.get('absent')]).toEqual(['a,b,c', 'b', undefined]);
  });

  it('puts at the named scope (policy scope is the proxy), keeping an entry unless override', async () => {
    const kvm = new MemoryKvm();
    const put = (value: string, override: boolean) =>
      runPolicy(
        keyValueMapOperations,
        { mapIdentifier: 'seen', scope: 'policy', operations: [{ op: 'put', key: key({ value: 'k' }), values: [{ value }], override }] },
        { services: { kvm } },
      );
    await put('first', false);
    await put('second', false);
    expect(await kvm.get('apiproxy', 'seen', 'k')).toBe('first');
    await put('third', true);
    expect(await kvm.get('apiproxy', 'seen', 'k')).toBe('third');
  });

  it('deletes a key, an absent one included, and skips operations whose key does not resolve', async () => {
    const kvm = new MemoryKvm().createMap('organization', 'm', { k: 'v' });
    await runPolicy(
      keyValueMapOperations,
      {
        mapIdentifier: 'm',
        scope: 'organization',
        operations: [
          { op: 'delete', key: key({ value: 'k' }) },
          { op: 'delete', key: key({ value: 'never-there' }) },
          { op: 'put', key: key({ ref: 'unset.variable' }), values: [{ value: 'x' }] },
        ],
      },
      { services: { kvm } },
    );
    expect([...kvm.maps.get('organization/m')!]).toEqual([]);
  });
});
