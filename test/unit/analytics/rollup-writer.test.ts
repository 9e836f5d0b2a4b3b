// Rollup writes on real dynalite: a flush applied twice (its answer was lost)
// counts once; the container's next flush adds; another container adds too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../../shared/analytics/record.js';
import { rollUp, rowFromItem } from '../../../shared/analytics/rollup.js';
import { applyRows } from '../../../shared/analytics/rollup-writer.js';
import { rollupPartition } from '../../../shared/store/keys.js';
import type { Table } from '../../../shared/store/table.js';
import { startTable } from '../../support/dynalite.js';

let store: { table: Table; close(): Promise<void> };
beforeAll(async () => {
  store = await startTable();
});
afterAll(async () => store.close());

const at = Date.UTC(2024, 4, 17, 10, 42, 5);
const record = (status: number, ms: number): CallRecord => ({
  timestamp: at,
  message_id: 'm',
  organization: 'acme',
  environment: 'prod',
  apiproxy: 'orders',
  apiproxy_revision: '1',
  proxy_basepath: '/orders',
  proxy_pathsuffix: '/',
  request_verb: 'GET',
  response_status_code: status,
  is_error: status >= 400 ? 1 : 0,
  policy_error: 0,
  target_error: 0,
  total_response_time: ms,
  request_size: 0,
  response_size: 10,
  client_ip: '127.0.0.1',
});
const protection = { fingerprint: (key: string) => `fp-${key}`, seal: (key: string) => `sealed-${key}` };
const expiry = () => Math.floor(Date.now() / 1000) + 3600;

async function minuteRows() {
  const page = await store.table.query(rollupPartition('acme', 'prod', 'minute', '2024-05-17'));
  return page.items.map(rowFromItem);
}

describe('rollup writer', () => {
  it('applies a flush once however often it is retried, and adds later flushes and other containers', async () => {
    const rows = rollUp([record(200, 5), record(200, 7), record(500, 100)], protection);
    expect(rows).toHaveLength(6); // two tuples x minute, hour, day
    expect(await applyRows(store.table, rows, { container: 'a', sequence: 1 }, expiry)).toEqual({ applied: 6, skipped: 0 });
    expect(await applyRows(store.table, rows, { container: 'a', sequence: 1 }, expiry)).toEqual({ applied: 0, skipped: 6 });
    const totals = (await minuteRows()).map((row) => [row.dimensions.response_status_code, row.totals.message_count, row.totals.is_error]);
    expect(totals.sort()).toEqual([['200', 2, 0], ['500', 1, 1]]);

    await applyRows(store.table, rollUp([record(200, 9)], protection), { container: 'a', sequence: 2 }, expiry);
    await applyRows(store.table, rollUp([{ ...record(200, 11), client_id: 'the-key' }], protection), { container: 'b', sequence: 1 }, expiry);
    const ok = (await minuteRows()).find((row) => row.dimensions.response_status_code === '200' && !row.dimensions.client_id)!;
    expect(ok.totals.message_count).toBe(3);
    expect(ok.totals.total_response_time).toBe(21);
    expect([...ok.totalTimes.values()].reduce((a, b) => a + b, 0)).toBe(3);
    // A consumer key is a fingerprint in the dimension and sealed beside it, never in the clear.
    const keyed = (await minuteRows()).find((row) => row.dimensions.client_id)!;
    expect(keyed.dimensions.client_id).toBe('fp-the-key');
    expect(keyed.sealedClientId).toBe('sealed-the-key');
    expect(keyed.totals.message_count).toBe(1);
  });

  it('splits a row with many latency buckets into several writes, each applied once', async () => {
    const many = Array.from({ length: 400 }, (_, i) => ({ ...record(201, Math.pow(1.03, i)), timestamp: at + 60_000 }));
    const rows = rollUp(many, protection).filter((entry) => entry.key.granularity === 'minute');
    const first = await applyRows(store.table, rows, { container: 'c', sequence: 1 }, expiry);
    expect(first.applied).toBeGreaterThan(1);
    expect((await applyRows(store.table, rows, { container: 'c', sequence: 1 }, expiry)).applied).toBe(0);
    const row = (await minuteRows()).find((r) => r.dimensions.response_status_code === '201')!;
    expect(row.totals.message_count).toBe(400);
    expect([...row.totalTimes.values()].reduce((a, b) => a + b, 0)).toBe(400);
  });

  it('writes each row with its expiry (the TTL attribute), and a row past it reads as absent', async () => {
    const rows = rollUp([{ ...record(202, 3), organization: 'expired' }], protection);
    const past = () => Math.floor(Date.now() / 1000) - 1;
    expect((await applyRows(store.table, rows, { container: 'd', sequence: 1 }, past)).applied).toBe(3);
    expect((await store.table.query(rollupPartition('expired', 'prod', 'minute', '2024-05-17'))).items).toEqual([]);
  });
});
