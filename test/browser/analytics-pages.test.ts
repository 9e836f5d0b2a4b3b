// The console's analytics pages in a browser: API traffic shows the counts the
// stats API keeps for calls made through the runtime (totals, errors, per
// proxy and per status); Trace starts a session on a deployed revision, lists
// the call it captured and shows its steps with their variables, with the
// consumer key masked; Connectors > Activity lists connector calls from the
// usage API and filters them. axe finds no serious violation on any of them.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyticsRecorder } from '../../shared/analytics/recorder.js';
import { startBackend, type Backend } from '../support/backend.js';
import { closeAll, expectAccessible, expectCleanRun, HAS_CHROMIUM, openBrowser, screenshot, type WatchedPage } from '../support/browser.js';
import { provisionApp, type ProvisionedApp } from '../support/consumers.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { startVendor, type VendorServer } from '../support/vendor.js';
import { deployProxy } from '../support/proxies.js';

let platform: TestPlatform;
let backend: Backend;
let vendor: VendorServer;
let app: ProvisionedApp;
let browser: Browser;
let tab: WatchedPage;

/** Backend statuses of the calls made before the pages open: 2 of 5 are errors. */
const STATUSES = [200, 200, 201, 404, 500];

const flush = () => analyticsRecorder(platform.local.runtime).flush();

