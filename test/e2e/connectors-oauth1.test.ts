// OAuth 1.0a and custom authentication end to end. A loopback OAuth 1.0a
// service provider (test/support/oauth1-server.ts) checks every signature
// with oauth-sign's base string: request token, the user's authorization,
// access token, then signed resource calls (query and form parameters
// signed too), for HMAC-SHA1 and RSA-SHA1. A custom element puts its
// header and query templates, filled from the instance's configuration, on
// every call. No response carries a consumer secret, private key or token
// secret.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOAuth1Server, type OAuth1Server } from '../support/oauth1-server.js';
import { startPlatform, type TestPlatform, type TestResponse } from '../support/platform.js';
import { sendJson, startVendor, type VendorServer } from '../support/vendor.js';

const HMAC = { key: 'hmac-consumer', secret: 'hmac-consumer-secret-Q8z' };
const RSA = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const CALLBACK = 'http://localhost:4999/app/oauth1-callback';

let platform: TestPlatform;
let provider: OAuth1Server;
let customVendor: VendorServer;
const responses: TestResponse[] = [];

async function call(method: string, path: string, options: Parameters<TestPlatform['request']>[2] = {}): Promise<TestResponse> {
  const response = await platform.request(method, path, options);
  responses.push(response);
  return response;
}

function oauth1Element(key: string, signatureMethod: 'HMAC-SHA1' | 'RSA-SHA1') {
  return {
    key,
    name: `Photos (${signatureMethod})`,
    hub: 'documents',
    authentication: {
      type: 'oauth1',
      requestTokenUrl: `${provider.url}/oauth/request_token`,
      authorizationUrl: `${provider.url}/oauth/authorize`,
      accessTokenUrl: `${provider.url}/oauth/access_token`,
      signatureMethod,
      realm: 'Photos',
    },
    configuration: [{ key: 'base.url', name: 'Base URL', defaultValue: `${provider.url}/api`, hidden: true }],
    resources: [{ path: '/photos', method: 'GET', vendorPath: '/photos' }],
  };
}

beforeAll(async () => {
  platform = await startPlatform();
  provider = await startOAuth1Server([
    { ...HMAC, method: 'HMAC-SHA1' },
    { key: 'rsa-consumer', secret: RSA.publicKey, method: 'RSA-SHA1' },
  ]);
  customVendor = await startVendor((request, res) => {
    if (request.headers['x-api-token'] !== 'Token tenant-secret-77' || request.query.get('account') !== 'acme') return sendJson(res, 401, { error: 'bad credentials' });
    sendJson(res, 200, { path: request.path, query: Object.fromEntries(request.query) });
  });
  for (const element of [oauth1Element('photos-hmac', 'HMAC-SHA1'), oauth1Element('photos-rsa', 'RSA-SHA1')]) {
    const created = await call('POST', '/elements/api-v2/elements', { json: element });
    expect(created.status, created.text).toBe(200);
  }
});

afterAll(async () => {
  for (const response of responses) for (const secret of [HMAC.secret, RSA.privateKey.split('\n')[1]!]) expect(response.text).not.toContain(secret);
  await platform?.close();
  await provider?.close();
  await customVendor?.close();
});

