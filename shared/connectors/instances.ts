// Connector instances: one authenticated connection between a user's vendor
// account and an element. The record lives under its organization; the
// instance token is found through GSI1 by its keyed fingerprint. The token
// itself and the vendor credentials are sealed with the data key, bound to
// the organization and instance id, and never leave through the API except
// the instance token, which its owner may read back (as in Open Connectors).
import { randomBytes } from 'node:crypto';
import { safeEqual } from '../crypto/compare.js';
import type { Envelope } from '../crypto/envelope.js';
import { logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import type { StoredItem } from '../store/table.js';
import { TtlCache } from '../cache/ttl-cache.js';
import type { ResolvedElement } from './catalog.js';
import { EVENT_KEYS, SECRET_EVENT_KEYS } from './events/settings.js';
import { counterKeys, instanceEventKeys, instanceEventsPrefix, instanceKeys, instanceRefreshLeaseKeys, instanceTokenLookup, orgPartition, SORT_PREFIX } from '../store/keys.js';

export interface VendorCredentials {
  clientId?: string;
  clientSecret?: string;
  accessToken?: string;
  refreshToken?: string;
  /** OAuth 1.0a: the token credentials' secret. */
  tokenSecret?: string;
  tokenType?: string;
  /** Access token expiry, epoch milliseconds. */
  expiresAt?: number;
  scope?: string;
  apiKey?: string;
  username?: string;
  password?: string;
  /** Values of the element's secret configuration fields. */
  secrets?: Record<string, string>;
}

export interface ValidationError {
  code: string;
  message: string;
  at: string;
}

/** The account user an instance belongs to (shared/connectors/instance-access.ts). */
export interface InstanceOwner {
  userId: number;
  accountId: number;
}

export interface InstanceItem extends StoredItem {
  type: 'connectorInstance';
  id: number;
  organization: string;
  name: string;
  elementKey: string;
  elementId: number;
  tags: string[];
  /** Non-secret configuration: element fields, OAuth client id and callback URL, captured token fields. */
  configuration: Record<string, string>;
  sealedToken: string;
  sealedCredentials: string;
  /** Incremented whenever the credentials change (refresh, re-authentication, invalidation). */
  credentialsRevision: number;
  valid: boolean;
  /** A disabled instance answers no resource calls until enabled again. */
  disabled?: boolean;
  /** Why the platform disabled it (after failed refreshes); absent when a user did. */
  disabledReason?: string;
  /** Token refreshes that failed in a row; the fifth disables the instance. */
  failedRefreshes?: number;
  validationError?: ValidationError;
  /** The random id in this instance's webhook receiver URL (events/{elementKey}/{id}). */
  eventReceiverId?: string;
  /** The webhook subscription Tollgate created at the vendor, removed with the instance. */
  eventSubscription?: { scheme: string; id: string; expiresAt?: string };
  /** Set at creation; absent on instances made before instances had owners (the organization user's). */
  owner?: InstanceOwner;
  gsi1pk: string;
  gsi1sk: string;
}

const TOKEN_CACHE_TTL_MS = 5_000;


const credentialsContext = (org: string, id: number) => `connector-instance:${org}:${id}:credentials`;
const tokenContext = (org: string, id: number) => `connector-instance:${org}:${id}:token`;

/** A new instance token: 256 random bits, base64 like Open Connectors' tokens. */
export function generateInstanceToken(): string {
  return randomBytes(32).toString('base64');
}

export function sealCredentials(envelope: Envelope, org: string, id: number, credentials: VendorCredentials): string {
  return envelope.encrypt(JSON.stringify(credentials), credentialsContext(org, id));
}

export async function openCredentials(rt: Runtime, item: InstanceItem): Promise<VendorCredentials> {
  const envelope = await rt.dataKey();
  return JSON.parse(envelope.decryptText(item.sealedCredentials, credentialsContext(item.organization, item.id))) as VendorCredentials;
}

export async function openInstanceToken(rt: Runtime, item: InstanceItem): Promise<string> {
  const envelope = await rt.dataKey();
  return envelope.decryptText(item.sealedToken, tokenContext(item.organization, item.id));
}

/**
 * Instances by token lookup key. Concurrent misses share one GSI query; an
 * unknown token is not remembered (the next call looks again).
 */
function tokenCache(rt: Runtime): TtlCache<string, InstanceItem | undefined> {
  return rt.service(
    'connectors.instance-by-token',
    () => new TtlCache<string, InstanceItem | undefined>({ ttlMs: TOKEN_CACHE_TTL_MS, missTtlMs: 0, maxEntries: 5_000 }),
  );
}

/** Drops this container's cached copies of an instance after it changed. */
export function forgetInstance(rt: Runtime, org: string, id: number): void {
  tokenCache(rt).deleteWhere((item) => item?.organization === org && item.id === id);
}

/** Keeps this container's cached copy current after a refresh it made itself. */
export function rememberInstance(rt: Runtime, item: InstanceItem): void {
  tokenCache(rt).set(item.gsi1pk, item);
}

export interface NewInstance {
  name: string;
  tags: string[];
  configuration: Record<string, string>;
  credentials: VendorCredentials;
  owner?: InstanceOwner | undefined;
}

export async function createInstance(rt: Runtime, org: string, element: ResolvedElement, input: NewInstance): Promise<{ item: InstanceItem; token: string }> {
  const envelope = await rt.dataKey();
  const id = await rt.table.increment(counterKeys(org, 'instance'), 'value', 1);
  const token = generateInstanceToken();
  const item = await rt.table.create<InstanceItem>(
    {
      ...instanceKeys(org, id),
      type: 'connectorInstance',
      id,
      organization: org,
      name: input.name,
      elementKey: element.definition.key,
      elementId: element.definition.id,
      tags: input.tags,
      configuration: input.configuration,
      sealedToken: envelope.encrypt(token, tokenContext(org, id)),
      sealedCredentials: sealCredentials(envelope, org, id, input.credentials),
      credentialsRevision: 1,
      valid: true,
      ...(input.owner ? { owner: input.owner } : {}),
      gsi1pk: instanceTokenLookup(envelope.fingerprint(token)),
      gsi1sk: 'INSTANCE',
    },
    'Instance id already in use',
  );
  logger.info('connector instance created', { organization: org, instanceId: id, element: element.definition.key, ...(input.owner ? { owner: input.owner.userId } : {}) });
  return { item, token };
}

export async function getInstance(rt: Runtime, org: string, id: number, consistent = false): Promise<InstanceItem | undefined> {
  const item = await rt.table.get<InstanceItem>(instanceKeys(org, id), { consistent });
  return item?.type === 'connectorInstance' ? item : undefined;
}

export interface InstanceFilter {
  tags?: string[];
  elementKey?: string;
  limit?: number;
  cursor?: string;
  /** Only instances the caller may list (instance-access.ts). */
  visible?: (item: InstanceItem) => boolean;
}

export async function listInstances(rt: Runtime, org: string, filter: InstanceFilter = {}): Promise<{ items: InstanceItem[]; next?: string }> {
  const page = await rt.table.query<InstanceItem>(orgPartition(org), {
    prefix: SORT_PREFIX.instance,
    limit: filter.limit ?? 200,
    ...(filter.cursor ? { cursor: filter.cursor } : {}),
  });
  const items = page.items.filter(
    (item) =>
      item.type === 'connectorInstance' &&
      (!filter.elementKey || item.elementKey === filter.elementKey) &&
      (filter.tags ?? []).every((tag) => item.tags.includes(tag)) &&
      (!filter.visible || filter.visible(item)),
  );
  return { items, ...(page.next ? { next: page.next } : {}) };
}

export async function countInstancesOfElement(rt: Runtime, org: string, elementKey: string): Promise<number> {
  const items = await rt.table.queryAll<InstanceItem>(orgPartition(org), { prefix: SORT_PREFIX.instance });
  return items.filter((item) => item.type === 'connectorInstance' && item.elementKey === elementKey).length;
}

export interface InstanceChange {
  name?: string;
  tags?: string[];
  /** Switch to another element (a clone of the current one). */
  element?: ResolvedElement;
  configuration?: Record<string, string>;
  /** New vendor credentials: a re-authentication. */
  credentials?: VendorCredentials;
  disabled?: boolean;
}

/**
 * Changes an instance; id and token stay. New credentials are a
 * re-authentication (Open Connectors' "re-authenticate"), anything else an update.
 */
export async function updateInstance(rt: Runtime, item: InstanceItem, change: InstanceChange): Promise<InstanceItem> {
  const envelope = change.credentials ? await rt.dataKey() : undefined;
  const updated = await rt.table.modify<InstanceItem>(instanceKeys(item.organization, item.id), (current) => {
    const next: InstanceItem = {
      ...current,
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...(change.tags !== undefined ? { tags: change.tags } : {}),
      ...(change.element ? { elementKey: change.element.definition.key, elementId: change.element.definition.id } : {}),
      ...(change.configuration ? { configuration: change.configuration } : {}),
      ...(change.disabled !== undefined ? { disabled: change.disabled } : {}),
    };
    // Enabling or re-authenticating starts the count of failed refreshes afresh.
    if (change.disabled !== undefined || change.credentials) {
      delete next.disabledReason;
      delete next.failedRefreshes;
    }
    if (change.credentials && envelope) {
      next.sealedCredentials = sealCredentials(envelope, current.organization, current.id, change.credentials);
      next.credentialsRevision = current.credentialsRevision + 1;
      next.valid = true;
      delete next.validationError;
    }
    return next;
  });
  forgetInstance(rt, item.organization, item.id);
  if (change.credentials) logger.info('connector instance re-authenticated', { organization: item.organization, instanceId: item.id });
  return updated;
}

/** Replaces the credentials after a new authentication; id and token stay (Open Connectors' "re-authenticate"). */
export function reauthenticateInstance(
  rt: Runtime,
  item: InstanceItem,
  input: { name?: string; tags?: string[]; configuration: Record<string, string>; credentials: VendorCredentials },
): Promise<InstanceItem> {
  return updateInstance(rt, item, input);
}

/** Issues a new instance token; the old one stops working. */
export async function regenerateInstanceToken(rt: Runtime, item: InstanceItem): Promise<{ item: InstanceItem; token: string }> {
  const envelope = await rt.dataKey();
  const token = generateInstanceToken();
  const updated = await rt.table.modify<InstanceItem>(instanceKeys(item.organization, item.id), (current) => ({
    ...current,
    sealedToken: envelope.encrypt(token, tokenContext(current.organization, current.id)),
    gsi1pk: instanceTokenLookup(envelope.fingerprint(token)),
  }));
  forgetInstance(rt, item.organization, item.id);
  logger.info('connector instance token regenerated', { organization: item.organization, instanceId: item.id });
  return { item: updated, token };
}

/** Deletes the record, and with it the sealed vendor credentials and the token. */
export async function deleteInstance(rt: Runtime, item: InstanceItem): Promise<void> {
  await rt.table.delete(instanceKeys(item.organization, item.id));
  await rt.table.delete(instanceRefreshLeaseKeys(item.organization, item.id));
  for (const event of await rt.table.queryAll(orgPartition(item.organization), { prefix: instanceEventsPrefix(item.id) })) await rt.table.delete({ pk: event.pk, sk: event.sk });
  forgetInstance(rt, item.organization, item.id);
  logger.info('connector instance deleted', { organization: item.organization, instanceId: item.id });
}

async function loadByLookup(rt: Runtime, lookup: string): Promise<InstanceItem | undefined> {
  const page = await rt.table.query<InstanceItem>(lookup, { index: 'gsi1', limit: 2 });
  return page.items.find((candidate) => candidate.type === 'connectorInstance');
}

/**
 * The instance an `Element <token>` addresses, if it belongs to `org`. Looked
 * up by fingerprint, then checked against the sealed copy in constant time;
 * cached per container for a few seconds.
 */
export async function findInstanceByToken(rt: Runtime, org: string, token: string): Promise<InstanceItem | undefined> {
  if (token.length < 16 || token.length > 512) return undefined;
  const envelope = await rt.dataKey();
  const lookup = instanceTokenLookup(envelope.fingerprint(token));
  const item = await tokenCache(rt).get(lookup, () => loadByLookup(rt, lookup));
  if (!item) return undefined;
  if (item.organization !== org) return undefined;
  const stored = envelope.decryptText(item.sealedToken, tokenContext(item.organization, item.id));
  return safeEqual(token, stored) ? item : undefined;
}

export const MASK = '********';

/** Instance configuration keys that carry credentials: shown masked, never in clear. */
export function credentialKeys(element: ResolvedElement | undefined, item: InstanceItem): string[] {
  const auth = element?.definition.authentication;
  const secretFields = [...(element?.definition.configuration.filter((entry) => entry.secret).map((entry) => entry.key) ?? []), ...SECRET_EVENT_KEYS.filter((key) => key in item.configuration)];
  if (auth?.type === 'oauth2') return ['oauth.api.key', 'oauth.api.secret', ...secretFields];
  if (auth?.type === 'basic') return ['password', ...secretFields];
  if (auth?.type === 'apiKey') return [auth.configKey, ...secretFields];
  if (auth?.type === 'oauth1') return ['oauth.api.key', 'oauth.api.secret', ...secretFields];
  return secretFields.length ? secretFields : Object.keys(item.configuration).filter((key) => key === 'password' || key.startsWith('oauth.api.'));
}

/** The instance's configuration as Open Connectors shows it: every value it has, credentials as `********`. */
export function maskedConfiguration(item: InstanceItem, element: ResolvedElement | undefined): Record<string, string> {
  const masked: Record<string, string> = { ...item.configuration };
  for (const key of credentialKeys(element, item)) masked[key] = MASK;
  return masked;
}

/** The instance as the API shows it (Open Connectors' instance object), with its owner as `user`. Vendor credentials are never part of it. */
export function instanceView(item: InstanceItem, element: ResolvedElement | undefined, token?: string, user?: Record<string, unknown>): Record<string, unknown> {
  const definition = element?.definition;
  return {
    id: item.id,
    name: item.name,
    ...(token !== undefined ? { token } : {}),
    createdDate: item.createdAt,
    updatedDate: item.updatedAt,
    element: {
      id: item.elementId,
      key: item.elementKey,
      ...(definition ? { name: definition.name, hub: definition.hub, active: definition.active, private: element.private, authentication: { type: definition.authentication.type } } : {}),
    },
    elementId: item.elementId,
    provisionInteractions: [],
    valid: item.valid,
    disabled: item.disabled ?? false,
    ...(item.disabledReason ? { disabledReason: item.disabledReason } : {}),
    ...(item.validationError ? { validationError: item.validationError, validationMessage: item.validationError.message } : {}),
    maxCacheSize: 0,
    cacheTimeToLive: 0,
    configuration: maskedConfiguration(item, element),
    eventsEnabled: item.configuration[EVENT_KEYS.enabled] === 'true',
    traceLoggingEnabled: false,
    cachingEnabled: false,
    externalAuthentication: 'none',
    tags: item.tags,
    ...(user ? { user } : {}),
    authenticationType: definition?.authentication.type,
  };
}

export interface InstanceEventItem extends StoredItem {
  type: 'connectorInstanceEvent';
  instanceId: number;
  event: 'instance.disabled';
  reason: string;
  at: string;
}

/** Records what the platform did to an instance (Open Connectors' lifecycle events). */
export async function recordInstanceEvent(rt: Runtime, item: InstanceItem, event: InstanceEventItem['event'], reason: string): Promise<void> {
  const at = new Date().toISOString();
  await rt.table.put({ ...instanceEventKeys(item.organization, item.id, at, randomBytes(4).toString('hex')), type: 'connectorInstanceEvent', instanceId: item.id, event, reason, at });
}

export async function listInstanceEvents(rt: Runtime, org: string, id: number): Promise<InstanceEventItem[]> {
  const items = await rt.table.queryAll<InstanceEventItem>(orgPartition(org), { prefix: instanceEventsPrefix(id) });
  return items.filter((item) => item.type === 'connectorInstanceEvent');
}
