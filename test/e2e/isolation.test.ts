// Tenant isolation and secrets hygiene over HTTP, with two organizations that
// each own one of everything (product, developer, app and credential, key
// value maps at every scope, API provider, proxy and deployment, custom
// element, connector instance). Organization B runs every route the platform
// function registers (found by recording the router, so routes added later
// are swept too) against A: with A's name in `{org}` it gets 403, with its own
// name and A's identifiers it finds nothing, and A's data is byte-identical
// afterwards. The proxy runtime's VerifyAccessToken refuses alg none, HS256
// keyed with the public key, a foreign signing key, a foreign issuer, expired
// and revoked tokens and B's tokens on A's proxy. Logs are captured for the
// whole file at DEBUG (with POWERTOOLS_LOGGER_LOG_EVENT on, which must change
// nothing) and, like every response, scanned for every secret, token, vendor
// credential and Authorization header value the file used.
import { exportSPKI, generateKeyPair, importJWK, SignJWT, UnsecuredJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RegisteredRoute } from '../../shared/http/router.js';
import { SIGNING_KEYS_SECRET } from '../../shared/oauth/keys.js';
import { platformRouter } from '../../shared/platform/platform-router.js';
import { DATA_KEY_SECRET } from '../../shared/runtime.js';
import { startBackend, type Backend } from '../support/backend.js';
import { FORM, provisionApp, rawBasic, type ProvisionedApp } from '../support/consumers.js';
import { startPlatform, type RequestOptions, type TestPlatform, type TestResponse } from '../support/platform.js';
import { deployProxy, simpleProxy } from '../support/proxies.js';
import { scanAll } from '../support/store-integrity.js';
import { sendJson, startVendor, type VendorServer } from '../support/vendor.js';
import { captureLogs, type LogCapture } from '../support/suite.js';

vi.hoisted(() => {
  process.env.LOG_LEVEL = 'DEBUG';
  process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
});

interface Tenant {
  org: string;
  auth: string;
  app: ProvisionedApp;
  accessToken: string;
  instance: { id: number; token: string };
  vendorPassword: string;
  kvmSecret: string;
  providerSecret: string;
  /** Text only this tenant's data contains: never in the other tenant's answers. */
  markers: string[];
}

/** What kind of secret, and whose: a few answers legitimately show the caller its own. */
interface KnownSecret {
  value: string;
  org: string;
  kind: 'platform' | 'consumer-secret' | 'access-token' | 'instance-token' | 'vendor' | 'kvm' | 'provider' | 'deployment';
}

let platform: TestPlatform;
let backend: Backend;
let vendor: VendorServer;
let a: Tenant;
let b: Tenant;
const secrets: KnownSecret[] = [];
const exchanges: { callerOrg: string | undefined; method: string; path: string; response: TestResponse }[] = [];
let logs: LogCapture;

/** Platform Authorization values and the organization each one authenticates. */
const organizationsByAuth = new Map<string, string>();

async function call(method: string, path: string, options: RequestOptions & { as?: Tenant } = {}): Promise<TestResponse> {
  const { as, ...rest } = options;
  const response = await platform.request(method, path, { ...rest, ...(as ? { auth: as.auth } : {}) });
  const sent = as?.auth ?? rest.headers?.authorization ?? (rest.auth === undefined ? platform.auth : rest.auth || '');
  const callerOrg = [...organizationsByAuth].find(([auth]) => sent.startsWith(auth))?.[1];
  exchanges.push({ callerOrg, method, path, response });
  return response;
}

