// Analytics end to end: 1,000 calls with a known mix of proxies, apps,
// products, statuses and backend delays through the local runtime, then
// Apigee's /stats API: exact counts per dimension, sums that agree across
// dimensions, percentiles within the sketch's documented error of the exact
// percentiles of the latencies the gateway recorded, and Apigee's shapes for
// time units, filters, sorting and topk.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyticsRecorder } from '../../shared/analytics/recorder.js';
import type { CallRecord } from '../../shared/analytics/record.js';
import { RELATIVE_ACCURACY } from '../../shared/analytics/sketch.js';
import { formatPoint } from '../../shared/analytics/time-range.js';
import { rollupPartition } from '../../shared/store/keys.js';
import type { StoredItem } from '../../shared/store/table.js';
import { startBackend, type Backend } from '../support/backend.js';
import { provisionApp, type ProvisionedApp } from '../support/consumers.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { deployProxy } from '../support/proxies.js';

/** Response bodies as the tests read them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let platform: TestPlatform;
let backend: Backend;
let appA: ProvisionedApp;
let appB: ProvisionedApp;
const recorded: CallRecord[] = [];
let started = 0;

const STATUSES = [200, 200, 200, 201, 404, 500] as const;
const DELAYS = [0, 5, 20, 50] as const;

interface Call {
  proxy: 'orders' | 'catalog';
  app?: 'A' | 'B' | 'bad';
  status: number;
  delay: number;
}

/** The mix: call i's proxy, app, backend status and delay are functions of i. */
function callFor(i: number): Call {
  const delay = DELAYS[i % DELAYS.length]!;
  const status = STATUSES[i % STATUSES.length]!;
  if (i % 5 === 4) return { proxy: 'catalog', status, delay };
  const app = i % 25 === 3 ? 'bad' : i % 2 === 0 ? 'A' : 'B';
  return { proxy: 'orders', app, status, delay };
}

const CALLS = Array.from({ length: 1000 }, (_, i) => callFor(i));
/** What each call answers: a wrong key is VerifyAPIKey's 401, else the backend's status. */
const answered = (call: Call) => (call.app === 'bad' ? 401 : call.status);

beforeAll(async () => {
  platform = await startPlatform();
  backend = await startBackend(async (request, res) => {
    const [, delay, status] = /^\/delay\/(\d+)\/status\/(\d+)/.exec(request.url)!.map(Number) as number[];
    await new Promise((resolve) => setTimeout(resolve, delay));
    res.writeHead(status!, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status }));
  });
  appA = await provisionApp(platform, { product: 'gold', appName: 'app-a', email: 'a@example.com' });
  appB = await provisionApp(platform, { product: 'silver', appName: 'app-b', email: 'b@example.com' });
  await deployProxy(platform, {
    name: 'orders',
    policies: [{ name: 'check-key', type: 'VerifyAPIKey', config: { apiKey: { ref: 'request.header.x-api-key' } } }],
    proxyEndpoints: [{ basePath: '/orders', preFlow: { request: [{ name: 'check-key' }], response: [] } }],
    targetEndpoints: [{ connection: { url: backend.url } }],
  });
  await deployProxy(platform, { name: 'catalog', policies: [], proxyEndpoints: [{ basePath: '/catalog' }], targetEndpoints: [{ connection: { url: backend.url } }] });

  // Watch the records the gateway makes (the real recorder still keeps and writes them).
  const recorder = analyticsRecorder(platform.local.runtime);
  const record = recorder.record.bind(recorder);
  recorder.record = (entry) => {
    recorded.push(entry);
    record(entry);
  };

  started = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < CALLS.length) {
      const call = CALLS[next++]!;
      const key = call.app === 'A' ? appA.consumerKey : call.app === 'B' ? appB.consumerKey : call.app === 'bad' ? 'not-a-key' : undefined;
      const response = await platform.proxy('GET', `/${call.proxy}/delay/${call.delay}/status/${call.status}`, { headers: key ? { 'x-api-key': key } : {} });
      expect(response.status, response.text).toBe(answered(call));
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  await recorder.flush();
}, 120_000);

