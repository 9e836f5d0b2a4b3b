// Stripe webhooks. `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=...]`,
// where v1 is the HMAC-SHA256 of `{t}.{raw body}` keyed with the endpoint's
// signing secret (`whsec_...`); a timestamp more than 5 minutes (the default
// tolerance of Stripe's libraries) from now is refused, against replays
// (docs.stripe.com/webhooks, "Verify webhook signatures manually"). The body
// is an Event object; `data.object` is what changed. When Tollgate creates
// the webhook endpoint itself (POST /v1/webhook_endpoints) Stripe returns the
// signing secret once; it is sealed with the instance.
import { eventTypeOf, fresh, hmacSha256, objectOf, refused, signatureMatches, textOf, VERIFIED, vendorFailure, type WebhookScheme } from './scheme.js';

export const STRIPE_TOLERANCE_MS = 300_000;

export const stripe: WebhookScheme = {
  name: 'stripe',
  secrets: ['vendorSecret'],
  reference: 'https://docs.stripe.com/webhooks#verify-manually',
  verify(request, secret, now) {
    const header = request.headers['stripe-signature'];
    if (!header) return refused('Stripe-Signature is missing');
    const parts = header.split(',').map((part) => part.trim().split('=', 2) as [string, string | undefined]);
    const timestamp = parts.find(([name]) => name === 't')?.[1];
    const candidates = parts.filter(([name, value]) => name === 'v1' && value).map(([, value]) => value!.toLowerCase());
    if (!timestamp || !/^\d{1,12}$/.test(timestamp) || candidates.length === 0) return refused('Stripe-Signature has no timestamp or no v1 signature');
    const expected = hmacSha256(secret, `${timestamp}.${request.body.toString('utf8')}`).digest('hex');
    // Every candidate is compared, so timing does not tell which one matched.
    const matched = candidates.map((candidate) => signatureMatches(candidate, expected)).includes(true);
    if (!matched) return refused('Stripe-Signature does not match');
    return fresh(Number(timestamp) * 1000, now, STRIPE_TOLERANCE_MS) ? VERIFIED : refused('Stripe-Signature timestamp is outside the tolerance');
  },
  deliveryId: (_request, body) => textOf(objectOf(body).id),
  normalize(_request, body, receivedAt) {
    const event = objectOf(body);
    const object = objectOf(objectOf(event.data).object);
    const type = textOf(event.type) ?? 'unknown';
    const objectId = textOf(object.id) ?? textOf(event.id) ?? 'unknown';
    return [
      {
        eventType: eventTypeOf(type),
        objectType: textOf(object.object) ?? type.split('.')[0]!,
        objectId,
        date: typeof event.created === 'number' ? event.created * 1000 : receivedAt,
        changeKey: `stripe:${textOf(event.id) ?? `${type}:${objectId}`}`,
      },
    ];
  },
  subscription: {
    async create(context) {
      const answer = await context.call({
        method: 'POST',
        path: '/webhook_endpoints',
        form: { url: context.receiverUrl, 'enabled_events[]': context.subscribe.length ? context.subscribe : ['*'], description: 'Tollgate connector events' },
      });
      const endpoint = objectOf(answer.body);
      if (answer.status >= 300 || !textOf(endpoint.id)) throw vendorFailure('Creating the Stripe webhook endpoint', answer.status, answer.body);
      return { id: textOf(endpoint.id)!, ...(textOf(endpoint.secret) ? { secret: textOf(endpoint.secret)! } : {}) };
    },
    async remove(context, id) {
      const answer = await context.call({ method: 'DELETE', path: `/webhook_endpoints/${encodeURIComponent(id)}` });
      if (answer.status >= 300 && answer.status !== 404) throw vendorFailure('Deleting the Stripe webhook endpoint', answer.status, answer.body);
    },
  },
};