async function setUpTenant(org: string, auth: string): Promise<Tenant> {
  const tag = org === 'default' ? 'alpha' : 'bravo';
  const app = await provisionApp(platform, { org, auth, product: `${tag}-product`, email: `${tag}@${tag}.example`, appName: `${tag}-app`, scopes: ['read'], productFields: { description: `${tag} private product description` } });
  const base = `/v1/organizations/${org}`;
  const vendorPassword = `${tag}-vendor-password-Zq8`;
  const kvmSecret = `${tag}-kvm-secret-Wv2`;
  const providerSecret = `${tag}-provider-secret-Jc5`;
  for (const scope of [`${base}/keyvaluemaps`, `${base}/environments/prod/keyvaluemaps`]) {
    expect((await call('POST', scope, { auth, json: { name: `${tag}-map`, encrypted: true, entry: [{ name: `${tag}-entry`, value: kvmSecret }] } })).status).toBe(201);
  }
  expect((await call('POST', `${base}/apiproviders`, { auth, json: { name: `${tag}-provider`, type: 'OpenConnectors', organizationSecret: providerSecret, userSecret: providerSecret } })).status).toBe(201);
  await deployProxy(
    platform,
    simpleProxy(`${tag}-api`, `/${tag}`, backend.url, [{ name: 'verify', type: 'OAuthV2', config: { operation: 'VerifyAccessToken' } }], ['verify']),
    { org, auth },
  );
  expect((await call('POST', `${base}/apis/${tag}-api/keyvaluemaps`, { auth, json: { name: `${tag}-map`, encrypted: true, entry: [{ name: `${tag}-entry`, value: kvmSecret }] } })).status).toBe(201);
  expect((await call('PUT', `${base}/apiproducts/${tag}-product`, { auth, json: { name: `${tag}-product`, scopes: ['read'], proxies: [`${tag}-api`], description: `${tag} private product description` } })).status).toBe(200);
  expect(
    (await call('POST', '/elements/api-v2/elements', { auth, json: { key: `${tag}-element`, name: `${tag} vendor`, baseUrl: `${vendor.url}/${tag}`, authentication: { type: 'basic' }, resources: [{ name: 'things', path: '/things', methods: ['GET'] }] } })).status,
  ).toBe(200);
  // Instance ids count per organization: A's used here (2) is one B does not have.
  if (org === 'default') {
    await call('POST', '/elements/api-v2/instances', { auth, json: { element: { key: `${tag}-element` }, name: 'first', configuration: { username: `${tag}-user`, password: vendorPassword } } });
  }
  const instance = await call('POST', '/elements/api-v2/instances', { auth, json: { element: { key: `${tag}-element` }, name: `${tag} instance`, configuration: { username: `${tag}-user`, password: vendorPassword } } });
  expect(instance.status, instance.text).toBe(200);
  organizationsByAuth.set(rawBasic(app.consumerKey, app.consumerSecret), org);
  const token = await call('POST', '/oauth/token', { auth: false, headers: { ...FORM, authorization: rawBasic(app.consumerKey, app.consumerSecret) }, body: 'grant_type=client_credentials' });
  expect(token.status).toBe(200);

  const [user, organization] = auth.split(', ').map((part) => part.split(' ')[1]!);
  secrets.push(
    { value: user!, org, kind: 'platform' },
    { value: organization!, org, kind: 'platform' },
    { value: app.consumerSecret, org, kind: 'consumer-secret' },
    { value: token.json.access_token, org, kind: 'access-token' },
    { value: instance.json.token, org, kind: 'instance-token' },
    { value: vendorPassword, org, kind: 'vendor' },
    { value: kvmSecret, org, kind: 'kvm' },
    { value: providerSecret, org, kind: 'provider' },
  );
  return {
    org,
    auth,
    app,
    accessToken: token.json.access_token,
    instance: instance.json,
    vendorPassword,
    kvmSecret,
    providerSecret,
    markers: [app.consumerKey, app.appId, `${tag} private product description`, `${tag}@${tag}.example`, `${tag}-user`, `/${tag}/things`],
  };
}

beforeAll(async () => {
  logs = captureLogs();
  platform = await startPlatform();
  backend = await startBackend();
  vendor = await startVendor((request, res) => sendJson(res, 200, { path: request.path, authorization: request.headers.authorization ?? null }));
  organizationsByAuth.set(platform.auth, 'default');
  a = await setUpTenant('default', platform.auth);
  const bAuth = await platform.addOrganization('tenant-b');
  organizationsByAuth.set(bAuth, 'tenant-b');
  b = await setUpTenant('tenant-b', bAuth);
});

afterAll(async () => {
  logs.restore();
  await vendor.close();
  await backend.close();
  await platform.close();
});

// Every route of the platform function, as registered.
function platformRoutes(): RegisteredRoute[] {
  return platformRouter().routes();
}

/** A's identifier for each route parameter. */
function fill(pattern: string, org: string, owner: Tenant): string {
  const tag = owner.org === 'default' ? 'alpha' : 'bravo';
  const values: Record<string, string> = {
    org,
    api: `${tag}-api`,
    rev: '1',
    env: 'prod',
    map: `${tag}-map`,
    key: pattern.includes('/keys/') ? owner.app.consumerKey : `${tag}-entry`,
    name: pattern.includes('apiproviders') ? `${tag}-provider` : `${tag}-product`,
    email: owner.app.email,
    app: owner.app.appName,
    appId: owner.app.appId,
    product: `${tag}-product`,
    keyOrId: `${tag}-element`,
    id: String(owner.instance.id),
    path: 'things',
  };
  return pattern.replace(/[:*]([A-Za-z]+)/g, (_match, name: string) => encodeURIComponent(values[name] ?? 'x'));
}

