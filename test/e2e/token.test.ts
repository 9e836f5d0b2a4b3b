// The token service over HTTP with a real standards client (oauth4webapi):
// RFC 8414 discovery, client_secret_basic and client_secret_post, JWTs that
// verify against the published JWKS, the SAP-style request, every error case,
// introspection, revocation, key rotation and CORS.
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, SignJWT, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORM, formBasic, provisionApp, rawBasic, type ProvisionedApp } from '../support/consumers.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;
let as: oauth.AuthorizationServer;
let app: ProvisionedApp;
const insecure = { [oauth.allowInsecureRequests]: true };

beforeAll(async () => {
  platform = await startPlatform();
  const issuer = new URL(platform.url);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  app = await provisionApp(platform, { product: 'orders', scopes: ['orders.read', 'orders.write'] });
});
afterAll(() => platform.close());

async function clientCredentials(clientId: string, auth: oauth.ClientAuth, scope?: string) {
  const parameters = new URLSearchParams(scope === undefined ? {} : { scope });
  const response = await oauth.clientCredentialsGrantRequest(as, { client_id: clientId }, auth, parameters, insecure);
  return oauth.processClientCredentialsResponse(as, { client_id: clientId }, response);
}

const tokenRequest = (options: { query?: string; headers?: Record<string, string>; body?: string }) =>
  platform.request('POST', `/oauth/token${options.query ?? ''}`, { auth: false, headers: options.headers ?? {}, ...(options.body !== undefined ? { body: options.body } : {}) });

