// Finds the consumer behind a consumer key (the OAuth client_id or Apigee API
// key) and decides whether it may be used. Shared by the token endpoint and the
// proxy runtime's VerifyAPIKey.
import type { Envelope } from '../crypto/envelope.js';
import { CredentialError } from '../credentials/errors.js';
import { revocationList } from '../credentials/revocation.js';
import type { Runtime } from '../runtime.js';
import type { StoredApp } from './apps.js';
import type { KeyMarker, StoredCredential } from './app-credentials.js';
import { consumerCache, type Consumer } from './consumer-cache.js';
import { keyFingerprint, sealedSecretContext } from './credential-crypto.js';
import type { StoredDeveloper } from './developers.js';
import { forgetProducts, getProduct, type ApiProduct } from './products.js';
import { apiKeyPartition, appKeys, credentialKeys, developerKeys } from '../store/keys.js';

/** Longest consumer key accepted at all: anything longer is not one of ours. */
const MAX_KEY_LENGTH = 255;

/** Every organization's consumer behind a key (keys are unique per organization). */
async function readConsumers(rt: Runtime, consumerKey: string, envelope: Envelope): Promise<Consumer[] | undefined> {
  const fingerprint = keyFingerprint(envelope, consumerKey);
  const markers = await rt.table.queryAll<KeyMarker>(apiKeyPartition(fingerprint), { consistent: true });
  const consumers = await Promise.all(markers.filter((marker) => marker.type === 'apikey').map((marker) => readConsumer(rt, consumerKey, envelope, fingerprint, marker)));
  const found = consumers.filter((consumer): consumer is Consumer => consumer !== undefined);
  return found.length ? found : undefined;
}

async function readConsumer(rt: Runtime, consumerKey: string, envelope: Envelope, fingerprint: string, marker: KeyMarker): Promise<Consumer | undefined> {
  const credential = await rt.table.get<StoredCredential>(credentialKeys(marker.organization, marker.appId, fingerprint), { consistent: true });
  const app = await rt.table.get<StoredApp>(appKeys(marker.organization, marker.appId), { consistent: true });
  if (!credential || !app) return undefined;
  const developer = await rt.table.get<StoredDeveloper>(developerKeys(marker.organization, app.developerEmail), { consistent: true });
  if (!developer) return undefined;
  const products = await Promise.all(
    credential.apiProducts.filter((b) => b.status === 'approved').map((b) => getProduct(rt, marker.organization, b.apiproduct)),
  );
  return {
    organization: marker.organization,
    consumerKey,
    keyFingerprint: fingerprint,
    secretHash: credential.secretHash,
    ...(credential.consumerSecretSealed
      ? { consumerSecret: envelope.decryptText(credential.consumerSecretSealed, sealedSecretContext(marker.organization, marker.appId, fingerprint)) }
      : {}),
    credentialStatus: credential.status,
    keyExpiresAt: credential.keyExpiresAt,
    app: {
      appId: app.appId,
      name: app.name,
      status: app.status,
      attributes: app.attributes,
      developerId: app.developerId,
      scopes: app.scopes,
    },
    developer: { email: developer.email, developerId: developer.developerId, status: developer.status },
    products: products.filter((p): p is ApiProduct => p !== undefined),
  };
}

/**
 * The consumers for a key, one per organization using it, from the
 * container's cache when warm. A cached entry older than a revocation of one
 * of these clients, or than a withdrawal among their organizations' consumers
 * (both seen through the revocation list), is read again with its products,
 * so changes made by another container apply within seconds.
 */
export async function lookupConsumers(rt: Runtime, consumerKey: string, envelope?: Envelope): Promise<Consumer[]> {
  if (typeof consumerKey !== 'string' || consumerKey.length === 0 || consumerKey.length > MAX_KEY_LENGTH) return [];
  const cache = consumerCache(rt);
  // Keyed by the key itself (memory only), so a warm lookup needs no HMAC.
  const load = async () => readConsumers(rt, consumerKey, envelope ?? (await rt.dataKey()));
  let entry = await cache.getEntry(consumerKey, load);
  if (!entry.value) return [];
  const revocations = revocationList(rt);
  const refreshing = revocations.fresh();
  if (refreshing) await refreshing;
  const loadedAt = entry.loadedAt;
  const changed = entry.value.filter((consumer) => (revocations.consumersChangedAt(consumer.organization) ?? -1) >= loadedAt);
  const revoked = entry.value.some((consumer) => (revocations.clientRevokedAt(consumer.organization, consumer.keyFingerprint) ?? -1) >= loadedAt);
  if (changed.length || revoked) {
    for (const consumer of changed) forgetProducts(rt, consumer.organization);
    entry = await cache.reload(consumerKey, load);
  }
  return entry.value ?? [];
}

/** The organization's consumer for a key, if it has one. */
export async function lookupConsumer(rt: Runtime, consumerKey: string, organization: string, envelope?: Envelope): Promise<Consumer | undefined> {
  return (await lookupConsumers(rt, consumerKey, envelope)).find((consumer) => consumer.organization === organization);
}

/** Throws the reason a consumer may not be used now, if there is one. */
export function checkConsumerUsable(consumer: Consumer, now = Date.now()): void {
  if (consumer.credentialStatus !== 'approved') throw new CredentialError('key_revoked', 'The consumer key has been revoked');
  if (consumer.keyExpiresAt !== -1 && consumer.keyExpiresAt <= now) throw new CredentialError('key_expired', 'The consumer key has expired');
  if (consumer.app.status !== 'approved') throw new CredentialError('app_not_approved', 'The app is not approved');
  if (consumer.developer.status !== 'active') throw new CredentialError('developer_inactive', 'The developer is not active');
}
