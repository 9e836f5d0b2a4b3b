// Secrets by name, behind one interface with two implementations: AWS Secrets
// Manager and a local file. Callers go through `CachedSecrets`, which keeps
// values per container for a short time so warm requests do not call out.
import { TtlCache } from '../cache/ttl-cache.js';

export interface SecretBackend {
  /** The secret's current value, or undefined if there is no such secret. */
  get(name: string): Promise<string | undefined>;
  put(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
}

export class CachedSecrets implements SecretBackend {
  /** Absent secrets are cached too: a missing name costs one backend call per TTL. */
  private readonly cache: TtlCache<string, string | undefined>;
  /** Calls that reached the backend; benchmarks read it. */
  backendCalls = 0;

  constructor(
    readonly backend: SecretBackend,
    ttlMs = 30_000,
  ) {
    this.cache = new TtlCache({ ttlMs, maxEntries: 1_000 });
  }

  get(name: string): Promise<string | undefined> {
    return this.cache.get(name, () => {
      this.backendCalls++;
      return this.backend.get(name);
    });
  }

  /** Like `get`, but a missing secret is an error naming it. */
  async require(name: string): Promise<string> {
    const value = await this.get(name);
    if (value === undefined) throw new Error(`Secret ${name} does not exist`);
    return value;
  }

  async getJson<T>(name: string): Promise<T | undefined> {
    const value = await this.get(name);
    return value === undefined ? undefined : (JSON.parse(value) as T);
  }

  async put(name: string, value: string): Promise<void> {
    this.backendCalls++;
    await this.backend.put(name, value);
    this.cache.set(name, value);
  }

  async putJson(name: string, value: unknown): Promise<void> {
    await this.put(name, JSON.stringify(value));
  }

  async delete(name: string): Promise<void> {
    this.backendCalls++;
    await this.backend.delete(name);
    this.cache.delete(name);
  }

  /** Forgets cached values (all, or one name) so the next read goes to the backend. */
  invalidate(name?: string): void {
    if (name === undefined) this.cache.clear();
    else this.cache.delete(name);
  }
}
