// HubSpot webhooks, signature v3: `X-HubSpot-Signature-v3` is the base64
// HMAC-SHA256, keyed with the app's client secret, of method + URI + raw body
// + `X-HubSpot-Request-Timestamp` (epoch ms); a timestamp older than five
// minutes is refused. The URI is the full URL HubSpot called, with the
// percent-encodings HubSpot decodes before signing decoded
// (developers.hubspot.com, "Validating requests from HubSpot", v3). A request
// carries a list of events (`subscriptionType` such as `contact.creation`,
// `objectId`, `occurredAt`, `eventId`).
import { fresh, hmacSha256, objectOf, refused, signatureMatches, textOf, VERIFIED, type WebhookScheme } from './scheme.js';
import type { ChangedObject } from '../emit.js';

export const HUBSPOT_MAX_AGE_MS = 300_000;

/** The encodings HubSpot's v3 signature decodes in the URI. */
const DECODED: Record<string, string> = { '%3A': ':', '%2F': '/', '%3F': '?', '%40': '@', '%21': '!', '%24': '$', '%27': "'", '%28': '(', '%29': ')', '%2A': '*', '%2C': ',', '%3B': ';' };

export function hubspotUri(url: string): string {
  return url.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (match) => DECODED[match.toUpperCase()]!);
}

export const hubspot: WebhookScheme = {
  name: 'hubspot',
  secrets: ['clientSecret', 'vendorSecret'],
  reference: 'https://developers.hubspot.com/docs/api/webhooks/validating-requests',
  verify(request, secret, now) {
    const presented = request.headers['x-hubspot-signature-v3'];
    const timestamp = request.headers['x-hubspot-request-timestamp'];
    if (!presented || !timestamp) return refused('X-HubSpot-Signature-v3 or X-HubSpot-Request-Timestamp is missing');
    if (!/^\d{1,15}$/.test(timestamp)) return refused('X-HubSpot-Request-Timestamp is not a timestamp');
    const expected = hmacSha256(secret, `${request.method}${hubspotUri(request.url)}${request.body.toString('utf8')}${timestamp}`).digest('base64');
    if (!signatureMatches(presented, expected)) return refused('X-HubSpot-Signature-v3 does not match');
    const age = now - Number(timestamp);
    return age <= HUBSPOT_MAX_AGE_MS && fresh(Number(timestamp), now, HUBSPOT_MAX_AGE_MS) ? VERIFIED : refused('X-HubSpot-Request-Timestamp is older than five minutes');
  },
  normalize(_request, body, receivedAt) {
    const events = Array.isArray(body) ? body : [body];
    return events.map((value): ChangedObject => {
      const event = objectOf(value);
      const [objectType, change] = (textOf(event.subscriptionType) ?? 'object.propertyChange').split('.', 2) as [string, string | undefined];
      const objectId = textOf(event.objectId) ?? 'unknown';
      return {
        eventType: change === 'creation' ? 'CREATED' : change === 'deletion' ? 'DELETED' : 'UPDATED',
        objectType,
        objectId,
        date: typeof event.occurredAt === 'number' ? event.occurredAt : receivedAt,
        changeKey: `hubspot:${textOf(event.eventId) ?? `${objectType}:${objectId}:${textOf(event.occurredAt) ?? ''}`}`,
      };
    });
  },
};
