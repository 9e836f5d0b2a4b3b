// Faults over HTTP: what each function answers when a backend, a vendor's
// token endpoint, DynamoDB or Secrets Manager fails, that the server keeps
// serving afterwards, and that the table holds nothing half-written (checked
// on the whole table after every case). A backend that is down or slow before
// answering is covered by proxy-runtime.test.ts; here it fails mid-body.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { instanceKeys, instanceRefreshLeaseKeys } from '../../shared/store/keys.js';
import { useRuntime } from '../../shared/runtime.js';
import type { Runtime } from '../../shared/runtime.js';
import { startBackend, type Backend } from '../support/backend.js';
import { FORM, provisionApp, rawBasic, type ProvisionedApp } from '../support/consumers.js';
import { closedPort, container, FailingSecrets, throttle, unreachableSecretsManager } from '../support/faults.js';
import { startPlatform, type RequestOptions, type TestPlatform, type TestResponse } from '../support/platform.js';
import { deployProxy, quotaProxy, simpleProxy } from '../support/proxies.js';
import { storeProblems } from '../support/store-integrity.js';
import { sendJson, startVendor, type VendorServer } from '../support/vendor.js';

let platform: TestPlatform;
let base: Runtime;
let backend: Backend;
let app: ProvisionedApp;
let accessToken: string;

/** Stack frames, source paths or Node internals: never in a response. */
const INTERNALS = /\n\s+at |\(\/|file:\/\/|node:internal|node_modules|\.ts:\d+|ECONNREFUSED|ProvisionedThroughput|InternalServiceError/;

async function call(method: string, path: string, options: RequestOptions = {}, plane: 'platform' | 'runtime' = 'platform'): Promise<TestResponse> {
  const response = plane === 'platform' ? await platform.request(method, path, options) : await platform.proxy(method, path, options);
  expect(response.status, `${method} ${path}: ${response.text}`).not.toBe(500);
  expect(response.text).not.toMatch(INTERNALS);
  return response;
}

/** The server still answers: health, the management API and a proxied call. */
async function expectAlive(): Promise<void> {
  expect((await call('GET', '/healthz', { auth: false })).status).toBe(200);
  expect((await call('GET', '/v1/organizations/default')).status).toBe(200);
  expect((await call('GET', '/alive/ping', { auth: false }, 'runtime')).status).toBe(200);
}

/** Runs `work` with every handler of the server using `rt`, then the platform's own runtime again. */
async function inContainer<T>(rt: Runtime, work: () => Promise<T>): Promise<T> {
  useRuntime(rt);
  try {
    return await work();
  } finally {
    useRuntime(base);
  }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  platform = await startPlatform();
  base = platform.local.runtime;
  backend = await startBackend(async (request, res) => {
    if (request.url.includes('/reset')) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"partial":');
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    if (request.url.includes('/stall')) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"partial":');
      setTimeout(() => res.socket?.destroy(), 1_500);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, url: request.url }));
  });
  app = await provisionApp(platform, { product: 'faulty', scopes: ['read'] });
  const token = await call('POST', '/oauth/token', { auth: false, headers: { ...FORM, authorization: rawBasic(app.consumerKey, app.consumerSecret) }, body: 'grant_type=client_credentials' });
  accessToken = token.json.access_token;

  await deployProxy(platform, simpleProxy('alive', '/alive', backend.url));
  await deployProxy(platform, {
    ...simpleProxy('flaky', '/flaky', backend.url),
    targetEndpoints: [{ name: 'default', connection: { url: backend.url, readTimeoutMs: 400 } }],
  });
  await deployProxy(platform, quotaProxy('counted', 1000, 'counted'));
  await deployProxy(
    platform,
    simpleProxy('secured', '/secured', backend.url, [{ name: 'verify', type: 'OAuthV2', config: { operation: 'VerifyAccessToken' } }], ['verify']),
  );
});

