// The one cache: time to live, least-recently-used eviction, single-flight
// loading, negative caching and invalidation, including of loads in flight.
// A fake clock makes expiry exact; fast-check compares random operation
// sequences against a plain reference model.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SingleFlight, TtlCache } from '../../shared/cache/ttl-cache.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** A load the test resolves or rejects by hand, counting how often it ran. */
function manualLoad<V>() {
  const calls: { resolve: (value: V) => void; reject: (error: unknown) => void }[] = [];
  const load = () => new Promise<V>((resolve, reject) => calls.push({ resolve, reject }));
  return { load, calls };
}

describe('TtlCache', () => {
  it('shares one load between concurrent misses of a key', async () => {
    const cache = new TtlCache<string, number>({ ttlMs: 1_000 });
    const { load, calls } = manualLoad<number>();
    const results = Promise.all([cache.get('a', load), cache.get('a', load), cache.get('a', load)]);
    expect(calls).toHaveLength(1);
    calls[0]!.resolve(7);
    expect(await results).toEqual([7, 7, 7]);
    expect(await cache.get('a', load)).toBe(7);
    expect(calls).toHaveLength(1);
  });

  it('keeps nothing from a failed load: every waiter gets the error, the next call loads again', async () => {
    const cache = new TtlCache<string, number>({ ttlMs: 1_000 });
    const { load, calls } = manualLoad<number>();
    const first = cache.get('a', load);
    const second = cache.get('a', load);
    calls[0]!.reject(new Error('table unavailable'));
    await expect(first).rejects.toThrow('table unavailable');
    await expect(second).rejects.toThrow('table unavailable');
    expect(cache.peek('a')).toBeUndefined();
    const retry = cache.get('a', load);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve(3);
    expect(await retry).toBe(3);
  });

  it('expires entries after their time to live, per entry when the caller says so', async () => {
    const time = clock();
    const cache = new TtlCache<string, string>({ ttlMs: 1_000, now: time.now });
    cache.set('short', 'x', 10);
    await cache.get('long', async () => 'y', () => 5_000);
    time.advance(10);
    expect(cache.peek('short')).toBeUndefined();
    time.advance(4_989);
    expect(cache.peek('long')?.value).toBe('y');
    time.advance(1);
    expect(cache.peek('long')).toBeUndefined();
  });

  it('remembers a miss for missTtlMs, and not at all when it is 0', async () => {
    const time = clock();
    let reads = 0;
    const missing = async () => {
      reads++;
      return undefined;
    };
    const negative = new TtlCache<string, string | undefined>({ ttlMs: 30_000, missTtlMs: 2_000, now: time.now });
    await negative.get('k', missing);
    await negative.get('k', missing);
    expect(reads).toBe(1);
    time.advance(2_000);
    await negative.get('k', missing);
    expect(reads).toBe(2);

    const positiveOnly = new TtlCache<string, string | undefined>({ ttlMs: 30_000, missTtlMs: 0, now: time.now });
    await positiveOnly.get('k', missing);
    await positiveOnly.get('k', missing);
    expect(reads).toBe(4);
  });

  it('with a time to live of 0 shares loads in flight and keeps nothing', async () => {
    const cache = new TtlCache<string, number>({ ttlMs: 0 });
    const { load, calls } = manualLoad<number>();
    const both = Promise.all([cache.get('a', load), cache.get('a', load)]);
    calls[0]!.resolve(1);
    expect(await both).toEqual([1, 1]);
    expect(cache.size).toBe(0);
  });

  it('evicts the least recently used entry when full', () => {
    const cache = new TtlCache<string, number>({ ttlMs: 60_000, maxEntries: 3 });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect(cache.peek('a')?.value).toBe(1); // a is now the most recently used
    cache.set('d', 4);
    expect(cache.peek('b')).toBeUndefined();
    expect([cache.peek('a')?.value, cache.peek('c')?.value, cache.peek('d')?.value]).toEqual([1, 3, 4]);
    expect(cache.size).toBe(3);
  });

  it('keeps an entry hit among the most recent quarter of a large cache without re-ordering it', () => {
    const cache = new TtlCache<string, number>({ ttlMs: 60_000, maxEntries: 100 });
    for (let i = 0; i < 100; i++) cache.set(`k${i}`, i);
    expect(cache.peek('k0')?.value).toBe(0); // the oldest: moved to the end
    expect(cache.peek('k99')?.value).toBe(99); // among the newest: left where it is
    for (let i = 100; i < 198; i++) cache.set(`k${i}`, i);
    // 98 newer entries pushed out k1..k98; k99 and the hit k0 remain.
    expect([cache.peek('k1'), cache.peek('k98')]).toEqual([undefined, undefined]);
    expect([cache.peek('k99')?.value, cache.peek('k0')?.value]).toEqual([99, 0]);
    expect(cache.size).toBe(100);
  });

  it('does not store a load that started before the key was deleted, set or cleared', async () => {
    for (const invalidate of [
      (cache: TtlCache<string, number>) => cache.delete('a'),
      (cache: TtlCache<string, number>) => cache.clear(),
      (cache: TtlCache<string, number>) => cache.deletePrefix('a'),
      (cache: TtlCache<string, number>) => cache.deleteWhere(() => false),
    ]) {
      const cache = new TtlCache<string, number>({ ttlMs: 60_000 });
      const { load, calls } = manualLoad<number>();
      const stale = cache.get('a', load);
      invalidate(cache);
      const fresh = cache.get('a', load);
      expect(calls).toHaveLength(2); // the change made later callers read again
      calls[1]!.resolve(2);
      calls[0]!.resolve(1);
      expect(await stale).toBe(1); // its callers asked before the change
      expect(await fresh).toBe(2);
      expect(cache.peek('a')?.value).toBe(2);
    }
  });

  it('lets a value set meanwhile win over an older load', async () => {
    const cache = new TtlCache<string, number>({ ttlMs: 60_000 });
    const { load, calls } = manualLoad<number>();
    const loading = cache.get('a', load);
    cache.set('a', 5);
    calls[0]!.resolve(1);
    await loading;
    expect(cache.peek('a')?.value).toBe(5);
  });

  it('reloads a live entry on request and reports when each value was loaded', async () => {
    const time = clock();
    const cache = new TtlCache<string, number>({ ttlMs: 60_000, now: time.now });
    const first = await cache.getEntry('a', async () => 1);
    time.advance(500);
    const again = await cache.reload('a', async () => 2);
    expect(first).toMatchObject({ value: 1, loadedAt: 1_000_000 });
    expect(again).toMatchObject({ value: 2, loadedAt: 1_000_500 });
    expect(cache.peek('a')?.value).toBe(2);
  });

  it('invalidates by prefix and by predicate', () => {
    const cache = new TtlCache<string, { org: string }>({ ttlMs: 60_000 });
    cache.set('acme\nx', { org: 'acme' });
    cache.set('acme\ny', { org: 'acme' });
    cache.set('other\nx', { org: 'other' });
    cache.deletePrefix('acme\n');
    expect(cache.size).toBe(1);
    cache.set('z', { org: 'other' });
    cache.deleteWhere((value) => value.org === 'other');
    expect(cache.size).toBe(0);
  });

  describe('properties', () => {
    type Operation =
      | { op: 'set'; key: string; value: number; ttl: number }
      | { op: 'peek'; key: string }
      | { op: 'delete'; key: string }
      | { op: 'deletePrefix'; prefix: string }
      | { op: 'clear' }
      | { op: 'advance'; ms: number };

    const key = fc.constantFrom('a', 'ab', 'b', 'ba', 'c', 'cd', 'd');
    const operation: fc.Arbitrary<Operation> = fc.oneof(
      fc.record({ op: fc.constant('set' as const), key, value: fc.integer(), ttl: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ op: fc.constant('peek' as const), key }),
      fc.record({ op: fc.constant('delete' as const), key }),
      fc.record({ op: fc.constant('deletePrefix' as const), prefix: fc.constantFrom('a', 'b', 'c', 'x') }),
      fc.record({ op: fc.constant('clear' as const) }),
      fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 30 }) }),
    );

    it('behaves like a map with expiry and least-recently-used eviction', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 4 }), fc.array(operation, { maxLength: 60 }), (maxEntries, operations) => {
          const time = clock(0);
          const cache = new TtlCache<string, number>({ ttlMs: 20, maxEntries, now: time.now });
          // The reference: insertion order of a Map is the recency order; expired entries are dropped on read.
          const model = new Map<string, { value: number; expires: number }>();
          for (const step of operations) {
            if (step.op === 'set') {
              cache.set(step.key, step.value, step.ttl);
              model.delete(step.key);
              if (step.ttl > 0) {
                if (model.size >= maxEntries) model.delete(model.keys().next().value!);
                model.set(step.key, { value: step.value, expires: time.now() + step.ttl });
              }
            } else if (step.op === 'peek') {
              const entry = model.get(step.key);
              let expected: number | undefined;
              if (entry) {
                model.delete(step.key);
                if (entry.expires > time.now()) {
                  model.set(step.key, entry);
                  expected = entry.value;
                }
              }
              expect(cache.peek(step.key)?.value).toBe(expected);
            } else if (step.op === 'delete') {
              cache.delete(step.key);
              model.delete(step.key);
            } else if (step.op === 'deletePrefix') {
              cache.deletePrefix(step.prefix);
              for (const k of [...model.keys()]) if (k.startsWith(step.prefix)) model.delete(k);
            } else if (step.op === 'clear') {
              cache.clear();
              model.clear();
            } else {
              time.advance(step.ms);
            }
            expect(cache.size).toBeLessThanOrEqual(maxEntries);
          }
        }),
      );
    });

    it('makes exactly one load per distinct key for any burst of concurrent gets', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(key, { minLength: 1, maxLength: 40 }), async (keys) => {
          const cache = new TtlCache<string, string>({ ttlMs: 60_000 });
          const loads: string[] = [];
          const values = await Promise.all(
            keys.map((k) =>
              cache.get(k, async () => {
                loads.push(k);
                await Promise.resolve();
                return `value of ${k}`;
              }),
            ),
          );
          expect(values).toEqual(keys.map((k) => `value of ${k}`));
          expect(loads.sort()).toEqual([...new Set(keys)].sort());
        }),
      );
    });
  });
});

describe('SingleFlight', () => {
  it('runs work once per key at a time and again after it settled', async () => {
    const flights = new SingleFlight<string, number>();
    let runs = 0;
    const work = async () => {
      const run = ++runs;
      await Promise.resolve();
      return run;
    };
    expect(await Promise.all([flights.run('a', work), flights.run('a', work), flights.run('b', work)])).toEqual([1, 1, 2]);
    expect(await flights.run('a', work)).toBe(3);
  });
});