afterAll(async () => {
  await platform?.close();
  await backend?.close();
});

function range(): string {
  const from = Math.floor(started / 60_000) * 60_000 - 60_000;
  return `${formatPoint(from)}~${formatPoint(from + 10 * 60_000)}`;
}

async function stats(dimension: string, params: Record<string, string>) {
  const query = new URLSearchParams({ timeRange: range(), ...params });
  const response = await platform.request('GET', `/v1/organizations/default/environments/prod/stats/${dimension}?${query}`);
  expect(response.status, response.text).toBe(200);
  return response.json;
}

/** dimension value -> the metric's values (as numbers) of a /stats answer without timeUnit. */
function byName(body: Json, metric = 'sum(message_count)'): Record<string, number> {
  const out: Record<string, number> = {};
  for (const dimension of body.environments[0].dimensions) {
    out[dimension.name] = Number(dimension.metrics.find((m: Json) => m.name === metric).values[0]);
  }
  return out;
}

function count(pick: (call: Call) => string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const call of CALLS) {
    const name = pick(call) ?? '(not set)';
    out[name] = (out[name] ?? 0) + 1;
  }
  return out;
}

/** The exact q-quantile of the recorded values, with the sketch's rank definition. */
function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

describe('analytics: 1,000 calls with a known mix', () => {
  it('records every call once', () => {
    expect(recorded).toHaveLength(1000);
  });

  it('counts exactly per proxy, status, app, product, developer, verb and path suffix', async () => {
    expect(byName(await stats('apis', { select: 'sum(message_count)' }))).toEqual(count((call) => call.proxy));
    expect(byName(await stats('response_status_code', {}))).toEqual(count((call) => String(answered(call))));
    const apps = count((call) => (call.app === 'A' ? 'app-a' : call.app === 'B' ? 'app-b' : undefined));
    expect(byName(await stats('apps', {}))).toEqual(apps);
    expect(byName(await stats('developer_app', {}))).toEqual(apps);
    expect(byName(await stats('apiproducts', {}))).toEqual(count((call) => (call.app === 'A' ? 'gold' : call.app === 'B' ? 'silver' : undefined)));
    expect(byName(await stats('developer_email', {}))).toEqual(count((call) => (call.app === 'A' ? 'a@example.com' : call.app === 'B' ? 'b@example.com' : undefined)));
    expect(byName(await stats('client_id', {}))).toEqual(count((call) => (call.app === 'A' ? appA.consumerKey : call.app === 'B' ? appB.consumerKey : undefined)));
    expect(byName(await stats('request_verb', {}))).toEqual({ GET: 1000 });
    expect(byName(await stats('proxy_pathsuffix', {}))).toEqual(count((call) => `/delay/${call.delay}/status/${call.status}`));
    expect(byName(await stats('target_host', {}))).toEqual({ [new URL(backend.url).host]: 960, '(not set)': 40 });
  });

  it('counts errors as Apigee does: is_error for every status from 400, policy errors by the failing policy', async () => {
    const body = await stats('apis', { select: 'sum(message_count),sum(is_error),sum(policy_error),sum(target_error)' });
    const errors = byName(body, 'sum(is_error)');
    const expected = (proxy: string) => CALLS.filter((call) => call.proxy === proxy && answered(call) >= 400).length;
    expect(errors).toEqual({ orders: expected('orders'), catalog: expected('catalog') });
    expect(byName(body, 'sum(policy_error)')).toEqual({ orders: 40, catalog: 0 });
    const targetErrors = (proxy: string) => CALLS.filter((call) => call.proxy === proxy && call.app !== 'bad' && call.status >= 500).length;
    expect(byName(body, 'sum(target_error)')).toEqual({ orders: targetErrors('orders'), catalog: targetErrors('catalog') });
    const faults = byName(await stats('ax_execution_fault_policy_name', {}));
    expect(faults['check-key']).toBe(40);
  });

  it('sums agree across dimensions and with the environment total', async () => {
    const total = await platform.request('GET', `/v1/organizations/default/environments/prod/stats?${new URLSearchParams({ timeRange: range(), select: 'sum(message_count),sum(is_error)' })}`);
    expect(total.status).toBe(200);
    expect(total.json.environments[0].name).toBe('prod');
    expect(total.json.environments[0].metrics[0]).toEqual({ name: 'sum(message_count)', values: ['1000.0'] });
    const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);
    for (const dimension of ['apis', 'apps', 'apiproducts', 'response_status_code', 'proxy_pathsuffix', 'client_id', 'target_host']) {
      expect(sum(byName(await stats(dimension, {}))), dimension).toBe(1000);
      expect(sum(byName(await stats(dimension, { select: 'sum(is_error)' }), 'sum(is_error)')), dimension).toBe(Number(total.json.environments[0].metrics[1].values[0]));
    }
    const both = await stats('apis,response_status_code', {});
    expect(sum(byName(both))).toBe(1000);
    const pair = both.environments[0].dimensions.find((d: Json) => d.name === 'orders,401');
    expect(pair.individualNames).toEqual(['orders', '401']);
    expect(Number(pair.metrics[0].values[0])).toBe(40);
  });

  it('gives averages exactly and percentiles, min and max within the documented 1%', async () => {
    const body = await stats('apis', {
      select: 'avg(total_response_time),p50(total_response_time),p95(total_response_time),p99(total_response_time),max(total_response_time),min(total_response_time),avg(target_response_time),percentile(target_response_time,90)',
    });
    for (const proxy of ['orders', 'catalog']) {
      const mine = recorded.filter((record) => record.apiproxy === proxy);
      const totals = mine.map((record) => record.total_response_time);
      const targets = mine.flatMap((record) => (record.target_response_time === undefined ? [] : [record.target_response_time]));
      const metric = (name: string) => Number(body.environments[0].dimensions.find((d: Json) => d.name === proxy).metrics.find((m: Json) => m.name === name).values[0]);
      expect(metric('avg(total_response_time)')).toBeCloseTo(totals.reduce((a, b) => a + b, 0) / totals.length, 3);
      expect(metric('avg(target_response_time)')).toBeCloseTo(targets.reduce((a, b) => a + b, 0) / targets.length, 3);
      const within = (reported: number, exact: number) => expect(Math.abs(reported - exact)).toBeLessThanOrEqual(exact * RELATIVE_ACCURACY + 1e-9);
      within(metric('p50(total_response_time)'), exactQuantile(totals, 0.5));
      within(metric('p95(total_response_time)'), exactQuantile(totals, 0.95));
      within(metric('p99(total_response_time)'), exactQuantile(totals, 0.99));
      within(metric('max(total_response_time)'), Math.max(...totals));
      within(metric('min(total_response_time)'), Math.min(...totals));
      within(metric('percentile(target_response_time,90)'), exactQuantile(targets, 0.9));
      // The backend's delays show: the 95th percentile of the target time is at least its 50 ms delay.
      expect(exactQuantile(targets, 0.95)).toBeGreaterThanOrEqual(50);
    }
  });

  it('answers per time unit with Apigee timestamps, newest first unless tsAscending', async () => {
    const body = await stats('apis', { timeUnit: 'minute' });
    for (const dimension of body.environments[0].dimensions) {
      const values = dimension.metrics[0].values as { timestamp: number; value: string }[];
      expect(values.every((v) => v.timestamp % 60_000 === 0 && /^\d+\.\d+$/.test(v.value))).toBe(true);
      expect(values.map((v) => v.timestamp)).toEqual([...values.map((v) => v.timestamp)].sort((a, b) => b - a));
      expect(values.reduce((sum, v) => sum + Number(v.value), 0)).toBe(count((call) => call.proxy)[dimension.name]);
    }
    const ascending = await stats('apis', { timeUnit: 'hour', tsAscending: 'true' });
    const times = ascending.environments[0].dimensions[0].metrics[0].values.map((v: Json) => v.timestamp);
    expect(times).toEqual([...times].sort((a: number, b: number) => a - b));
    const daily = await stats('apis', { timeUnit: 'day' });
    expect(daily.environments[0].dimensions.map((d: Json) => d.metrics[0].values.reduce((s: number, v: Json) => s + Number(v.value), 0)).reduce((a: number, b: number) => a + b, 0)).toBe(1000);
  });

  it('filters, sorts and takes the top k as Apigee does', async () => {
    const serverErrors = byName(await stats('apis', { filter: '(response_status_code ge 500)' }));
    expect(serverErrors).toEqual({
      orders: CALLS.filter((c) => c.proxy === 'orders' && answered(c) >= 500).length,
      catalog: CALLS.filter((c) => c.proxy === 'catalog' && answered(c) >= 500).length,
    });
    const inList = byName(await stats('response_status_code', { filter: "(apiproxy in 'catalog') and (response_status_code notin 200,201)" }));
    expect(inList).toEqual({ '404': CALLS.filter((c) => c.proxy === 'catalog' && c.status === 404).length, '500': CALLS.filter((c) => c.proxy === 'catalog' && c.status === 500).length });
    const liked = byName(await stats('proxy_pathsuffix', { filter: "(proxy_pathsuffix like '/delay/50/%') or (developer_app isnull)" }));
    expect(Object.keys(liked).every((suffix) => suffix.startsWith('/delay/50/') || CALLS.some((c) => c.app !== 'A' && c.app !== 'B' && `/delay/${c.delay}/status/${c.status}` === suffix))).toBe(true);
    const ordered = await stats('response_status_code', { sortby: 'sum(message_count)', sort: 'ASC' });
    const values = ordered.environments[0].dimensions.map((d: Json) => Number(d.metrics[0].values[0]));
    expect(values).toEqual([...values].sort((a, b) => a - b));
    const top = await stats('response_status_code', { topk: '2' });
    expect(top.environments[0].dimensions).toHaveLength(2);
    expect(top.environments[0].dimensions[0].name).toBe('200');
    const page = await stats('response_status_code', { limit: '2', offset: '1' });
    expect(page.environments[0].dimensions).toHaveLength(2);
    expect(page.environments[0].dimensions[0].name).not.toBe('200');
  });

  it('refuses bad parameters with clear errors', async () => {
    const ask = (params: Record<string, string>, dimension = 'apis') =>
      platform.request('GET', `/v1/organizations/default/environments/prod/stats/${dimension}?${new URLSearchParams(params)}`);
    expect((await ask({})).json.error.code).toBe('invalid_time_range');
    expect((await ask({ timeRange: '2024-01-01~2024-01-02' })).json.error.code).toBe('invalid_time_range');
    expect((await ask({ timeRange: range(), select: 'median(total_response_time)' })).json.error.code).toBe('invalid_select');
    expect((await ask({ timeRange: range(), filter: '(apiproxy eq' })).json.error.code).toBe('invalid_filter');
    expect((await ask({ timeRange: range(), timeUnit: 'fortnight' })).json.error.code).toBe('invalid_time_unit');
    expect((await ask({ timeRange: range() }, 'no-such dimension')).status).toBe(400);
    expect((await platform.request('GET', `/v1/organizations/default/environments/nope/stats/apis?timeRange=${encodeURIComponent(range())}`)).status).toBe(404);
  });

  it('keeps consumer keys out of the table in the clear, and still filters by them', async () => {
    const day = new Date(started).toISOString().slice(0, 10);
    const page = await platform.local.runtime.table.query(rollupPartition('default', 'prod', 'minute', day));
    expect(page.items.length).toBeGreaterThan(0);
    const stored = JSON.stringify(page.items);
    expect(stored).not.toContain(appA.consumerKey);
    expect(stored).not.toContain(appB.consumerKey);
    const onlyA = byName(await stats('apps', { filter: `(client_id eq '${appA.consumerKey}')` }));
    expect(onlyA).toEqual({ 'app-a': CALLS.filter((call) => call.app === 'A').length });
    const response = await platform.request('GET', `/v1/organizations/default/environments/prod/stats/apps?${new URLSearchParams({ timeRange: range(), filter: "(client_id like 'x%')" })}`);
    expect(response.json.error.code).toBe('invalid_filter');
  });

  it('keeps rollups 30 days after their bucket ends (DynamoDB TTL on expiresAt)', async () => {
    const day = new Date(started).toISOString().slice(0, 10);
    const { items } = await platform.local.runtime.table.query<StoredItem & { start: number }>(rollupPartition('default', 'prod', 'minute', day));
    for (const item of items) expect(item.expiresAt).toBe(Math.ceil((item.start + 60_000) / 1000) + 30 * 86_400);
  });

  it('lets the readonly role read stats, and no other organization', async () => {
    const readonly = await platform.addUser('default', 'readonly');
    const query = `timeRange=${encodeURIComponent(range())}`;
    const read = await platform.request('GET', `/v1/organizations/default/environments/prod/stats/apis?${query}`, { auth: readonly });
    expect(read.status).toBe(200);
    const other = await platform.addOrganization('analytics-other');
    const foreign = await platform.request('GET', `/v1/organizations/default/environments/prod/stats/apis?${query}`, { auth: other });
    expect(foreign.status).toBe(403);
    const own = await platform.request('GET', `/v1/organizations/analytics-other/environments/prod/stats/apis?${query}`, { auth: other });
    expect(own.status).toBe(200);
    expect(own.json.environments[0].dimensions).toEqual([]);
  });
});

