// Delivery of connector events at the HTTP level: a signed GitHub webhook is
// received, recorded and POSTed to a loopback callback, signed as Open
// Connectors signs (`Elements-Webhook-Signature: sha256=<base64 HMAC>`), at
// least once, retried with backoff, dead-lettered after 24 hours, redelivered
// on request. The runtime's clock is the test's: the real scheduler and the
// real HTTP calls run, only time is moved.
import { createHmac } from 'node:crypto';
import { sign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerEventSink } from '../../shared/connectors/events/sinks.js';
import { ManualClock } from '../support/clock.js';
import { createEventElement, createEventInstance, startReceiver, type Receiver } from '../support/events.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';

const HOUR = 3_600_000;
const SIGNATURE_KEY = 'abcd1234efgh5678';
const VENDOR_SECRET = 'github-webhook-secret-1';

let platform: TestPlatform;
let clock: ManualClock;
const receivers: Receiver[] = [];

beforeAll(async () => {
  platform = await startPlatform();
  clock = new ManualClock();
  platform.local.runtime.clock = clock;
  await createEventElement(platform, { key: 'hooks', baseUrl: 'http://127.0.0.1:9/api', methods: ['webhook'], scheme: 'github' });
});
afterAll(async () => {
  await platform.close();
  for (const receiver of receivers) await receiver.close();
});

async function receiverFor(status: (n: number) => number) {
  const receiver = await startReceiver(status);
  receivers.push(receiver);
  const instance = await createEventInstance(platform, 'hooks', {
    'event.notification.enabled': true,
    'event.vendor.type': 'webhook',
    'event.notification.callback.url': `${receiver.url}/events`,
    'event.notification.signature.key': SIGNATURE_KEY,
    'event.vendor.secret': VENDOR_SECRET,
  });
  return { receiver, instance };
}

/** Sends the vendor's webhook for an issue change, signed as GitHub signs it. */
async function githubWebhook(webhookUrl: string, issueId: number, delivery = `d-${issueId}-${Math.random()}`) {
  const body = JSON.stringify({ action: 'edited', issue: { id: issueId, updated_at: new Date(clock.now()).toISOString() } });
  const response = await fetch(webhookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': 'issues', 'x-github-delivery': delivery, 'x-hub-signature-256': await sign(VENDOR_SECRET, body) },
    body,
  });
  expect(response.status).toBe(200);
}

async function tickAfter(ms: number) {
  clock.advance(ms);
  await platform.local.events.tick();
}

