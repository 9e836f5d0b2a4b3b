// Microsoft Graph change notifications. Creating a subscription (POST
// /subscriptions) makes Graph call the notification URL with
// `?validationToken=...`, which must be answered within 10 seconds with 200,
// `text/plain`, the token as the body. Notifications are unsigned: each one
// carries the `clientState` given when subscribing, which must match; they are
// answered 202 (learn.microsoft.com, "Set up notifications for changes in
// resource data": notification endpoint validation, processing the change
// notification). Tollgate generates the clientState, seals it with the
// instance, and removes the subscription (DELETE /subscriptions/{id}) with it.
// A subscription ends by itself after its expirationDateTime; Tollgate renews
// it before (PATCH /subscriptions/{id}, "Renew a subscription").
import { safeEqual } from '../../../crypto/compare.js';
import { eventTypeOf, objectOf, refused, textOf, VERIFIED, vendorFailure, type WebhookScheme } from './scheme.js';
import type { ChangedObject } from '../emit.js';
import { createHash } from 'node:crypto';

/** Graph keeps a subscription about three days for most resources (messages, events, contacts); it is renewed half a day before it ends (lifecycle.ts). */
export const GRAPH_SUBSCRIPTION_MINUTES = 4230;

const notificationsOf = (body: unknown) => (Array.isArray(objectOf(body).value) ? (objectOf(body).value as unknown[]) : []);

export const microsoftGraph: WebhookScheme = {
  name: 'microsoft-graph',
  secrets: ['vendorSecret'],
  reference: 'https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks',
  acceptedStatus: 202,
  handshake(request) {
    const token = request.query.get('validationToken');
    if (token === null) return undefined;
    // Echoed as plain text only, never interpreted: nosniff keeps a browser from reading it as anything else.
    return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }, body: token.slice(0, 1024) };
  },
  verify(request, secret) {
    let body: unknown;
    try {
      body = JSON.parse(request.body.toString('utf8'));
    } catch {
      return refused('the body is not JSON');
    }
    return graphClientStateMatches(body, secret) ? VERIFIED : refused('clientState is missing or does not match');
  },
  normalize(_request, body, receivedAt) {
    return notificationsOf(body).map((value): ChangedObject => {
      const notification = objectOf(value);
      const data = objectOf(notification.resourceData);
      const odataType = textOf(data['@odata.type']);
      const resource = textOf(notification.resource) ?? '';
      const objectType = odataType ? odataType.replace(/^#?microsoft\.graph\./i, '').toLowerCase() : (resource.split('/').filter(Boolean).at(-2) ?? 'resource').toLowerCase();
      const objectId = textOf(data.id) ?? resource.split('/').at(-1) ?? 'unknown';
      return {
        eventType: eventTypeOf(textOf(notification.changeType)),
        objectType,
        objectId,
        date: receivedAt,
        changeKey: `graph:${createHash('sha256').update(JSON.stringify(value)).digest('base64url')}`,
      };
    });
  },
  subscription: {
    async create(context) {
      const expiration = new Date(context.now + GRAPH_SUBSCRIPTION_MINUTES * 60_000).toISOString();
      const answer = await context.call({
        method: 'POST',
        path: '/subscriptions',
        json: {
          changeType: (context.subscribe.length ? context.subscribe : ['created', 'updated', 'deleted']).join(','),
          notificationUrl: context.receiverUrl,
          resource: context.resource ?? 'me/messages',
          expirationDateTime: expiration,
          clientState: context.secret,
        },
      });
      const id = textOf(objectOf(answer.body).id);
      if (answer.status >= 300 || !id) throw vendorFailure('Creating the Microsoft Graph subscription', answer.status, answer.body);
      return { id, expiresAt: textOf(objectOf(answer.body).expirationDateTime) ?? expiration };
    },
    async renew(context, id) {
      const expiration = new Date(context.now + GRAPH_SUBSCRIPTION_MINUTES * 60_000).toISOString();
      const answer = await context.call({ method: 'PATCH', path: `/subscriptions/${encodeURIComponent(id)}`, json: { expirationDateTime: expiration } });
      if (answer.status >= 300) throw vendorFailure('Renewing the Microsoft Graph subscription', answer.status, answer.body);
      return { expiresAt: textOf(objectOf(answer.body).expirationDateTime) ?? expiration };
    },
    async remove(context, id) {
      const answer = await context.call({ method: 'DELETE', path: `/subscriptions/${encodeURIComponent(id)}` });
      if (answer.status >= 300 && answer.status !== 404) throw vendorFailure('Deleting the Microsoft Graph subscription', answer.status, answer.body);
    },
  },
};

/** Every notification of the request must carry the instance's clientState. */
export function graphClientStateMatches(body: unknown, secret: string): boolean {
  const notifications = notificationsOf(body);
  if (notifications.length === 0) return false;
  return notifications.map((value) => safeEqual(textOf(objectOf(value).clientState) ?? '', secret)).every(Boolean);
}
