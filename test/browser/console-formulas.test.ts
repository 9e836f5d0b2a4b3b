// Formulas in the console: a formula with script steps created from its JSON
// in the editor, its instance bound to a connector instance and a value, a
// manual run, and the execution step by step with each step's output; a
// script that throws shows its step's error; a bad formula shows the API's
// 422 naming each field; Edit saves the changed JSON; a formula with instances is not deleted; a
// read-only user sees no write controls there, nor on the proxy (overview,
// resources, policy editor read-only), key value map, provider, product,
// developer, application, trace and connector catalog pages. axe checks every
// page and dialog.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, expectAccessible, expectCleanRun, HAS_CHROMIUM, openBrowser, screenshot, signInToConsole, type WatchedPage } from '../support/browser.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { deployProxy, quotaProxy } from '../support/proxies.js';

const API = '/elements/api-v2';
let platform: TestPlatform;
let browser: Browser;
let tab: WatchedPage;
let crm: { id: number; name: string };

const GREETING = {
  name: 'greet new customers',
  configuration: [
    { key: 'crm', name: 'Customer CRM', type: 'elementInstance' },
    { key: 'greeting', name: 'Greeting', type: 'value' },
  ],
  triggers: [{ type: 'manual', onSuccess: ['compose'] }],
  steps: [
    { name: 'compose', type: 'script', properties: { body: 'done({ message: config.greeting + ", " + trigger.args.name, crm: config.crm });' }, onSuccess: ['shout'] },
    { name: 'shout', type: 'script', properties: { body: 'done({ loud: steps.compose.message.toUpperCase() });' } },
  ],
};

/** Replaces the text in the page's code editor. */
async function typeIntoEditor(text: string) {
  const { page } = tab;
  await page.locator('.cm-content').click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Backspace');
  await page.keyboard.insertText(text);
}

