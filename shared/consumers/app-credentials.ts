// Credentials of developer apps: a consumer key and secret bound to API
// products, several per app (for rotation). Items, in the organization's
// partition unless noted (store/keys.ts):
//   CRED#{appId}#{keyFingerprint}  a credential
//   APIKEY#{keyFingerprint} / #APIKEY (own partition) the key's global uniqueness
//     record, which also finds the credential from a key in one consistent read.
// The table never holds the key in the clear and keeps the secret only as an
// HMAC bound to its key: the secret is shown once, when it is created.
import * as z from 'zod';
import { revokeClient } from '../credentials/revocation.js';
import { conflict, notFound, unprocessable, type FieldProblem } from '../http/errors.js';
import type { Runtime } from '../runtime.js';
import { apiKeyMarkerKeys, apiKeyPartition, appCredentialsPrefix, credentialKeys, legacyApiKeyMarkerKeys, orgPartition } from '../store/keys.js';
import type { StoredItem } from '../store/table.js';
import { numberLike } from '../http/apigee-values.js';
import { attributesSchema, attributesToRecord } from './apigee.js';
import { consumersChanged, forgetConsumers } from './consumer-cache.js';
import {
  generateConsumerKey,
  generateConsumerSecret,
  keyFingerprint,
  sealedKeyContext,
  sealedSecretContext,
  secretHash,
} from './credential-crypto.js';
import { readProduct, type StoredProduct } from './products.js';

export type CredentialStatus = 'approved' | 'revoked';
export type ProductBindingStatus = 'approved' | 'revoked' | 'pending';

export interface ProductBinding {
  apiproduct: string;
  status: ProductBindingStatus;
}

export interface StoredCredential extends StoredItem {
  type: 'credential';
  organization: string;
  appId: string;
  keyFingerprint: string;
  /** The consumer key sealed with the Envelope (context: organization and app). */
  consumerKeySealed: string;
  secretHash: string;
  /** The consumer secret sealed with the Envelope (context: organization, app and key); absent on credentials made before it was kept. */
  consumerSecretSealed?: string;
  status: CredentialStatus;
  /** Epoch ms. */
  issuedAt: number;
  /** Epoch ms, or -1 for never (Apigee's convention). Not `expiresAt`: an expired key stays listed. */
  keyExpiresAt: number;
  apiProducts: ProductBinding[];
  attributes: Record<string, string>;
}

/** The global uniqueness record of a consumer key. */
export interface KeyMarker extends StoredItem {
  type: 'apikey';
  organization: string;
  appId: string;
}

/** The app a credential belongs to. */
export interface AppRef {
  organization: string;
  appId: string;
  name: string;
}

/** Milliseconds from now until the key expires; empty, 0 or -1 for never. */
export const keyExpiresIn = z.preprocess((v) => (v === '' || v === null ? undefined : v), numberLike.pipe(z.number().int().min(-1)).optional());

/** `keys/create`: import a given key and secret, or generate them. */
export const credentialInput = z.lazy(() => z.object({
  consumerKey: z
    .string()
    .regex(/^[A-Za-z0-9._~-]{16,255}$/, 'must be 16 to 255 characters: letters, digits and . _ ~ -')
    .optional(),
  consumerSecret: z
    .string()
    .min(16, 'must be at least 16 characters')
    .max(512)
    .refine((secret) => ![...secret].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f), 'must not contain control characters')
    .optional(),
  apiProducts: z.array(z.string().min(1).max(255)).max(100).default([]),
  keyExpiresIn,
  expiresAt: z.preprocess((v) => (v === '' || v === null ? undefined : v), numberLike.pipe(z.number().int().min(-1)).optional()),
  attributes: attributesSchema,
}));
export type CredentialInput = z.output<typeof credentialInput>;

/** A credential as shown once, right after it is created. */
export interface IssuedCredential {
  credential: StoredCredential;
  consumerKey: string;
  consumerSecret: string;
}

/** Products must exist; returns their bindings (auto-approved or pending per approvalType). */
export async function productBindings(rt: Runtime, org: string, names: string[], field: string): Promise<{ bindings: ProductBinding[]; products: StoredProduct[] }> {
  const unique = [...new Set(names)];
  const products = await Promise.all(unique.map((name) => readProduct(rt, org, name)));
  const problems: FieldProblem[] = [];
  products.forEach((product, i) => {
    if (!product) problems.push({ path: `${field}.${names.indexOf(unique[i]!)}`, message: `API product ${unique[i]} does not exist` });
  });
  if (problems.length) throw unprocessable(`Unknown API product: ${problems.map((p) => p.message).join('; ')}`, problems);
  const found = products as StoredProduct[];
  return {
    products: found,
    bindings: found.map((product) => ({ apiproduct: product.name, status: product.approvalType === 'auto' ? 'approved' : 'pending' })),
  };
}

