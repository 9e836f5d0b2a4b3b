// Open Connectors' organization > accounts > users over HTTP: the shapes of
// /accounts, /accounts/{id}/users, /organizations/users, /users and their
// roles (payloads as Open Connectors documents them and churros, Cloud
// Elements' own test suite, sends them); each user's own user secret and own
// instances; what an account administrator and an organization administrator
// see; another user's and another organization's instances, tokens and
// secrets out of reach; a user's secret reset and a user's deletion; and no
// secret in any log line.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { instanceKeys } from '../../shared/store/keys.js';
import { basic, startPlatform, type RequestOptions, type TestPlatform, type TestResponse } from '../support/platform.js';
import { captureLogs, type LogCapture } from '../support/suite.js';
import { sendJson, startVendor, type VendorServer } from '../support/vendor.js';

vi.hoisted(() => {
  process.env.LOG_LEVEL = 'DEBUG';
});

const BASE = '/elements/api-v2';
const VENDOR_PASSWORD = 'vendor-password-Xy9!';

let platform: TestPlatform;
let vendor: VendorServer;
let logs: LogCapture;
let organizationSecret: string;
const secrets: string[] = [];

const call = (method: string, path: string, options: RequestOptions = {}): Promise<TestResponse> => platform.request(method, `${BASE}${path}`, options);
const as = (userSecret: string) => `User ${userSecret}, Organization ${organizationSecret}`;
const withElement = (auth: string, token: string) => `${auth}, Element ${token}`;

/** A user as the account-user API creates it; remembers its secret for the log scan. */
async function addUser(path: string, payload: Record<string, unknown>, auth = platform.auth): Promise<{ id: number; secret: string; auth: string; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const made = await call('POST', path, { auth, json: payload });
  expect(made.status, made.text).toBe(200);
  secrets.push(made.json.secret);
  return { id: made.json.id, secret: made.json.secret, auth: as(made.json.secret), body: made.json };
}

const element = () => ({
  key: 'accounts-vendor',
  name: 'Accounts Vendor',
  authentication: { type: 'basic' },
  configuration: [{ key: 'base.url', name: 'Base URL', type: 'TEXTFIELD_1000', defaultValue: `${vendor.url}/v1` }],
});

async function addInstance(auth: string, name: string): Promise<{ id: number; token: string; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const made = await call('POST', '/elements/accounts-vendor/instances', { auth, json: { name, configuration: { username: 'u', password: VENDOR_PASSWORD } } });
  expect(made.status, made.text).toBe(200);
  return { id: made.json.id, token: made.json.token, body: made.json };
}

const ids = (response: TestResponse) => (response.json as { id: number }[]).map((item) => item.id).sort((x, y) => x - y);

let defaultAccountId: number;
let customer: { id: number };
let ada: Awaited<ReturnType<typeof addUser>>;
let bob: Awaited<ReturnType<typeof addUser>>;
let adaInstance: Awaited<ReturnType<typeof addInstance>>;
let bobInstance: Awaited<ReturnType<typeof addInstance>>;
let ownInstance: Awaited<ReturnType<typeof addInstance>>;

beforeAll(async () => {
  logs = captureLogs();
  platform = await startPlatform();
  organizationSecret = platform.local.credentials.organizationSecret;
  vendor = await startVendor((request, res) => sendJson(res, 200, [{ id: 1, path: request.path }]));
  expect((await call('POST', '/elements', { json: element() })).status).toBe(200);
});

afterAll(async () => {
  logs.restore();
  await vendor.close();
  await platform.close();
});

