// The connectors platform over HTTP, without an OAuth server: the element
// catalog, custom elements, instance CRUD with basic and API key elements
// against a loopback vendor, resource calls, update vs re-authenticate, token
// regeneration, the hosted-OAuth guards that need no vendor, and tenant
// isolation. Every response is checked for leaked vendor credentials.
import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceKeys } from '../../shared/store/keys.js';
import { startPlatform, type RequestOptions, type TestPlatform, type TestResponse } from '../support/platform.js';
import { sendJson, startVendor, type VendorServer } from '../support/vendor.js';

const PASSWORD = 'vendor-password-Zq8!';
const NEW_PASSWORD = 'rotated-password-Kd3#';
const API_KEY = 'vendor-api-key-7Yx2Lq9';
const CLIENT_SECRET = 'client-secret-never-returned';

let platform: TestPlatform;
let vendor: VendorServer;
let other: string; // Authorization of another organization
const responses: TestResponse[] = [];

async function call(method: string, path: string, options: RequestOptions = {}): Promise<TestResponse> {
  const response = await platform.request(method, path, options);
  // Resource call bodies are the loopback vendor's own echo; every platform answer is checked.
  if (/^\/(v1|elements\/api-v2\/(elements|instances|oauth))(\/|\?|$)/.test(path)) responses.push(response);
  return response;
}

