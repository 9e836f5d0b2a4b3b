// Polling at the HTTP level, on data kept on disk: a loopback vendor whose
// records change between polls (created, updated, archived), answered in pages
// linked by RFC 8288 Link headers, yields exactly one event per change,
// across a restart of the whole platform in the middle and a run that fails
// half way. The first poll only records where the data stands. The clock is
// the test's; the scheduler, the poller, the vendor calls and the deliveries
// are the real ones.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../support/clock.js';
import { createEventElement, createEventInstance, startReceiver, type Receiver } from '../support/events.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { sendJson, startVendor, type VendorServer } from '../support/vendor.js';

const MINUTE = 60_000;
const PAGE = 2;

interface Person {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
  archived: boolean;
}

const t0 = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();
const people = new Map<string, Person>();
const put = (id: string, createdAt: number, updatedAt: number, archived = false) => people.set(id, { id, name: `person ${id}`, created_at: iso(createdAt), updated_at: iso(updatedAt), archived });

let dataDir: string;
let platform: TestPlatform;
let clock: ManualClock;
let vendor: VendorServer;
let receiver: Receiver;
let instanceId: number;
let failPageTwo = 0;

const received = () => receiver.accepted.flatMap((notification) => notification.body.message.events as { id: string; eventType: string; objectId: string }[]);
const changes = () => received().map((event) => `${event.eventType} ${event.objectId}`);

async function start(now: number) {
  platform = await startPlatform({}, { dataDir });
  clock = new ManualClock(now);
  platform.local.runtime.clock = clock;
}

async function tickAfter(ms: number) {
  clock.advance(ms);
  await platform.local.events.tick();
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tollgate-poll-'));
  put('a', t0 - 120 * MINUTE, t0 - 60 * MINUTE);
  put('b', t0 - 90 * MINUTE, t0 - 30 * MINUTE);
  put('c', t0 - 50 * MINUTE, t0 - 10 * MINUTE);
  vendor = await startVendor((request, res) => {
    if (request.path !== '/api/people') return sendJson(res, 404, {});
    const since = Date.parse(request.query.get('since') ?? '');
    const page = Number(request.query.get('page') ?? '1');
    if (page === 2 && failPageTwo > 0) {
      failPageTwo--;
      return sendJson(res, 500, { error: 'try later' });
    }
    const matching = [...people.values()].filter((person) => Number.isNaN(since) || Date.parse(person.updated_at) >= since).sort((x, y) => x.id.localeCompare(y.id));
    const slice = matching.slice((page - 1) * PAGE, page * PAGE);
    const next = new URL(`${vendor.url}${request.url}`);
    next.searchParams.set('page', String(page + 1));
    sendJson(res, 200, { results: slice }, page * PAGE < matching.length ? { link: `<${next}>; rel="next"` } : {});
  });
  receiver = await startReceiver();
  await start(t0);
  // The polled resource's preRequest hook runs around every page, as around a resource call.
  const hooks = [{ type: 'preRequest', body: "done({ request_vendor_parameters: Object.assign({}, request_vendor_parameters, { via: 'hook:' + request_path }) });" }];
  await createEventElement(platform, { key: 'crm-poll', baseUrl: `${vendor.url}/api`, methods: ['polling'], hooks });
  const poller = JSON.stringify({
    contacts: {
      url: "/hubs/crm/contacts?since=${gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}",
      idField: 'id',
      rootKey: 'results',
      deletedField: 'archived',
      datesConfiguration: { updatedDateField: 'updated_at', updatedDateFormat: "yyyy-MM-dd'T'HH:mm:ss.SSSX", createdDateField: 'created_at', createdDateFormat: "yyyy-MM-dd'T'HH:mm:ss.SSSX" },
    },
  });
  const instance = await createEventInstance(platform, 'crm-poll', {
    'event.notification.enabled': 'true',
    'event.vendor.type': 'polling',
    'event.poller.refresh_interval': '15',
    'event.poller.configuration': poller,
    'event.notification.callback.url': `${receiver.url}/events`,
  });
  instanceId = instance.id;
});

