// Polling: every interval, each configured object of an instance is read from
// the vendor (its `url` with the `${gmtDate:..}` / `${epoch}` placeholders
// filled with the time the previous poll reached), every page to the end, and
// each record changed since then becomes one event. The high-water mark per
// object is the latest updated date seen (with the ids seen at exactly that
// date, so a vendor's `>=` does not repeat them); the first poll only records
// it, so records that existed before produce nothing. The mark moves only
// after the object's whole run succeeded; a change already emitted is
// remembered (30 days) so a run repeated after a failure or a crash does not
// emit it again. A lease on the poll state keeps two workers from polling one
// instance at once.
import { randomId } from '../../crypto/random.js';
import { HttpError } from '../../http/errors.js';
import { logger } from '../../log.js';
import type { Runtime } from '../../runtime.js';
import { eventPollKeys, eventSeenKeys, POLLS_DUE_PARTITION } from '../../store/keys.js';
import type { StoredItem } from '../../store/table.js';
import { findElement, type ResolvedElement } from '../catalog.js';
import { getInstance, openCredentials, type InstanceItem } from '../instances.js';
import { callWithHooks } from '../hooks.js';
import { findResource, vendorUrlOf } from '../resource-proxy.js';
import { headerValue } from '../vendor-http.js';
import { changeId, emitEvents, type ChangedObject } from './emit.js';
import { fillPollTemplate, readDate } from './java-date.js';
import { eventSettings, type EventSettings, type PollObject } from './settings.js';
import { dueBy, dueKey, expiry } from './store.js';

/** Longer than a poll of every object may take (20 objects of up to 1000 pages each are bounded by the function timeout). */
export const POLL_LEASE_MS = 5 * 60_000;
const MAX_PAGES = 1000;
const MAX_IDS_AT_MARK = 1000;
/** Updated-date fields tried when a poll object names none. */
const DATE_FIELDS = ['updated_at', 'updatedAt', 'updated', 'lastModifiedDate', 'LastModifiedDate', 'modified', 'created_at', 'createdAt', 'created'];

export interface ObjectPollState {
  /** Epoch ms of the latest updated date seen. */
  mark?: number;
  idsAtMark: string[];
  lastRunAt?: string;
  lastError?: string;
  lastEvents?: number;
}

export interface PollStateItem extends StoredItem {
  type: 'eventPoll';
  organization: string;
  instanceId: number;
  intervalMinutes: number;
  nextPollAt: number;
  objects: Record<string, ObjectPollState>;
  leaseHolder?: string;
  leaseUntil?: number;
  gsi1pk: string;
  gsi1sk: string;
}


/** Starts (or keeps) an instance's poll schedule; a new one polls at once to record its marks. */
export async function schedulePolls(rt: Runtime, instance: InstanceItem, settings: EventSettings): Promise<void> {
  const keys = eventPollKeys(instance.organization, instance.id);
  const now = rt.clock.now();
  const existing = await rt.table.get<PollStateItem>(keys, { consistent: true });
  if (!existing) {
    await rt.table.put({
      ...keys,
      type: 'eventPoll',
      organization: instance.organization,
      instanceId: instance.id,
      intervalMinutes: settings.intervalMinutes,
      nextPollAt: now,
      objects: {},
      gsi1pk: POLLS_DUE_PARTITION,
      gsi1sk: dueKey(now, instance.organization, instance.id),
    });
    return;
  }
  if (existing.intervalMinutes !== settings.intervalMinutes) {
    const nextPollAt = Math.min(existing.nextPollAt, now + settings.intervalMinutes * 60_000);
    await rt.table.setIf(keys, { intervalMinutes: settings.intervalMinutes, nextPollAt, gsi1sk: dueKey(nextPollAt, instance.organization, instance.id) }, 'attribute_exists(pk)');
  }
}