describe.skipIf(!HAS_CHROMIUM)('formulas in the console', () => {
  beforeAll(async () => {
    platform = await startPlatform();
    const element = await platform.request('POST', `${API}/elements`, {
      json: { key: 'crm-basic', name: 'CRM', authentication: { type: 'basic' }, configuration: [{ key: 'base.url', name: 'Base URL', defaultValue: 'http://127.0.0.1:9/api', hidden: true }], resources: [{ path: '/contacts', method: 'GET' }] },
    });
    expect(element.status, element.text).toBe(200);
    const instance = await platform.request('POST', `${API}/instances`, { json: { element: { key: 'crm-basic' }, name: 'crm prod', configuration: { username: 'u', password: 'p' } } });
    expect(instance.status, instance.text).toBe(200);
    crm = instance.json;
    ({ browser, tab } = await openBrowser(platform.url, platform.local.credentials));
  }, 60_000);

  afterAll(() => closeAll(browser, platform));

  it('refuses a formula that does not fit together, naming each field', async () => {
    const { page } = tab;
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Formulas' }).click();
    await page.getByRole('cell', { name: 'No formulas yet.' }).waitFor();
    await expectAccessible(page, 'formulas');
    await page.getByRole('link', { name: 'Create formula' }).click();
    await page.getByRole('heading', { name: 'New formula' }).waitFor();
    await page.locator('.cm-content').waitFor();
    await expectAccessible(page, 'new formula');
    // Malformed JSON is flagged as it is typed, and never sent.
    await typeIntoEditor('{"name": "broken",');
    await page.locator('.cm-lint-marker-error').waitFor();
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('alert').getByText(/^The formula is not valid JSON/).waitFor();
    await typeIntoEditor(JSON.stringify({ name: 'broken', triggers: [{ type: 'manual', onSuccess: ['missing'] }], steps: [{ name: 'a', type: 'script', properties: {} }] }));
    await page.getByRole('button', { name: 'Create' }).click();
    const alert = page.getByRole('alert');
    await alert.getByText('The formula is not valid').waitFor();
    expect(await alert.textContent()).toContain('steps.0.properties.body');
    expect(await alert.textContent()).toContain('triggers.0.onSuccess.0: no step is named missing');
    // What was typed stays.
    expect(await page.locator('.cm-content').textContent()).toContain('"broken"');
  });

  it('creates a formula from its JSON, an instance of it, runs it and shows each step with its output', async () => {
    const { page } = tab;
    await typeIntoEditor(JSON.stringify(GREETING, null, 2));
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'Formula greet new customers' }).waitFor();
    const steps = page.getByRole('table', { name: 'Steps' });
    expect(await steps.getByRole('row').nth(1).textContent()).toMatch(/^composescript.*shoutnone$/s);
    expect(await page.getByRole('table', { name: 'Variables' }).textContent()).toContain('crmCustomer CRMelementInstanceyes');
    expect(await page.getByRole('region', { name: 'Trigger' }).textContent()).toContain('manual');
    await expectAccessible(page, 'formula');
    await screenshot(page, 'console-formula');

    // Edit replaces the formula with its JSON (PUT).
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByRole('heading', { name: 'Edit formula greet new customers' }).waitFor();
    await expect.poll(() => page.locator('.cm-content').textContent()).toContain('"compose"');
    await typeIntoEditor(JSON.stringify({ ...GREETING, description: 'Says hello to new customers' }, null, 2));
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Says hello to new customers').waitFor();

    await page.getByRole('button', { name: 'Create instance' }).click();
    const dialog = page.getByRole('dialog', { name: 'New instance of greet new customers' });
    await dialog.getByLabel('Name').fill('greeter');
    await dialog.getByLabel('Customer CRM').selectOption(String(crm.id));
    await dialog.getByLabel('Greeting').fill('Welcome');
    await expectAccessible(page, 'new formula instance');
    await dialog.getByRole('button', { name: 'Create instance' }).click();
    await page.getByText(/Formula instance \d+ created\./).waitFor();

    // Deleting a formula that has instances is refused, and says why.
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete formula greet new customers?' });
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await confirm.getByRole('alert').getByText(/has instances; delete them first/).waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('link', { name: 'greeter' }).click();
    await page.getByRole('heading', { name: 'Formula instance greeter' }).waitFor();
    await page.getByRole('button', { name: 'Run' }).click();
    const run = page.getByRole('dialog', { name: 'Run greeter' });
    await run.getByLabel('Arguments (JSON)').fill('{"name": "Ada"}');
    await expectAccessible(page, 'run formula instance');
    await run.getByRole('button', { name: 'Run' }).click();
    await page.getByText(/Execution \d+ started\./).waitFor();
    // The page asks again every second until the execution has finished.
    await page.getByRole('table', { name: 'Executions, newest first' }).getByRole('cell', { name: 'success' }).waitFor();
    await expectAccessible(page, 'formula instance');

    await page.getByRole('link', { name: /^Execution \d+$/ }).click();
    await page.getByRole('heading', { name: /^Execution \d+$/ }).waitFor();
    const compose = page.getByRole('row', { name: 'Step compose' });
    expect(await compose.textContent()).toContain('"message": "Welcome, Ada"');
    expect(await compose.textContent()).toContain(`"crm": ${crm.id}`);
    expect(await page.getByRole('row', { name: 'Step shout' }).textContent()).toContain('"loud": "WELCOME, ADA"');
    expect(await page.getByLabel('Execution', { exact: true }).textContent()).toContain('success');
    expect(await page.getByRole('button', { name: 'Cancel execution' }).count()).toBe(0);
    await expectAccessible(page, 'formula execution');
    await screenshot(page, 'console-formula-execution');
  });

  it('shows the failing step and its error', async () => {
    const { page } = tab;
    const formula = await platform.request('POST', `${API}/formulas`, {
      json: { name: 'lookup', triggers: [{ type: 'manual', onSuccess: ['find'] }], steps: [{ name: 'find', type: 'script', properties: { body: "throw new Error('no such customer');" } }] },
    });
    const instance = await platform.request('POST', `${API}/formulas/${formula.json.id}/instances`, { json: { name: 'lookup once' } });
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Formulas' }).click();
    await page.getByRole('link', { name: 'lookup' }).click();
    await page.getByRole('link', { name: 'lookup once' }).click();
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByRole('dialog', { name: 'Run lookup once' }).getByRole('button', { name: 'Run' }).click();
    await page.getByRole('status').getByRole('link').click();
    await page.getByRole('alert').getByText('Step find failed:').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('no such customer');
    expect(await page.getByRole('row', { name: 'Step find' }).textContent()).toContain('failed');
    expect(page.url()).toContain(`/instances/${instance.json.id}/executions/`);
    await expectAccessible(page, 'failed formula execution');
    expectCleanRun(tab, platform.url);
    expect(tab.errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  });

  it('shows a read-only user no write controls', async () => {
    const { page } = tab;
    const email = 'reader@example.com';
    const user = await platform.request('POST', `${API}/organizations/users`, { json: { email, firstName: 'Rea', lastName: 'Der' } });
    expect(user.status, user.text).toBe(200);
    expect((await platform.request('POST', `/v1/organizations/default/userroles/readonly/users?id=${email}`)).status).toBe(200);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInToConsole(page, { userSecret: user.json.secret, organizationSecret: platform.local.credentials.organizationSecret });
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Formulas' }).click();
    await page.getByRole('link', { name: 'greet new customers' }).click();
    await page.getByRole('link', { name: 'greeter' }).waitFor();
    expect(await page.getByRole('button', { name: /Create instance|Delete/ }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Edit' }).count()).toBe(0);
    await page.getByRole('link', { name: 'greeter' }).click();
    await page.getByRole('table', { name: 'Executions, newest first' }).getByText('success').waitFor();
    expect(await page.getByRole('button', { name: 'Run' }).count()).toBe(0);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Formulas' }).click();
    await page.getByRole('link', { name: 'lookup' }).waitFor();
    expect(await page.getByRole('link', { name: 'Create formula' }).count()).toBe(0);
  });

  it('shows a read-only user no write controls on the API management and connector pages', async () => {
    const { page } = tab;
    const org = '/v1/organizations/default';
    await deployProxy(platform, quotaProxy('hello', 100));
    const trace = await platform.request('POST', `${org}/environments/prod/apis/hello/revisions/1/debugsessions`, { json: { timeout: '600' } });
    expect(trace.status, trace.text).toBe(201);
    for (const [path, json] of [
      ['/environments/prod/keyvaluemaps', { name: 'settings', encrypted: false, entry: [{ name: 'region', value: 'eu' }] }],
      ['/apiproviders', { name: 'backend', type: 'Internet', url: 'http://127.0.0.1:9/' }],
      ['/apiproducts', { name: 'hello-product', proxies: ['hello'], scopes: ['read'] }],
      ['/developers', { email: 'ann@example.com', firstName: 'Ann', lastName: 'Lee', userName: 'ann' }],
      ['/developers/ann@example.com/apps', { name: 'ann-app', apiProducts: ['hello-product'] }],
    ] as const) {
      const made = await platform.request('POST', org + path, { json });
      expect(made.status, made.text).toBe(201);
    }
    const nav = (name: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true });
    const writes = (name: RegExp) => page.getByRole('main').getByRole('button', { name }).count();

    await nav('API proxies').click();
    await page.getByRole('link', { name: 'hello' }).click();
    await page.getByRole('cell', { name: 'prod', exact: true }).waitFor();
    await page.getByRole('link', { name: 'Export' }).waitFor();
    expect(await writes(/^(Save|Deploy|Undeploy|Delete proxy)$/)).toBe(0);
    await page.getByRole('tab', { name: 'Resources' }).click();
    await page.getByRole('heading', { name: 'Resources' }).waitFor();
    expect(await page.getByRole('form', { name: 'Add resource' }).count()).toBe(0);
    await page.getByRole('tab', { name: 'Policies' }).click();
    await page.getByRole('list', { name: 'Steps of PreFlow Request' }).getByRole('button', { name: 'q', exact: true }).click();
    await expect.poll(() => page.getByRole('textbox', { name: 'XML of policies/q.xml' }).getAttribute('aria-readonly')).toBe('true');
    expect(await writes(/^(Save|Check|Add flow|Add policy|Attach|Move .*|Remove .*|Edit XML)$/)).toBe(0);
    await page.getByRole('button', { name: 'View XML' }).first().waitFor();
    await expectAccessible(page, 'policy editor, read-only');
    await page.getByRole('link', { name: 'API proxies' }).first().click();
    await page.getByRole('table', { name: 'API proxies' }).waitFor();
    expect(await page.getByRole('main').getByRole('link', { name: 'Create' }).count()).toBe(0);
    expect(await writes(/^Import bundle$/)).toBe(0);
    await page.goto('/console/apis/new');
    await page.getByText('Your role can only read: an orgadmin creates API proxies.').waitFor();
    expect(await page.getByRole('form', { name: 'Create API' }).count()).toBe(0);

    await nav('Key value maps').click();
    await page.getByRole('region', { name: 'Map settings' }).getByRole('cell', { name: 'region' }).waitFor();
    expect(await page.getByRole('form').count()).toBe(0);
    expect(await writes(/Delete|Add entry|Create map/)).toBe(0);

    await nav('API providers').click();
    await page.getByRole('link', { name: 'backend' }).click();
    await page.getByRole('heading', { name: 'API provider backend' }).waitFor();
    expect(await writes(/^(Create|Test Connection|Delete)$/)).toBe(0);

    await nav('Products').click();
    await page.getByRole('link', { name: 'hello-product' }).click();
    await page.getByRole('definition').getByText('read', { exact: true }).waitFor();
    expect(await page.getByRole('form').count()).toBe(0);
    expect(await writes(/^(Create|Delete|Save)$/)).toBe(0);
    await nav('Developers').click();
    await page.getByRole('table', { name: 'Developers' }).getByRole('cell', { name: 'ann@example.com' }).waitFor();
    expect(await writes(/^(Create|Invite .*|Delete .*)$/)).toBe(0);
    await page.getByRole('link', { name: 'ann-app' }).click();
    await page.getByTestId('app-key').waitFor();
    expect(await writes(/^(Add key|Delete|Revoke .*)$/)).toBe(0);
    await nav('Applications').click();
    await page.getByRole('table', { name: 'Applications' }).getByRole('link', { name: 'ann-app' }).waitFor();
    expect(await writes(/^Create$/)).toBe(0);

    await nav('Trace').click();
    await page.getByLabel('Session').selectOption(trace.json.name);
    await page.getByRole('heading', { name: `Session ${trace.json.name}` }).waitFor();
    expect(await page.getByRole('form', { name: 'New trace session' }).count()).toBe(0);
    expect(await writes(/Start trace session|Delete session/)).toBe(0);

    await nav('Catalog').click();
    await page.getByRole('listitem', { name: 'CRM', exact: true }).waitFor();
    await page.getByText('Your role can only read: instances and their tokens').waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(await writes(/^Authenticate$/)).toBe(0);
    expectCleanRun(tab, platform.url);
    expect(tab.errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  });
});
