// Open Connectors' usage API for connector resource calls: every call through
// an instance leaves a usage record, written off the request's path, and
// `/elements/api-v2/usage` lists, finds, filters, pages and sums them. The
// record fields checked are the ones churros (Cloud Elements' platform test
// suite, Apache-2.0) requires in its usage and analytics schemas.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyticsRecorder } from '../../shared/analytics/recorder.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { startVendor, type VendorServer } from '../support/vendor.js';

let platform: TestPlatform;
let vendor: VendorServer;
let crm: { id: number; token: string };
let eu: { id: number; token: string };

const call = (method: string, path: string, options: Parameters<TestPlatform['request']>[2] = {}) => platform.request(method, path, options);

beforeAll(async () => {
  platform = await startPlatform();
  vendor = await startVendor((request, res) => {
    res.writeHead(request.path === '/api/contacts' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: request.path }));
  });
  const element = {
    key: 'usage-loop',
    name: 'Usage loopback',
    baseUrl: `${vendor.url}/api`,
    authentication: { type: 'basic' },
    resources: [{ name: 'contacts', path: '/contacts', methods: ['GET'] }],
  };
  expect((await call('POST', '/elements/api-v2/elements', { json: element })).status).toBe(200);
  const instance = async (name: string, tags: string[]) => {
    const made = await call('POST', '/elements/api-v2/elements/usage-loop/instances', { json: { name, tags, configuration: { username: 'u', password: 'p' } } });
    expect(made.status, made.text).toBe(200);
    return made.json as { id: number; token: string };
  };
  crm = await instance('CRM', ['crm']);
  eu = await instance('EU', ['eu']);
  const through = (instanceToken: string, path: string) => call('GET', `/elements/api-v2/${path}`, { auth: `${platform.auth}, Element ${instanceToken}` });
  for (const path of ['contacts', 'contacts?q=AccountId', 'contacts', 'missing']) await through(crm.token, path);
  for (const path of ['contacts', 'contacts']) await through(eu.token, path);
  await analyticsRecorder(platform.local.runtime).flush();
});

afterAll(async () => {
  await platform?.close();
  await vendor?.close();
});

describe('connector usage', () => {
  it('lists every resource call, newest first, in Open Connectors\' usage shape', async () => {
    const response = await call('GET', '/elements/api-v2/usage');
    expect(response.status, response.text).toBe(200);
    const records = response.json as Record<string, unknown>[];
    expect(records).toHaveLength(6);
    for (const record of records) {
      for (const field of ['user_id', 'company_id', 'process_time']) expect(typeof record[field], field).toBe('number');
      for (const field of ['traffic_id', 'request_status', 'request_ip', 'request_uri', 'element_api', 'request_id', 'traffic_date', 'company_external_id', 'company_external_name', 'element_key', 'element_name']) {
        expect(typeof record[field], field).toBe('string');
      }
    }
    const dates = records.map((record) => Date.parse(String(record.traffic_date)));
    expect(dates).toEqual([...dates].sort((a, b) => b - a));
    expect(records.filter((record) => record.request_status === 'failed')).toHaveLength(1);
    expect(records.find((record) => record.request_status === 'failed')).toMatchObject({ request_uri: '/missing', response_status_code: 404, element_key: 'usage-loop', instance_id: crm.id });
  });

  it('finds one call by its id', async () => {
    const [first] = (await call('GET', '/elements/api-v2/usage')).json as { traffic_id: string }[];
    const one = await call('GET', `/elements/api-v2/usage/${first!.traffic_id}`);
    expect(one.status).toBe(200);
    expect(one.json.traffic_id).toBe(first!.traffic_id);
    expect((await call('GET', '/elements/api-v2/usage/no-such-call')).status).toBe(404);
  });

  it('filters by element key, tag, status and search text', async () => {
    const count = async (query: string) => ((await call('GET', `/elements/api-v2/usage?${query}`)).json as unknown[]).length;
    expect(await count('keys[]=usage-loop')).toBe(6);
    expect(await count('keys[]=other')).toBe(0);
    expect(await count('tags[]=crm')).toBe(4);
    expect(await count('tags[]=eu')).toBe(2);
    expect(await count('status=failed')).toBe(1);
    expect(await count('status=success&tags[]=crm')).toBe(3);
    expect(await count('searchText=missing')).toBe(1);
    const today = new Date().toISOString().slice(0, 10);
    expect(await count(`from=${today}&to=${today}`)).toBe(6);
  });

  it('pages by offset and by token', async () => {
    const all = ((await call('GET', '/elements/api-v2/usage')).json as { traffic_id: string }[]).map((r) => r.traffic_id);
    const second = await call('GET', '/elements/api-v2/usage?pageSize=2&pageOffset=2');
    expect((second.json as { traffic_id: string }[]).map((r) => r.traffic_id)).toEqual(all.slice(2, 4));
    const first = await call('GET', '/elements/api-v2/usage?pageSize=4');
    const token = first.headers.get('elements-next-page-token');
    expect(token).toBeTruthy();
    const rest = await call('GET', `/elements/api-v2/usage?pageSize=4&nextPage=${token}`);
    expect((rest.json as { traffic_id: string }[]).map((r) => r.traffic_id)).toEqual(all.slice(4));
    expect(rest.headers.get('elements-next-page-token')).toBeNull();
  });

  it('sums response times and statuses per interval', async () => {
    const times = await call('GET', '/elements/api-v2/usage/analytics/times');
    expect(times.status).toBe(200);
    expect(times.json).toHaveLength(1);
    expect(times.json[0]).toMatchObject({ count: 6 });
    expect(typeof times.json[0].timestamp).toBe('string');
    expect(times.json[0].average).toBeGreaterThan(0);
    const statuses = await call('GET', '/elements/api-v2/usage/analytics/statuses?interval=hour');
    expect(statuses.json.reduce((sum: number, bucket: { count: number }) => sum + bucket.count, 0)).toBe(6);
    expect(statuses.json.at(-1)).toMatchObject({ success: 5, failed: 1, statuses: { '200': 5, '404': 1 } });
  });

  it('answers 404 for a range in the future, as Open Connectors does', async () => {
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    for (const path of ['/elements/api-v2/usage', '/elements/api-v2/usage/analytics/times', '/elements/api-v2/usage/analytics/statuses']) {
      expect((await call('GET', `${path}?from=${day(1)}&to=${day(2)}`)).status, path).toBe(404);
    }
  });

  it('shows an organization only its own calls', async () => {
    const other = await platform.addOrganization('usage-other');
    expect((await call('GET', '/elements/api-v2/usage', { auth: other })).json).toEqual([]);
    const [first] = (await call('GET', '/elements/api-v2/usage')).json as { traffic_id: string }[];
    expect((await call('GET', `/elements/api-v2/usage/${first!.traffic_id}`, { auth: other })).status).toBe(404);
  });
});
