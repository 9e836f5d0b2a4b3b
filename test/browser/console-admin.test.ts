// Shared flows and management users in the console: a sharedflowbundle zip
// imported (a broken one refused with the importer's problem), its flow and
// policies shown, deployed, attached to a flow hook and detached, and not
// deleted while deployed; a management user created (a short password
// refused beside its field), its role changed and removed from the
// organization; a read-only user sees no write controls on either page. axe
// checks every page and dialog.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, expectAccessible, expectCleanRun, HAS_CHROMIUM, openBrowser, screenshot, signInAsUser, type WatchedPage } from '../support/browser.js';
import { zip } from '../support/bundles.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;
let browser: Browser;
let tab: WatchedPage;

const auditFlow = zip({
  'sharedflowbundle/SF-Audit.xml': '<SharedFlowBundle name="SF-Audit"><DisplayName>SF-Audit</DisplayName><Policies><Policy>AM-Audit</Policy></Policies></SharedFlowBundle>',
  'sharedflowbundle/sharedflows/default.xml': '<SharedFlow name="default"><Step><Name>AM-Audit</Name><Condition>request.verb = "POST"</Condition></Step></SharedFlow>',
  'sharedflowbundle/policies/AM-Audit.xml': '<AssignMessage name="AM-Audit"><Set><Headers><Header name="x-audit">{messageid}</Header></Headers></Set></AssignMessage>',
});
const brokenFlow = zip({
  'sharedflowbundle/SF-Broken.xml': '<SharedFlowBundle name="SF-Broken"/>',
  'sharedflowbundle/sharedflows/default.xml': '<SharedFlow name="default"><Step><Name>AM-Missing</Name></Step></SharedFlow>',
});

const nav = (name: string) => tab.page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true });