describe('analytics: StatisticsCollector custom dimensions and metrics', () => {
  // In the test environment, so the 1,000 calls' totals in prod stay as they are.
  const SALES = [
    { sku: 'sku-a', price: '10' },
    { sku: 'sku-a', price: '10' },
    { sku: 'sku-a', price: '10.5' },
    { sku: 'sku-b', price: '2.5' },
    { sku: 'sku-b' },
    {},
  ];

  it('groups by a custom dimension and sums a custom metric, defaults included', async () => {
    await deployProxy(
      platform,
      {
        name: 'shop',
        policies: [
          {
            name: 'collect',
            type: 'StatisticsCollector',
            config: { statistics: [{ name: 'sku', ref: 'request.queryparam.sku', default: 'unknown' }, { name: 'price', ref: 'request.header.x-price', type: 'float', default: '0' }] },
          },
        ],
        proxyEndpoints: [{ basePath: '/shop', preFlow: { request: [{ name: 'collect' }], response: [] } }],
        targetEndpoints: [{ connection: { url: backend.url } }],
      },
      { env: 'test' },
    );
    for (const sale of SALES) {
      const query = sale.sku ? `?sku=${sale.sku}` : '';
      const response = await platform.proxy('GET', `/shop/delay/0/status/200${query}`, { env: 'test', headers: sale.price ? { 'x-price': sale.price } : {} });
      expect(response.status).toBe(200);
    }
    await analyticsRecorder(platform.local.runtime).flush();
    const query = new URLSearchParams({ timeRange: range(), select: 'sum(message_count),sum(price),avg(price)' });
    const response = await platform.request('GET', `/v1/organizations/default/environments/test/stats/sku?${query}`);
    expect(response.status, response.text).toBe(200);
    expect(byName(response.json)).toEqual({ 'sku-a': 3, 'sku-b': 2, unknown: 1 });
    expect(byName(response.json, 'sum(price)')).toEqual({ 'sku-a': 30.5, 'sku-b': 2.5, unknown: 0 });
    expect(byName(response.json, 'avg(price)')['sku-b']).toBe(1.25);
    const filtered = await platform.request('GET', `/v1/organizations/default/environments/test/stats/apis?${new URLSearchParams({ timeRange: range(), filter: "(sku eq 'sku-a')" })}`);
    expect(byName(filtered.json)).toEqual({ shop: 3 });
  });
});
