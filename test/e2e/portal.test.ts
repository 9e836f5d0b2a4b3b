// The developer portal's API: sign-up, sign-in, invitations, the catalog by
// the products' `access` attribute, and developer isolation: a portal session
// reaches its own developer's apps only, never another developer's, never the
// management or connectors API, never another organization's portal. Passwords
// are stored as scrypt hashes and session tokens only as their hash.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORM, rawBasic } from '../support/consumers.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { scanAll } from '../support/store-integrity.js';

let platform: TestPlatform;
const ORG = '/v1/organizations/default';
const PORTAL = `${ORG}/portal`;
const PASSWORD = 'correct horse battery';

const bearer = (token: string) => `Bearer ${token}`;

async function signUp(email: string, password = PASSWORD) {
  return platform.request('POST', `${PORTAL}/signup`, { auth: false, json: { email, firstName: 'Dev', lastName: email.split('@')[0], password } });
}

let alice: string;
let bob: string;

beforeAll(async () => {
  platform = await startPlatform();
  for (const [name, access] of [['open', 'public'], ['members', 'private'], ['team', 'internal'], ['plain', undefined]] as const) {
    const response = await platform.request('POST', `${ORG}/apiproducts`, {
      json: { name, displayName: `${name} product`, proxies: [], scopes: [], ...(access ? { attributes: [{ name: 'access', value: access }] } : {}) },
    });
    expect(response.status, response.text).toBe(201);
  }
  alice = (await signUp('alice@example.com')).json.access_token;
  bob = (await signUp('bob@example.com')).json.access_token;
});
afterAll(async () => {
  await platform.close();
});

