// Shopify webhooks. `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the
// raw body keyed with the app's client secret (or the webhook signing secret
// of a store's custom app); `X-Shopify-Topic` names the change
// (`orders/create`) and `X-Shopify-Webhook-Id` the delivery, repeated on
// Shopify's retries (shopify.dev, "Deliver webhooks through HTTPS": verify
// webhooks; "Webhook headers"). No timestamp is signed: repeats are dropped by
// the webhook id. Tollgate creates the subscriptions itself with the Admin
// REST API (POST /webhooks.json per topic) and removes them with the instance.
import { eventTypeOf, hmacSha256, isoOrNow, objectOf, refused, signatureMatches, textOf, VERIFIED, vendorFailure, type WebhookScheme } from './scheme.js';

export const shopify: WebhookScheme = {
  name: 'shopify',
  secrets: ['vendorSecret', 'clientSecret'],
  reference: 'https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook',
  verify(request, secret) {
    const presented = request.headers['x-shopify-hmac-sha256'];
    if (!presented) return refused('X-Shopify-Hmac-Sha256 is missing');
    return signatureMatches(presented, hmacSha256(secret, request.body).digest('base64')) ? VERIFIED : refused('X-Shopify-Hmac-Sha256 does not match');
  },
  deliveryId: (request) => request.headers['x-shopify-webhook-id'] ?? request.headers['x-shopify-event-id'],
  normalize(request, body, receivedAt) {
    const topic = request.headers['x-shopify-topic'] ?? 'unknown/update';
    const [objectType, action] = topic.split('/', 2) as [string, string | undefined];
    const object = objectOf(body);
    const objectId = textOf(object.id) ?? textOf(object.admin_graphql_api_id) ?? 'unknown';
    return [
      {
        eventType: eventTypeOf(action),
        objectType,
        objectId,
        date: isoOrNow(object.updated_at ?? request.headers['x-shopify-triggered-at'], receivedAt),
        changeKey: `shopify:${request.headers['x-shopify-webhook-id'] ?? `${topic}:${objectId}:${textOf(object.updated_at) ?? ''}`}`,
      },
    ];
  },
  subscription: {
    async create(context) {
      const ids: string[] = [];
      for (const topic of context.subscribe) {
        const answer = await context.call({ method: 'POST', path: '/webhooks.json', json: { webhook: { topic, address: context.receiverUrl, format: 'json' } } });
        const id = textOf(objectOf(objectOf(answer.body).webhook).id);
        if (answer.status >= 300 || !id) {
          for (const created of ids) await context.call({ method: 'DELETE', path: `/webhooks/${created}.json` }).catch(() => undefined);
          throw vendorFailure(`Subscribing to Shopify's ${topic}`, answer.status, answer.body);
        }
        ids.push(id);
      }
      return { id: ids.join(',') };
    },
    async remove(context, id) {
      for (const webhook of id.split(',').filter(Boolean)) {
        const answer = await context.call({ method: 'DELETE', path: `/webhooks/${encodeURIComponent(webhook)}.json` });
        if (answer.status >= 300 && answer.status !== 404) throw vendorFailure('Deleting a Shopify webhook', answer.status, answer.body);
      }
    },
  },
};
