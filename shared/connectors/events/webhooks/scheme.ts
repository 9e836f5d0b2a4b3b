// What a vendor's webhook scheme is: how its requests are signed and checked,
// what handshake it expects, how its payload becomes normalized events, and,
// where the vendor has an API for it, how a subscription is created and
// removed. One file per vendor, registered in ./index.ts; elements name one in
// `events.webhook.scheme`. Every check is constant-time (safeEqual) and fails
// closed: no secret, no header, a malformed header or a stale timestamp is a
// refusal.
import { createHmac } from 'node:crypto';
import { safeEqual } from '../../../crypto/compare.js';
import type { HttpResponse } from '../../../http/response.js';
import type { ChangedObject } from '../emit.js';
import type { EventType } from '../sinks.js';

export interface WebhookRequest {
  method: string;
  /** The public URL the vendor called (HubSpot signs it). */
  url: string;
  headers: Record<string, string>;
  query: URLSearchParams;
  body: Buffer;
}

export type Verification = { ok: true } | { ok: false; reason: string };

/** Where the key that checks a vendor's signature comes from. */
export type SecretSource = 'vendorSecret' | 'clientSecret';

export interface SubscriptionContext {
  /** This instance's receiver URL, where the vendor is to send its webhooks. */
  receiverUrl: string;
  /** The secret the scheme should register with the vendor (generated when none is configured). */
  secret: string;
  /** What the element asks the vendor for (events, topics, change types). */
  subscribe: string[];
  resource?: string;
  /** Calls the vendor's API with the instance's credential; `path` is under the base URL. */
  call(request: { method: string; path: string; json?: unknown; form?: Record<string, string | string[]> }): Promise<{ status: number; body: unknown }>;
  now: number;
}

export interface Subscription {
  id: string;
  /** A secret the vendor generated (Stripe's endpoint secret) to check its signatures with. */
  secret?: string;
  /** When the vendor ends it by itself (Microsoft Graph), ISO 8601. */
  expiresAt?: string;
}

export interface WebhookScheme {
  name: string;
  /** Where the verification key comes from, in order of preference. */
  secrets: readonly SecretSource[];
  /** The vendor's documentation of the scheme, quoted in the code and the docs. */
  reference: string;
  /** A request that carries no event and needs a particular answer (URL verification); checked before the signature where the vendor sends it unsigned. */
  handshake?(request: WebhookRequest, secret: string | undefined, now: number): HttpResponse | undefined;
  verify(request: WebhookRequest, secret: string, now: number): Verification;
  /** A signed request that carries no event but asks for an answer (Slack's URL verification). */
  signedHandshake?(body: unknown): HttpResponse | undefined;
  /** The vendor's id of this delivery; a repeat of one already received is acknowledged and dropped. */
  deliveryId?(request: WebhookRequest, body: unknown): string | undefined;
  /** The changed objects; `changeKey` unique per change. */
  normalize(request: WebhookRequest, body: unknown, receivedAt: number): ChangedObject[];
  /** The answer once the events are recorded (200 unless the vendor wants another). */
  acceptedStatus?: number;
  subscription?: {
    create(context: SubscriptionContext): Promise<Subscription>;
    remove(context: SubscriptionContext, id: string): Promise<void>;
    /** Extends a subscription that ends by itself (Subscription.expiresAt); returns its new end. */
    renew?(context: SubscriptionContext, id: string): Promise<{ expiresAt: string }>;
  };
}

export const hmacSha256 = (key: string, data: string | Buffer) => createHmac('sha256', key).update(data);

/** Constant-time compare of a presented signature with the expected one. */
export function signatureMatches(presented: string | undefined, expected: string): boolean {
  return presented !== undefined && safeEqual(presented, expected);
}

export const refused = (reason: string): Verification => ({ ok: false, reason });
export const VERIFIED: Verification = { ok: true };

/** A timestamp (epoch seconds or ms) within `toleranceMs` of `now`. */
export function fresh(timestampMs: number, now: number, toleranceMs: number): boolean {
  return Number.isFinite(timestampMs) && Math.abs(now - timestampMs) <= toleranceMs;
}

/** `created`, `opened` ... are creations, `deleted`, `removed` ... deletions, anything else an update. */
export function eventTypeOf(action: string | undefined): EventType {
  if (!action) return 'UPDATED';
  const verb = action.toLowerCase();
  if (/(^|[._/])(create|created|creation|opened|added|add|new)$/.test(verb)) return 'CREATED';
  if (/(^|[._/])(delete|deleted|deletion|removed|remove|archived)$/.test(verb)) return 'DELETED';
  return 'UPDATED';
}

export const objectOf = (value: unknown): Record<string, unknown> => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {});
export const textOf = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined);

export function isoOrNow(value: unknown, now: number): number {
  if (typeof value === 'number') return value < 1e11 ? value * 1000 : value;
  const parsed = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(parsed) ? now : parsed;
}

export function vendorFailure(what: string, status: number, body: unknown): Error {
  const message = textOf(objectOf(objectOf(body).error).message) ?? textOf(objectOf(body).message) ?? '';
  return new Error(`${what} failed: the vendor answered ${status}${message ? ` (${message.slice(0, 200)})` : ''}`);
}
