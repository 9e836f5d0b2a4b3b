// The webhook receiver, vendor by vendor, at the HTTP level: a request signed
// as the vendor documents it is recorded and delivered; a wrong, stale or
// missing signature is 401 and nothing is recorded; a repeated delivery is
// acknowledged and dropped. Signatures come from the vendors' own libraries
// where they publish one (Stripe's generateTestHeaderString, Octokit's sign)
// and from the documented algorithms otherwise. Where the vendor has an API
// for subscriptions (Stripe, Microsoft Graph, Shopify) Tollgate creates it on
// the loopback vendor when the instance is created, answering Graph's
// validation handshake, renews Graph's before it ends, and removes it when
// the instance is deleted.
import { createHmac } from 'node:crypto';
import { sign } from '@octokit/webhooks-methods';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAPH_SUBSCRIPTION_MINUTES } from '../../shared/connectors/events/webhooks/microsoft-graph.js';
import { ManualClock } from '../support/clock.js';
import { createEventElement, createEventInstance, startReceiver, type Receiver } from '../support/events.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { sendJson, startVendor, type VendorServer } from '../support/vendor.js';

const SECRET = 'vendor-signing-secret-1';
const HOUR = 3_600_000;
const STRIPE_SECRET = 'whsec_loopback_endpoint_secret';
let platform: TestPlatform;
let clock: ManualClock;
let vendor: VendorServer;
let receiver: Receiver;
const validations: string[] = [];

beforeAll(async () => {
  platform = await startPlatform();
  clock = new ManualClock();
  platform.local.runtime.clock = clock;
  receiver = await startReceiver();
  vendor = await startVendor(async (request, res) => {
    if (request.method === 'POST' && request.path === '/api/webhook_endpoints') return sendJson(res, 200, { id: 'we_1', object: 'webhook_endpoint', secret: STRIPE_SECRET, url: request.query.get('url') });
    if (request.method === 'POST' && request.path === '/api/subscriptions') {
      const subscription = JSON.parse(request.body.toString('utf8'));
      // What Graph does before it creates a subscription: validate the notification URL.
      const check = await fetch(`${subscription.notificationUrl}?validationToken=${encodeURIComponent('Validation: Token <1>')}`, { method: 'POST' });
      validations.push(`${check.status} ${check.headers.get('content-type')} ${await check.text()}`);
      if (check.status !== 200) return sendJson(res, 400, { error: { message: 'validation failed' } });
      return sendJson(res, 201, { id: 'sub-1', expirationDateTime: subscription.expirationDateTime, clientState: subscription.clientState });
    }
    if (request.method === 'PATCH' && request.path === '/api/subscriptions/sub-1') {
      const { expirationDateTime } = JSON.parse(request.body.toString('utf8'));
      return sendJson(res, 200, { id: 'sub-1', expirationDateTime });
    }
    if (request.method === 'POST' && request.path === '/api/webhooks.json') return sendJson(res, 201, { webhook: { id: 450 + vendor.requests.length } });
    if (request.method === 'DELETE') return sendJson(res, 200, {});
    sendJson(res, 404, {});
  });
});
afterAll(async () => {
  await platform.close();
  await receiver.close();
  await vendor.close();
});

interface Case {
  scheme: string;
  subscribe?: string[];
  body: string;
  headers(body: string, secret: string, at: number, url: string): Record<string, string> | Promise<Record<string, string>>;
  /** Signs with a timestamp this far in the past; undefined where the vendor signs none. */
  staleMs?: number;
  replayable: boolean;
  accepted?: number;
  expected: { eventType: string; objectType: string; objectId: string };
}

const hex = (key: string, text: string) => createHmac('sha256', key).update(text).digest('hex');
const b64 = (key: string, text: string) => createHmac('sha256', key).update(text).digest('base64');

