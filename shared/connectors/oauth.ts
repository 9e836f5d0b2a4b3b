// OAuth 2.0 client side of a connector: the authorization URL (with PKCE), and
// the token endpoint for the authorization-code and refresh-token grants, with
// the client authentication the element declares.
import { createHash } from 'node:crypto';
import { randomSecret } from '../crypto/random.js';
import { clientSecretBasic } from '../http/basic-auth.js';
import type { Runtime } from '../runtime.js';
import { fillTemplate, isBareOrigin, type OAuth2Authentication } from './element-schema.js';
import { headerValue, vendorRequest, vendorText } from './vendor-http.js';

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
}

export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  tokenType: string;
  /** Epoch milliseconds; absent when the vendor gives no lifetime and the element assumes none. */
  expiresAt?: number;
  scope?: string;
  /** Token response fields the element captures (Salesforce `instance_url`). */
  captured: Record<string, string>;
}

/** The vendor's token endpoint refused the request (an OAuth error response). */
export class TokenEndpointError extends Error {
  override name = 'TokenEndpointError';

  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string | undefined,
  ) {
    super(description ? `${error}: ${description}` : error);
  }

  /** True when retrying cannot help (the grant or the client is no longer accepted). */
  get permanent(): boolean {
    return this.status < 500 && this.status !== 429;
  }
}

export const TOKEN_TIMEOUT_MS = 10_000;

export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** A fresh PKCE verifier (64 characters of base64url, within RFC 7636's 43-128) and its S256 challenge. */
export function createPkce(): { verifier: string; challenge: string } {
  const verifier = randomSecret(48);
  return { verifier, challenge: pkceChallenge(verifier) };
}

export function defaultScope(auth: OAuth2Authentication): string {
  return auth.scopes.join(auth.scopeSeparator);
}

export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  state?: string;
  scope?: string;
  codeChallenge?: string;
}

/** The vendor's authorization URL for one request. `values` fill the URL's placeholders. */
export function authorizationUrl(auth: OAuth2Authentication, values: Record<string, string>, request: AuthorizationRequest): string {
  const url = new URL(fillTemplate(auth.authorizationUrl, values));
  const params = url.searchParams;
  params.set('response_type', 'code');
  params.set('client_id', request.clientId);
  params.set('redirect_uri', request.redirectUri);
  const scope = request.scope ?? defaultScope(auth);
  if (scope) params.set('scope', scope);
  if (request.state !== undefined) params.set('state', request.state);
  for (const [name, value] of Object.entries(auth.authorizationParams)) params.set(name, value);
  if (request.codeChallenge) {
    params.set('code_challenge', request.codeChallenge);
    params.set('code_challenge_method', 'S256');
  }
  return url.toString();
}

function parseTokenBody(contentType: string, body: Buffer): Record<string, unknown> | undefined {
  const text = body.toString('utf8');
  const tryJson = () => {
    try {
      const value = JSON.parse(text) as unknown;
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  if (contentType.includes('json')) return tryJson();
  if (contentType.includes('x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  return tryJson() ?? (text.includes('=') && !/\s/.test(text.trim()) ? Object.fromEntries(new URLSearchParams(text)) : undefined);
}

function expiresAtFrom(value: unknown, auth: OAuth2Authentication, now: number): number | undefined {
  const seconds = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
  if (seconds !== undefined && seconds > 0) return now + seconds * 1000;
  const fallback = auth.tokenExpiry.defaultExpiresInSeconds;
  return fallback ? now + fallback * 1000 : undefined;
}

function captureFields(auth: OAuth2Authentication, body: Record<string, unknown>): Record<string, string> {
  const captured: Record<string, string> = {};
  for (const name of auth.captureFromToken) {
    const value = body[name];
    if (typeof value !== 'string' || value === '') continue;
    // Captured values end up in request URLs: only bare origins or plain tokens are accepted.
    const ok = name.endsWith('_url') ? isBareOrigin(value) : /^[A-Za-z0-9._-]{1,256}$/.test(value);
    if (!ok) throw new TokenEndpointError(502, 'invalid_token_response', `token response field ${name} has an unexpected format`);
    captured[name] = value.replace(/\/$/, '');
  }
  return captured;
}

/**
 * One request to the vendor's token endpoint. Resolves with the tokens, or
 * throws TokenEndpointError when the vendor refuses (HttpError 502/503/504 when
 * it cannot be reached).
 */
export async function requestToken(
  rt: Runtime,
  auth: OAuth2Authentication,
  values: Record<string, string>,
  client: OAuthClient,
  grant: Record<string, string>,
): Promise<TokenSet> {
  const form = new URLSearchParams(grant);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (auth.clientAuth === 'client_secret_basic') {
    headers.authorization = clientSecretBasic(client);
  } else {
    form.set('client_id', client.clientId);
    form.set('client_secret', client.clientSecret);
  }
  const started = Date.now();
  const response = await vendorRequest(
    rt,
    {
      url: fillTemplate(auth.tokenUrl, values),
      method: 'POST',
      headers,
      body: form.toString(),
      timeoutMs: TOKEN_TIMEOUT_MS,
      maxResponseBytes: 256 * 1024,
    },
    'The vendor token endpoint',
  );
  const body = parseTokenBody(headerValue(response, 'content-type') ?? '', response.body);
  const errorCode = body && (typeof body.error === 'string' ? body.error : body.ok === false ? 'vendor_error' : undefined);
  if (response.status >= 400 || !body || errorCode || typeof body.access_token !== 'string' || body.access_token === '') {
    const status = response.status >= 400 ? response.status : 400;
    const code = vendorText(errorCode, 64) ?? (response.status >= 500 ? 'server_error' : 'invalid_token_response');
    const description =
      vendorText(body?.error_description) ?? (typeof body?.error === 'string' ? undefined : `token endpoint answered HTTP ${response.status}`);
    throw new TokenEndpointError(status, code, description);
  }
  const tokens: TokenSet = {
    accessToken: body.access_token,
    tokenType: typeof body.token_type === 'string' && body.token_type ? body.token_type : 'Bearer',
    captured: captureFields(auth, body),
  };
  if (typeof body.refresh_token === 'string' && body.refresh_token !== '') tokens.refreshToken = body.refresh_token;
  const expiresAt = expiresAtFrom(body.expires_in, auth, started);
  if (expiresAt !== undefined) tokens.expiresAt = expiresAt;
  if (typeof body.scope === 'string') tokens.scope = body.scope;
  return tokens;
}

export function exchangeCode(
  rt: Runtime,
  auth: OAuth2Authentication,
  values: Record<string, string>,
  client: OAuthClient,
  exchange: { code: string; redirectUri: string; codeVerifier?: string },
): Promise<TokenSet> {
  return requestToken(rt, auth, values, client, {
    grant_type: 'authorization_code',
    code: exchange.code,
    redirect_uri: exchange.redirectUri,
    ...(exchange.codeVerifier ? { code_verifier: exchange.codeVerifier } : {}),
  });
}

export function refreshTokens(
  rt: Runtime,
  auth: OAuth2Authentication,
  values: Record<string, string>,
  client: OAuthClient,
  refreshToken: string,
): Promise<TokenSet> {
  return requestToken(rt, auth, values, client, { grant_type: 'refresh_token', refresh_token: refreshToken });
}