describe.skipIf(!HAS_CHROMIUM)('shared flows and users in the console', () => {
  beforeAll(async () => {
    platform = await startPlatform();
    ({ browser, tab } = await openBrowser(platform.url, platform.local.credentials));
  }, 60_000);

  afterAll(() => closeAll(browser, platform));

  it('imports a shared flow, deploys it, attaches it to a flow hook and detaches it', async () => {
    const { page } = tab;
    await nav('Shared flows').click();
    await page.getByRole('cell', { name: 'No shared flows yet.' }).waitFor();
    await page.getByRole('button', { name: 'Import bundle' }).click();
    const form = page.getByRole('form', { name: 'Import a shared flow bundle' });
    await form.getByLabel('Bundle zip').setInputFiles({ name: 'SF-Broken.zip', mimeType: 'application/zip', buffer: brokenFlow });
    await form.getByRole('button', { name: 'Import' }).click();
    expect(await form.getByRole('alert').textContent()).toContain('AM-Missing');
    await expectAccessible(page, 'shared flows, import refused');

    await form.getByLabel('Bundle zip').setInputFiles({ name: 'SF-Audit.zip', mimeType: 'application/zip', buffer: auditFlow });
    await form.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('heading', { name: 'Shared flow SF-Audit' }).waitFor();
    const steps = page.getByRole('table', { name: 'Steps of SharedFlow default' });
    expect(await steps.getByRole('row').nth(1).textContent()).toBe('AM-AuditAssignMessagerequest.verb = "POST"');
    await page.getByText('AM-Audit AssignMessage').click();
    await page.getByText('<Header name="x-audit">{messageid}</Header>').waitFor();

    await page.getByRole('button', { name: 'Deploy revision 1 to prod' }).click();
    await page.getByRole('status').getByText('Revision 1 deployed to prod.').waitFor();
    await page.getByRole('button', { name: 'Undeploy from prod' }).waitFor();
    expect(await page.getByRole('table', { name: 'Deployments' }).getByRole('row', { name: /^prod 1 / }).count()).toBe(1);
    await expectAccessible(page, 'shared flow');
    await screenshot(page, 'console-shared-flow');

    // A deployed shared flow is not deleted: the API's refusal stays in the dialog.
    await page.getByRole('button', { name: 'Delete shared flow' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete shared flow SF-Audit?' });
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await confirm.getByRole('alert').getByText('Shared flow SF-Audit is deployed in prod; undeploy it first').waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();

    await nav('Shared flows').click();
    expect(await page.getByRole('table', { name: 'Shared flows' }).getByRole('row').nth(1).textContent()).toBe('SF-Audit1prod: revision 1');
    const hooks = page.getByRole('table', { name: 'Flow hooks' });
    await hooks.getByRole('button', { name: 'Attach a shared flow to PreProxyFlowHook in prod' }).click();
    const attach = page.getByRole('dialog', { name: 'Attach a shared flow to PreProxyFlowHook in prod' });
    await attach.getByLabel('Shared flow').selectOption('SF-Audit');
    await attach.getByLabel('Continue on error').uncheck();
    await expectAccessible(page, 'attach flow hook');
    await attach.getByRole('button', { name: 'Attach' }).click();
    await hooks.getByRole('button', { name: 'Detach SF-Audit from PreProxyFlowHook in prod' }).waitFor();
    expect(await hooks.getByRole('row', { name: /^prod PreProxyFlowHook/ }).textContent()).toContain('SF-Auditno');
    const hook = await platform.request('GET', '/v1/organizations/default/environments/prod/flowhooks/PreProxyFlowHook');
    expect(hook.json).toEqual({ name: 'PreProxyFlowHook', sharedFlow: 'SF-Audit', continueOnError: false });
    await expectAccessible(page, 'shared flows with a flow hook');
    await screenshot(page, 'console-shared-flows');

    await hooks.getByRole('button', { name: 'Detach SF-Audit from PreProxyFlowHook in prod' }).click();
    await page.getByRole('dialog', { name: 'Detach SF-Audit from PreProxyFlowHook?' }).getByRole('button', { name: 'Detach' }).click();
    await expect.poll(() => hooks.getByRole('row', { name: /^prod PreProxyFlowHook/ }).textContent()).toContain('none');
    expect((await platform.request('GET', '/v1/organizations/default/environments/prod/flowhooks/PreProxyFlowHook')).json).toEqual({ name: 'PreProxyFlowHook', continueOnError: true });
  });

  it('creates a management user, changes its role and removes it from the organization', async () => {
    const { page } = tab;
    const email = 'ops@example.com';
    const password = 'correct-horse-battery';
    await nav('Users').click();
    const users = page.getByRole('table', { name: 'Users' });
    await users.getByRole('cell', { name: platform.local.admin.email, exact: true }).waitFor();
    await expectAccessible(page, 'users');

    await page.getByRole('button', { name: 'Create user' }).click();
    const dialog = page.getByRole('dialog', { name: 'New user' });
    await dialog.getByLabel('Email').fill(email);
    await dialog.getByLabel('First name').fill('Ops');
    const field = dialog.getByLabel('Password');
    expect([await field.getAttribute('type'), await field.getAttribute('autocomplete')]).toEqual(['password', 'new-password']);
    await field.fill('short');
    await dialog.getByLabel('Role').selectOption('readonly');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await dialog.getByText('must be at least 12 characters', { exact: true }).waitFor();
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.getByLabel('Email').inputValue()).toBe(email);
    await expectAccessible(page, 'new user, refused');
    await field.fill(password);
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('status').getByText(`${email} created as Read-only.`).waitFor();
    expect(await users.getByRole('row', { name: new RegExp(`^${email}`) }).textContent()).toBe(`${email}Read-onlyChange roleRemove`);
    await screenshot(page, 'console-users');

    await users.getByRole('button', { name: `Change role of ${email}` }).click();
    const change = page.getByRole('dialog', { name: `Change role of ${email}` });
    await change.getByLabel('Role').selectOption('orgadmin');
    await expectAccessible(page, 'change role');
    await change.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').getByText(`${email} is now Organization administrator.`).waitFor();
    expect((await platform.request('GET', `/v1/organizations/default/users/${email}`)).json.roles).toBeDefined();
    expect((await platform.request('GET', '/v1/organizations/default/userroles/orgadmin/users')).json).toContain(email);

    await users.getByRole('button', { name: `Remove ${email}` }).click();
    await page.getByRole('dialog', { name: `Remove ${email} from the organization?` }).getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('status').getByText(`${email} removed.`).waitFor();
    await users.getByRole('cell', { name: email, exact: true }).waitFor({ state: 'detached' });
    expect((await platform.request('GET', `/v1/organizations/default/users/${email}`)).status).toBe(404);
    // The password went to the API only.
    expect(await page.content()).not.toContain(password);
  });

  it('shows a read-only user no write controls', async () => {
    const { page } = tab;
    const email = 'auditor@example.com';
    const password = 'read-only-password-1';
    const made = await platform.request('POST', '/v1/organizations/default/users', { json: { email, password, role: 'readonly' } });
    expect(made.status, made.text).toBe(201);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInAsUser(page, email, password);
    await nav('Shared flows').click();
    await page.getByRole('table', { name: 'Flow hooks' }).getByRole('row', { name: /^prod PreProxyFlowHook/ }).waitFor();
    expect(await page.getByRole('button', { name: /Import bundle|Attach|Detach/ }).count()).toBe(0);
    await page.getByRole('link', { name: 'SF-Audit' }).click();
    await page.getByRole('table', { name: 'Steps of SharedFlow default' }).waitFor();
    expect(await page.getByRole('button', { name: /Deploy|Undeploy|Delete/ }).count()).toBe(0);
    await expectAccessible(page, 'shared flow, read-only');
    await nav('Users').click();
    await page.getByRole('table', { name: 'Users' }).getByRole('cell', { name: email, exact: true }).waitFor();
    expect(await page.getByRole('button', { name: /Create user|Change|Remove/ }).count()).toBe(0);
    expectCleanRun(tab, platform.url);
    expect(tab.errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  });
});