afterAll(async () => {
  await platform.close();
  await vendor.close();
  await receiver.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('polling a vendor whose records change', () => {
  const toSecond = (ms: number) => iso(ms).replace(/\.\d{3}Z$/, 'Z');

  it('records the high-water mark on the first poll and emits nothing for records that already exist', async () => {
    await platform.local.events.tick();
    // The first poll asks from now on: what exists already is not news.
    expect(vendor.requests.map((request) => request.query.get('since'))).toEqual([toSecond(t0)]);
    expect(vendor.requests.map((request) => request.query.get('via'))).toEqual(['hook:/hubs/crm/contacts']);
    expect(receiver.requests).toHaveLength(0);
    const status = await platform.request('GET', `/elements/api-v2/instances/${instanceId}/events/poller`);
    expect(status.json).toMatchObject({ intervalMinutes: 15, objects: { contacts: { since: iso(t0), lastEvents: 0 } } });
  });

  it('polls again only when the interval has passed, then emits one event per change', async () => {
    put('a', t0 - 120 * MINUTE, t0 + 1 * MINUTE);
    put('d', t0 + 2 * MINUTE, t0 + 2 * MINUTE);
    const calls = vendor.requests.length;
    await tickAfter(5 * MINUTE);
    expect(vendor.requests).toHaveLength(calls);
    await tickAfter(10 * MINUTE);
    expect(changes().sort()).toEqual(['CREATED d', 'UPDATED a']);
    // From the mark on, to the second, following the vendor's Link header to the last page.
    expect(vendor.requests.slice(calls).map((request) => [request.query.get('since'), request.query.get('page') ?? '1'])).toEqual([[toSecond(t0), '1']]);
    expect(vendor.requests.every((request) => request.query.get('via') === 'hook:/hubs/crm/contacts')).toBe(true);
    const status = await platform.request('GET', `/elements/api-v2/instances/${instanceId}/events/poller`);
    expect(status.json.objects.contacts).toMatchObject({ since: iso(t0 + 2 * MINUTE), lastEvents: 2 });
  });

  it('goes on where it stopped after the platform restarts', async () => {
    const now = clock.now();
    await platform.close();
    await start(now);
    put('b', t0 - 90 * MINUTE, t0 + 20 * MINUTE, true);
    put('d', t0 + 2 * MINUTE, t0 + 21 * MINUTE);
    await tickAfter(15 * MINUTE);
    expect(changes().sort()).toEqual(['CREATED d', 'DELETED b', 'UPDATED a', 'UPDATED d']);
  });

  it('emits nothing from a run that fails half way, and everything once from the next', async () => {
    put('e', t0 + 35 * MINUTE, t0 + 35 * MINUTE);
    put('c', t0 - 50 * MINUTE, t0 + 36 * MINUTE);
    failPageTwo = 1;
    await tickAfter(15 * MINUTE);
    expect(changes()).toHaveLength(4);
    const status = await platform.request('GET', `/elements/api-v2/instances/${instanceId}/events/poller`);
    expect(status.json.objects.contacts.lastError).toBe('the vendor answered 500 for contacts');
    await tickAfter(15 * MINUTE);
    await tickAfter(15 * MINUTE);
    expect(changes().sort()).toEqual(['CREATED d', 'CREATED e', 'DELETED b', 'UPDATED a', 'UPDATED c', 'UPDATED d']);
    expect(new Set(received().map((event) => event.id)).size).toBe(6);
  });

  it('lists the polled events with their deliveries', async () => {
    const listed = await platform.request('GET', `/elements/api-v2/instances/${instanceId}/events`);
    expect(listed.json.length).toBeGreaterThanOrEqual(3);
    expect(listed.json.every((event: { deliveryStatus: string; source: string }) => event.deliveryStatus === 'delivered' && event.source === 'polling')).toBe(true);
    expect(JSON.parse(listed.json.at(-1).providerData)).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'a' })]));
  });
});

describe('poller settings', () => {
  it('refuses what cannot be polled with 422s naming the field', async () => {
    const bad = async (configuration: Record<string, unknown>) => {
      const made = await platform.request('POST', '/elements/api-v2/instances', { json: { element: { key: 'crm-poll' }, name: 'bad', configuration: { username: 'u', password: 'p', 'event.notification.enabled': true, ...configuration } } });
      expect(made.status).toBe(422);
      return made.json.fields.map((field: { path: string }) => field.path);
    };
    expect(await bad({})).toEqual(['configuration.event.poller.configuration']);
    expect(await bad({ 'event.poller.configuration': '{not json' })).toEqual(['configuration.event.poller.configuration']);
    expect(await bad({ 'event.poller.configuration': { contacts: { url: 'https://elsewhere.example/x' } } })).toEqual(['configuration.event.poller.configuration.contacts.url']);
    expect(await bad({ 'event.poller.configuration': { contacts: { url: '/contacts?since=${gmtDate:QQQ}' } } })).toEqual(['configuration.event.poller.configuration.contacts.url']);
    expect(await bad({ 'event.poller.configuration': { contacts: { url: '/contacts' } }, 'event.poller.refresh_interval': '0' })).toEqual(['configuration.event.poller.refresh_interval']);
    expect(await bad({ 'event.poller.configuration': { contacts: { url: '/contacts' } }, 'event.vendor.type': 'webhook' })).toEqual(['configuration.event.vendor.type']);
  });

  it('takes the poller configuration as a JSON object and turns polling off with the setting', async () => {
    const made = await createEventInstance(platform, 'crm-poll', { 'event.notification.enabled': true, 'event.poller.configuration': { contacts: { url: '/contacts', rootKey: 'results' } } });
    expect(JSON.parse(made.configuration['event.poller.configuration']!)).toMatchObject({ contacts: { url: '/contacts', idField: 'id' } });
    expect((await platform.request('GET', `/elements/api-v2/instances/${made.id}/events/poller`)).status).toBe(200);
    const off = await platform.request('PATCH', `/elements/api-v2/instances/${made.id}`, { json: { configuration: { 'event.notification.enabled': 'false' } } });
    expect(off.status).toBe(200);
    expect(off.json.eventsEnabled).toBe(false);
    expect((await platform.request('GET', `/elements/api-v2/instances/${made.id}/events/poller`)).status).toBe(404);
  });
});