const CASES: Case[] = [
  {
    scheme: 'github',
    body: JSON.stringify({ action: 'opened', issue: { id: 101, updated_at: '2026-01-01T00:00:00Z' } }),
    headers: async (body, secret) => ({ 'x-github-event': 'issues', 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958', 'x-hub-signature-256': await sign(secret, body) }),
    replayable: true,
    expected: { eventType: 'CREATED', objectType: 'issues', objectId: '101' },
  },
  {
    scheme: 'stripe',
    body: JSON.stringify({ id: 'evt_1', object: 'event', type: 'customer.deleted', created: 1700000000, data: { object: { id: 'cus_9', object: 'customer' } } }),
    headers: (body, secret, at) => ({ 'stripe-signature': new Stripe('sk_test_loopback').webhooks.generateTestHeaderString({ payload: body, secret, timestamp: Math.floor(at / 1000) }) }),
    staleMs: 6 * 60_000,
    replayable: true,
    expected: { eventType: 'DELETED', objectType: 'customer', objectId: 'cus_9' },
  },
  {
    scheme: 'slack',
    body: JSON.stringify({ type: 'event_callback', team_id: 'T1', event_id: 'Ev1', event_time: 1700000000, event: { type: 'channel_created', channel: { id: 'C42', name: 'general' } } }),
    headers: (body, secret, at) => {
      const ts = String(Math.floor(at / 1000));
      return { 'x-slack-request-timestamp': ts, 'x-slack-signature': `v0=${hex(secret, `v0:${ts}:${body}`)}` };
    },
    staleMs: 6 * 60_000,
    replayable: true,
    expected: { eventType: 'CREATED', objectType: 'channel_created', objectId: 'C42' },
  },
  {
    scheme: 'shopify',
    subscribe: ['orders/create'],
    body: JSON.stringify({ id: 820982911946154500, updated_at: '2026-01-01T10:00:00-05:00', email: 'jon@example.com' }),
    headers: (body, secret) => ({ 'x-shopify-topic': 'orders/create', 'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043', 'x-shopify-hmac-sha256': b64(secret, body) }),
    replayable: true,
    expected: { eventType: 'CREATED', objectType: 'orders', objectId: '820982911946154500' },
  },
  {
    scheme: 'hubspot',
    body: JSON.stringify([{ eventId: 100, subscriptionId: 1, portalId: 33, occurredAt: 1700000000000, subscriptionType: 'contact.propertyChange', objectId: 123 }]),
    headers: (body, secret, at, url) => ({ 'x-hubspot-request-timestamp': String(at), 'x-hubspot-signature-v3': b64(secret, `POST${url}${body}${at}`) }),
    staleMs: 6 * 60_000,
    replayable: false,
    expected: { eventType: 'UPDATED', objectType: 'contact', objectId: '123' },
  },
];

async function webhookInstance(scheme: string, subscribe?: string[], extra: Record<string, string> = {}) {
  const key = `wh-${scheme}`;
  if ((await platform.request('GET', `/elements/api-v2/elements/${key}`)).status !== 200) await createEventElement(platform, { key, baseUrl: `${vendor.url}/api`, methods: ['webhook'], scheme, ...(subscribe ? { subscribe } : {}) });
  return createEventInstance(platform, key, {
    'event.notification.enabled': 'true',
    'event.vendor.type': 'webhook',
    'event.notification.callback.url': `${receiver.url}/in`,
    ...(scheme === 'stripe' ? {} : { 'event.vendor.secret': SECRET }),
    ...extra,
  });
}

async function eventsOf(id: number) {
  return (await platform.request('GET', `/elements/api-v2/instances/${id}/events`)).json as unknown[];
}

describe.each(CASES)('$scheme webhooks', (vendorCase) => {
  let url: string;
  let id: number;
  const secret = vendorCase.scheme === 'stripe' ? STRIPE_SECRET : SECRET;
  const post = async (headers: Record<string, string>, body = vendorCase.body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  beforeAll(async () => {
    const instance = await webhookInstance(vendorCase.scheme, vendorCase.subscribe);
    url = instance.configuration['event.notification.webhook.url']!;
    id = instance.id;
    expect(url).toMatch(new RegExp(`^${platform.url}/elements/api-v2/events/wh-${vendorCase.scheme}/[A-Za-z0-9_-]{24}$`));
  });

  it('refuses a missing signature, a wrong one and a stale one with 401, recording nothing', async () => {
    expect((await post({})).status).toBe(401);
    const wrong = await post(await vendorCase.headers(vendorCase.body, 'not-the-secret-at-all', clock.now(), url));
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { code: string }).code).toBe('invalid_signature');
    const tampered = await post(await vendorCase.headers(vendorCase.body, secret, clock.now(), url), vendorCase.body.replace(/\d/, '9'));
    expect(tampered.status).toBe(401);
    if (vendorCase.staleMs) expect((await post(await vendorCase.headers(vendorCase.body, secret, clock.now() - vendorCase.staleMs, url))).status).toBe(401);
    expect(await eventsOf(id)).toEqual([]);
  });

  it('records and delivers a correctly signed one', async () => {
    const before = receiver.accepted.length;
    const response = await post(await vendorCase.headers(vendorCase.body, secret, clock.now(), url));
    expect(response.status).toBe(vendorCase.accepted ?? 200);
    await platform.local.events.tick();
    const delivered = receiver.accepted.slice(before);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.body.message.events).toEqual([expect.objectContaining({ ...vendorCase.expected, elementKey: `wh-${vendorCase.scheme}`, instanceId: id })]);
    expect(delivered[0]!.body.message.raw).toEqual(JSON.parse(vendorCase.body));
  });

  if (vendorCase.replayable) it('acknowledges a repeated delivery without recording it again', async () => {
    const response = await post(await vendorCase.headers(vendorCase.body, secret, clock.now(), url));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ duplicate: true });
    expect(await eventsOf(id)).toHaveLength(1);
  });
});

