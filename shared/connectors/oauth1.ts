// OAuth 1.0a (RFC 5849), the client side: signing requests with HMAC-SHA1,
// RSA-SHA1 or PLAINTEXT (section 3.4) in the `Authorization: OAuth` header
// (3.5.1), and the three legs of section 2: temporary credentials (the
// request token), the resource owner's authorization, token credentials
// (the access token).
import { createHmac, createSign, randomBytes } from 'node:crypto';
import type { Runtime } from '../runtime.js';
import { fillTemplate, type Authentication } from './element-schema.js';
import { TokenEndpointError, TOKEN_TIMEOUT_MS } from './oauth.js';
import { headerValue, vendorRequest, vendorText } from './vendor-http.js';

export type OAuth1Authentication = Extract<Authentication, { type: 'oauth1' }>;

export interface OAuth1Credentials {
  consumerKey: string;
  /** The consumer secret (HMAC-SHA1, PLAINTEXT) or the PEM private key (RSA-SHA1). */
  consumerSecret: string;
  token?: string;
  tokenSecret?: string;
}

/** RFC 5849 3.6: every octet but ALPHA, DIGIT, `-`, `.`, `_`, `~` percent-encoded, upper-case hex. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** RFC 5849 3.4.1.2: scheme and host in lower case, the default port left out, no query or fragment. */
export function baseStringUri(url: URL): string {
  const defaultPort = (url.protocol === 'http:' && url.port === '80') || (url.protocol === 'https:' && url.port === '443') || url.port === '';
  return `${url.protocol.toLowerCase()}//${url.hostname.toLowerCase()}${defaultPort ? '' : `:${url.port}`}${url.pathname}`;
}

/** RFC 5849 3.4.1.3.2: pairs encoded, sorted by name then value, joined. */
export function normalizedParameters(params: [string, string][]): string {
  return params
    .map(([name, value]) => [percentEncode(name), percentEncode(value)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** RFC 5849 3.4.1: the signature base string. */
export function signatureBaseString(method: string, url: URL, params: [string, string][]): string {
  return [method.toUpperCase(), percentEncode(baseStringUri(url)), percentEncode(normalizedParameters(params))].join('&');
}

export function signature(method: OAuth1Authentication['signatureMethod'], baseString: string, credentials: OAuth1Credentials): string {
  const key = `${percentEncode(credentials.consumerSecret)}&${percentEncode(credentials.tokenSecret ?? '')}`;
  switch (method) {
    case 'HMAC-SHA1':
      return createHmac('sha1', key).update(baseString).digest('base64');
    case 'RSA-SHA1':
      return createSign('RSA-SHA1').update(baseString).sign(credentials.consumerSecret, 'base64');
    default:
      return key;
  }
}

export interface SignedRequest {
  method: string;
  url: URL;
  /** A form body's parameters (application/x-www-form-urlencoded), which are signed too. */
  form?: [string, string][];
  /** Protocol parameters of a leg: `oauth_callback`, `oauth_verifier`. */
  extra?: Record<string, string>;
}

/** The `Authorization: OAuth ...` header of one request (RFC 5849 3.5.1). */
export function authorizationHeader(auth: OAuth1Authentication, credentials: OAuth1Credentials, request: SignedRequest, now = Date.now()): string {
  const protocol: Record<string, string> = {
    oauth_consumer_key: credentials.consumerKey,
    oauth_signature_method: auth.signatureMethod,
    oauth_timestamp: String(Math.floor(now / 1000)),
    oauth_nonce: randomBytes(16).toString('hex'),
    oauth_version: '1.0',
    ...(credentials.token ? { oauth_token: credentials.token } : {}),
    ...request.extra,
  };
  const params: [string, string][] = [...Object.entries(protocol), ...request.url.searchParams, ...(request.form ?? [])];
  protocol.oauth_signature = signature(auth.signatureMethod, signatureBaseString(request.method, request.url, params), credentials);
  const fields = Object.entries(protocol).map(([name, value]) => `${percentEncode(name)}="${percentEncode(value)}"`);
  return `OAuth ${auth.realm !== undefined ? `realm="${auth.realm.replace(/["\\]/g, '')}", ` : ''}${fields.join(', ')}`;
}

export interface TokenPair {
  token: string;
  secret: string;
  /** Further fields of the answer (`oauth_callback_confirmed`, a user id ...). */
  extra: Record<string, string>;
}

/** One signed POST to a token endpoint; the answer is form-encoded (RFC 5849 2.1, 2.3). */
async function tokenRequest(rt: Runtime, auth: OAuth1Authentication, url: string, credentials: OAuth1Credentials, extra: Record<string, string>, what: string): Promise<TokenPair> {
  const target = new URL(url);
  const response = await vendorRequest(
    rt,
    {
      url: target,
      method: 'POST',
      headers: { authorization: authorizationHeader(auth, credentials, { method: 'POST', url: target, extra }), accept: 'application/x-www-form-urlencoded, application/json', 'content-length': '0' },
      timeoutMs: TOKEN_TIMEOUT_MS,
      maxResponseBytes: 64 * 1024,
    },
    what,
  );
  const text = response.body.toString('utf8');
  const fields = (headerValue(response, 'content-type') ?? '').includes('json') ? safeJson(text) : Object.fromEntries(new URLSearchParams(text));
  if (response.status >= 400 || !fields.oauth_token || !fields.oauth_token_secret) {
    const problem = fields.oauth_problem ?? fields.error ?? (response.status >= 500 ? 'server_error' : 'invalid_token_response');
    throw new TokenEndpointError(response.status >= 400 ? response.status : 400, vendorText(problem, 64) ?? 'invalid_token_response', vendorText(fields.oauth_problem_advice ?? fields.error_description) ?? `${what} answered HTTP ${response.status}`);
  }
  const { oauth_token: token, oauth_token_secret: secret, ...rest } = fields;
  return { token, secret, extra: rest };
}

function safeJson(text: string): Record<string, string> {
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object') return {};
    return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } catch {
    return {};
  }
}

/** Leg 1: temporary credentials for a callback URL (RFC 5849 2.1). */
export async function requestTemporaryCredentials(rt: Runtime, auth: OAuth1Authentication, values: Record<string, string>, client: OAuth1Credentials, callbackUrl: string): Promise<TokenPair> {
  const pair = await tokenRequest(rt, auth, fillTemplate(auth.requestTokenUrl, values), client, { oauth_callback: callbackUrl }, 'The vendor request token endpoint');
  if (pair.extra.oauth_callback_confirmed !== 'true') throw new TokenEndpointError(400, 'callback_not_confirmed', 'the vendor did not confirm the callback URL (oauth_callback_confirmed)');
  return pair;
}

/** Leg 2: where the resource owner authorizes the request token (RFC 5849 2.2). */
export function authorizationUrl(auth: OAuth1Authentication, values: Record<string, string>, requestToken: string): string {
  const url = new URL(fillTemplate(auth.authorizationUrl, values));
  url.searchParams.set('oauth_token', requestToken);
  return url.toString();
}

/** Leg 3: token credentials for the authorized request token and its verifier (RFC 5849 2.3). */
export async function requestTokenCredentials(
  rt: Runtime,
  auth: OAuth1Authentication,
  values: Record<string, string>,
  client: OAuth1Credentials,
  requestToken: { token: string; secret: string },
  verifier: string,
): Promise<TokenPair> {
  return tokenRequest(rt, auth, fillTemplate(auth.accessTokenUrl, values), { ...client, token: requestToken.token, tokenSecret: requestToken.secret }, { oauth_verifier: verifier }, 'The vendor access token endpoint');
}