describe('discovery (RFC 8414)', () => {
  it('publishes the endpoints and supported methods', async () => {
    expect(as.issuer).toBe(platform.url);
    expect(as.token_endpoint).toBe(`${platform.url}/oauth/token`);
    expect(as.jwks_uri).toBe(`${platform.url}/.well-known/jwks.json`);
    expect(as.introspection_endpoint).toBe(`${platform.url}/oauth/introspect`);
    expect(as.revocation_endpoint).toBe(`${platform.url}/oauth/revoke`);
    expect(as.grant_types_supported).toEqual(['client_credentials']);
    expect(as.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post']);
    expect(as.introspection_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post']);
  });

  it('serves a cacheable JWKS of public ES256 keys', async () => {
    const response = await platform.request('GET', '/.well-known/jwks.json', { auth: false });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toMatch(/public, max-age=\d+/);
    expect(response.json.keys.length).toBeGreaterThanOrEqual(1);
    for (const key of response.json.keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(key.kid).toBeTruthy();
      expect(key.d).toBeUndefined();
    }
  });
});

describe('client_credentials with a standards client', () => {
  it('issues a token with client_secret_basic that verifies against the remote JWKS', async () => {
    const result = await clientCredentials(app.consumerKey, oauth.ClientSecretBasic(app.consumerSecret), 'orders.read');
    expect(result.token_type).toBe('bearer');
    expect(result.expires_in).toBe(3600);
    expect(result.scope).toBe('orders.read');
    const jwks = createRemoteJWKSet(new URL(as.jwks_uri!));
    const { payload, protectedHeader } = await jwtVerify(result.access_token, jwks, { issuer: platform.url, algorithms: ['ES256'] });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(protectedHeader.kid).toBeTruthy();
    expect(payload).toMatchObject({
      iss: platform.url,
      sub: app.consumerKey,
      client_id: app.consumerKey,
      scope: 'orders.read',
      api_products: ['orders'],
      organization: 'default',
      developer_email: app.email,
      app_name: app.appName,
    });
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.aud).toBeUndefined();
  });

  it('issues a token with client_secret_post', async () => {
    const result = await clientCredentials(app.consumerKey, oauth.ClientSecretPost(app.consumerSecret));
    expect(result.scope).toBe('orders.read orders.write');
    const { payload } = await jwtVerify(result.access_token, createRemoteJWKSet(new URL(as.jwks_uri!)), { issuer: platform.url });
    expect(payload.client_id).toBe(app.consumerKey);
  });

  it('answers with Cache-Control: no-store and the RFC 6749 fields only', async () => {
    const response = await tokenRequest({ headers: { ...FORM, authorization: formBasic(app.consumerKey, app.consumerSecret) }, body: 'grant_type=client_credentials' });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(response.json).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    expect(response.json.token_type).toBe('Bearer');
  });

  it('treats a blank scope as every scope of the app\'s products', async () => {
    const result = await clientCredentials(app.consumerKey, oauth.ClientSecretBasic(app.consumerSecret), ' ');
    expect(result.scope).toBe('orders.read orders.write');
  });
});

describe('secrets with special characters', () => {
  const secret = 'p:ss%word+with space/ü€-0123456789';
  let special: ProvisionedApp;
  beforeAll(async () => {
    special = await provisionApp(platform, { product: 'special', scopes: ['s'], consumerSecret: secret });
  });

  it('works with client_secret_basic as oauth4webapi encodes it (form-urlencoded, then base64)', async () => {
    expect(special.consumerSecret).toBe(secret);
    const result = await clientCredentials(special.consumerKey, oauth.ClientSecretBasic(secret));
    expect(result.access_token).toBeTruthy();
  });

  it('works with client_secret_post', async () => {
    const result = await clientCredentials(special.consumerKey, oauth.ClientSecretPost(secret));
    expect(result.access_token).toBeTruthy();
  });

  it('works with a raw Basic header too (RFC 2617 style, not form-encoded)', async () => {
    const response = await tokenRequest({ headers: { ...FORM, authorization: rawBasic(special.consumerKey, secret) }, body: 'grant_type=client_credentials' });
    expect(response.status).toBe(200);
  });

  it('accepts a raw Basic header of an ordinary id and secret', async () => {
    const response = await tokenRequest({ headers: { ...FORM, authorization: rawBasic(app.consumerKey, app.consumerSecret) }, body: 'grant_type=client_credentials' });
    expect(response.status).toBe(200);
    expect(response.json.access_token).toBeTruthy();
  });

  it('refuses the special secret with one character changed', async () => {
    const response = await tokenRequest({ headers: { ...FORM, authorization: formBasic(special.consumerKey, secret.replace('+', '-')) }, body: 'grant_type=client_credentials' });
    expect(response.status).toBe(401);
    expect(response.json.error).toBe('invalid_client');
  });
});

describe('SAP-style requests', () => {
  it('accepts grant_type in the query string with Basic auth and no body', async () => {
    const response = await tokenRequest({ query: '?grant_type=client_credentials', headers: { authorization: rawBasic(app.consumerKey, app.consumerSecret) } });
    expect(response.status).toBe(200);
    expect(response.json.token_type).toBe('Bearer');
    expect(response.json.scope).toBe('orders.read orders.write');
  });

  it('accepts the same grant_type in query and body, and a blank scope', async () => {
    const response = await tokenRequest({
      query: '?grant_type=client_credentials',
      headers: { ...FORM, authorization: rawBasic(app.consumerKey, app.consumerSecret) },
      body: 'grant_type=client_credentials&scope=%20',
    });
    expect(response.status).toBe(200);
  });
});

describe('token endpoint errors (RFC 6749 section 5.2)', () => {
  const basic = () => formBasic(app.consumerKey, app.consumerSecret);
  const cases: [string, () => Parameters<typeof tokenRequest>[0], number, string][] = [
    ['bad secret', () => ({ headers: { ...FORM, authorization: formBasic(app.consumerKey, 'wrong-secret') }, body: 'grant_type=client_credentials' }), 401, 'invalid_client'],
    ['unknown client', () => ({ headers: { ...FORM, authorization: formBasic('nobody-knows-this-key', 'x') }, body: 'grant_type=client_credentials' }), 401, 'invalid_client'],
    ['no client authentication', () => ({ headers: FORM, body: 'grant_type=client_credentials' }), 401, 'invalid_client'],
    ['client_id without secret', () => ({ headers: FORM, body: `grant_type=client_credentials&client_id=${app.consumerKey}` }), 401, 'invalid_client'],
    ['Bearer instead of Basic', () => ({ headers: { ...FORM, authorization: 'Bearer abc' }, body: 'grant_type=client_credentials' }), 401, 'invalid_client'],
    ['malformed Basic', () => ({ headers: { ...FORM, authorization: 'Basic !!!' }, body: 'grant_type=client_credentials' }), 401, 'invalid_client'],
    ['both Basic and client_secret_post', () => ({ headers: { ...FORM, authorization: basic() }, body: `grant_type=client_credentials&client_id=${app.consumerKey}&client_secret=${app.consumerSecret}` }), 400, 'invalid_request'],
    ['scope outside the products', () => ({ headers: { ...FORM, authorization: basic() }, body: 'grant_type=client_credentials&scope=orders.read%20admin' }), 400, 'invalid_scope'],
    ['malformed scope', () => ({ headers: { ...FORM, authorization: basic() }, body: 'grant_type=client_credentials&scope=%22quoted%22' }), 400, 'invalid_scope'],
    ['unsupported grant', () => ({ headers: { ...FORM, authorization: basic() }, body: 'grant_type=password&username=a&password=b' }), 400, 'unsupported_grant_type'],
    ['missing grant_type', () => ({ headers: { ...FORM, authorization: basic() }, body: 'scope=orders.read' }), 400, 'invalid_request'],
    ['repeated parameter', () => ({ headers: { ...FORM, authorization: basic() }, body: 'grant_type=client_credentials&grant_type=client_credentials' }), 400, 'invalid_request'],
    ['grant_type differing between query and body', () => ({ query: '?grant_type=password', headers: { ...FORM, authorization: basic() }, body: 'grant_type=client_credentials' }), 400, 'invalid_request'],
    ['credentials in the query string', () => ({ query: `?grant_type=client_credentials&client_secret=${app.consumerSecret}`, headers: { authorization: basic() } }), 400, 'invalid_request'],
    ['a JSON body', () => ({ headers: { 'content-type': 'application/json', authorization: basic() }, body: '{"grant_type":"client_credentials"}' }), 400, 'invalid_request'],
  ];

  it.each(cases)('%s', async (_name, build, status, error) => {
    const response = await tokenRequest(build());
    expect(response.status).toBe(status);
    expect(response.json.error).toBe(error);
    expect(typeof response.json.error_description).toBe('string');
    expect(response.json.access_token).toBeUndefined();
    expect(response.headers.get('cache-control')).toBe('no-store');
    if (status === 401) expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(response.text).not.toContain(app.consumerSecret);
  });

  it('answers other methods with 405', async () => {
    const response = await platform.request('GET', '/oauth/token', { auth: false });
    expect(response.status).toBe(405);
    expect(response.json.error).toBe('invalid_request');
    expect(response.headers.get('allow')).toContain('POST');
  });

  it('refuses an oversized body', async () => {
    const response = await tokenRequest({ headers: { ...FORM, authorization: basic() }, body: `grant_type=client_credentials&pad=${'x'.repeat(20_000)}` });
    expect(response.status).toBe(413);
    expect(response.json.error).toBe('invalid_request');
  });
});

describe('credential lifecycle', () => {
  it('refuses a revoked app credential with 401 and accepts it again once approved', async () => {
    const victim = await provisionApp(platform, { product: 'lifecycle', scopes: ['x'] });
    const keyPath = `/v1/organizations/default/developers/${victim.email}/apps/${victim.appName}/keys/${victim.consumerKey}`;
    const before = await tokenRequest({ headers: { authorization: rawBasic(victim.consumerKey, victim.consumerSecret) }, query: '?grant_type=client_credentials' });
    expect(before.status).toBe(200);

    expect((await platform.request('POST', `${keyPath}?action=revoke`)).status).toBe(204);
    const refused = await tokenRequest({ headers: { authorization: rawBasic(victim.consumerKey, victim.consumerSecret) }, query: '?grant_type=client_credentials' });
    expect(refused.status).toBe(401);
    expect(refused.json.error).toBe('invalid_client');
    // Tokens issued before the revocation stop verifying too.
    const introspected = await introspect(before.json.access_token);
    expect(introspected.active).toBe(false);

    expect((await platform.request('POST', `${keyPath}?action=approve`)).status).toBe(204);
    const again = await tokenRequest({ headers: { authorization: rawBasic(victim.consumerKey, victim.consumerSecret) }, query: '?grant_type=client_credentials' });
    expect(again.status).toBe(200);
  });

  it('refuses a revoked app and an inactive developer', async () => {
    const victim = await provisionApp(platform, { product: 'lifecycle2', scopes: ['x'] });
    const request = () => tokenRequest({ headers: { authorization: rawBasic(victim.consumerKey, victim.consumerSecret) }, query: '?grant_type=client_credentials' });
    expect((await request()).status).toBe(200);
    const appPath = `/v1/organizations/default/developers/${victim.email}/apps/${victim.appName}`;
    expect((await platform.request('POST', `${appPath}?action=revoke`)).status).toBe(204);
    expect((await request()).status).toBe(401);
    expect((await platform.request('POST', `${appPath}?action=approve`)).status).toBe(204);
    expect((await request()).status).toBe(200);
    expect((await platform.request('POST', `/v1/organizations/default/developers/${victim.email}?action=inactive`)).status).toBe(204);
    const inactive = await request();
    expect(inactive.status).toBe(401);
    expect(inactive.json.error_description).toMatch(/developer/i);
  });

  it('uses the shortest product lifetime for expires_in', async () => {
    const short = await provisionApp(platform, { product: 'short-lived', scopes: ['x'], productFields: { accessTokenLifetimeSeconds: '120' } });
    const response = await tokenRequest({ headers: { authorization: rawBasic(short.consumerKey, short.consumerSecret) }, query: '?grant_type=client_credentials' });
    expect(response.json.expires_in).toBe(120);
  });
});

async function introspect(token: string, client: ProvisionedApp = app) {
  const response = await oauth.introspectionRequest(as, { client_id: client.consumerKey }, oauth.ClientSecretBasic(client.consumerSecret), token, insecure);
  return oauth.processIntrospectionResponse(as, { client_id: client.consumerKey }, response);
}

describe('introspection (RFC 7662) and revocation (RFC 7009)', () => {
  it('reports an active token with its claims', async () => {
    const { access_token } = await clientCredentials(app.consumerKey, oauth.ClientSecretBasic(app.consumerSecret));
    const result = await introspect(access_token);
    expect(result).toMatchObject({ active: true, client_id: app.consumerKey, scope: 'orders.read orders.write', token_type: 'Bearer', iss: platform.url });
  });

  it('revokes a token so that introspection reports it inactive', async () => {
    const { access_token } = await clientCredentials(app.consumerKey, oauth.ClientSecretPost(app.consumerSecret));
    const response = await oauth.revocationRequest(as, { client_id: app.consumerKey }, oauth.ClientSecretPost(app.consumerSecret), access_token, insecure);
    await oauth.processRevocationResponse(response);
    expect((await introspect(access_token)).active).toBe(false);
  });

  it('answers 200 for unknown tokens and leaves other clients\' tokens alone', async () => {
    const unknown = await platform.request('POST', '/oauth/revoke', { headers: { ...FORM, authorization: formBasic(app.consumerKey, app.consumerSecret) }, body: 'token=not-a-token' });
    expect(unknown.status).toBe(200);
    const other = await provisionApp(platform, { product: 'orders' });
    const { access_token } = await clientCredentials(other.consumerKey, oauth.ClientSecretBasic(other.consumerSecret));
    const foreign = await platform.request('POST', '/oauth/revoke', { headers: { ...FORM, authorization: formBasic(app.consumerKey, app.consumerSecret) }, body: `token=${access_token}` });
    expect(foreign.status).toBe(200);
    expect((await introspect(access_token, other)).active).toBe(true);
  });

  it('reports expired, foreign and forged tokens as inactive', async () => {
    const brief = await provisionApp(platform, { product: 'brief', scopes: ['x'], productFields: { accessTokenLifetimeSeconds: 1 } });
    const { access_token: expiring } = await clientCredentials(brief.consumerKey, oauth.ClientSecretBasic(brief.consumerSecret));
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await introspect(expiring)).active).toBe(false);

    const acme = await platform.addOrganization('acme-token');
    const acmeApp = await provisionApp(platform, { org: 'acme-token', auth: acme, product: 'acme-product' });
    const { access_token: acmeToken } = await clientCredentials(acmeApp.consumerKey, oauth.ClientSecretBasic(acmeApp.consumerSecret));
    expect((await introspect(acmeToken, acmeApp)).active).toBe(true);
    expect((await introspect(acmeToken)).active).toBe(false);

    const { privateKey } = await generateKeyPair('ES256');
    const { access_token: genuine } = await clientCredentials(app.consumerKey, oauth.ClientSecretBasic(app.consumerSecret));
    const forged = await new SignJWT({ client_id: app.consumerKey, scope: 'orders.read', api_products: ['orders'], organization: 'default' })
      .setProtectedHeader({ alg: 'ES256', kid: decodeProtectedHeader(genuine).kid!, typ: 'at+jwt' })
      .setIssuer(platform.url)
      .setSubject(app.consumerKey)
      .setJti('forged')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
    expect((await introspect(forged)).active).toBe(false);
    expect((await introspect('garbage')).active).toBe(false);
  });

  it('requires client authentication', async () => {
    const response = await platform.request('POST', '/oauth/introspect', { auth: false, headers: FORM, body: 'token=abc' });
    expect(response.status).toBe(401);
    expect(response.json.error).toBe('invalid_client');
    const missing = await platform.request('POST', '/oauth/introspect', { headers: { ...FORM, authorization: formBasic(app.consumerKey, app.consumerSecret) }, body: '' });
    expect(missing.status).toBe(400);
    expect(missing.json.error).toBe('invalid_request');
  });
});

