// The Apigee Edge JSON of developer apps and their credentials, as the
// management API returns them: the consumer key unsealed for its owner, the
// consumer secret masked unless it was just created.
import type { Runtime } from '../runtime.js';
import { epochMillis, recordToAttributes } from './apigee.js';
import type { StoredApp } from './apps.js';
import { sealedKeyContext } from './credential-crypto.js';
import { grantableScopes, type IssuedCredential, type StoredCredential } from './app-credentials.js';
import { readProduct } from './products.js';

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
