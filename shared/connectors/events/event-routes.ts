// The events API on Open Connectors paths: an instance's recent events with
// their delivery status and attempts (`GET /instances/{id}/events`, also the
// organization's across instances, `GET /instances/events`), one event,
// redelivery of a dead-lettered one, the poller's state, and the webhook
// receiver vendors call (no platform credentials: its signature is the proof).
// A caller sees the events of the instances it may use (instance-access.ts):
// another user's instance, or its event, is 404 as if it did not exist.
import type { PlatformRouter, Principal } from '../../auth/principal.js';
import { notFound, unprocessable, HttpError } from '../../http/errors.js';
import type { HttpRequest } from '../../http/request.js';
import { ok, type HttpResponse } from '../../http/response.js';
import type { Runtime } from '../../runtime.js';
import { orgPartition, SORT_PREFIX } from '../../store/keys.js';
import { BASE, listHeaders } from '../http.js';
import { canUseInstance } from '../instance-access.js';
import { getInstance, type InstanceItem } from '../instances.js';
import { redeliver, CALLBACK_TARGET } from './delivery.js';
import { pollStatus } from './poller.js';
import { receiveWebhook } from './receiver.js';
import { getNotification, listNotifications, type DeliveryState, type NotificationItem } from './store.js';

const STATES: readonly DeliveryState[] = ['pending', 'delivered', 'dead_lettered'];

/** An event as the API shows it: Open Connectors' fields (`id`, `eventDate`, `status`, `providerData`, `notifiedData`) and the delivery's. */
export function eventView(item: NotificationItem): Record<string, unknown> {
  const message = (JSON.parse(item.payload) as { message: { raw?: unknown } }).message;
  const status = item.deliveryStatus === 'delivered' ? 'NOTIFIED' : item.attempts > 0 ? 'DISPATCHED' : 'NEW';
  const view: Record<string, unknown> = {
    id: item.eventId,
    eventId: item.eventId,
    instanceId: item.instanceId,
    elementKey: item.elementKey,
    source: item.source,
    eventDate: item.receivedAt,
    status,
    deliveryStatus: item.deliveryStatus,
    attempts: item.attempts,
    lastAttemptAt: item.lastAttemptAt,
    nextAttemptAt: item.deliveryStatus === 'pending' ? item.nextAttemptAt : undefined,
    lastResponseStatus: item.lastResponseStatus,
    lastError: item.lastError,
    deliveredAt: item.deliveredAt,
    deadLetteredAt: item.deadLetteredAt,
    events: item.events,
    notifiedData: item.events,
    providerData: JSON.stringify(message.raw ?? null),
  };
  return Object.fromEntries(Object.entries(view).filter(([, value]) => value !== undefined && value !== null));
}

function instanceIdOf(value: string | undefined): number {
  if (!value || !/^\d{1,10}$/.test(value)) throw notFound(`Instance ${value ?? ''} not found`, 'instance_not_found');
  return Number(value);
}

/** The instance of the path, if the caller may use it. */
async function requireUsableInstance(rt: Runtime, principal: Principal, value: string | undefined): Promise<InstanceItem> {
  const id = instanceIdOf(value);
  const instance = await getInstance(rt, principal.organization, id);
  if (!instance || !(await canUseInstance(rt, principal, instance))) throw notFound(`Instance ${id} not found`, 'instance_not_found');
  return instance;
}

/** Whether the caller may see events of an instance, asked once per instance. */
function eventVisibility(rt: Runtime, principal: Principal): (instanceId: number) => Promise<boolean> {
  const known = new Map<number, Promise<boolean>>();
  return (instanceId) => {
    let visible = known.get(instanceId);
    if (!visible) {
      visible = getInstance(rt, principal.organization, instanceId).then((instance) => Boolean(instance) && canUseInstance(rt, principal, instance!));
      known.set(instanceId, visible);
    }
    return visible;
  };
}

async function requireInstanceEvent(rt: Runtime, request: HttpRequest, principal: Principal): Promise<NotificationItem> {
  const eventId = request.params.eventId ?? '';
  const item = await getNotification(rt, principal.organization, eventId);
  const instanceId = request.params.id === undefined ? undefined : instanceIdOf(request.params.id);
  if (!item || (instanceId !== undefined && item.instanceId !== instanceId) || !(await eventVisibility(rt, principal)(item.instanceId))) {
    throw notFound(`Event ${eventId} not found`, 'event_not_found');
  }
  return item;
}

function page(request: HttpRequest): { limit: number; cursor?: string; state?: DeliveryState } {
  const pageSize = request.query.get('pageSize');
  if (pageSize !== null && (!/^\d{1,3}$/.test(pageSize) || Number(pageSize) < 1 || Number(pageSize) > 200)) {
    throw unprocessable('pageSize must be 1-200', [{ path: 'pageSize', message: 'must be 1-200' }]);
  }
  const state = request.query.get('deliveryStatus') ?? undefined;
  if (state !== undefined && !STATES.includes(state as DeliveryState)) {
    throw unprocessable(`deliveryStatus must be one of ${STATES.join(', ')}`, [{ path: 'deliveryStatus', message: `one of ${STATES.join(', ')}` }]);
  }
  const cursor = request.query.get('nextPage') ?? undefined;
  return { limit: pageSize === null ? 50 : Number(pageSize), ...(cursor ? { cursor } : {}), ...(state ? { state: state as DeliveryState } : {}) };
}

