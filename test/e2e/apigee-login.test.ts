// Management login as Apigee's tools do it: apigee-edge-js 0.4.40 (unchanged)
// with its default login, the password grant at an SSO token endpoint, here
// `ssoUrl: <platform>/login`; its token stash refreshes an expired token with
// the refresh token. And the endpoint's answers to what the tools never send:
// another client, a wrong password, a refresh token used twice.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClientTarget, type ClientTarget } from '../support/client-target.js';
import type { TestPlatform } from '../support/platform.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type EdgeJs = { apigee: { connect(options: Record<string, unknown>): Promise<any> } };

const TOOLS_CLIENT = `Basic ${Buffer.from('edgecli:edgeclisecret').toString('base64')}`;
let target: ClientTarget;
let platform: TestPlatform;
let edge: EdgeJs;
const home = process.env.HOME;

beforeAll(async () => {
  target = await startClientTarget('tollgate-login-');
  platform = target.platform;
  // The library keeps its tokens in ~/.apigee-edge-tokens: here, in the scratch folder.
  process.env.HOME = target.work;
  edge = createRequire(import.meta.url)('apigee-edge-js') as EdgeJs;
});
afterAll(async () => {
  process.env.HOME = home;
  await target.close();
});

const login = (form: Record<string, string>, authorization = TOOLS_CLIENT) =>
  platform.request('POST', '/login/oauth/token', { auth: authorization, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });

describe("apigee-edge-js's own login", () => {
  it('logs in with the password grant, calls the management API with the token it got, and refreshes it when it expires', async () => {
    const options = { mgmtServer: platform.url, org: 'default', user: 'admin@localhost', password: target.password, ssoUrl: `${platform.url}/login` };
    const org = await edge.apigee.connect(options);
    const first = org.conn.requestHeaders.authorization as string;
    expect(first).toMatch(/^Bearer tgm_/);
    expect(await org.proxies.get({})).toEqual(expect.any(Array));

    // The stashed token, as the library sees it a day later: expired, so it refreshes.
    const stashed = await org.conn.getExistingToken();
    expect(stashed.refresh_token).toMatch(/^tgr_/);
    const refreshed = await org.conn.refreshToken({ ...stashed, issued_at: Date.now() - 86_400_000 });
    expect(refreshed.access_token).toMatch(/^tgm_/);
    expect(org.conn.requestHeaders.authorization).toBe(`Bearer ${refreshed.access_token}`);
    expect(refreshed.access_token).not.toBe(first.slice('Bearer '.length));
    expect(await org.proxies.get({})).toEqual(expect.any(Array));
    // The refresh token that was used is spent.
    const again = await login({ grant_type: 'refresh_token', refresh_token: stashed.refresh_token });
    expect(again.status).toBe(400);
    expect(again.json).toEqual({ error: 'invalid_grant', error_description: 'The refresh token is unknown, expired or already used' });
  });

  it('refuses a wrong password as the SSO endpoint does', async () => {
    await expect(edge.apigee.connect({ mgmtServer: platform.url, org: 'default', user: 'admin@localhost', password: 'not-the-password', ssoUrl: `${platform.url}/login`, forcenew: true })).rejects.toThrow(/401/);
  });
});

describe('the login endpoint', () => {
  it('answers a wrong password and an unknown user alike, and no tokens', async () => {
    const wrong = await login({ grant_type: 'password', username: 'admin@localhost', password: 'nope' });
    const unknown = await login({ grant_type: 'password', username: 'nobody@example.com', password: 'nope' });
    for (const response of [wrong, unknown]) {
      expect(response.status).toBe(401);
      expect(response.json).toEqual({ error: 'unauthorized', error_description: 'Bad credentials' });
      expect(response.headers.get('cache-control')).toBe('no-store');
    }
  });

  it("takes only the tools' client, forms, and the two grants", async () => {
    const other = await login({ grant_type: 'password', username: 'admin@localhost', password: target.password }, `Basic ${Buffer.from('edgecli:guess').toString('base64')}`);
    expect(other.status).toBe(401);
    expect(other.json.error).toBe('invalid_client');
    expect(other.headers.get('www-authenticate')).toContain('Basic');
    const json = await platform.request('POST', '/login/oauth/token', { auth: TOOLS_CLIENT, json: { grant_type: 'password' } });
    expect(json.status).toBe(400);
    expect(json.json.error).toBe('invalid_request');
    expect((await login({ grant_type: 'client_credentials' })).json.error).toBe('unsupported_grant_type');
    expect((await login({ grant_type: 'password', username: 'admin@localhost' })).json.error).toBe('invalid_request');
    expect((await login({ grant_type: 'refresh_token', refresh_token: 'tgr_forged' })).json.error).toBe('invalid_grant');
    const ok = await login({ grant_type: 'password', username: 'ADMIN@localhost', password: target.password });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json).toMatchObject({ token_type: 'Bearer', expires_in: 1800, access_token: expect.stringMatching(/^tgm_/), refresh_token: expect.stringMatching(/^tgr_/) });
    // The token is the user's: it reaches the management API with the user's roles.
    const organization = await platform.request('GET', '/v1/organizations/default', { auth: `Bearer ${ok.json.access_token}` });
    expect(organization.status).toBe(200);
  });
});