describe('OAuth 1.0a', () => {
  for (const [key, consumerKey, consumerSecret] of [
    ['photos-hmac', HMAC.key, HMAC.secret],
    ['photos-rsa', 'rsa-consumer', RSA.privateKey],
  ] as const) {
    it(`connects ${key} through the three legs and signs resource calls`, async () => {
      const params = new URLSearchParams({ apiKey: consumerKey, apiSecret: consumerSecret, callbackUrl: CALLBACK });
      const requestToken = await call('GET', `/elements/api-v2/elements/${key}/oauth/token?${params}`);
      expect(requestToken.status, requestToken.text).toBe(200);
      expect(requestToken.json).toMatchObject({ token: expect.any(String), secret: expect.any(String), element: key });
      const url = await call('GET', `/elements/api-v2/elements/${key}/oauth/url?${new URLSearchParams({ ...Object.fromEntries(params), requestToken: requestToken.json.token })}`);
      expect(url.json.oauthUrl).toBe(`${provider.url}/oauth/authorize?oauth_token=${requestToken.json.token}`);
      const back = await provider.authorize(url.json.oauthUrl);
      expect(back.origin + back.pathname).toBe(CALLBACK);

      const created = await call('POST', '/elements/api-v2/instances', {
        json: {
          element: { key },
          name: `${key} user`,
          providerData: { oauth_token: back.searchParams.get('oauth_token'), oauth_verifier: back.searchParams.get('oauth_verifier') },
          configuration: { 'oauth.api.key': consumerKey, 'oauth.api.secret': consumerSecret, 'oauth.callback.url': CALLBACK },
        },
      });
      expect(created.status, created.text).toBe(200);
      expect(created.json).toMatchObject({ valid: true, authenticationType: 'oauth1', configuration: { 'oauth.api.key': '********', 'oauth.api.secret': '********' } });

      const photos = await call('GET', '/elements/api-v2/photos?file=vacation.jpg&size=original', { headers: { authorization: `${platform.auth}, Element ${created.json.token}` } });
      expect(photos.status, photos.text).toBe(200);
      expect(photos.json).toEqual({ method: 'GET', path: '/api/photos', query: { file: 'vacation.jpg', size: 'original' }, body: '', consumer: consumerKey });
      const form = await call('POST', '/elements/api-v2/albums', {
        headers: { authorization: `${platform.auth}, Element ${created.json.token}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'title=Summer+2024&tags=a%20b',
      });
      expect(form.status, form.text).toBe(200);
      expect(form.json.body).toBe('title=Summer+2024&tags=a%20b');
      expect(provider.checks.slice(-4).map((check) => `${check.path}:${check.ok}`)).toEqual(['/oauth/request_token:true', '/oauth/access_token:true', '/api/photos:true', '/api/albums:true']);
    });
  }

  it('refuses a request token that was never issued, and a verifier the provider did not give', async () => {
    const configuration = { 'oauth.api.key': HMAC.key, 'oauth.api.secret': HMAC.secret };
    const unknown = await call('POST', '/elements/api-v2/instances', { json: { element: { key: 'photos-hmac' }, name: 'x', providerData: { oauth_token: 'never', oauth_verifier: 'v' }, configuration } });
    expect(unknown.status).toBe(422);
    expect(unknown.json.fields[0].path).toBe('providerData.oauth_token');
    const requestToken = await call('GET', `/elements/api-v2/elements/photos-hmac/oauth/token?${new URLSearchParams({ apiKey: HMAC.key, apiSecret: HMAC.secret, callbackUrl: CALLBACK })}`);
    await provider.authorize(`${provider.url}/oauth/authorize?oauth_token=${requestToken.json.token}`);
    const forged = await call('POST', '/elements/api-v2/instances', { json: { element: { key: 'photos-hmac' }, name: 'x', providerData: { oauth_token: requestToken.json.token, oauth_verifier: 'forged' }, configuration } });
    expect(forged.status).toBe(400);
    expect(forged.json).toMatchObject({ code: 'vendor_rejected_request', providerMessage: 'verifier_invalid: The vendor access token endpoint answered HTTP 401' });
    const wrongSecret = await call('GET', `/elements/api-v2/elements/photos-hmac/oauth/token?${new URLSearchParams({ apiKey: HMAC.key, apiSecret: 'not-the-secret', callbackUrl: CALLBACK })}`);
    expect(wrongSecret.status).toBe(400);
    expect(wrongSecret.json.providerMessage).toMatch(/^signature_invalid/);
  });
});

describe('custom authentication', () => {
  it('puts the header and query templates, filled from the configuration, on every call', async () => {
    const element = await call('POST', '/elements/api-v2/elements', {
      json: {
        key: 'ledger-custom',
        name: 'Ledger',
        hub: 'finance',
        authentication: { type: 'custom', headers: { 'X-Api-Token': 'Token {api.token}' }, query: { account: '{account}' } },
        configuration: [
          { key: 'base.url', name: 'Base URL', defaultValue: `${customVendor.url}/v1`, hidden: true },
          { key: 'api.token', name: 'API token', type: 'PASSWORD', required: true },
          { key: 'account', name: 'Account', required: true },
        ],
      },
    });
    expect(element.status, element.text).toBe(200);
    const missing = await call('POST', '/elements/api-v2/instances', { json: { element: { key: 'ledger-custom' }, name: 'Ledger', configuration: { account: 'acme' } } });
    expect(missing.status).toBe(422);
    expect(missing.json.fields).toEqual([{ path: 'configuration.api.token', message: 'required (API token)' }]);
    const created = await call('POST', '/elements/api-v2/instances', { json: { element: { key: 'ledger-custom' }, name: 'Ledger', configuration: { account: 'acme', 'api.token': 'tenant-secret-77' } } });
    expect(created.status, created.text).toBe(200);
    expect(created.json.configuration).toEqual({ account: 'acme', 'api.token': '********' });
    const ledger = await call('GET', '/elements/api-v2/invoices?status=open', { headers: { authorization: `${platform.auth}, Element ${created.json.token}` } });
    expect(ledger.status, ledger.text).toBe(200);
    expect(ledger.json).toEqual({ path: '/v1/invoices', query: { status: 'open', account: 'acme' } });
    expect(responses.every((response) => !response.text.includes('tenant-secret-77'))).toBe(true);
  });

  it('refuses templates that name no configuration entry', async () => {
    const refused = await call('POST', '/elements/api-v2/elements', {
      json: { key: 'broken-custom', name: 'Broken', authentication: { type: 'custom', headers: { 'X-Key': '{nowhere}' } }, configuration: [{ key: 'base.url', name: 'Base URL', defaultValue: 'https://api.example.com' }] },
    });
    expect(refused.status).toBe(422);
    expect(refused.json.fields).toContainEqual({ path: 'authentication.headers.X-Key', message: 'placeholder {nowhere} is not a configuration entry' });
  });
});