/** A request whose path is sent exactly as written (fetch would resolve dot segments). */
function rawRequest(path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${platform.url}${path}`, { method: 'GET', headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

const withElement = (token: string, auth = platform.auth) => ({ authorization: `${auth}, Element ${token}` });

beforeAll(async () => {
  platform = await startPlatform();
  other = await platform.addOrganization('other');
  vendor = await startVendor(async (request, res) => {
    if (request.path === '/api/slow') {
      await sleep(1_500);
      sendJson(res, 200, { late: true });
      return;
    }
    if (request.path === '/api/missing') {
      sendJson(res, 404, { error: 'no such record', id: 42 }, { 'x-vendor-trace': 'abc' });
      return;
    }
    if (request.path === '/api/binary') {
      const bytes = Buffer.concat([Buffer.from([0, 255, 1, 254]), request.body]);
      res.writeHead(201, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
      res.end(bytes);
      return;
    }
    sendJson(
      res,
      200,
      { method: request.method, path: request.path, query: Object.fromEntries(request.query), authorization: request.headers.authorization ?? null },
      {
        link: '<https://vendor.example/api/contacts?page=2>; rel="next"',
        'x-total-count': '57',
        'set-cookie': ['vendor_session=1; Path=/'],
      },
    );
  });
});

afterAll(async () => {
  // No response of this file may carry a vendor credential.
  for (const response of responses) {
    for (const secret of [PASSWORD, NEW_PASSWORD, API_KEY, CLIENT_SECRET]) expect(response.text).not.toContain(secret);
  }
  await vendor.close();
  await platform.close();
});

function basicElement(key: string, baseUrl = `${vendor.url}/api`, extra: Record<string, unknown> = {}) {
  return {
    key,
    name: `Loopback ${key}`,
    baseUrl,
    authentication: { type: 'basic' },
    resources: [
      { name: 'contacts', path: '/contacts', methods: ['GET', 'POST'] },
      { name: 'files', vendorName: 'File', path: '/binary', methods: ['POST'] },
    ],
    timeoutMs: 1000,
    ...extra,
  };
}

async function createBasicInstance(elementKey: string, tags: string[] = [], auth?: string) {
  const response = await call('POST', '/elements/api-v2/instances', {
    json: {
      element: { key: elementKey },
      name: `${elementKey} instance`,
      configuration: { username: 'jane@example.com', password: PASSWORD },
      tags,
    },
    ...(auth ? { auth } : {}),
  });
  expect(response.status, response.text).toBe(200);
  return response.json as { id: number; token: string };
}

describe('element catalog', () => {
  it('lists the built-in vendors and finds them by key or id', async () => {
    const list = await call('GET', '/elements/api-v2/elements');
    expect(list.status).toBe(200);
    const keys = (list.json as { key: string }[]).map((element) => element.key);
    expect(keys.length).toBeGreaterThanOrEqual(10);
    expect(keys).toEqual(expect.arrayContaining(['microsoft-outlook', 'salesforce', 'hubspot', 'google-drive', 'slack', 'github', 'zendesk', 'shopify']));

    const byKey = await call('GET', '/elements/api-v2/elements/microsoft-outlook');
    expect(byKey.json).toMatchObject({
      key: 'microsoft-outlook',
      private: false,
      baseUrl: 'https://graph.microsoft.com/v1.0',
      authentication: { type: 'oauth2', tokenUrl: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token', pkce: true },
    });
    const byId = await call('GET', `/elements/api-v2/elements/${byKey.json.id}`);
    expect(byId.json.key).toBe('microsoft-outlook');
  });

  it('answers 404 for an unknown element and 401 without credentials', async () => {
    const unknown = await call('GET', '/elements/api-v2/elements/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('element_not_found');
    expect((await call('GET', '/elements/api-v2/elements', { auth: false })).status).toBe(401);
  });
});

describe('custom elements', () => {
  it('creates a private element visible only to its organization', async () => {
    const created = await call('POST', '/elements/api-v2/elements', { json: basicElement('acme-private') });
    expect(created.status, created.text).toBe(200);
    expect(created.json).toMatchObject({ key: 'acme-private', private: true, authenticationType: 'basic' });
    expect(created.json.id).toBeGreaterThanOrEqual(1000);

    expect((await call('GET', `/elements/api-v2/elements/${created.json.id}`)).json.key).toBe('acme-private');
    const mine = (await call('GET', '/elements/api-v2/elements')).json as { key: string }[];
    expect(mine.map((e) => e.key)).toContain('acme-private');

    const theirs = (await call('GET', '/elements/api-v2/elements', { auth: other })).json as { key: string }[];
    expect(theirs.map((e) => e.key)).not.toContain('acme-private');
    expect((await call('GET', '/elements/api-v2/elements/acme-private', { auth: other })).status).toBe(404);
    expect((await call('GET', `/elements/api-v2/elements/${created.json.id}`, { auth: other })).status).toBe(404);
  });

  it('refuses duplicates, built-in keys and invalid definitions with clear errors', async () => {
    await call('POST', '/elements/api-v2/elements', { json: basicElement('acme-dup') });
    const duplicate = await call('POST', '/elements/api-v2/elements', { json: basicElement('acme-dup') });
    expect(duplicate.status).toBe(409);
    expect(duplicate.json.code).toBe('element_exists');
    expect((await call('POST', '/elements/api-v2/elements', { json: basicElement('salesforce') })).status).toBe(409);

    const invalid = await call('POST', '/elements/api-v2/elements', {
      json: { key: 'x y', name: 'Bad', baseUrl: 'file:///etc/passwd', authentication: { type: 'oauth2' } },
    });
    expect(invalid.status).toBe(422);
    const paths = (invalid.json.fields as { path: string }[]).map((field) => field.path);
    expect(paths).toEqual(expect.arrayContaining(['key', 'baseUrl', 'authentication.authorizationUrl', 'authentication.tokenUrl']));

    expect((await call('POST', '/elements/api-v2/elements', { body: '{not json', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect((await call('POST', '/elements/api-v2/elements', { body: 'key=x', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
  });

  it('replaces and deletes custom elements; built-ins are read-only; in-use elements stay', async () => {
    await call('POST', '/elements/api-v2/elements', { json: basicElement('acme-change') });
    const replaced = await call('PUT', '/elements/api-v2/elements/acme-change', { json: { ...basicElement('acme-change'), name: 'Renamed' } });
    expect(replaced.status).toBe(200);
    expect(replaced.json.name).toBe('Renamed');
    expect((await call('PUT', '/elements/api-v2/elements/acme-change', { json: basicElement('acme-other') })).status).toBe(409);
    const builtin = await call('PUT', '/elements/api-v2/elements/salesforce', { json: basicElement('salesforce') });
    expect(builtin.status).toBe(403);
    expect((await call('DELETE', '/elements/api-v2/elements/salesforce')).status).toBe(403);
    expect((await call('DELETE', '/elements/api-v2/elements/acme-change', { auth: other })).status).toBe(404);

    const instance = await createBasicInstance('acme-change');
    const inUse = await call('DELETE', '/elements/api-v2/elements/acme-change');
    expect(inUse.status).toBe(409);
    expect(inUse.json.code).toBe('element_in_use');
    expect((await call('DELETE', `/elements/api-v2/instances/${instance.id}`)).status).toBe(200);
    expect((await call('DELETE', '/elements/api-v2/elements/acme-change')).status).toBe(200);
    expect((await call('GET', '/elements/api-v2/elements/acme-change')).status).toBe(404);
  });
});

describe('instances with basic authentication', () => {
  let instance: { id: number; token: string };

  beforeAll(async () => {
    await call('POST', '/elements/api-v2/elements', { json: basicElement('loop-basic') });
  });

  it('creates an instance from the Open Connectors payload', async () => {
    const response = await call('POST', '/elements/api-v2/elements/loop-basic/instances', {
      json: {
        name: 'Jane at loopback',
        configuration: { username: 'jane@example.com', password: PASSWORD },
        tags: ['crm', 'eu'],
        retrieveObjectsAfterInstantiation: true,
      },
    });
    expect(response.status, response.text).toBe(200);
    expect(response.json).toMatchObject({
      name: 'Jane at loopback',
      element: { key: 'loop-basic', private: true },
      valid: true,
      tags: ['crm', 'eu'],
      configuration: { username: 'jane@example.com' },
      objects: [
        { name: 'contacts', vendorName: 'contacts', type: 'vendor' },
        { name: 'files', vendorName: 'File', type: 'vendor' },
      ],
    });
    expect(typeof response.json.id).toBe('number');
    expect(response.json.token).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(Date.parse(response.json.createdDate)).not.toBeNaN();
    instance = response.json;
  });

  it('keeps the vendor credentials sealed in the table', async () => {
    const item = await platform.local.runtime.table.get(instanceKeys('default', instance.id));
    const stored = JSON.stringify(item);
    expect(stored).not.toContain(PASSWORD);
    expect(stored).not.toContain(instance.token);
    expect(item?.sealedCredentials).toMatch(/^v1\./);
  });

  it('forwards resource calls with the vendor credential, query, headers and pagination hints', async () => {
    const response = await call('GET', '/elements/api-v2/contacts?limit=2&q=a%20b', {
      headers: { ...withElement(instance.token), accept: 'application/json', 'x-custom': 'kept', cookie: 'tollgate=1', 'x-forwarded-for': '1.2.3.4' },
    });
    expect(response.status, response.text).toBe(200);
    expect(response.json).toMatchObject({
      method: 'GET',
      path: '/api/contacts',
      query: { limit: '2', q: 'a b' },
      authorization: `Basic ${Buffer.from(`jane@example.com:${PASSWORD}`).toString('base64')}`,
    });
    expect(response.headers.get('link')).toContain('rel="next"');
    expect(response.headers.get('x-total-count')).toBe('57');
    expect(response.headers.get('set-cookie')).toBeNull();
    const received = vendor.requests.at(-1)!;
    expect(received.headers['x-custom']).toBe('kept');
    expect(received.headers.cookie).toBeUndefined();
    expect(received.headers['x-forwarded-for']).toBeUndefined();
    expect(JSON.stringify(received.headers)).not.toContain(platform.auth.split(', ')[0]!.split(' ')[1]!);
  });

  it('passes binary bodies and responses through unchanged', async () => {
    const payload = Buffer.from([1, 2, 3, 0, 200, 255, 10, 13]);
    const response = await call('POST', '/elements/api-v2/binary', {
      headers: { ...withElement(instance.token), 'content-type': 'application/octet-stream' },
      body: payload,
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.bytes.equals(Buffer.concat([Buffer.from([0, 255, 1, 254]), payload]))).toBe(true);
    expect(vendor.requests.at(-1)!.body.equals(payload)).toBe(true);
  });

  it('passes vendor errors through with their status, and maps timeouts to 504', async () => {
    const missing = await call('GET', '/elements/api-v2/missing', { headers: withElement(instance.token) });
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: 'no such record', id: 42 });
    expect(missing.headers.get('x-vendor-trace')).toBe('abc');

    const slow = await call('GET', '/elements/api-v2/slow', { headers: withElement(instance.token) });
    expect(slow.status).toBe(504);
    expect(slow.json.code).toBe('vendor_timeout');
  });

  it('filters instances by tags and element', async () => {
    const tagged = await createBasicInstance('loop-basic', ['crm', 'us']);
    const byTag = (await call('GET', '/elements/api-v2/instances?tags[]=crm')).json as { id: number }[];
    expect(byTag.map((i) => i.id)).toEqual(expect.arrayContaining([instance.id, tagged.id]));
    const both = (await call('GET', '/elements/api-v2/instances?tags[]=crm&tags[]=us')).json as { id: number }[];
    expect(both.map((i) => i.id)).toEqual([tagged.id]);
    const none = (await call('GET', '/elements/api-v2/instances?tags=missing')).json as unknown[];
    expect(none).toEqual([]);
    const ofElement = (await call('GET', '/elements/api-v2/elements/loop-basic/instances')).json as { element: { key: string } }[];
    expect(ofElement.length).toBeGreaterThanOrEqual(2);
    expect(ofElement.every((i) => i.element.key === 'loop-basic')).toBe(true);
    expect((await call('GET', '/elements/api-v2/instances?element=salesforce')).json).toEqual([]);
  });

  it('updates name and tags without re-authenticating (PATCH)', async () => {
    const patched = await call('PATCH', `/elements/api-v2/instances/${instance.id}`, { json: { name: 'Renamed', tags: ['crm'] } });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ id: instance.id, name: 'Renamed', tags: ['crm'], token: instance.token });
    // The object as read back (masked password, read-only keys) changes nothing else.
    const readBack = await call('PATCH', `/elements/api-v2/instances/${instance.id}`, { json: { ...patched.json, name: 'Renamed again' } });
    expect(readBack.status).toBe(200);
    expect(readBack.json).toMatchObject({ name: 'Renamed again', configuration: { username: 'jane@example.com', password: '********' } });
    const call1 = await call('GET', '/elements/api-v2/contacts', { headers: withElement(instance.token) });
    expect(call1.json.authorization).toBe(`Basic ${Buffer.from(`jane@example.com:${PASSWORD}`).toString('base64')}`);
  });

  it('re-authenticates with PUT, keeping id and token', async () => {
    const put = await call('PUT', `/elements/api-v2/instances/${instance.id}`, {
      json: { name: 'Re-authenticated', configuration: { password: NEW_PASSWORD } },
    });
    expect(put.status, put.text).toBe(200);
    expect(put.json).toMatchObject({ id: instance.id, token: instance.token, name: 'Re-authenticated', valid: true, tags: ['crm'] });
    const after = await call('GET', '/elements/api-v2/contacts', { headers: withElement(instance.token) });
    expect(after.json.authorization).toBe(`Basic ${Buffer.from(`jane@example.com:${NEW_PASSWORD}`).toString('base64')}`);
    const wrongElement = await call('PUT', `/elements/api-v2/instances/${instance.id}`, { json: { element: { key: 'salesforce' } } });
    expect(wrongElement.status).toBe(422);
  });

  it('regenerates the instance token; the old one stops working at once', async () => {
    const regenerated = await call('POST', `/elements/api-v2/instances/${instance.id}/token`);
    expect(regenerated.status).toBe(200);
    const fresh = regenerated.json.token as string;
    expect(fresh).not.toBe(instance.token);
    const old = await call('GET', '/elements/api-v2/contacts', { headers: withElement(instance.token) });
    expect(old.status).toBe(401);
    expect(old.json.code).toBe('invalid_instance_token');
    expect((await call('GET', '/elements/api-v2/contacts', { headers: withElement(fresh) })).status).toBe(200);
    expect((await call('GET', `/elements/api-v2/instances/${instance.id}`)).json.token).toBe(fresh);
    instance = { ...instance, token: fresh };
  });

  it('lists objects and deletes the instance with its credentials', async () => {
    const objects = await call('GET', `/elements/api-v2/instances/${instance.id}/objects`);
    expect(objects.json).toEqual([
      { name: 'contacts', vendorName: 'contacts', type: 'vendor', path: '/contacts', methods: ['GET', 'POST'] },
      { name: 'files', vendorName: 'File', type: 'vendor', path: '/binary', methods: ['POST'] },
    ]);
    expect((await call('DELETE', `/elements/api-v2/instances/${instance.id}`)).status).toBe(200);
    expect((await call('GET', `/elements/api-v2/instances/${instance.id}`)).status).toBe(404);
    expect((await call('GET', '/elements/api-v2/contacts', { headers: withElement(instance.token) })).status).toBe(401);
    expect(await platform.local.runtime.table.get(instanceKeys('default', instance.id), { consistent: true })).toBeUndefined();
  });

  it('refuses incomplete payloads with field paths', async () => {
    const missing = await call('POST', '/elements/api-v2/instances', { json: { element: { key: 'loop-basic' }, name: 'x', configuration: { username: 'a' } } });
    expect(missing.status).toBe(422);
    expect(missing.json.fields).toEqual([{ path: 'configuration.password', message: 'required for basic authentication' }]);
    const noElement = await call('POST', '/elements/api-v2/instances', { json: { name: 'x' } });
    expect(noElement.status).toBe(422);
    const unknown = await call('POST', '/elements/api-v2/instances', { json: { element: { key: 'nope' }, name: 'x' } });
    expect(unknown.status).toBe(404);
    const noName = await call('POST', '/elements/api-v2/instances', { json: { element: { key: 'loop-basic' } } });
    expect(noName.status).toBe(422);
    expect(noName.json.fields[0].path).toBe('name');
  });
});

describe('instances with API keys', () => {
  it('sends the key in the header the element names', async () => {
    await call('POST', '/elements/api-v2/elements', {
      json: { ...basicElement('loop-header-key'), authentication: { type: 'apiKey', in: 'header', name: 'X-Api-Key' } },
    });
    const created = await call('POST', '/elements/api-v2/instances', {
      json: { element: { key: 'loop-header-key' }, name: 'keyed', configuration: { 'api.key': API_KEY } },
    });
    expect(created.status, created.text).toBe(200);
    const response = await call('GET', '/elements/api-v2/contacts', { headers: { ...withElement(created.json.token), 'x-api-key': 'caller-supplied' } });
    expect(response.status).toBe(200);
    expect(vendor.requests.at(-1)!.headers['x-api-key']).toBe(API_KEY);
    expect(vendor.requests.at(-1)!.headers.authorization).toBeUndefined();
  });

  it('sends the key as a query parameter, with a Bearer-style prefix, or refuses a missing key', async () => {
    await call('POST', '/elements/api-v2/elements', {
      json: { ...basicElement('loop-query-key'), authentication: { type: 'apiKey', in: 'query', name: 'api_key' } },
    });
    const created = await call('POST', '/elements/api-v2/instances', {
      json: { element: { key: 'loop-query-key' }, name: 'query keyed', configuration: { 'api.key': API_KEY } },
    });
    await call('GET', '/elements/api-v2/contacts?page=3', { headers: withElement(created.json.token) });
    expect(Object.fromEntries(vendor.requests.at(-1)!.query)).toEqual({ page: '3', api_key: API_KEY });

    await call('POST', '/elements/api-v2/elements', {
      json: { ...basicElement('loop-bearer-key'), authentication: { type: 'apiKey', name: 'Authorization', prefix: 'Bearer ' } },
    });
    const bearer = await call('POST', '/elements/api-v2/instances', {
      json: { element: { key: 'loop-bearer-key' }, name: 'bearer', configuration: { 'api.key': API_KEY } },
    });
    const forwarded = await call('GET', '/elements/api-v2/contacts', { headers: withElement(bearer.json.token) });
    expect(forwarded.json.authorization).toBe(`Bearer ${API_KEY}`);

    const missing = await call('POST', '/elements/api-v2/instances', { json: { element: { key: 'loop-bearer-key' }, name: 'x' } });
    expect(missing.status).toBe(422);
    expect(missing.json.fields[0].path).toBe('configuration.api.key');
  });

  it('fills URL placeholders from configuration fields and validates them', async () => {
    const port = new URL(vendor.url).port;
    await call('POST', '/elements/api-v2/elements', {
      json: {
        ...basicElement('loop-templated', `http://127.0.0.1:${port}/{area}`),
        configuration: [{ key: 'area', label: 'Area', pattern: '^[a-z]+$' }],
      },
    });
    const bad = await call('POST', '/elements/api-v2/instances', {
      json: { element: { key: 'loop-templated' }, name: 'x', configuration: { username: 'u', password: PASSWORD, area: '../admin' } },
    });
    expect(bad.status).toBe(422);
    expect(bad.json.fields[0].path).toBe('configuration.area');
    const good = await call('POST', '/elements/api-v2/instances', {
      json: { element: { key: 'loop-templated' }, name: 'x', configuration: { username: 'u', password: PASSWORD, area: 'sales' } },
    });
    expect(good.json.configuration).toEqual({ area: 'sales', username: 'u', password: '********' });
    const response = await call('GET', '/elements/api-v2/leads', { headers: withElement(good.json.token) });
    expect(response.json.path).toBe('/sales/leads');
  });
});