describe('accounts', () => {
  it('the organization has a default account; accounts are created, read, searched, changed and deleted as Open Connectors does', async () => {
    const list = await call('GET', '/accounts');
    expect(list.status).toBe(200);
    expect(list.json).toEqual([expect.objectContaining({ defaultAccount: true, type: 'Default', active: true })]);
    defaultAccountId = list.json[0].id;

    const made = await call('POST', '/accounts', { json: { name: 'Acme Data', description: 'Account for Acme Element Instances', externalId: 'joe.johnson@acmedata.com' } });
    expect(made.status).toBe(200);
    expect(made.json).toMatchObject({ name: 'Acme Data', externalId: 'joe.johnson@acmedata.com', defaultAccount: false, type: 'CompanyAccount', active: true });
    expect(typeof made.json.id).toBe('number');
    customer = made.json;
    expect((await call('GET', `/accounts/${customer.id}`)).json).toMatchObject({ id: customer.id, name: 'Acme Data' });

    const patched = await call('PATCH', `/accounts/${customer.id}`, { json: { name: 'Acme Data Services', description: 'Updated' } });
    expect(patched.json).toMatchObject({ id: customer.id, name: 'Acme Data Services', description: 'Updated', externalId: 'joe.johnson@acmedata.com' });

    const found = await call('GET', `/accounts?where=${encodeURIComponent("name='Acme Data Services'")}`);
    expect(found.json.map((account: { id: number }) => account.id)).toEqual([customer.id]);
    expect(found.headers.get('elements-returned-count')).toBe('1');
    expect((await call('GET', `/accounts?where=${encodeURIComponent('name LIKE x')}`)).status).toBe(400);

    const scratch = await call('POST', '/accounts', { json: { externalId: 'scratch' } });
    expect(scratch.json.name).toBe('scratch');
    expect((await call('DELETE', `/accounts/${scratch.json.id}`)).status).toBe(200);
    for (const path of [`/accounts/${scratch.json.id}`, '/accounts/-1']) expect((await call('GET', path)).status).toBe(404);
    expect((await call('PATCH', '/accounts/-1', { json: { name: 'x' } })).status).toBe(404);
    expect((await call('DELETE', `/accounts/${defaultAccountId}`)).status).toBe(409);
    expect((await call('POST', '/accounts', { json: {} })).status).toBe(400);
  });
});

