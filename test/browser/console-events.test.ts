// An instance's connector events in the console: its card shows the event
// settings (the vendor's webhooks, the callback, the receiver URL to register
// at the vendor); Events lists what was received with its delivery status and
// attempts; Redeliver sends a dead-lettered event again. The webhook is a real
// signed GitHub delivery, the callback a loopback receiver.
import { sign } from '@octokit/webhooks-methods';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, expectAccessible, expectCleanRun, HAS_CHROMIUM, openBrowser, type WatchedPage } from '../support/browser.js';
import { createEventElement, createEventInstance, startReceiver, type Receiver } from '../support/events.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';

const VENDOR_SECRET = 'github-webhook-secret-1';

let platform: TestPlatform;
let receiver: Receiver;
let browser: Browser;
let tab: WatchedPage;
let healthy = false;

describe.skipIf(!HAS_CHROMIUM)('connector events in the console', () => {
  let instance: Awaited<ReturnType<typeof createEventInstance>>;

  beforeAll(async () => {
    platform = await startPlatform();
    // Refuses (410: dead-lettered at once) until the test makes it healthy.
    receiver = await startReceiver(() => (healthy ? 200 : 410));
    await createEventElement(platform, { key: 'hooks', baseUrl: 'http://127.0.0.1:9/api', methods: ['webhook'], scheme: 'github' });
    instance = await createEventInstance(platform, 'hooks', {
      'event.notification.enabled': true,
      'event.vendor.type': 'webhook',
      'event.notification.callback.url': `${receiver.url}/events`,
      'event.vendor.secret': VENDOR_SECRET,
    });
    const body = JSON.stringify({ action: 'opened', issue: { id: 42 } });
    const received = await fetch(instance.configuration['event.notification.webhook.url']!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'issues', 'x-github-delivery': 'delivery-42', 'x-hub-signature-256': await sign(VENDOR_SECRET, body) },
      body,
    });
    expect(received.status).toBe(200);
    await platform.local.events.tick();
    ({ browser, tab } = await openBrowser(platform.url, platform.local.credentials));
  }, 60_000);

  afterAll(() => closeAll(browser, receiver, platform));

  const instanceCard = () => tab.page.getByRole('article', { name: 'Instance hooks events' });

  it('shows the event settings on the instance card', async () => {
    const { page } = tab;
    await page.getByRole('link', { name: 'Catalog' }).click();
    await page.getByLabel('Search connectors').fill('hooks');
    await page.getByRole('listitem', { name: 'Events hooks' }).getByRole('button', { name: '1 instance' }).click();
    const settings = instanceCard().getByLabel('Event settings');
    await expect.poll(() => settings.textContent()).toContain("vendor's webhooks");
    expect(await settings.textContent()).toContain(`${receiver.url}/events`);
    expect(await instanceCard().getByTestId('webhook-url').textContent()).toBe(instance.configuration['event.notification.webhook.url']);
    await expectAccessible(page, 'connectors: instance with events');
  });

  it('lists the events with their delivery, and redelivers a dead-lettered one', async () => {
    const { page } = tab;
    await instanceCard().getByRole('button', { name: 'Events', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Events of hooks events' });
    const row = dialog.getByRole('row').nth(1);
    await expect.poll(() => row.textContent()).toContain('dead-lettered');
    expect(await row.textContent()).toContain('CREATED issues 42');
    expect(await row.textContent()).toContain('410');
    await expectAccessible(page, 'connectors: instance events');

    healthy = true;
    await row.getByRole('button', { name: 'Redeliver' }).click();
    await dialog.getByText(/Event .+: (pending|delivered)\./).waitFor();
    await platform.local.events.tick();
    await dialog.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => row.textContent()).toContain('delivered');
    expect(await row.getByRole('button', { name: 'Redeliver' }).count()).toBe(0);
    expect(receiver.accepted).toHaveLength(1);
    expect(receiver.accepted[0]!.body.message.events).toEqual([expect.objectContaining({ objectId: '42' })]);
    expectCleanRun(tab, platform.url);
    expect(tab.errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  });
});
