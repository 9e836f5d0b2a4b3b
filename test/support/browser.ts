// The browser for the console and portal tests: Debian's chromium driven by
// playwright-core, one per test file. Outside CI a machine without chromium
// skips these tests with the install command; under CI=true they must run.
// Each page records what the browser said (console errors, CSP violations,
// requests to other origins) so a test can assert there was nothing.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);
export const ARTIFACTS = join(process.cwd(), 'test-results');

if (!HAS_CHROMIUM) {
  if (process.env.CI === 'true') throw new Error(`Browser tests need ${CHROMIUM} under CI: apt-get update && apt-get install -y chromium`);
  process.stderr.write(`\nBrowser tests skipped: no ${CHROMIUM}. Install it with: apt-get update && apt-get install -y chromium\n\n`);
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and page errors (CSP violations are console errors). */
  errors: string[];
  /** Every request URL the page made. */
  requests: string[];
}

export async function openPage(browser: Browser, origin: string): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, baseURL: origin });
  // Fail a step within seconds, naming the step, rather than at the test's timeout.
  context.setDefaultTimeout(10_000);
  const watched: WatchedPage = { page: await context.newPage(), context, errors: [], requests: [] };
  context.on('page', (page) => watch(page, watched));
  watch(watched.page, watched);
  return watched;
}

function watch(page: Page, watched: WatchedPage) {
  page.on('console', (message) => {
    if (message.type() === 'error') watched.errors.push(`${message.text()} (${page.url()} ${message.location().url}:${message.location().lineNumber})`);
  });
  page.on('pageerror', (error) => watched.errors.push(String(error)));
  page.on('request', (request) => watched.requests.push(request.url()));
}

/** Nothing but this origin (and the vendor's, for OAuth popups) was asked for, and nothing was blocked. */
export function expectCleanRun(watched: WatchedPage, origin: string, allowedOrigins: string[] = []) {
  const foreign = watched.requests.filter((url) => !url.startsWith('data:') && !url.startsWith('about:') && !url.startsWith('blob:') && ![origin, ...allowedOrigins].some((o) => url.startsWith(o)));
  expect(foreign).toEqual([]);
  const violations = watched.errors.filter((text) => /Content Security Policy|Refused to/i.test(text));
  expect(violations).toEqual([]);
}

/** axe-core on the page as it is now: no serious or critical violations. */
export async function expectAccessible(page: Page, name: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${name}: ${v.id} ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`)).toEqual([]);
}

export async function screenshot(page: Page, name: string) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** One browser and one tab for a test file, signed in to the console when credentials are given. */
export async function openBrowser(origin: string, credentials?: { userSecret: string; organizationSecret: string }): Promise<{ browser: Browser; tab: WatchedPage }> {
  const browser = await launchBrowser();
  const tab = await openPage(browser, origin);
  if (credentials) await signInToConsole(tab.page, credentials);
  return { browser, tab };
}

/** Closes what a test file started, in order, skipping what never started. */
export async function closeAll(...things: ({ close(): Promise<unknown> } | undefined)[]): Promise<void> {
  for (const thing of things) await thing?.close();
}

/** Signs in to the console with the platform credentials. */
export async function signInToConsole(page: Page, credentials: { userSecret: string; organizationSecret: string }) {
  await page.goto('/console');
  await page.getByLabel('Platform credentials').check();
  await page.getByLabel('User secret').fill(credentials.userSecret);
  await page.getByLabel('Organization secret').fill(credentials.organizationSecret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Console' }).waitFor();
}

/** sessionStorage of the page's origin (page-side code as text: these tests are typed for Node, not the DOM). */
export async function readSessionItem(page: Page, key: string): Promise<string | null> {
  return page.evaluate(`sessionStorage.getItem(${JSON.stringify(key)})`);
}

export async function writeSessionItem(page: Page, key: string, value: string): Promise<void> {
  await page.evaluate(`sessionStorage.setItem(${JSON.stringify(key)}, ${JSON.stringify(value)})`);
}

/** Bytes on the wire for the document and everything it loaded (Resource Timing transferSize). */
export async function transferredBytes(page: Page): Promise<number> {
  return page.evaluate(`[performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')].reduce((sum, entry) => sum + entry.transferSize, 0)`);
}

/**
 * In the console's Authenticate / Re-Authenticate dialog of an OAuth element: the client id and
 * secret, the button, then the vendor's consent in the popup, which closes itself once the
 * console has heard back from Tollgate's hosted callback.
 */
export async function authorizeInPopup(tab: WatchedPage, client: { id: string; secret: string }, button: string): Promise<void> {
  const dialog = tab.page.getByRole('dialog');
  await dialog.getByLabel('OAuth API Key (client id)').fill(client.id);
  await dialog.getByLabel('OAuth API Secret').fill(client.secret);
  const popup = tab.context.waitForEvent('page');
  await dialog.getByRole('button', { name: button }).click();
  await (await popup).waitForEvent('close', { timeout: 20_000 });
}

/** Fills and sends the console's sign-in form as a management user (the caller waits for the outcome). */
export async function signInAsUser(page: Page, email: string, password: string) {
  await page.goto('/console');
  await page.getByLabel('Management user').check();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
