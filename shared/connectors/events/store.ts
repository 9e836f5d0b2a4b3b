// Event records in the table: one notification per batch of changed objects
// (what the events API lists), one delivery per notification and target (the
// callback URL, or an internal sink), each kept 30 days. Pending deliveries
// are indexed by their next attempt time under one gsi1 partition, which is
// the local queue and, on AWS, the sweep's safety net behind SQS.
import { randomBytes } from 'node:crypto';
import type { Runtime } from '../../runtime.js';
import { DELIVERIES_DUE_PARTITION, eventDeliveryKeys, eventKeys, instanceEventsLookup } from '../../store/keys.js';
import type { StoredItem } from '../../store/table.js';
import type { NormalizedEvent } from './sinks.js';

export const RETENTION_SECONDS = 30 * 86_400;

export type DeliveryState = 'pending' | 'delivered' | 'dead_lettered';

/** The callback delivery's state, summarized on the notification for the events API. */
export interface DeliverySummary {
  deliveryStatus: DeliveryState | 'none';
  attempts: number;
  lastAttemptAt?: string;
  nextAttemptAt?: string;
  lastResponseStatus?: number;
  lastError?: string;
  deliveredAt?: string;
  deadLetteredAt?: string;
}

export interface NotificationItem extends StoredItem, DeliverySummary {
  type: 'connectorEvent';
  eventId: string;
  organization: string;
  instanceId: number;
  elementKey: string;
  source: 'polling' | 'webhook';
  receivedAt: string;
  events: NormalizedEvent[];
  /** The exact JSON body every delivery sends (signed as is). */
  payload: string;
  gsi1pk: string;
  gsi1sk: string;
}

export interface DeliveryItem extends StoredItem {
  type: 'eventDelivery';
  organization: string;
  eventId: string;
  instanceId: number;
  /** `callback`, or `sink:{name}`. */
  target: string;
  state: DeliveryState;
  attempts: number;
  /** Retries stop (dead letter) 24 h after this, epoch ms: the first attempt, or the redelivery. */
  windowStart: number;
  nextAttemptAt: number;
  claimHolder?: string;
  claimUntil?: number;
  lastAttemptAt?: number;
  lastResponseStatus?: number;
  lastError?: string;
  deliveredAt?: string;
}

/** Time-ordered ids: 12 hex digits of epoch ms, then 80 random bits. */
export function newEventId(now: number): string {
  return `${Math.floor(now).toString(16).padStart(12, '0')}${randomBytes(10).toString('hex')}`;
}

export const EVENT_ID = /^[0-9a-f]{32}$/;

/** The gsi1 sort key of work due at `at` (epoch ms) in a time-ordered due partition: the time first, then what names the work. */
export const dueKey = (at: number, ...names: (string | number)[]) => [String(Math.max(0, Math.floor(at))).padStart(15, '0'), ...names].join('#');

/** The gsi1 sort-key range of everything due at `now` or before. */
export const dueBy = (now: number): readonly [string, string] => ['0', `${dueKey(now)}#~`];

export function expiry(now: number): number {
  return Math.ceil(now / 1000) + RETENTION_SECONDS;
}

export async function getNotification(rt: Runtime, org: string, eventId: string): Promise<NotificationItem | undefined> {
  if (!EVENT_ID.test(eventId)) return undefined;
  const item = await rt.table.get<NotificationItem>(eventKeys(org, eventId), { consistent: true });
  return item?.type === 'connectorEvent' ? item : undefined;
}

export async function getDelivery(rt: Runtime, org: string, eventId: string, target: string): Promise<DeliveryItem | undefined> {
  const item = await rt.table.get<DeliveryItem>(eventDeliveryKeys(org, eventId, target), { consistent: true });
  return item?.type === 'eventDelivery' ? item : undefined;
}

/** An instance's notifications, newest first. */
export async function listNotifications(rt: Runtime, org: string, instanceId: number, page: { limit: number; cursor?: string; state?: DeliveryState }) {
  const result = await rt.table.query<NotificationItem>(instanceEventsLookup(org, instanceId), {
    index: 'gsi1',
    descending: true,
    limit: page.limit,
    ...(page.cursor ? { cursor: page.cursor } : {}),
  });
  const items = result.items.filter((item) => item.type === 'connectorEvent' && item.organization === org && (!page.state || item.deliveryStatus === page.state));
  return { items, ...(result.next ? { next: result.next } : {}) };
}

/** Pending deliveries due at `now` (or before), across organizations, oldest first. */
export async function dueDeliveries(rt: Runtime, now: number, limit = 100): Promise<DeliveryItem[]> {
  const page = await rt.table.query<DeliveryItem>(DELIVERIES_DUE_PARTITION, { index: 'gsi1', range: dueBy(now), limit });
  return page.items.filter((item) => item.type === 'eventDelivery' && item.state === 'pending');
}