describe('connector event delivery', () => {
  it('delivers once to a receiver that fails three times, with the same id and body every time', async () => {
    const { receiver, instance } = await receiverFor((n) => (n <= 3 ? 503 : 200));
    expect(instance.configuration['event.notification.signature.key']).toBe('********');
    expect(instance.configuration['event.vendor.secret']).toBe('********');
    await githubWebhook(instance.configuration['event.notification.webhook.url']!, 7);
    await platform.local.events.tick();
    for (let i = 0; i < 6; i++) await tickAfter(HOUR);

    expect(receiver.requests).toHaveLength(4);
    expect(receiver.accepted).toHaveLength(1);
    const ids = new Set(receiver.requests.map((request) => request.headers['elements-webhook-id']));
    expect(ids.size).toBe(1);
    expect(new Set(receiver.requests.map((request) => request.body.toString('utf8'))).size).toBe(1);
    const { headers, body } = receiver.accepted[0]!;
    const raw = receiver.requests[3]!.body.toString('utf8');
    expect(headers['elements-webhook-signature']).toBe(`sha256=${createHmac('sha256', SIGNATURE_KEY).update(raw).digest('base64')}`);
    expect(body.message).toMatchObject({ eventId: [...ids][0], elementKey: 'hooks', instanceId: instance.id, raw: { action: 'edited', issue: { id: 7 } } });
    expect(body.message.events).toEqual([expect.objectContaining({ eventType: 'UPDATED', objectType: 'issues', objectId: '7', elementKey: 'hooks', instanceId: instance.id })]);

    const listed = await platform.request('GET', `/elements/api-v2/instances/${instance.id}/events`);
    expect(listed.status).toBe(200);
    expect(listed.json).toEqual([expect.objectContaining({ id: body.message.eventId, status: 'NOTIFIED', deliveryStatus: 'delivered', attempts: 4, lastResponseStatus: 200 })]);
    const one = await platform.request('GET', `/elements/api-v2/instances/events/${body.message.eventId}`);
    expect(one.json).toMatchObject({ id: body.message.eventId, providerData: expect.stringContaining('"edited"') });
  });

  it('dead-letters a delivery that never succeeds after 24 hours, and redelivers it on request', async () => {
    let healthy = false;
    const { receiver, instance } = await receiverFor(() => (healthy ? 200 : 500));
    await githubWebhook(instance.configuration['event.notification.webhook.url']!, 8);
    await platform.local.events.tick();
    for (let elapsed = 0; elapsed <= 26 * HOUR; elapsed += HOUR) await tickAfter(HOUR);

    const failed = receiver.requests.length;
    expect(failed).toBeGreaterThan(10);
    const dead = await platform.request('GET', `/elements/api-v2/instances/${instance.id}/events?deliveryStatus=dead_lettered`);
    expect(dead.json).toEqual([expect.objectContaining({ status: 'DISPATCHED', deliveryStatus: 'dead_lettered', attempts: failed, lastResponseStatus: 500 })]);
    expect((await platform.request('GET', `/elements/api-v2/instances/${instance.id}/events?deliveryStatus=pending`)).json).toEqual([]);
    await tickAfter(10 * HOUR);
    expect(receiver.requests).toHaveLength(failed);

    healthy = true;
    const eventId = dead.json[0].id as string;
    const again = await platform.request('POST', `/elements/api-v2/instances/${instance.id}/events/${eventId}/redeliver`);
    expect(again.status).toBe(200);
    await platform.local.events.tick();
    expect(receiver.accepted).toHaveLength(1);
    expect(receiver.accepted[0]!.headers['elements-webhook-id']).toBe(eventId);
    expect((await platform.request('GET', `/elements/api-v2/instances/${instance.id}/events/${eventId}`)).json).toMatchObject({ deliveryStatus: 'delivered', status: 'NOTIFIED' });
    expect((await platform.request('POST', `/elements/api-v2/instances/${instance.id}/events/${eventId}/redeliver`)).status).toBe(409);
  });

  it('shows an instance\'s events only to those who may use the instance', async () => {
    const { instance } = await receiverFor(() => 200);
    await githubWebhook(instance.configuration['event.notification.webhook.url']!, 11);
    await platform.local.events.tick();
    const [event] = (await platform.request('GET', `/elements/api-v2/instances/${instance.id}/events`)).json as { id: string }[];
    // A user of another account: the organization user's instance is not theirs to see.
    const account = await platform.request('POST', '/elements/api-v2/accounts', { json: { name: 'Other customer', externalId: 'other-customer' } });
    const user = await platform.request('POST', `/elements/api-v2/accounts/${account.json.id}/users`, { json: { email: 'eve@other.example', firstName: 'Eve', lastName: 'Other' } });
    expect(user.status, user.text).toBe(200);
    const auth = `User ${user.json.secret}, Organization ${platform.local.credentials.organizationSecret}`;
    for (const path of [`/instances/${instance.id}/events`, `/instances/${instance.id}/events/poller`, `/instances/${instance.id}/events/${event!.id}`, `/instances/events/${event!.id}`]) {
      expect((await platform.request('GET', `/elements/api-v2${path}`, { auth })).status, path).toBe(404);
    }
    // Redelivery is a write, which this user's role may not make at all.
    expect([403, 404]).toContain((await platform.request('POST', `/elements/api-v2/instances/${instance.id}/events/${event!.id}/redeliver`, { auth })).status);
    const listed = (await platform.request('GET', '/elements/api-v2/instances/events', { auth })).json as { id: string }[];
    expect(listed.map((e) => e.id)).not.toContain(event!.id);
    expect(((await platform.request('GET', '/elements/api-v2/instances/events')).json as { id: string }[]).map((e) => e.id)).toContain(event!.id);
  });

  it('dead-letters at once when the receiver refuses with a 4xx', async () => {
    const { receiver, instance } = await receiverFor(() => 410);
    await githubWebhook(instance.configuration['event.notification.webhook.url']!, 9);
    await platform.local.events.tick();
    await tickAfter(2 * HOUR);
    expect(receiver.requests).toHaveLength(1);
    expect((await platform.request('GET', `/elements/api-v2/instances/${instance.id}/events`)).json[0]).toMatchObject({ deliveryStatus: 'dead_lettered', attempts: 1, lastResponseStatus: 410 });
  });

  it('hands every event to a registered sink with the same guarantees as a callback', async () => {
    const seen: string[] = [];
    let calls = 0;
    registerEventSink(platform.local.runtime, {
      name: 'workflow-triggers',
      accepts: (notification) => notification.elementKey === 'hooks',
      async deliver(notification) {
        if (++calls === 1) throw new Error('not ready yet');
        seen.push(...notification.events.map((event) => `${event.eventType} ${event.objectId}`));
      },
    });
    const { instance } = await receiverFor(() => 200);
    await githubWebhook(instance.configuration['event.notification.webhook.url']!, 10);
    await platform.local.events.tick();
    expect(seen).toEqual([]);
    await tickAfter(HOUR);
    await tickAfter(HOUR);
    expect(seen).toEqual(['UPDATED 10']);
    platform.local.runtime.service('connectors.event-sinks', () => new Map()).delete('workflow-triggers');
  });

  it('refuses a callback URL outside the organization\'s allowed origins or on a metadata address', async () => {
    for (const url of ['https://elsewhere.example/events', 'http://169.254.169.254/latest', 'ftp://127.0.0.1/x']) {
      const made = await platform.request('POST', '/elements/api-v2/instances', {
        json: { element: { key: 'hooks' }, name: 'bad', configuration: { username: 'u', password: 'p', 'event.notification.enabled': 'true', 'event.vendor.type': 'webhook', 'event.vendor.secret': VENDOR_SECRET, 'event.notification.callback.url': url } },
      });
      expect(made.status, url).toBe(422);
      expect(made.json.fields[0].path).toBe('configuration.event.notification.callback.url');
    }
  });
});
