// GitHub webhooks. GitHub signs the raw body with the webhook's secret:
// `X-Hub-Signature-256: sha256=<hex HMAC-SHA256>`; it sends no signed
// timestamp, so a replay is caught by `X-GitHub-Delivery`, the delivery's
// unique id (docs.github.com, "Validating webhook deliveries"; "Webhook events
// and payloads": X-GitHub-Event, X-GitHub-Delivery). The event name is the
// object type (`issues`, `pull_request`, `push`), `action` its change.
import { eventTypeOf, hmacSha256, isoOrNow, objectOf, refused, signatureMatches, textOf, VERIFIED, type WebhookScheme } from './scheme.js';

/** The payload key of the object an event is about, where it is not the event name itself. */
const SUBJECT: Record<string, string> = { issues: 'issue', pull_request: 'pull_request', issue_comment: 'comment', release: 'release', repository: 'repository', star: 'repository', push: 'head_commit' };

export const github: WebhookScheme = {
  name: 'github',
  secrets: ['vendorSecret'],
  reference: 'https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries',
  verify(request, secret) {
    const presented = request.headers['x-hub-signature-256'];
    if (!presented) return refused('X-Hub-Signature-256 is missing');
    return signatureMatches(presented.toLowerCase(), `sha256=${hmacSha256(secret, request.body).digest('hex')}`) ? VERIFIED : refused('X-Hub-Signature-256 does not match');
  },
  deliveryId: (request) => request.headers['x-github-delivery'],
  normalize(request, body, receivedAt) {
    const event = request.headers['x-github-event'] ?? 'unknown';
    if (event === 'ping') return [];
    const payload = objectOf(body);
    const subject = objectOf(payload[SUBJECT[event] ?? event] ?? payload.repository);
    const objectId = textOf(subject.id) ?? textOf(payload.after) ?? request.headers['x-github-delivery'] ?? 'unknown';
    return [
      {
        eventType: event === 'push' ? 'UPDATED' : eventTypeOf(textOf(payload.action)),
        objectType: event,
        objectId,
        date: isoOrNow(subject.updated_at ?? subject.timestamp, receivedAt),
        changeKey: `github:${request.headers['x-github-delivery'] ?? `${event}:${objectId}:${textOf(payload.action) ?? ''}`}`,
      },
    ];
  },
};