describe('resource call guards', () => {
  let token: string;

  beforeAll(async () => {
    await call('POST', '/elements/api-v2/elements', { json: basicElement('loop-guard') });
    token = (await createBasicInstance('loop-guard')).token;
  });

  it('requires the Element token, and a valid one of this organization', async () => {
    const none = await call('GET', '/elements/api-v2/contacts');
    expect(none.status).toBe(401);
    expect(none.json.code).toBe('element_token_required');
    const bad = await call('GET', '/elements/api-v2/contacts', { headers: withElement('bm90LWEtcmVhbC10b2tlbi1hdC1hbGwtc29ycnk=') });
    expect(bad.status).toBe(401);
    expect(bad.json.code).toBe('invalid_instance_token');
    const crossed = await call('GET', '/elements/api-v2/contacts', { headers: withElement(token, other) });
    expect(crossed.status).toBe(401);
    expect(crossed.json.code).toBe('invalid_instance_token');
    const noPlatform = await call('GET', '/elements/api-v2/contacts', { auth: `Element ${token}` });
    expect(noPlatform.status).toBe(401);
  });

  it('keeps paths under the base URL, refuses metadata addresses, reports unreachable vendors', async () => {
    // Encoded slashes stay inside one segment: the vendor path cannot climb out of the base path.
    expect(await rawRequest('/elements/api-v2/x/..%2F..%2Fadmin', withElement(token))).toBe(200);
    expect(vendor.requests.at(-1)!.url).toBe('/api/x/..%2F..%2Fadmin');

    await call('POST', '/elements/api-v2/elements', { json: basicElement('loop-metadata', 'http://169.254.169.254/latest') });
    const metadata = await createBasicInstance('loop-metadata');
    const blocked = await call('GET', '/elements/api-v2/meta-data', { headers: withElement(metadata.token) });
    expect(blocked.status).toBe(502);
    expect(blocked.json.code).toBe('vendor_url_not_allowed');

    const closed = await startVendor(() => undefined);
    const closedUrl = closed.url;
    await closed.close();
    await call('POST', '/elements/api-v2/elements', { json: basicElement('loop-closed', `${closedUrl}/api`) });
    const unreachable = await createBasicInstance('loop-closed');
    const response = await call('GET', '/elements/api-v2/contacts', { headers: withElement(unreachable.token) });
    expect(response.status).toBe(503);
    expect(response.json.code).toBe('vendor_unreachable');
  });

  it('hides another organization\'s instances (404 on every route)', async () => {
    const mine = await createBasicInstance('loop-guard');
    for (const [method, suffix, json] of [
      ['GET', '', undefined],
      ['PATCH', '', { name: 'stolen' }],
      ['PUT', '', { configuration: { password: 'x' } }],
      ['DELETE', '', undefined],
      ['GET', '/objects', undefined],
      ['POST', '/token', undefined],
    ] as const) {
      const response = await call(method, `/elements/api-v2/instances/${mine.id}${suffix}`, { auth: other, ...(json ? { json } : {}) });
      expect(response.status, `${method} ${suffix}`).toBe(404);
      expect(response.text).not.toContain(mine.token);
    }
    expect(((await call('GET', '/elements/api-v2/instances', { auth: other })).json as unknown[]).length).toBe(0);
    const still = await call('GET', `/elements/api-v2/instances/${mine.id}`);
    expect(still.json.name).toBe('loop-guard instance');
  });
});

