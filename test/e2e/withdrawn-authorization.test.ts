// Authorization withdrawn reaches live access tokens within the revocation
// list's bound (REVOCATION_MAX_STALE_MS): a product removed from the key, the
// product deleted, the app set to pending or revoked, the developer set
// inactive. VerifyAccessToken refuses the token and introspection says
// inactive, in the container that made the change at once and in another
// container once its revocation list is due, while a warm verification still
// reads nothing from the table.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REVOCATION_MAX_STALE_MS } from '../../shared/credentials/revocation.js';
import { useRuntime } from '../../shared/runtime.js';
import { formBasic, FORM, provisionApp, type ProvisionedApp } from '../support/consumers.js';
import { container, type Container } from '../support/faults.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { deployProxy } from '../support/proxies.js';

let platform: TestPlatform;
let other: Container;
/** A resource server's client of the same organization: introspects the tokens. */
let introspector: ProvisionedApp;
const BASE = '/v1/organizations/default';

beforeAll(async () => {
  platform = await startPlatform();
  other = container(platform.local.runtime);
  introspector = await provisionApp(platform, { product: 'introspection', email: 'resource-server@example.com', appName: 'resource-server' });
  await deployProxy(platform, {
    name: 'guarded',
    policies: [
      { name: 'verify', type: 'OAuthV2', config: { operation: 'VerifyAccessToken' } },
      { name: 'done', type: 'AssignMessage', config: { set: { payload: { content: 'ok', contentType: 'text/plain' } } } },
    ],
    proxyEndpoints: [{ basePath: '/guarded', preFlow: { request: [{ name: 'verify' }], response: [{ name: 'done' }] } }],
  });
});
afterAll(async () => {
  vi.useRealTimers();
  useRuntime(platform.local.runtime);
  await other.close();
  await platform.close();
});

async function tokenFor(app: ProvisionedApp): Promise<string> {
  const issued = await platform.request('POST', '/oauth/token', { auth: formBasic(app.consumerKey, app.consumerSecret), headers: FORM, body: 'grant_type=client_credentials' });
  expect(issued.status, issued.text).toBe(200);
  return issued.json.access_token as string;
}

const call = (token: string) => platform.proxy('GET', '/guarded', { auth: `Bearer ${token}` });
const introspect = async (token: string) =>
  (await platform.request('POST', '/oauth/introspect', { auth: formBasic(introspector.consumerKey, introspector.consumerSecret), headers: FORM, body: `token=${encodeURIComponent(token)}` })).json;

/** Counts the table calls `runtime`'s document client sends while `work` runs. */
async function tableCalls(runtime: Container['runtime'], work: () => Promise<unknown>): Promise<number> {
  let calls = 0;
  const name = `count-${Math.random()}`;
  runtime.table.doc.middlewareStack.add((next) => async (args) => {
    calls++;
    return next(args);
  }, { step: 'initialize', name });
  try {
    await work();
  } finally {
    runtime.table.doc.middlewareStack.remove(name);
  }
  return calls;
}

type Withdrawal = (app: ProvisionedApp, product: string) => Promise<void>;

const withdrawals: [string, Withdrawal][] = [
  ['the product removed from the key', async (app, product) => {
    const removed = await platform.request('DELETE', `${BASE}/developers/${app.email}/apps/${app.appName}/keys/${app.consumerKey}/apiproducts/${product}`);
    expect(removed.status, removed.text).toBe(200);
  }],
  ['the product deleted', async (_app, product) => {
    expect((await platform.request('DELETE', `${BASE}/apiproducts/${product}`)).status).toBe(200);
  }],
  ['the app set to pending', async (app) => {
    const updated = await platform.request('PUT', `${BASE}/developers/${app.email}/apps/${app.appName}`, { json: { name: app.appName, status: 'pending' } });
    expect(updated.status, updated.text).toBe(200);
  }],
  ['the app revoked', async (app) => {
    expect((await platform.request('POST', `${BASE}/developers/${app.email}/apps/${app.appName}?action=revoke`)).status).toBe(204);
  }],
  ['the developer set inactive', async (app) => {
    expect((await platform.request('POST', `${BASE}/developers/${app.email}?action=inactive`)).status).toBe(204);
  }],
];

describe('withdrawn authorization reaches live tokens within the documented bound', () => {
  let n = 0;
  it.each(withdrawals)('refuses a live token after %s, here at once and in another container within the bound', async (_what, withdraw) => {
    n++;
    const product = `withdrawn-${n}`;
    const app = await provisionApp(platform, { product, email: `withdrawn${n}@example.com`, appName: `withdrawn-app-${n}`, productFields: { proxies: ['guarded'] } });
    const token = await tokenFor(app);
    expect((await call(token)).status).toBe(200);
    expect(await introspect(token)).toMatchObject({ active: true, api_products: [product] });
    // The other container is warm: its consumer, product and revocation list are cached.
    useRuntime(other.runtime);
    expect((await call(token)).status).toBe(200);
    expect(await tableCalls(other.runtime, () => call(token))).toBe(0);
    useRuntime(platform.local.runtime);

    await withdraw(app, product);
    const refused = await call(token);
    expect(refused.status, refused.text).toBe(401);
    expect(refused.json.fault.detail.errorcode).toMatch(/^keymanagement\.service\./);
    expect(await introspect(token)).toEqual({ active: false });

    useRuntime(other.runtime);
    try {
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + REVOCATION_MAX_STALE_MS + 1 });
      const late = await call(token);
      expect(late.status, late.text).toBe(401);
      expect(await introspect(token)).toEqual({ active: false });
      // Warm again: the refusal itself reads nothing more.
      expect(await tableCalls(other.runtime, () => call(token))).toBe(0);
    } finally {
      vi.useRealTimers();
      useRuntime(platform.local.runtime);
    }
  });
});
