// Management login in the shape of Apigee's SSO token endpoint
// (login.apigee.com, or Edge's SSO module): `POST /login/oauth/token` with
// the Apigee tools' public client (`Basic edgecli:edgeclisecret`) and a form
// `grant_type=password&username=..&password=..`, or
// `grant_type=refresh_token&refresh_token=..`. It answers a management token
// (`tgm_`, 30 minutes, the same as `POST /v1/users/{email}/tokens`) and a
// refresh token (`tgr_`, 24 hours, good for one use: each refresh answers the
// next one). So apigee-edge-js logs in with `ssoUrl: <platform>/login`, and
// Apigee's `get_token` with `SSO_LOGIN_URL=<platform>/login`, unchanged.
//
// Errors in RFC 6749's shape, as the SSO endpoint answers them; a wrong
// password and an unknown user are the same `401 unauthorized`, and cost the
// same work.
import * as z from 'zod';
import { isApigeeToolsClient, issueManagementLogin, redeemManagementRefresh } from '../auth/management-tokens.js';
import type { PlatformRouter } from '../auth/principal.js';
import { checkPassword } from '../auth/users.js';
import { basicToken, decodeBasic } from '../http/basic-auth.js';
import type { HttpRequest } from '../http/request.js';
import { json, type HttpResponse } from '../http/response.js';
import { singleParameter } from '../oauth/client-auth.js';
import { invalidRequest, oauthError } from '../oauth/errors.js';
import { readForm } from '../oauth/form.js';
import type { Runtime } from '../runtime.js';

const LOGIN_PATH = '/login/oauth/token';
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** Whether a request is the login's: its errors are RFC 6749's (the platform function picks the renderer by path). */
export const isLoginPath = (path: string) => path === LOGIN_PATH;

const loginResponse = z.lazy(() => z.object({
  access_token: z.string().describe('A management token (`tgm_...`): `Authorization: Bearer <token>` on the management API.'),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int().describe('Seconds (1800).'),
  refresh_token: z.string().describe('`tgr_...`: one use, within 24 hours, for the next pair.'),
}));

function toolsClient(request: HttpRequest): boolean {
  const token = basicToken(request.headers.authorization ?? '');
  const basic = token === undefined ? undefined : decodeBasic(token);
  return basic !== undefined && isApigeeToolsClient(basic.user, basic.password);
}

async function login(request: HttpRequest, rt: Runtime): Promise<HttpResponse> {
  if (!toolsClient(request)) {
    throw oauthError(401, 'invalid_client', "Authenticate the client as Apigee's tools do: Basic edgecli:edgeclisecret", { 'www-authenticate': 'Basic realm="tollgate-login", charset="UTF-8"' });
  }
  if (request.body.length === 0) throw invalidRequest('Content-Type must be application/x-www-form-urlencoded');
  const form = readForm(request);
  const grant = singleParameter(form, 'grant_type');
  if (grant === 'password') {
    const username = singleParameter(form, 'username');
    const password = singleParameter(form, 'password');
    if (!username || password === undefined) throw invalidRequest('username and password are required, once each');
    const found = await checkPassword(rt, username.trim().toLowerCase(), password);
    if (!found) throw oauthError(401, 'unauthorized', 'Bad credentials');
    return json(200, await issueManagementLogin(rt, found.user), NO_STORE);
  }
  if (grant === 'refresh_token') {
    const presented = singleParameter(form, 'refresh_token');
    if (!presented) throw invalidRequest('refresh_token is required, once');
    const found = await redeemManagementRefresh(rt, presented);
    if (!found) throw oauthError(400, 'invalid_grant', 'The refresh token is unknown, expired or already used');
    return json(200, await issueManagementLogin(rt, found.user), NO_STORE);
  }
  throw grant ? oauthError(400, 'unsupported_grant_type', 'grant_type is password or refresh_token') : invalidRequest('grant_type is required, once');
}

export function registerLoginRoute(router: PlatformRouter): void {
  router.post(
    LOGIN_PATH,
    {
      tag: 'Management users',
      auth: 'none',
      errors: 'oauth',
      operationId: 'managementLogin',
      summary: "Log in as a management user (Apigee's SSO token endpoint)",
      description:
        "Client `Basic edgecli:edgeclisecret`; form `grant_type=password` with `username` and `password`, or `grant_type=refresh_token` with `refresh_token`. For apigee-edge-js (`ssoUrl`) and Apigee's `get_token` (`SSO_LOGIN_URL`), each pointed at `<platform>/login`. Errors as RFC 6749 writes them; a wrong password and an unknown user are the same 401.",
      responses: { 200: { description: 'The management token and the next refresh token (`Cache-Control: no-store`).', schema: loginResponse } },
    },
    (request, rt) => login(request, rt),
  );
}
