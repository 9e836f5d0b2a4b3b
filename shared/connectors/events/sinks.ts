// The internal subscription point beside the callback URL: a module that wants
// every normalized event (workflow triggers) registers a sink in the runtime
// and receives each notification with the same guarantees as a callback:
// at least once, retried with backoff for a day, dead-lettered after. A sink
// must be idempotent by `eventId` (and each event's `id`).
import type { Runtime } from '../../runtime.js';

export type EventType = 'CREATED' | 'UPDATED' | 'DELETED' | 'UNKNOWN';

/** One changed object, as Open Connectors normalizes it. */
export interface NormalizedEvent {
  /** Stable for the same change: a receiver that sees it twice can tell. */
  id: string;
  eventType: EventType;
  objectType: string;
  objectId: string;
  /** When the object changed (ISO 8601). */
  date: string;
  elementKey: string;
  instanceId: number;
}

/** What one notification carries: up to 20 events of one instance and the vendor's raw payload. */
export interface EventNotification {
  eventId: string;
  organization: string;
  instanceId: number;
  elementKey: string;
  source: 'polling' | 'webhook';
  events: NormalizedEvent[];
  raw: unknown;
}

export interface EventSink {
  /** `[a-z0-9-]`, unique in the runtime: part of each delivery's key. */
  name: string;
  /** Whether this notification is for the sink (all when absent). */
  accepts?(notification: EventNotification): boolean;
  /** Throwing means "not taken": the delivery is retried. */
  deliver(notification: EventNotification, rt: Runtime): Promise<void>;
}

export function eventSinks(rt: Runtime): Map<string, EventSink> {
  return rt.service('connectors.event-sinks', () => new Map<string, EventSink>());
}

export function registerEventSink(rt: Runtime, sink: EventSink): void {
  if (!/^[a-z0-9-]{1,40}$/.test(sink.name)) throw new TypeError(`Event sink name ${sink.name} must be 1-40 of a-z, 0-9 and -`);
  eventSinks(rt).set(sink.name, sink);
}
