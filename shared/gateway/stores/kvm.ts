// Key value maps at organization, environment and API proxy scope. Values of
// encrypted maps are sealed with AES-256-GCM, bound to their map and key, and
// masked when read back through the management API. The runtime reads entries
// through a per-container cache (KeyValueMapOperations' ExpiryTimeInSecs).
import { TtlCache } from '../../cache/ttl-cache.js';
import { conflict, notFound } from '../../http/errors.js';
import type { Runtime } from '../../runtime.js';
import type { StoredItem } from '../../store/table.js';
import { kvmEntriesPrefix, kvmEntryKeys, kvmKeys, kvmsPrefix, orgPartition } from '../../store/keys.js';

export type KvmScope = { kind: 'organization' } | { kind: 'environment'; environment: string } | { kind: 'apiproxy'; api: string };

export interface KvmItem extends StoredItem {
  type: 'kvm';
  name: string;
  encrypted: boolean;
  scope: string;
}

export interface KvmEntryItem extends StoredItem {
  type: 'kvm-entry';
  map: string;
  name: string;
  /** Plain value (unencrypted maps). */
  value?: string;
  /** Sealed value (encrypted maps). */
  sealed?: string;
}

export const MASK = '*****';

export function scopeKey(scope: KvmScope): string {
  if (scope.kind === 'organization') return 'org';
  if (scope.kind === 'environment') return `env:${scope.environment}`;
  return `api:${scope.api}`;
}

const mapKeys = (org: string, scope: KvmScope, map: string) => kvmKeys(org, scopeKey(scope), map);
const entryKeys = (org: string, scope: KvmScope, map: string, key: string) => kvmEntryKeys(org, scopeKey(scope), map, key);
/** What a sealed value is bound to (additional authenticated data): its organization, map and key. */
const sealContext = (org: string, scope: KvmScope, map: string, key: string) => `${orgPartition(org)}/KVM#${scopeKey(scope)}#${map}#${key}`;

export async function getMap(rt: Runtime, org: string, scope: KvmScope, map: string): Promise<KvmItem> {
  const item = await rt.table.get<KvmItem>(mapKeys(org, scope, map));
  if (!item) throw notFound(`Key value map ${map} does not exist`, 'keymanagement.service.kvm_does_not_exist');
  return item;
}

export async function findMap(rt: Runtime, org: string, scope: KvmScope, map: string): Promise<KvmItem | undefined> {
  return rt.table.get<KvmItem>(mapKeys(org, scope, map));
}

export async function listMaps(rt: Runtime, org: string, scope: KvmScope): Promise<KvmItem[]> {
  return rt.table.queryAll<KvmItem>(orgPartition(org), { prefix: kvmsPrefix(scopeKey(scope)) });
}

export async function createMap(rt: Runtime, org: string, scope: KvmScope, map: string, encrypted: boolean): Promise<KvmItem> {
  return rt.table.create<KvmItem>(
    { ...mapKeys(org, scope, map), type: 'kvm', name: map, encrypted, scope: scopeKey(scope) },
    `Key value map ${map} already exists`,
  );
}

export async function deleteMap(rt: Runtime, org: string, scope: KvmScope, map: string): Promise<void> {
  await getMap(rt, org, scope, map);
  const entries = await rt.table.queryAll<KvmEntryItem>(orgPartition(org), { prefix: kvmEntriesPrefix(scopeKey(scope), map) });
  for (const entry of entries) await rt.table.delete(entry);
  await rt.table.delete(mapKeys(org, scope, map));
  kvmCache(rt).forgetMap(org, scope, map);
}

export async function listEntries(rt: Runtime, org: string, scope: KvmScope, map: string, options: { limit?: number; cursor?: string } = {}) {
  const kvm = await getMap(rt, org, scope, map);
  const page = await rt.table.query<KvmEntryItem>(orgPartition(org), { prefix: kvmEntriesPrefix(scopeKey(scope), map), ...options });
  return { kvm, entries: page.items, next: page.next };
}

/** The value as the management API shows it: masked for encrypted maps. */
export function visibleValue(kvm: KvmItem, entry: KvmEntryItem): string {
  return kvm.encrypted ? MASK : entry.value ?? '';
}

export async function getEntry(rt: Runtime, org: string, scope: KvmScope, map: string, key: string): Promise<{ kvm: KvmItem; entry: KvmEntryItem }> {
  const kvm = await getMap(rt, org, scope, map);
  const entry = await rt.table.get<KvmEntryItem>(entryKeys(org, scope, map, key));
  if (!entry) throw notFound(`Entry ${key} does not exist in key value map ${map}`, 'keymanagement.service.entry_does_not_exist');
  return { kvm, entry };
}