/** When a key expires (epoch ms, -1 for never), from `keyExpiresIn` (ms from now) or `expiresAt`. */
export function expiryFrom(input: { keyExpiresIn?: number | undefined; expiresAt?: number | undefined }, now: number): number {
  if (input.expiresAt !== undefined) return input.expiresAt <= 0 ? -1 : input.expiresAt;
  if (input.keyExpiresIn === undefined || input.keyExpiresIn <= 0) return -1;
  return now + input.keyExpiresIn;
}

export async function appCredentials(rt: Runtime, org: string, appId: string): Promise<StoredCredential[]> {
  const items = await rt.table.queryAll<StoredCredential>(orgPartition(org), { prefix: appCredentialsPrefix(appId), consistent: true });
  return items.sort((a, b) => a.issuedAt - b.issuedAt);
}

/**
 * Writes a new credential for the app (a generated key and secret unless
 * given) and returns it with the secret, the only time it is shown.
 */
export async function issueCredential(
  rt: Runtime,
  app: AppRef,
  input: { consumerKey?: string; consumerSecret?: string; bindings: ProductBinding[]; keyExpiresAt: number; attributes: Record<string, string> },
): Promise<IssuedCredential> {
  const envelope = await rt.dataKey();
  const consumerKey = input.consumerKey ?? generateConsumerKey();
  const consumerSecret = input.consumerSecret ?? generateConsumerSecret();
  const fingerprint = keyFingerprint(envelope, consumerKey);
  // The marker makes the key unique in its organization before anything else is written. Other
  // organizations' use of the same key is neither refused nor revealed: lookups pick by organization.
  if (await keyInUse(rt, app.organization, fingerprint)) throw conflict(KEY_IN_USE);
  await rt.table.create({ ...apiKeyMarkerKeys(fingerprint, app.organization), type: 'apikey', organization: app.organization, appId: app.appId }, KEY_IN_USE);
  try {
    const credential = await rt.table.create<StoredCredential>({
      ...credentialKeys(app.organization, app.appId, fingerprint),
      type: 'credential',
      organization: app.organization,
      appId: app.appId,
      keyFingerprint: fingerprint,
      consumerKeySealed: envelope.encrypt(consumerKey, sealedKeyContext(app.organization, app.appId)),
      secretHash: secretHash(envelope, consumerKey, consumerSecret),
      consumerSecretSealed: envelope.encrypt(consumerSecret, sealedSecretContext(app.organization, app.appId, fingerprint)),
      status: 'approved',
      issuedAt: Date.now(),
      keyExpiresAt: input.keyExpiresAt,
      apiProducts: input.bindings,
      attributes: input.attributes,
    });
    forgetConsumers(rt);
    return { credential, consumerKey, consumerSecret };
  } catch (error) {
    await rt.table.delete(apiKeyMarkerKeys(fingerprint, app.organization));
    throw error;
  }
}

/** Makes every token issued to these credentials until now invalid (they stay listed). */
export async function revokeCredentialsOf(rt: Runtime, credentials: StoredCredential[]): Promise<void> {
  for (const credential of credentials) {
    await revokeClient(rt, { organization: credential.organization, keyFingerprint: credential.keyFingerprint });
  }
}

/** Removes a credential and its key marker; its tokens are revoked. */
export async function deleteCredentialItems(rt: Runtime, credential: StoredCredential): Promise<void> {
  await revokeClient(rt, { organization: credential.organization, keyFingerprint: credential.keyFingerprint });
  await rt.table.delete(credentialKeys(credential.organization, credential.appId, credential.keyFingerprint));
  await rt.table.delete(apiKeyMarkerKeys(credential.keyFingerprint, credential.organization));
  // Only this organization's: a legacy marker of another organization stays.
  await rt.table.delete(legacyApiKeyMarkerKeys(credential.keyFingerprint), {
    condition: '#organization = :organization',
    names: { '#organization': 'organization' },
    values: { ':organization': credential.organization },
  });
}

