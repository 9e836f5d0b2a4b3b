// Developer apps and their credentials (consumer key + secret, bound to API
// products). Items, all in the organization's partition unless noted:
//   APP#{appId}                    the app
//   DEVAPP#{developerId}#{name}    name marker: one app name per developer
//   CRED#{appId}#{keyFingerprint}  a credential (several per app, for rotation)
//   APIKEY#{keyFingerprint} / #APIKEY (own partition) the key's global uniqueness
//     record, which also finds the credential from a key in one consistent read.
import * as z from 'zod';
import { randomId } from '../crypto/random.js';
import { conflict, notFound, unprocessable, type FieldProblem } from '../http/errors.js';
import type { Runtime } from '../runtime.js';
import type { StoredItem } from '../store/table.js';
import { revokeClient } from '../credentials/revocation.js';
import { attributesSchema, attributesToRecord, entityName, epochMillis, numberLike, recordToAttributes, scopeToken } from './apigee.js';
import {
  generateConsumerKey,
  generateConsumerSecret,
  keyFingerprint,
  sealedKeyContext,
  secretHash,
} from './credential-crypto.js';
import type { StoredDeveloper } from './developers.js';
import { readProduct, type StoredProduct } from './products.js';
import { forgetConsumers } from './consumer-cache.js';
import { apiKeyMarkerKeys, appCredentialsPrefix, appKeys, credentialKeys, developerAppKeys, developerAppsPrefix, orgPartition } from '../store/keys.js';

export type AppStatus = 'approved' | 'revoked' | 'pending';
export type CredentialStatus = 'approved' | 'revoked';
export type ProductBindingStatus = 'approved' | 'revoked' | 'pending';

export interface StoredApp extends StoredItem {
  type: 'app';
  organization: string;
  appId: string;
  name: string;
  developerId: string;
  developerEmail: string;
  status: AppStatus;
  callbackUrl?: string;
  scopes: string[];
  attributes: Record<string, string>;
}

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


const keyExpiresIn = z.preprocess((v) => (v === '' || v === null ? undefined : v), numberLike.pipe(z.number().int().min(-1)).optional());
const callbackUrl = z.preprocess((v) => (v === '' || v === null ? undefined : v), z.url().max(2048).optional());

export const appInput = z.object({
  name: entityName,
  apiProducts: z.array(z.string().min(1).max(255)).max(100).default([]),
  callbackUrl,
  scopes: z.array(scopeToken).max(100).default([]),
  attributes: attributesSchema,
  keyExpiresIn,
  status: z.enum(['approved', 'revoked', 'pending']).optional(),
});
export type AppInput = z.output<typeof appInput>;

export const appUpdateInput = appInput.omit({ keyExpiresIn: true }).extend({ name: entityName.optional() });
export type AppUpdateInput = z.output<typeof appUpdateInput>;

/** `keys/create`: import a given key and secret, or generate them. */
export const credentialInput = z.object({
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
});
export type CredentialInput = z.output<typeof credentialInput>;

/** A credential as shown once, right after it is created. */
export interface IssuedCredential {
  credential: StoredCredential;
  consumerKey: string;
  consumerSecret: string;
}

function changed(rt: Runtime): void {
  forgetConsumers(rt);
}