/**
 * Writes an entry. `mode` create refuses an existing key (409); update
 * requires one (404); upsert does either. Each check is part of the write
 * (a conditional put), so it holds under concurrency: of concurrent creates
 * of one key exactly one succeeds, and an update never brings back an entry
 * deleted meanwhile. Concurrent updates or upserts of one key: the last
 * write wins, as in Apigee; every read sees one whole value.
 */
export async function putEntry(
  rt: Runtime,
  org: string,
  scope: KvmScope,
  map: string,
  key: string,
  value: string,
  mode: 'create' | 'update' | 'upsert',
): Promise<KvmEntryItem> {
  const kvm = await getMap(rt, org, scope, map);
  const keys = entryKeys(org, scope, map, key);
  const existing = await rt.table.get<KvmEntryItem>(keys, { consistent: true });
  if (mode === 'create' && existing) throw conflict(`Entry ${key} already exists in key value map ${map}`);
  if (mode === 'update' && !existing) {
    throw notFound(`Entry ${key} does not exist in key value map ${map}`, 'keymanagement.service.entry_does_not_exist');
  }
  const stored = kvm.encrypted
    ? { sealed: (await rt.dataKey()).encrypt(value, sealContext(org, scope, map, key)) }
    : { value };
  const item: KvmEntryItem = {
    ...keys,
    type: 'kvm-entry',
    map,
    name: key,
    ...stored,
    version: (existing?.version ?? 0) + 1,
    createdAt: existing?.createdAt ?? new Date().toISOString(),
    updatedAt: new Date().toISOString(),
  };
  if (mode === 'create') {
    const { version: _version, createdAt: _createdAt, updatedAt: _updatedAt, ...fresh } = item;
    const created = await rt.table.create<KvmEntryItem>(fresh, `Entry ${key} already exists in key value map ${map}`);
    kvmCache(rt).forgetEntry(org, scope, map, key);
    return created;
  }
  const written = await rt.table.put(item, { mustExist: mode === 'update' });
  kvmCache(rt).forgetEntry(org, scope, map, key);
  if (!written) throw notFound(`Entry ${key} does not exist in key value map ${map}`, 'keymanagement.service.entry_does_not_exist');
  return item;
}

export async function deleteEntry(rt: Runtime, org: string, scope: KvmScope, map: string, key: string): Promise<KvmEntryItem> {
  await getMap(rt, org, scope, map);
  const deleted = await rt.table.delete<KvmEntryItem>(entryKeys(org, scope, map, key));
  if (!deleted) throw notFound(`Entry ${key} does not exist in key value map ${map}`, 'keymanagement.service.entry_does_not_exist');
  kvmCache(rt).forgetEntry(org, scope, map, key);
  return deleted;
}

/** A value as the runtime reads it: decrypted, and whether it was encrypted at rest (trace masks those). */
export interface RuntimeValue {
  value: string;
  encrypted: boolean;
}

/** Reads a value for the runtime, decrypting encrypted maps; undefined when the map or key is absent. */
export async function readValue(rt: Runtime, org: string, scope: KvmScope, map: string, key: string): Promise<RuntimeValue | undefined> {
  const kvm = await findMap(rt, org, scope, map);
  if (!kvm) return undefined;
  const entry = await rt.table.get<KvmEntryItem>(entryKeys(org, scope, map, key));
  if (!entry) return undefined;
  if (entry.sealed !== undefined) return { value: await (await rt.dataKey()).decryptText(entry.sealed, sealContext(org, scope, map, key)), encrypted: true };
  return entry.value === undefined ? undefined : { value: entry.value, encrypted: false };
}

const mapCacheKey = (org: string, scope: KvmScope, map: string) => `${org}\n${scopeKey(scope)}\n${map}\n`;

/**
 * Per-container cache of runtime KVM reads, for as long as the reading policy
 * says (KeyValueMapOperations' ExpiryTimeInSecs); absent keys are remembered
 * as long, so a missing entry is not a store read per request. A write in
 * this container drops what it changed; other containers see it within their TTL.
 */
export class KvmCache {
  private readonly values = new TtlCache<string, RuntimeValue | undefined>({ ttlMs: 300_000, maxEntries: 10_000 });

  constructor(private readonly rt: Runtime) {}

  get(org: string, scope: KvmScope, map: string, key: string, ttlSeconds: number): Promise<RuntimeValue | undefined> {
    return this.values.get(
      mapCacheKey(org, scope, map) + key,
      () => readValue(this.rt, org, scope, map, key),
      () => ttlSeconds * 1000,
    );
  }

  forgetEntry(org: string, scope: KvmScope, map: string, key: string): void {
    this.values.delete(mapCacheKey(org, scope, map) + key);
  }

  forgetMap(org: string, scope: KvmScope, map: string): void {
    this.values.deletePrefix(mapCacheKey(org, scope, map));
  }
}

export function kvmCache(rt: Runtime): KvmCache {
  return rt.service('gateway.kvm-cache', () => new KvmCache(rt));
}
