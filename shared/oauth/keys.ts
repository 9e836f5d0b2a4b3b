// The token service's signing keys: ES256 key pairs in one JSON secret
// (`jwt-keys`), global to the deployment (one issuer). The first token request
// creates them; a rotation adds a new active key and keeps the previous ones in
// the JWKS until every token they signed has expired. Private keys are imported
// as non-extractable CryptoKeys and leave neither the secret store nor memory.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { MAX_TOKEN_LIFETIME_SECONDS } from '../config.js';
import { randomId } from '../crypto/random.js';
import { isHttpError, serviceUnavailable } from '../http/errors.js';
import type { Runtime } from '../runtime.js';
import { SIGNING_KEYS_LEASE } from '../store/keys.js';

export const SIGNING_KEYS_SECRET = 'jwt-keys';
export const SIGNING_ALG = 'ES256';

interface StoredSigningKey {
  kid: string;
  alg: typeof SIGNING_ALG;
  /** Epoch seconds. */
  createdAt: number;
  /** Epoch seconds; set when a newer key took over signing. */
  retiredAt?: number;
  privateJwk: JWK;
  publicJwk: JWK;
}

interface StoredKeySet {
  version: 1;
  keys: StoredSigningKey[];
}

export interface SigningKeySummary {
  kid: string;
  alg: string;
  status: 'active' | 'retired';
  createdAt: string;
  retiredAt?: string;
  /** When the key leaves the JWKS: every token it signed has expired by then. */
  publishedUntil?: string;
}

/**
 * How long a retired key stays published: the longest token lifetime, plus the
 * secret cache TTL during which other containers may still sign with it, plus
 * a margin for clock skew.
 */
const RETIRED_KEY_RETENTION_SECONDS = MAX_TOKEN_LIFETIME_SECONDS + 30 + 120;
/**
 * An unknown `kid` (a key rotated in by another container) re-reads the secret
 * at most this often per container, so forged kids cannot turn every request
 * into a Secrets Manager call, while a new key is picked up within a second.
 */
const UNKNOWN_KID_RELOAD_MS = 1_000;
const LOCK_SECONDS = 30;

interface ParsedKeySet {
  raw: string;
  active?: { kid: string; key: CryptoKey };
  publicKeys: Map<string, CryptoKey>;
  stored: StoredSigningKey[];
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const isPublished = (key: StoredSigningKey, now: number) => key.retiredAt === undefined || key.retiredAt + RETIRED_KEY_RETENTION_SECONDS > now;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function newSigningKey(): Promise<StoredSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  return {
    kid,
    alg: SIGNING_ALG,
    createdAt: nowSeconds(),
    privateJwk: { ...privateJwk, kid, alg: SIGNING_ALG },
    publicJwk: { ...publicJwk, kid, alg: SIGNING_ALG, use: 'sig' },
  };
}

export class SigningKeys {
  private parsed: Promise<ParsedKeySet> | undefined;
  private parsedRaw: string | undefined;
  private lastUnknownKidReload = 0;
  private creating: Promise<void> | undefined;

  constructor(private readonly rt: Runtime) {}

  /** The key new tokens are signed with; creates the key set on first use. */
  async signingKey(): Promise<{ kid: string; key: CryptoKey }> {
    let set = await this.load();
    if (!set?.active) {
      this.creating ??= this.createKeySet().finally(() => {
        this.creating = undefined;
      });
      await this.creating;
      set = await this.load();
    }
    if (!set?.active) throw serviceUnavailable('No active signing key', 'temporarily_unavailable');
    return set.active;
  }

  /** The public key for a `kid`, re-reading the secret (rate-limited) when it is unknown. Never creates keys. */
  async verificationKey(kid: string): Promise<CryptoKey | undefined> {
    const set = await this.load();
    const key = set?.publicKeys.get(kid);
    if (key || Date.now() - this.lastUnknownKidReload < UNKNOWN_KID_RELOAD_MS) return key;
    this.lastUnknownKidReload = Date.now();
    this.rt.secrets.invalidate(SIGNING_KEYS_SECRET);
    return (await this.load())?.publicKeys.get(kid);
  }

