// The consumer-side management API on Apigee Edge paths: products, developers,
// apps and credentials. Validation with field paths, duplicates, pagination,
// tenant isolation, secrets shown once, and what the proxy runtime reads
// (verifyApiKey, getProduct, productAllowsProxy).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getProduct, productAllowsProxy } from '../../shared/consumers/products.js';
import { verifyApiKey } from '../../shared/consumers/verify-api-key.js';
import { CredentialError } from '../../shared/credentials/errors.js';
import { provisionApp, rawBasic } from '../support/consumers.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;
const base = '/v1/organizations/default';

beforeAll(async () => {
  platform = await startPlatform();
});
afterAll(() => platform.close());

const fieldPaths = (body: { error: { fields?: { path: string }[] } }) => (body.error.fields ?? []).map((f) => f.path);

describe('API products', () => {
  it('accepts Apigee\'s string quota fields and numbers alike, and returns Apigee\'s shape', async () => {
    const asStrings = await platform.request('POST', `${base}/apiproducts`, {
      json: { name: 'gold', displayName: 'Gold', proxies: ['orders'], environments: ['prod'], scopes: ['a', 'b'], quota: '100', quotaInterval: '1', quotaTimeUnit: 'hour', approvalType: 'auto', attributes: [{ name: 'access', value: 'public' }] },
    });
    expect(asStrings.status).toBe(201);
    expect(asStrings.json).toMatchObject({ name: 'gold', displayName: 'Gold', quota: '100', quotaInterval: '1', quotaTimeUnit: 'hour', attributes: [{ name: 'access', value: 'public' }] });
    expect(typeof asStrings.json.createdAt).toBe('number');
    const asNumbers = await platform.request('POST', `${base}/apiproducts`, { json: { name: 'silver', quota: 5, quotaInterval: 2, quotaTimeUnit: 'minute' } });
    expect(asNumbers.status).toBe(201);
    expect(asNumbers.json).toMatchObject({ quota: '5', quotaInterval: '2', quotaTimeUnit: 'minute', displayName: 'silver', approvalType: 'auto' });
    const product = await getProduct(platform.local.runtime, 'default', 'gold');
    expect(product).toMatchObject({ name: 'gold', quota: { limit: 100, interval: 1, timeUnit: 'hour' }, attributes: { access: 'public' } });
  });

  it('refuses invalid products with 422 naming each field', async () => {
    const response = await platform.request('POST', `${base}/apiproducts`, {
      json: { name: 'bad/name', scopes: ['ok', 'has space'], quota: 'lots', quotaTimeUnit: 'fortnight', approvalType: 'sometimes', attributes: [{ name: 'x', value: '1' }, { name: 'x', value: '2' }] },
    });
    expect(response.status).toBe(422);
    expect(response.json.error.code).toBe('validation_failed');
    expect(fieldPaths(response.json)).toEqual(expect.arrayContaining(['name', 'scopes.1', 'quota', 'quotaTimeUnit', 'approvalType', 'attributes.1.name']));
    const missing = await platform.request('POST', `${base}/apiproducts`, { json: { displayName: 'No name' } });
    expect(fieldPaths(missing.json)).toContain('name');
    const interval = await platform.request('POST', `${base}/apiproducts`, { json: { name: 'half', quotaInterval: 1 } });
    expect(fieldPaths(interval.json)).toContain('quota');
  });

  it('refuses malformed JSON with 400 and other media types with 415', async () => {
    expect((await platform.request('POST', `${base}/apiproducts`, { body: '{"name":', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect((await platform.request('POST', `${base}/apiproducts`, { body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(415);
  });

  it('refuses a duplicate with 409', async () => {
    await platform.request('POST', `${base}/apiproducts`, { json: { name: 'dup' } });
    const again = await platform.request('POST', `${base}/apiproducts`, { json: { name: 'dup' } });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('conflict');
  });

  it('updates with PUT (the name cannot change) and deletes', async () => {
    await platform.request('POST', `${base}/apiproducts`, { json: { name: 'mutable', scopes: ['a'], quota: 1, quotaInterval: 1, quotaTimeUnit: 'day' } });
    const renamed = await platform.request('PUT', `${base}/apiproducts/mutable`, { json: { name: 'other' } });
    expect(renamed.status).toBe(422);
    const updated = await platform.request('PUT', `${base}/apiproducts/mutable`, { json: { scopes: ['b'], description: 'now described' } });
    expect(updated.status).toBe(200);
    expect(updated.json.scopes).toEqual(['b']);
    expect(updated.json.quota).toBeUndefined();
    expect(updated.json.description).toBe('now described');
    expect((await getProduct(platform.local.runtime, 'default', 'mutable'))?.scopes).toEqual(['b']);
    expect((await platform.request('DELETE', `${base}/apiproducts/mutable`)).json.name).toBe('mutable');
    expect((await platform.request('GET', `${base}/apiproducts/mutable`)).status).toBe(404);
    expect(await getProduct(platform.local.runtime, 'default', 'mutable')).toBeUndefined();
  });

  it('pages with count, startKey (inclusive, Apigee) and the next-page cursor', async () => {
    const other = await platform.addOrganization('paging');
    const paging = '/v1/organizations/paging/apiproducts';
    for (const name of ['p1', 'p2', 'p3', 'p4', 'p5']) {
      expect((await platform.request('POST', paging, { auth: other, json: { name } })).status).toBe(201);
    }
    const first = await platform.request('GET', `${paging}?count=2`, { auth: other });
    expect(first.json).toEqual(['p1', 'p2']);
    const cursor = first.headers.get('x-next-cursor');
    expect(cursor).toBeTruthy();
    const second = await platform.request('GET', `${paging}?count=2&cursor=${cursor}`, { auth: other });
    expect(second.json).toEqual(['p3', 'p4']);
    const fromKey = await platform.request('GET', `${paging}?startKey=p4&count=3`, { auth: other });
    expect(fromKey.json).toEqual(['p4', 'p5']);
    expect(fromKey.headers.get('x-next-cursor')).toBeNull();
    const expanded = await platform.request('GET', `${paging}?expand=true&count=1`, { auth: other });
    expect(expanded.json.apiProduct).toHaveLength(1);
    expect(expanded.json.apiProduct[0].name).toBe('p1');
    expect((await platform.request('GET', `${paging}?count=0`, { auth: other })).status).toBe(400);
    expect((await platform.request('GET', `${paging}?cursor=bm9wZQ`, { auth: other })).status).toBe(400);
  });

  it('says which proxies and environments a product allows', () => {
    expect(productAllowsProxy({ proxies: ['orders'], environments: ['prod'] }, 'orders', 'prod')).toBe(true);
    expect(productAllowsProxy({ proxies: ['orders'], environments: ['prod'] }, 'orders', 'test')).toBe(false);
    expect(productAllowsProxy({ proxies: ['orders'], environments: [] }, 'billing', 'test')).toBe(false);
    expect(productAllowsProxy({ proxies: [], environments: [] }, 'anything', 'any')).toBe(true);
  });
});

describe('developers', () => {
  it('creates, reads case-insensitively or by id, and refuses duplicates', async () => {
    const created = await platform.request('POST', `${base}/developers`, { json: { email: 'Grace@Example.com', firstName: 'Grace', lastName: 'Hopper', userName: 'grace' } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ email: 'grace@example.com', status: 'active', apps: [], organizationName: 'default' });
    expect((await platform.request('GET', `${base}/developers/GRACE@example.com`)).json.developerId).toBe(created.json.developerId);
    expect((await platform.request('GET', `${base}/developers/${created.json.developerId}`)).json.email).toBe('grace@example.com');
    const duplicate = await platform.request('POST', `${base}/developers`, { json: { email: 'grace@example.com', firstName: 'G', lastName: 'H', userName: 'g' } });
    expect(duplicate.status).toBe(409);
  });

  it('refuses invalid developers with 422 naming each field', async () => {
    const response = await platform.request('POST', `${base}/developers`, { json: { email: 'not-an-email', firstName: '', attributes: 'x' } });
    expect(response.status).toBe(422);
    expect(fieldPaths(response.json)).toEqual(expect.arrayContaining(['email', 'firstName', 'lastName', 'userName', 'attributes']));
  });

  it('lists emails, or full developers with expand=true', async () => {
    const listed = await platform.request('GET', `${base}/developers`);
    expect(listed.json).toContain('grace@example.com');
    const expanded = await platform.request('GET', `${base}/developers?expand=true`);
    expect(expanded.json.developer.find((d: { email: string }) => d.email === 'grace@example.com')).toBeTruthy();
  });

  it('deletes a developer with its apps and credentials', async () => {
    const doomed = await provisionApp(platform, { product: 'doomed' });
    const deleted = await platform.request('DELETE', `${base}/developers/${doomed.email}`);
    expect(deleted.status).toBe(200);
    expect(deleted.json.apps).toEqual([doomed.appName]);
    expect((await platform.request('GET', `${base}/apps/${doomed.appId}`)).status).toBe(404);
    const token = await platform.request('POST', '/oauth/token?grant_type=client_credentials', { auth: rawBasic(doomed.consumerKey, doomed.consumerSecret) });
    expect(token.status).toBe(401);
  });
});

describe('apps and credentials', () => {
  it('shows the consumer secret only in the create response', async () => {
    const made = await provisionApp(platform, { product: 'secretive' });
    const paths = [
      `${base}/developers/${made.email}/apps/${made.appName}`,
      `${base}/developers/${made.email}/apps?expand=true`,
      `${base}/developers/${made.email}/apps/${made.appName}/keys/${made.consumerKey}`,
      `${base}/apps/${made.appId}`,
      `${base}/apps?expand=true`,
    ];
    for (const path of paths) {
      const response = await platform.request('GET', path);
      expect(response.status).toBe(200);
      expect(response.text).toContain(made.consumerKey);
      expect(response.text).not.toContain(made.consumerSecret);
    }
    const app = await platform.request('GET', paths[0]!);
    expect(app.json.credentials[0]).toMatchObject({ consumerKey: made.consumerKey, consumerSecret: '*****', status: 'approved', expiresAt: -1 });
    // The table holds neither the key nor the secret in the clear.
    const items = await platform.local.runtime.table.queryAll('ORG#default');
    expect(JSON.stringify(items)).not.toContain(made.consumerSecret);
    expect(JSON.stringify(items)).not.toContain(made.consumerKey);
  });

  it('generates keys with enough entropy and supports several credentials per app for rotation', async () => {
    const made = await provisionApp(platform, { product: 'rotating' });
    expect(made.consumerKey.length).toBeGreaterThanOrEqual(32);
    expect(made.consumerSecret.length).toBeGreaterThanOrEqual(43);
    const keys = `${base}/developers/${made.email}/apps/${made.appName}/keys`;
    const second = await platform.request('POST', `${keys}/create`, { json: { apiProducts: ['rotating'] } });
    expect(second.status).toBe(201);
    expect(second.json.consumerSecret).not.toBe('*****');
    const listed = await platform.request('GET', `${base}/developers/${made.email}/apps/${made.appName}`);
    expect(listed.json.credentials).toHaveLength(2);
    for (const credential of [made, second.json]) {
      const token = await platform.request('POST', '/oauth/token?grant_type=client_credentials', { auth: rawBasic(credential.consumerKey, credential.consumerSecret) });
      expect(token.status).toBe(200);
    }
    // Retire the old credential: it stops working, the new one keeps working.
    expect((await platform.request('DELETE', `${keys}/${made.consumerKey}`)).status).toBe(200);
    expect((await platform.request('POST', '/oauth/token?grant_type=client_credentials', { auth: rawBasic(made.consumerKey, made.consumerSecret) })).status).toBe(401);
    expect((await platform.request('POST', '/oauth/token?grant_type=client_credentials', { auth: rawBasic(second.json.consumerKey, second.json.consumerSecret) })).status).toBe(200);
  });

  it('refuses unknown products and duplicate app names and imported keys', async () => {
    const made = await provisionApp(platform, { product: 'dups' });
    const unknown = await platform.request('POST', `${base}/developers/${made.email}/apps`, { json: { name: 'x', apiProducts: ['dups', 'nope'] } });
    expect(unknown.status).toBe(422);
    expect(fieldPaths(unknown.json)).toEqual(['apiProducts.1']);
    const sameName = await platform.request('POST', `${base}/developers/${made.email}/apps`, { json: { name: made.appName, apiProducts: ['dups'] } });
    expect(sameName.status).toBe(409);
    const keys = `${base}/developers/${made.email}/apps/${made.appName}/keys/create`;
    const imported = await platform.request('POST', keys, { json: { consumerKey: 'imported-key-0123456789', consumerSecret: 'imported-secret-0123456789' } });
    expect(imported.status).toBe(201);
    const again = await platform.request('POST', keys, { json: { consumerKey: 'imported-key-0123456789', consumerSecret: 'another-secret-0123456789' } });
    expect(again.status).toBe(409);
    const weak = await platform.request('POST', keys, { json: { consumerSecret: 'short' } });
    expect(weak.status).toBe(422);
    expect(fieldPaths(weak.json)).toEqual(['consumerSecret']);
    const badScope = await platform.request('POST', `${base}/developers/${made.email}/apps`, { json: { name: 'scoped', apiProducts: ['dups'], scopes: ['admin'] } });
    expect(fieldPaths(badScope.json)).toEqual(['scopes.0']);
  });

  it('manages product bindings of a key: manual approval, revoke, remove', async () => {
    const made = await provisionApp(platform, { product: 'base-product', scopes: ['base'] });
    await platform.request('POST', `${base}/apiproducts`, { json: { name: 'premium', scopes: ['premium'], approvalType: 'manual' } });
    const key = `${base}/developers/${made.email}/apps/${made.appName}/keys/${made.consumerKey}`;
    const added = await platform.request('POST', key, { json: { apiProducts: ['premium'] } });
    expect(added.status).toBe(200);
    expect(added.json.apiProducts).toContainEqual({ apiproduct: 'premium', status: 'pending' });
    const token = (scope: string) =>
      platform.request('POST', `/oauth/token?grant_type=client_credentials&scope=${scope}`, { auth: rawBasic(made.consumerKey, made.consumerSecret) });
    expect((await token('premium')).json.error).toBe('invalid_scope');
    expect((await platform.request('POST', `${key}/apiproducts/premium?action=approve`)).status).toBe(204);
    expect((await token('premium')).status).toBe(200);
    expect((await platform.request('GET', `${key}/apiproducts/premium`)).json).toEqual({ apiproduct: 'premium', status: 'approved' });
    expect((await platform.request('DELETE', `${key}/apiproducts/premium`)).json.apiProducts).toEqual([{ apiproduct: 'base-product', status: 'approved' }]);
    expect((await token('premium')).json.error).toBe('invalid_scope');
    expect((await platform.request('POST', `${key}/apiproducts/base-product?action=dance`)).status).toBe(400);
  });

  it('honours key expiry', async () => {
    const made = await provisionApp(platform, { product: 'expiring' });
    const keys = `${base}/developers/${made.email}/apps/${made.appName}/keys/create`;
    const expired = await platform.request('POST', keys, { json: { apiProducts: ['expiring'], expiresAt: Date.now() - 1000 } });
    expect(expired.status).toBe(201);
    const response = await platform.request('POST', '/oauth/token?grant_type=client_credentials', { auth: rawBasic(expired.json.consumerKey, expired.json.consumerSecret) });
    expect(response.status).toBe(401);
    await expect(verifyApiKey(platform.local.runtime, expired.json.consumerKey, 'default')).rejects.toMatchObject({ reason: 'key_expired' });
  });

  it('updates an app and lists apps by id', async () => {
    const made = await provisionApp(platform, { product: 'updatable' });
    const path = `${base}/developers/${made.email}/apps/${made.appName}`;
    const updated = await platform.request('PUT', path, { json: { callbackUrl: 'https://app.example/cb', attributes: [{ name: 'tier', value: 'gold' }] } });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ callbackUrl: 'https://app.example/cb', attributes: [{ name: 'tier', value: 'gold' }] });
    const bad = await platform.request('PUT', path, { json: { callbackUrl: 'not a url' } });
    expect(fieldPaths(bad.json)).toEqual(['callbackUrl']);
    const ids = await platform.request('GET', `${base}/apps`);
    expect(ids.json).toContain(made.appId);
  });
});

describe('verifyApiKey', () => {
  it('returns the app, developer and approved products, and says why a key is refused', async () => {
    const made = await provisionApp(platform, { product: 'verified', scopes: ['v'] });
    const verified = await verifyApiKey(platform.local.runtime, made.consumerKey, 'default');
    expect(verified).toMatchObject({
      organization: 'default',
      consumerKey: made.consumerKey,
      app: { appId: made.appId, name: made.appName, status: 'approved' },
      developer: { email: made.email, status: 'active' },
    });
    expect(verified.products.map((p) => p.name)).toEqual(['verified']);
    await expect(verifyApiKey(platform.local.runtime, 'no-such-key', 'default')).rejects.toBeInstanceOf(CredentialError);
    await expect(verifyApiKey(platform.local.runtime, 'no-such-key', 'default')).rejects.toMatchObject({ reason: 'invalid_key' });

    const appPath = `${base}/developers/${made.email}/apps/${made.appName}`;
    await platform.request('POST', `${appPath}/keys/${made.consumerKey}?action=revoke`);
    await expect(verifyApiKey(platform.local.runtime, made.consumerKey, 'default')).rejects.toMatchObject({ reason: 'key_revoked' });
    await platform.request('POST', `${appPath}/keys/${made.consumerKey}?action=approve`);
    await platform.request('POST', `${appPath}?action=revoke`);
    await expect(verifyApiKey(platform.local.runtime, made.consumerKey, 'default')).rejects.toMatchObject({ reason: 'app_not_approved' });
    await platform.request('POST', `${appPath}?action=approve`);
    await platform.request('POST', `${base}/developers/${made.email}?action=inactive`);
    await expect(verifyApiKey(platform.local.runtime, made.consumerKey, 'default')).rejects.toMatchObject({ reason: 'developer_inactive' });
    await platform.request('POST', `${base}/developers/${made.email}?action=active`);
    await expect(verifyApiKey(platform.local.runtime, made.consumerKey, 'default')).resolves.toBeTruthy();
  });

  it('reads nothing from the table on a warm call', async () => {
    const made = await provisionApp(platform, { product: 'warm' });
    // Past the revocation list's refresh interval, then frozen: the first call refreshes and waits, the rest read nothing.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 10_000);
    await verifyApiKey(platform.local.runtime, made.consumerKey, 'default');
    const calls = platform.local.runtime.table.calls;
    for (let i = 0; i < 20; i++) await verifyApiKey(platform.local.runtime, made.consumerKey, 'default');
    expect(platform.local.runtime.table.calls).toBe(calls);
    vi.useRealTimers();
  });
});

describe('organization isolation', () => {
  it('keeps each organization\'s consumers to itself', async () => {
    const made = await provisionApp(platform, { product: 'private' });
    const acme = await platform.addOrganization('acme-consumers');
    const acmeBase = '/v1/organizations/acme-consumers';
    expect((await platform.request('GET', `${base}/apiproducts`, { auth: acme })).status).toBe(403);
    expect((await platform.request('GET', `${acmeBase}/apiproducts`, { auth: acme })).json).toEqual([]);
    expect((await platform.request('GET', `${acmeBase}/apiproducts/private`, { auth: acme })).status).toBe(404);
    expect((await platform.request('GET', `${acmeBase}/developers/${made.email}`, { auth: acme })).status).toBe(404);
    expect((await platform.request('GET', `${acmeBase}/apps/${made.appId}`, { auth: acme })).status).toBe(404);
    // A developer of another organization with the same email is a different developer.
    const same = await platform.request('POST', `${acmeBase}/developers`, { auth: acme, json: { email: made.email, firstName: 'A', lastName: 'B', userName: 'c' } });
    expect(same.status).toBe(201);
    const apps = await platform.request('POST', `${acmeBase}/developers/${made.email}/apps`, { auth: acme, json: { name: 'x', apiProducts: ['private'] } });
    expect(apps.status).toBe(422);
  });
});
