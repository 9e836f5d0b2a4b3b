// Fail closed: an OAuth token proxy whose OAuthV2 policies carry the harmless
// empty elements real bundles have refuses a forged token with and without
// allowUnsupported=true; a proxy naming an API provider that does not exist
// is refused at create, import and deploy (422); target URLs with another
// scheme or a blocked address are refused when the proxy or the provider is
// created, not only when called; products' API resources and operation
// groups decide which requests a key or token may make.
import { describe, expect, it } from 'vitest';
import type { Backend } from '../support/backend.js';
import { bundle, proxyEndpoint, targetEndpoint } from '../support/bundles.js';
import { provisionApp } from '../support/consumers.js';
import type { TestPlatform } from '../support/platform.js';
import { deployProxy, simpleProxy } from '../support/proxies.js';
import { usePlatformAndBackend } from '../support/suite.js';

let platform: TestPlatform;
let backend: Backend;

usePlatformAndBackend((started) => ({ platform, backend } = started));

const ORG = '/v1/organizations/default';

const importBundle = (zip: Buffer, query: string) =>
  platform.request('POST', `${ORG}/apis?action=import&${query}`, { body: zip, headers: { 'content-type': 'application/octet-stream' } });

// The shape of the OAuthV2 policies of Apigee's oauth samples: empty elements that change nothing.
const VERIFY = `<OAuthV2 name="OA-Verify">
    <Operation>VerifyAccessToken</Operation>
    <Attributes/>
    <Tokens/>
    <RFCCompliantRequestResponse>true</RFCCompliantRequestResponse>
</OAuthV2>`;
const GENERATE = `<OAuthV2 name="OA-Generate">
    <Operation>GenerateAccessToken</Operation>
    <ExpiresIn>1800000</ExpiresIn>
    <SupportedGrantTypes><GrantType>client_credentials</GrantType></SupportedGrantTypes>
    <GrantType>request.formparam.grant_type</GrantType>
    <GenerateResponse enabled="true"/>
    <Attributes/>
    <Tokens/>
    <RFCCompliantRequestResponse>true</RFCCompliantRequestResponse>
</OAuthV2>`;

function oauthBundle(name: string) {
  return bundle(name, {
    policies: { 'OA-Verify': VERIFY, 'OA-Generate': GENERATE },
    proxies: {
      default: proxyEndpoint({
        basePath: `/${name}`,
        flows: `<Flow name="token"><Request><Step><Name>OA-Generate</Name></Step></Request><Condition>proxy.pathsuffix MatchesPath "/token"</Condition></Flow>
                <Flow name="resource"><Request><Step><Name>OA-Verify</Name></Step></Request></Flow>`,
      }),
    },
    targets: { default: targetEndpoint(backend.url) },
  });
}