describe('accounts', () => {
  it('signs up: a developer, an account, a session', async () => {
    const response = await signUp('carol@example.com');
    expect(response.status).toBe(201);
    expect(response.json).toMatchObject({ token_type: 'Bearer', expires_in: 28800, developer: { email: 'carol@example.com' } });
    expect(response.headers.get('cache-control')).toBe('no-store');
    const developer = await platform.request('GET', `${ORG}/developers/carol@example.com`);
    expect(developer.status).toBe(200);
    expect(developer.text).not.toContain('password');
  });

  it('refuses a short password with a field error, a taken email with 409', async () => {
    const weak = await signUp('dave@example.com', 'short');
    expect(weak.status).toBe(422);
    expect(weak.json.error.fields).toEqual([{ path: 'password', message: 'must be 10 to 256 characters' }]);
    expect((await platform.request('GET', `${ORG}/developers/dave@example.com`)).status).toBe(404);
    const taken = await signUp('ALICE@example.com');
    expect(taken.status).toBe(409);
    expect(taken.json.error.fields).toEqual([{ path: 'email', message: 'is registered already' }]);
  });

  it('signs in; a wrong password and an unknown email get the same answer', async () => {
    const ok = await platform.request('POST', `${PORTAL}/sessions`, { auth: false, json: { email: 'alice@example.com', password: PASSWORD } });
    expect(ok.status).toBe(200);
    expect(ok.json.access_token).toMatch(/^tgdev_/);
    const wrong = await platform.request('POST', `${PORTAL}/sessions`, { auth: false, json: { email: 'alice@example.com', password: 'wrong password!' } });
    const unknown = await platform.request('POST', `${PORTAL}/sessions`, { auth: false, json: { email: 'nobody@example.com', password: PASSWORD } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.json.error).toEqual(unknown.json.error);
  });

  it('signs out: the token stops working', async () => {
    const session = (await platform.request('POST', `${PORTAL}/sessions`, { auth: false, json: { email: 'alice@example.com', password: PASSWORD } })).json.access_token as string;
    expect((await platform.request('GET', `${PORTAL}/me`, { auth: bearer(session) })).status).toBe(200);
    expect((await platform.request('DELETE', `${PORTAL}/sessions/current`, { auth: bearer(session) })).status).toBe(204);
    expect((await platform.request('GET', `${PORTAL}/me`, { auth: bearer(session) })).status).toBe(401);
  });

  it('invites a developer the API team created; the invitation works once', async () => {
    expect((await platform.request('POST', `${ORG}/developers`, { json: { email: 'erin@example.com', firstName: 'Erin', lastName: 'Invited', userName: 'erin' } })).status).toBe(201);
    // Created by the team: sign-up cannot claim the email.
    expect((await signUp('erin@example.com')).status).toBe(409);
    expect((await platform.request('POST', `${ORG}/developers/erin@example.com/invitations`, { auth: false })).status).toBe(401);
    const invitation = await platform.request('POST', `${ORG}/developers/erin@example.com/invitations`);
    expect(invitation.status).toBe(201);
    expect(invitation.json.url).toBe(`${platform.url}/portal/accept?token=${encodeURIComponent(invitation.json.token)}`);
    const accepted = await platform.request('POST', `${PORTAL}/invitations/accept`, { auth: false, json: { token: invitation.json.token, password: PASSWORD } });
    expect(accepted.status).toBe(201);
    expect(accepted.json.developer.email).toBe('erin@example.com');
    expect((await platform.request('POST', `${PORTAL}/invitations/accept`, { auth: false, json: { token: invitation.json.token, password: PASSWORD } })).status).toBe(400);
    expect((await platform.request('POST', `${PORTAL}/sessions`, { auth: false, json: { email: 'erin@example.com', password: PASSWORD } })).status).toBe(200);
  });

  it('stores passwords as scrypt hashes and sessions only by their hash', async () => {
    const items = await scanAll(platform.local.runtime.table);
    const text = JSON.stringify(items);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(alice);
    const accounts = items.filter((item) => item.sk.startsWith('DEVACCOUNT#'));
    expect(accounts.length).toBeGreaterThanOrEqual(3);
    for (const account of accounts) expect(account.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
  });
});

describe('catalog', () => {
  const names = async (auth: string | false) => ((await platform.request('GET', `${PORTAL}/products`, { auth })).json as { name: string }[]).map((p) => p.name).sort();

  it('shows public products (and those without an access attribute) to everyone', async () => {
    expect(await names(false)).toEqual(['open', 'plain']);
    expect((await platform.request('GET', `${PORTAL}/products/members`, { auth: false })).status).toBe(404);
  });

  it('shows private products to signed-in developers, internal ones to nobody', async () => {
    expect(await names(bearer(alice))).toEqual(['members', 'open', 'plain']);
    expect((await platform.request('GET', `${PORTAL}/products/team`, { auth: bearer(alice) })).status).toBe(404);
    expect((await platform.request('GET', `${PORTAL}/products/members`, { auth: bearer(alice) })).json).toMatchObject({ name: 'members', access: 'private', apis: [] });
  });

  it('lists each API of a product with where it is deployed and its resources', async () => {
    const model = {
      name: 'catalog-orders',
      proxyEndpoints: [{ basePath: '/catalog-orders', flows: [{ name: 'list', description: 'All orders', condition: '(proxy.pathsuffix MatchesPath "/orders") and (request.verb = "GET")', request: [], response: [] }] }],
      targetEndpoints: [{ connection: { url: 'http://127.0.0.1:9/' } }],
    };
    expect((await platform.request('POST', `${ORG}/apis`, { json: model })).status).toBe(201);
    expect((await platform.request('POST', `${ORG}/environments/prod/apis/catalog-orders/revisions/1/deployments`)).status).toBeLessThan(300);
    expect((await platform.request('POST', `${ORG}/apiproducts`, { json: { name: 'orders-catalog', proxies: ['catalog-orders', 'not-deployed'] } })).status).toBe(201);
    const product = await platform.request('GET', `${PORTAL}/products/orders-catalog`, { auth: false });
    expect(product.json.apis).toEqual([
      { name: 'catalog-orders', deployments: [{ environment: 'prod', basePaths: ['/catalog-orders'] }], resources: [{ name: 'list', description: 'All orders', path: '/orders', method: 'GET' }] },
      { name: 'not-deployed', deployments: [], resources: [] },
    ]);
  });

  it('refuses a bad or expired session instead of showing the public catalog', async () => {
    expect((await platform.request('GET', `${PORTAL}/products`, { auth: 'Bearer tgdev_forged' })).status).toBe(401);
  });
});

describe('apps and isolation', () => {
  let aliceApp: { consumerKey: string; consumerSecret: string };

  it('creates an app subscribed to catalog products; its key and secret get tokens', async () => {
    const response = await platform.request('POST', `${PORTAL}/apps`, { auth: bearer(alice), json: { name: 'alice-app', apiProducts: ['open', 'members'] } });
    expect(response.status, response.text).toBe(201);
    aliceApp = response.json.credentials[0];
    expect(aliceApp.consumerSecret).not.toBe('*****');
    const token = await platform.request('POST', '/oauth/token', { auth: rawBasic(aliceApp.consumerKey, aliceApp.consumerSecret), headers: FORM, body: 'grant_type=client_credentials' });
    expect(token.status).toBe(200);
    // Read back, the secret is masked.
    const app = await platform.request('GET', `${PORTAL}/apps/alice-app`, { auth: bearer(alice) });
    expect(app.json.credentials[0]).toMatchObject({ consumerKey: aliceApp.consumerKey, consumerSecret: '*****' });
  });

  it('refuses internal and unknown products, and an empty subscription', async () => {
    for (const apiProducts of [['team'], ['nope'], []]) {
      const response = await platform.request('POST', `${PORTAL}/apps`, { auth: bearer(alice), json: { name: 'sneaky', apiProducts } });
      expect(response.status).toBe(422);
      expect(response.json.error.fields[0].path).toBe('apiProducts');
    }
  });

  it('never shows one developer another\'s apps', async () => {
    expect(((await platform.request('GET', `${PORTAL}/apps`, { auth: bearer(bob) })).json as unknown[])).toEqual([]);
    expect((await platform.request('GET', `${PORTAL}/apps/alice-app`, { auth: bearer(bob) })).status).toBe(404);
    expect((await platform.request('DELETE', `${PORTAL}/apps/alice-app`, { auth: bearer(bob) })).status).toBe(404);
    expect(((await platform.request('GET', `${PORTAL}/apps`, { auth: bearer(alice) })).json as { name: string }[]).map((a) => a.name)).toEqual(['alice-app']);
  });

  it('never lets a portal session into the management or connectors API', async () => {
    for (const [method, path] of [
      ['GET', `${ORG}/developers`],
      ['GET', `${ORG}/developers/alice@example.com/apps`],
      ['GET', `${ORG}/apps`],
      ['GET', `${ORG}/apis`],
      ['GET', `${ORG}`],
      ['POST', `${ORG}/developers/bob@example.com/invitations`],
      ['GET', '/elements/api-v2/instances'],
    ] as const) {
      expect((await platform.request(method, path, { auth: bearer(alice) })).status, path).toBe(401);
    }
    // Nor do management credentials act as a developer.
    expect((await platform.request('GET', `${PORTAL}/apps`)).status).toBe(401);
  });

  it('keeps a session to its own organization', async () => {
    const other = await platform.addOrganization('other');
    expect((await platform.request('POST', '/v1/organizations/other/apiproducts', { auth: other, json: { name: 'theirs', proxies: [] } })).status).toBe(201);
    expect((await platform.request('GET', '/v1/organizations/other/portal/apps', { auth: bearer(alice) })).status).toBe(404);
    expect((await platform.request('GET', '/v1/organizations/other/portal/products', { auth: bearer(alice) })).status).toBe(404);
    expect(((await platform.request('GET', '/v1/organizations/other/portal/products', { auth: false })).json as { name: string }[]).map((p) => p.name)).toEqual(['theirs']);
    expect((await platform.request('POST', '/v1/organizations/nowhere/portal/signup', { auth: false, json: { email: 'x@example.com', firstName: 'X', lastName: 'Y', password: PASSWORD } })).status).toBe(404);
  });

  it('deletes the developer\'s own app; its credentials stop working', async () => {
    expect((await platform.request('DELETE', `${PORTAL}/apps/alice-app`, { auth: bearer(alice) })).status).toBe(204);
    const token = await platform.request('POST', '/oauth/token', { auth: rawBasic(aliceApp.consumerKey, aliceApp.consumerSecret), headers: FORM, body: 'grant_type=client_credentials' });
    expect(token.status).toBe(401);
  });

  it('documents the portal routes with the developer bearer scheme', async () => {
    const document = (await platform.request('GET', '/v1/openapi.json', { auth: false })).json;
    expect(document.paths['/v1/organizations/{org}/portal/apps'].get.security).toEqual([{ developerAuth: [] }]);
    expect(document.paths['/v1/organizations/{org}/portal/signup'].post.security).toEqual([]);
    expect(document.components.securitySchemes.developerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});
