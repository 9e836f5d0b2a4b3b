// Delivering a notification to one target: the instance's callback URL or an
// internal sink. At least once: an attempt claims the delivery (a conditional
// write, so two workers never send it at once), sends it, and records the
// result. A 2xx answer (or a sink that returns) is delivered; 5xx, 408, 429,
// timeouts and connection failures are retried with exponential backoff
// (30 s doubling to at most an hour, with jitter) for 24 hours from the first
// attempt, then the delivery is dead-lettered; any other answer (a 4xx, a
// redirect) dead-letters it at once. Every attempt sends the same body and
// the same `Elements-Webhook-Id`, so the receiver can drop repeats; with a
// signature key it carries `Elements-Webhook-Signature: sha256=<base64 HMAC-SHA256>`
// of that body (Open Connectors' event hash verification).
import { createHmac, randomInt } from 'node:crypto';
import { logger } from '../../log.js';
import { OutboundError, outboundRequest } from '../../net/outbound.js';
import type { Runtime } from '../../runtime.js';
import { eventDeliveryKeys, eventKeys, DELIVERIES_DUE_PARTITION } from '../../store/keys.js';
import { getInstance, openCredentials } from '../instances.js';
import { eventQueue, MAX_QUEUE_DELAY_SECONDS } from './queue.js';
import { callbackUrlProblem, eventSettings } from './settings.js';
import { eventSinks, type EventNotification } from './sinks.js';
import { dueKey, expiry, getDelivery, getNotification, type DeliveryItem, type DeliverySummary, type NotificationItem } from './store.js';

export const RETRY_WINDOW_MS = 24 * 3_600_000;
const FIRST_RETRY_MS = 30_000;
const MAX_RETRY_MS = 3_600_000;
/** Longer than one attempt can take, so a live worker never loses its claim. */
const CLAIM_MS = 60_000;
const CALLBACK_TIMEOUT_MS = 10_000;
export const CALLBACK_TARGET = 'callback';

/** Open Connectors' `Elements-Webhook-Signature` value: `sha256=` and the base64 HMAC-SHA256 of the body. */
export function webhookSignature(key: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(body, 'utf8').digest('base64')}`;
}

/** The wait before retry `attempt` (1 for the first retry): doubling from 30 s, at most an hour, plus up to 20 % jitter. */
export function retryDelay(attempt: number): number {
  const base = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(attempt - 1, 20));
  return base + randomInt(0, Math.floor(base / 5) + 1);
}

type Outcome = { ok: true; status?: number } | { ok: false; retry: boolean; status?: number; error: string };

function notificationOf(item: NotificationItem): EventNotification {
  const message = (JSON.parse(item.payload) as { message: { raw?: unknown } }).message;
  return { eventId: item.eventId, organization: item.organization, instanceId: item.instanceId, elementKey: item.elementKey, source: item.source, events: item.events, raw: message.raw };
}

async function sendCallback(rt: Runtime, notification: NotificationItem, attempt: number): Promise<Outcome> {
  const instance = await getInstance(rt, notification.organization, notification.instanceId, true);
  if (!instance) return { ok: false, retry: false, error: 'the instance was deleted' };
  const credentials = await openCredentials(rt, instance);
  const settings = eventSettings(instance.configuration, credentials.secrets);
  if (!settings.callbackUrl) return { ok: false, retry: false, error: 'the instance has no event.notification.callback.url' };
  const problem = await callbackUrlProblem(rt, notification.organization, settings.callbackUrl);
  if (problem) return { ok: false, retry: false, error: `callback URL refused: ${problem}` };
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'Tollgate-Events/1',
    'elements-webhook-id': notification.eventId,
    'elements-webhook-attempt': String(attempt),
  };
  if (settings.signatureKey) headers['elements-webhook-signature'] = webhookSignature(settings.signatureKey, notification.payload);
  try {
    const response = await outboundRequest({
      url: settings.callbackUrl,
      method: 'POST',
      headers,
      body: notification.payload,
      timeoutMs: CALLBACK_TIMEOUT_MS,
      allowLoopback: rt.config.allowLoopback,
      maxResponseBytes: 64 * 1024,
    });
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    const retry = response.status >= 500 || response.status === 408 || response.status === 429;
    return { ok: false, retry, status: response.status, error: `the callback answered ${response.status}` };
  } catch (error) {
    if (error instanceof OutboundError) return { ok: false, retry: error.kind !== 'blocked' && error.kind !== 'invalid_url' && error.kind !== 'invalid_header', error: error.message };
    throw error;
  }
}

async function sendToSink(rt: Runtime, notification: NotificationItem, target: string): Promise<Outcome> {
  const sink = eventSinks(rt).get(target.slice('sink:'.length));
  if (!sink) return { ok: false, retry: true, error: `sink ${target} is not registered here` };
  try {
    await sink.deliver(notificationOf(notification), rt);
    return { ok: true };
  } catch (error) {
    return { ok: false, retry: true, error: `sink ${target} failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300) };
  }
}