/** A body that would change A's resource if B could reach it. */
function hijack(owner: Tenant) {
  const tag = owner.org === 'default' ? 'alpha' : 'bravo';
  return {
    name: `${tag}-product`,
    value: 'hijacked',
    description: 'hijacked',
    displayName: 'hijacked',
    scopes: ['hijacked'],
    apiProducts: [`${tag}-product`],
    email: owner.app.email,
    firstName: 'Hijacked',
    lastName: 'Hijacked',
    userName: 'hijacked',
    tags: ['hijacked'],
    configuration: { password: 'hijacked' },
    properties: { property: [{ name: 'allowedRedirectOrigins', value: 'https://evil.example' }] },
    entry: [{ name: `${tag}-entry`, value: 'hijacked' }],
  };
}

/** A's data: its partition, its consumer-key markers and its routes. */
async function snapshotOf(tenant: Tenant): Promise<string> {
  const items = await scanAll(platform.local.runtime.table);
  const own = items.filter((item) => item.pk === `ORG#${tenant.org}` || item.organization === tenant.org);
  return JSON.stringify(own.sort((x, y) => `${x.pk}${x.sk}`.localeCompare(`${y.pk}${y.sk}`)));
}

describe('tenant isolation on every platform route', () => {
  it('refuses another organization in {org} with 403, on every management route and method', async () => {
    // Management routes: the developer portal's (auth none or developer) are isolated by portal.test.ts.
    const routes = platformRoutes().filter((route) => route.pattern.includes(':org') && route.doc.auth !== 'none' && route.doc.auth !== 'developer');
    expect(routes.length).toBeGreaterThan(50);
    const before = await snapshotOf(a);
    for (const route of routes) {
      for (const query of ['', '?action=revoke']) {
        const path = fill(route.pattern, a.org, a) + query;
        const response = await call(route.method === 'ANY' ? 'POST' : route.method, path, { as: b, ...(['POST', 'PUT', 'PATCH'].includes(route.method) ? { json: hijack(a) } : {}) });
        expect(response.status, `${route.method} ${path}: ${response.text}`).toBe(403);
        for (const marker of a.markers) expect(response.text).not.toContain(marker);
      }
    }
    expect(await snapshotOf(a)).toBe(before);
  });

  it('finds nothing of A\'s with B\'s own {org} and A\'s identifiers, and changes nothing of A\'s', async () => {
    const routes = platformRoutes().filter((route) => /:(?!org)[A-Za-z]+|\*/.test(route.pattern) && route.pattern !== '/v1/organizations/:org');
    const before = await snapshotOf(a);
    // What B made itself under A's names (Open Connectors' definitions are created by path): later calls there act on B's own.
    const madeByB = new Set<string>();
    for (const route of routes) {
      for (const query of ['', '?action=revoke']) {
        const path = fill(route.pattern, b.org, a) + query;
        const element = route.pattern.endsWith('*path') ? { headers: { authorization: `${b.auth}, Element ${a.instance.token}` } } : { as: b };
        const response = await call(route.method === 'ANY' ? 'GET' : route.method, path, { ...element, ...(['POST', 'PUT', 'PATCH'].includes(route.method) ? { json: hijack(a) } : {}) });
        expect(response.status, `${route.method} ${path}: ${response.text}`).toBeLessThan(500);
        // Nothing of A's that B did not send itself (a 404 may name what was asked for).
        for (const marker of a.markers.filter((value) => !decodeURIComponent(path).includes(value))) {
          expect(response.text, `${route.method} ${path}`).not.toContain(marker);
        }
        // Reading or changing one of A's resources by name or id: refused (not found, or invalid before any lookup).
        const namesAResource = (route.pattern.match(/[:*][A-Za-z]+/g) ?? []).some((param) => !['org', 'env'].includes(param.slice(1)));
        if (route.method === 'POST' && response.status < 300) madeByB.add(path.split('?')[0]!);
        if (['GET', 'PUT', 'PATCH', 'DELETE'].includes(route.method) && namesAResource && !madeByB.has(path.split('?')[0]!)) {
          // Or, for a list under a name only A uses, an empty one of B's own.
          const emptyList = response.status === 200 && Array.isArray(response.json) && response.json.length === 0;
          // Or B's own common resource of that name at its own level: PUT creates it (as in Open Connectors), DELETE then removes it.
          const ownDefinition = /\/objects\/(:name\/definitions|definitions\/:name)$/.test(route.pattern) && ['PUT', 'DELETE'].includes(route.method) && response.status === 200;
          expect(response.status >= 400 || emptyList || ownDefinition, `${route.method} ${path}: ${response.status} ${response.text}`).toBe(true);
        }
      }
    }
    expect(await snapshotOf(a)).toBe(before);
    // A still has all of it.
    expect((await call('GET', `/elements/api-v2/instances/${a.instance.id}`, { as: a })).status).toBe(200);
    expect((await call('GET', `/v1/organizations/default/apps/${a.app.appId}`, { as: a })).status).toBe(200);
  });

  it('keeps the SAP key map endpoint, elements, instances and resource calls to the caller\'s organization', async () => {
    const sap = await call('POST', '/apiportal/api/1.0/Management.svc/KeyMapEntries', {
      as: b,
      json: { name: 'alpha-map', scope: 'APIPROXY', scopeId: 'alpha-api', isEncrypted: true, keyMapEntryValues: [{ name: 'alpha-entry', value: 'hijacked' }] },
    });
    expect(sap.status).toBe(201);
    // B wrote its own map of that name; A's proxy still reads A's value.
    expect((await call('GET', '/v1/organizations/default/apis/alpha-api/keyvaluemaps/alpha-map/entries/alpha-entry', { as: a })).json.value).toBe('*****');
    const stored = await platform.local.runtime.table.queryAll('ORG#default', { prefix: 'KVMENTRY#api:alpha-api#alpha-map#' });
    expect(stored).toHaveLength(1);

    expect((await call('GET', '/elements/api-v2/elements/alpha-element', { as: b })).status).toBe(404);
    expect(((await call('GET', '/elements/api-v2/instances', { as: b })).json as { id: number }[]).map((i) => i.id)).not.toContain(a.instance.id);
    const crossed = await call('GET', '/elements/api-v2/things', { headers: { authorization: `${b.auth}, Element ${a.instance.token}` } });
    expect(crossed.status).toBe(401);
    expect(vendor.requests.some((request) => request.path.startsWith('/alpha') && request.headers.authorization?.includes(Buffer.from(`bravo-user:`).toString('base64').slice(0, 8)))).toBe(false);
  });
});