  /** The public keys, for `/.well-known/jwks.json`. */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.signingKey();
    const set = await this.load();
    const now = nowSeconds();
    return { keys: (set?.stored ?? []).filter((key) => isPublished(key, now)).map((key) => key.publicJwk) };
  }

  async describe(): Promise<SigningKeySummary[]> {
    await this.signingKey();
    const set = await this.load();
    return summarize(set?.stored ?? []);
  }

  /** Retires the active key and makes a new one active; retired keys stay published until their tokens expired. */
  async rotate(): Promise<SigningKeySummary[]> {
    const keys = await this.withLock(async () => {
      const current = await this.readFresh();
      const now = nowSeconds();
      const kept = (current?.keys ?? [])
        .filter((key) => isPublished(key, now))
        .map((key) => (key.retiredAt === undefined ? { ...key, retiredAt: now } : key));
      const next: StoredKeySet = { version: 1, keys: [...kept, await newSigningKey()] };
      await this.rt.secrets.putJson(SIGNING_KEYS_SECRET, next);
      return next.keys;
    });
    return summarize(keys);
  }

  private async load(): Promise<ParsedKeySet | undefined> {
    const raw = await this.rt.secrets.get(SIGNING_KEYS_SECRET);
    if (raw === undefined) return undefined;
    if (raw !== this.parsedRaw || !this.parsed) {
      this.parsedRaw = raw;
      this.parsed = parseKeySet(raw);
      this.parsed.catch(() => {
        this.parsed = undefined;
        this.parsedRaw = undefined;
      });
    }
    return this.parsed;
  }

  private async readFresh(): Promise<StoredKeySet | undefined> {
    this.rt.secrets.invalidate(SIGNING_KEYS_SECRET);
    return this.rt.secrets.getJson<StoredKeySet>(SIGNING_KEYS_SECRET);
  }

  private async createKeySet(): Promise<void> {
    await this.withLock(async () => {
      // Another container may have created it while this one waited for the lock.
      const current = await this.readFresh();
      if (current?.keys.some((key) => key.retiredAt === undefined)) return;
      const next: StoredKeySet = { version: 1, keys: [...(current?.keys ?? []), await newSigningKey()] };
      await this.rt.secrets.putJson(SIGNING_KEYS_SECRET, next);
    });
  }

  /**
   * Secrets Manager has no compare-and-set, so creating and rotating the key
   * set take a short lease in the table: two containers starting at once must
   * not each write a key set and sign with keys the other one overwrote.
   */
  private async withLock<T>(work: () => Promise<T>): Promise<T> {
    const owner = randomId();
    let acquired = false;
    for (let attempt = 0; attempt < 100 && !acquired; attempt++) {
      try {
        await this.rt.table.create({ ...SIGNING_KEYS_LEASE, type: 'lock', lockOwner: owner, expiresAt: nowSeconds() + LOCK_SECONDS });
        acquired = true;
      } catch (error) {
        if (!(isHttpError(error) && error.status === 409)) throw error;
        await sleep(50 + Math.random() * 50);
      }
    }
    if (!acquired) throw serviceUnavailable('Signing keys are being updated; try again', 'temporarily_unavailable');
    try {
      return await work();
    } finally {
      await this.rt.table.delete(SIGNING_KEYS_LEASE, { condition: 'lockOwner = :owner', values: { ':owner': owner } });
    }
  }
}

async function parseKeySet(raw: string): Promise<ParsedKeySet> {
  const set = JSON.parse(raw) as StoredKeySet;
  const publicKeys = new Map<string, CryptoKey>();
  for (const key of set.keys) publicKeys.set(key.kid, (await importJWK(key.publicJwk, SIGNING_ALG)) as CryptoKey);
  const activeKey = [...set.keys].reverse().find((key) => key.retiredAt === undefined);
  const parsed: ParsedKeySet = { raw, publicKeys, stored: set.keys };
  if (activeKey) {
    parsed.active = { kid: activeKey.kid, key: (await importJWK(activeKey.privateJwk, SIGNING_ALG, { extractable: false })) as CryptoKey };
  }
  return parsed;
}

function summarize(keys: StoredSigningKey[]): SigningKeySummary[] {
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
  return keys.map((key) => ({
    kid: key.kid,
    alg: key.alg,
    status: key.retiredAt === undefined ? 'active' : 'retired',
    createdAt: iso(key.createdAt),
    ...(key.retiredAt !== undefined
      ? { retiredAt: iso(key.retiredAt), publishedUntil: iso(key.retiredAt + RETIRED_KEY_RETENTION_SECONDS) }
      : {}),
  }));
}

export function signingKeys(rt: Runtime): SigningKeys {
  return rt.service('oauth.signing-keys', () => new SigningKeys(rt));
}
