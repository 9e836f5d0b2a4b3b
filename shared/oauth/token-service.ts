// The token function: POST /oauth/token (client_credentials), /oauth/introspect
// (RFC 7662), /oauth/revoke (RFC 7009), RFC 8414 metadata and the JWKS. Every
// answer carries CORS headers for any origin (client credentials are not
// cookies, so no credentials mode), preflights included; errors use RFC 6749
// section 5.2's shape.
import * as z from 'zod';
import { describeError, logger } from '../log.js';
import { HttpError, isHttpError } from '../http/errors.js';
import { errorResponse } from '../http/lambda.js';
import { unavailableError } from '../http/unavailable.js';
import { mediaType, type HttpRequest } from '../http/request.js';
import { json, type HttpResponse } from '../http/response.js';
import { lazySchema, Router, type DocSchema } from '../http/router.js';
import type { Consumer } from '../consumers/consumer-cache.js';
import { checkConsumerUsable } from '../consumers/lookup.js';
import type { Runtime } from '../runtime.js';
import { readClientAuthentication, singleParameter, type ClientAuthentication } from './client-auth.js';
import { CredentialError, isCredentialError } from '../credentials/errors.js';
import { credentialToOAuthError, invalidRequest, OAUTH_ERROR_CODES, oauthError, oauthErrors } from './errors.js';
import { authenticateClient, issueClientCredentialsToken, type IssuedToken } from './issue.js';
import { signingKeys } from './keys.js';
import { revokeTokenId } from '../credentials/revocation.js';
import { verifyAccessToken, verifySignedToken } from './verifier.js';

const MAX_FORM_BYTES = 16 * 1024;
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };
const AUTH_METHODS = ['client_secret_basic', 'client_secret_post'];
/** The error codes RFC 6749, 7009 and 7662 define; anything else is reported as invalid_request or server_error. */
const OAUTH_CODES = new Set<string>(OAUTH_ERROR_CODES);

/** On every answer: CORS for any origin (no credentials mode), and the security headers that matter for JSON. */
const RESPONSE_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'www-authenticate, x-request-id',
  'x-content-type-options': 'nosniff',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'referrer-policy': 'no-referrer',
};
const DEFAULT_ALLOWED_HEADERS = 'authorization, content-type, accept';
const HEADER_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;

export function serverMetadata(issuer: string): Record<string, unknown> {
  return {
    issuer,
    token_endpoint: `${issuer}/oauth/token`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    introspection_endpoint: `${issuer}/oauth/introspect`,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    grant_types_supported: ['client_credentials'],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    introspection_endpoint_auth_methods_supported: AUTH_METHODS,
    revocation_endpoint_auth_methods_supported: AUTH_METHODS,
  };
}

/** The form body: empty is allowed (SAP clients send grant_type in the query), anything but a form is not. */
function readForm(request: HttpRequest): URLSearchParams {
  if (request.body.length === 0) return new URLSearchParams();
  if (request.body.length > MAX_FORM_BYTES) throw oauthError(413, 'invalid_request', `Request body exceeds ${MAX_FORM_BYTES} bytes`);
  if (mediaType(request) !== 'application/x-www-form-urlencoded') {
    throw invalidRequest('Content-Type must be application/x-www-form-urlencoded');
  }
  return new URLSearchParams(request.body.toString('utf8'));
}

/** A parameter from the body or the query string; present in both, the two must agree. */
function bodyOrQuery(form: URLSearchParams, query: URLSearchParams, name: string): string | undefined {
  const inBody = singleParameter(form, name);
  const inQuery = singleParameter(query, name);
  if (inBody !== undefined && inQuery !== undefined && inBody !== inQuery) {
    throw invalidRequest(`Parameter ${name} differs between the body and the query string`);
  }
  return inBody ?? inQuery;
}

/**
 * Tries each reading of the presented credentials; only an authentication
 * failure moves on to the next reading. Any other refusal (revoked key, bad
 * scope) belongs to an authenticated client and is final.
 */
async function withClient<T>(auth: ClientAuthentication, attempt: (clientId: string, clientSecret: string) => Promise<T>): Promise<T> {
  let failure: unknown;
  for (const { clientId, clientSecret } of auth.candidates) {
    try {
      return await attempt(clientId, clientSecret);
    } catch (error) {
      if (!(isCredentialError(error) && error.reason === 'invalid_client')) throw error;
      failure = error;
    }
  }
  throw failure ?? new CredentialError('invalid_client', 'Client authentication failed');
}

async function authenticatedCaller(rt: Runtime, request: HttpRequest, form: URLSearchParams): Promise<Consumer> {
  const auth = readClientAuthentication(request, form);
  const consumer = await withClient(auth, (clientId, clientSecret) => authenticateClient(rt, clientId, clientSecret));
  checkConsumerUsable(consumer);
  return consumer;
}

