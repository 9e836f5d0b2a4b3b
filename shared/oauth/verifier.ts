// Access-token verification, shared by introspection and the proxy runtime's
// VerifyAccessToken: local ES256 signature check against the cached key set,
// expiry and issuer, then the cached revocation list, the client's current
// authorization (the cached consumer: key, app and developer still usable, and
// the token's products narrowed to those still granted) and scopes. A warm
// call reads neither the table nor the secret store.
//
// A token whose signature checked out is remembered (bounded, until its
// `exp`, with the `kid` and key that verified it), so a client presenting the
// same token again skips the signature check while the same key still
// verifies that `kid`; revocation, consumer, product and scope checks run on
// every call against their own state.
import { errors, jwtVerify, type CryptoKey, type JWTHeaderParameters } from 'jose';
import { TtlCache } from '../cache/ttl-cache.js';
import { keyFingerprint } from '../consumers/credential-crypto.js';
import type { Envelope } from '../crypto/envelope.js';
import { checkConsumerUsable, lookupConsumer } from '../consumers/lookup.js';
import { isDependencyUnavailable } from '../http/unavailable.js';
import type { Runtime } from '../runtime.js';
import { CredentialError } from '../credentials/errors.js';
import { signingKeys, SIGNING_ALG } from './keys.js';
import { revocationList } from '../credentials/revocation.js';

export interface AccessTokenClaims {
  iss: string;
  sub: string;
  client_id: string;
  aud?: string | string[];
  /** Space-separated. */
  scope: string;
  /** Product names. */
  api_products: string[];
  jti: string;
  iat: number;
  exp: number;
  /** The organization the app belongs to. */
  organization: string;
  developer_email?: string;
  app_name?: string;
}

/** Header `typ` of Tollgate access tokens (RFC 9068). */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
const MAX_TOKEN_LENGTH = 8192;

/** Tokens held by one container: enough for every client of a busy gateway, a few MB at most. */
export const VERIFIED_TOKENS = 4096;

interface VerifiedToken {
  claims: AccessTokenClaims;
  kid: string;
  key: CryptoKey;
  /** Its client's key fingerprint, with the data key that made it (the revocation list names clients by fingerprint). */
  client?: { envelope: Envelope; fingerprint: string };
}

const verifiedTokens = (rt: Runtime) =>
  rt.service('oauth.verified-tokens', () => new TtlCache<string, VerifiedToken>({ ttlMs: 0, maxEntries: VERIFIED_TOKENS, missTtlMs: 0 }));

/** Callers narrow the products they are given: the remembered claims are never theirs. */
const copyClaims = (claims: AccessTokenClaims): AccessTokenClaims => ({ ...claims, api_products: [...claims.api_products] });

/** The claims of a token verified before, if the key that verified it still verifies its `kid` and it has not expired. */
async function rememberedClaims(rt: Runtime, token: string): Promise<AccessTokenClaims | undefined> {
  const entry = verifiedTokens(rt).peek(token)?.value;
  if (!entry || entry.claims.exp * 1000 <= Date.now()) return undefined;
  if ((await signingKeys(rt).verificationKey(entry.kid)) !== entry.key) return undefined;
  return copyClaims(entry.claims);
}

/**
 * The fingerprint of the token's client key: an HMAC under the data key, made
 * once per remembered token rather than on every call (it was a tenth of a
 * warm VerifyAccessToken), and again if the data key is not the one that made it.
 */
async function clientFingerprint(rt: Runtime, token: string, clientId: string): Promise<string> {
  const envelope = await rt.dataKey();
  const entry = verifiedTokens(rt).peek(token)?.value;
  if (entry?.client?.envelope === envelope && entry.claims.client_id === clientId) return entry.client.fingerprint;
  const fingerprint = keyFingerprint(envelope, clientId);
  if (entry) entry.client = { envelope, fingerprint };
  return fingerprint;
}

const invalidToken = (message = 'Invalid access token') => new CredentialError('invalid_token', message);

function claimsFrom(payload: Record<string, unknown>): AccessTokenClaims {
  const { iss, sub, client_id, aud, scope, api_products, jti, iat, exp, organization, developer_email, app_name } = payload;
  const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
  const valid =
    isString(iss) &&
    isString(sub) &&
    isString(client_id) &&
    typeof scope === 'string' &&
    Array.isArray(api_products) &&
    api_products.every((name) => typeof name === 'string') &&
    isString(jti) &&
    typeof iat === 'number' &&
    typeof exp === 'number' &&
    isString(organization) &&
    (developer_email === undefined || typeof developer_email === 'string') &&
    (app_name === undefined || typeof app_name === 'string');
  if (!valid) throw invalidToken('The access token lacks required claims');
  return {
    iss,
    sub,
    client_id,
    ...(aud !== undefined ? { aud: aud as string | string[] } : {}),
    scope,
    api_products: api_products as string[],
    jti,
    iat,
    exp,
    organization,
    ...(developer_email !== undefined ? { developer_email } : {}),
    ...(app_name !== undefined ? { app_name } : {}),
  };
}

