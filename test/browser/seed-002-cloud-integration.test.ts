// Seed 002 (Connect, Expose & Test an SAP Cloud Integration endpoint),
// clicked through the console and the developer portal against a loopback
// Cloud Integration tenant: the API provider (Cloud Integration,
// OAuth2ClientCredentials) with Test Connection; Create API from the provider,
// Discover, the integration flow, its runtime credentials, version v1; Spike
// Arrest and OAuth 2.0 in the ProxyEndpoint PreFlow; save and deploy; the
// token API (OAuthV2 turned into GenerateAccessToken in its XML, the
// oAuthToken flow with the seed's condition, DefaultFaultFlow with Raise
// Fault); the product with both APIs; subscribing in the API Business Hub
// with a new application; its key in the console; then, as the seed does
// with Postman, a token from API 2 and a call to API 1, answered by the
// integration flow. (Calling from the portal page needs CORS on the proxy, as
// on Apigee; portal.test.ts does that.)
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, expectAccessible, expectCleanRun, HAS_CHROMIUM, openBrowser, screenshot, type WatchedPage } from '../support/browser.js';
import { IFLOW, IFLOW_ANSWER, MANAGEMENT_CLIENT, RUNTIME_CLIENT, startCloudIntegration, type CloudIntegrationTenant } from '../support/cloud-integration.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { POLICY_TEMPLATES, policyXml } from '../../web/src/console/policy-templates.js';

const CONDITION = '(proxy.pathsuffix MatchesPath "/OAuthToken" OR proxy.pathsuffix MatchesPath "/OAuthToken/**" OR proxy.pathsuffix MatchesPath "/OAuthToken(**")AND(request.verb = "POST")';
const FAULT_CONDITION = 'proxy.pathsuffix MatchesPath "/OAuthToken" OR proxy.pathsuffix MatchesPath "/OAuthToken/**" OR proxy.pathsuffix MatchesPath "/OAuthToken(**"';

let platform: TestPlatform;
let tenant: CloudIntegrationTenant;
let browser: Browser;
let tab: WatchedPage;
const app: { key?: string; secret?: string } = {};