describe('Slack URL verification', () => {
  it('answers the signed challenge and refuses an unsigned one', async () => {
    const instance = await webhookInstance('slack');
    const url = instance.configuration['event.notification.webhook.url']!;
    const body = JSON.stringify({ token: 'x', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' });
    expect((await fetch(url, { method: 'POST', body })).status).toBe(401);
    const ts = String(Math.floor(clock.now() / 1000));
    const answer = await fetch(url, { method: 'POST', headers: { 'x-slack-request-timestamp': ts, 'x-slack-signature': `v0=${hex(SECRET, `v0:${ts}:${body}`)}` }, body });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
    expect(await eventsOf(instance.id)).toEqual([]);
  });
});

describe('Microsoft Graph change notifications', () => {
  let url: string;
  let id: number;
  let clientState: string;

  beforeAll(async () => {
    validations.length = 0;
    await createEventElement(platform, { key: 'wh-graph', baseUrl: `${vendor.url}/api`, methods: ['webhook'], scheme: 'microsoft-graph', subscribe: ['created', 'updated'], resource: 'me/mailFolders/inbox/messages' });
    const made = await createEventInstance(platform, 'wh-graph', { 'event.notification.enabled': true, 'event.vendor.type': 'webhook', 'event.notification.callback.url': `${receiver.url}/in` });
    url = made.configuration['event.notification.webhook.url']!;
    id = made.id;
    const subscription = JSON.parse(vendor.requests.find((request) => request.path === '/api/subscriptions')!.body.toString('utf8'));
    clientState = subscription.clientState;
    expect(subscription).toMatchObject({ changeType: 'created,updated', notificationUrl: url, resource: 'me/mailFolders/inbox/messages' });
  });

  it('answered the validation handshake with the token as plain text when the subscription was created', () => {
    expect(validations).toEqual(['200 text/plain; charset=utf-8 Validation: Token <1>']);
    expect(clientState.length).toBeGreaterThanOrEqual(32);
  });

  const notification = (state: string) => JSON.stringify({ value: [{ subscriptionId: 'sub-1', clientState: state, changeType: 'created', resource: 'Users/u1/Messages/m1', resourceData: { '@odata.type': '#Microsoft.Graph.Message', '@odata.id': 'Users/u1/Messages/m1', id: 'm1' }, tenantId: 't1' }] });

  it('refuses a notification without or with a wrong clientState', async () => {
    expect((await fetch(url, { method: 'POST', body: notification('wrong-client-state') })).status).toBe(401);
    expect((await fetch(url, { method: 'POST', body: JSON.stringify({ value: [{ changeType: 'created' }] }) })).status).toBe(401);
    expect(await eventsOf(id)).toEqual([]);
  });

  it('accepts one with the clientState it registered, 202 as Graph expects, and delivers it', async () => {
    const before = receiver.accepted.length;
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: notification(clientState) });
    expect(response.status).toBe(202);
    await platform.local.events.tick();
    expect(receiver.accepted.slice(before)[0]!.body.message.events).toEqual([expect.objectContaining({ eventType: 'CREATED', objectType: 'message', objectId: 'm1' })]);
  });

  it('renews the subscription half a day before Graph would end it, and only then', async () => {
    const renewals = () => vendor.requests.filter((request) => request.method === 'PATCH' && request.path === '/api/subscriptions/sub-1');
    await platform.local.events.tick();
    expect(renewals()).toHaveLength(0);
    clock.advance(GRAPH_SUBSCRIPTION_MINUTES * 60_000 - 12 * HOUR + 1000);
    await platform.local.events.tick();
    expect(renewals()).toHaveLength(1);
    const { expirationDateTime } = JSON.parse(renewals()[0]!.body.toString('utf8'));
    expect(Date.parse(expirationDateTime)).toBe(clock.now() + GRAPH_SUBSCRIPTION_MINUTES * 60_000);
    await platform.local.events.tick();
    clock.advance(HOUR);
    await platform.local.events.tick();
    expect(renewals()).toHaveLength(1);
  });

  it('never shows the clientState, and removes the subscription with the instance', async () => {
    const read = await platform.request('GET', `/elements/api-v2/instances/${id}`);
    expect(read.json.configuration['event.vendor.secret']).toBe('********');
    expect(read.text).not.toContain(clientState);
    expect((await platform.request('DELETE', `/elements/api-v2/instances/${id}`)).status).toBe(200);
    expect(vendor.requests.some((request) => request.method === 'DELETE' && request.path === '/api/subscriptions/sub-1')).toBe(true);
    expect((await fetch(url, { method: 'POST', body: notification(clientState) })).status).toBe(404);
  });
});