/** Products must exist; returns their bindings (auto-approved or pending per approvalType). */
async function productBindings(rt: Runtime, org: string, names: string[], field: string): Promise<{ bindings: ProductBinding[]; products: StoredProduct[] }> {
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

function checkAppScopes(scopes: string[], products: StoredProduct[]): void {
  const offered = new Set(products.flatMap((product) => product.scopes));
  const problems = scopes
    .map((scope, i) => ({ scope, i }))
    .filter(({ scope }) => !offered.has(scope))
    .map(({ scope, i }) => ({ path: `scopes.${i}`, message: `scope "${scope}" is not offered by the app's API products` }));
  if (problems.length) throw unprocessable('App scopes must come from its API products', problems);
}

function expiryFrom(input: { keyExpiresIn?: number | undefined; expiresAt?: number | undefined }, now: number): number {
  if (input.expiresAt !== undefined) return input.expiresAt <= 0 ? -1 : input.expiresAt;
  if (input.keyExpiresIn === undefined || input.keyExpiresIn <= 0) return -1;
  return now + input.keyExpiresIn;
}

export async function getApp(rt: Runtime, org: string, appId: string): Promise<StoredApp | undefined> {
  return rt.table.get<StoredApp>(appKeys(org, appId));
}

export async function findDeveloperApp(rt: Runtime, org: string, developer: StoredDeveloper, name: string): Promise<StoredApp | undefined> {
  const marker = await rt.table.get<StoredItem & { appId: string }>(developerAppKeys(org, developer.developerId, name));
  return marker ? getApp(rt, org, marker.appId) : undefined;
}

export async function requireDeveloperApp(rt: Runtime, org: string, developer: StoredDeveloper, name: string): Promise<StoredApp> {
  const app = await findDeveloperApp(rt, org, developer, name);
  if (!app) throw notFound(`App ${name} of developer ${developer.email} does not exist`);
  return app;
}

/** Names (sorted) and ids of a developer's apps. */
export async function developerAppRefs(rt: Runtime, org: string, developerId: string): Promise<{ name: string; appId: string }[]> {
  const markers = await rt.table.queryAll<StoredItem & { appId: string; name: string }>(orgPartition(org), {
    prefix: developerAppsPrefix(developerId),
  });
  return markers.map((marker) => ({ name: marker.name, appId: marker.appId }));
}

export async function appCredentials(rt: Runtime, org: string, appId: string): Promise<StoredCredential[]> {
  const items = await rt.table.queryAll<StoredCredential>(orgPartition(org), { prefix: appCredentialsPrefix(appId), consistent: true });
  return items.sort((a, b) => a.issuedAt - b.issuedAt);
}

async function writeCredential(rt: Runtime, app: StoredApp, input: { consumerKey?: string; consumerSecret?: string; bindings: ProductBinding[]; keyExpiresAt: number; attributes: Record<string, string> }): Promise<IssuedCredential> {
  const envelope = await rt.dataKey();
  const consumerKey = input.consumerKey ?? generateConsumerKey();
  const consumerSecret = input.consumerSecret ?? generateConsumerSecret();
  const fingerprint = keyFingerprint(envelope, consumerKey);
  // The marker makes the key unique across every organization before anything else is written.
  await rt.table.create({ ...apiKeyMarkerKeys(fingerprint), type: 'apikey', organization: app.organization, appId: app.appId }, 'This consumer key is already in use');
  try {
    const credential = await rt.table.create<StoredCredential>({
      ...credentialKeys(app.organization, app.appId, fingerprint),
      type: 'credential',
      organization: app.organization,
      appId: app.appId,
      keyFingerprint: fingerprint,
      consumerKeySealed: envelope.encrypt(consumerKey, sealedKeyContext(app.organization, app.appId)),
      secretHash: secretHash(envelope, consumerKey, consumerSecret),
      status: 'approved',
      issuedAt: Date.now(),
      keyExpiresAt: input.keyExpiresAt,
      apiProducts: input.bindings,
      attributes: input.attributes,
    });
    changed(rt);
    return { credential, consumerKey, consumerSecret };
  } catch (error) {
    await rt.table.delete(apiKeyMarkerKeys(fingerprint));
    throw error;
  }
}

export async function createApp(rt: Runtime, org: string, developer: StoredDeveloper, input: AppInput): Promise<{ app: StoredApp; issued: IssuedCredential }> {
  const { bindings, products } = await productBindings(rt, org, input.apiProducts, 'apiProducts');
  checkAppScopes(input.scopes, products);
  const appId = randomId();
  await rt.table.create(
    { ...developerAppKeys(org, developer.developerId, input.name), type: 'appname', name: input.name, appId },
    `App ${input.name} already exists for developer ${developer.email}`,
  );
  let app: StoredApp;
  try {
    app = await rt.table.create<StoredApp>({
      ...appKeys(org, appId),
      type: 'app',
      organization: org,
      appId,
      name: input.name,
      developerId: developer.developerId,
      developerEmail: developer.email,
      status: input.status ?? 'approved',
      ...(input.callbackUrl ? { callbackUrl: input.callbackUrl } : {}),
      scopes: [...new Set(input.scopes)],
      attributes: attributesToRecord(input.attributes),
    });
  } catch (error) {
    await rt.table.delete(developerAppKeys(org, developer.developerId, input.name));
    throw error;
  }
  let issued: IssuedCredential;
  try {
    issued = await writeCredential(rt, app, {
      bindings,
      keyExpiresAt: expiryFrom(input, Date.now()),
      attributes: {},
    });
  } catch (error) {
    // Without its credential the caller never learns a secret for this app: take it back
    // so that the same request can simply be sent again.
    await rt.table.delete(appKeys(org, appId));
    await rt.table.delete(developerAppKeys(org, developer.developerId, input.name));
    throw error;
  }
  return { app, issued };
}

/** Full update of an app's settings; products listed are added to every credential that lacks them. */
export async function updateApp(rt: Runtime, app: StoredApp, input: AppUpdateInput): Promise<StoredApp> {
  if (input.name !== undefined && input.name !== app.name) {
    throw unprocessable('An app\'s name cannot be changed', [{ path: 'name', message: `must be ${app.name}` }]);
  }
  const credentials = await appCredentials(rt, app.organization, app.appId);
  const { products: added } = await productBindings(rt, app.organization, input.apiProducts, 'apiProducts');
  const addedNames = new Set(added.map((p) => p.name));
  const boundNames = [...new Set(credentials.flatMap((c) => c.apiProducts.map((b) => b.apiproduct)))].filter((name) => !addedNames.has(name));
  const bound = (await Promise.all(boundNames.map((name) => readProduct(rt, app.organization, name)))).filter(
    (p): p is StoredProduct => p !== undefined,
  );
  checkAppScopes(input.scopes, [...added, ...bound]);
  const updated = await rt.table.modify<StoredApp>(app, (current) => ({
    ...current,
    callbackUrl: input.callbackUrl,
    scopes: [...new Set(input.scopes)],
    attributes: attributesToRecord(input.attributes),
    status: input.status ?? current.status,
  }));
  if (added.length) {
    for (const credential of credentials) await addCredentialProducts(rt, credential, [...addedNames]);
  }
  if (input.status === 'revoked' && app.status !== 'revoked') await revokeCredentialsOf(rt, credentials);
  changed(rt);
  return updated;
}

async function revokeCredentialsOf(rt: Runtime, credentials: StoredCredential[]): Promise<void> {
  for (const credential of credentials) {
    await revokeClient(rt, { organization: credential.organization, keyFingerprint: credential.keyFingerprint });
  }
}

export async function setAppStatus(rt: Runtime, app: StoredApp, status: AppStatus): Promise<StoredApp> {
  const updated = await rt.table.modify<StoredApp>(app, (current) => ({ ...current, status }));
  if (status !== 'approved') await revokeCredentialsOf(rt, await appCredentials(rt, app.organization, app.appId));
  changed(rt);
  return updated;
}

/** Revokes (or, for `approve`, only re-enables) every credential of every app of a developer whose status changed. */
export async function developerStatusChanged(rt: Runtime, org: string, developer: StoredDeveloper): Promise<void> {
  if (developer.status !== 'active') {
    for (const ref of await developerAppRefs(rt, org, developer.developerId)) {
      await revokeCredentialsOf(rt, await appCredentials(rt, org, ref.appId));
    }
  }
  changed(rt);
}

export async function deleteApp(rt: Runtime, app: StoredApp): Promise<StoredCredential[]> {
  const credentials = await appCredentials(rt, app.organization, app.appId);
  for (const credential of credentials) await deleteCredentialItems(rt, credential);
  await rt.table.delete(appKeys(app.organization, app.appId));
  await rt.table.delete(developerAppKeys(app.organization, app.developerId, app.name));
  changed(rt);
  return credentials;
}

export async function deleteDeveloperApps(rt: Runtime, org: string, developer: StoredDeveloper): Promise<void> {
  for (const ref of await developerAppRefs(rt, org, developer.developerId)) {
    const app = await getApp(rt, org, ref.appId);
    if (app) await deleteApp(rt, app);
    else await rt.table.delete(developerAppKeys(org, developer.developerId, ref.name));
  }
}

async function deleteCredentialItems(rt: Runtime, credential: StoredCredential): Promise<void> {
  await revokeClient(rt, { organization: credential.organization, keyFingerprint: credential.keyFingerprint });
  await rt.table.delete(credentialKeys(credential.organization, credential.appId, credential.keyFingerprint));
  await rt.table.delete(apiKeyMarkerKeys(credential.keyFingerprint));
}

export async function createCredential(rt: Runtime, app: StoredApp, input: CredentialInput): Promise<IssuedCredential> {
  const { bindings } = await productBindings(rt, app.organization, input.apiProducts, 'apiProducts');
  if (input.consumerKey !== undefined) {
    const envelope = await rt.dataKey();
    const existing = await rt.table.get(apiKeyMarkerKeys(keyFingerprint(envelope, input.consumerKey)), { consistent: true });
    if (existing) throw conflict('This consumer key is already in use');
  }
  return writeCredential(rt, app, {
    ...(input.consumerKey !== undefined ? { consumerKey: input.consumerKey } : {}),
    ...(input.consumerSecret !== undefined ? { consumerSecret: input.consumerSecret } : {}),
    bindings,
    keyExpiresAt: expiryFrom(input, Date.now()),
    attributes: attributesToRecord(input.attributes),
  });
}

export async function findCredential(rt: Runtime, app: StoredApp, consumerKey: string): Promise<StoredCredential | undefined> {
  const envelope = await rt.dataKey();
  return rt.table.get<StoredCredential>(credentialKeys(app.organization, app.appId, keyFingerprint(envelope, consumerKey)), { consistent: true });
}

export async function requireCredential(rt: Runtime, app: StoredApp, consumerKey: string): Promise<StoredCredential> {
  const credential = await findCredential(rt, app, consumerKey);
  if (!credential) throw notFound(`Consumer key not found for app ${app.name}`);
  return credential;
}

export async function setCredentialStatus(rt: Runtime, credential: StoredCredential, status: CredentialStatus): Promise<StoredCredential> {
  const updated = await rt.table.modify<StoredCredential>(credential, (current) => ({ ...current, status }));
  if (status === 'revoked') await revokeClient(rt, { organization: credential.organization, keyFingerprint: credential.keyFingerprint });
  changed(rt);
  return updated;
}

export async function addCredentialProducts(rt: Runtime, credential: StoredCredential, names: string[]): Promise<StoredCredential> {
  const { bindings } = await productBindings(rt, credential.organization, names, 'apiProducts');
  const updated = await rt.table.modify<StoredCredential>(credential, (current) => {
    const known = new Set(current.apiProducts.map((b) => b.apiproduct));
    return { ...current, apiProducts: [...current.apiProducts, ...bindings.filter((b) => !known.has(b.apiproduct))] };
  });
  changed(rt);
  return updated;
}

export async function setCredentialProductStatus(rt: Runtime, credential: StoredCredential, product: string, status: ProductBindingStatus): Promise<StoredCredential> {
  if (!credential.apiProducts.some((b) => b.apiproduct === product)) throw notFound(`API product ${product} is not bound to this key`);
  const updated = await rt.table.modify<StoredCredential>(credential, (current) => ({
    ...current,
    apiProducts: current.apiProducts.map((b) => (b.apiproduct === product ? { ...b, status } : b)),
  }));
  changed(rt);
  return updated;
}

export async function removeCredentialProduct(rt: Runtime, credential: StoredCredential, product: string): Promise<StoredCredential> {
  if (!credential.apiProducts.some((b) => b.apiproduct === product)) throw notFound(`API product ${product} is not bound to this key`);
  const updated = await rt.table.modify<StoredCredential>(credential, (current) => ({
    ...current,
    apiProducts: current.apiProducts.filter((b) => b.apiproduct !== product),
  }));
  changed(rt);
  return updated;
}

export async function deleteCredential(rt: Runtime, credential: StoredCredential): Promise<void> {
  await deleteCredentialItems(rt, credential);
  changed(rt);
}

/** Scopes a credential may be granted: its approved products' scopes, narrowed to the app's scopes if it lists any. */
export function grantableScopes(productScopes: string[][], appScopes: string[]): string[] {
  const union = [...new Set(productScopes.flat())];
  return appScopes.length ? union.filter((scope) => appScopes.includes(scope)) : union;
}

/** Apigee's credential JSON. The secret appears only when it was just created. */
export async function apigeeCredential(rt: Runtime, credential: StoredCredential, app: StoredApp, revealed?: IssuedCredential): Promise<Record<string, unknown>> {
  const envelope = await rt.dataKey();
  const consumerKey = revealed?.consumerKey ?? envelope.decryptText(credential.consumerKeySealed, sealedKeyContext(credential.organization, credential.appId));
  const approvedScopes = await Promise.all(
    credential.apiProducts
      .filter((b) => b.status === 'approved')
      .map(async (b) => (await readProduct(rt, credential.organization, b.apiproduct))?.scopes ?? []),
  );
  return {
    consumerKey,
    consumerSecret: revealed ? revealed.consumerSecret : '*****',
    apiProducts: credential.apiProducts,
    attributes: recordToAttributes(credential.attributes),
    expiresAt: credential.keyExpiresAt,
    issuedAt: credential.issuedAt,
    scopes: grantableScopes(approvedScopes, app.scopes),
    status: credential.status,
  };
}

export async function apigeeApp(rt: Runtime, app: StoredApp, credentials: StoredCredential[], revealed?: IssuedCredential): Promise<Record<string, unknown>> {
  return {
    appId: app.appId,
    name: app.name,
    developerId: app.developerId,
    status: app.status,
    ...(app.callbackUrl ? { callbackUrl: app.callbackUrl } : {}),
    attributes: recordToAttributes(app.attributes),
    scopes: app.scopes,
    appFamily: 'default',
    credentials: await Promise.all(
      credentials.map((credential) =>
        apigeeCredential(rt, credential, app, revealed && revealed.credential.keyFingerprint === credential.keyFingerprint ? revealed : undefined),
      ),
    ),
    createdAt: epochMillis(app.createdAt),
    lastModifiedAt: epochMillis(app.updatedAt),
  };
}