describe('signing key rotation', () => {
  it('keeps tokens signed by the previous key verifiable and signs new ones with the new key', async () => {
    const { access_token: old } = await clientCredentials(app.consumerKey, oauth.ClientSecretBasic(app.consumerSecret));
    const rotated = await platform.request('POST', '/v1/organizations/default/oauth/keys?action=rotate');
    expect(rotated.status).toBe(200);
    const active = rotated.json.keys.filter((k: { status: string }) => k.status === 'active');
    expect(active).toHaveLength(1);
    expect(rotated.json.keys.some((k: { kid: string; status: string }) => k.kid === decodeProtectedHeader(old).kid && k.status === 'retired')).toBe(true);

    const { access_token: fresh } = await clientCredentials(app.consumerKey, oauth.ClientSecretBasic(app.consumerSecret));
    expect(decodeProtectedHeader(fresh).kid).toBe(active[0].kid);
    expect(decodeProtectedHeader(fresh).kid).not.toBe(decodeProtectedHeader(old).kid);

    const jwks = createRemoteJWKSet(new URL(as.jwks_uri!));
    await expect(jwtVerify(old, jwks, { issuer: platform.url })).resolves.toBeTruthy();
    await expect(jwtVerify(fresh, jwks, { issuer: platform.url })).resolves.toBeTruthy();
    expect((await introspect(old)).active).toBe(true);
    const listed = await platform.request('GET', '/.well-known/jwks.json', { auth: false });
    expect(listed.json.keys.map((k: { kid: string }) => k.kid)).toEqual(expect.arrayContaining([decodeProtectedHeader(old).kid, active[0].kid]));
  });

  it('lets only the deployment\'s organization rotate, and requires action=rotate', async () => {
    const other = await platform.addOrganization('not-the-operator');
    const refused = await platform.request('POST', '/v1/organizations/not-the-operator/oauth/keys?action=rotate', { auth: other });
    expect(refused.status).toBe(403);
    const noAction = await platform.request('POST', '/v1/organizations/default/oauth/keys');
    expect(noAction.status).toBe(400);
    const unauthenticated = await platform.request('POST', '/v1/organizations/default/oauth/keys?action=rotate', { auth: false });
    expect(unauthenticated.status).toBe(401);
  });
});

describe('CORS', () => {
  it('answers preflights on the token, introspection, revocation and discovery endpoints', async () => {
    for (const path of ['/oauth/token', '/oauth/introspect', '/oauth/revoke', '/.well-known/jwks.json', '/.well-known/oauth-authorization-server']) {
      const response = await platform.request('OPTIONS', path, {
        auth: false,
        headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('access-control-allow-methods')).toContain('POST');
      expect(response.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    }
  });

  it('marks successful and failed responses readable from any origin', async () => {
    const ok = await tokenRequest({ query: '?grant_type=client_credentials', headers: { origin: 'https://app.example', authorization: rawBasic(app.consumerKey, app.consumerSecret) } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('*');
    const failed = await tokenRequest({ query: '?grant_type=client_credentials', headers: { origin: 'https://app.example' } });
    expect(failed.status).toBe(401);
    expect(failed.headers.get('access-control-allow-origin')).toBe('*');
    expect(failed.headers.get('access-control-expose-headers')).toContain('www-authenticate');
  });
});