/**
 * Checks signature, algorithm, type, issuer, audience (when configured) and
 * expiry, and optionally the organization; no revocation check.
 */
export async function verifySignedToken(rt: Runtime, token: string, organization?: string): Promise<AccessTokenClaims> {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw invalidToken();
  const remembered = await rememberedClaims(rt, token);
  if (remembered) {
    if (organization !== undefined && remembered.organization !== organization) throw invalidToken();
    return remembered;
  }
  const keys = signingKeys(rt);
  let claims: AccessTokenClaims;
  let verifiedBy: { kid: string; key: CryptoKey } | undefined;
  try {
    const { payload } = await jwtVerify(
      token,
      async (header: JWTHeaderParameters) => {
        if (header.alg !== SIGNING_ALG || typeof header.kid !== 'string') throw invalidToken('Unsupported token signature');
        const key = await keys.verificationKey(header.kid);
        if (!key) throw invalidToken('The access token was signed with an unknown key');
        verifiedBy = { kid: header.kid, key };
        return key;
      },
      {
        algorithms: [SIGNING_ALG],
        issuer: rt.config.issuer,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ['exp', 'iat', 'jti', 'sub'],
        ...(rt.config.tokenAudience ? { audience: rt.config.tokenAudience } : {}),
      },
    );
    claims = claimsFrom(payload as Record<string, unknown>);
    // Not before: jose checks it on each verification, so such a token is never remembered.
    if (verifiedBy && payload.nbf === undefined) {
      verifiedTokens(rt).set(token, { claims: copyClaims(claims), ...verifiedBy }, claims.exp * 1000 - Date.now());
    }
  } catch (error) {
    if (error instanceof CredentialError) throw error;
    // The key set could not be read (Secrets Manager throttling or unreachable): say so, rather
    // than calling a good token invalid.
    if (isDependencyUnavailable(error)) throw error;
    if (error instanceof errors.JWTExpired) throw new CredentialError('token_expired', 'The access token has expired');
    throw invalidToken();
  }
  if (organization !== undefined && claims.organization !== organization) throw invalidToken();
  return claims;
}

/**
 * Verifies signature (cached JWKS, no DynamoDB read when warm), expiry,
 * issuer, revocation (cached revocation list), and, when given, that every
 * scope in `requiredScopes` is granted.
 */
export async function verifyAccessToken(
  rt: Runtime,
  token: string,
  options: { requiredScopes?: string[]; organization?: string } = {},
): Promise<AccessTokenClaims> {
  const claims = await verifySignedToken(rt, token, options.organization);
  const revocations = revocationList(rt);
  const refreshing = revocations.fresh();
  if (refreshing) await refreshing;
  if (revocations.isTokenRevoked(claims.jti)) throw new CredentialError('token_revoked', 'The access token has been revoked');
  const clientRevokedAt = revocations.clientRevokedAt(claims.organization, await clientFingerprint(rt, token, claims.client_id));
  // Seconds resolution of iat: a token issued in the same second as a revocation counts as revoked.
  if (clientRevokedAt !== undefined && claims.iat * 1000 <= clientRevokedAt) {
    throw new CredentialError('token_revoked', 'The client this token was issued to has been revoked');
  }
  // What the token says was granted at issuance; what counts is what is granted now.
  const consumer = await lookupConsumer(rt, claims.client_id, claims.organization);
  if (!consumer) throw new CredentialError('token_revoked', 'The client this token was issued to no longer exists');
  checkConsumerUsable(consumer);
  const stillGranted = new Set(consumer.products.map((product) => product.name));
  const products = claims.api_products.filter((name) => stillGranted.has(name));
  if (claims.api_products.length > 0 && products.length === 0) {
    throw new CredentialError('token_revoked', 'The API products of this token are no longer granted to its app');
  }
  claims.api_products = products;
  if (options.requiredScopes?.length) {
    const granted = new Set(claims.scope.split(' ').filter(Boolean));
    const missing = options.requiredScopes.filter((scope) => !granted.has(scope));
    if (missing.length) throw new CredentialError('insufficient_scope', `The access token lacks the scope ${missing.join(' ')}`);
  }
  return claims;
}
