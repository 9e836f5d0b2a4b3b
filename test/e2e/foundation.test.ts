// The platform's base over HTTP: health, platform authentication, tenant
// separation, persistence across restarts, and the data-directory lock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as compare from '../../shared/crypto/compare.js';
import { getOrganization, ensureOrganization } from '../../shared/auth/organizations.js';
import { startLocalRuntime } from '../../local/runtime.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';

vi.mock('../../shared/crypto/compare.js', async (original) => {
  const actual = await original<typeof compare>();
  return { ...actual, safeEqual: vi.fn(actual.safeEqual) };
});

let platform: TestPlatform;
beforeAll(async () => {
  platform = await startPlatform();
});
afterAll(() => platform.close());

describe('health', () => {
  it('answers GET /healthz without credentials', async () => {
    const response = await platform.request('GET', '/healthz', { auth: false });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ status: 'ok' });
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });

  it('answers unknown reserved paths with a JSON 404 and wrong methods with 405', async () => {
    const unknown = await platform.request('GET', '/v1/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('not_found');
    expect(unknown.json.requestId).toBeTruthy();
    // A method the route table does not route is API Gateway's 404 (discovery-and-forwarding.test.ts); one that
    // reaches a function but no route of its router is 405.
    const wrong = await platform.request('POST', '/v1/openapi.json');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
  });
});

describe('platform authentication', () => {
  const path = '/v1/organizations/default';

  it('accepts the organization credentials, in either order', async () => {
    expect((await platform.request('GET', path)).status).toBe(200);
    const [user, org] = platform.auth.split(', ');
    expect((await platform.request('GET', path, { auth: `${org}, ${user}` })).status).toBe(200);
  });

  it.each([
    ['missing', undefined],
    ['malformed', 'Basic dXNlcjpwYXNz'],
    ['wrong user secret', 'User nope, Organization ORG'],
    ['wrong organization secret', 'User USER, Organization nope'],
  ])('refuses a %s header with 401 JSON', async (_name, header) => {
    const [user, org] = platform.auth.split(', ').map((part) => part.split(' ')[1]);
    const value = header?.replace('ORG', org!).replace('USER', user!);
    const response = await platform.request('GET', path, value === undefined ? { auth: false } : { auth: value });
    expect(response.status).toBe(401);
    expect(response.json.error.code).toBe('unauthorized');
    expect(response.text).not.toContain(user!);
    expect(response.text).not.toContain(org!);
  });

  it('compares secrets in constant time', async () => {
    const spy = vi.mocked(compare.safeEqual);
    spy.mockClear();
    const other = await platform.addOrganization('timing');
    const response = await platform.request('GET', '/v1/organizations/timing', { auth: other.replace(/User [^,\s]+/, 'User wrong') });
    expect(response.status).toBe(401);
    // Both secrets are compared, with the constant-time helper, even when the first differs.
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it('never answers 500 to fuzzed Authorization headers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.constantFrom('User , Organization ', 'User a,Organization b,Element', 'User\u0000a, Organization b'),
          fc.tuple(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 })).map(([u, o]) => `User ${u}, Organization ${o}`),
        ),
        async (header) => {
          const safe = header.replace(/[^\t\x20-\x7e]/g, '');
          const response = await platform.request('GET', path, { auth: safe.length ? safe : false });
          expect([401]).toContain(response.status);
          expect(response.json.error.code).toBe('unauthorized');
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('tenant separation', () => {
  it('refuses another organization in the path with 403', async () => {
    const acme = await platform.addOrganization('acme');
    expect((await platform.request('GET', '/v1/organizations/acme', { auth: acme })).status).toBe(200);
    const crossed = await platform.request('GET', '/v1/organizations/acme');
    expect(crossed.status).toBe(403);
    const reverse = await platform.request('GET', '/v1/organizations/default', { auth: acme });
    expect(reverse.status).toBe(403);
  });

  it('does not let one organization secret pass with another user secret', async () => {
    const acme = await platform.addOrganization('acme2');
    const acmeUser = acme.split(', ')[0];
    const defaultOrg = platform.auth.split(', ')[1];
    const mixed = await platform.request('GET', '/v1/organizations/default', { auth: `${acmeUser}, ${defaultOrg}` });
    expect(mixed.status).toBe(401);
  });
});

describe('local data directory', () => {
  it('keeps data across restarts and refuses a second process on the same directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-'));
    try {
      const first = await startLocalRuntime({ dataDir: dir, publicUrl: 'http://127.0.0.1:1', env: { TOLLGATE_ORG: 'disk' } });
      await ensureOrganization(first.runtime, 'persisted');
      const credentials = first.credentials;
      await expect(startLocalRuntime({ dataDir: dir, publicUrl: 'http://127.0.0.1:1', env: {} })).rejects.toThrow(
        /in use by another Tollgate process/,
      );
      await first.close();

      const second = await startLocalRuntime({ dataDir: dir, publicUrl: 'http://127.0.0.1:1', env: { TOLLGATE_ORG: 'disk' } });
      expect(second.generatedCredentials).toBe(false);
      expect(second.credentials).toEqual(credentials);
      expect((await getOrganization(second.runtime, 'persisted'))?.name).toBe('persisted');
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes its credentials from the environment when given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-'));
    try {
      const local = await startLocalRuntime({
        dataDir: dir,
        publicUrl: 'http://127.0.0.1:1',
        env: { TOLLGATE_ORGANIZATION_SECRET: 'org-secret-from-env', TOLLGATE_USER_SECRET: 'user-secret-from-env' },
      });
      expect(local.credentials).toEqual({ organizationSecret: 'org-secret-from-env', userSecret: 'user-secret-from-env' });
      await local.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('proxy runtime entry', () => {
  it('answers a path with no deployed proxy with an Apigee fault', async () => {
    const response = await platform.proxy('GET', '/nothing/deployed', { auth: false });
    expect(response.status).toBe(404);
    expect(response.json.fault.detail.errorcode).toBe('messaging.adaptors.http.flow.ApplicationNotFound');
  });
});
