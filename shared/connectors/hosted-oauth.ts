// `GET /elements/{key}/oauth/url` and the hosted callback.
//
// Open Connectors mode (`callbackUrl`): Tollgate only builds the vendor URL;
// the app receives the code on its own callback and posts it to /instances.
// Hosted mode (`returnUrl`): Tollgate is the OAuth client's redirect URI. It
// stores the pending authorization, exchanges the code on the callback,
// creates (or re-authenticates) the instance and sends the browser back to
// the app's `returnUrl`, which must be one of the organization's allowed
// origins.
import * as z from 'zod';
import { getOrganization } from '../auth/organizations.js';
import type { Principal } from '../auth/principal.js';
import { validate } from '../http/body.js';
import { HttpError, unprocessable, type FieldProblem } from '../http/errors.js';
import type { HttpRequest } from '../http/request.js';
import { json, redirect, type HttpResponse } from '../http/response.js';
import { logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import { findElement, type ResolvedElement } from './catalog.js';
import { elementFieldValues, exchangeForConnection, type Connection } from './connect.js';
import { elementFields, type OAuth2Authentication } from './element-schema.js';
import { canUseInstance, ownerFor } from './instance-access.js';
import { createInstance, getInstance, reauthenticateInstance } from './instances.js';
import { authorizationUrl, createPkce, TokenEndpointError } from './oauth.js';
import { claimHostedState, createHostedState, savePkceVerifier, STATE_LIFETIME_SECONDS, type ClaimedState } from './oauth-state.js';
import { httpUrl, oauth1Url } from './oauth1-flow.js';
import { isAllowedRedirect } from './redirect-origins.js';
import { vendorText } from './vendor-http.js';

export const CALLBACK_PATH = '/elements/api-v2/oauth/callback';

const oauthUrlQuery = z.lazy(() => z
  .object({
    apiKey: z.string().min(1).max(512),
    apiSecret: z.string().min(1).max(1024).optional(),
    callbackUrl: httpUrl.optional(),
    returnUrl: httpUrl.optional(),
    state: z.string().min(1).max(1024).optional(),
    scope: z.string().min(1).max(2048).optional(),
    name: z.string().trim().min(1).max(200).optional(),
    instanceId: z.string().regex(/^\d{1,10}$/, 'must be an instance id').optional(),
  })
  .superRefine((query, ctx) => {
    if (query.callbackUrl && query.returnUrl) ctx.addIssue({ code: 'custom', path: ['returnUrl'], message: 'give either callbackUrl (Open Connectors mode) or returnUrl (hosted mode), not both' });
    if (!query.callbackUrl && !query.returnUrl) ctx.addIssue({ code: 'custom', path: ['returnUrl'], message: 'required: returnUrl (hosted mode) or callbackUrl (Open Connectors mode)' });
    if (query.returnUrl && !query.apiSecret) ctx.addIssue({ code: 'custom', path: ['apiSecret'], message: 'required in hosted mode: Tollgate exchanges the code itself' });
    if (query.callbackUrl && query.instanceId) ctx.addIssue({ code: 'custom', path: ['instanceId'], message: 'only in hosted mode; in Open Connectors mode re-authenticate with PUT /instances/{id}' });
  }));

/** An inactive element takes no new instances, by any route. */
export function requireActive(element: ResolvedElement): void {
  if (!element.definition.active) {
    throw new HttpError(409, 'element_inactive', `Element ${element.definition.key} is not active; activate it with PUT /elements/${element.definition.key}/active`);
  }
}

function requireOAuth(element: ResolvedElement): OAuth2Authentication {
  const auth = element.definition.authentication;
  if (auth.type !== 'oauth2') {
    throw new HttpError(400, 'not_oauth_element', `Element ${element.definition.key} uses ${auth.type} authentication; create its instance with POST /instances`);
  }
  return auth;
}

function tagsFrom(query: URLSearchParams): string[] {
  return [...query.getAll('tags'), ...query.getAll('tags[]')].flatMap((value) => value.split(',')).map((tag) => tag.trim()).filter(Boolean);
}

/** Builds the vendor authorization URL in either mode; a hosted connection's instance is the caller's. */
export async function buildOAuthUrl(rt: Runtime, principal: Principal, element: ResolvedElement, query: URLSearchParams): Promise<Record<string, unknown>> {
  const org = principal.organization;
  requireActive(element);
  if (element.definition.authentication.type === 'oauth1') return oauth1Url(rt, org, element, query);
  const auth = requireOAuth(element);
  // Open Connectors' clients send unset options as empty values: they are absent.
  query = new URLSearchParams([...query].filter(([, value]) => value !== ''));
  const params = validate(oauthUrlQuery, Object.fromEntries(query), 'Query');
  const problems: FieldProblem[] = [];
  const given = Object.fromEntries([...query].filter(([name]) => element.definition.configuration.some((field) => field.key === name)));
  const { publicValues } = elementFieldValues(element.definition, given, undefined, problems, 'query');
  const tags = tagsFrom(query);
  if (tags.length > 50 || tags.some((tag) => tag.length > 100)) problems.push({ path: 'tags', message: 'at most 50 tags of up to 100 characters' });
  if (elementFields(element.definition).some((field) => field.secret && field.required && field.defaultValue === undefined)) {
    problems.push({ path: 'query', message: 'this element has secret configuration; create its instance with POST /instances' });
  }

  if (params.callbackUrl) {
    if (problems.length) throw unprocessable(`Query is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);
    let codeChallenge: string | undefined;
    if (auth.pkce) {
      const pkce = createPkce();
      await savePkceVerifier(rt, org, element.definition.key, params.state, pkce.verifier, { clientId: params.apiKey, callbackUrl: params.callbackUrl });
      codeChallenge = pkce.challenge;
    }
    const oauthUrl = authorizationUrl(auth, publicValues, {
      clientId: params.apiKey,
      redirectUri: params.callbackUrl,
      ...(params.state ? { state: params.state } : {}),
      ...(params.scope ? { scope: params.scope } : {}),
      ...(codeChallenge ? { codeChallenge } : {}),
    });
    return { oauthUrl, element: element.definition.key };
  }

  const organization = await getOrganization(rt, org);
  if (!isAllowedRedirect(params.returnUrl!, organization?.allowedRedirectOrigins ?? [])) {
    problems.push({
      path: 'returnUrl',
      message: 'its origin is not one of the organization\'s allowed redirect origins (POST /v1/organizations/{org} property allowedRedirectOrigins)',
    });
  }
  let instanceId: number | undefined;
  if (params.instanceId) {
    const existing = await getInstance(rt, org, Number(params.instanceId));
    if (!existing || !(await canUseInstance(rt, principal, existing))) throw new HttpError(404, 'instance_not_found', `Instance ${params.instanceId} not found`);
    if (existing.elementKey !== element.definition.key) problems.push({ path: 'instanceId', message: `instance ${existing.id} belongs to element ${existing.elementKey}` });
    instanceId = existing.id;
  }
  if (problems.length) throw unprocessable(`Query is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);

  const pkce = auth.pkce ? createPkce() : undefined;
  const redirectUri = `${rt.config.issuer}${CALLBACK_PATH}`;
  const { state } = await createHostedState(rt, org, {
    elementKey: element.definition.key,
    clientId: params.apiKey,
    clientSecret: params.apiSecret!,
    ...(pkce ? { verifier: pkce.verifier } : {}),
    ...(params.state ? { callerState: params.state } : {}),
    returnUrl: params.returnUrl!,
    redirectUri,
    ...(params.scope ? { scope: params.scope } : {}),
    name: params.name ?? `${element.definition.name} instance`,
    tags,
    configuration: publicValues,
    ...(instanceId !== undefined ? { instanceId } : {}),
    ...(ownerFor(principal) ? { owner: ownerFor(principal)! } : {}),
  });
  const oauthUrl = authorizationUrl(auth, publicValues, {
    clientId: params.apiKey,
    redirectUri,
    state,
    ...(params.scope ? { scope: params.scope } : {}),
    ...(pkce ? { codeChallenge: pkce.challenge } : {}),
  });
  return { oauthUrl, element: element.definition.key, callbackUrl: redirectUri, expiresIn: STATE_LIFETIME_SECONDS };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** The callback answers a browser: a small HTML page, or JSON for API clients. */
function errorPage(request: HttpRequest, status: number, code: string, message: string): HttpResponse {
  const headers = { 'cache-control': 'no-store' };
  if ((request.headers.accept ?? '').includes('text/html')) {
    const body = [
      '<!doctype html>',
      '<html lang="en"><head><meta charset="utf-8"><title>Connection failed</title></head>',
      '<body><h1>The connection could not be completed</h1>',
      `<p>${escapeHtml(message)}</p>`,
      `<p>Error code: <code>${escapeHtml(code)}</code></p>`,
      '</body></html>',
    ].join('\n');
    return { status, headers: { ...headers, 'content-type': 'text/html; charset=utf-8' }, body };
  }
  return json(status, { requestId: request.requestId, message, code }, headers);
}

function returnTo(returnUrl: string, values: Record<string, string | undefined>): HttpResponse {
  const url = new URL(returnUrl);
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined) url.searchParams.set(name, value);
  }
  return redirect(url.toString(), 302);
}

async function completeConnection(rt: Runtime, claimed: ClaimedState, element: ResolvedElement, connection: Connection): Promise<number | undefined> {
  const record = claimed.record;
  if (record.instanceId !== undefined) {
    const existing = await getInstance(rt, record.organization, record.instanceId, true);
    if (!existing) return undefined;
    await reauthenticateInstance(rt, existing, connection);
    return existing.id;
  }
  const { item } = await createInstance(rt, record.organization, element, {
    name: record.name,
    tags: record.tags,
    configuration: connection.configuration,
    credentials: connection.credentials,
    owner: record.owner,
  });
  return item.id;
}

/** `GET|POST /elements/api-v2/oauth/callback`: the vendor sends the browser here. */
export async function handleOAuthCallback(rt: Runtime, request: HttpRequest): Promise<HttpResponse> {
  if (request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'POST') {
    throw new HttpError(405, 'method_not_allowed', 'Method not allowed; use GET or POST', { headers: { allow: 'GET, POST' } });
  }
  let params = request.query;
  // response_mode=form_post delivers the same parameters in a form body.
  if (request.method === 'POST' && (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    params = new URLSearchParams(request.body.subarray(0, 64 * 1024).toString('utf8'));
  }
  const state = params.get('state');
  if (!state) {
    return errorPage(request, 400, 'invalid_state', 'The authorization response carries no state; start the connection again from the application.');
  }
  const claimed = await claimHostedState(rt, state);
  if (!claimed) {
    return errorPage(
      request,
      400,
      'invalid_state',
      'This authorization is unknown, expired or was already used; start the connection again from the application.',
    );
  }
  const record = claimed.record;
  const back = (values: Record<string, string | undefined>) => returnTo(record.returnUrl, { ...values, state: record.callerState });
  const vendorError = params.get('error');
  if (vendorError) {
    logger.info('connector authorization not granted', { organization: record.organization, element: record.elementKey, vendorError: vendorText(vendorError, 64) });
    return back({
      error: vendorText(vendorError, 64) ?? 'access_denied',
      error_description: vendorText(params.get('error_description')) ?? 'The authorization was not granted',
    });
  }
  const code = params.get('code');
  if (!code) return back({ error: 'invalid_request', error_description: 'The vendor returned neither a code nor an error' });
  const element = await findElement(rt, record.organization, record.elementKey);
  if (!element || element.definition.authentication.type !== 'oauth2') {
    return back({ error: 'server_error', error_description: `Element ${record.elementKey} is no longer available` });
  }
  const auth = element.definition.authentication;
  const issuer = params.get('iss');
  if (auth.issuer && issuer !== null && issuer !== auth.issuer) {
    return back({ error: 'invalid_request', error_description: 'The authorization response comes from an unexpected issuer' });
  }

  let connection: Connection;
  try {
    connection = await exchangeForConnection(rt, auth, record.configuration, {}, { clientId: record.clientId, clientSecret: claimed.clientSecret }, {
      code,
      redirectUri: record.redirectUri,
      ...(claimed.verifier ? { codeVerifier: claimed.verifier } : {}),
    });
  } catch (error) {
    if (error instanceof TokenEndpointError) {
      logger.warn('connector code exchange refused', { organization: record.organization, element: record.elementKey, vendorError: error.error });
      return back({
        error: error.permanent ? vendorText(error.error, 64) ?? 'invalid_grant' : 'temporarily_unavailable',
        error_description: `The vendor refused the authorization code${error.description ? `: ${error.description}` : ''}`,
      });
    }
    if (error instanceof HttpError) return back({ error: 'temporarily_unavailable', error_description: error.message });
    throw error;
  }
  const instanceId = await completeConnection(rt, claimed, element, connection);
  if (instanceId === undefined) return back({ error: 'server_error', error_description: 'The instance to re-authenticate was deleted' });
  return back({ instanceId: String(instanceId) });
}