afterEach(async () => {
  // Whatever failed, nothing is half-written.
  expect(await storeProblems(base.table)).toEqual([]);
});

afterAll(async () => {
  await backend.close();
  await platform.close();
});

describe('a backend failing mid-body', () => {
  it('answers 502 when the backend resets the connection and 504 when it stalls past the timeout', async () => {
    const reset = await call('GET', '/flaky/reset', { auth: false }, 'runtime');
    expect(reset.status).toBe(502);
    expect(reset.json.fault.detail.errorcode).toBe('messaging.adaptors.http.UnexpectedEOFAtTarget');
    expect(reset.text).not.toContain('partial');

    const stalled = await call('GET', '/flaky/stall', { auth: false }, 'runtime');
    expect(stalled.status).toBe(504);
    expect(stalled.json.fault.detail.errorcode).toBe('messaging.adaptors.http.flow.GatewayTimeout');
    await expectAlive();
  });
});

describe('the vendor token endpoint during a refresh', () => {
  let tokenServer: Server;
  let tokenPort: number;
  let mode: 'ok' | 'error' | 'reset' = 'ok';
  let issued = 0;
  let api: VendorServer;
  let instance: { id: number; token: string };

  const listen = (port = 0) =>
    new Promise<number>((resolve) => {
      tokenServer = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          if (mode === 'reset') return void req.socket.destroy();
          if (mode === 'error') return sendJson(res, 503, { error: 'temporarily_unavailable' });
          issued++;
          sendJson(res, 200, { access_token: `vendor-access-${issued}`, refresh_token: `vendor-refresh-${issued}`, token_type: 'Bearer', expires_in: 3600 });
        });
      });
      tokenServer.listen(port, '127.0.0.1', () => resolve((tokenServer.address() as AddressInfo).port));
    });
  const stopTokenServer = () =>
    new Promise<void>((resolve) => {
      tokenServer.closeAllConnections();
      tokenServer.close(() => resolve());
    });

  beforeAll(async () => {
    tokenPort = await listen();
    api = await startVendor((request, res) => sendJson(res, 200, { authorization: request.headers.authorization ?? null }));
    const element = await call('POST', '/elements/api-v2/elements', {
      json: {
        key: 'refreshing',
        name: 'Refreshing vendor',
        baseUrl: `${api.url}/api`,
        authentication: {
          type: 'oauth2',
          authorizationUrl: `http://127.0.0.1:${tokenPort}/authorize`,
          tokenUrl: `http://127.0.0.1:${tokenPort}/token`,
          // Every call finds the token within the refresh window: each one refreshes.
          tokenExpiry: { refreshBeforeSeconds: 3600 },
        },
        resources: [{ name: 'me', path: '/me', methods: ['GET'] }],
      },
    });
    expect(element.status, element.text).toBe(200);
    const created = await call('POST', '/elements/api-v2/instances', {
      json: {
        element: { key: 'refreshing' },
        name: 'refreshing instance',
        providerData: { code: 'authorization-code' },
        configuration: { 'oauth.api.key': 'client-id', 'oauth.api.secret': 'client-secret-xyz', 'oauth.callback.url': 'http://localhost:4999/cb' },
      },
    });
    expect(created.status, created.text).toBe(200);
    instance = created.json;
  });
  afterAll(async () => {
    await stopTokenServer();
    await api.close();
  });

  const resourceCall = () => call('GET', '/elements/api-v2/me', { headers: { authorization: `${platform.auth}, Element ${instance.token}` } });
  const stored = () => base.table.get(instanceKeys('default', instance.id), { consistent: true });

  it('answers 503 while the endpoint is down and 502 while it fails or resets; the instance stays valid and untouched', async () => {
    const before = await stored();
    const apiCalls = api.requests.length;
    await stopTokenServer();
    const down = await resourceCall();
    expect(down.status).toBe(503);
    expect(down.json.code).toBe('vendor_unreachable');

    tokenPort = await listen(tokenPort);
    mode = 'error';
    const failing = await resourceCall();
    expect(failing.status).toBe(502);
    expect(failing.json.code).toBe('vendor_token_error');
    mode = 'reset';
    const reset = await resourceCall();
    expect(reset.status).toBe(502);
    expect(reset.json.code).toBe('vendor_connection_failed');

    // No call reached the vendor API with a stale token, and the instance was neither
    // invalidated nor rewritten; the refresh lease was released every time.
    expect(api.requests.length).toBe(apiCalls);
    const after = await stored();
    expect(after).toMatchObject({ valid: true, credentialsRevision: before!.credentialsRevision, sealedCredentials: before!.sealedCredentials });
    expect(await base.table.get(instanceRefreshLeaseKeys('default', instance.id), { consistent: true })).toBeUndefined();
    expect((await call('GET', `/elements/api-v2/instances/${instance.id}`)).json.valid).toBe(true);

    mode = 'ok';
    const recovered = await resourceCall();
    expect(recovered.status).toBe(200);
    expect(recovered.json.authorization).toBe(`Bearer vendor-access-${issued}`);
    expect((await stored())!.credentialsRevision).toBe(Number(before!.credentialsRevision) + 1);
  });
});

