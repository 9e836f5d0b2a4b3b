// Turning changed objects into notifications: batches of at most 10 events
// for polling and 20 for webhooks (Open Connectors' limits), each with the
// vendor's raw payload, recorded and handed to every target (the callback URL
// when the instance has one, and each internal sink that wants it). The body
// is Open Connectors' notification: `{"message": {eventId, elementKey,
// instanceId, instanceName, instanceTags, events: [...], raw}}`.
import { createHash } from 'node:crypto';
import { logger } from '../../log.js';
import type { Runtime } from '../../runtime.js';
import { DELIVERIES_DUE_PARTITION, eventDeliveryKeys, eventKeys, instanceEventsLookup } from '../../store/keys.js';
import type { InstanceItem } from '../instances.js';
import { CALLBACK_TARGET } from './delivery.js';
import { eventQueue } from './queue.js';
import type { EventSettings } from './settings.js';
import { eventSinks, type EventNotification, type EventType, type NormalizedEvent } from './sinks.js';
import { dueKey, expiry, newEventId, type DeliveryItem, type NotificationItem } from './store.js';

export const BATCH_SIZE = { polling: 10, webhook: 20 } as const;
/** Raw vendor payloads above this are replaced by a note: an item must stay under DynamoDB's 400 KB. */
export const MAX_RAW_BYTES = 150 * 1024;

export interface ChangedObject {
  eventType: EventType;
  objectType: string;
  objectId: string;
  /** Epoch ms of the change. */
  date: number;
  /** What makes this change unique for the instance (a vendor delivery id, the object and its version). */
  changeKey: string;
}

/** A change's stable id: the same change, seen again after a crash or a vendor retry, has the same one. */
export function changeId(instance: Pick<InstanceItem, 'organization' | 'id'>, changeKey: string): string {
  return createHash('sha256').update(`${instance.organization}\n${instance.id}\n${changeKey}`).digest('base64url').slice(0, 32);
}

/** Removes null values, deeply (`filter.response.nulls`). */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]));
  }
  return value;
}

function boundedRaw(raw: unknown): unknown {
  const text = JSON.stringify(raw ?? null);
  return Buffer.byteLength(text) <= MAX_RAW_BYTES ? raw : { truncated: true, bytes: Buffer.byteLength(text) };
}

/**
 * Records the notifications for `changes` and hands them to their targets.
 * `raw` is the vendor payload of each batch (by index), or one for all.
 */
export async function emitEvents(
  rt: Runtime,
  instance: InstanceItem,
  settings: EventSettings,
  source: 'polling' | 'webhook',
  changes: ChangedObject[],
  raw: (batch: ChangedObject[]) => unknown,
): Promise<NotificationItem[]> {
  const size = BATCH_SIZE[source];
  const recorded: NotificationItem[] = [];
  for (let start = 0; start < changes.length; start += size) {
    const batch = changes.slice(start, start + size);
    const now = rt.clock.now();
    const eventId = newEventId(now);
    const events: NormalizedEvent[] = batch.map((change) => ({
      id: changeId(instance, change.changeKey),
      eventType: change.eventType,
      objectType: change.objectType,
      objectId: change.objectId,
      date: new Date(change.date).toISOString(),
      elementKey: instance.elementKey,
      instanceId: instance.id,
    }));
    const rawPayload = boundedRaw(settings.filterNulls ? withoutNulls(raw(batch)) : raw(batch));
    const payload = JSON.stringify({
      message: {
        eventId,
        elementKey: instance.elementKey,
        instanceId: instance.id,
        instanceName: instance.name,
        instanceTags: instance.tags,
        date: new Date(now).toISOString(),
        events,
        raw: rawPayload,
      },
    });
    const notification: EventNotification = { eventId, organization: instance.organization, instanceId: instance.id, elementKey: instance.elementKey, source, events, raw: rawPayload };
    const targets = [
      ...(settings.callbackUrl ? [CALLBACK_TARGET] : []),
      ...[...eventSinks(rt).values()].filter((sink) => sink.accepts?.(notification) ?? true).map((sink) => `sink:${sink.name}`),
    ];
    const item = await rt.table.create<NotificationItem>({
      ...eventKeys(instance.organization, eventId),
      type: 'connectorEvent',
      eventId,
      organization: instance.organization,
      instanceId: instance.id,
      elementKey: instance.elementKey,
      source,
      receivedAt: new Date(now).toISOString(),
      events,
      payload,
      deliveryStatus: settings.callbackUrl ? 'pending' : 'none',
      attempts: 0,
      ...(settings.callbackUrl ? { nextAttemptAt: new Date(now).toISOString() } : {}),
      gsi1pk: instanceEventsLookup(instance.organization, instance.id),
      gsi1sk: eventId,
      expiresAt: expiry(now),
    });
    for (const target of targets) {
      await rt.table.create<DeliveryItem>({
        ...eventDeliveryKeys(instance.organization, eventId, target),
        type: 'eventDelivery',
        organization: instance.organization,
        eventId,
        instanceId: instance.id,
        target,
        state: 'pending',
        attempts: 0,
        windowStart: now,
        nextAttemptAt: now,
        gsi1pk: DELIVERIES_DUE_PARTITION,
        gsi1sk: dueKey(now, instance.organization, eventId, target),
        expiresAt: expiry(now),
      });
      await eventQueue(rt).deliver({ organization: instance.organization, eventId, target });
    }
    recorded.push(item);
    logger.info('event recorded', { organization: instance.organization, instanceId: instance.id, eventId, source, events: events.length, targets: targets.length });
  }
  return recorded;
}
