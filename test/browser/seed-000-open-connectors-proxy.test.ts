// Seed 000 (an API proxy for an Open Connectors instance with the Open
// Connectors policy), clicked through the console: the instance (authorized
// at oidc-provider in a popup), its token from the instance card, the
// organization and user secret from the account panel, an Open Connectors
// API provider, a proxy on it with a GET /messages resource, the Open
// Connectors policy in the TargetEndpoint PostFlow, the encrypted proxy-scoped
// KVM apim.oc.instance.token with key default, save, deploy; then a call to
// the proxy reaches the vendor with the instance's vendor token.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeInPopup, closeAll, expectAccessible, expectCleanRun, HAS_CHROMIUM, openBrowser, screenshot, type WatchedPage } from '../support/browser.js';
import { HOSTED_CLIENT, startOAuthVendor, type OAuthVendor } from '../support/oauth-vendor.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;
let vendor: OAuthVendor;
let browser: Browser;
let tab: WatchedPage;
const found: Record<string, string> = {};

describe.skipIf(!HAS_CHROMIUM)('seed 000: an API proxy for an Open Connectors instance', () => {
  beforeAll(async () => {
    platform = await startPlatform();
    vendor = await startOAuthVendor(platform.url);
    expect((await platform.request('POST', '/elements/api-v2/elements', { json: { ...vendor.element('outlook-test'), name: 'Outlook (test vendor)' } })).status).toBe(200);
    ({ browser, tab } = await openBrowser(platform.url, platform.local.credentials));
  }, 60_000);

  afterAll(() => closeAll(browser, vendor, platform));

  it('creates the Outlook instance with the OAuth authorization code flow', async () => {
    const { page } = tab;
    await page.getByRole('link', { name: 'Catalog' }).click();
    const card = page.getByRole('listitem', { name: 'Outlook (test vendor)' });
    await card.getByRole('button', { name: 'Authenticate' }).click();
    await page.getByRole('dialog').getByLabel('Instance name').fill('My Outlook');
    await authorizeInPopup(tab, HOSTED_CLIENT, 'Create Instance');
    await page.getByText(/Instance \d+ created/).waitFor();
  });

  it('step 1: collects the organization and user secret and the instance token', async () => {
    const { page } = tab;
    await page.getByRole('button', { name: 'Account' }).click();
    const account = page.getByRole('dialog', { name: 'Account' });
    await account.getByRole('button', { name: 'Show Organization Secret' }).click();
    await account.getByRole('button', { name: 'Show User Secret' }).click();
    found.organizationSecret = (await account.getByTestId('organization-secret').getAttribute('data-value'))!;
    found.userSecret = (await account.getByTestId('user-secret').getAttribute('data-value'))!;
    expect(found).toEqual(platform.local.credentials.organizationSecret ? { organizationSecret: platform.local.credentials.organizationSecret, userSecret: platform.local.credentials.userSecret } : {});
    await expectAccessible(page, 'account');
    await account.getByRole('button', { name: 'Close' }).click();
    // Instance token from the connector's instances banner, View Token.
    const card = page.getByRole('listitem', { name: 'Outlook (test vendor)' });
    const instance = card.getByRole('article');
    if ((await instance.count()) === 0) await card.getByRole('button', { name: '1 instance' }).click();
    await instance.getByRole('button', { name: 'View Token' }).click();
    found.token = (await page.getByTestId('instance-token').textContent())!;
    expect(found.token).toMatch(/\S{20,}/);
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).last().click();
  });

  it('step 2: creates an API provider of type Open Connectors', async () => {
    const { page } = tab;
    await page.getByRole('link', { name: 'API providers' }).click();
    await page.getByRole('button', { name: 'Create' }).click();
    const form = page.getByRole('form', { name: 'New API provider' });
    await form.getByLabel('Name').fill('OpenConnectorsProvider');
    await form.getByLabel('Type').selectOption('OpenConnectors');
    // Saving without the secrets: the server's field errors show next to the fields, the name stays.
    await form.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => form.locator('.field.invalid').count()).toBe(2);
    expect(await form.getByLabel('Name').inputValue()).toBe('OpenConnectorsProvider');
    await screenshot(page, 'console-provider-field-errors');
    await form.getByLabel('Organization Secret').fill(found.organizationSecret!);
    await form.getByLabel('User Secret').fill(found.userSecret!);
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'API provider OpenConnectorsProvider' }).waitFor();
    await page.getByRole('button', { name: 'Test Connection' }).click();
    await page.getByText('Connection successful.').waitFor();
    await expectAccessible(page, 'provider');
  });

  it('step 3: creates the API proxy from the provider and adds the GET /messages resource', async () => {
    const { page } = tab;
    await page.getByRole('link', { name: 'API proxies' }).click();
    await page.getByRole('link', { name: 'Create' }).click();
    const form = page.getByRole('form', { name: 'Create API' });
    await form.getByLabel('API Provider', { exact: true }).check();
    await form.getByRole('combobox', { name: 'API Provider' }).selectOption('OpenConnectorsProvider');
    await form.getByLabel('Name').fill('WebOutlook');
    await form.getByLabel('API Base Path').fill('/weboutlook');
    await expectAccessible(page, 'create API');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'API proxy WebOutlook' }).waitFor();
    await page.getByRole('tab', { name: 'Resources' }).click();
    const add = page.getByRole('form', { name: 'Add resource' });
    await add.getByLabel('Resource path').fill('/messages');
    await expect.poll(() => add.getByLabel('GET').isChecked()).toBe(true);
    await add.getByRole('button', { name: 'Add' }).click();
    await page.getByText('(proxy.pathsuffix MatchesPath "/messages") and (request.verb = "GET")').waitFor();
    await screenshot(page, 'console-proxy-resources');
  });

  it('step 4: adds the Open Connectors policy to the TargetEndpoint PostFlow', async () => {
    const { page } = tab;
    await page.getByRole('tab', { name: 'Policies' }).click();
    await page.getByRole('button', { name: 'PostFlow Request' }).last().click();
    const palette = page.getByRole('form', { name: 'Add policy' });
    await expect.poll(() => palette.textContent()).toContain('TargetEndpoint default: PostFlow Request');
    await palette.getByLabel('Policy type').selectOption('OpenConnectors');
    await palette.getByLabel('Policy name').fill('openConnectors');
    await palette.getByRole('button', { name: 'Add policy' }).click();
    await page.getByRole('list', { name: 'Steps of PostFlow Request' }).getByRole('button', { name: 'openConnectors', exact: true }).waitFor();
    await page.locator('.cm-content').waitFor();
    await expect.poll(() => page.locator('.cm-content').textContent()).toContain('<InstanceTokenMap>apim.oc.instance.token</InstanceTokenMap>');
    await page.getByRole('button', { name: 'Check' }).click();
    await page.getByText('The bundle is valid.').waitFor();
    await screenshot(page, 'console-policy-editor');
    await expectAccessible(page, 'policy editor');
    await page.getByRole('button', { name: 'Save' }).first().click();
    await page.getByText('Saved as revision 2.').waitFor();
  });

  it('step 5: creates the encrypted proxy-scoped KVM apim.oc.instance.token with key default', async () => {
    const { page } = tab;
    await page.getByRole('link', { name: 'Key value maps' }).click();
    await page.getByLabel('Scope').selectOption('apiproxy');
    await page.getByLabel('API proxy').selectOption('WebOutlook');
    const create = page.getByRole('form', { name: 'New key value map' });
    await create.getByLabel('Map name').fill('apim.oc.instance.token');
    await create.getByLabel('Encrypted').selectOption('true');
    await create.getByRole('button', { name: 'Create map' }).click();
    const map = page.getByRole('region', { name: 'Map apim.oc.instance.token' });
    await map.getByLabel('Key').fill('default');
    await map.getByLabel('Value').fill(found.token!);
    await map.getByRole('button', { name: 'Add entry' }).click();
    // Encrypted values read back masked.
    await map.getByRole('cell', { name: '*****' }).waitFor();
    expect(await page.content()).not.toContain(found.token);
    await expectAccessible(page, 'key value maps');
    await screenshot(page, 'console-kvms');
  });

  it('deploys the proxy; a GET /messages runs the Open Connectors policy and reaches the vendor', async () => {
    const { page } = tab;
    await page.getByRole('link', { name: 'API proxies' }).click();
    await page.getByRole('link', { name: 'WebOutlook' }).click();
    await page.getByRole('button', { name: 'Deploy revision 2 to prod' }).click();
    await page.getByText('Revision 2 deployed to prod.').waitFor();
    await screenshot(page, 'console-proxy-overview');
    const before = vendor.api.requests.length;
    const response = await fetch(`${platform.runtimeUrls.prod}/weboutlook/messages`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ path: '/api/messages', method: 'GET' });
    // The vendor saw the instance's OAuth access token, never the platform secrets.
    const seen = vendor.api.requests.slice(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers.authorization).toMatch(/^Bearer /);
    // A path that is no resource of the proxy matches no flow but the proxy still routes; a POST is not a resource either.
    expect((await fetch(`${platform.runtimeUrls.prod}/weboutlook/messages`, { method: 'POST' })).status).not.toBe(500);
    expectCleanRun(tab, platform.url, [vendor.as.issuer]);
  });
});
