// Developer apps: an app belongs to one developer, carries scopes and
// attributes, and holds credentials (app-credentials.ts) bound to API products.
// Items, in the organization's partition (store/keys.ts):
//   APP#{appId}                    the app
//   DEVAPP#{developerId}#{name}    name marker: one app name per developer
import * as z from 'zod';
import { randomId } from '../crypto/random.js';
import { notFound, unprocessable } from '../http/errors.js';
import type { Runtime } from '../runtime.js';
import { appKeys, developerAppKeys, developerAppsPrefix, orgPartition } from '../store/keys.js';
import type { StoredItem } from '../store/table.js';
import { attributesSchema, attributesToRecord, entityName, scopeToken } from './apigee.js';
import { consumersChanged } from './consumer-cache.js';
import {
  addCredentialProducts,
  appCredentials,
  deleteCredentialItems,
  expiryFrom,
  issueCredential,
  keyExpiresIn,
  productBindings,
  revokeCredentialsOf,
  type IssuedCredential,
  type StoredCredential,
} from './app-credentials.js';
import type { StoredDeveloper } from './developers.js';
import { readProduct, type StoredProduct } from './products.js';

export type AppStatus = 'approved' | 'revoked' | 'pending';

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

const callbackUrl = z.preprocess((v) => (v === '' || v === null ? undefined : v), z.url().max(2048).optional());

export const appInput = z.lazy(() => z.object({
  name: entityName,
  apiProducts: z.array(z.string().min(1).max(255)).max(100).default([]),
  callbackUrl,
  scopes: z.array(scopeToken).max(100).default([]),
  attributes: attributesSchema,
  keyExpiresIn,
  status: z.enum(['approved', 'revoked', 'pending']).optional(),
}));
export type AppInput = z.output<typeof appInput>;

export const appUpdateInput = z.lazy(() => appInput.unwrap().omit({ keyExpiresIn: true }).extend({ name: entityName.optional() }));
export type AppUpdateInput = z.output<typeof appUpdateInput>;


function checkAppScopes(scopes: string[], products: StoredProduct[]): void {
  const offered = new Set(products.flatMap((product) => product.scopes));
  const problems = scopes
    .map((scope, i) => ({ scope, i }))
    .filter(({ scope }) => !offered.has(scope))
    .map(({ scope, i }) => ({ path: `scopes.${i}`, message: `scope "${scope}" is not offered by the app's API products` }));
  if (problems.length) throw unprocessable('App scopes must come from its API products', problems);
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
    issued = await issueCredential(rt, app, {
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
  await consumersChanged(rt, app.organization);
  return updated;
}

export async function setAppStatus(rt: Runtime, app: StoredApp, status: AppStatus): Promise<StoredApp> {
  const updated = await rt.table.modify<StoredApp>(app, (current) => ({ ...current, status }));
  if (status !== 'approved') await revokeCredentialsOf(rt, await appCredentials(rt, app.organization, app.appId));
  await consumersChanged(rt, app.organization);
  return updated;
}

/** Revokes (or, for `approve`, only re-enables) every credential of every app of a developer whose status changed. */
export async function developerStatusChanged(rt: Runtime, org: string, developer: StoredDeveloper): Promise<void> {
  if (developer.status !== 'active') {
    for (const ref of await developerAppRefs(rt, org, developer.developerId)) {
      await revokeCredentialsOf(rt, await appCredentials(rt, org, ref.appId));
    }
  }
  await consumersChanged(rt, org);
}

export async function deleteApp(rt: Runtime, app: StoredApp): Promise<StoredCredential[]> {
  const credentials = await appCredentials(rt, app.organization, app.appId);
  for (const credential of credentials) await deleteCredentialItems(rt, credential);
  await rt.table.delete(appKeys(app.organization, app.appId));
  await rt.table.delete(developerAppKeys(app.organization, app.developerId, app.name));
  await consumersChanged(rt, app.organization);
  return credentials;
}

export async function deleteDeveloperApps(rt: Runtime, org: string, developer: StoredDeveloper): Promise<void> {
  for (const ref of await developerAppRefs(rt, org, developer.developerId)) {
    const app = await getApp(rt, org, ref.appId);
    if (app) await deleteApp(rt, app);
    else await rt.table.delete(developerAppKeys(org, developer.developerId, ref.name));
  }
}
