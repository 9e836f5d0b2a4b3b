// Every registered route of every router, called through the local server
// with no credentials, wrong credentials of each scheme, a readonly user
// writing and a user of another organization: the router must refuse each
// with the right status before any handler runs.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callbackRouter } from '../../shared/connectors/callback-routes.js';
import type { RegisteredRoute } from '../../shared/http/router.js';
import { tokenRouter } from '../../shared/oauth/token-routes.js';
import { platformRouter } from '../../shared/platform/platform-router.js';
import { basic, startPlatform, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;
let readonlyUser: string;
let otherAdmin: string;
/** The platform header of an Open Connectors account user (role connectoruser). */
let accountUser: string;

beforeAll(async () => {
  platform = await startPlatform();
  readonlyUser = await platform.addUser('default', 'readonly');
  otherAdmin = await platform.addUser('other', 'orgadmin');
  const made = await platform.request('POST', '/elements/api-v2/organizations/users', { json: { email: 'route-auth@example.com', firstName: 'Route', lastName: 'Sweep' } });
  accountUser = `User ${made.json.secret}, Organization ${platform.local.credentials.organizationSecret}`;
});
afterAll(() => platform.close());

const routes: RegisteredRoute[] = [...platformRouter().routes(), ...tokenRouter().routes(), ...callbackRouter().routes()];
const guarded = routes.filter((route) => route.doc.auth !== 'none');

/** A concrete path for a pattern: `{org}` is `org`, other parameters a placeholder. */
function pathOf(pattern: string, org = 'default'): string {
  return pattern
    .split('/')
    .map((part) => (part === ':org' ? org : part.startsWith(':') ? 'x' : part.startsWith('*') ? 'x/y' : part))
    .join('/');
}
const methodOf = (route: RegisteredRoute) => (route.method === 'ANY' ? 'POST' : route.method);
const label = (route: RegisteredRoute) => `${route.method} ${route.pattern} (${route.doc.auth})`;
const bodyFor = (route: RegisteredRoute) => (methodOf(route) === 'GET' ? {} : { json: {} });
const isRead = (route: RegisteredRoute) => (route.doc.access ?? (methodOf(route) === 'GET' ? 'read' : 'write')) === 'read';

const wrongCredentials: Record<string, string[]> = {
  management: [
    `User ${'u'.repeat(43)}, Organization ${'o'.repeat(43)}`,
    basic('admin@localhost', 'not-the-password'),
    basic('nobody@example.com', 'whatever-password'),
    `Bearer tgm_${randomBytes(32).toString('base64url')}`,
    'Bearer eyJhbGciOiJub25lIn0.e30.',
    'Digest username="admin"',
  ],
  platform: [`User ${'u'.repeat(43)}, Organization ${'o'.repeat(43)}`, basic('admin@localhost', 'x')],
  element: [`User ${'u'.repeat(43)}, Organization ${'o'.repeat(43)}, Element ${'e'.repeat(43)}`],
  client: [basic('no-such-client', 'no-secret')],
  // Developer portal sessions: a forged one, a management token, a management user.
  developer: [`Bearer tgdev_${randomBytes(32).toString('base64url')}`, `Bearer tgm_${randomBytes(32).toString('base64url')}`, basic('admin@localhost', 'x')],
};

describe('every guarded route', () => {
  it('covers the routers: management, connector, element and client routes are all walked', () => {
    const schemes = new Set(guarded.map((route) => route.doc.auth));
    expect([...schemes].sort()).toEqual(['client', 'developer', 'element', 'management', 'platform']);
    expect(guarded.length).toBeGreaterThan(80);
  });

  it('answers 401 with WWW-Authenticate without credentials', async () => {
    for (const route of guarded) {
      const response = await platform.request(methodOf(route), pathOf(route.pattern), { auth: false });
      expect(response.status, label(route)).toBe(401);
      expect(response.headers.get('www-authenticate'), label(route)).toBeTruthy();
    }
  });

  it('answers 401 with WWW-Authenticate to wrong credentials of every scheme', async () => {
    for (const route of guarded) {
      for (const auth of wrongCredentials[route.doc.auth!]!) {
        const response = await platform.request(methodOf(route), pathOf(route.pattern), { auth });
        expect(response.status, `${label(route)} with ${auth.split(' ')[0]}`).toBe(401);
        expect(response.headers.get('www-authenticate'), label(route)).toBeTruthy();
      }
    }
  });

  it('the element scheme wants the Element part even with valid platform credentials', async () => {
    // A route of the Element token's instance (the router asks), and a resource call (the call asks, so unknown platform paths can be 404).
    for (const path of ['/elements/api-v2/instances/configuration', '/elements/api-v2/contacts']) {
      const response = await platform.request('GET', path);
      expect(response.status, path).toBe(401);
      expect(response.json.code, path).toBe('element_token_required');
    }
  });

  it('management routes refuse a readonly user\'s writes (403) and let it read', async () => {
    const management = guarded.filter((route) => route.doc.auth === 'management');
    for (const route of management) {
      const response = await platform.request(methodOf(route), pathOf(route.pattern), { auth: readonlyUser, ...bodyFor(route) });
      if (isRead(route)) expect([401, 403], label(route)).not.toContain(response.status);
      else expect([403, 404], label(route)).toContain(response.status);
      if (!isRead(route) && route.doc.scope !== 'global') expect(response.json.error.code, label(route)).toBe('insufficient_role');
    }
  });

  it('management routes under another organization are 403 for a user of this one', async () => {
    for (const route of guarded.filter((r) => r.doc.auth === 'management' && r.pattern.includes(':org'))) {
      const response = await platform.request(methodOf(route), pathOf(route.pattern, 'default'), { auth: otherAdmin, ...bodyFor(route) });
      expect(response.status, label(route)).toBe(403);
      // The readonly user of default on the other organization, too.
      const foreign = await platform.request(methodOf(route), pathOf(route.pattern, 'other'), { auth: readonlyUser });
      expect(foreign.status, label(route)).toBe(403);
    }
  });

  it('an account user (connectoruser) reaches only routes open to it: no management route, connector writes only where it acts on its own', async () => {
    for (const route of guarded.filter((r) => r.doc.auth === 'management' || r.doc.auth === 'platform' || r.doc.auth === 'element')) {
      const response = await platform.request(methodOf(route), pathOf(route.pattern), { auth: route.doc.auth === 'element' ? `${accountUser}, Element ${'e'.repeat(43)}` : accountUser, ...bodyFor(route) });
      const open = route.doc.auth !== 'management' && (route.doc.userAccess === 'own' || (route.doc.userAccess === 'read' && isRead(route)));
      // Open routes: their handlers decide (what the user owns); closed ones: the router refuses.
      if (open) expect(response.status, label(route)).toBeLessThan(500);
      else if (route.doc.scope !== 'global') {
        expect(response.status, label(route)).toBe(403);
        expect(response.json?.code ?? response.json?.error?.code, label(route)).toBe('insufficient_role');
      }
    }
  });

  it('the /v1/o and /e aliases are checked exactly like the long paths', async () => {
    expect((await platform.request('GET', '/v1/o/default/apis', { auth: false })).status).toBe(401);
    expect((await platform.request('GET', '/v1/o/default/e/prod/deployments', { auth: otherAdmin })).status).toBe(403);
    expect((await platform.request('POST', '/v1/o/default/apiproducts', { auth: readonlyUser, json: { name: 'p' } })).status).toBe(403);
    expect((await platform.request('GET', '/v1/o/default/e/prod/deployments', { auth: readonlyUser })).status).toBe(200);
  });
});
