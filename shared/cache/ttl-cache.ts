// A small per-container cache with a time-to-live per entry, a size bound and
// single-flight loading: concurrent misses for one key share one load, so a
// burst of cold requests makes one store read, not one each.

interface Entry<V> {
  value: V;
  expires: number;
  loadedAt: number;
}

export interface CachedValue<V> {
  value: V;
  /** Epoch milliseconds when the value was loaded. */
  loadedAt: number;
}

export class TtlCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private readonly pending = new Map<K, Promise<CachedValue<V>>>();
  /** Incremented by `clear`/`delete` so a load that started before them is not stored. */
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  /** The live entry, if any. */
  peek(key: K): CachedValue<V> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: K, value: V, ttlMs = this.ttlMs, loadedAt = Date.now()): CachedValue<V> {
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) {
      // Drop the oldest insertion: Map iterates in insertion order.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const entry = { value, expires: Date.now() + ttlMs, loadedAt };
    this.entries.set(key, entry);
    return entry;
  }

  /**
   * The cached value, or the result of `load` (stored with `ttlFor(value)` ms,
   * default the cache's TTL). Concurrent calls for one key share one load.
   */
  async get(key: K, load: () => Promise<V>, ttlFor?: (value: V) => number): Promise<CachedValue<V>> {
    const hit = this.peek(key);
    if (hit) return hit;
    return this.load(key, load, ttlFor);
  }

  /** Loads now, even when a live entry exists (sharing a load already under way). */
  reload(key: K, load: () => Promise<V>, ttlFor?: (value: V) => number): Promise<CachedValue<V>> {
    return this.load(key, load, ttlFor);
  }

  private load(key: K, load: () => Promise<V>, ttlFor?: (value: V) => number): Promise<CachedValue<V>> {
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const generation = this.generation;
    const started = Date.now();
    const promise = load()
      .then((value) => {
        if (generation !== this.generation) return { value, loadedAt: started };
        // loadedAt is when the read started: anything changed after that may be missing from it.
        return this.set(key, value, ttlFor ? ttlFor(value) : this.ttlMs, started);
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, promise);
    return promise;
  }

  delete(key: K): void {
    this.generation++;
    this.entries.delete(key);
    this.pending.delete(key);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
    this.pending.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