describe('users, each with its own user secret', () => {
  it('creates account users with Open Connectors\' payload; the secret is in the answer once', async () => {
    ada = await addUser(`/accounts/${customer.id}/users`, { email: 'ada@acme.example', firstName: 'Ada', lastName: 'Lovelace', password: 'Engines-1843!' });
    expect(ada.body).toMatchObject({ email: 'ada@acme.example', firstName: 'Ada', lastName: 'Lovelace', fullName: 'Ada Lovelace', active: true, accountId: customer.id, roles: [{ key: 'user' }] });
    expect(ada.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(ada.body).not.toHaveProperty('password');
    // Open Connectors' minimal payload: no password, a user that calls only with its secret.
    bob = await addUser(`/accounts/${customer.id}/users`, { email: 'brie@acme.example', firstName: 'Brie', lastName: 'Burns' });

    const read = await call('GET', `/users/${ada.id}`);
    expect(read.json).toMatchObject({ id: ada.id, email: 'ada@acme.example' });
    expect(read.json).not.toHaveProperty('secret');
    expect(read.text).not.toContain(ada.secret);
    expect((await call('GET', `/accounts/${customer.id}/users/ada@acme.example`)).json.id).toBe(ada.id);
    expect(ids(await call('GET', `/accounts/${customer.id}/users`))).toEqual([ada.id, bob.id].sort((x, y) => x - y));
    expect((await call('POST', `/accounts/${customer.id}/users`, { json: { email: 'ada@acme.example', firstName: 'A', lastName: 'L' } })).status).toBe(409);
  });

  it('hands the secret to whoever proves the user\'s password (elements-user-password)', async () => {
    const withPassword = await call('GET', `/users/${ada.id}`, { headers: { 'elements-user-password': 'Engines-1843!' } });
    expect(withPassword.json.secret).toBe(ada.secret);
    expect(withPassword.headers.get('cache-control')).toBe('no-store');
    expect((await call('GET', `/users/${ada.id}`, { headers: { 'elements-user-password': 'wrong-Password-1!' } })).status).toBe(403);
    expect((await call('GET', `/users/${bob.id}`, { headers: { 'elements-user-password': 'anything-At-all-1!' } })).status).toBe(403);
  });

  it('is one user model: an account user is a management user with the connectoruser role, and its password works with Basic', async () => {
    const admin = await platform.adminBasic();
    const viaApigee = await platform.request('GET', '/v1/users/ada@acme.example', { auth: admin });
    expect(viaApigee.json).toMatchObject({ emailId: 'ada@acme.example', firstName: 'Ada', roles: { role: [{ name: 'connectoruser', organization: 'default' }] } });
    // The connectoruser role reaches no management route, with either credential.
    for (const auth of [basic('ada@acme.example', 'Engines-1843!'), ada.auth]) {
      const apis = await platform.request('GET', '/v1/organizations/default/apis', { auth });
      expect(apis.status).toBe(403);
      expect(apis.json.error.code).toBe('insufficient_role');
    }
    // The user without a password cannot use Basic at all.
    expect((await platform.request('GET', '/v1/organizations/default/apis', { auth: basic('brie@acme.example', '') })).status).toBe(401);
  });

  it('an account user reads the catalog but changes none of it', async () => {
    expect((await call('GET', '/elements/accounts-vendor', { auth: ada.auth })).status).toBe(200);
    const write = await call('POST', '/elements', { auth: ada.auth, json: { ...element(), name: 'Not Allowed' } });
    expect(write.status).toBe(403);
    expect(write.json.code).toBe('insufficient_role');
    expect((await call('POST', '/accounts', { auth: ada.auth, json: { externalId: 'x' } })).status).toBe(403);
  });

  it('organization users: Open Connectors\' default password policy, duplicates, search by where, read by email, delete', async () => {
    const payload = { email: 'churros@example.com', firstName: 'churros', lastName: 'test', password: 'Thingys123!' };
    const weak = async (password: string, message: string) => {
      const refused = await call('POST', '/organizations/users', { json: { email: 'fakeuser@example.com', firstName: 'churros', lastName: 'bigsby', password } });
      expect(refused.status, password).toBe(400);
      expect(refused.json.message, password).toContain(message);
    };
    await weak('short', 'at least');
    await weak('MissingNumber!', 'numeric');
    await weak('nouppercase1!', 'uppercase');
    await weak('NOLOWERCASE1!', 'lowercase');
    await weak('Churros1!', 'first name');
    await weak('Bigsby1!', 'last name');
    await weak('Fakeuser1!', 'username');
    await weak('NoSymbols1', 'special character');
    expect((await call('POST', '/organizations/users', { json: {} })).status).toBe(400);

    const made = await addUser('/organizations/users', payload);
    expect(made.body).toMatchObject({ accountId: defaultAccountId, roles: [{ key: 'org' }] });
    expect((await call('POST', '/organizations/users', { json: payload })).status).toBe(409);
    const found = await call('GET', `/organizations/users?where=${encodeURIComponent("firstName='churros'")}`);
    expect(found.json).toHaveLength(1);
    expect(found.json[0]).toMatchObject({ id: made.id, firstName: 'churros' });
    expect((await call('GET', '/organizations/users/churros@example.com')).json.id).toBe(made.id);
    // A customer account's users are not the organization's.
    expect((await call('GET', `/organizations/users/${ada.id}`)).status).toBe(404);
    expect((await call('DELETE', `/organizations/users/${made.id}`)).status).toBe(200);
    expect((await call('GET', `/organizations/users/${made.id}`)).status).toBe(404);
    expect((await call('GET', '/organizations/users/-1')).status).toBe(404);
    expect((await call('DELETE', '/organizations/users/-1')).status).toBe(404);
    expect((await call('GET', '/instances', { auth: made.auth })).status).toBe(401);
  });

  it('updates a user as Open Connectors clients send it back; the email stays', async () => {
    const current = (await call('GET', `/users/${ada.id}`)).json;
    const patched = await call('PATCH', `/users/${ada.id}`, { json: { ...current, firstName: 'Augusta', lastName: 'King' } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json).toMatchObject({ id: ada.id, firstName: 'Augusta', lastName: 'King', email: 'ada@acme.example' });
    expect((await call('PATCH', `/users/${ada.id}`, { json: { email: 'other@acme.example' } })).status).toBe(400);
    // A user changes its own names, not its roles.
    expect((await call('PATCH', `/users/${ada.id}`, { auth: ada.auth, json: { firstName: 'Ada' } })).json.firstName).toBe('Ada');
    expect((await call('PATCH', `/users/${ada.id}`, { auth: ada.auth, json: { roles: [{ key: 'admin' }] } })).status).toBe(403);
    expect((await call('PATCH', `/users/${ada.id}`, { auth: ada.auth, json: { password: 'Weak' } })).status).toBe(400);
  });

  it('lists the users the caller may see: all for the organization administrator, itself for a user', async () => {
    const all = ids(await call('GET', '/users'));
    expect(all).toEqual(expect.arrayContaining([ada.id, bob.id]));
    const me = (await call('GET', '/users')).json.find((user: { email: string }) => user.email === 'admin@localhost');
    expect(me).toMatchObject({ accountId: defaultAccountId, roles: [{ key: 'org-admin' }, { key: 'admin' }, { key: 'org' }] });
    expect(ids(await call('GET', '/users', { auth: ada.auth }))).toEqual([ada.id]);
    expect((await call('GET', `/users/${bob.id}`, { auth: ada.auth })).status).toBe(404);
    expect((await call('DELETE', `/users/${bob.id}`, { auth: ada.auth })).status).toBe(404);
  });
});

describe('instances belong to their user', () => {
  it('each user creates its own instances with its own secret; the instance shows its user', async () => {
    adaInstance = await addInstance(ada.auth, 'ada-crm');
    bobInstance = await addInstance(bob.auth, 'bob-crm');
    ownInstance = await addInstance(platform.auth, 'organization-crm');
    expect(adaInstance.body.user).toEqual({ id: ada.id, emailAddress: 'ada@acme.example', firstName: 'Ada', lastName: 'King' });
    expect(ownInstance.body.user).toMatchObject({ emailAddress: 'admin@localhost' });
  });

  it('lists only the caller\'s own instances by default, the organization administrator included', async () => {
    expect(ids(await call('GET', '/instances', { auth: ada.auth }))).toEqual([adaInstance.id]);
    expect(ids(await call('GET', '/instances', { auth: bob.auth }))).toEqual([bobInstance.id]);
    expect(ids(await call('GET', '/elements/accounts-vendor/instances', { auth: bob.auth }))).toEqual([bobInstance.id]);
    expect(ids(await call('GET', '/instances'))).toEqual([ownInstance.id]);
  });

  it('no user sees or uses another user\'s instance, by id or by token', async () => {
    for (const [method, path] of [['GET', `/instances/${bobInstance.id}`], ['PATCH', `/instances/${bobInstance.id}`], ['DELETE', `/instances/${bobInstance.id}`], ['GET', `/instances/${bobInstance.id}/configuration`], ['POST', `/instances/${bobInstance.id}/token`], ['PUT', `/instances/${bobInstance.id}/enabled`]] as const) {
      const response = await call(method, path, { auth: ada.auth, ...(method === 'GET' ? {} : { json: {} }) });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.text).not.toContain(bobInstance.token);
    }
    // Bob's token with Ada's secret: the same answer as a token that does not exist.
    const borrowed = await call('GET', '/things', { headers: { authorization: withElement(ada.auth, bobInstance.token) } });
    expect(borrowed.status).toBe(401);
    expect(borrowed.json.code).toBe('invalid_instance_token');
    expect((await call('GET', '/instances/configuration', { headers: { authorization: withElement(ada.auth, bobInstance.token) } })).status).toBe(401);
    // Each with its own token works.
    expect((await call('GET', '/things', { headers: { authorization: withElement(bob.auth, bobInstance.token) } })).status).toBe(200);
    expect((await call('GET', `/instances/${bobInstance.id}`, { auth: bob.auth })).json.token).toBe(bobInstance.token);
  });

  it('the organization administrator sees every account\'s instances and uses any of them', async () => {
    expect(ids(await call('GET', `/accounts/${customer.id}/instances`))).toEqual([adaInstance.id, bobInstance.id].sort((x, y) => x - y));
    expect(ids(await call('GET', '/accounts/instances'))).toEqual([ownInstance.id]);
    expect((await call('GET', `/instances/${adaInstance.id}`)).json.user.id).toBe(ada.id);
    expect((await call('GET', '/things', { headers: { authorization: withElement(platform.auth, adaInstance.token) } })).status).toBe(200);
    // A plain user asking for its account's instances gets its own; another account's, nothing.
    expect(ids(await call('GET', '/accounts/instances', { auth: ada.auth }))).toEqual([adaInstance.id]);
    expect((await call('GET', `/accounts/${customer.id}/instances`, { auth: ada.auth })).status).toBe(403);
    expect((await call('GET', `/accounts/${defaultAccountId}/instances`, { auth: ada.auth })).status).toBe(404);
  });

  it('an account administrator (role admin) sees and manages its account\'s users and instances', async () => {
    const granted = await call('PUT', `/users/${ada.id}/roles/admin`);
    expect(granted.status).toBe(200);
    expect(granted.json).toMatchObject({ key: 'admin', name: 'Account Administrator' });
    expect(typeof granted.json.id).toBe('number');
    expect((await call('PUT', `/users/${ada.id}/roles/admin`)).status).toBe(409);
    expect((await call('GET', `/users/${ada.id}/roles`)).json.map((role: { key: string }) => role.key)).toEqual(['admin', 'user']);

    expect(ids(await call('GET', '/accounts/instances', { auth: ada.auth }))).toEqual([adaInstance.id, bobInstance.id].sort((x, y) => x - y));
    expect((await call('GET', `/instances/${bobInstance.id}`, { auth: ada.auth })).status).toBe(200);
    expect(ids(await call('GET', '/users', { auth: ada.auth }))).toEqual([ada.id, bob.id].sort((x, y) => x - y));
    // Still its own list by default, and nothing of the default account.
    expect(ids(await call('GET', '/instances', { auth: ada.auth }))).toEqual([adaInstance.id]);
    expect((await call('GET', `/instances/${ownInstance.id}`, { auth: ada.auth })).status).toBe(404);
    // An account administrator grants admin in its account, never org-admin, never to itself.
    expect((await call('PUT', `/users/${bob.id}/roles/org-admin`, { auth: ada.auth })).status).toBe(403);
    expect((await call('DELETE', `/users/${ada.id}/roles/admin`, { auth: ada.auth })).status).toBe(403);

    expect((await call('PUT', `/users/${ada.id}/roles/foo`)).status).toBe(400);
    expect((await call('PUT', `/users/${ada.id}/roles/sys-admin`)).status).toBe(403);
    expect((await call('PUT', '/users/-1/roles/admin')).status).toBe(404);
    expect((await call('POST', `/accounts/${customer.id}/users`, { json: { email: 'high@acme.example', firstName: 'H', lastName: 'R', roles: [{ key: 'sys-admin' }, { key: 'org-admin' }] } })).status).toBe(403);

    expect((await call('DELETE', `/users/${ada.id}/roles/admin`)).status).toBe(200);
    expect((await call('GET', `/users/${ada.id}/roles`)).json.map((role: { key: string }) => role.key)).toEqual(['user']);
    expect((await call('GET', `/instances/${bobInstance.id}`, { auth: ada.auth })).status).toBe(404);
  });

  it("an account's roles (churros' account roles): admin given to the whole account makes each of its users an administrator", async () => {
    const api = `/accounts/${customer.id}/roles`;
    // ada is a plain user of the customer account again.
    expect((await call('GET', `/instances/${bobInstance.id}`, { auth: ada.auth })).status).toBe(404);
    expect((await call('PUT', `${api}/admin`, { auth: ada.auth })).status).toBe(403);
    const granted = await call('PUT', `${api}/admin`);
    expect(granted.status, granted.text).toBe(200);
    expect(granted.json).toMatchObject({ key: 'admin', name: 'Account Administrator' });
    expect((await call('PUT', `${api}/admin`)).status).toBe(200);
    const listed = await call('GET', api);
    expect(listed.json.map((role: { key: string }) => role.key)).toEqual(['admin']);
    expect((await call('GET', api, { auth: ada.auth })).json.map((role: { key: string }) => role.key)).toEqual(['admin']);
    expect((await call('GET', `/instances/${bobInstance.id}`, { auth: ada.auth })).status).toBe(200);
    expect(ids(await call('GET', '/users', { auth: ada.auth }))).toEqual([ada.id, bob.id].sort((x, y) => x - y));
    // The user's own roles stay its own; the default account's users gain nothing.
    expect((await call('GET', `/users/${ada.id}/roles`)).json.map((role: { key: string }) => role.key)).toEqual(['user']);
    expect((await call('GET', `/instances/${ownInstance.id}`, { auth: ada.auth })).status).toBe(404);

    expect((await call('PUT', `${api}/sys-admin`)).status).toBe(403);
    expect((await call('PUT', `${api}/foo`)).status).toBe(400);
    expect((await call('PUT', `${api}/org-admin`)).status).toBe(400);
    expect((await call('PUT', '/accounts/-1/roles/admin')).status).toBe(404);
    expect((await call('DELETE', `${api}/admin`, { auth: ada.auth })).status).toBe(403);

    const taken = await call('DELETE', `${api}/admin`);
    expect(taken.status).toBe(200);
    expect(taken.json).toEqual([]);
    expect((await call('DELETE', `${api}/admin`)).status).toBe(404);
    expect((await call('GET', `/instances/${bobInstance.id}`, { auth: ada.auth })).status).toBe(404);
  });

  it('an account administrator cannot take org-admin from anyone, nor give it', async () => {
    const carol = await addUser('/organizations/users', { email: 'carol@example.com', firstName: 'Carol', lastName: 'Shaw', roles: [{ key: 'admin' }] });
    const dave = await addUser('/organizations/users', { email: 'dave@example.com', firstName: 'Dave', lastName: 'Cutler', roles: [{ key: 'org-admin' }] });
    expect(dave.body.roles.map((role: { key: string }) => role.key)).toEqual(['org-admin', 'org']);
    expect((await call('PATCH', `/users/${dave.id}`, { auth: carol.auth, json: { roles: [] } })).status).toBe(403);
    expect((await call('PATCH', `/users/${carol.id}`, { auth: dave.auth, json: { roles: [{ key: 'admin' }, { key: 'org-admin' }] } })).status).toBe(200);
    expect((await call('GET', `/users/${carol.id}/roles`)).json.map((role: { key: string }) => role.key)).toEqual(['org-admin', 'admin', 'org']);
    // An organization administrator made through the API reaches the management API too.
    expect((await platform.request('GET', '/v1/organizations/default/apis', { auth: dave.auth })).status).toBe(200);
    for (const user of [carol, dave]) expect((await call('DELETE', `/users/${user.id}`)).status).toBe(200);
  });

  it('instances from before instances had owners are the organization user\'s', async () => {
    const legacy = await addInstance(platform.auth, 'legacy');
    await platform.local.runtime.table.modify(instanceKeys('default', legacy.id), (current) => {
      delete current.owner;
      return current;
    });
    expect(ids(await call('GET', '/instances'))).toEqual([ownInstance.id, legacy.id]);
    expect((await call('GET', `/instances/${legacy.id}`)).json.user).toMatchObject({ emailAddress: 'admin@localhost' });
    expect((await call('GET', `/instances/${legacy.id}`, { auth: ada.auth })).status).toBe(404);
    expect(ids(await call('GET', `/accounts/${defaultAccountId}/instances`))).toEqual([ownInstance.id, legacy.id]);
  });
});

describe('secrets and organizations', () => {
  it('another organization\'s users and instances are invisible, and a user secret works only with its own organization', async () => {
    const other = await platform.addOrganization('accounts-other');
    for (const path of [`/users/${ada.id}`, `/users/ada@acme.example`, `/accounts/${customer.id}`, `/accounts/${customer.id}/users`, `/instances/${adaInstance.id}`]) {
      expect((await call('GET', path, { auth: other })).status, path).toBe(404);
    }
    expect(ids(await call('GET', '/users', { auth: other }))).not.toContain(ada.id);
    const otherOrganizationSecret = other.split('Organization ')[1]!;
    expect((await call('GET', '/instances', { auth: `User ${ada.secret}, Organization ${otherOrganizationSecret}` })).status).toBe(401);
    expect((await call('GET', '/things', { headers: { authorization: `${other}, Element ${adaInstance.token}` } })).status).toBe(401);
  });

  it('a user resets its own secret: the new one works at once, the old one no longer', async () => {
    const reset = await call('POST', '/authentication/user-secret-reset', { auth: bob.auth });
    expect(reset.status).toBe(200);
    expect(reset.json).toMatchObject({ id: bob.id });
    const fresh = reset.json.secret as string;
    secrets.push(fresh);
    expect(fresh).not.toBe(bob.secret);
    expect((await call('GET', '/instances', { auth: bob.auth })).status).toBe(401);
    expect(ids(await call('GET', '/instances', { auth: as(fresh) }))).toEqual([bobInstance.id]);
    expect((await call('GET', '/things', { headers: { authorization: withElement(as(fresh), bobInstance.token) } })).status).toBe(200);
    // The organization user's secret is the organization's, rotated in the secret store.
    expect((await call('POST', '/authentication/user-secret-reset')).status).toBe(409);
    bob = { ...bob, secret: fresh, auth: as(fresh) };
  });

  it('a deactivated user\'s secret is refused until it is active again', async () => {
    expect((await call('PATCH', `/users/${bob.id}`, { json: { active: false } })).json.active).toBe(false);
    expect((await call('GET', '/instances', { auth: bob.auth })).status).toBe(401);
    expect((await call('PATCH', `/users/${bob.id}`, { json: { active: true } })).json.active).toBe(true);
    expect((await call('GET', '/instances', { auth: bob.auth })).status).toBe(200);
  });

  it('deleting a user ends its secret and its management user; its instances stay with the administrators', async () => {
    expect((await call('DELETE', `/users/${bob.id}`)).status).toBe(200);
    expect((await call('GET', '/instances', { auth: bob.auth })).status).toBe(401);
    expect((await call('GET', `/users/${bob.id}`)).status).toBe(404);
    expect((await platform.request('GET', '/v1/users/brie@acme.example', { auth: await platform.adminBasic() })).status).toBe(404);
    const kept = await call('GET', `/instances/${bobInstance.id}`);
    expect(kept.status).toBe(200);
    expect(kept.json.user).toEqual({ id: bob.id, emailAddress: '', firstName: '', lastName: '' });
    expect((await call('GET', `/instances/${bobInstance.id}`, { auth: ada.auth })).status).toBe(404);
    // An account with users cannot be deleted; without them it can.
    expect((await call('DELETE', `/accounts/${customer.id}`)).status).toBe(409);
    expect((await call('DELETE', `/users/${ada.id}`)).status).toBe(200);
    expect((await call('DELETE', `/accounts/${customer.id}`)).status).toBe(200);
    expect((await call('DELETE', `/users/${(await call('GET', '/users')).json.find((user: { email: string }) => user.email === 'admin@localhost').id}`)).status).toBe(403);
  });

  it('a user deleted through the management API loses its secret and leaves the lists', async () => {
    const temp = await addUser('/organizations/users', { email: 'temp@example.com', firstName: 'Tem', lastName: 'Porary' });
    expect((await call('GET', '/instances', { auth: temp.auth })).status).toBe(200);
    expect((await platform.request('DELETE', '/v1/organizations/default/users/temp@example.com', { auth: await platform.adminBasic() })).status).toBe(200);
    expect((await call('GET', '/instances', { auth: temp.auth })).status).toBe(401);
    expect(ids(await call('GET', '/users'))).not.toContain(temp.id);
  });

  it('no user secret, password or instance token reaches a log line', () => {
    const logged = logs.text();
    expect(logged.length).toBeGreaterThan(0);
    for (const value of [...secrets, organizationSecret, adaInstance.token, bobInstance.token, 'Engines-1843!', 'Thingys123!', VENDOR_PASSWORD]) {
      expect(logged).not.toContain(value);
    }
  });
});