describe('access tokens at the proxy runtime (VerifyAccessToken)', () => {
  let signing: { kid: string; key: CryptoKey; publicJwk: JWK };
  const claims = (overrides: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: platform.local.runtime.config.issuer,
      sub: a.app.consumerKey,
      client_id: a.app.consumerKey,
      scope: 'read',
      api_products: ['alpha-product'],
      organization: 'default',
      jti: crypto.randomUUID(),
      iat: now,
      exp: now + 600,
      ...overrides,
    };
  };
  const sign = (payload: Record<string, unknown>, key: CryptoKey | Uint8Array = signing.key, header: Record<string, unknown> = {}) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: signing.kid, typ: 'at+jwt', ...header } as { alg: string }).sign(key);
  const through = (token: string) => platform.proxy('GET', '/alpha/resource', { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    const set = JSON.parse((await platform.local.runtime.secrets.get(SIGNING_KEYS_SECRET))!) as { keys: { kid: string; privateJwk: JWK; publicJwk: JWK; retiredAt?: number }[] };
    const active = set.keys.filter((key) => key.retiredAt === undefined).at(-1)!;
    signing = { kid: active.kid, key: (await importJWK(active.privateJwk, 'ES256')) as CryptoKey, publicJwk: active.publicJwk };
    secrets.push(...set.keys.map((key) => ({ value: key.privateJwk.d!, org: '(deployment)', kind: 'deployment' as const })));
    secrets.push({ value: (await platform.local.runtime.secrets.get(DATA_KEY_SECRET))!, org: '(deployment)', kind: 'deployment' });
  });

  it('accepts A\'s token and a well-formed token signed with the deployment key', async () => {
    expect((await through(a.accessToken)).status).toBe(200);
    expect((await through(await sign(claims()))).status).toBe(200);
  });

  it('refuses alg none, HS256 keyed with the public key, a foreign key under the same kid, a foreign issuer, an expired and a revoked token, and B\'s token', async () => {
    const before = backend.requests.length;
    const pem = await exportSPKI((await importJWK(signing.publicJwk, 'ES256', { extractable: true })) as CryptoKey);
    const foreign = await generateKeyPair('ES256');
    const past = Math.floor(Date.now() / 1000) - 7200;
    const revoked = await call('POST', '/oauth/token', { auth: false, headers: { ...FORM, authorization: rawBasic(a.app.consumerKey, a.app.consumerSecret) }, body: 'grant_type=client_credentials' });
    secrets.push({ value: revoked.json.access_token, org: 'default', kind: 'access-token' });
    expect((await call('POST', '/oauth/revoke', { auth: false, headers: { ...FORM, authorization: rawBasic(a.app.consumerKey, a.app.consumerSecret) }, body: `token=${revoked.json.access_token}` })).status).toBe(200);

    const refused: [string, string][] = [
      ['alg none', new UnsecuredJWT(claims()).encode()],
      ['alg none, typ and kid kept', `${Buffer.from(JSON.stringify({ alg: 'none', kid: signing.kid, typ: 'at+jwt' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}.`],
      ['HS256 keyed with the PEM public key', await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: signing.kid, typ: 'at+jwt' }).sign(new TextEncoder().encode(pem))],
      ['HS256 keyed with the JWK x', await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: signing.kid, typ: 'at+jwt' }).sign(new TextEncoder().encode(signing.publicJwk.x!))],
      ['a foreign key under the deployment kid', await sign(claims(), foreign.privateKey)],
      ['a foreign issuer', await sign(claims({ iss: 'https://issuer.evil.example' }))],
      ['an expired token', await sign(claims({ iat: past, exp: past + 60 }))],
      ['a revoked token', revoked.json.access_token],
      ['B\'s token on A\'s proxy', b.accessToken],
      ['a token claiming A\'s organization for B\'s client', await sign(claims({ organization: 'default', client_id: b.app.consumerKey, sub: b.app.consumerKey, api_products: ['bravo-product'] }))],
      ['a truncated signature', a.accessToken.slice(0, -10)],
    ];
    for (const [what, token] of refused) {
      const response = await through(token);
      expect(response.status, what).toBe(401);
      expect(response.json.fault.detail.errorcode, what).toMatch(/invalid_access_token|access_token_expired|apiresource_doesnot_exist|InvalidAccessToken/);
      expect(response.headers.get('www-authenticate'), what).toContain('Bearer');
    }
    expect(backend.requests.length).toBe(before);
  });
});

