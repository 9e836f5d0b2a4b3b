// The webhook receiver: `POST /elements/api-v2/events/{elementKey}/{receiverId}`,
// one URL per instance (Open Connectors' `/events/{elementKey}/...` path, with a
// random id instead of the instance's number, which is only unique in its
// organization). It answers the vendor's handshake, checks the signature as
// the element's scheme declares it (401 and nothing recorded when it is
// missing, wrong or stale), drops a delivery it already received, and records
// the normalized events, which are then delivered like polled ones.
import { notFound, payloadTooLarge, badRequest, HttpError } from '../../http/errors.js';
import type { HttpRequest } from '../../http/request.js';
import { json, type HttpResponse } from '../../http/response.js';
import { logger } from '../../log.js';
import type { Runtime } from '../../runtime.js';
import { eventSeenKeys } from '../../store/keys.js';
import { findElement } from '../catalog.js';
import { openCredentials } from '../instances.js';
import { changeId, emitEvents } from './emit.js';
import { instanceOfReceiver, verificationSecret, webhookScheme } from './lifecycle.js';
import { eventSettings } from './settings.js';
import { expiry } from './store.js';
import type { WebhookRequest } from './webhooks/scheme.js';

export const MAX_WEBHOOK_BYTES = 1024 * 1024;

function parseBody(request: HttpRequest): unknown {
  const text = request.body.toString('utf8');
  if (text.trim() === '') return {};
  const type = (request.headers['content-type'] ?? '').toLowerCase();
  try {
    // GitHub's form content type puts the JSON payload in a `payload` field.
    if (type.startsWith('application/x-www-form-urlencoded')) return JSON.parse(new URLSearchParams(text).get('payload') ?? '{}');
    return JSON.parse(text);
  } catch {
    throw badRequest('The webhook body is not JSON', 'invalid_body');
  }
}

export async function receiveWebhook(rt: Runtime, request: HttpRequest): Promise<HttpResponse> {
  const elementKey = request.params.elementKey ?? '';
  const instance = await instanceOfReceiver(rt, elementKey, request.params.receiverId ?? '');
  const element = instance ? await findElement(rt, instance.organization, instance.elementKey) : undefined;
  const scheme = element ? webhookScheme(element) : undefined;
  if (!instance || !element || !scheme) throw notFound('No webhook receiver here', 'receiver_not_found');
  const credentials = await openCredentials(rt, instance);
  const settings = eventSettings(instance.configuration, credentials.secrets, element.definition);
  if (!settings.enabled || settings.type !== 'webhook') throw notFound('Webhook events are not enabled for this receiver', 'receiver_not_found');
  if (request.body.length > MAX_WEBHOOK_BYTES) throw payloadTooLarge(`Webhook bodies are limited to ${MAX_WEBHOOK_BYTES} bytes`);

  const now = rt.clock.now();
  const query = new URLSearchParams(request.query);
  const webhook: WebhookRequest = {
    method: request.method,
    url: `${rt.config.issuer}${request.path}${query.size ? `?${query.toString()}` : ''}`,
    headers: request.headers,
    query: request.query,
    body: request.body,
  };
  const secret = verificationSecret(scheme, settings, credentials);
  const handshake = scheme.handshake?.(webhook, secret, now);
  if (handshake) return handshake;
  const refuse = (reason: string) => {
    logger.warn('webhook refused', { organization: instance.organization, instanceId: instance.id, scheme: scheme.name, reason });
    return new HttpError(401, 'invalid_signature', `The webhook signature was not accepted: ${reason}`);
  };
  if (!secret) throw refuse('no verification secret is configured');
  const verified = scheme.verify(webhook, secret, now);
  if (!verified.ok) throw refuse(verified.reason);

  const body = parseBody(request);
  const signed = scheme.signedHandshake?.(body);
  if (signed) return signed;
  const deliveryId = scheme.deliveryId?.(webhook, body);
  const seen = deliveryId ? eventSeenKeys(instance.organization, instance.id, changeId(instance, `delivery:${scheme.name}:${deliveryId}`)) : undefined;
  if (seen && (await rt.table.get(seen))) {
    logger.info('webhook repeated', { organization: instance.organization, instanceId: instance.id, scheme: scheme.name });
    return json(scheme.acceptedStatus ?? 200, { received: 0, duplicate: true });
  }
  const changes = scheme.normalize(webhook, body, now);
  if (changes.length) await emitEvents(rt, instance, settings, 'webhook', changes, () => body);
  if (seen) await rt.table.put({ ...seen, type: 'eventSeen', expiresAt: expiry(now) });
  return json(scheme.acceptedStatus ?? 200, { received: changes.length });
}
