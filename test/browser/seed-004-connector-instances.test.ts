// Seed 004 (About Authenticating Connector Instances), clicked through the
// console: authenticate an instance through the hosted OAuth callback in a
// popup (oidc-provider is the vendor), then on the connector card's instances
// banner: the instance id at the top of the card and View Token; API Docs with
// Try it out (a real call, Element header, vendor checks the token); Edit and
// Update; Edit and Re-Authenticate; Delete with confirmation.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeInPopup, closeAll, expectAccessible, expectCleanRun, HAS_CHROMIUM, openBrowser, screenshot, type WatchedPage } from '../support/browser.js';
import { HOSTED_CLIENT, startOAuthVendor, type OAuthVendor } from '../support/oauth-vendor.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;
let vendor: OAuthVendor;
let browser: Browser;
let tab: WatchedPage;

describe.skipIf(!HAS_CHROMIUM)('seed 004: connector instances in the console', () => {
  beforeAll(async () => {
    platform = await startPlatform();
    vendor = await startOAuthVendor(platform.url);
    expect((await platform.request('POST', '/elements/api-v2/elements', { json: vendor.element('acme-crm') })).status).toBe(200);
    ({ browser, tab } = await openBrowser(platform.url, platform.local.credentials));
  }, 60_000);

  afterAll(() => closeAll(browser, vendor, platform));

  const card = () => tab.page.getByRole('listitem', { name: 'Acme CRM' });
  const instanceCard = () => card().getByRole('article');

  it('authenticates an instance through the hosted callback in a popup', async () => {
    const { page } = tab;
    await page.getByRole('link', { name: 'Catalog' }).click();
    await page.getByLabel('Search connectors').fill('acme');
    await expect.poll(() => page.getByRole('list', { name: 'Connector catalog' }).getByRole('listitem').count()).toBe(1);
    await expectAccessible(page, 'connectors');
    await screenshot(page, 'console-connectors');
    await card().getByRole('button', { name: 'Authenticate' }).click();
    await page.getByRole('dialog').getByLabel('Instance name').fill('Acme sales');
    await page.getByRole('dialog').getByLabel('Tags').fill('sales, eu');
    await expectAccessible(page, 'connectors: authenticate dialog');
    await authorizeInPopup(tab, HOSTED_CLIENT, 'Create Instance');
    await page.getByText(/Instance \d+ created/).waitFor();
    const instances = (await platform.request('GET', '/elements/api-v2/instances')).json as { id: number; name: string; tags: string[] }[];
    expect(instances).toEqual([expect.objectContaining({ name: 'Acme sales', tags: ['sales', 'eu'] })]);
  });

  it('shows the instance id at the top of the card and its token behind View Token', async () => {
    const { page } = tab;
    // 1. Click the instances banner on a connector card (opened already after creation; close and open it).
    const banner = card().getByRole('button', { name: '1 instance' });
    if ((await banner.getAttribute('aria-expanded')) === 'true') await banner.click();
    await banner.click();
    // 2. Note the connector instance ID at the top of the card.
    const id = Number(await instanceCard().getByTestId('instance-id').textContent());
    const instance = (await platform.request('GET', `/elements/api-v2/instances/${id}`)).json as { id: number; token: string };
    expect(instance.id).toBe(id);
    // 3. Hover over the connector instance card, and then click View Token.
    await instanceCard().hover();
    await instanceCard().getByRole('button', { name: 'View Token' }).click();
    await expect.poll(() => page.getByTestId('instance-token').textContent()).toBe(instance.token);
    await expectAccessible(page, 'connectors: view token');
    await screenshot(page, 'console-instance-token');
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).last().click();
  });

  it('tests the instance in its API docs: Try it out sends a real call with the Element token', async () => {
    const { page } = tab;
    const before = vendor.api.requests.length;
    // 1.-2. The instances banner is open; hover over the card, click API Docs.
    await instanceCard().hover();
    await instanceCard().getByRole('link', { name: 'API Docs' }).click();
    await page.getByRole('heading', { name: /API Docs: Acme sales/ }).waitFor();
    // 3. Expand the endpoint; 4. Try it out; 6. Execute.
    await page.locator('.opblock-summary', { hasText: '/me' }).first().click();
    await page.getByRole('button', { name: 'Try it out' }).click();
    await page.getByRole('button', { name: 'Execute' }).click();
    const response = page.locator('.live-responses-table tbody .response-col_status').first();
    await expect.poll(() => response.textContent(), { timeout: 15_000 }).toContain('200');
    await expect.poll(() => page.locator('.live-responses-table tbody .response-col_description').first().textContent()).toContain('"path": "/api/me"');
    expect(vendor.api.requests.slice(before).map((r) => r.path)).toEqual(['/api/me']);
    await screenshot(page, 'console-instance-api-docs');
    await expectAccessible(page, 'connectors: API docs');
  });

  it('edits the name and tags with Update', async () => {
    const { page } = tab;
    await page.getByRole('link', { name: /Back to Acme CRM/ }).click();
    await instanceCard().hover();
    await instanceCard().getByRole('button', { name: 'Edit' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Instance name').fill('');
    await dialog.getByRole('button', { name: 'Update' }).click();
    // The server's field error shows next to the field; what was typed stays.
    await expect.poll(() => dialog.locator('.field.invalid').count()).toBeGreaterThan(0);
    await expect.poll(() => dialog.getByLabel('Tags').inputValue()).toBe('sales, eu');
    await dialog.getByLabel('Instance name').fill('Acme sales EU');
    await dialog.getByLabel('Tags').fill('sales, eu, prod');
    await dialog.getByRole('button', { name: 'Update' }).click();
    await instanceCard().getByRole('heading', { name: 'Acme sales EU' }).waitFor();
    const [instance] = (await platform.request('GET', '/elements/api-v2/instances')).json as { name: string; tags: string[] }[];
    expect(instance).toMatchObject({ name: 'Acme sales EU', tags: ['sales', 'eu', 'prod'] });
  });

  it('re-authenticates from Edit: a new vendor grant, same id and token', async () => {
    const { page } = tab;
    const [before] = (await platform.request('GET', '/elements/api-v2/instances')).json as { id: number }[];
    const token = (await platform.request('GET', `/elements/api-v2/instances/${before!.id}`)).json.token as string;
    const grants = vendor.as.tokenRequests.filter((r) => r.grantType === 'authorization_code').length;
    await instanceCard().hover();
    await instanceCard().getByRole('button', { name: 'Edit' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Re-Authenticate' }).click();
    await authorizeInPopup(tab, HOSTED_CLIENT, 'Re-Authenticate');
    await instanceCard().getByText('Re-authenticated.').waitFor();
    await expect.poll(() => vendor.as.tokenRequests.filter((r) => r.grantType === 'authorization_code').length).toBe(grants + 1);
    const after = (await platform.request('GET', `/elements/api-v2/instances/${before!.id}`)).json as { id: number; token: string; name: string };
    expect(after).toMatchObject({ id: before!.id, token, name: 'Acme sales EU' });
  });

  it('deletes the instance after a confirmation', async () => {
    const { page } = tab;
    await instanceCard().hover();
    await instanceCard().getByRole('button', { name: /Delete instance/ }).click();
    await expectAccessible(page, 'connectors: delete confirmation');
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => card().getByRole('article').count()).toBe(0);
    expect((await platform.request('GET', '/elements/api-v2/instances')).json).toEqual([]);
    expectCleanRun(tab, platform.url, [vendor.as.issuer]);
    expect(tab.errors.filter((e) => !/401|Failed to load resource/.test(e))).toEqual([]);
  });
});