describe('fail closed', () => {
  it.each([
    ['without allowUnsupported', 'oauth-strict', ''],
    ['with allowUnsupported=true', 'oauth-lenient', '&allowUnsupported=true'],
  ])('a forged token gets 401 %s, and a token request needs a client', async (_label, name, extra) => {
    const imported = await importBundle(oauthBundle(name), `name=${name}${extra}`);
    expect(imported.status, imported.text).toBe(201);
    expect(imported.json.unsupportedPolicies).toEqual([]);
    expect((await platform.request('POST', `${ORG}/environments/prod/apis/${name}/revisions/1/deployments`)).status).toBe(200);

    const before = backend.requests.length;
    const forged = await platform.proxy('GET', `/${name}/orders`, { auth: false, headers: { authorization: 'Bearer foobar' } });
    expect(forged.status).toBe(401);
    expect(forged.json.fault.detail.errorcode).toBe('keymanagement.service.invalid_access_token');
    const missing = await platform.proxy('GET', `/${name}/orders`, { auth: false });
    expect(missing.status).toBe(401);
    expect(missing.json.fault.detail.errorcode).toBe('oauth.v2.InvalidAccessToken');
    const anonymous = await platform.proxy('POST', `/${name}/token`, {
      auth: false,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.error).toBe('invalid_client');
    expect(backend.requests.length).toBe(before);

    const app = await provisionApp(platform);
    const token = await platform.proxy('POST', `/${name}/token`, {
      auth: false,
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.consumerKey}:${app.consumerSecret}`).toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    expect(token.status, token.text).toBe(200);
    const called = await platform.proxy('GET', `/${name}/orders`, { auth: false, headers: { authorization: `Bearer ${token.json.access_token}` } });
    expect(called.status).toBe(200);
  });
});

describe('references checked at create, import and deploy', () => {
  it('refuses a proxy naming an API provider that does not exist, and a deployment after the provider is gone', async () => {
    const model = { name: 'via-provider', proxyEndpoints: [{ basePath: '/via-provider' }], targetEndpoints: [{ connection: { provider: 'backend-p', path: '/x' } }] };
    const refused = await platform.request('POST', `${ORG}/apis`, { json: model });
    expect(refused.status).toBe(422);
    expect(refused.json.error.fields).toEqual([{ path: 'targetEndpoints.0.connection.provider', message: 'API provider "backend-p" does not exist' }]);

    const provider = await platform.request('POST', `${ORG}/apiproviders`, { json: { name: 'backend-p', type: 'Internet', url: backend.url } });
    expect(provider.status).toBe(201);
    const created = await platform.request('POST', `${ORG}/apis`, { json: model });
    expect(created.status).toBe(201);
    expect((await platform.request('DELETE', `${ORG}/apiproviders/backend-p`)).status).toBe(200);
    const deploy = await platform.request('POST', `${ORG}/environments/prod/apis/via-provider/revisions/1/deployments`);
    expect(deploy.status).toBe(422);
    expect(deploy.json.error.fields[0].message).toBe('API provider "backend-p" does not exist');
  });

  it('lists a missing provider with the other problems of an imported bundle', async () => {
    const zipped = bundle('sap-target', {
      policies: {},
      proxies: { default: proxyEndpoint({ basePath: '/sap-target', request: ['Nope'] }) },
      targets: {
        default: `<TargetEndpoint name="default"><HTTPTargetConnection><APIProvider>missing-p</APIProvider><Path>/x</Path></HTTPTargetConnection></TargetEndpoint>`,
      },
    });
    const response = await importBundle(zipped, 'name=sap-target');
    expect(response.status).toBe(422);
    const paths = (response.json.error.fields as { path: string; message: string }[]).map((field) => `${field.path}: ${field.message}`);
    expect(paths).toEqual([
      'proxies/default.xml: /ProxyEndpoint/PreFlow/Request/Step/Name: no policy named "Nope"',
      'targets/default.xml: /TargetEndpoint/HTTPTargetConnection/APIProvider: API provider "missing-p" does not exist',
    ]);
  });

  it.each([
    ['file:///etc/passwd', 'scheme file: is not allowed'],
    ['ftp://example.com/x', 'scheme ftp: is not allowed'],
    ['http://169.254.169.254/latest/meta-data', 'address 169.254.169.254 is not allowed'],
  ])('refuses the target URL %s when the proxy is created', async (url, message) => {
    const response = await platform.request('POST', `${ORG}/apis`, { json: simpleProxy('bad-target', '/bad-target', url) });
    expect(response.status).toBe(422);
    expect(response.json.error.fields[0]).toMatchObject({ path: 'targetEndpoints.0.connection.url' });
    expect(response.json.error.fields[0].message).toContain(message);
    const provider = await platform.request('POST', `${ORG}/apiproviders`, { json: { name: 'bad-provider', type: 'Internet', url } });
    expect(provider.status).toBe(422);
    expect(provider.json.error.message).toContain(message);
  });
});

describe('API products decide which resources a credential reaches', () => {
  it('enforces apiResources and an operation group with its quota for VerifyAPIKey and VerifyAccessToken', async () => {
    const resources = await provisionApp(platform, { productFields: { proxies: ['products-check'], apiResources: ['/orders/**', '/status'] } });
    const operations = await provisionApp(platform, {
      productFields: {
        operationGroup: {
          operationConfigType: 'proxy',
          operationConfigs: [{ apiSource: 'products-check', operations: [{ resource: '/orders/*', methods: ['GET'] }], quota: { limit: '7', interval: '1', timeUnit: 'minute' } }],
        },
      },
    });
    await deployProxy(platform, {
      name: 'products-check',
      policies: [
        { name: 'key', type: 'VerifyAPIKey', config: { apiKey: { ref: 'request.header.x-api-key' } } },
        { name: 'token', type: 'OAuthV2', config: { operation: 'VerifyAccessToken' } },
        { name: 'show', type: 'AssignMessage', config: { set: { headers: [{ name: 'x-quota', value: '{apiproduct.developer.quota.limit}' }] } } },
      ],
      proxyEndpoints: [
        {
          basePath: '/products-check',
          flows: [
            { name: 'by-token', condition: 'request.header.authorization != null', request: [{ name: 'token' }] },
            { name: 'by-key', request: [{ name: 'key' }] },
          ],
          postFlow: { request: [{ name: 'show' }], response: [] },
        },
      ],
      targetEndpoints: [{ connection: { url: backend.url } }],
    });
    const withKey = (key: string, method: string, path: string) => platform.proxy(method, `/products-check${path}`, { auth: false, headers: { 'x-api-key': key } });
    const outcome = async (key: string, method: string, path: string) => {
      const response = await withKey(key, method, path);
      return response.status === 200 ? 200 : `${response.status} ${response.json.fault.detail.errorcode}`;
    };
    expect(await outcome(resources.consumerKey, 'GET', '/orders/1/lines')).toBe(200);
    expect(await outcome(resources.consumerKey, 'POST', '/status')).toBe(200);
    expect(await outcome(resources.consumerKey, 'GET', '/customers')).toBe('401 oauth.v2.InvalidApiKeyForGivenResource');
    expect(await outcome(operations.consumerKey, 'GET', '/orders/1')).toBe(200);
    expect((await withKey(operations.consumerKey, 'GET', '/orders/1')).json.headers['x-quota']).toBe('7');
    expect(await outcome(operations.consumerKey, 'DELETE', '/orders/1')).toBe('401 oauth.v2.InvalidApiKeyForGivenResource');
    expect(await outcome(operations.consumerKey, 'GET', '/orders/1/lines')).toBe('401 oauth.v2.InvalidApiKeyForGivenResource');

    const token = await platform.request('POST', '/oauth/token', {
      auth: false,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: operations.consumerKey, client_secret: operations.consumerSecret }).toString(),
    });
    expect(token.status, token.text).toBe(200);
    const bearer = (method: string, path: string) =>
      platform.proxy(method, `/products-check${path}`, { auth: false, headers: { authorization: `Bearer ${token.json.access_token}` } });
    expect((await bearer('GET', '/orders/9')).status).toBe(200);
    const refused = await bearer('PUT', '/orders/9');
    expect(refused.status).toBe(401);
    expect(refused.json.fault.detail.errorcode).toBe('keymanagement.service.InvalidAPICallAsNoApiProductMatchFound');
  });
});