const KEY_IN_USE = 'This consumer key is already in use';

/** Whether the organization already has a credential with this key (a marker of either form). */
async function keyInUse(rt: Runtime, organization: string, fingerprint: string): Promise<boolean> {
  const markers = await rt.table.queryAll<KeyMarker>(apiKeyPartition(fingerprint), { consistent: true });
  return markers.some((marker) => marker.type === 'apikey' && marker.organization === organization);
}

export async function createCredential(rt: Runtime, app: AppRef, input: CredentialInput): Promise<IssuedCredential> {
  const { bindings } = await productBindings(rt, app.organization, input.apiProducts, 'apiProducts');
  if (input.consumerKey !== undefined) {
    const envelope = await rt.dataKey();
    if (await keyInUse(rt, app.organization, keyFingerprint(envelope, input.consumerKey))) throw conflict(KEY_IN_USE);
  }
  return issueCredential(rt, app, {
    ...(input.consumerKey !== undefined ? { consumerKey: input.consumerKey } : {}),
    ...(input.consumerSecret !== undefined ? { consumerSecret: input.consumerSecret } : {}),
    bindings,
    keyExpiresAt: expiryFrom(input, Date.now()),
    attributes: attributesToRecord(input.attributes),
  });
}

export async function findCredential(rt: Runtime, app: AppRef, consumerKey: string): Promise<StoredCredential | undefined> {
  const envelope = await rt.dataKey();
  return rt.table.get<StoredCredential>(credentialKeys(app.organization, app.appId, keyFingerprint(envelope, consumerKey)), { consistent: true });
}

export async function requireCredential(rt: Runtime, app: AppRef, consumerKey: string): Promise<StoredCredential> {
  const credential = await findCredential(rt, app, consumerKey);
  if (!credential) throw notFound(`Consumer key not found for app ${app.name}`);
  return credential;
}

export async function setCredentialStatus(rt: Runtime, credential: StoredCredential, status: CredentialStatus): Promise<StoredCredential> {
  const updated = await rt.table.modify<StoredCredential>(credential, (current) => ({ ...current, status }));
  if (status === 'revoked') await revokeClient(rt, { organization: credential.organization, keyFingerprint: credential.keyFingerprint });
  await consumersChanged(rt, credential.organization);
  return updated;
}

export async function addCredentialProducts(rt: Runtime, credential: StoredCredential, names: string[]): Promise<StoredCredential> {
  const { bindings } = await productBindings(rt, credential.organization, names, 'apiProducts');
  const updated = await rt.table.modify<StoredCredential>(credential, (current) => {
    const known = new Set(current.apiProducts.map((b) => b.apiproduct));
    return { ...current, apiProducts: [...current.apiProducts, ...bindings.filter((b) => !known.has(b.apiproduct))] };
  });
  forgetConsumers(rt);
  return updated;
}

export async function setCredentialProductStatus(rt: Runtime, credential: StoredCredential, product: string, status: ProductBindingStatus): Promise<StoredCredential> {
  if (!credential.apiProducts.some((b) => b.apiproduct === product)) throw notFound(`API product ${product} is not bound to this key`);
  const updated = await rt.table.modify<StoredCredential>(credential, (current) => ({
    ...current,
    apiProducts: current.apiProducts.map((b) => (b.apiproduct === product ? { ...b, status } : b)),
  }));
  await consumersChanged(rt, credential.organization);
  return updated;
}

export async function removeCredentialProduct(rt: Runtime, credential: StoredCredential, product: string): Promise<StoredCredential> {
  if (!credential.apiProducts.some((b) => b.apiproduct === product)) throw notFound(`API product ${product} is not bound to this key`);
  const updated = await rt.table.modify<StoredCredential>(credential, (current) => ({
    ...current,
    apiProducts: current.apiProducts.filter((b) => b.apiproduct !== product),
  }));
  await consumersChanged(rt, credential.organization);
  return updated;
}

export async function deleteCredential(rt: Runtime, credential: StoredCredential): Promise<void> {
  await deleteCredentialItems(rt, credential);
  await consumersChanged(rt, credential.organization);
}

/** Scopes a credential may be granted: its approved products' scopes, narrowed to the app's scopes if it lists any. */
export function grantableScopes(productScopes: string[][], appScopes: string[]): string[] {
  const union = [...new Set(productScopes.flat())];
  return appScopes.length ? union.filter((scope) => appScopes.includes(scope)) : union;
}