export async function removePollState(rt: Runtime, instance: Pick<InstanceItem, 'organization' | 'id'>): Promise<void> {
  await rt.table.delete(eventPollKeys(instance.organization, instance.id));
}

/** Instances whose poll is due at `now`, across organizations, most overdue first. */
export async function duePolls(rt: Runtime, now: number, limit = 100): Promise<PollStateItem[]> {
  const page = await rt.table.query<PollStateItem>(POLLS_DUE_PARTITION, { index: 'gsi1', range: dueBy(now), limit });
  return page.items.filter((item) => item.type === 'eventPoll');
}

/**
 * Moves a due poll's next time past the lease, so the scheduler hands it out
 * once; false when another scheduler did already.
 */
export async function claimDuePoll(rt: Runtime, state: PollStateItem, now: number): Promise<boolean> {
  const next = now + POLL_LEASE_MS;
  return rt.table.setIf(eventPollKeys(state.organization, state.instanceId), { nextPollAt: next, gsi1sk: dueKey(next, state.organization, state.instanceId) }, 'nextPollAt = :seen', { ':seen': state.nextPollAt });
}

export function readPath(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

class PollFailure extends Error {
  override name = 'PollFailure';
}

function recordsOf(body: unknown, rootKey: string | undefined): unknown[] {
  const value = rootKey ? readPath(body, rootKey) : body;
  if (!Array.isArray(value)) throw new PollFailure(rootKey ? `the vendor's answer has no list at ${rootKey}` : 'the vendor\'s answer is not a list; set rootKey to where the records are');
  return value;
}

/** The next page's URL: an RFC 8288 `Link: <..>; rel="next"`, or a next link in the body; only on the base URL's origin. */
function nextPage(element: ResolvedElement, current: URL, headers: Record<string, string | string[]>, body: unknown, nextKey: string | undefined): URL | undefined {
  let candidate: string | undefined;
  const link = headerValue({ status: 200, headers, body: Buffer.alloc(0) }, 'link');
  if (link) {
    for (const match of link.matchAll(/<([^>]*)>([^,<]*)/g)) {
      if (/;\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?/i.test(match[2] ?? '')) candidate = match[1];
    }
  }
  if (!candidate && element.definition.pagination?.style === 'next-link') {
    const value = readPath(body, nextKey ?? 'next');
    if (typeof value === 'string' && value) candidate = value;
  }
  if (!candidate) return undefined;
  try {
    const url = new URL(candidate, current);
    return url.origin === current.origin && !url.username && !url.password ? url : undefined;
  } catch {
    return undefined;
  }
}

interface RecordChange {
  change: ChangedObject;
  record: unknown;
  updated: number;
  id: string;
}

function dateOf(record: unknown, field: string | undefined, format: string | undefined, zone: string | undefined): number | undefined {
  if (field) return readDate(readPath(record, field), format === 'epoch' || format === 'milliseconds' ? undefined : format, zone);
  for (const candidate of DATE_FIELDS) {
    const value = readDate(readPath(record, candidate));
    if (value !== undefined) return value;
  }
  return undefined;
}

async function alreadyEmitted(rt: Runtime, instance: InstanceItem, change: ChangedObject): Promise<boolean> {
  return (await rt.table.get(eventSeenKeys(instance.organization, instance.id, changeId(instance, change.changeKey)))) !== undefined;
}

async function remember(rt: Runtime, instance: InstanceItem, changes: ChangedObject[]): Promise<void> {
  const expiresAt = expiry(rt.clock.now());
  for (const change of changes) {
    await rt.table.put({ ...eventSeenKeys(instance.organization, instance.id, changeId(instance, change.changeKey)), type: 'eventSeen', expiresAt });
  }
}

async function pollObject(
  rt: Runtime,
  element: ResolvedElement,
  instance: InstanceItem,
  settings: EventSettings,
  name: string,
  config: PollObject,
  state: ObjectPollState,
): Promise<ObjectPollState> {
  const now = rt.clock.now();
  const since = state.mark ?? now;
  const [path] = config.url.split('?', 1);
  const resource = findResource(element.definition.resources, 'GET', (path ?? '').replace(/^\/hubs\/[^/]+/, '').split('/').filter(Boolean))?.resource;
  const rootKey = config.rootKey ?? resource?.rootKey;
  const dates = config.datesConfiguration ?? {};
  const seen: RecordChange[] = [];
  const filled = fillPollTemplate(config.url, since);
  // The resource's hooks (and the element's) run around each page, as around a resource call.
  const [filledPath = '', filledQuery] = filled.split('?', 2) as [string, string | undefined];
  const incoming = () => ({ method: 'GET', path: filledPath, query: new URLSearchParams(filledQuery ?? ''), headers: {}, body: undefined });
  let url: URL | undefined = vendorUrlOf(element, instance, filled);
  for (let pages = 0; url && pages < MAX_PAGES; pages++) {
    const response = await callWithHooks(rt, element, instance, resource, incoming, { method: 'GET', url, headers: { accept: 'application/json' } });
    if (response.status < 200 || response.status >= 300) throw new PollFailure(`the vendor answered ${response.status} for ${name}`);
    let body: unknown;
    try {
      body = JSON.parse(response.body.toString('utf8'));
    } catch {
      throw new PollFailure(`the vendor's answer for ${name} is not JSON`);
    }
    for (const record of recordsOf(body, rootKey)) {
      const idValue = readPath(record, config.idField);
      const id = typeof idValue === 'string' || typeof idValue === 'number' ? String(idValue) : undefined;
      const updated = dateOf(record, dates.updatedDateField ?? dates.createdDateField, dates.updatedDateField ? dates.updatedDateFormat : dates.createdDateFormat, dates.updatedDateField ? dates.updatedDateTimezone : dates.createdDateTimezone);
      if (id === undefined || updated === undefined) continue;
      const created = dates.createdDateField ? dateOf(record, dates.createdDateField, dates.createdDateFormat, dates.createdDateTimezone) : undefined;
      const deleted = config.deletedField ? Boolean(readPath(record, config.deletedField)) : false;
      const eventType = deleted ? 'DELETED' : state.mark !== undefined && created !== undefined && created > state.mark ? 'CREATED' : 'UPDATED';
      seen.push({ id, updated, record, change: { eventType, objectType: name, objectId: id, date: updated, changeKey: `poll:${name}:${id}:${updated}:${eventType}` } });
    }
    url = nextPage(element, url, response.headers, body, resource?.nextPageKey);
  }
  const latest = seen.reduce((max, entry) => Math.max(max, entry.updated), state.mark ?? Number.NEGATIVE_INFINITY);
  const mark = Number.isFinite(latest) ? latest : now;
  const atMark = new Set(mark === state.mark ? state.idsAtMark : []);
  for (const entry of seen) if (entry.updated === mark) atMark.add(entry.id);
  const next: ObjectPollState = { mark, idsAtMark: [...atMark].slice(-MAX_IDS_AT_MARK), lastRunAt: new Date(now).toISOString(), lastEvents: 0 };
  if (state.mark === undefined) return next; // the first poll only records where the data stands

  const previous = new Set(state.idsAtMark);
  const changed: RecordChange[] = [];
  const byKey = new Map<string, RecordChange>();
  for (const entry of seen) {
    if (entry.updated < state.mark || (entry.updated === state.mark && previous.has(entry.id))) continue;
    if (byKey.has(entry.change.changeKey) || (await alreadyEmitted(rt, instance, entry.change))) continue;
    byKey.set(entry.change.changeKey, entry);
    changed.push(entry);
  }
  if (changed.length) {
    await emitEvents(rt, instance, settings, 'polling', changed.map((entry) => entry.change), (batch) => batch.map((change) => byKey.get(change.changeKey)!.record));
    await remember(rt, instance, changed.map((entry) => entry.change));
  }
  next.lastEvents = changed.length;
  return next;
}

export interface PollResult {
  polled: boolean;
  events: number;
  errors: string[];
}

/** One poll of every configured object of an instance, under its lease; schedules the next one. */
export async function pollInstance(rt: Runtime, organization: string, instanceId: number): Promise<PollResult> {
  const keys = eventPollKeys(organization, instanceId);
  const holder = randomId();
  const now = rt.clock.now();
  const leased = await rt.table.setIf(keys, { leaseHolder: holder, leaseUntil: now + POLL_LEASE_MS }, 'attribute_exists(pk) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)', { ':now': now });
  if (!leased) return { polled: false, events: 0, errors: [] };
  const result: PollResult = { polled: true, events: 0, errors: [] };
  let state = await rt.table.get<PollStateItem>(keys, { consistent: true });
  const instance = await getInstance(rt, organization, instanceId, true);
  const element = instance ? await findElement(rt, organization, instance.elementKey) : undefined;
  const settings = instance && element ? eventSettings(instance.configuration, (await openCredentials(rt, instance)).secrets, element.definition) : undefined;
  if (!state || !instance || !element || !settings?.enabled || settings.type !== 'polling') {
    await rt.table.delete(keys);
    return { polled: false, events: 0, errors: [] };
  }
  const objects: Record<string, ObjectPollState> = {};
  for (const [name, config] of Object.entries(settings.objects)) {
    const before = state.objects[name] ?? { idsAtMark: [] };
    if (instance.disabled || !instance.valid) {
      objects[name] = { ...before, lastError: instance.disabled ? 'the instance is disabled' : 'the instance is not authenticated' };
      continue;
    }
    try {
      objects[name] = await pollObject(rt, element, instance, settings, name, config, before);
      result.events += objects[name]!.lastEvents ?? 0;
    } catch (error) {
      const reason = error instanceof PollFailure || error instanceof HttpError ? error.message : 'internal error';
      if (!(error instanceof PollFailure || error instanceof HttpError)) logger.error('event poll failed', { organization, instanceId, object: name, error: error instanceof Error ? error.name : 'error' });
      objects[name] = { ...before, lastRunAt: new Date(now).toISOString(), lastError: reason };
      result.errors.push(`${name}: ${reason}`);
    }
  }
  const nextPollAt = Math.max(rt.clock.now(), now + settings.intervalMinutes * 60_000);
  state = { ...state, objects, intervalMinutes: settings.intervalMinutes, nextPollAt, gsi1sk: dueKey(nextPollAt, organization, instanceId) };
  delete state.leaseHolder;
  delete state.leaseUntil;
  await rt.table.putIf({ ...state, updatedAt: new Date().toISOString() }, 'leaseHolder = :holder', { ':holder': holder });
  logger.info('event poll', { organization, instanceId, events: result.events, errors: result.errors.length });
  return result;
}

/** The poll state as the events API shows it. */
export async function pollStatus(rt: Runtime, instance: Pick<InstanceItem, 'organization' | 'id'>): Promise<Record<string, unknown> | undefined> {
  const state = await rt.table.get<PollStateItem>(eventPollKeys(instance.organization, instance.id), { consistent: true });
  if (!state) return undefined;
  return {
    intervalMinutes: state.intervalMinutes,
    nextPollAt: new Date(state.nextPollAt).toISOString(),
    objects: Object.fromEntries(
      Object.entries(state.objects).map(([name, object]) => [
        name,
        { ...(object.mark !== undefined ? { since: new Date(object.mark).toISOString() } : {}), ...(object.lastRunAt ? { lastRunAt: object.lastRunAt } : {}), ...(object.lastError ? { lastError: object.lastError } : {}), lastEvents: object.lastEvents ?? 0 },
      ]),
    ),
  };
}
