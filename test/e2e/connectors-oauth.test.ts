// OAuth 2.0 connectors against a real authorization server (oidc-provider,
// PKCE required, rotating refresh tokens) through custom elements: the hosted
// callback flow end to end, the Open Connectors flow (the app posts the code),
// resource calls that reach a loopback resource server which checks each
// bearer token by introspection at the provider, refresh after expiry and
// after a vendor 401, exactly one refresh for 20 concurrent calls (in one
// container and across two), invalidation when the refresh is refused, and
// every refusal of the hosted flow. No response may carry a vendor token or
// a client secret.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { proxyResourceCall } from '../../shared/connectors/resource-proxy.js';
import type { HttpRequest } from '../../shared/http/request.js';
import { Runtime } from '../../shared/runtime.js';
import { CachedSecrets } from '../../shared/secrets/store.js';
import { createDocumentClient, Table } from '../../shared/store/table.js';
import { elementAuthentication, startAuthorizationServer, type AuthorizationServer } from '../support/oauth-server.js';
import { startPlatform, type RequestOptions, type TestPlatform, type TestResponse } from '../support/platform.js';
import { sendJson, startVendor, type VendorServer } from '../support/vendor.js';
import { captureLogs, type LogCapture } from '../support/suite.js';

const HOSTED_CLIENT = { id: 'tollgate-hosted', secret: 'hosted secret:/+&%=with-special' };
const APP_CLIENT = { id: 'tollgate-app', secret: 'app-client-secret-9Wq' };
const RS_CLIENT = { id: 'resource-server', secret: 'resource-server-secret' };
const APP_CALLBACK = 'http://localhost:4999/app/callback';
const RETURN_URL = 'http://localhost:4999/app/connected';

let platform: TestPlatform;
let as: AuthorizationServer;
let rs: VendorServer & { seenTokens: string[]; rejectAll: boolean; rejectedTokens: Set<string> };
const responses: TestResponse[] = [];

async function call(method: string, path: string, options: RequestOptions = {}): Promise<TestResponse> {
  const response = await platform.request(method, path, options);
  responses.push(response);
  return response;
}

const withElement = (token: string) => ({ authorization: `${platform.auth}, Element ${token}` });
const instanceCount = async () => ((await call('GET', '/elements/api-v2/instances')).json as unknown[]).length;

function element(key: string, clientAuth: 'client_secret_basic' | 'client_secret_post') {
  return {
    key,
    name: `Test IdP (${clientAuth})`,
    baseUrl: `${rs.url}/api`,
    authentication: { ...elementAuthentication(as, clientAuth), tokenExpiry: { refreshBeforeSeconds: 1 } },
    resources: [{ name: 'me', path: '/me', methods: ['GET'] }],
  };
}

async function hostedUrl(query: Record<string, string>): Promise<TestResponse> {
  const params = new URLSearchParams({ apiKey: HOSTED_CLIENT.id, apiSecret: HOSTED_CLIENT.secret, returnUrl: RETURN_URL, ...query });
  return call('GET', `/elements/api-v2/elements/test-idp/oauth/url?${params}`);
}

/** Runs the hosted flow up to the callback URL the provider sends the browser to. */
async function authorizeHosted(query: Record<string, string> = {}): Promise<URL> {
  const response = await hostedUrl(query);
  expect(response.status, response.text).toBe(200);
  const callback = await as.authorize(response.json.oauthUrl);
  expect(callback.origin + callback.pathname).toBe(`${platform.url}/elements/api-v2/oauth/callback`);
  return callback;
}

async function followCallback(callback: URL): Promise<{ response: TestResponse; location?: URL }> {
  const response = await call('GET', callback.pathname + callback.search, { auth: false });
  const location = response.headers.get('location');
  return { response, ...(location ? { location: new URL(location) } : {}) };
}

function resourceRequest(): HttpRequest {
  return {
    method: 'GET',
    path: '/elements/api-v2/me',
    params: {},
    query: new URLSearchParams(),
    headers: {},
    multiHeaders: {},
    body: Buffer.alloc(0),
    requestId: 'second-container',
    sourceIp: '127.0.0.1',
    receivedAt: Date.now(),
  };
}

