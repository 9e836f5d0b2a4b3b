// Slack's Events API. Each request carries `X-Slack-Request-Timestamp` and
// `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{timestamp}:{raw body}">`,
// keyed with the app's signing secret; a timestamp more than five minutes
// from now is refused against replays (api.slack.com, "Verifying requests
// from Slack"). The `url_verification` request is signed too and answered
// with its `challenge` (api.slack.com/events/url_verification). An
// `event_callback` carries one event; `event_id` identifies it across Slack's
// retries.
import { json } from '../../../http/response.js';
import { eventTypeOf, fresh, hmacSha256, objectOf, refused, signatureMatches, textOf, VERIFIED, type WebhookScheme } from './scheme.js';

export const SLACK_TOLERANCE_MS = 300_000;

export const slack: WebhookScheme = {
  name: 'slack',
  secrets: ['vendorSecret'],
  reference: 'https://api.slack.com/authentication/verifying-requests-from-slack',
  verify(request, secret, now) {
    const timestamp = request.headers['x-slack-request-timestamp'];
    const presented = request.headers['x-slack-signature'];
    if (!timestamp || !presented) return refused('X-Slack-Request-Timestamp or X-Slack-Signature is missing');
    if (!/^\d{1,12}$/.test(timestamp)) return refused('X-Slack-Request-Timestamp is not a timestamp');
    const expected = `v0=${hmacSha256(secret, `v0:${timestamp}:${request.body.toString('utf8')}`).digest('hex')}`;
    if (!signatureMatches(presented.toLowerCase(), expected)) return refused('X-Slack-Signature does not match');
    return fresh(Number(timestamp) * 1000, now, SLACK_TOLERANCE_MS) ? VERIFIED : refused('X-Slack-Request-Timestamp is more than five minutes away');
  },
  signedHandshake: (body) => slackChallenge(body),
  deliveryId: (_request, body) => textOf(objectOf(body).event_id),
  normalize(_request, body, receivedAt) {
    const envelope = objectOf(body);
    if (envelope.type !== 'event_callback') return [];
    const event = objectOf(envelope.event);
    const type = textOf(event.type) ?? 'unknown';
    const subtype = textOf(event.subtype);
    const channel = event.channel;
    const objectId = textOf(objectOf(channel).id) ?? textOf(channel) ?? textOf(objectOf(event.user).id) ?? textOf(event.user) ?? textOf(event.ts) ?? textOf(envelope.event_id) ?? 'unknown';
    const eventType = type === 'message' ? (subtype === 'message_deleted' ? 'DELETED' : subtype === 'message_changed' ? 'UPDATED' : 'CREATED') : eventTypeOf(type);
    return [{ eventType, objectType: type, objectId, date: typeof envelope.event_time === 'number' ? envelope.event_time * 1000 : receivedAt, changeKey: `slack:${textOf(envelope.event_id) ?? `${type}:${objectId}`}` }];
  },
};

/** Slack's URL verification: answered with the challenge once the signature checked out. */
export function slackChallenge(body: unknown) {
  const envelope = objectOf(body);
  return envelope.type === 'url_verification' && typeof envelope.challenge === 'string' ? json(200, { challenge: envelope.challenge }) : undefined;
}
