// client_credentials issuance, used by POST /oauth/token and by the proxy
// runtime's OAuthV2 GenerateAccessToken policy. The client lookup is cached per
// container, so a warm request costs one HMAC and one ES256 signature.
import { randomUUID } from 'node:crypto';
import { CompactSign } from 'jose';
import { SCOPE_TOKEN } from '../consumers/apigee.js';
import { grantableScopes } from '../consumers/app-credentials.js';
import type { Consumer } from '../consumers/consumer-cache.js';
import { secretMatches } from '../consumers/credential-crypto.js';
import { checkConsumerUsable, lookupConsumers } from '../consumers/lookup.js';
import type { Runtime } from '../runtime.js';
import { CredentialError } from '../credentials/errors.js';
import { signingKeys, SIGNING_ALG } from './keys.js';
import { ACCESS_TOKEN_TYPE, type AccessTokenClaims } from './verifier.js';

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  claims: AccessTokenClaims;
}

const MAX_SECRET_LENGTH = 1024;
const utf8 = new TextEncoder();

/**
 * Authenticates a client by consumer key and secret. A key can be in use in
 * several organizations: the client is the one whose secret matches (none, or
 * more than one, is a failure). Throws `invalid_client` without saying which
 * part was wrong.
 */
export async function authenticateClient(rt: Runtime, clientId: string, clientSecret: string): Promise<Consumer> {
  const failed = () => new CredentialError('invalid_client', 'Client authentication failed');
  if (typeof clientSecret !== 'string' || clientSecret.length === 0 || clientSecret.length > MAX_SECRET_LENGTH) throw failed();
  const envelope = await rt.dataKey();
  const candidates = typeof clientId === 'string' ? await lookupConsumers(rt, clientId, envelope) : [];
  const matching = candidates.filter((consumer) => secretMatches(envelope, clientId, clientSecret, consumer.secretHash));
  if (matching.length !== 1) throw failed();
  return matching[0]!;
}

/**
 * The scopes to grant: all grantable ones for a blank or absent request
 * (SAP clients send a blank scope on purpose), else the requested ones, each
 * of which must be grantable.
 */
export function resolveScope(requested: string | undefined, grantable: string[]): string[] {
  if (requested === undefined || requested.trim() === '') return grantable;
  const wanted = [...new Set(requested.split(' ').filter(Boolean))];
  const malformed = wanted.find((scope) => !SCOPE_TOKEN.test(scope));
  if (malformed !== undefined) throw new CredentialError('invalid_scope', 'The scope parameter is malformed');
  const allowed = new Set(grantable);
  const refused = wanted.filter((scope) => !allowed.has(scope));
  if (refused.length) {
    throw new CredentialError('invalid_scope', `Requested scope exceeds the scopes of the client's API products: ${refused.join(' ')}`);
  }
  return wanted;
}

/** client_credentials issuance used by the OAuthV2 GenerateAccessToken policy: authenticates the client, then issues. */
export async function issueClientCredentialsToken(
  rt: Runtime,
  input: { clientId: string; clientSecret: string; scope?: string; organization?: string },
): Promise<IssuedToken> {
  const consumer = await authenticateClient(rt, input.clientId, input.clientSecret);
  if (input.organization !== undefined && consumer.organization !== input.organization) {
    throw new CredentialError('invalid_client', 'Client authentication failed');
  }
  checkConsumerUsable(consumer);
  return issueToken(rt, consumer, input.scope);
}

/** A token for a client already authenticated and usable (POST /oauth/token, where the router authenticated it). */
export async function issueToken(rt: Runtime, consumer: Consumer, scope: string | undefined): Promise<IssuedToken> {
  if (consumer.products.length === 0) throw new CredentialError('app_not_approved', 'The app has no approved API product');
  const scopes = resolveScope(scope, grantableScopes(consumer.products.map((p) => p.scopes), consumer.app.scopes));

  const lifetimes = consumer.products.map((p) => p.accessTokenLifetimeSeconds).filter((s): s is number => s !== undefined);
  const lifetime = lifetimes.length ? Math.min(...lifetimes) : rt.config.tokenLifetimeSeconds;
  const iat = Math.floor(Date.now() / 1000);
  const claims: AccessTokenClaims = {
    iss: rt.config.issuer,
    sub: consumer.consumerKey,
    client_id: consumer.consumerKey,
    ...(rt.config.tokenAudience ? { aud: rt.config.tokenAudience } : {}),
    scope: scopes.join(' '),
    api_products: consumer.products.map((p) => p.name),
    jti: randomUUID(),
    iat,
    exp: iat + lifetime,
    organization: consumer.organization,
    developer_email: consumer.developer.email,
    app_name: consumer.app.name,
  };
  const { kid, key } = await signingKeys(rt).signingKey();
  // The claim set is Tollgate's own, built above: signed as a JWS of its JSON (jose's JWT builder would copy and re-check it).
  const accessToken = await new CompactSign(utf8.encode(JSON.stringify(claims))).setProtectedHeader({ alg: SIGNING_ALG, kid, typ: ACCESS_TOKEN_TYPE }).sign(key);
  return { access_token: accessToken, token_type: 'Bearer', expires_in: lifetime, scope: claims.scope, claims };
}
