// OAuth 1.0a elements on Open Connectors' paths. `GET /elements/{key}/oauth/token`
// obtains a request token for the app's callback URL (Tollgate keeps its
// secret for ten minutes); `GET /elements/{key}/oauth/url` gives the vendor's
// authorization URL for it; the app receives `oauth_token` and
// `oauth_verifier` on its callback and posts them as `providerData` to
// `/instances`, and Tollgate exchanges them for the token credentials that
// sign every resource call.
import * as z from 'zod';
import { validate } from '../http/body.js';
import { HttpError, unprocessable, type FieldProblem } from '../http/errors.js';
import type { Runtime } from '../runtime.js';
import type { ResolvedElement } from './catalog.js';
import type { Connection } from './connect.js';
import { TokenEndpointError } from './oauth.js';
import { authorizationUrl, requestTemporaryCredentials, requestTokenCredentials, type OAuth1Authentication } from './oauth1.js';
import { claimRequestTokenSecret, saveRequestTokenSecret, STATE_LIFETIME_SECONDS } from './oauth-state.js';

/** An absolute http(s) URL without credentials: a callback or return URL a caller hands over. */
export const httpUrl = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL without credentials');

const tokenQuery = z.lazy(() => z.object({
  apiKey: z.string().min(1).max(512),
  apiSecret: z.string().min(1).max(8192),
  callbackUrl: httpUrl,
  requestToken: z.string().min(1).max(1024).optional(),
}));

export function requireOAuth1(element: ResolvedElement): OAuth1Authentication {
  const auth = element.definition.authentication;
  if (auth.type !== 'oauth1') throw new HttpError(400, 'not_oauth1_element', `Element ${element.definition.key} uses ${auth.type} authentication; request tokens are for OAuth 1.0a elements`);
  return auth;
}

/** A vendor refusal as the API answers it. */
export function oauth1Failure(error: unknown): unknown {
  if (error instanceof TokenEndpointError) {
    const extra = { providerMessage: error.message };
    return error.permanent
      ? new HttpError(400, 'vendor_rejected_request', `The vendor refused the OAuth 1.0a request: ${error.message}`, extra)
      : new HttpError(502, 'vendor_token_error', `The vendor token endpoint failed: ${error.message}`, extra);
  }
  return error;
}

/** Leg 1: `GET /elements/{key}/oauth/token` -> `{token, secret}` (Open Connectors' answer). */
export async function oauth1RequestToken(rt: Runtime, org: string, element: ResolvedElement, query: URLSearchParams): Promise<Record<string, unknown>> {
  const auth = requireOAuth1(element);
  const params = validate(tokenQuery, Object.fromEntries([...query].filter(([, value]) => value !== '')), 'Query');
  try {
    const pair = await requestTemporaryCredentials(rt, auth, {}, { consumerKey: params.apiKey, consumerSecret: params.apiSecret }, params.callbackUrl);
    await saveRequestTokenSecret(rt, org, element.definition.key, pair.token, pair.secret);
    return { token: pair.token, secret: pair.secret, element: element.definition.key, expiresIn: STATE_LIFETIME_SECONDS };
  } catch (error) {
    throw oauth1Failure(error);
  }
}

/** Leg 2: `GET /elements/{key}/oauth/url` for an OAuth 1.0a element; without `requestToken` it obtains one first. */
export async function oauth1Url(rt: Runtime, org: string, element: ResolvedElement, query: URLSearchParams): Promise<Record<string, unknown>> {
  const auth = requireOAuth1(element);
  const token = query.get('requestToken') || (await oauth1RequestToken(rt, org, element, query)).token;
  return { oauthUrl: authorizationUrl(auth, {}, String(token)), element: element.definition.key, token };
}

export interface OAuth1ProviderData {
  oauth_token?: string;
  oauth_verifier?: string;
  /** The request token's secret, when the app kept it itself. */
  secret?: string;
}

/** Leg 3: token credentials for the authorized request token. */
export async function connectOAuth1(
  rt: Runtime,
  org: string,
  element: ResolvedElement,
  given: Record<string, string>,
  providerData: OAuth1ProviderData | undefined,
  publicValues: Record<string, string>,
  secrets: Record<string, string>,
  previous: { clientId?: string; clientSecret?: string } | undefined,
  problems: FieldProblem[],
): Promise<Connection> {
  const auth = requireOAuth1(element);
  const consumerKey = given['oauth.api.key'] ?? previous?.clientId;
  const consumerSecret = given['oauth.api.secret'] ?? previous?.clientSecret;
  const token = providerData?.oauth_token;
  const verifier = providerData?.oauth_verifier;
  if (!consumerKey) problems.push({ path: 'configuration.oauth.api.key', message: 'required: the OAuth 1.0a consumer key' });
  if (!consumerSecret) problems.push({ path: 'configuration.oauth.api.secret', message: `required: the consumer ${auth.signatureMethod === 'RSA-SHA1' ? 'private key (PEM)' : 'secret'}` });
  if (!token) problems.push({ path: 'providerData.oauth_token', message: 'required: the request token the vendor sent to your callback' });
  if (!verifier) problems.push({ path: 'providerData.oauth_verifier', message: 'required: the verifier the vendor sent to your callback' });
  if (problems.length) throw unprocessable(`Instance is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);
  const secret = (await claimRequestTokenSecret(rt, org, element.definition.key, token!)) ?? providerData?.secret;
  if (secret === undefined) {
    throw unprocessable('Instance is invalid: providerData.oauth_token: unknown or expired request token', [
      { path: 'providerData.oauth_token', message: 'no request token of GET /elements/{key}/oauth/token is pending under it (valid for 10 minutes, once); or pass providerData.secret' },
    ]);
  }
  try {
    const pair = await requestTokenCredentials(rt, auth, {}, { consumerKey: consumerKey!, consumerSecret: consumerSecret! }, { token: token!, secret }, verifier!);
    return {
      configuration: { ...publicValues, 'oauth.api.key': consumerKey!, ...(given['oauth.callback.url'] ? { 'oauth.callback.url': given['oauth.callback.url'] } : {}) },
      credentials: { clientId: consumerKey!, clientSecret: consumerSecret!, accessToken: pair.token, tokenSecret: pair.secret, ...(Object.keys(secrets).length ? { secrets } : {}) },
    };
  } catch (error) {
    throw oauth1Failure(error);
  }
}
