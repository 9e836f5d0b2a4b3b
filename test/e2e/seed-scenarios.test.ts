// The two SAP API Management scenarios Tollgate must run end to end:
// (a) a Cloud Integration API protected by SpikeArrest and OAuthV2
//     VerifyAccessToken, with a token proxy whose conditional flow runs
//     GenerateAccessToken and a DefaultFaultRule that raises a clean error;
// (b) VerifyAPIKey with product quotas, on the same product/app model.
// (The Open Connectors scenario is in policies.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../support/backend.js';
import { FORM, formBasic, provisionApp, rawBasic, type ProvisionedApp } from '../support/consumers.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { deployProxy, SEED_002_TOKEN_CONDITION as SEED_CONDITION } from '../support/proxies.js';

let platform: TestPlatform;
let iflow: Backend;
let app: ProvisionedApp;

beforeAll(async () => {
  platform = await startPlatform();
  iflow = await startBackend((_request, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('Hello world from IFlow');
  });
  app = await provisionApp(platform, { product: 'iflow-product', scopes: ['send'], productFields: { proxies: ['api_connectivity_test_v1', 'iflow_token'] } });

  // API 1: the integration flow behind SpikeArrest + OAuth 2.0.
  await deployProxy(platform, {
    name: 'api_connectivity_test_v1',
    policies: [
      { name: 'spikeArrest', type: 'SpikeArrest', config: { rate: '20ps', useEffectiveCount: true } },
      { name: 'verifyToken', type: 'OAuthV2', config: { operation: 'VerifyAccessToken' } },
    ],
    proxyEndpoints: [
      { name: 'default', basePath: '/cpi/api_connectivity_test', preFlow: { request: [{ name: 'spikeArrest' }, { name: 'verifyToken' }], response: [] } },
    ],
    targetEndpoints: [{ name: 'default', connection: { url: `${iflow.url}/http/v1/test/hello` } }],
  });

  // API 2: the token API (seed 002), with the blog's condition verbatim.
  await deployProxy(platform, {
    name: 'iflow_token',
    policies: [
      { name: 'generateToken', type: 'OAuthV2', config: { operation: 'GenerateAccessToken', grantType: 'request.queryparam.grant_type' } },
      {
        name: 'cleanError',
        type: 'RaiseFault',
        config: {
          faultResponse: {
            set: {
              statusCode: '{fault.status}',
              payload: { contentType: 'application/json', content: '{"error":"token request failed","reason":"@fault.name#"}', variablePrefix: '@', variableSuffix: '#' },
            },
          },
        },
      },
      { name: 'status', type: 'AssignMessage', config: { assignVariables: [{ name: 'fault.status', ref: 'error.status.code' }] } },
    ],
    proxyEndpoints: [
      {
        basePath: '/iflow-token',
        flows: [{ name: 'oAuthToken', condition: SEED_CONDITION, request: [{ name: 'generateToken' }], response: [] }],
        defaultFaultRule: {
          name: 'DefaultFaultFlow',
          condition: 'proxy.pathsuffix MatchesPath "/OAuthToken" OR proxy.pathsuffix MatchesPath "/OAuthToken/**" OR proxy.pathsuffix MatchesPath "/OAuthToken(**"',
          steps: [{ name: 'status' }, { name: 'cleanError' }],
        },
      },
    ],
  });
});

afterAll(async () => {
  await platform.close();
  await iflow.close();
});

async function tokenFromProxy(): Promise<string> {
  const response = await platform.proxy('POST', '/iflow-token/OAuthToken?grant_type=client_credentials', {
    auth: rawBasic(app.consumerKey, app.consumerSecret),
    headers: FORM,
    body: '',
  });
  expect(response.status, response.text).toBe(200);
  expect(response.headers.get('cache-control')).toBe('no-store');
  return response.json.access_token as string;
}