// Everything the platform logs during this file (at INFO, set before the logger
// exists), to prove no credential reaches the logs.
vi.hoisted(() => {
  process.env.LOG_LEVEL = 'INFO';
});
let logs: LogCapture;

beforeAll(async () => {
  logs = captureLogs();
  platform = await startPlatform();
  const vendor = await startVendor(async (request, res) => {
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (bearer) rs.seenTokens.push(bearer);
    if (!bearer || rs.rejectAll || rs.rejectedTokens.has(bearer)) {
      sendJson(res, 401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
      return;
    }
    const introspection = await fetch(`${as.issuer}/token/introspection`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${RS_CLIENT.id}:${RS_CLIENT.secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: bearer }),
    });
    const result = (await introspection.json()) as { active: boolean; sub?: string; client_id?: string };
    if (!result.active) {
      sendJson(res, 401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
      return;
    }
    sendJson(res, 200, { sub: result.sub, client: result.client_id, path: request.path });
  });
  rs = Object.assign(vendor, { seenTokens: [] as string[], rejectAll: false, rejectedTokens: new Set<string>() });
  as = await startAuthorizationServer({
    clients: [
      {
        client_id: HOSTED_CLIENT.id,
        client_secret: HOSTED_CLIENT.secret,
        redirect_uris: [`${platform.url}/elements/api-v2/oauth/callback`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        client_id: APP_CLIENT.id,
        client_secret: APP_CLIENT.secret,
        redirect_uris: [APP_CALLBACK],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
      {
        client_id: RS_CLIENT.id,
        client_secret: RS_CLIENT.secret,
        redirect_uris: [],
        grant_types: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
  });
  expect((await call('POST', '/elements/api-v2/elements', { json: element('test-idp', 'client_secret_basic') })).status).toBe(200);
  expect((await call('POST', '/elements/api-v2/elements', { json: element('test-idp-post', 'client_secret_post') })).status).toBe(200);
});

afterAll(async () => {
  logs.restore();
  const secrets = [...as.issuedTokens, ...rs.seenTokens, HOSTED_CLIENT.secret, APP_CLIENT.secret, platform.auth.split(', ')[0]!.slice(5)];
  expect(as.issuedTokens.length).toBeGreaterThan(5);
  for (const response of responses) {
    for (const secret of secrets) expect(response.text).not.toContain(secret);
    expect(response.headers.get('location') ?? '').not.toContain(HOSTED_CLIENT.secret);
  }
  const logged = logs.text();
  expect(logged).toContain('connector access token refreshed');
  expect(logged).toContain('connector token refresh refused by the vendor');
  for (const secret of secrets) expect(logged).not.toContain(secret);
  for (const instance of responses.map((r) => r.json?.token).filter((t): t is string => typeof t === 'string')) {
    expect(logged).not.toContain(instance);
  }
  await as.close();
  await rs.close();
  await platform.close();
});

describe('hosted OAuth flow and token lifecycle', () => {
  let hosted: { id: number; token: string };

  it('authorizes, exchanges the code at the callback, creates the instance and redirects back', async () => {
    as.accessTokenTtl = 2;
    const callback = await authorizeHosted({ state: 'app-state-123', name: 'Jane at Test IdP' });
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect(callback.searchParams.get('iss')).toBe(as.issuer);

    const { response, location } = await followCallback(callback);
    expect(response.status).toBe(302);
    expect(location!.origin + location!.pathname).toBe(RETURN_URL);
    expect(location!.searchParams.get('state')).toBe('app-state-123');
    expect(location!.searchParams.get('error')).toBeNull();
    const id = Number(location!.searchParams.get('instanceId'));
    expect(id).toBeGreaterThan(0);

    const exchange = as.tokenRequests.at(-1)!;
    expect(exchange).toEqual({ grantType: 'authorization_code', clientAuth: 'basic', status: 200 });

    const instance = await call('GET', `/elements/api-v2/instances/${id}`);
    expect(instance.json).toMatchObject({
      id,
      name: 'Jane at Test IdP',
      valid: true,
      element: { key: 'test-idp' },
      configuration: { 'oauth.api.key': '********', 'oauth.api.secret': '********', 'oauth.callback.url': `${platform.url}/elements/api-v2/oauth/callback` },
    });
    hosted = { id, token: instance.json.token };

    const me = await call('GET', '/elements/api-v2/me', { headers: withElement(hosted.token) });
    expect(me.status, me.text).toBe(200);
    expect(me.json).toEqual({ sub: 'user-1', client: HOSTED_CLIENT.id, path: '/api/me' });
    expect(as.issuedTokens).toContain(rs.seenTokens.at(-1));
  });

  it('makes an account user\'s hosted connection its own instance, and re-authenticates only instances it may use', async () => {
    const made = await call('POST', '/elements/api-v2/organizations/users', { json: { email: 'hosted-user@example.com', firstName: 'Hosted', lastName: 'User' } });
    const auth = `User ${made.json.secret}, Organization ${platform.local.credentials.organizationSecret}`;
    const query = { apiKey: HOSTED_CLIENT.id, apiSecret: HOSTED_CLIENT.secret, returnUrl: RETURN_URL };
    const url = await call('GET', `/elements/api-v2/elements/test-idp/oauth/url?${new URLSearchParams(query)}`, { auth });
    expect(url.status, url.text).toBe(200);
    const { location } = await followCallback(await as.authorize(url.json.oauthUrl));
    const id = Number(location!.searchParams.get('instanceId'));
    expect((await call('GET', `/elements/api-v2/instances/${id}`, { auth })).json.user).toMatchObject({ id: made.json.id, emailAddress: 'hosted-user@example.com' });
    expect((await call('GET', '/elements/api-v2/instances', { auth })).json.map((instance: { id: number }) => instance.id)).toEqual([id]);
    const foreign = await call('GET', `/elements/api-v2/elements/test-idp/oauth/url?${new URLSearchParams({ ...query, instanceId: String(hosted.id) })}`, { auth });
    expect(foreign.status).toBe(404);
  });

  it('refuses a replayed callback without creating an instance', async () => {
    const before = await instanceCount();
    const callback = await authorizeHosted();
    expect((await followCallback(callback)).response.status).toBe(302);
    const replay = await followCallback(callback);
    expect(replay.response.status).toBe(400);
    expect(replay.location).toBeUndefined();
    expect(replay.response.json.code).toBe('invalid_state');
    expect(await instanceCount()).toBe(before + 1);
  });

  it('refreshes the access token once it is about to expire', async () => {
    const refreshes = as.refreshCount();
    await sleep(1_200); // the 2 s token is now within the element's 1 s refresh margin
    const me = await call('GET', '/elements/api-v2/me', { headers: withElement(hosted.token) });
    expect(me.status, me.text).toBe(200);
    expect(as.refreshCount()).toBe(refreshes + 1);
    expect(as.tokenRequests.at(-1)).toEqual({ grantType: 'refresh_token', clientAuth: 'basic', status: 200 });
  });

  it('makes exactly one refresh request for 20 concurrent calls with an expired token', async () => {
    as.accessTokenTtl = 300;
    await sleep(1_200);
    const refreshes = as.refreshCount();
    const results = await Promise.all(Array.from({ length: 20 }, () => call('GET', '/elements/api-v2/me', { headers: withElement(hosted.token) })));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    // The provider rotates refresh tokens and revokes the grant when one is reused: a second
    // refresh with a stale refresh token would have failed every call.
    expect(as.refreshCount()).toBe(refreshes + 1);
    expect((await call('GET', '/elements/api-v2/me', { headers: withElement(hosted.token) })).status).toBe(200);
    expect(as.refreshCount()).toBe(refreshes + 1);
  });

  it('refreshes once after the vendor rejects the token, and never loops', async () => {
    // The vendor stops accepting the current token before its expiry (revoked on its side).
    const rejected = rs.seenTokens.at(-1)!;
    rs.rejectedTokens.add(rejected);
    let refreshes = as.refreshCount();
    const recovered = await call('GET', '/elements/api-v2/me', { headers: withElement(hosted.token) });
    expect(recovered.status, recovered.text).toBe(200);
    expect(as.refreshCount()).toBe(refreshes + 1);
    expect(rs.seenTokens.at(-1)).not.toBe(rejected);

    rs.rejectAll = true;
    refreshes = as.refreshCount();
    const stillRejected = await call('GET', '/elements/api-v2/me', { headers: withElement(hosted.token) });
    rs.rejectAll = false;
    expect(stillRejected.status).toBe(401);
    expect(stillRejected.json).toEqual({ error: 'invalid_token' });
    expect(as.refreshCount()).toBe(refreshes + 1);
  });

  it('re-authenticates through the hosted flow, keeping id and token', async () => {
    const callback = await authorizeHosted({ instanceId: String(hosted.id), state: 'again' });
    const { location } = await followCallback(callback);
    expect(location!.searchParams.get('instanceId')).toBe(String(hosted.id));
    expect(location!.searchParams.get('state')).toBe('again');
    const instance = await call('GET', `/elements/api-v2/instances/${hosted.id}`);
    expect(instance.json).toMatchObject({ id: hosted.id, token: hosted.token, valid: true });
    expect((await call('GET', '/elements/api-v2/me', { headers: withElement(hosted.token) })).status).toBe(200);
  });
});

describe('Open Connectors flow', () => {
  let app: { id: number; token: string };

  async function appCode(state: string): Promise<string> {
    const params = new URLSearchParams({ apiKey: APP_CLIENT.id, apiSecret: APP_CLIENT.secret, callbackUrl: APP_CALLBACK, state });
    const response = await call('GET', `/elements/api-v2/elements/test-idp-post/oauth/url?${params}`);
    expect(response.status, response.text).toBe(200);
    expect(response.json.element).toBe('test-idp-post');
    const redirect = await as.authorize(response.json.oauthUrl);
    expect(redirect.origin + redirect.pathname).toBe(APP_CALLBACK);
    expect(redirect.searchParams.get('state')).toBe(state);
    return redirect.searchParams.get('code')!;
  }

  const configuration = { 'oauth.api.key': APP_CLIENT.id, 'oauth.api.secret': APP_CLIENT.secret, 'oauth.callback.url': APP_CALLBACK };

  it('creates the instance from the code the app posts', async () => {
    as.accessTokenTtl = 2;
    const code = await appCode('app-state-1');
    const created = await call('POST', '/elements/api-v2/elements/test-idp-post/instances', {
      json: { name: 'App user', providerData: { code, state: 'app-state-1' }, configuration, tags: ['app'], retrieveObjectsAfterInstantiation: true },
    });
    expect(created.status, created.text).toBe(200);
    expect(created.json).toMatchObject({ name: 'App user', valid: true, element: { key: 'test-idp-post' }, objects: [{ name: 'me', type: 'vendor' }] });
    expect(as.tokenRequests.at(-1)).toEqual({ grantType: 'authorization_code', clientAuth: 'post', status: 200 });
    app = { id: created.json.id, token: created.json.token };
    const me = await call('GET', '/elements/api-v2/me', { headers: withElement(app.token) });
    expect(me.json).toMatchObject({ client: APP_CLIENT.id });
    as.accessTokenTtl = 300;
  });

  it('refuses a replayed code without creating an instance', async () => {
    const before = await instanceCount();
    const code = await appCode('app-state-2');
    const first = await call('POST', '/elements/api-v2/instances', {
      json: { element: { key: 'test-idp-post' }, name: 'once', providerData: { code, state: 'app-state-2' }, configuration },
    });
    expect(first.status).toBe(200);
    const replay = await call('POST', '/elements/api-v2/instances', {
      json: { element: { key: 'test-idp-post' }, name: 'twice', providerData: { code, state: 'app-state-2' }, configuration },
    });
    expect(replay.status).toBe(422); // the PKCE verifier was single use
    const forged = await call('POST', '/elements/api-v2/instances', {
      json: { element: { key: 'test-idp-post' }, name: 'forged', providerData: { code, codeVerifier: 'x'.repeat(43) }, configuration },
    });
    expect(forged.status).toBe(400);
    expect(forged.json.code).toBe('vendor_rejected_code');
    // The authorization server's own words, as Open Connectors passes them on.
    expect(forged.json.providerMessage).toMatch(/^invalid_grant/);
    expect(await instanceCount()).toBe(before + 1);
    await call('DELETE', `/elements/api-v2/instances/${first.json.id}`);
  });

  it('takes seed 001\'s payload, the code alone, by finding the one pending authorization', async () => {
    const authorize = async () => {
      const params = new URLSearchParams({ apiKey: APP_CLIENT.id, apiSecret: APP_CLIENT.secret, callbackUrl: APP_CALLBACK });
      const response = await call('GET', `/elements/api-v2/elements/test-idp-post/oauth/url?${params}`);
      expect(response.status, response.text).toBe(200);
      return (await as.authorize(response.json.oauthUrl)).searchParams.get('code')!;
    };
    const code = await authorize();
    const created = await call('POST', '/elements/api-v2/instances', { json: { element: { key: 'test-idp-post' }, name: 'Seed 001', providerData: { code }, configuration } });
    expect(created.status, created.text).toBe(200);
    expect(as.tokenRequests.at(-1)).toMatchObject({ grantType: 'authorization_code', status: 200 });
    await call('DELETE', `/elements/api-v2/instances/${created.json.id}`);

    // Two pending for the same client and callback URL: the state must say which.
    const [first] = [await authorize(), await authorize()];
    const ambiguous = await call('POST', '/elements/api-v2/instances', { json: { element: { key: 'test-idp-post' }, name: 'Which', providerData: { code: first }, configuration } });
    expect(ambiguous.status).toBe(422);
    expect(ambiguous.json.fields).toEqual([{ path: 'providerData.state', message: expect.stringMatching(/^2 authorizations of test-idp-post are pending .*pass the state/) }]);
  });

  it('makes one refresh when two containers race with an expired token', async () => {
    await sleep(1_200); // the app instance's first token lived 2 s
    const local = platform.local.runtime;
    const second = new Runtime(
      local.config,
      new Table(createDocumentClient({ tableName: local.config.tableName, region: local.config.region, endpoint: local.config.dynamoEndpoint }), local.config.tableName),
      new CachedSecrets(local.secrets.backend),
    );
    const refreshes = as.refreshCount();
    const results = await Promise.all([
      ...Array.from({ length: 10 }, () => call('GET', '/elements/api-v2/me', { headers: withElement(app.token) }).then((r) => r.status)),
      ...Array.from({ length: 10 }, () =>
        proxyResourceCall(second, resourceRequest(), { via: 'platform', organization: 'default', role: 'orgadmin', roles: { default: 'orgadmin' }, element: app.token }).then((r) => r.status),
      ),
    ]);
    expect(results).toEqual(Array(20).fill(200));
    expect(as.refreshCount()).toBe(refreshes + 1);
    second.table.doc.destroy();
  });

  it('marks the instance invalid when the vendor refuses the refresh, and stops asking', async () => {
    await as.provider.Grant.find(as.grants.get(APP_CLIENT.id)!).then((grant) => grant!.destroy());
    let refreshes = as.refreshCount();
    const failed = await call('GET', '/elements/api-v2/me', { headers: withElement(app.token) });
    expect(failed.status).toBe(401);
    expect(failed.json.code).toBe('instance_invalid');
    expect(failed.json.message).toContain('invalid_grant');
    expect(failed.json.message).toContain(`PUT /elements/api-v2/instances/${app.id}`);
    expect(as.refreshCount()).toBe(refreshes + 1);
    refreshes = as.refreshCount();
    const again = await call('GET', '/elements/api-v2/me', { headers: withElement(app.token) });
    expect(again.status).toBe(401);
    expect(as.refreshCount()).toBe(refreshes);
    const instance = await call('GET', `/elements/api-v2/instances/${app.id}`);
    expect(instance.json).toMatchObject({ valid: false, validationError: { code: 'invalid_grant' } });
  });

  it('re-authenticates with PUT and a new code, keeping id and token', async () => {
    const code = await appCode('app-state-3');
    const put = await call('PUT', `/elements/api-v2/instances/${app.id}`, { json: { providerData: { code, state: 'app-state-3' } } });
    expect(put.status, put.text).toBe(200);
    expect(put.json).toMatchObject({ id: app.id, token: app.token, valid: true, name: 'App user', tags: ['app'] });
    expect(put.json.validationError).toBeUndefined();
    expect((await call('GET', '/elements/api-v2/me', { headers: withElement(app.token) })).status).toBe(200);
  });
});

describe('hosted flow refusals', () => {
  it('redirects a denied consent back with error and the caller state, creating nothing', async () => {
    const before = await instanceCount();
    as.decision = 'deny';
    const callback = await authorizeHosted({ state: 'denied-state' }).finally(() => {
      as.decision = 'grant';
    });
    expect(callback.searchParams.get('error')).toBe('access_denied');
    const { response, location } = await followCallback(callback);
    expect(response.status).toBe(302);
    expect(location!.origin + location!.pathname).toBe(RETURN_URL);
    expect(Object.fromEntries(location!.searchParams)).toEqual({
      error: 'access_denied',
      error_description: 'The user denied access',
      state: 'denied-state',
    });
    expect(await instanceCount()).toBe(before);
    expect((await followCallback(callback)).response.status).toBe(400);
  });

  it('refuses a tampered state, then still completes the genuine one', async () => {
    const before = await instanceCount();
    const callback = await authorizeHosted();
    const tampered = new URL(callback);
    const state = tampered.searchParams.get('state')!;
    tampered.searchParams.set('state', `${state.slice(0, -2)}${state.endsWith('AA') ? 'BB' : 'AA'}`);
    const wrong = await followCallback(tampered);
    expect(wrong.response.status).toBe(400);
    expect(wrong.location).toBeUndefined();
    const otherOrg = new URL(callback);
    otherOrg.searchParams.set('state', state.replace(/^default\./, 'other.'));
    expect((await followCallback(otherOrg)).response.status).toBe(400);
    expect(await instanceCount()).toBe(before);
    expect((await followCallback(callback)).response.status).toBe(302);
    expect(await instanceCount()).toBe(before + 1);
  });

  it('refuses an expired state', async () => {
    const before = await instanceCount();
    const callback = await authorizeHosted();
    const table = platform.local.runtime.table;
    const [pending] = await table.queryAll('ORG#default', { prefix: 'OAUTHSTATE#', consistent: true });
    await table.setIf(pending!, { expiresAt: Math.floor(Date.now() / 1000) - 1 }, 'attribute_exists(pk)');
    const expired = await followCallback(callback);
    expect(expired.response.status).toBe(400);
    expect(expired.response.json.code).toBe('invalid_state');
    expect(await instanceCount()).toBe(before);
  });

  it('redirects with the vendor error when the code exchange fails, creating nothing', async () => {
    const before = await instanceCount();
    const callback = await authorizeHosted({ apiSecret: 'not-the-client-secret', state: 's' });
    const { response, location } = await followCallback(callback);
    expect(response.status).toBe(302);
    expect(location!.searchParams.get('error')).toBe('invalid_client');
    expect(location!.searchParams.get('error_description')).toContain('refused the authorization code');
    expect(location!.searchParams.get('state')).toBe('s');
    expect(location!.searchParams.get('instanceId')).toBeNull();
    expect(await instanceCount()).toBe(before);
  });

  it('refuses a foreign returnUrl before anything is stored', async () => {
    const response = await hostedUrl({ returnUrl: 'https://attacker.example/steal' });
    expect(response.status).toBe(422);
    expect(response.json.fields[0].path).toBe('returnUrl');
    expect(await platform.local.runtime.table.queryAll('ORG#default', { prefix: 'OAUTHSTATE#', consistent: true })).toEqual([]);
  });
});
