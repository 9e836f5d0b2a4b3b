// The low findings of an outside assessment, each as it was replayed: API keys
// in the access log's paths, 500s for crafted page cursors and `__proto__`
// attributes, and the cross-tenant consumer-key oracle on import.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { provisionApp, type ProvisionedApp } from '../support/consumers.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { captureLogs, type LogCapture } from '../support/suite.js';

vi.hoisted(() => {
  process.env.LOG_LEVEL = 'DEBUG';
});

let platform: TestPlatform;
let logs: LogCapture;
let app: ProvisionedApp;
const BASE = '/v1/organizations/default';

beforeAll(async () => {
  logs = captureLogs();
  platform = await startPlatform();
  app = await provisionApp(platform, { product: 'edges', email: 'edges@example.com', appName: 'edges' });
});
afterAll(async () => {
  await platform.close();
  logs.restore();
});

const cursor = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');

describe('consumer keys never appear in access-log paths', () => {
  it('logs the key routes with the key masked', async () => {
    const keyPath = `${BASE}/developers/${app.email}/apps/${app.appName}/keys/${app.consumerKey}`;
    expect((await platform.request('GET', keyPath)).status).toBe(200);
    expect((await platform.request('GET', `${keyPath}/apiproducts/edges`)).status).toBe(200);
    expect((await platform.request('GET', `${BASE}/apps/${app.appId}/keys/${app.consumerKey}`)).status).toBe(404);
    const text = logs.text();
    expect(text).toContain(`/apps/${app.appName}/keys/*****`);
    expect(text).not.toContain(app.consumerKey);
  });
});

describe('crafted page cursors and __proto__ attributes are bad requests, not 500s', () => {
  it.each([
    ['another tenant', { pk: 'ORG#other', sk: 'PRODUCT#a' }],
    ['extra attributes', { pk: 'ORG#default', sk: 'PRODUCT#a', owner: 'x' }],
    ['no sort key', { pk: 'ORG#default' }],
    ['a number', { pk: 'ORG#default', sk: 1 }],
    ['not an object', ['ORG#default']],
  ])('refuses a cursor with %s', async (_what, key) => {
    for (const path of [`${BASE}/apiproducts`, `${BASE}/developers`, `${BASE}/apps`, `${BASE}/developers/${app.email}/apps`]) {
      const listed = await platform.request('GET', `${path}?cursor=${cursor(key)}`);
      expect(listed.status, `${path}: ${listed.text}`).toBe(400);
      expect(listed.json.error.code).toBe('invalid_cursor');
    }
  });

  it('refuses an attribute named __proto__ on products, developers and apps', async () => {
    const attributes = [{ name: '__proto__', value: 'x' }];
    const answers = [
      await platform.request('POST', `${BASE}/apiproducts`, { json: { name: 'proto-product', attributes } }),
      await platform.request('POST', `${BASE}/developers`, { json: { email: 'proto@example.com', firstName: 'P', lastName: 'Q', userName: 'proto', attributes } }),
      await platform.request('POST', `${BASE}/developers/${app.email}/apps`, { json: { name: 'proto-app', attributes } }),
      await platform.request('PUT', `${BASE}/developers/${app.email}/apps/${app.appName}`, { json: { name: app.appName, attributes } }),
    ];
    for (const answer of answers) {
      expect([400, 422], answer.text).toContain(answer.status);
      expect(answer.json.error.message).toContain('__proto__');
    }
  });
});

describe("another organization's consumer key is no oracle", () => {
  it('answers an import of a key used elsewhere exactly as an import of an unused key', async () => {
    const otherAuth = await platform.addOrganization('oracle-victim');
    const victim = await provisionApp(platform, { org: 'oracle-victim', auth: otherAuth, product: 'victim', email: 'victim@example.com', appName: 'victim' });
    const keys = `${BASE}/developers/${app.email}/apps/${app.appName}/keys/create`;
    const used = await platform.request('POST', keys, { json: { consumerKey: victim.consumerKey, consumerSecret: 'a-secret-of-our-own-0123456789', apiProducts: ['edges'] } });
    const unused = await platform.request('POST', keys, { json: { consumerKey: `unused-${victim.consumerKey}`, consumerSecret: 'a-secret-of-our-own-0123456789', apiProducts: ['edges'] } });
    expect(used.status, used.text).toBe(unused.status);
    expect(used.status).toBe(201);
    // Both keys now work in this organization, and the victim's still works in its own.
    const again = await platform.request('POST', keys, { json: { consumerKey: victim.consumerKey, consumerSecret: 'another-secret-0123456789', apiProducts: ['edges'] } });
    expect(again.status).toBe(409);
    const victimKey = await platform.request('GET', `/v1/organizations/oracle-victim/developers/victim@example.com/apps/victim/keys/${victim.consumerKey}`, { auth: otherAuth });
    expect(victimKey.status).toBe(200);
  });
});