describe.skipIf(!HAS_CHROMIUM)('seed 002: a Cloud Integration flow exposed as an API', () => {
  beforeAll(async () => {
    platform = await startPlatform();
    tenant = await startCloudIntegration();
    ({ browser, tab } = await openBrowser(platform.url, platform.local.credentials));
  }, 60_000);

  afterAll(() => closeAll(browser, tenant, platform));

  it('1. creates the Cloud Integration API provider and tests its connection', async () => {
    const { page } = tab;
    await page.getByRole('link', { name: 'API providers' }).click();
    await page.getByRole('button', { name: 'Create' }).click();
    const form = page.getByRole('form', { name: 'New API provider' });
    await form.getByLabel('Name').fill('CPI_Tenant');
    await form.getByLabel('Description').fill('Cloud Integration tenant (api plan)');
    await form.getByLabel('Type').selectOption('CloudIntegration');
    await form.getByLabel('Host (Cloud Integration management URL)').fill(tenant.url);
    await form.getByLabel('Token URL').fill(tenant.managementTokenUrl);
    await form.getByLabel('Client ID').fill(MANAGEMENT_CLIENT.id);
    await form.getByLabel('Client Secret').fill(MANAGEMENT_CLIENT.secret);
    await expectAccessible(page, 'new provider');
    await screenshot(page, 'console-provider-new');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'API provider CPI_Tenant' }).waitFor();
    await page.getByRole('button', { name: 'Test Connection' }).click();
    await page.getByText('Connection successful.').waitFor();
    await page.getByRole('button', { name: 'Discover' }).click();
    await page.getByText(`${IFLOW.name} (${IFLOW.id}, version 1.0.0, STARTED)`).waitFor();
    // Value mappings are no integration flows.
    expect(await page.getByText('Shared Mappings').count()).toBe(0);
    await screenshot(page, 'console-provider');
  });

  it('2. creates API 1 from the provider: Discover, the integration flow, its runtime credentials, version v1', async () => {
    const { page } = tab;
    await page.getByRole('link', { name: 'API proxies' }).click();
    await page.getByRole('link', { name: 'Create' }).click();
    const form = page.getByRole('form', { name: 'Create API' });
    await form.getByLabel('API Provider', { exact: true }).check();
    await form.getByRole('combobox', { name: 'API Provider' }).selectOption('CPI_Tenant');
    await form.getByRole('button', { name: 'Discover' }).click();
    await form.getByLabel(new RegExp(IFLOW.name)).check();
    await form.getByRole('button', { name: 'Next' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create API Provider for the integration flow' });
    await dialog.getByLabel('Token URL').fill(tenant.runtimeTokenUrl);
    await dialog.getByLabel('Client ID').fill(RUNTIME_CLIENT.id);
    await dialog.getByLabel('Client Secret').fill(RUNTIME_CLIENT.secret);
    await expectAccessible(page, 'runtime credentials dialog');
    await dialog.getByRole('button', { name: 'Done' }).click();
    expect(await form.getByLabel('Name').inputValue()).toBe(IFLOW.id);
    await form.getByLabel('Version').fill('v1');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: `API proxy ${IFLOW.id}_v1` }).waitFor();
  });

  it('assigns Spike Arrest and OAuth 2.0 in the ProxyEndpoint PreFlow, saves and deploys', async () => {
    const { page } = tab;
    await page.getByRole('tab', { name: 'Policies' }).click();
    await page.getByRole('button', { name: 'PreFlow Request' }).first().click();
    const palette = page.getByRole('form', { name: 'Add policy' });
    await palette.getByLabel('Policy type').selectOption('SpikeArrest');
    await palette.getByRole('button', { name: 'Add policy' }).click();
    await palette.getByLabel('Policy type').selectOption('OAuthV2');
    await palette.getByRole('button', { name: 'Add policy' }).click();
    const steps = page.getByRole('list', { name: 'Steps of PreFlow Request' }).first();
    await expect.poll(() => steps.getByRole('listitem').allTextContents()).toEqual([expect.stringContaining('SpikeArrest-1'), expect.stringContaining('OAuthV2-1')]);
    await page.getByRole('button', { name: 'Save' }).first().click();
    await page.getByText('Saved as revision 2.').waitFor();
    await page.getByRole('tab', { name: 'Overview' }).click();
    await page.getByRole('button', { name: 'Deploy revision 2 to prod' }).click();
    await page.getByText('Revision 2 deployed to prod.').waitFor();
    await expectAccessible(page, 'proxy overview');
    // Deployed with the policies: no token, no entry.
    const response = await fetch(`${platform.runtimeUrls.prod}/api_connectivity_test/v1`);
    expect(response.status).toBe(401);
  });

  it('creates API 2, the token API: GenerateAccessToken in the oAuthToken flow, Raise Fault in DefaultFaultFlow', async () => {
    const { page } = tab;
    await page.getByRole('link', { name: 'API proxies' }).click();
    await page.getByRole('link', { name: 'Create' }).click();
    const form = page.getByRole('form', { name: 'Create API' });
    await form.getByLabel('URL', { exact: true }).check();
    await form.getByRole('textbox', { name: 'URL' }).fill(`${tenant.url}${IFLOW.path}`);
    await form.getByLabel('Name').fill('iflow_token');
    await form.getByLabel('API Base Path').fill('/iflow-token');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'API proxy iflow_token' }).waitFor();
    await page.getByRole('tab', { name: 'Policies' }).click();

    // The oAuthToken flow with the seed's condition string, and OAuth v2.0 in it.
    await page.getByRole('button', { name: 'Add flow' }).first().click();
    let addFlow = page.getByRole('form', { name: 'Add flow' });
    await addFlow.getByLabel('Flow name').fill('oAuthToken');
    await addFlow.getByLabel('Condition').fill(CONDITION);
    await addFlow.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('button', { name: 'Flow oAuthToken Request' }).click();
    const palette = page.getByRole('form', { name: 'Add policy' });
    await palette.getByLabel('Policy type').selectOption('OAuthV2');
    await palette.getByLabel('Policy name').fill('generateToken');
    await palette.getByRole('button', { name: 'Add policy' }).click();
    // Change the XML: Operation VerifyAccessToken -> GenerateAccessToken.
    const editor = page.locator('.cm-content');
    await expect.poll(() => editor.textContent()).toContain('<Operation>VerifyAccessToken</Operation>');
    // The palette's template, with the one change the seed makes.
    const xml = policyXml(POLICY_TEMPLATES.find((t) => t.type === 'OAuthV2')!, 'generateToken').replace('VerifyAccessToken', 'GenerateAccessToken');
    await editor.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Backspace');
    await page.keyboard.insertText(xml);
    await expect.poll(() => editor.textContent()).toContain('<Operation>GenerateAccessToken</Operation>');

    // A typo is caught by the server: its problem shows on the policy's line.
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Backspace');
    await page.keyboard.insertText(xml.replace('GenerateAccessToken', 'RefreshAccessToken'));
    await page.getByRole('button', { name: 'Check' }).click();
    await page.getByRole('list', { name: 'Problems in this file' }).getByText(/RefreshAccessToken is not supported/).waitFor();
    await expect.poll(() => page.locator('.cm-lintRange-error, .cm-lint-marker-error').count()).toBeGreaterThan(0);
    await screenshot(page, 'console-policy-xml-error');
    await editor.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Backspace');
    await page.keyboard.insertText(xml);
    await expect.poll(() => editor.textContent()).toContain('<Operation>GenerateAccessToken</Operation>');

    // DefaultFaultFlow with its condition and a Raise Fault.
    await page.getByRole('button', { name: 'Add flow' }).first().click();
    addFlow = page.getByRole('form', { name: 'Add flow' });
    await addFlow.getByLabel('Kind').selectOption('DefaultFaultRule');
    await addFlow.getByLabel('Flow name').fill('DefaultFaultFlow');
    await addFlow.getByLabel('Condition').fill(FAULT_CONDITION);
    await addFlow.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('button', { name: 'DefaultFaultRule DefaultFaultFlow' }).click();
    await palette.getByLabel('Policy type').selectOption('RaiseFault');
    await palette.getByLabel('Policy name').fill('tokenFault');
    await palette.getByRole('button', { name: 'Add policy' }).click();
    await page.getByRole('button', { name: 'Check' }).click();
    await page.getByText('The bundle is valid.').waitFor();
    await page.getByRole('button', { name: 'Save' }).first().click();
    await page.getByText('Saved as revision 2.').waitFor();
    await page.getByRole('tab', { name: 'Overview' }).click();
    await page.getByRole('button', { name: 'Deploy revision 2 to prod' }).click();
    await page.getByText('Revision 2 deployed to prod.').waitFor();
    // Without client credentials the DefaultFaultFlow answers.
    const refused = await fetch(`${platform.runtimeUrls.prod}/iflow-token/OAuthToken`, { method: 'POST' });
    expect(refused.status).toBe(500);
    expect(await refused.json()).toEqual({ error: 'request failed' });
  });

  it('3. creates the product with both APIs and publishes it', async () => {
    const { page } = tab;
    await page.getByRole('link', { name: 'Products' }).click();
    await page.getByRole('button', { name: 'Create' }).click();
    const form = page.getByRole('form', { name: 'New product' });
    await form.getByLabel('Name').fill('IFlowProduct');
    await form.getByLabel('Title').fill('Integration flows');
    await form.getByLabel(`${IFLOW.id}_v1`).check();
    await form.getByLabel('iflow_token').check();
    await expectAccessible(page, 'new product');
    await form.getByRole('button', { name: 'Publish' }).click();
    await page.getByRole('heading', { name: 'Product Integration flows' }).waitFor();
    await screenshot(page, 'console-product');
  });

  it('4. subscribes in the API Business Hub: sign up, Subscribe, Create New Application, key and secret', async () => {
    const { page } = tab;
    await page.goto('/portal');
    await page.getByRole('link', { name: 'Integration flows' }).click();
    await page.getByRole('heading', { name: 'Integration flows' }).waitFor();
    await expectAccessible(page, 'portal product');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByRole('link', { name: 'Sign up' }).last().click();
    await page.getByLabel('Email').fill('dana@example.com');
    await page.getByLabel('First name').fill('Dana');
    await page.getByLabel('Last name').fill('Developer');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign up' }).last().click();
    await page.getByRole('heading', { name: 'Integration flows' }).waitFor();
    await page.getByRole('button', { name: 'Subscribe' }).click();
    const form = page.getByRole('form', { name: 'Create New Application' });
    await form.getByLabel('Application Title').fill('IFlowApp');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Application IFlowApp created').waitFor();
    await page.getByRole('button', { name: 'Show Application Secret' }).click();
    app.key = (await page.getByTestId('consumer-key').getAttribute('data-value'))!;
    app.secret = (await page.getByTestId('consumer-secret').getAttribute('data-value'))!;
    expect(app.key).toMatch(/\S{16,}/);
    expect(app.secret).toMatch(/\S{16,}/);
    await screenshot(page, 'portal-app-created');
  });

  it('the API portal shows the application with its key', async () => {
    const { page } = tab;
    await page.goto('/console/apps');
    await page.getByRole('link', { name: 'IFlowApp' }).click();
    await expect.poll(() => page.getByTestId('app-key').textContent()).toBe(app.key);
    await expectAccessible(page, 'console app');
    await screenshot(page, 'console-app');
  });

  it('5. tests the API as the seed does with Postman: a token from API 2, then API 1 answers 200 with the integration flow\'s body', async () => {
    // Postman is no part of the console: its two requests, as it sends them.
    const basic = `Basic ${Buffer.from(`${encodeURIComponent(app.key!)}:${encodeURIComponent(app.secret!)}`).toString('base64')}`;
    const token = await fetch(`${platform.runtimeUrls.prod}/iflow-token/OAuthToken`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(token.status).toBe(200);
    const { access_token: accessToken } = (await token.json()) as { access_token: string };
    const api = await fetch(`${platform.runtimeUrls.prod}/api_connectivity_test/v1`, { headers: { authorization: `Bearer ${accessToken}` }, method: 'POST', body: 'test payload' });
    expect(api.status).toBe(200);
    expect(await api.text()).toBe(IFLOW_ANSWER);
    expectCleanRun(tab, platform.url);
  });
});