describe('seed 002: Cloud Integration behind SpikeArrest and OAuthV2', () => {
  it('the token proxy issues a token (Basic auth, grant_type in the query) that the API accepts', async () => {
    const token = await tokenFromProxy();
    const response = await platform.proxy('POST', '/cpi/api_connectivity_test', {
      auth: `Bearer ${token}`,
      headers: { 'content-type': 'text/plain' },
      body: 'test payload',
    });
    expect(response.status).toBe(200);
    expect(response.text).toBe('Hello world from IFlow');
    expect(iflow.requests.at(-1)!.url).toBe('/http/v1/test/hello');
  });

  it('a token from the platform token endpoint works on the proxy too', async () => {
    const response = await platform.request('POST', '/oauth/token', {
      auth: formBasic(app.consumerKey, app.consumerSecret),
      headers: FORM,
      body: 'grant_type=client_credentials&scope=',
    });
    expect(response.status).toBe(200);
    const api = await platform.proxy('GET', '/cpi/api_connectivity_test', { auth: `Bearer ${response.json.access_token}` });
    expect(api.status).toBe(200);
  });

  it('refuses a missing or invalid token with a 401 Apigee fault', async () => {
    const missing = await platform.proxy('GET', '/cpi/api_connectivity_test', { auth: false });
    expect(missing.status).toBe(401);
    expect(missing.json.fault.detail.errorcode).toBe('oauth.v2.InvalidAccessToken');
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    const forged = await platform.proxy('GET', '/cpi/api_connectivity_test', { auth: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' });
    expect(forged.status).toBe(401);
    expect(forged.json.fault.detail.errorcode).toBe('keymanagement.service.invalid_access_token');
  });

  it('refuses a revoked token', async () => {
    const token = await tokenFromProxy();
    const revoke = await platform.request('POST', '/oauth/revoke', {
      auth: formBasic(app.consumerKey, app.consumerSecret),
      headers: FORM,
      body: `token=${token}`,
    });
    expect(revoke.status).toBe(200);
    const response = await platform.proxy('GET', '/cpi/api_connectivity_test', { auth: `Bearer ${token}` });
    expect(response.status).toBe(401);
  });

  it('SpikeArrest answers 429 past its rate', async () => {
    const token = await tokenFromProxy();
    const responses = await Promise.all(
      Array.from({ length: 40 }, () => platform.proxy('GET', '/cpi/api_connectivity_test', { auth: `Bearer ${token}` })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses).toContain(200);
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    const limited = responses.find((r) => r.status === 429)!;
    expect(limited.json.fault.detail.errorcode).toBe('policies.ratelimit.SpikeArrestViolation');
  });

  it('the DefaultFaultRule turns token failures into a clean error', async () => {
    const bad = await platform.proxy('POST', '/iflow-token/OAuthToken?grant_type=client_credentials', {
      auth: rawBasic(app.consumerKey, 'wrong-secret'),
      headers: FORM,
      body: '',
    });
    expect(bad.status).toBe(401);
    expect(bad.json).toEqual({ error: 'token request failed', reason: 'invalid_client' });
    expect(bad.text).not.toContain('wrong-secret');

    const grant = await platform.proxy('POST', '/iflow-token/OAuthToken?grant_type=password', {
      auth: rawBasic(app.consumerKey, app.consumerSecret),
      headers: FORM,
      body: '',
    });
    expect(grant.status).toBe(400);
    expect(grant.json.reason).toBe('unsupported_grant_type');
  });

  it('a GET on the token path matches no flow and reaches no target', async () => {
    const response = await platform.proxy('GET', '/iflow-token/OAuthToken', { auth: false });
    expect(response.status).toBe(200);
    expect(response.text).toBe('');
  });
});

describe('VerifyAPIKey with the product quota', () => {
  let keyed: ProvisionedApp;

  beforeAll(async () => {
    keyed = await provisionApp(platform, {
      product: 'keyed-product',
      productFields: { proxies: ['keyed'], quota: '3', quotaInterval: '1', quotaTimeUnit: 'hour' },
    });
    await deployProxy(platform, {
      name: 'keyed',
      policies: [
        { name: 'verify-key', type: 'VerifyAPIKey', config: { apiKey: { ref: 'request.header.x-api-key' } } },
        { name: 'quota', type: 'Quota', config: { useQuotaConfigInAPIProduct: { stepName: 'verify-key' } } },
        {
          name: 'who',
          type: 'AssignMessage',
          config: { set: { headers: [{ name: 'x-app', value: '{developer.app.name}' }, { name: 'x-product', value: '{apiproduct.name}' }] } },
        },
      ],
      proxyEndpoints: [{ basePath: '/keyed', preFlow: { request: [{ name: 'verify-key' }, { name: 'quota' }, { name: 'who' }], response: [] } }],
      targetEndpoints: [{ name: 'default', connection: { url: iflow.url } }],
    });
  });

  it('accepts the app key, exposes the app and product, and applies the product quota per app', async () => {
    const call = () => platform.proxy('GET', '/keyed/x', { auth: false, headers: { 'x-api-key': keyed.consumerKey } });
    const first = await call();
    expect(first.status).toBe(200);
    expect(iflow.requests.at(-1)!.headers['x-app']).toBe(keyed.appName);
    expect(iflow.requests.at(-1)!.headers['x-product']).toBe('keyed-product');
    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(200);
    const over = await call();
    expect(over.status).toBe(429);
    expect(over.json.fault.detail.errorcode).toBe('policies.ratelimit.QuotaViolation');
  });

  it('refuses a missing key, an unknown key, and a key whose product does not cover the proxy', async () => {
    const missing = await platform.proxy('GET', '/keyed/x', { auth: false });
    expect(missing.status).toBe(401);
    expect(missing.json.fault.detail.errorcode).toBe('steps.oauth.v2.FailedToResolveAPIKey');
    const unknown = await platform.proxy('GET', '/keyed/x', { auth: false, headers: { 'x-api-key': 'nope' } });
    expect(unknown.json.fault.detail.errorcode).toBe('oauth.v2.InvalidApiKey');
    const wrongProduct = await platform.proxy('GET', '/keyed/x', { auth: false, headers: { 'x-api-key': app.consumerKey } });
    expect(wrongProduct.status).toBe(401);
    expect(wrongProduct.json.fault.detail.errorcode).toBe('oauth.v2.InvalidApiKeyForGivenResource');
  });

  it('refuses a key of another organization', async () => {
    const otherAuth = await platform.addOrganization('elsewhere');
    const foreign = await provisionApp(platform, { org: 'elsewhere', auth: otherAuth });
    const response = await platform.proxy('GET', '/keyed/x', { auth: false, headers: { 'x-api-key': foreign.consumerKey } });
    expect(response.status).toBe(401);
    expect(response.json.fault.detail.errorcode).toBe('oauth.v2.InvalidApiKey');
  });
});