describe('DynamoDB unavailable', () => {
  it('answers a clean 503 from every function, in its own shape, and the server keeps serving', async () => {
    const down = container(base, { dynamoEndpoint: `http://127.0.0.1:${await closedPort()}` });
    await inContainer(down.runtime, async () => {
      const management = await call('GET', '/v1/organizations/default');
      expect(management.status).toBe(503);
      expect(management.json.error.code).toBe('service_unavailable');
      expect(management.headers.get('retry-after')).toBe('1');

      const connectors = await call('GET', '/elements/api-v2/instances');
      expect(connectors.status).toBe(503);
      expect(connectors.json.code).toBe('service_unavailable');

      const token = await call('POST', '/oauth/token', { auth: false, headers: { ...FORM, authorization: rawBasic(app.consumerKey, app.consumerSecret) }, body: 'grant_type=client_credentials' });
      expect(token.status).toBe(503);
      expect(token.json.error).toBe('temporarily_unavailable');
      expect(token.headers.get('retry-after')).toBe('1');

      const proxied = await call('GET', '/counted', { auth: false }, 'runtime');
      expect(proxied.status).toBe(503);
      expect(proxied.json.fault.detail.errorcode).toBe('messaging.runtime.ServiceUnavailable');

      const callback = await call('GET', '/elements/api-v2/oauth/callback?state=default.abcdefghijklmnopqrstuvwxyz&code=x', { auth: false });
      expect(callback.status).toBe(503);

      expect((await call('GET', '/healthz', { auth: false })).status).toBe(200);
    });
    await down.close();
    await expectAlive();
  });
});