describe('Stripe endpoint subscription', () => {
  it('registered the receiver with Stripe, keeps the returned secret sealed, and deletes the endpoint with the instance', async () => {
    const created = vendor.requests.find((request) => request.path === '/api/webhook_endpoints' && request.method === 'POST');
    expect(created).toBeDefined();
    const form = new URLSearchParams(created!.body.toString('utf8'));
    expect(form.get('url')).toMatch(/\/elements\/api-v2\/events\/wh-stripe\//);
    expect(form.getAll('enabled_events[]')).toEqual(['*']);
    const list = await platform.request('GET', '/elements/api-v2/instances?element=wh-stripe');
    expect(list.text).not.toContain(STRIPE_SECRET);
    expect((await platform.request('DELETE', `/elements/api-v2/instances/${list.json[0].id}`)).status).toBe(200);
    expect(vendor.requests.some((request) => request.method === 'DELETE' && request.path === '/api/webhook_endpoints/we_1')).toBe(true);
  });
});

describe('webhook settings', () => {
  it('needs the vendor\'s signing secret where Tollgate cannot create the subscription', async () => {
    await createEventElement(platform, { key: 'wh-nosecret', baseUrl: `${vendor.url}/api`, methods: ['webhook'], scheme: 'slack' });
    const made = await platform.request('POST', '/elements/api-v2/instances', {
      json: { element: { key: 'wh-nosecret' }, name: 'x', configuration: { username: 'u', password: 'p', 'event.notification.enabled': 'true', 'event.vendor.type': 'webhook' } },
    });
    expect(made.status).toBe(422);
    expect(made.json.fields).toEqual([expect.objectContaining({ path: 'configuration.event.vendor.secret' })]);
  });

  it('answers 404 for an unknown receiver', async () => {
    expect((await fetch(`${platform.url}/elements/api-v2/events/wh-github/AAAAAAAAAAAAAAAAAAAAAAAA`, { method: 'POST', body: '{}' })).status).toBe(404);
  });
});