describe.skipIf(!HAS_CHROMIUM)('console: API traffic and trace', () => {
  beforeAll(async () => {
    platform = await startPlatform();
    backend = await startBackend((request, res) => {
      const status = Number(/\/status\/(\d+)/.exec(request.url ?? '')?.[1] ?? 200);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status }));
    });
    app = await provisionApp(platform, { product: 'orders-product', appName: 'orders-app' });
    await deployProxy(platform, {
      name: 'orders',
      policies: [{ name: 'check-key', type: 'VerifyAPIKey', config: { apiKey: { ref: 'request.header.x-api-key' } } }],
      proxyEndpoints: [{ basePath: '/orders', preFlow: { request: [{ name: 'check-key' }], response: [] } }],
      targetEndpoints: [{ connection: { url: backend.url } }],
    });
    for (const status of STATUSES) {
      const response = await platform.proxy('GET', `/orders/status/${status}`, { headers: { 'x-api-key': app.consumerKey } });
      expect(response.status).toBe(status);
    }
    // Connector calls through an instance of a loopback element: two found, one not.
    vendor = await startVendor((request, res) => {
      res.writeHead(request.path === '/api/contacts' ? 200 : 404, { 'content-type': 'application/json' });
      res.end('[]');
    });
    const element = { key: 'activity-loop', name: 'Activity loopback', baseUrl: `${vendor.url}/api`, authentication: { type: 'basic' }, resources: [{ name: 'contacts', path: '/contacts', methods: ['GET'] }] };
    expect((await platform.request('POST', '/elements/api-v2/elements', { json: element })).status).toBe(200);
    const instance = await platform.request('POST', '/elements/api-v2/elements/activity-loop/instances', { json: { name: 'CRM', configuration: { username: 'u', password: 'p' } } });
    expect(instance.status, instance.text).toBe(200);
    for (const path of ['contacts', 'contacts', 'missing']) {
      await platform.request('GET', `/elements/api-v2/${path}`, { auth: `${platform.auth}, Element ${instance.json.token}` });
    }
    await flush();
    ({ browser, tab } = await openBrowser(platform.url, platform.local.credentials));
  }, 60_000);

  afterAll(async () => {
    await closeAll(browser, platform);
    await backend?.close();
    await vendor?.close();
  });

  it('shows the totals, the calls per proxy and per status of the period', async () => {
    const { page } = tab;
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'API traffic' }).click();
    await page.getByRole('heading', { name: 'API traffic' }).waitFor();
    await expect.poll(() => page.getByTestId('total-calls').textContent()).toBe('5');
    expect(await page.getByTestId('total-errors').textContent()).toMatch(/^2 \(40\.0%\)/);
    const row = page.getByRole('row', { name: /^orders / });
    expect(await row.getByRole('cell').nth(1).textContent()).toBe('5');
    expect(await row.getByRole('cell').nth(2).textContent()).toBe('2');
    await page.getByRole('img', { name: /5 calls in the period/ }).waitFor();
    await page.getByLabel('Group by').selectOption('response_status_code');
    await page.getByRole('cell', { name: '404', exact: true }).waitFor();
    const statuses = await page.locator('tbody tr td:first-child').allTextContents();
    expect(statuses.sort()).toEqual(['200', '201', '404', '500']);
    await expectAccessible(page, 'API traffic');
    await screenshot(page, 'console-analytics');
  });

  it('traces a call: the captured call with its steps and variables, the consumer key masked', async () => {
    const { page } = tab;
    await page.getByRole('link', { name: 'Trace' }).click();
    await page.getByRole('heading', { name: 'Trace', exact: true }).waitFor();
    // The proxy list arrives after the heading: the first deployed proxy is chosen once it has.
    await expect.poll(() => page.getByLabel('Deployed API proxy').inputValue()).toBe('orders');
    await page.getByLabel('Capture calls where (optional)').fill('request.header.x-debug = "1"');
    await page.getByRole('button', { name: 'Start trace session' }).click();
    await page.getByText(/Capturing for \d+ more seconds: 0 of at most 20 calls/).waitFor();

    // One call the filter selects, one it does not.
    expect((await platform.proxy('GET', '/orders/status/200', { headers: { 'x-api-key': app.consumerKey, 'x-debug': '1' } })).status).toBe(200);
    expect((await platform.proxy('GET', '/orders/status/201', { headers: { 'x-api-key': app.consumerKey } })).status).toBe(201);
    await flush();
    const call = page.locator('.trace-ids button');
    await call.first().waitFor();
    expect(await call.count()).toBe(1);
    await call.first().click();
    await page.getByRole('heading', { name: /GET \/orders\/status\/200 → 200/ }).waitFor();
    const step = page.locator('.trace-points > li.executed', { hasText: 'check-key' });
    await step.getByText(/VerifyAPIKey check-key: executed in [\d.]+ ms/).click();
    const variable = step.getByRole('row').filter({ has: page.getByRole('cell', { name: 'developer.app.name', exact: true }) });
    expect(await variable.getByRole('cell').allTextContents()).toEqual(['Set', 'developer.app.name', 'orders-app']);
    await page.locator('.trace-points summary', { hasText: 'Proxy request received' }).click();
    await page.getByRole('cell', { name: 'x-api-key' }).first().waitFor();
    expect(await page.content()).not.toContain(app.consumerKey);
    await expectAccessible(page, 'trace');
    await screenshot(page, 'console-trace');

    await page.getByRole('button', { name: 'Delete session' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => page.locator('.trace-ids').count()).toBe(0);
  });

  it('lists connector calls newest first and filters them by outcome', async () => {
    const { page } = tab;
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Activity' }).click();
    await page.getByRole('heading', { name: 'Connector activity' }).waitFor();
    const rows = page.locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    expect(await rows.first().getByRole('code').textContent()).toBe('GET /missing');
    expect(await page.getByRole('link', { name: 'Activity' }).getAttribute('aria-current')).toBe('page');
    expect(await page.getByRole('link', { name: 'Catalog' }).getAttribute('aria-current')).toBeNull();
    await page.getByLabel('Outcome').selectOption('failed');
    await page.getByRole('button', { name: 'Show calls' }).click();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getByRole('cell').nth(4).textContent()).toBe('404');
    await expectAccessible(page, 'connector activity');
    await screenshot(page, 'console-connector-activity');
    expectCleanRun(tab, platform.url);
  });
});
