// Management users as Apigee tools use them: users created with Apigee's
// payloads, roles per organization, Basic with email and password, Bearer
// with a management token, and the first user made at start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startPlatform, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;
let admin: string;
const ORG = '/v1/organizations/default';
const email = 'grace@example.com';
const password = 'correct horse battery staple';

beforeAll(async () => {
  platform = await startPlatform();
  admin = await platform.adminBasic();
});
afterAll(() => platform.close());

describe('the first management user', () => {
  it('exists after the first start as orgadmin of the default organization, its password in the secret store', async () => {
    expect(platform.local.admin).toMatchObject({ email: 'admin@localhost', created: true, generatedPassword: true, passwordSecret: 'admin-password' });
    const org = await platform.request('GET', ORG, { auth: admin });
    expect(org.status).toBe(200);
    const me = await platform.request('GET', '/v1/users/admin@localhost', { auth: admin });
    expect(me.json).toMatchObject({ emailId: 'admin@localhost', roles: { role: [{ name: 'orgadmin', organization: 'default' }] } });
    expect(JSON.stringify(me.json)).not.toMatch(/password|scrypt/i);
  });
});

describe('users and roles with Apigee payloads', () => {
  let grace: string;

  it('creates a user, refuses a duplicate and a weak password', async () => {
    const made = await platform.request('POST', '/v1/users', { auth: admin, json: { emailId: email, firstName: 'Grace', lastName: 'Hopper', password } });
    expect(made.status).toBe(201);
    expect(made.json).toMatchObject({ emailId: email, firstName: 'Grace', lastName: 'Hopper', roles: { role: [] } });
    expect((await platform.request('POST', '/v1/users', { auth: admin, json: { emailId: email, password } })).status).toBe(409);
    const weak = await platform.request('POST', '/v1/users', { auth: admin, json: { emailId: 'weak@example.com', password: 'short' } });
    expect(weak.status).toBe(422);
    expect(weak.json.error.fields[0].path).toBe('password');
    grace = basic(email, password);
  });

  it('a user without a role reaches no organization', async () => {
    expect((await platform.request('GET', `${ORG}/apis`, { auth: grace })).status).toBe(403);
  });

  it('gives the readonly role with ?id= and lists it', async () => {
    const added = await platform.request('POST', `${ORG}/userroles/readonly/users?id=${encodeURIComponent(email)}`, { auth: admin });
    expect(added.status).toBe(200);
    expect(added.json).toEqual({ user: [{ name: email }] });
    expect((await platform.request('GET', `${ORG}/userroles/readonly/users`, { auth: admin })).json).toEqual([email]);
    expect((await platform.request('GET', `${ORG}/userroles`, { auth: grace })).json).toEqual(['orgadmin', 'readonly', 'connectoruser']);
    expect((await platform.request('GET', `${ORG}/me`, { auth: grace })).json).toEqual({ organization: 'default', role: 'readonly', email });
    expect((await platform.request('GET', `${ORG}/me`)).json).toMatchObject({ organization: 'default', role: 'orgadmin' });
    expect((await platform.request('POST', `${ORG}/userroles/superuser/users?id=${email}`, { auth: admin })).status).toBe(404);
  });

  it('readonly reads, but never writes and never sees a secret', async () => {
    expect((await platform.request('GET', `${ORG}/apis`, { auth: grace })).status).toBe(200);
    const write = await platform.request('POST', `${ORG}/apiproducts`, { auth: grace, json: { name: 'p' } });
    expect(write.status).toBe(403);
    expect(write.json.error.code).toBe('insufficient_role');
    // The app's secret is only in the answer that creates it, a write readonly cannot make.
    await platform.request('POST', `${ORG}/apiproducts`, { auth: admin, json: { name: 'ro-product' } });
    await platform.request('POST', `${ORG}/developers`, { auth: admin, json: { email: 'dev@example.com', firstName: 'D', lastName: 'V', userName: 'dv' } });
    const app = await platform.request('POST', `${ORG}/developers/dev@example.com/apps`, { auth: admin, json: { name: 'ro-app', apiProducts: ['ro-product'] } });
    const secret = app.json.credentials[0].consumerSecret as string;
    const read = await platform.request('GET', `${ORG}/developers/dev@example.com/apps/ro-app`, { auth: grace });
    expect(read.status).toBe(200);
    expect(read.text).not.toContain(secret);
    expect((await platform.request('POST', `${ORG}/developers/dev@example.com/apps/ro-app/keys/create`, { auth: grace, json: {} })).status).toBe(403);
    // Encrypted KVM values read back masked for every caller.
    await platform.request('POST', `${ORG}/environments/prod/keyvaluemaps`, { auth: admin, json: { name: 'vault', encrypted: true, entry: [{ name: 'k', value: 'hunter2' }] } });
    const kvm = await platform.request('GET', `${ORG}/environments/prod/keyvaluemaps/vault`, { auth: grace });
    expect(kvm.status).toBe(200);
    expect(kvm.text).not.toContain('hunter2');
    // Connector instances (their tokens) are for the platform header only.
    expect((await platform.request('GET', '/elements/api-v2/instances', { auth: grace })).status).toBe(401);
  });

  it('a wrong password is 401 with the Basic challenge', async () => {
    const response = await platform.request('GET', `${ORG}/apis`, { auth: basic(email, 'wrong password!') });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('Basic realm="tollgate"');
    expect(response.headers.get('www-authenticate')).toContain('Bearer realm="tollgate"');
  });

  it('issues a Bearer management token to the user itself only', async () => {
    const issued = await platform.request('POST', `/v1/users/${email}/tokens`, { auth: grace });
    expect(issued.status).toBe(200);
    expect(issued.json).toEqual({ access_token: expect.stringMatching(/^tgm_[A-Za-z0-9_-]{43}$/), token_type: 'Bearer', expires_in: 1800 });
    expect(issued.headers.get('cache-control')).toBe('no-store');
    const bearer = `Bearer ${issued.json.access_token as string}`;
    expect((await platform.request('GET', `/v1/o/default/apis`, { auth: bearer })).status).toBe(200);
    expect((await platform.request('POST', `${ORG}/apiproducts`, { auth: bearer, json: { name: 'q' } })).status).toBe(403);
    // Nobody else gets a token for this user: not the orgadmin, not the platform header.
    expect((await platform.request('POST', `/v1/users/${email}/tokens`, { auth: admin })).status).toBe(403);
    expect((await platform.request('POST', `/v1/users/${email}/tokens`)).status).toBe(403);
    expect((await platform.request('POST', `/v1/users/${email}/tokens`, { auth: false })).status).toBe(401);
    // A proxy access token (a JWT) is no management token.
    const jwt = await platform.request('GET', `${ORG}/apis`, { auth: 'Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln' });
    expect(jwt.status).toBe(401);
    expect(jwt.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('a user of one organization is refused on another', async () => {
    const other = await platform.addUser('acme', 'orgadmin');
    expect((await platform.request('GET', '/v1/organizations/acme/apis', { auth: other })).status).toBe(200);
    expect((await platform.request('GET', `${ORG}/apis`, { auth: other })).status).toBe(403);
    expect((await platform.request('GET', `/v1/users/${email}`, { auth: other })).status).toBe(404);
    expect((await platform.request('DELETE', `/v1/users/${email}`, { auth: other })).status).toBe(404);
    expect((await platform.request('GET', '/v1/organizations/acme/apis', { auth: grace })).status).toBe(403);
  });

  it('promotes, demotes and removes roles', async () => {
    await platform.request('POST', `${ORG}/userroles/orgadmin/users?id=${email}`, { auth: admin });
    expect((await platform.request('POST', `${ORG}/apiproducts`, { auth: grace, json: { name: 'by-grace' } })).status).toBe(201);
    expect((await platform.request('GET', `${ORG}/userroles/readonly/users`, { auth: admin })).json).toEqual([]);
    expect((await platform.request('DELETE', `${ORG}/userroles/readonly/users/${email}`, { auth: admin })).status).toBe(404);
    expect((await platform.request('DELETE', `${ORG}/userroles/orgadmin/users/${email}`, { auth: admin })).status).toBe(200);
    expect((await platform.request('GET', `${ORG}/apis`, { auth: grace })).status).toBe(403);
  });

  it('deleting a user ends its tokens at once', async () => {
    await platform.request('POST', `${ORG}/userroles/readonly/users?id=${email}`, { auth: admin });
    const token = (await platform.request('POST', `/v1/users/${email}/tokens`, { auth: basic(email, password) })).json.access_token as string;
    expect((await platform.request('DELETE', `/v1/users/${email}`, { auth: admin })).status).toBe(200);
    expect((await platform.request('GET', `${ORG}/apis`, { auth: `Bearer ${token}` })).status).toBe(401);
    expect((await platform.request('GET', `${ORG}/apis`, { auth: basic(email, password) })).status).toBe(401);
    // Created again under the same email, the old token still does not work.
    await platform.request('POST', `${ORG}/users`, { auth: admin, json: { email, password, role: 'orgadmin' } });
    expect((await platform.request('GET', `${ORG}/apis`, { auth: `Bearer ${token}` })).status).toBe(401);
  });
});

describe('the organization users shortcut', () => {
  it('creates a user with a role, lists, reads and removes it', async () => {
    const made = await platform.request('POST', `${ORG}/users`, { auth: admin, json: { email: 'ops@example.com', password: 'a long enough password', role: 'orgadmin' } });
    expect(made.status).toBe(201);
    expect(made.json.roles.role).toEqual([{ name: 'orgadmin', organization: 'default' }]);
    const ops = basic('ops@example.com', 'a long enough password');
    expect((await platform.request('POST', `${ORG}/apiproducts`, { auth: ops, json: { name: 'by-ops' } })).status).toBe(201);
    const list = await platform.request('GET', `${ORG}/users`, { auth: admin });
    expect(list.json).toEqual(expect.arrayContaining([{ emailId: 'ops@example.com', role: 'orgadmin' }, { emailId: 'admin@localhost', role: 'orgadmin' }]));
    expect((await platform.request('GET', `${ORG}/users/ops@example.com`, { auth: admin })).status).toBe(200);
    expect((await platform.request('DELETE', `${ORG}/users/ops@example.com`, { auth: admin })).status).toBe(200);
    expect((await platform.request('GET', `${ORG}/users/ops@example.com`, { auth: admin })).status).toBe(404);
    expect((await platform.request('GET', `${ORG}/apis`, { auth: ops })).status).toBe(401);
  });
});