describe('organization redirect origins and OAuth URLs', () => {
  const oauthElement = {
    key: 'loop-oauth',
    name: 'Loopback OAuth',
    baseUrl: 'http://127.0.0.1:9/api',
    authentication: {
      type: 'oauth2',
      authorizationUrl: 'https://auth.example.com/authorize',
      tokenUrl: 'https://auth.example.com/token',
      scopes: ['read', 'offline_access'],
      pkce: true,
    },
  };
  const pendingStates = async () =>
    (await platform.local.runtime.table.queryAll('ORG#default', { prefix: 'OAUTHSTATE#', consistent: true })).length;

  beforeAll(async () => {
    await call('POST', '/elements/api-v2/elements', { json: oauthElement });
  });

  it('sets the allowed redirect origins through the organization properties', async () => {
    const updated = await call('POST', '/v1/organizations/default', {
      json: { properties: { property: [{ name: 'allowedRedirectOrigins', value: 'https://app.example.com, http://localhost:*' }] } },
    });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.json.properties.property).toEqual([
      { name: 'allowedRedirectOrigins', value: 'https://app.example.com,http://localhost:*' },
      { name: 'features.isCpsEnabled', value: 'true' },
    ]);
    const invalid = await call('POST', '/v1/organizations/default', {
      json: { properties: { property: [{ name: 'allowedRedirectOrigins', value: 'https://app.example.com/path' }] } },
    });
    expect(invalid.status).toBe(422);
    expect((await call('POST', '/v1/organizations/default', { json: { properties: { property: [{ name: 'color', value: 'x' }] } } })).status).toBe(422);
    expect((await call('POST', '/v1/organizations/default', { auth: other, json: { properties: { property: [] } } })).status).toBe(403);
  });

  it('refuses a returnUrl outside the allowed origins and stores no state', async () => {
    const before = await pendingStates();
    for (const returnUrl of ['https://evil.example.com/cb', 'https://app.example.com.evil.example/cb', 'javascript:alert(1)']) {
      const response = await call(
        'GET',
        `/elements/api-v2/elements/loop-oauth/oauth/url?apiKey=cid&apiSecret=${CLIENT_SECRET}&returnUrl=${encodeURIComponent(returnUrl)}`,
      );
      expect(response.status, returnUrl).toBe(422);
      expect(response.json.fields[0].path).toBe('returnUrl');
    }
    expect(await pendingStates()).toBe(before);
  });

  it('builds a hosted authorization URL with PKCE and stores one pending state', async () => {
    const before = await pendingStates();
    const response = await call(
      'GET',
      `/elements/api-v2/elements/loop-oauth/oauth/url?apiKey=cid&apiSecret=${CLIENT_SECRET}&returnUrl=${encodeURIComponent('https://app.example.com/done')}&state=app-state`,
    );
    expect(response.status, response.text).toBe(200);
    const url = new URL(response.json.oauthUrl);
    expect(url.origin + url.pathname).toBe('https://auth.example.com/authorize');
    expect(url.searchParams.get('redirect_uri')).toBe(`${platform.url}/elements/api-v2/oauth/callback`);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('state')).toMatch(/^default\./);
    expect(url.searchParams.get('scope')).toBe('read offline_access');
    expect(response.json).toMatchObject({ element: 'loop-oauth', expiresIn: 600 });
    expect(await pendingStates()).toBe(before + 1);
    const stored = JSON.stringify(await platform.local.runtime.table.queryAll('ORG#default', { prefix: 'OAUTHSTATE#', consistent: true }));
    expect(stored).not.toContain(CLIENT_SECRET);
  });

  it('builds an Open Connectors URL for the app\'s own callback, with PKCE with or without a state', async () => {
    const response = await call(
      'GET',
      `/elements/api-v2/elements/loop-oauth/oauth/url?apiKey=cid&apiSecret=x&callbackUrl=${encodeURIComponent('https://app.example.com/cb')}&state=s1&scope=read`,
    );
    expect(response.status).toBe(200);
    const url = new URL(response.json.oauthUrl);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ client_id: 'cid', redirect_uri: 'https://app.example.com/cb', state: 's1', scope: 'read' });
    expect(url.searchParams.get('code_challenge')).toBeTruthy();
    // Without a state the verifier waits for the code under the client id and callback URL (seed 001's payload).
    const noState = await call('GET', `/elements/api-v2/elements/loop-oauth/oauth/url?apiKey=cid&callbackUrl=${encodeURIComponent('https://app.example.com/cb')}`);
    expect(noState.status).toBe(200);
    expect(new URL(noState.json.oauthUrl).searchParams.get('code_challenge')).toBeTruthy();
    expect(new URL(noState.json.oauthUrl).searchParams.has('state')).toBe(false);
    const both = await call('GET', '/elements/api-v2/elements/loop-oauth/oauth/url?apiKey=cid&apiSecret=x&callbackUrl=https://a.example&returnUrl=https://app.example.com');
    expect(both.status).toBe(422);
    const basic = await call('GET', '/elements/api-v2/elements/zendesk/oauth/url?apiKey=cid&callbackUrl=https://a.example');
    expect(basic.status).toBe(400);
    expect(basic.json.code).toBe('not_oauth_element');
  });

  it('answers an unknown, malformed or missing state with a 400 page and no redirect', async () => {
    for (const query of ['?code=x&state=default.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '?code=x&state=garbage', '?code=x', '?error=access_denied&state=other.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBB']) {
      const json = await call('GET', `/elements/api-v2/oauth/callback${query}`, { auth: false });
      expect(json.status, query).toBe(400);
      expect(json.headers.get('location')).toBeNull();
      expect(json.json.code).toBe('invalid_state');
    }
    const html = await call('GET', '/elements/api-v2/oauth/callback?code=x&state=<script>', { auth: false, headers: { accept: 'text/html' } });
    expect(html.status).toBe(400);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(html.text).toContain('start the connection again');
    expect(html.text).not.toContain('<script>');
    expect((await call('DELETE', '/elements/api-v2/oauth/callback', { auth: false })).status).toBe(405);
  });
});