describe('secrets hygiene', () => {
  it('shows a secret only to its owner, where the API promises it once; never in an error or to anyone else', () => {
    expect(exchanges.length).toBeGreaterThan(150);
    const disclosures: Record<KnownSecret['kind'], RegExp | undefined> = {
      // The creating response shows the consumer secret once; the token endpoint answers with the token;
      // an instance's owner can read its token back.
      'consumer-secret': /\/apps$|\/keys(\/create)?$/,
      'access-token': /^\/oauth\/token$/,
      'instance-token': /^\/elements\/api-v2\/(elements\/[^/]+\/)?instances(\/\d+(\/token)?)?(\?.*)?$/,
      platform: undefined,
      vendor: undefined,
      kvm: undefined,
      provider: undefined,
      deployment: undefined,
    };
    for (const { callerOrg, method, path, response } of exchanges) {
      // The loopback backend echoes what the proxy forwarded (the caller's own bearer token): its words, not Tollgate's.
      if (response.headers.get('x-backend') === 'yes') continue;
      const visible = response.text + JSON.stringify([...response.headers]);
      for (const secret of secrets) {
        if (!visible.includes(secret.value)) continue;
        const allowed = response.status < 400 && secret.org === callerOrg && (disclosures[secret.kind]?.test(path.split('?')[0]!) ?? false);
        expect(allowed, `${method} ${path} (${response.status}) shows a ${secret.kind} secret of ${secret.org} to ${callerOrg ?? 'an anonymous caller'}`).toBe(true);
      }
    }
  });

  it('never writes a secret, token, vendor credential or Authorization header to the logs', () => {
    const logged = logs.text();
    // The capture works and saw the whole file at DEBUG: one access line per request at least.
    expect(logged.match(/"message":"request"/g)?.length ?? 0).toBeGreaterThan(exchanges.length / 2);
    const authorizationValues = [a.auth, b.auth, `Bearer ${a.accessToken}`, rawBasic(a.app.consumerKey, a.app.consumerSecret), rawBasic(b.app.consumerKey, b.app.consumerSecret)];
    const searched = [...secrets.map((secret) => ({ what: `a ${secret.kind} secret of ${secret.org}`, value: secret.value })), ...authorizationValues.map((value) => ({ what: 'an Authorization header', value }))];
    for (const { what, value } of searched) expect(logged.includes(value), `a log line contains ${what}`).toBe(false);
    // The event (headers, body) is never logged, whatever POWERTOOLS_LOGGER_LOG_EVENT says.
    expect(logged).not.toMatch(/"httpMethod"|"multiValueHeaders"|"headers":\{/);
  });
});
