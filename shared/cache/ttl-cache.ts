// The one per-container cache: entries live for a time to live, the least
// recently used entry makes room when the cache is full, and loading is
// single-flight: concurrent misses for one key share one load, so a burst of
// cold requests makes one store read, not one each. A failed load is never
// kept; a load that finds nothing (`undefined`) is kept for `missTtlMs`
// (negative caching), so a flood of unknown keys is not a flood of reads.
// Invalidation (a key, a key prefix, a predicate, everything) also reaches
// loads in flight: a load that started before the change is not stored.

export interface CachedValue<V> {
  value: V;
  /** Epoch milliseconds when the load that produced the value started. */
  loadedAt: number;
}

export interface TtlCacheOptions {
  /** How long an entry lives, in milliseconds; 0 shares loads but keeps nothing. */
  ttlMs: number;
  /** The most entries kept; the least recently used one goes first. */
  maxEntries?: number;
  /** How long a load that found nothing (`undefined`) is remembered; default `ttlMs`, 0 never. */
  missTtlMs?: number;
  /** The clock, epoch milliseconds; tests pass their own. */
  now?: () => number;
}

interface Entry<V> extends CachedValue<V> {
  expires: number;
  /** The cache's use count when the entry last moved to the end of the order. */
  moved: number;
}

/** Shares one run of `work` between the concurrent callers of one key. */
export class SingleFlight<K, V> {
  private readonly running = new Map<K, Promise<V>>();

  run(key: K, work: () => Promise<V>): Promise<V> {
    const running = this.running.get(key);
    if (running) return running;
    const flight = work().finally(() => {
      if (this.running.get(key) === flight) this.running.delete(key);
    });
    this.running.set(key, flight);
    return flight;
  }

  /** True while this very run is the current one for its key. */
  isCurrent(key: K, flight: Promise<V>): boolean {
    return this.running.get(key) === flight;
  }

  /** Later callers start a new run; callers of the current one still get its result. */
  forget(key: K): void {
    this.running.delete(key);
  }

  forgetWhere(predicate: (key: K) => boolean): void {
    for (const key of [...this.running.keys()]) if (predicate(key)) this.running.delete(key);
  }

  forgetAll(): void {
    this.running.clear();
  }
}

export class TtlCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private readonly loads = new SingleFlight<K, Entry<V>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly missTtlMs: number;
  private readonly now: () => number;
  /** Entries stored or moved to the end of the order so far. */
  private uses = 0;
  /**
   * A hit moves its entry to the end of the order only when it is older than
   * this many moves: an entry among the most recent quarter cannot be the
   * next to go, and a hot entry is not re-inserted on every hit. Small caches
   * (under 64 entries) keep the exact order.
   */
  private readonly recentMoves: number;

  constructor(options: TtlCacheOptions) {
    this.ttlMs = options.ttlMs;
    this.maxEntries = Math.max(1, options.maxEntries ?? 10_000);
    this.missTtlMs = options.missTtlMs ?? options.ttlMs;
    this.now = options.now ?? Date.now;
    this.recentMoves = this.maxEntries < 64 ? 0 : Math.floor(this.maxEntries / 4);
  }

  /** The live entry, if any; a hit makes it the most recently used. */
  peek(key: K): CachedValue<V> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    if (this.uses - entry.moved > this.recentMoves) {
      entry.moved = ++this.uses;
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** Stores a value for `ttlMs` (default: the cache's), replacing any entry and any load in flight. */
  set(key: K, value: V, ttlMs = this.ttlFor(value)): CachedValue<V> {
    this.loads.forget(key);
    return this.store(key, value, ttlMs, this.now());
  }

  /** The cached value, or the result of `load`; concurrent calls for one key share one load. */
  get(key: K, load: () => Promise<V>, ttlFor?: (value: V) => number): Promise<V> {
    // A hit is one settled promise, not an async function's three: most calls are hits.
    const hit = this.peek(key);
    return hit ? Promise.resolve(hit.value) : this.load(key, load, ttlFor).then((entry) => entry.value);
  }

  /** Like `get`, with when the value was loaded. */
  getEntry(key: K, load: () => Promise<V>, ttlFor?: (value: V) => number): Promise<CachedValue<V>> {
    const hit = this.peek(key);
    return hit ? Promise.resolve(hit) : this.load(key, load, ttlFor);
  }

  /** Loads now even when a live entry exists (sharing a load already under way). */
  reload(key: K, load: () => Promise<V>, ttlFor?: (value: V) => number): Promise<CachedValue<V>> {
    return this.load(key, load, ttlFor);
  }

  delete(key: K): void {
    this.entries.delete(key);
    this.loads.forget(key);
  }

  /** Drops every entry whose key starts with `prefix`, and their loads in flight. */
  deletePrefix(this: TtlCache<string, V>, prefix: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
    this.loads.forgetWhere((key) => key.startsWith(prefix));
  }

  /**
   * Drops every entry the predicate selects. A load in flight has no value to
   * judge yet, so every one is dropped: what it returns is not stored.
   */
  deleteWhere(predicate: (value: V, key: K) => boolean): void {
    for (const [key, entry] of [...this.entries]) if (predicate(entry.value, key)) this.entries.delete(key);
    this.loads.forgetAll();
  }

  clear(): void {
    this.entries.clear();
    this.loads.forgetAll();
  }

  /** Entries held, expired ones not yet swept included. */
  get size(): number {
    return this.entries.size;
  }

  private ttlFor(value: V): number {
    return value === undefined ? this.missTtlMs : this.ttlMs;
  }

  private load(key: K, load: () => Promise<V>, ttlFor?: (value: V) => number): Promise<CachedValue<V>> {
    // `loadedAt` is when the read started: anything changed after that may be missing from it.
    const started = this.now();
    const flight: Promise<Entry<V>> = this.loads.run(key, async () => {
      const value = await load();
      const ttl = ttlFor ? ttlFor(value) : this.ttlFor(value);
      // Invalidated while loading: the callers get what they asked for, the cache keeps nothing.
      if (!this.loads.isCurrent(key, flight)) return { value, loadedAt: started, expires: 0, moved: 0 };
      return this.store(key, value, ttl, started);
    });
    return flight;
  }

  private store(key: K, value: V, ttlMs: number, loadedAt: number): Entry<V> {
    const entry = { value, loadedAt, expires: this.now() + ttlMs, moved: ++this.uses };
    this.entries.delete(key);
    if (!(ttlMs > 0)) return entry;
    if (this.entries.size >= this.maxEntries) {
      // Map iterates in insertion order and hits re-insert (all but the most recent quarter): the first key is the least recently used.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, entry);
    return entry;
  }
}
