// The per-container cache of consumers (credential + app + developer +
// products) by consumer key: one per organization using the key. Token requests and API-key checks read
// it, so the warm path makes no store read; management writes in this
// container clear it, and other containers pick changes up within the TTL, or
// within seconds through the revocation list for revocations.
import { TtlCache } from '../cache/ttl-cache.js';
import { consumersWithdrawn } from '../credentials/revocation.js';
import type { Runtime } from '../runtime.js';
import type { ApiProduct } from './products.js';

export interface Consumer {
  organization: string;
  consumerKey: string;
  keyFingerprint: string;
  secretHash: string;
  /** The consumer secret, unsealed (memory only), for `verifyapikey.{policy}.client_secret`. */
  consumerSecret?: string;
  credentialStatus: 'approved' | 'revoked';
  /** Epoch ms, or -1 for never. */
  keyExpiresAt: number;
  app: { appId: string; name: string; status: string; attributes: Record<string, string>; developerId: string; scopes: string[] };
  developer: { email: string; developerId: string; status: string };
  /** Products bound to the credential with status approved (and still existing). */
  products: ApiProduct[];
}

const CONSUMER_TTL_MS = 30_000;
/** Unknown keys are remembered briefly, so a flood of bad keys does not become a flood of reads. */
const UNKNOWN_CONSUMER_TTL_MS = 2_000;

/** The consumers behind a key, one per organization that uses it (undefined: none). */
export function consumerCache(rt: Runtime): TtlCache<string, Consumer[] | undefined> {
  return rt.service(
    'consumers.consumer-cache',
    () => new TtlCache<string, Consumer[] | undefined>({ ttlMs: CONSUMER_TTL_MS, missTtlMs: UNKNOWN_CONSUMER_TTL_MS, maxEntries: 50_000 }),
  );
}

/** Forgets every cached consumer of this container (after a management change). */
export function forgetConsumers(rt: Runtime): void {
  consumerCache(rt).clear();
}

/**
 * After a change that may withdraw an authorization (a product removed or
 * changed, an app, developer or credential no longer usable): forgets this
 * container's consumers at once and has every other container reload those it
 * cached before, within the revocation list's bound.
 */
export async function consumersChanged(rt: Runtime, organization: string): Promise<void> {
  forgetConsumers(rt);
  await consumersWithdrawn(rt, organization);
}
