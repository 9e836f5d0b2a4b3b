// The environment caches of ResponseCache, PopulateCache, LookupCache and
// InvalidateCache: entries in the table (one item each, with `expiresAt`, so
// DynamoDB's TTL removes them and reads treat expired ones as absent), and a
// per-container copy in front (TtlCache, a few seconds at most, never past the
// entry's own expiry), so a warm hit reads nothing from DynamoDB. A write or
// an invalidation in this container applies here at once; other containers
// see it when their copy expires.
import { createHash } from 'node:crypto';
import { TtlCache } from '../../cache/ttl-cache.js';
import type { Runtime } from '../../runtime.js';
import { cacheEntriesPrefix, cacheEntryKeys, orgPartition } from '../../store/keys.js';
import type { StoredItem } from '../../store/table.js';

interface CacheEntryItem extends StoredItem {
  type: 'cache-entry';
  value: string;
  /** Epoch seconds. */
  expiresAt: number;
}

/** How long a container keeps its own copy of an entry. */
const LOCAL_TTL_MS = 5_000;
/** Longest cache key kept as written; longer ones are stored under their SHA-256 (and cannot be purged by prefix). */
const MAX_KEY_LENGTH = 700;
/** A table item holds at most 400 KB: larger values are not cached. */
export const MAX_CACHE_VALUE_BYTES = 350 * 1024;

interface Local {
  value: string;
  /** Epoch ms. */
  expiresAt: number;
}

const storedKey = (key: string) => (key.length <= MAX_KEY_LENGTH ? key : `#sha256:${createHash('sha256').update(key).digest('hex')}`);

function local(rt: Runtime): TtlCache<string, Local | undefined> {
  return rt.service('gateway.cache-entries', () => new TtlCache<string, Local | undefined>({ ttlMs: LOCAL_TTL_MS, missTtlMs: 1_000, maxEntries: 10_000 }));
}

const localKey = (org: string, env: string, cache: string, key: string) => `${org}\n${env}\n${cache}\n${key}`;

export async function getCacheEntry(rt: Runtime, org: string, env: string, cache: string, key: string): Promise<string | undefined> {
  const entry = await local(rt).get(
    localKey(org, env, cache, key),
    async () => {
      const item = await rt.table.get<CacheEntryItem>(cacheEntryKeys(org, env, cache, storedKey(key)));
      return item ? { value: item.value, expiresAt: item.expiresAt * 1000 } : undefined;
    },
    (value) => (value ? Math.max(0, Math.min(LOCAL_TTL_MS, value.expiresAt - Date.now())) : 1_000),
  );
  return entry && entry.expiresAt > Date.now() ? entry.value : undefined;
}

export async function putCacheEntry(rt: Runtime, org: string, env: string, cache: string, key: string, value: string, ttlSeconds: number): Promise<void> {
  if (Buffer.byteLength(value) > MAX_CACHE_VALUE_BYTES || ttlSeconds <= 0) return;
  const expiresAt = Math.floor(Date.now() / 1000) + Math.ceil(ttlSeconds);
  await rt.table.put({ ...cacheEntryKeys(org, env, cache, storedKey(key)), type: 'cache-entry', value, expiresAt });
  local(rt).set(localKey(org, env, cache, key), { value, expiresAt: expiresAt * 1000 }, Math.min(LOCAL_TTL_MS, ttlSeconds * 1000));
}

export async function deleteCacheEntries(rt: Runtime, org: string, env: string, cache: string, key: string, children: boolean): Promise<void> {
  if (!children) {
    await rt.table.delete(cacheEntryKeys(org, env, cache, storedKey(key)));
    local(rt).delete(localKey(org, env, cache, key));
    return;
  }
  const prefix = `${cacheEntriesPrefix(env, cache)}${key}`;
  const items = await rt.table.queryAll<CacheEntryItem>(orgPartition(org), { prefix });
  for (const item of items) await rt.table.delete({ pk: item.pk, sk: item.sk });
  local(rt).deletePrefix(localKey(org, env, cache, key));
}