describe('DynamoDB throttling', () => {
  it('absorbs brief throttling through the SDK\'s retries', async () => {
    const brief = container(base);
    const throttled = throttle(brief.runtime.table, () => true, 1);
    await inContainer(brief.runtime, async () => {
      expect((await call('GET', '/v1/organizations/default')).status).toBe(200);
    });
    expect(throttled.refused).toBeGreaterThan(0);
    await brief.close();
  });

  it('answers 503 when a quota counter cannot be written, and counts nothing', async () => {
    const counters = async () => (await base.table.queryAll('ORG#default', { prefix: 'QUOTA#prod#counted#' })).map((item) => Number(item.count));
    expect((await call('GET', '/counted', { auth: false }, 'runtime')).status).toBe(200);
    const before = await counters();
    const busy = container(base);
    const throttled = throttle(busy.runtime.table, (c) => c.command === 'UpdateItemCommand' && c.sk.startsWith('QUOTA#'));
    await inContainer(busy.runtime, async () => {
      const limited = await call('GET', '/counted', { auth: false }, 'runtime');
      expect(limited.status).toBe(503);
      expect(limited.json.fault.detail.errorcode).toBe('messaging.runtime.ServiceUnavailable');
      expect(limited.headers.get('retry-after')).toBe('1');
      expect(await counters()).toEqual(before);
      throttled.active = false;
      expect((await call('GET', '/counted', { auth: false }, 'runtime')).text).toBe('counted');
    });
    expect(await counters()).toEqual([before[0]! + 1]);
    await busy.close();
  });

  it('takes back an app whose credential could not be written, so the same request succeeds later', async () => {
    const busy = container(base);
    const throttled = throttle(busy.runtime.table, (c) => c.command === 'PutItemCommand' && c.sk.startsWith('CRED#'));
    const path = `/v1/organizations/default/developers/${app.email}/apps`;
    await inContainer(busy.runtime, async () => {
      const failed = await call('POST', path, { json: { name: 'throttled-app', apiProducts: ['faulty'] } });
      expect(failed.status).toBe(503);
      expect((await call('GET', path)).json).not.toContain('throttled-app');
      const apps = await base.table.queryAll('ORG#default', { prefix: 'APP#' });
      expect(apps.map((item) => item.name)).not.toContain('throttled-app');

      throttled.active = false;
      const created = await call('POST', path, { json: { name: 'throttled-app', apiProducts: ['faulty'] } });
      expect(created.status).toBe(201);
      const { consumerKey, consumerSecret } = created.json.credentials[0];
      const token = await call('POST', '/oauth/token', { auth: false, headers: { ...FORM, authorization: rawBasic(consumerKey, consumerSecret) }, body: 'grant_type=client_credentials' });
      expect(token.status).toBe(200);
    });
    await busy.close();
  });

  it('keeps routes and deployment records in step when a deployment cannot be recorded', async () => {
    const v1 = await deployProxy(platform, {
      name: 'stepwise',
      policies: [{ name: 'say', type: 'AssignMessage', config: { set: { payload: { content: 'v1', contentType: 'text/plain' } } } }],
      proxyEndpoints: [{ basePath: '/stepwise', preFlow: { request: [], response: [{ name: 'say' }] } }],
    });
    const v2 = await call('POST', '/v1/organizations/default/apis', {
      json: {
        name: 'stepwise',
        policies: [{ name: 'say', type: 'AssignMessage', config: { set: { payload: { content: 'v2', contentType: 'text/plain' } } } }],
        proxyEndpoints: [{ basePath: '/stepwise', preFlow: { request: [], response: [{ name: 'say' }] } }],
      },
    });
    const busy = container(base);
    const throttled = throttle(busy.runtime.table, (c) => c.command === 'PutItemCommand' && c.sk.startsWith('DEPLOY#'));
    await inContainer(busy.runtime, async () => {
      const deploy = await call('POST', `/v1/organizations/default/environments/prod/apis/stepwise/revisions/${v2.json.revision}/deployments`, { body: 'override=true', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(deploy.status).toBe(503);
    });
    // The store check after this test proves the route went back to revision 1 with its record.
    expect((await call('GET', '/v1/organizations/default/apis/stepwise/deployments')).json.environment[0].revision[0].name).toBe(String(v1.revision));
    expect((await call('GET', '/stepwise', { auth: false }, 'runtime')).text).toBe('v1');
    await busy.close();
    expect(throttled.refused).toBeGreaterThan(0);
    expect((await call('POST', `/v1/organizations/default/environments/prod/apis/stepwise/revisions/${v2.json.revision}/deployments?override=true`)).status).toBe(200);
    expect((await call('GET', '/stepwise', { auth: false }, 'runtime')).text).toBe('v2');
  });

  it('lists no revision that could not be stored', async () => {
    const busy = container(base);
    throttle(busy.runtime.table, (c) => c.command === 'PutItemCommand' && c.sk.startsWith('APIREV#'));
    await inContainer(busy.runtime, async () => {
      const failed = await call('POST', '/v1/organizations/default/apis', { json: simpleProxy('unstored', '/unstored', backend.url) });
      expect(failed.status).toBe(503);
      expect((await call('GET', '/v1/organizations/default/apis/unstored')).status).toBe(404);
    });
    await busy.close();
  });
});

describe('Secrets Manager failures', () => {
  it('answers 503 when Secrets Manager cannot be reached, never calling a good token invalid', async () => {
    const unreachable = unreachableSecretsManager(await closedPort());
    const cold = container(base, { secrets: unreachable.backend });
    await inContainer(cold.runtime, async () => {
      const management = await call('GET', '/v1/organizations/default');
      expect(management.status).toBe(503);
      expect(management.json.error.code).toBe('service_unavailable');

      const token = await call('POST', '/oauth/token', { auth: false, headers: { ...FORM, authorization: rawBasic(app.consumerKey, app.consumerSecret) }, body: 'grant_type=client_credentials' });
      expect(token.status).toBe(503);
      expect(token.json.error).toBe('temporarily_unavailable');

      const verified = await call('GET', '/secured/x', { headers: bearer(accessToken) }, 'runtime');
      expect(verified.status).toBe(503);
      expect(verified.json.fault.detail.errorcode).toBe('messaging.runtime.ServiceUnavailable');

      // What needs no secret keeps working.
      expect((await call('GET', '/counted', { auth: false }, 'runtime')).status).toBe(200);
    });
    await cold.close();
    unreachable.close();
    await expectAlive();
    expect((await call('GET', '/secured/x', { headers: bearer(accessToken) }, 'runtime')).status).toBe(200);
  });

  it('writes no API provider whose secrets could not be stored', async () => {
    const secrets = new FailingSecrets(base.secrets.backend);
    const warm = container(base, { secrets });
    await inContainer(warm.runtime, async () => {
      expect((await call('GET', '/v1/organizations/default')).status).toBe(200);
      secrets.failing.put = true;
      const provider = { name: 'oc-faulty', type: 'OpenConnectors', organizationSecret: 'provider-org-secret', userSecret: 'provider-user-secret' };
      const failed = await call('POST', '/v1/organizations/default/apiproviders', { json: provider });
      expect(failed.status).toBe(503);
      expect(failed.text).not.toContain('provider-user-secret');
      expect((await call('GET', '/v1/organizations/default/apiproviders/oc-faulty')).status).toBe(404);
      expect(await base.secrets.backend.get('orgs/default/providers/oc-faulty')).toBeUndefined();

      secrets.failing.put = false;
      expect((await call('POST', '/v1/organizations/default/apiproviders', { json: provider })).status).toBe(201);
      expect(JSON.parse((await base.secrets.backend.get('orgs/default/providers/oc-faulty'))!)).toEqual({
        organizationSecret: 'provider-org-secret',
        userSecret: 'provider-user-secret',
      });
    });
    expect(secrets.failures).toBeGreaterThan(0);
    await warm.close();
  });

  it('leaves the signing keys and their lock as they were when a rotation cannot be stored', async () => {
    const secrets = new FailingSecrets(base.secrets.backend);
    const warm = container(base, { secrets });
    await inContainer(warm.runtime, async () => {
      const before = await call('GET', '/v1/organizations/default/oauth/keys');
      secrets.failing.put = true;
      const rotation = await call('POST', '/v1/organizations/default/oauth/keys?action=rotate');
      expect(rotation.status).toBe(503);
      secrets.failing.put = false;
      expect((await call('GET', '/v1/organizations/default/oauth/keys')).json).toEqual(before.json);
    });
    // The old tokens still verify: nothing about the keys changed.
    expect((await call('GET', '/secured/x', { headers: bearer(accessToken) }, 'runtime')).status).toBe(200);
    await warm.close();
  });
});
