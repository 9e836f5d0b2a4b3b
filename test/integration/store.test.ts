// The single-table store on dynalite: conditional writes, optimistic versions,
// expiry on read, pagination, and exact atomic counters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '../../shared/http/errors.js';
import type { Table } from '../../shared/store/table.js';
import { startTable } from '../support/dynalite.js';

let table: Table;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ table, close } = await startTable());
});
afterAll(() => close());

const item = (pk: string, sk: string, extra: Record<string, unknown> = {}) => ({ pk, sk, type: 'thing', ...extra });

describe('create', () => {
  it('writes once and answers 409 for the same keys', async () => {
    const created = await table.create(item('ORG#a', 'THING#1', { name: 'one' }));
    expect(created.version).toBe(1);
    const error = await table.create(item('ORG#a', 'THING#1'), 'Thing 1 exists').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(409);
    expect((error as HttpError).message).toBe('Thing 1 exists');
  });

  it('replaces an expired item', async () => {
    await table.create(item('ORG#a', 'THING#old', { expiresAt: Math.floor(Date.now() / 1000) - 5 }));
    const again = await table.create(item('ORG#a', 'THING#old', { name: 'fresh' }));
    expect(again.name).toBe('fresh');
  });
});

describe('optimistic versions', () => {
  it('rejects a write based on a stale version', async () => {
    const first = await table.create(item('ORG#a', 'THING#v', { n: 0 }));
    const second = await table.replace({ ...first, n: 1 }, first.version);
    expect(second.version).toBe(2);
    const stale = await table.replace({ ...first, n: 2 }, first.version).catch((e: unknown) => e);
    expect((stale as HttpError).status).toBe(409);
    expect((await table.get({ pk: 'ORG#a', sk: 'THING#v' }))!.n).toBe(1);
  });

  it('modify retries until every concurrent change lands', async () => {
    await table.create(item('ORG#a', 'THING#m', { tags: [] as string[] }));
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        table.modify<{ tags: string[] } & Awaited<ReturnType<Table['create']>>>({ pk: 'ORG#a', sk: 'THING#m' }, (current) => ({
          ...current,
          tags: [...current.tags, `t${i}`],
        }), 20),
      ),
    );
    const result = await table.get({ pk: 'ORG#a', sk: 'THING#m' });
    expect((result!.tags as string[]).sort()).toEqual(['t0', 't1', 't2', 't3', 't4']);
  });

  it('answers 404 when replacing something deleted', async () => {
    const gone = await table.create(item('ORG#a', 'THING#gone'));
    await table.delete(gone);
    const error = await table.replace(gone, 1).catch((e: unknown) => e);
    expect((error as HttpError).status).toBe(404);
  });
});

describe('expiry', () => {
  it('treats items past expiresAt as absent on get and query', async () => {
    const past = Math.floor(Date.now() / 1000) - 1;
    await table.put(item('ORG#exp', 'A', { expiresAt: past }));
    await table.put(item('ORG#exp', 'B', { expiresAt: past + 3600 }));
    await table.put(item('ORG#exp', 'C'));
    expect(await table.get({ pk: 'ORG#exp', sk: 'A' })).toBeUndefined();
    expect(await table.get({ pk: 'ORG#exp', sk: 'B' })).toBeDefined();
    const all = await table.queryAll('ORG#exp');
    expect(all.map((i) => i.sk)).toEqual(['B', 'C']);
  });
});

describe('pagination', () => {
  it('walks pages with an opaque cursor', async () => {
    for (let i = 0; i < 7; i++) await table.put(item('ORG#page', `ITEM#${i}`));
    const first = await table.query('ORG#page', { limit: 3 });
    expect(first.items.map((i) => i.sk)).toEqual(['ITEM#0', 'ITEM#1', 'ITEM#2']);
    const second = await table.query('ORG#page', { limit: 3, cursor: first.next });
    expect(second.items.map((i) => i.sk)).toEqual(['ITEM#3', 'ITEM#4', 'ITEM#5']);
    const third = await table.query('ORG#page', { limit: 3, cursor: second.next });
    expect(third.items.map((i) => i.sk)).toEqual(['ITEM#6']);
  });

  it('refuses a cursor that points into another partition', async () => {
    const forged = Buffer.from(JSON.stringify({ pk: 'ORG#other', sk: 'ITEM#0' })).toString('base64url');
    const error = await table.query('ORG#page', { cursor: forged }).catch((e: unknown) => e);
    expect((error as HttpError).status).toBe(400);
    const garbage = await table.query('ORG#page', { cursor: '%%%' }).catch((e: unknown) => e);
    expect((garbage as HttpError).status).toBe(400);
  });

  it('filters by sort-key prefix and queries the GSI', async () => {
    await table.put(item('ORG#g', 'APP#1', { gsi1pk: 'KEY#abc', gsi1sk: 'APP' }));
    await table.put(item('ORG#g', 'DEV#1'));
    expect((await table.queryAll('ORG#g', { prefix: 'APP#' })).map((i) => i.sk)).toEqual(['APP#1']);
    const byKey = await table.query('KEY#abc', { index: 'gsi1' });
    expect(byKey.items[0]!.pk).toBe('ORG#g');
  });
});

describe('atomic counters', () => {
  it('stay exact under 300 concurrent increments', async () => {
    const keys = { pk: 'ORG#c', sk: 'COUNTER#x' };
    const results = await Promise.all(Array.from({ length: 300 }, () => table.increment(keys, 'count', 1)));
    expect(new Set(results).size).toBe(300);
    expect(Math.max(...results)).toBe(300);
  });
});

describe('conditional set', () => {
  it('succeeds once for a single-use claim', async () => {
    await table.put(item('ORG#s', 'STATE#1', { used: false }));
    const claims = await Promise.all(
      Array.from({ length: 10 }, () => table.setIf({ pk: 'ORG#s', sk: 'STATE#1' }, { used: true }, '#u = :no', { ':no': false }, { '#u': 'used' })),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
  });
});