async function token(request: HttpRequest, rt: Runtime): Promise<HttpResponse> {
  const form = readForm(request);
  for (const name of ['client_id', 'client_secret']) {
    if (request.query.has(name)) throw invalidRequest('Client credentials must not be sent in the query string');
  }
  const grantType = bodyOrQuery(form, request.query, 'grant_type');
  if (!grantType) throw invalidRequest('grant_type is required');
  const scope = bodyOrQuery(form, request.query, 'scope');
  if (grantType !== 'client_credentials') {
    throw oauthError(400, 'unsupported_grant_type', 'Only the client_credentials grant is supported');
  }
  const auth = readClientAuthentication(request, form);
  const issued: IssuedToken = await withClient(auth, (clientId, clientSecret) =>
    issueClientCredentialsToken(rt, { clientId, clientSecret, ...(scope !== undefined ? { scope } : {}) }),
  );
  return json(
    200,
    { access_token: issued.access_token, token_type: issued.token_type, expires_in: issued.expires_in, scope: issued.scope },
    NO_STORE,
  );
}

/** The `token` of an introspection or revocation request (RFC 7662, 7009) and the authenticated client presenting it. */
async function presentedToken(request: HttpRequest, rt: Runtime) {
  const form = readForm(request);
  const presented = singleParameter(form, 'token');
  singleParameter(form, 'token_type_hint');
  if (!presented) throw invalidRequest('token is required');
  return { presented, caller: await authenticatedCaller(rt, request, form) };
}

async function introspect(request: HttpRequest, rt: Runtime): Promise<HttpResponse> {
  const { presented, caller } = await presentedToken(request, rt);
  try {
    // Tokens of other organizations are not the caller's to see: inactive.
    const claims = await verifyAccessToken(rt, presented, { organization: caller.organization });
    return json(200, { active: true, token_type: 'Bearer', ...claims }, NO_STORE);
  } catch (error) {
    if (isCredentialError(error)) return json(200, { active: false }, NO_STORE);
    throw error;
  }
}

async function revoke(request: HttpRequest, rt: Runtime): Promise<HttpResponse> {
  const { presented, caller } = await presentedToken(request, rt);
  try {
    const claims = await verifySignedToken(rt, presented, caller.organization);
    // Only the client a token was issued to may revoke it. Any other token is
    // treated as unknown (RFC 7009 answers 200), so the endpoint reveals nothing about it.
    if (claims.client_id === caller.consumerKey) {
      await revokeTokenId(rt, { organization: claims.organization, jti: claims.jti, exp: claims.exp });
    }
  } catch (error) {
    if (!isCredentialError(error)) throw error;
  }
  return { status: 200, headers: NO_STORE };
}

// What the token endpoints read and answer, for the API description only: they
// parse their forms themselves, with RFC 6749's rules (one value per parameter,
// body or query for grant_type and scope, credentials never in the query).
// Built with the document, so they cost the token function's cold start nothing.
const clientCredentialsFields = () => ({
  client_id: z.string().optional().describe('client_secret_post: the app\'s consumer key. Leave out with HTTP Basic.'),
  client_secret: z.string().optional().describe('client_secret_post: the app\'s consumer secret. Leave out with HTTP Basic.'),
});
const tokenRequest = lazySchema(() =>
  z.object({
    grant_type: z.literal('client_credentials').describe('Also accepted in the query string (SAP clients send it there).'),
    scope: z.string().optional().describe('Space-separated subset of the scopes of the app\'s products; blank or absent: all of them.'),
    ...clientCredentialsFields(),
  }),
);
const tokenResponse = lazySchema(() =>
  z.object({
    access_token: z.string().describe('ES256-signed JWT; `kid` in its header names the key in the JWKS.'),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().describe('Seconds; 3600 unless the app\'s products say otherwise.'),
    scope: z.string(),
  }),
);
const tokenOperand = lazySchema(() =>
  z.object({
    token: z.string().describe('The access token.'),
    token_type_hint: z.string().optional().describe('Ignored: only access tokens exist.'),
    ...clientCredentialsFields(),
  }),
);
const introspection = lazySchema(() =>
  z
    .object({
      active: z.boolean(),
      token_type: z.literal('Bearer').optional(),
      client_id: z.string().optional(),
      scope: z.string().optional(),
      exp: z.number().int().optional(),
      iat: z.number().int().optional(),
      iss: z.string().optional(),
      jti: z.string().optional(),
    })
    .catchall(z.unknown())
    .describe('RFC 7662 response; only `{"active":false}` for expired, revoked, forged or other organizations\' tokens.'),
);
const jwks = lazySchema(() =>
  z
    .object({ keys: z.array(z.record(z.string(), z.unknown())) })
    .describe('RFC 7517 JWK Set of the public signing keys, retired ones included until their tokens expire.'),
);
const formBody = (schema: DocSchema) => ({ 'application/x-www-form-urlencoded': schema });