const LIST_QUERY = {
  pageSize: { description: 'Events per page, 1-200 (default 50).' },
  nextPage: { description: 'The `elements-next-page-token` of the previous page.' },
  deliveryStatus: { description: 'Only events whose callback delivery is in this state; `dead_lettered` lists the dead letters.', enum: STATES },
};

export function registerEventRoutes(router: PlatformRouter): void {
  const group = router.group({ tag: 'Events' });
  const one = `${BASE}/instances/:id`;

  group.get(`${BASE}/instances/events`, { operationId: 'listEvents', summary: 'The organization\'s recent events, newest first', query: LIST_QUERY }, async (request, rt, principal) => {
    const { limit, cursor, state } = page(request);
    const result = await rt.table.query<NotificationItem>(orgPartition(principal.organization), { prefix: SORT_PREFIX.event, descending: true, limit, ...(cursor ? { cursor } : {}) });
    const visible = eventVisibility(rt, principal);
    const listed = result.items.filter((item) => item.type === 'connectorEvent' && (!state || item.deliveryStatus === state));
    const shown = await Promise.all(listed.map((item) => visible(item.instanceId)));
    const body = listed.filter((_, i) => shown[i]).map(eventView);
    return ok(body, listHeaders(body.length, result.next));
  });
  group.get(`${BASE}/instances/events/:eventId`, { operationId: 'getEvent', summary: 'One event of the organization' }, async (request, rt, principal) => ok(eventView(await requireInstanceEvent(rt, request, principal))));

  group.get(`${one}/events`, { operationId: 'listInstanceEvents', summary: 'An instance\'s recent events with delivery status and attempts', query: LIST_QUERY }, async (request, rt, principal) => {
    const { id } = await requireUsableInstance(rt, principal, request.params.id);
    const result = await listNotifications(rt, principal.organization, id, page(request));
    const body = result.items.map(eventView);
    return ok(body, listHeaders(body.length, result.next));
  });
  group.get(`${one}/events/poller`, { operationId: 'getInstancePoller', summary: 'Where an instance\'s poller stands', description: 'Per polled object: the date it has reached, its last run, last error and the events it found.' }, async (request, rt, principal) => {
    const instance = await requireUsableInstance(rt, principal, request.params.id);
    const status = await pollStatus(rt, instance);
    if (!status) throw notFound(`Instance ${instance.id} is not polled`, 'poller_not_found');
    return ok(status);
  });
  group.get(`${one}/events/:eventId`, { operationId: 'getInstanceEvent', summary: 'One event of an instance' }, async (request, rt, principal) => ok(eventView(await requireInstanceEvent(rt, request, principal))));
  group.post(
    `${one}/events/:eventId/redeliver`,
    {
      operationId: 'redeliverInstanceEvent',
      summary: 'Deliver an event again',
      description: 'A dead-lettered (or still pending) event is sent again at once, with the same body and `Elements-Webhook-Id`, and retried for another 24 hours. A delivered event is 409.',
      bodyOptional: true,
    },
    async (request, rt, principal): Promise<HttpResponse> => {
      const item = await requireInstanceEvent(rt, request, principal);
      if (item.deliveryStatus === 'none') throw new HttpError(409, 'no_callback', `Event ${item.eventId} had no callback URL to deliver to`);
      if (item.deliveryStatus === 'delivered') throw new HttpError(409, 'already_delivered', `Event ${item.eventId} was delivered`);
      await redeliver(rt, principal.organization, item.eventId, CALLBACK_TARGET);
      return ok(eventView((await getNotification(rt, principal.organization, item.eventId))!));
    },
  );

  router.post(
    `${BASE}/events/:elementKey/:receiverId`,
    {
      tag: 'Events',
      auth: 'none',
      operationId: 'receiveWebhook',
      summary: 'Webhook receiver of an instance (called by the vendor)',
      description:
        'The URL to register at the vendor (an instance with webhook events shows it as `event.notification.webhook.url` in its configuration). The vendor\'s signature is checked as the element\'s scheme declares it ' +
        '(GitHub X-Hub-Signature-256, Stripe-Signature, Slack v0 signatures, X-Shopify-Hmac-Sha256, HubSpot v3, Microsoft Graph clientState and validation token); unsigned, badly signed or stale requests are 401 and never delivered.',
      bodies: { 'application/json': 'binary', 'application/x-www-form-urlencoded': 'binary' },
      bodyOptional: true,
      responses: { 200: 'Received.', 202: 'Received (Microsoft Graph).', 401: 'The signature is missing, wrong or stale.', 404: 'No receiver with this id.' },
    },
    (request, rt) => receiveWebhook(rt, request),
  );
}
