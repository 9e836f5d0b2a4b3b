// Every console page in a browser: axe finds no serious or critical
// violation, a screenshot of each is kept, nothing loads from another origin
// and no CSP rule is broken; sign-in works by keyboard alone, with the
// server's refusal shown; dialogs trap and return focus; a session ends when
// it expires or when the server stops accepting it; the first load of the
// console stays under 300 KB on the wire.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, expectAccessible, expectCleanRun, HAS_CHROMIUM, openBrowser, readSessionItem, screenshot, signInAsUser, signInToConsole, transferredBytes, type WatchedPage, writeSessionItem } from '../support/browser.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { simpleProxy, deployProxy } from '../support/proxies.js';

const SESSION_KEY = 'tollgate.console.session';
let platform: TestPlatform;
let browser: Browser;
let tab: WatchedPage;

describe.skipIf(!HAS_CHROMIUM)('console pages', () => {
  beforeAll(async () => {
    platform = await startPlatform();
    await deployProxy(platform, simpleProxy('hello', '/hello', 'http://127.0.0.1:9/'));
    await platform.request('POST', '/v1/organizations/default/apiproducts', { json: { name: 'hello-product', proxies: ['hello'], scopes: ['read'] } });
    await platform.request('POST', '/v1/organizations/default/developers', { json: { email: 'ann@example.com', firstName: 'Ann', lastName: 'Lee', userName: 'ann' } });
    await platform.request('POST', '/v1/organizations/default/developers/ann@example.com/apps', { json: { name: 'ann-app', apiProducts: ['hello-product'] } });
    await platform.request('POST', '/v1/organizations/default/environments/prod/keyvaluemaps', { json: { name: 'settings', encrypted: true, entry: [{ name: 'apiKey', value: 'kvm-secret-value-1' }] } });
    await platform.request('POST', '/v1/organizations/default/apiproviders', { json: { name: 'backend', type: 'Internet', url: 'http://127.0.0.1:9/' } });
    ({ browser, tab } = await openBrowser(platform.url));
  }, 60_000);

  afterAll(() => closeAll(browser, platform));

  it('loads the console within 300 KB on the wire', async () => {
    const { page } = tab;
    await page.goto('/console');
    await page.getByRole('heading', { name: 'Sign in to Tollgate' }).waitFor();
    const bytes = await transferredBytes(page);
    expect(bytes).toBeGreaterThan(10_000);
    expect(bytes).toBeLessThan(300 * 1024);
    await expectAccessible(page, 'sign-in');
    await screenshot(page, 'console-sign-in');
  });

  it('signs in by keyboard alone, after a refusal shown in the form', async () => {
    const { page } = tab;
    // The radio group by arrow keys, then the fields in tab order.
    await page.getByLabel('Management user').focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByLabel('Platform credentials').isChecked()).toBe(true);
    await page.keyboard.press('Tab');
    expect(await page.locator(':focus').getAttribute('name')).toBe('organization');
    await page.keyboard.press('Tab');
    await page.keyboard.type(platform.local.credentials.userSecret);
    await page.keyboard.press('Tab');
    await page.keyboard.type('wrong-organization-secret');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').getByText(/Authorization|credentials|secret/i).waitFor();
    expect(await page.getByLabel('User secret').inputValue()).toBe(platform.local.credentials.userSecret);
    await page.getByLabel('Organization secret').fill('');
    await page.getByLabel('Organization secret').focus();
    await page.keyboard.type(platform.local.credentials.organizationSecret);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
  });

  it('signs in as a management user: a Bearer token, management pages work, connectors ask for the platform credentials', async () => {
    const { page } = tab;
    const password = (await platform.local.runtime.secrets.get('admin-password'))!;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInAsUser(page, platform.local.admin.email, 'not the password');
    await page.getByRole('alert').getByText(/Invalid email or password/).waitFor();
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
    expect(JSON.parse((await readSessionItem(page, SESSION_KEY))!).authorization).toMatch(/^Bearer tgm_/);
    await page.getByRole('link', { name: 'API providers' }).click();
    await page.getByRole('cell', { name: 'backend' }).waitFor();
    await page.getByRole('link', { name: 'Catalog' }).click();
    await page.getByText(/takes the platform credentials/).waitFor();
    await expectAccessible(page, 'connectors without platform credentials');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInToConsole(page, platform.local.credentials);
  });

  it.each([
    ['API proxies', 'apis'],
    ['API providers', 'providers'],
    ['Key value maps', 'kvms'],
    ['Products', 'products'],
    ['Developers', 'developers'],
    ['Applications', 'apps'],
    ['Catalog', 'connectors'],
  ])('%s passes axe', async (link, name) => {
    const { page } = tab;
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: link }).click();
    await page.locator('main h1').waitFor();
    await page.locator('.loading').waitFor({ state: 'detached' });
    await expectAccessible(page, name);
    await screenshot(page, `console-${name}`);
  });

  it('masks encrypted KVM values', async () => {
    const { page } = tab;
    await page.getByRole('link', { name: 'Key value maps' }).click();
    await page.getByRole('region', { name: 'Map settings' }).getByRole('cell', { name: '*****' }).waitFor();
    expect(await page.content()).not.toContain('kvm-secret-value-1');
  });

  it('moves by keyboard: navigation links, tabs and a dialog that closes with Escape and gives focus back', async () => {
    const { page } = tab;
    await page.getByRole('link', { name: 'API proxies' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: 'hello' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'API proxy hello' }).waitFor();
    await page.getByRole('tab', { name: 'Overview' }).focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.getByRole('tab', { name: 'Resources' }).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.getByRole('tab', { name: 'Policies' }).getAttribute('aria-selected')).toBe('true');
    await expectAccessible(page, 'policies tab');
    await page.getByRole('tab', { name: 'Overview' }).click();
    const deleteButton = page.getByRole('button', { name: 'Delete proxy' });
    await deleteButton.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Delete API proxy hello?' }).waitFor();
    await expectAccessible(page, 'confirmation');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    await expect.poll(() => page.locator(':focus').textContent()).toBe('Delete proxy');
    // The proxy is still there: nothing is deleted without confirming.
    expect((await platform.request('GET', '/v1/organizations/default/apis/hello')).status).toBe(200);
  });

  it('refuses a deployed proxy\'s deletion with the server\'s reason in the dialog', async () => {
    const { page } = tab;
    await page.getByRole('button', { name: 'Delete proxy' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('alert').waitFor();
    expect(await page.getByRole('dialog').getByRole('alert').textContent()).toMatch(/deployed/i);
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  });

  it('links to the platform API reference, which renders the OpenAPI document', async () => {
    const { page } = tab;
    await page.getByRole('link', { name: 'Platform API reference' }).click();
    await page.getByText('Tollgate platform API').first().waitFor();
    // Swagger UI lays out the whole platform document (160 paths) before the first tag shows: more than a step's usual bound on a busy machine.
    await page.locator('.opblock-tag').first().waitFor({ timeout: 45_000 });
    await expectAccessible(page, 'API reference');
    await screenshot(page, 'docs');
  });

  it('ends a session that expired while the tab was away', async () => {
    const { page } = tab;
    await page.goto('/console/apis');
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
    const session = JSON.parse((await readSessionItem(page, SESSION_KEY))!) as { expiresAt: number };
    await writeSessionItem(page, SESSION_KEY, JSON.stringify({ ...session, expiresAt: Date.now() - 1000 }));
    await page.reload();
    await page.getByText('Your session expired. Sign in again.').waitFor();
    await page.getByRole('heading', { name: 'Sign in to Tollgate' }).waitFor();
  });

  it('ends the session when the server no longer accepts it, and signs out on request', async () => {
    const { page } = tab;
    await signInToConsole(page, platform.local.credentials);
    const session = JSON.parse((await readSessionItem(page, SESSION_KEY))!) as { authorization: string };
    await writeSessionItem(page, SESSION_KEY, JSON.stringify({ ...session, authorization: 'User revoked, Organization revoked' }));
    // Opened by its address: the page's first call meets the refused credentials.
    await page.goto('/console/products');
    await page.getByText(/Your session ended/).waitFor();
    await signInToConsole(page, platform.local.credentials);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You signed out.').waitFor();
    expect(await readSessionItem(page, SESSION_KEY)).toBeNull();
    expectCleanRun(tab, platform.url);
  });
});
