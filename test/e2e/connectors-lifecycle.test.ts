// An instance's lifecycle: Open Connectors' rule that five failed token
// refreshes in a row disable the instance, with the reason on it and an
// event recorded; enabling it starts the count afresh, and one good refresh
// resets it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listInstanceEvents } from '../../shared/connectors/instances.js';
import { MAX_FAILED_REFRESHES } from '../../shared/connectors/token-lifecycle.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { sendJson, startVendor, type VendorServer } from '../support/vendor.js';

let platform: TestPlatform;
let vendor: VendorServer;
let tokenEndpointDown = false;
let issued = 0;

beforeAll(async () => {
  platform = await startPlatform();
  vendor = await startVendor((request, res) => {
    if (request.path === '/token') {
      if (tokenEndpointDown) return sendJson(res, 503, { error: 'temporarily_unavailable' });
      issued++;
      return sendJson(res, 200, { access_token: `access-${issued}`, refresh_token: 'refresh', expires_in: 1, token_type: 'Bearer' });
    }
    sendJson(res, 200, { authorization: request.headers.authorization });
  });
  const element = await platform.request('POST', '/elements/api-v2/elements', {
    json: {
      key: 'flaky-oauth',
      name: 'Flaky',
      authentication: { type: 'oauth2', authorizationUrl: `${vendor.url}/authorize`, tokenUrl: `${vendor.url}/token`, tokenExpiry: { refreshBeforeSeconds: 3600 } },
      configuration: [{ key: 'base.url', name: 'Base URL', defaultValue: `${vendor.url}/api` }],
    },
  });
  expect(element.status, element.text).toBe(200);
});

afterAll(async () => {
  await platform?.close();
  await vendor?.close();
});

describe('failed refreshes', () => {
  it(`disables the instance after ${MAX_FAILED_REFRESHES} in a row, with the reason and an event`, async () => {
    const created = await platform.request('POST', '/elements/api-v2/instances', {
      json: { element: { key: 'flaky-oauth' }, name: 'Flaky', providerData: { code: 'c' }, configuration: { 'oauth.api.key': 'id', 'oauth.api.secret': 'secret', 'oauth.callback.url': 'http://localhost/cb' } },
    });
    expect(created.status, created.text).toBe(200);
    const headers = { authorization: `${platform.auth}, Element ${created.json.token}` };
    // Every call finds the token expiring and refreshes first.
    const ok = await platform.request('GET', '/elements/api-v2/me', { headers });
    expect(ok.json.authorization).toBe('Bearer access-2');

    tokenEndpointDown = true;
    const statuses: number[] = [];
    for (let i = 0; i < MAX_FAILED_REFRESHES + 1; i++) statuses.push((await platform.request('GET', '/elements/api-v2/me', { headers })).status);
    expect(statuses).toEqual([502, 502, 502, 502, 403, 403]);

    const instance = await platform.request('GET', `/elements/api-v2/instances/${created.json.id}`);
    expect(instance.json).toMatchObject({ disabled: true, valid: true, disabledReason: 'the access token could not be refreshed 5 times in a row (last: temporarily_unavailable)' });
    const events = await listInstanceEvents(platform.local.runtime, 'default', created.json.id);
    expect(events.map(({ event, reason }) => ({ event, reason }))).toEqual([{ event: 'instance.disabled', reason: instance.json.disabledReason }]);

    // Enabled again, the count starts afresh; one good refresh and calls work.
    tokenEndpointDown = false;
    const enabled = await platform.request('PUT', `/elements/api-v2/instances/${created.json.id}/enabled`);
    expect(enabled.json).not.toHaveProperty('disabledReason');
    const again = await platform.request('GET', '/elements/api-v2/me', { headers });
    expect(again.status).toBe(200);
  });
});