/** Writes the callback delivery's state onto the notification, for the events API. */
async function summarize(rt: Runtime, delivery: DeliveryItem): Promise<void> {
  if (delivery.target !== CALLBACK_TARGET) return;
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  const summary: DeliverySummary = {
    deliveryStatus: delivery.state,
    attempts: delivery.attempts,
    ...(delivery.lastAttemptAt !== undefined ? { lastAttemptAt: iso(delivery.lastAttemptAt) } : {}),
    ...(delivery.state === 'pending' ? { nextAttemptAt: iso(delivery.nextAttemptAt) } : {}),
    ...(delivery.lastResponseStatus !== undefined ? { lastResponseStatus: delivery.lastResponseStatus } : {}),
    ...(delivery.lastError !== undefined ? { lastError: delivery.lastError } : {}),
    ...(delivery.deliveredAt ? { deliveredAt: delivery.deliveredAt } : {}),
    ...(delivery.state === 'dead_lettered' ? { deadLetteredAt: iso(delivery.lastAttemptAt) } : {}),
  };
  const set: Record<string, unknown> = { ...summary };
  for (const key of ['lastAttemptAt', 'nextAttemptAt', 'lastResponseStatus', 'lastError', 'deliveredAt', 'deadLetteredAt'] as const) if (!(key in summary)) set[key] = null;
  await rt.table.setIf(eventKeys(delivery.organization, delivery.eventId), set, 'attribute_exists(pk)');
}

export type AttemptResult = 'delivered' | 'retry' | 'dead_lettered' | 'not_due';

/** One attempt of one delivery, if it is due and nobody else is attempting it. */
export async function attemptDelivery(rt: Runtime, organization: string, eventId: string, target: string): Promise<AttemptResult> {
  const keys = eventDeliveryKeys(organization, eventId, target);
  const now = rt.clock.now();
  const holder = `${now}-${Math.random().toString(36).slice(2)}`;
  const claimed = await rt.table.setIf(
    keys,
    { claimHolder: holder, claimUntil: now + CLAIM_MS },
    '#state = :pending AND nextAttemptAt <= :now AND (attribute_not_exists(claimUntil) OR claimUntil < :now)',
    { ':pending': 'pending', ':now': now },
    { '#state': 'state' },
  );
  if (!claimed) return 'not_due';
  const delivery = await getDelivery(rt, organization, eventId, target);
  const notification = await getNotification(rt, organization, eventId);
  if (!delivery) return 'not_due';
  const attempt = delivery.attempts + 1;
  const outcome: Outcome = !notification
    ? { ok: false, retry: false, error: 'the event record is gone' }
    : target === CALLBACK_TARGET
      ? await sendCallback(rt, notification, attempt)
      : await sendToSink(rt, notification, target);
  const at = rt.clock.now();
  const next: DeliveryItem = { ...delivery, attempts: attempt, lastAttemptAt: at, expiresAt: expiry(at) };
  delete next.claimHolder;
  delete next.claimUntil;
  if (outcome.status !== undefined) next.lastResponseStatus = outcome.status;
  let result: AttemptResult;
  if (outcome.ok) {
    result = 'delivered';
    next.state = 'delivered';
    next.deliveredAt = new Date(at).toISOString();
    delete next.lastError;
  } else {
    next.lastError = outcome.error;
    const deadline = delivery.windowStart + RETRY_WINDOW_MS;
    if (!outcome.retry || at >= deadline) {
      result = 'dead_lettered';
      next.state = 'dead_lettered';
    } else {
      result = 'retry';
      next.nextAttemptAt = Math.min(at + retryDelay(attempt), deadline);
    }
  }
  if (next.state === 'pending') {
    next.gsi1pk = DELIVERIES_DUE_PARTITION;
    next.gsi1sk = dueKey(next.nextAttemptAt, organization, eventId, target);
  } else {
    delete next.gsi1pk;
    delete next.gsi1sk;
  }
  const recorded = await rt.table.putIf({ ...next, updatedAt: new Date(at).toISOString(), version: delivery.version + 1 }, 'claimHolder = :holder', { ':holder': holder });
  if (!recorded) return 'not_due';
  await summarize(rt, next);
  const log = { organization, eventId, target, instanceId: delivery.instanceId, attempt, status: outcome.status };
  if (result === 'delivered') logger.info('event delivered', log);
  else if (result === 'dead_lettered') logger.warn('event dead-lettered', { ...log, reason: next.lastError });
  else {
    logger.info('event delivery failed; retrying', { ...log, reason: next.lastError, nextAttemptAt: new Date(next.nextAttemptAt).toISOString() });
    const delaySeconds = (next.nextAttemptAt - at) / 1000;
    if (delaySeconds <= MAX_QUEUE_DELAY_SECONDS) await eventQueue(rt).deliver({ organization, eventId, target }, delaySeconds);
  }
  return result;
}

/**
 * Sends a delivery again from the start of a new 24-hour window: a
 * dead-lettered one (or a pending one, at once). Same body, same id.
 */
export async function redeliver(rt: Runtime, organization: string, eventId: string, target = CALLBACK_TARGET): Promise<DeliveryItem | undefined> {
  const current = await getDelivery(rt, organization, eventId, target);
  if (!current || current.state === 'delivered') return current;
  const now = rt.clock.now();
  const next: DeliveryItem = {
    ...current,
    state: 'pending',
    windowStart: now,
    nextAttemptAt: now,
    gsi1pk: DELIVERIES_DUE_PARTITION,
    gsi1sk: dueKey(now, organization, eventId, target),
    expiresAt: expiry(now),
  };
  delete next.claimHolder;
  delete next.claimUntil;
  const stored = await rt.table.replace<DeliveryItem>(next, current.version);
  await summarize(rt, stored);
  await eventQueue(rt).deliver({ organization, eventId, target });
  logger.info('event redelivery requested', { organization, eventId, target });
  return stored;
}
