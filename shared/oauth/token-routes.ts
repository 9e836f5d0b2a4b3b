// The token service's routes: POST /oauth/token (client_credentials),
// /oauth/introspect (RFC 7662), /oauth/revoke (RFC 7009), RFC 8414 metadata
// and the JWKS. The router authenticates the client (the `client` scheme,
// client-principal.ts) before any of these handlers runs.
import { HttpError } from '../http/errors.js';
import type { HttpRequest } from '../http/request.js';
import { json, type HttpResponse } from '../http/response.js';
import { Router } from '../http/router.js';
import type { Runtime } from '../runtime.js';
import { singleParameter } from './client-auth.js';
import { authenticateClientRequest, type ClientPrincipal } from './client-principal.js';
import { isCredentialError } from '../credentials/errors.js';
import { invalidRequest, oauthError } from './errors.js';
import { bodyOrQuery, readForm } from './form.js';
import { issueToken } from './issue.js';
import { signingKeys } from './keys.js';
import { revokeTokenId } from '../credentials/revocation.js';
import { formBody, introspection, jwks, tokenOperand, tokenRequest, tokenResponse } from './token-docs.js';
import { verifyAccessToken, verifySignedToken } from './verifier.js';

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };
const AUTH_METHODS = ['client_secret_basic', 'client_secret_post'];

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

async function token(request: HttpRequest, rt: Runtime, { client }: ClientPrincipal): Promise<HttpResponse> {
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
  const issued = await issueToken(rt, client, scope);
  return json(
    200,
    { access_token: issued.access_token, token_type: issued.token_type, expires_in: issued.expires_in, scope: issued.scope },
    NO_STORE,
  );
}

/** The `token` of an introspection or revocation request (RFC 7662, 7009). */
function presentedToken(request: HttpRequest): string {
  const form = readForm(request);
  const presented = singleParameter(form, 'token');
  singleParameter(form, 'token_type_hint');
  if (!presented) throw invalidRequest('token is required');
  return presented;
}

async function introspect(request: HttpRequest, rt: Runtime, { client: caller }: ClientPrincipal): Promise<HttpResponse> {
  const presented = presentedToken(request);
  try {
    // Tokens of other organizations are not the caller's to see: inactive.
    const claims = await verifyAccessToken(rt, presented, { organization: caller.organization });
    return json(200, { active: true, token_type: 'Bearer', ...claims }, NO_STORE);
  } catch (error) {
    if (isCredentialError(error)) return json(200, { active: false }, NO_STORE);
    throw error;
  }
}

async function revoke(request: HttpRequest, rt: Runtime, { client: caller }: ClientPrincipal): Promise<HttpResponse> {
  const presented = presentedToken(request);
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

export type TokenRouter = Router<Runtime, ClientPrincipal>;

export function tokenRouter(): TokenRouter {
  const router = new Router<Runtime, ClientPrincipal>({ tag: 'Token service', auth: 'client', errors: 'oauth' }, { authenticators: { client: authenticateClientRequest } });
  const discovery = router.group({ tag: 'Discovery', auth: 'none' });
  // RFC 8414 section 3.1: the metadata of an issuer with a path is at the well-known URI followed by that
  // path, and the issuer in it must be the one the client inserted there; anywhere else there is none.
  const metadata = async (request: HttpRequest, rt: Runtime) => {
    const issuerPath = new URL(rt.config.issuer).pathname.replace(/^\/+|\/+$/g, '');
    if ((request.params.issuerPath ?? '').replace(/\/+$/, '') !== issuerPath) {
      throw new HttpError(404, 'not_found', 'No authorization server metadata for this issuer');
    }
    return json(200, serverMetadata(rt.config.issuer), { 'cache-control': 'public, max-age=3600' });
  };
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
