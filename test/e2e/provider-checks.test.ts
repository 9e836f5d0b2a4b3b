// Test Connection and Discover of API providers against a loopback Cloud
// Integration tenant answering SAP's documented OData shapes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IFLOW, MANAGEMENT_CLIENT, startCloudIntegration, type CloudIntegrationTenant } from '../support/cloud-integration.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;
let tenant: CloudIntegrationTenant;
const BASE = '/v1/organizations/default/apiproviders';

function cloudIntegration(name: string, secret = MANAGEMENT_CLIENT.secret, url = tenant.url) {
  return { name, type: 'CloudIntegration', url, authentication: { type: 'OAuth2ClientCredentials', tokenUrl: tenant.managementTokenUrl, clientId: MANAGEMENT_CLIENT.id, clientSecret: secret } };
}

beforeAll(async () => {
  platform = await startPlatform();
  tenant = await startCloudIntegration();
  for (const provider of [
    cloudIntegration('cpi'),
    cloudIntegration('cpi-wrong-secret', 'not-the-secret'),
    cloudIntegration('cpi-down', MANAGEMENT_CLIENT.secret, 'http://127.0.0.1:9'),
    { name: 'internet', type: 'Internet', url: `${tenant.url}/api/v1/IntegrationRuntimeArtifacts` },
    { name: 'oc', type: 'OpenConnectors', organizationSecret: platform.local.credentials.organizationSecret, userSecret: platform.local.credentials.userSecret },
    { name: 'oc-wrong', type: 'OpenConnectors', organizationSecret: 'wrong', userSecret: 'wrong' },
  ]) {
    expect((await platform.request('POST', BASE, { json: provider })).status).toBe(201);
  }
});
afterAll(async () => {
  await tenant.close();
  await platform.close();
});

describe('Test Connection', () => {
  it.each([
    ['cpi', true, /Connected to 127\.0\.0\.1:\d+ \(200\)/],
    ['cpi-wrong-secret', false, /Could not get a token from .*\/oauth\/token/],
    ['cpi-down', false, /could not be reached/],
    ['internet', true, /\(401\)|\(200\)/],
    ['oc', true, /Connected/],
    ['oc-wrong', false, /refused the credentials \(401\)/],
  ])('%s: ok=%s', async (name, ok, message) => {
    const response = await platform.request('POST', `${BASE}/${name}/connection`);
    expect(response.status).toBe(200);
    expect(response.json.ok).toBe(ok);
    expect(response.json.message).toMatch(message);
    // Never a secret in the answer.
    expect(response.text).not.toContain(MANAGEMENT_CLIENT.secret);
    expect(response.text).not.toContain(platform.local.credentials.organizationSecret);
  });

  it('is 404 for an unknown provider and 401 without credentials', async () => {
    expect((await platform.request('POST', `${BASE}/nope/connection`)).status).toBe(404);
    expect((await platform.request('POST', `${BASE}/cpi/connection`, { auth: false })).status).toBe(401);
  });
});

describe('Discover', () => {
  it('lists the tenant\'s integration flows with their endpoint URLs, not its value mappings', async () => {
    const response = await platform.request('GET', `${BASE}/cpi/integrationflows`);
    expect(response.status, response.text).toBe(200);
    expect(response.json).toEqual([
      {
        id: IFLOW.id,
        name: IFLOW.name,
        version: '1.0.0',
        status: 'STARTED',
        deployedBy: 'integration.developer@example.com',
        deployedOn: '/Date(1700000000000)/',
        endpoints: [{ name: IFLOW.id, url: `${tenant.url}${IFLOW.path}`, type: 'PROD' }],
      },
    ]);
  });

  it('refuses providers of other types and reports a failing tenant as 502', async () => {
    expect((await platform.request('GET', `${BASE}/internet/integrationflows`)).status).toBe(409);
    const wrong = await platform.request('GET', `${BASE}/cpi-wrong-secret/integrationflows`);
    expect(wrong.status).toBe(502);
    expect(wrong.json.error.code).toBe('provider_error');
    expect((await platform.request('GET', `${BASE}/cpi-down/integrationflows`)).status).toBe(502);
  });

  it('is listed in the OpenAPI document with the management schemes', async () => {
    const document = (await platform.request('GET', '/v1/openapi.json', { auth: false })).json;
    const management = [{ platformAuth: [] }, { managementBasic: [] }, { managementBearer: [] }];
    expect(document.paths['/v1/organizations/{org}/apiproviders/{name}/integrationflows'].get.security).toEqual(management);
    expect(document.paths['/v1/organizations/{org}/apiproviders/{name}/connection'].post.security).toEqual(management);
  });

  it('lets a readonly user test a connection and discover, and a management user too', async () => {
    const readonly = await platform.addUser('default', 'readonly');
    expect((await platform.request('POST', `${BASE}/cpi/connection`, { auth: readonly })).json.ok).toBe(true);
    expect((await platform.request('GET', `${BASE}/cpi/integrationflows`, { auth: readonly })).status).toBe(200);
    expect((await platform.request('POST', `${BASE}/cpi/connection`, { auth: await platform.addUser('other', 'orgadmin') })).status).toBe(403);
  });
});
