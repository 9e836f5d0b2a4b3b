// The developer portal in a browser: the catalog without signing in (public
// products only), sign-up, an application subscribed to a product with its
// key and secret, a token from the token service and a call to the proxy
// behind OAuth 2.0 from the page, answered 200; a developer invited from the
// console sets a password from the invitation link. axe on every page.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../support/backend.js';
import { closeAll, expectAccessible, expectCleanRun, HAS_CHROMIUM, openBrowser, screenshot, signInToConsole, type WatchedPage } from '../support/browser.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { deployProxy } from '../support/proxies.js';

let platform: TestPlatform;
let backend: Backend;
let browser: Browser;
let tab: WatchedPage;

describe.skipIf(!HAS_CHROMIUM)('developer portal', () => {
  beforeAll(async () => {
    platform = await startPlatform();
    backend = await startBackend((_request, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"orders":[{"id":1}]}');
    });
    await deployProxy(platform, {
      name: 'orders',
      // CORS first, as Apigee's portal asks of a proxy its pages call: the preflight is answered before the token check.
      policies: [
        { name: 'cors', type: 'CORS', config: {} },
        { name: 'verify', type: 'OAuthV2', config: { operation: 'VerifyAccessToken' } },
      ],
      proxyEndpoints: [{ basePath: '/orders', preFlow: { request: [{ name: 'cors' }, { name: 'verify' }], response: [] } }],
      targetEndpoints: [{ connection: { url: backend.url } }],
    });
    for (const [name, access] of [['orders-api', 'public'], ['partners', 'private'], ['backoffice', 'internal']]) {
      const response = await platform.request('POST', '/v1/organizations/default/apiproducts', {
        json: { name, displayName: `${name} product`, description: `The ${name} APIs.`, proxies: ['orders'], attributes: [{ name: 'access', value: access }] },
      });
      expect(response.status).toBe(201);
    }
    ({ browser, tab } = await openBrowser(platform.url));
  }, 60_000);

  afterAll(() => closeAll(browser, backend, platform));

  it('shows only public products before sign-in', async () => {
    const { page } = tab;
    await page.goto('/portal');
    const products = page.getByRole('list', { name: 'Products' });
    await products.getByRole('link', { name: 'orders-api product' }).waitFor();
    expect(await products.getByRole('listitem').count()).toBe(1);
    await expectAccessible(page, 'portal home');
    await screenshot(page, 'portal-home');
    await products.getByRole('link', { name: 'orders-api product' }).click();
    await page.getByRole('cell', { name: 'orders', exact: true }).waitFor();
    expect(await page.getByText(`${platform.runtimeUrls.prod}/orders`).count()).toBe(1);
    await screenshot(page, 'portal-product');
  });

  it('signs up, subscribes with a new application and shows key and secret', async () => {
    const { page } = tab;
    await page.getByRole('link', { name: 'Sign up' }).first().click();
    await page.getByLabel('Email').fill('pat@example.com');
    await page.getByLabel('First name').fill('Pat');
    await page.getByLabel('Last name').fill('Partner');
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Sign up' }).last().click();
    // The server's field error next to the field; nothing typed is lost.
    await page.getByText('must be 10 to 256 characters').waitFor();
    expect(await page.getByLabel('Email').inputValue()).toBe('pat@example.com');
    await expectAccessible(page, 'portal sign-up with errors');
    await page.getByLabel('Password').fill('a long enough passphrase');
    await page.getByRole('button', { name: 'Sign up' }).last().click();
    await page.getByRole('heading', { name: 'My applications' }).waitFor();
    // Signed in, the private product shows too; the internal one never.
    await page.getByRole('link', { name: 'Products' }).click();
    await page.getByRole('link', { name: 'partners product' }).waitFor();
    expect(await page.getByRole('link', { name: 'backoffice product' }).count()).toBe(0);
    await page.getByRole('link', { name: 'orders-api product' }).click();
    await page.getByRole('button', { name: 'Subscribe' }).click();
    const form = page.getByRole('form', { name: 'Create New Application' });
    await form.getByLabel('Application Title').fill('Pat app');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Application Pat app created').waitFor();
    await page.getByRole('button', { name: 'Show Application Secret' }).click();
    expect(await page.getByTestId('consumer-secret').getAttribute('data-value')).toMatch(/\S{16,}/);
    await expectAccessible(page, 'portal app created');
  });

  it('gets a token and calls the proxy from the page: 200', async () => {
    const { page } = tab;
    await page.getByRole('link', { name: 'Try it with this application' }).click();
    await page.getByRole('button', { name: 'Get New Access Token' }).click();
    await page.getByTestId('access-token').waitFor();
    const call = page.getByRole('form', { name: 'Try an API' });
    await call.getByLabel('Request URL').fill(`${platform.runtimeUrls.prod}/orders`);
    await call.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => page.getByTestId('status').textContent()).toBe('200');
    expect(await page.getByTestId('response-body').textContent()).toBe('{"orders":[{"id":1}]}');
    await screenshot(page, 'portal-app');
    await expectAccessible(page, 'portal app');
    // Without the token the proxy refuses.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('link', { name: 'Sign in' }).first().waitFor();
    expectCleanRun(tab, platform.url, [platform.runtimeUrls.prod]);
  });

  it('lets a developer the API team invited from the console choose a password from the link', async () => {
    const { page } = tab;
    await signInToConsole(page, platform.local.credentials);
    await page.getByRole('link', { name: 'Developers' }).click();
    await page.getByRole('button', { name: 'Create' }).click();
    const form = page.getByRole('form', { name: 'New developer' });
    await form.getByLabel('Email').fill('ivy@example.com');
    await form.getByLabel('First name').fill('Ivy');
    await form.getByLabel('Last name').fill('Invited');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'Invite ivy@example.com to the developer portal' }).click();
    const url = (await page.getByTestId('invitation-url').textContent())!;
    expect(url).toMatch(/\/portal\/accept\?token=tgdev_/);
    await page.goto(url);
    await page.getByRole('heading', { name: 'Accept your invitation' }).waitFor();
    await expectAccessible(page, 'portal invitation');
    await page.getByLabel('Password').fill('ivy chose this passphrase');
    await page.getByRole('button', { name: 'Accept your invitation' }).click();
    await page.getByRole('heading', { name: 'My applications' }).waitFor();
    expect(await page.getByText('ivy@example.com').count()).toBe(1);
  });
});