export function tokenRouter(): Router<Runtime> {
  const router = new Router<Runtime>({ tag: 'Token service', auth: 'client', errors: 'oauth' });
  const discovery = router.group({ tag: 'Discovery', auth: 'none' });
  const metadata = async (_request: HttpRequest, rt: Runtime) => json(200, serverMetadata(rt.config.issuer), { 'cache-control': 'public, max-age=3600' });
  const metadataDoc = {
    summary: 'Authorization server metadata (RFC 8414)',
    responses: { 200: { description: 'The metadata: issuer, endpoints, supported grant and client authentication methods.', type: 'application/json' } },
  };
  discovery.get('/.well-known/oauth-authorization-server', { ...metadataDoc, operationId: 'getAuthorizationServerMetadata' }, metadata);
  // RFC 8414 section 3: an issuer with a path is discovered at the well-known URI followed by that path.
  discovery.get(
    '/.well-known/oauth-authorization-server/*issuerPath',
    {
      ...metadataDoc,
      operationId: 'getAuthorizationServerMetadataForPath',
      params: { issuerPath: 'The path of an issuer that has one (RFC 8414 section 3), e.g. `prod` for `https://host/prod`.' },
    },
    metadata,
  );
  discovery.get(
    '/.well-known/jwks.json',
    { operationId: 'getJwks', summary: 'Public signing keys (JWKS)', responses: { 200: { description: 'Cacheable for 300 s.', schema: jwks } } },
    async (_request, rt) => json(200, await signingKeys(rt).jwks(), { 'cache-control': 'public, max-age=300' }),
  );
  router.post(
    '/oauth/token',
    {
      operationId: 'issueToken',
      summary: 'Issue an access token (client credentials grant)',
      description:
        'Client authentication is client_secret_basic or client_secret_post, never both. The body may be empty when `grant_type` is in the query string.',
      bodies: formBody(tokenRequest),
      bodyOptional: true,
      query: {
        grant_type: { description: 'The grant type, when not in the body.', enum: ['client_credentials'] },
        scope: { description: 'The requested scopes, when not in the body.' },
      },
      responses: { 200: { description: 'The token (`Cache-Control: no-store`).', schema: tokenResponse } },
    },
    token,
  );
  router.post(
    '/oauth/introspect',
    {
      operationId: 'introspectToken',
      summary: 'Introspect an access token (RFC 7662)',
      bodies: formBody(tokenOperand),
      responses: { 200: { description: 'The token\'s state and claims.', schema: introspection } },
    },
    introspect,
  );
  router.post(
    '/oauth/revoke',
    {
      operationId: 'revokeToken',
      summary: 'Revoke an access token (RFC 7009)',
      description: 'A client can revoke only its own tokens; any other or unknown token also answers 200.',
      bodies: formBody(tokenOperand),
      responses: { 200: 'Revoked, or not a token of this client.' },
    },
    revoke,
  );
  return router;
}

function preflight(request: HttpRequest): HttpResponse {
  const requested = request.headers['access-control-request-headers']?.trim() ?? '';
  const allowHeaders = requested && requested.length <= 1024 && HEADER_LIST.test(requested) ? requested : DEFAULT_ALLOWED_HEADERS;
  return {
    status: 204,
    headers: {
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': allowHeaders,
      'access-control-max-age': '600',
      vary: 'access-control-request-headers',
    },
  };
}

/** Any error as an RFC 6749 section 5.2 error: stable codes, no internals. */
function toOAuthError(error: unknown): HttpError {
  if (isCredentialError(error)) return credentialToOAuthError(error);
  if (isHttpError(error)) {
    if (OAUTH_CODES.has(error.code)) return error;
    const code = error.status >= 500 ? 'server_error' : 'invalid_request';
    return new HttpError(error.status, code, error.message, error.headers ? { headers: error.headers } : {});
  }
  const unavailable = unavailableError(error);
  if (unavailable) {
    logger.warn('dependency unavailable', { error: describeError(error) });
    return new HttpError(503, 'temporarily_unavailable', unavailable.message, unavailable.headers ? { headers: unavailable.headers } : {});
  }
  logger.error('unhandled error', { error: describeError(error) });
  return new HttpError(500, 'server_error', 'Internal error');
}

export function tokenService(router: Router<Runtime> = tokenRouter()) {
  return async (request: HttpRequest, rt: Runtime): Promise<HttpResponse> => {
    let response: HttpResponse;
    if (request.method === 'OPTIONS') response = preflight(request);
    else {
      try {
        response = await router.handle(request, rt);
      } catch (error) {
        response = errorResponse(toOAuthError(error), oauthErrors, request.requestId);
      }
    }
    response.headers = { ...response.headers, ...RESPONSE_HEADERS };
    return response;
  };
}
