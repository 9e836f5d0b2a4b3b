// The connectors platform API in the shapes Open Connectors' clients expect,
// over HTTP against the local server and a loopback vendor: element JSON with
// the base.url entry and a derived key, every element sub-resource, instances
// as Open Connectors returns them and takes them back, configuration entries,
// enable/disable, hubs, docs (Swagger 2.0 checked by an independent
// validator), errors in Open Connectors' shape, CORS and Elements-* headers,
// and 404 for unknown platform paths. The payloads follow churros, Cloud
// Elements' own API test suite (docs/open-connectors-compatibility.md).
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform, type RequestOptions, type TestPlatform, type TestResponse } from '../support/platform.js';
import { sendJson, startVendor, type VendorServer } from '../support/vendor.js';

const BASE = '/elements/api-v2';
const PASSWORD = 'churros-password-Vq7!';
const ROTATED = 'rotated-password-Lk2#';

let platform: TestPlatform;
let vendor: VendorServer;
let other: string;
const answers: TestResponse[] = [];

async function call(method: string, path: string, options: RequestOptions = {}): Promise<TestResponse> {
  const response = await platform.request(method, `${BASE}${path}`, options);
  answers.push(response);
  return response;
}

const withElement = (token: string) => ({ authorization: `${platform.auth}, Element ${token}` });

/** An element as churros posts it: no key, the vendor base URL as the base.url entry. */
function churrosElement(name: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    description: 'A Churros element',
    authentication: { type: 'basic' },
    configuration: [{ name: 'Base URL', key: 'base.url', description: 'The base URL', defaultValue: `${vendor.url}/v1`, type: 'TEXTFIELD_1000' }],
    ...extra,
  };
}

const resourcePayload = {
  description: 'Search for contacts',
  path: '/hubs/crm/churros-contacts/{id}',
  vendorPath: '/people/{id}',
  method: 'GET',
  vendorMethod: 'GET',
  parameters: [{ name: 'pageSize', vendorName: 'limit', type: 'query', vendorType: 'query', dataType: 'string', source: 'request', required: false }],
  type: 'api',
  hooks: [],
  response: { contentType: 'application/json' },
  paginationType: 'VENDOR_SUPPORTED',
  object: { name: 'contacts', fields: [{ name: 'id', type: 'integer' }] },
};

beforeAll(async () => {
  platform = await startPlatform();
  other = await platform.addOrganization('other-oc');
  vendor = await startVendor((request, res) =>
    sendJson(res, 200, { method: request.method, path: request.path, query: Object.fromEntries(request.query), authorization: request.headers.authorization ?? null }),
  );
});

afterAll(async () => {
  for (const answer of answers) for (const secret of [PASSWORD, ROTATED]) expect(answer.text).not.toContain(secret);
  await vendor.close();
  await platform.close();
});

describe('element definitions in Open Connectors JSON', () => {
  it('creates an element without a key, reads it by key and id, replaces and deletes it', async () => {
    const created = await call('POST', '/elements', { json: churrosElement('Churros DB element') });
    expect(created.status, created.text).toBe(200);
    expect(created.json).toMatchObject({ key: 'churrosdbelement', name: 'Churros DB element', active: true, private: true, hub: 'general', typeOauth: false, authentication: { type: 'basic' } });
    expect(created.json.id).toEqual(expect.any(Number));
    expect(created.json.configuration).toEqual([expect.objectContaining({ key: 'base.url', defaultValue: `${vendor.url}/v1`, type: 'TEXTFIELD_1000', required: false, hidden: false })]);
    const byId = await call('GET', `/elements/${created.json.id}`);
    expect(byId.json).toEqual((await call('GET', '/elements/churrosdbelement')).json);

    const replaced = await call('PUT', `/elements/${created.json.id}`, { json: churrosElement('Churros DB element', { description: 'An updated Churros element' }) });
    expect(replaced.status, replaced.text).toBe(200);
    expect(replaced.json).toMatchObject({ key: 'churrosdbelement', id: created.json.id, description: 'An updated Churros element' });
    // What GET returns can be sent back as it is.
    expect((await call('PUT', '/elements/churrosdbelement', { json: replaced.json })).json).toEqual(replaced.json);

    expect((await call('DELETE', '/elements/churrosdbelement')).status).toBe(200);
    expect((await call('GET', '/elements/churrosdbelement')).status).toBe(404);
  });

  it('keeps JDBC elements, objects, and refuses what is inconsistent with field paths', async () => {
    const jdbc = await call('POST', '/elements', {
      json: churrosElement('Churros JDBC', {
        authentication: { type: 'custom' },
        protocolType: 'jdbc',
        configuration: [{ name: 'Base URL', key: 'base.url', description: 'The Jdbc base URL', defaultValue: 'jdbc:postgresql://{db.host}/{db.name}', type: 'TEXTFIELD_1000' }],
      }),
    });
    expect(jdbc.status, jdbc.text).toBe(200);
    expect(jdbc.json).toMatchObject({ protocolType: 'jdbc', authentication: { type: 'custom' } });
    const withObjects = await call('POST', '/elements', { json: churrosElement('Churros objects', { objects: [{ name: 'contacts', primaryKeyName: 'id', fields: [{ name: 'id', type: 'number' }] }] }) });
    expect(withObjects.json.objects[0]).toMatchObject({ name: 'contacts', id: expect.any(Number), fields: [{ name: 'id', id: expect.any(Number), primaryKey: false }] });

    const noEndpoints = await call('POST', '/elements', { json: churrosElement('Bad', { authentication: { type: 'oauth2' } }) });
    expect(noEndpoints.status).toBe(422);
    expect(noEndpoints.json).toMatchObject({ requestId: expect.any(String), code: 'validation_failed', message: expect.stringContaining('invalid') });
    expect(noEndpoints.json.fields.map((field: { path: string }) => field.path)).toEqual(['authentication.authorizationUrl', 'authentication.tokenUrl']);
    const fileUrl = await call('POST', '/elements', { json: { name: 'Bad', authentication: { type: 'basic' }, configuration: [{ key: 'base.url', name: 'Base URL', defaultValue: 'file:///etc/passwd' }] } });
    expect(fileUrl.json.fields).toEqual([{ path: 'configuration.0.defaultValue', message: expect.stringContaining('http(s)') }]);
    // An instance of an element that cannot be called is refused clearly.
    const jdbcInstance = await call('POST', `/elements/${jdbc.json.key}/instances`, { json: { name: 'db', configuration: { username: 'u', password: PASSWORD } } });
    expect(jdbcInstance.status).toBe(501);
    expect(jdbcInstance.json.code).toBe('authentication_not_supported');
  });

  it('lists elements and keys with counts, and answers metadata and export', async () => {
    const list = await call('GET', '/elements');
    expect(list.headers.get('elements-returned-count')).toBe(String(list.json.length));
    expect(list.json.find((element: { key: string }) => element.key === 'salesforce')).toMatchObject({
      hub: 'crm',
      typeOauth: true,
      private: false,
      configuration: expect.arrayContaining([expect.objectContaining({ key: 'base.url', defaultValue: '{instance_url}/services/data/v62.0' }), expect.objectContaining({ key: 'oauth.api.secret', type: 'PASSWORD' })]),
      resources: expect.arrayContaining([{ id: expect.any(Number), path: '/accounts/{id}', method: 'GET', vendorPath: '/sobjects/Account/{id}', vendorMethod: 'GET', type: 'api', parameters: [], hooks: [], object: { name: 'Account' } }]),
    });
    const keys = await call('GET', '/elements/keys');
    expect(keys.json).toEqual(expect.arrayContaining(['salesforce', 'stripe', 'zendesk']));
    expect(keys.json.every((key: unknown) => typeof key === 'string')).toBe(true);

    const metadata = await call('GET', '/elements/salesforce/metadata');
    expect(metadata.json).toMatchObject({ id: 2, key: 'salesforce', name: 'Salesforce', description: expect.any(String), events: { supported: false, methods: [] }, objects: expect.arrayContaining(['accounts']) });
    expect((await call('GET', '/elements/2/metadata?expand=true')).json.resources.length).toBeGreaterThan(0);
    expect((await call('GET', '/elements/metadata')).json.length).toBe(list.json.length);
    expect((await call('GET', '/elements/999999999999/metadata')).status).toBe(404);

    const exported = await call('GET', '/elements/zendesk/export');
    expect(exported.headers.get('content-disposition')).toBe('attachment; filename="zendesk.json"');
    expect(exported.json).toEqual((await call('GET', '/elements/zendesk')).json);
  });

  it('clones any element into a private one, which can be changed and deleted', async () => {
    const byKey = await call('POST', '/elements/salesforce/clone');
    expect(byKey.status, byKey.text).toBe(200);
    expect(byKey.json).toMatchObject({ key: 'salesforce-copy', private: true, hub: 'crm', authentication: { type: 'oauth2', pkce: true } });
    expect(byKey.json.configuration.find((entry: { key: string }) => entry.key === 'oauth.api.key').defaultValue).toBeUndefined();
    const byId = await call('POST', '/elements/2/clone');
    expect(byId.json.key).toBe('salesforce-copy-2');
    expect((await call('PUT', '/elements/salesforce-copy', { json: { ...byKey.json, name: 'My Salesforce' } })).json.name).toBe('My Salesforce');
    for (const key of ['salesforce-copy', 'salesforce-copy-2']) expect((await call('DELETE', `/elements/${key}`)).status).toBe(200);
  });

  it('activates and deactivates a custom element; an inactive one takes no instances', async () => {
    const element = await call('POST', '/elements', { json: churrosElement('Churros active') });
    expect((await call('DELETE', `/elements/${element.json.id}/active`)).json).toEqual({ id: element.json.id, key: 'churrosactive', active: false });
    expect((await call('GET', '/elements/churrosactive')).json.active).toBe(false);
    const refused = await call('POST', '/instances', { json: { element: { key: 'churrosactive' }, name: 'x', configuration: { username: 'u', password: PASSWORD } } });
    expect(refused.status).toBe(409);
    expect(refused.json.code).toBe('element_inactive');
    const oauthClone = (await call('POST', '/elements/hubspot/clone')).json;
    await call('DELETE', `/elements/${oauthClone.key}/active`);
    const noUrl = await call('GET', `/elements/${oauthClone.key}/oauth/url?apiKey=a&callbackUrl=http%3A%2F%2Flocalhost%2Fcb&state=s`);
    expect(noUrl.status).toBe(409);
    expect(noUrl.json.code).toBe('element_inactive');
    await call('DELETE', `/elements/${oauthClone.key}`);
    await call('PUT', '/elements/churrosactive/active');
    expect((await call('GET', `/elements/${element.json.id}`)).json.active).toBe(true);
    expect((await call('PUT', '/elements/salesforce/active')).status).toBe(403);
  });

  it('builds the OAuth URL by key or id, from the query or a JSON body', async () => {
    const query = '?apiKey=abcdefg&apiSecret=1234567&callbackUrl=http%3A%2F%2Flocalhost%3A8080&state=s1&scope=';
    const get = await call('GET', `/elements/hubspot/oauth/url${query}`);
    expect(get.status, get.text).toBe(200);
    expect(get.json.element).toBe('hubspot');
    expect(new URL(get.json.oauthUrl).searchParams.get('client_id')).toBe('abcdefg');
    const id = (await call('GET', '/elements/hubspot')).json.id;
    const post = await call('POST', `/elements/${id}/oauth/url`, { json: { apiKey: 'abcdefg', apiSecret: '1234567', callbackUrl: 'http://localhost:8080', state: 's1' } });
    expect(post.json).toEqual(get.json);
  });
});

describe('element sub-resources', () => {
  let key: string;
  let id: number;

  beforeAll(async () => {
    const element = await call('POST', '/elements', { json: churrosElement('Churros parts') });
    key = element.json.key;
    id = element.json.id;
  });

  it('configuration entries by key', async () => {
    const entry = { name: 'Churros Config', key: 'churros.config', description: 'A Churros config', type: 'BOOLEAN' };
    const created = await call('POST', `/elements/${key}/configuration`, { json: entry });
    expect(created.json).toEqual({ ...entry, required: false, hidden: false });
    expect((await call('POST', `/elements/${id}/configuration`, { json: entry })).status).toBe(409);
    expect((await call('GET', `/elements/${id}/configuration`)).json.map((e: { key: string }) => e.key)).toEqual(['base.url', 'churros.config']);
    expect((await call('PUT', `/elements/${id}/configuration/churros.config`, { json: { ...entry, description: 'An updated Churros config' } })).json.description).toBe('An updated Churros config');
    expect((await call('GET', `/elements/${key}/configuration/churros.config`)).json.description).toBe('An updated Churros config');
    expect((await call('DELETE', `/elements/${key}/configuration/churros.config`)).status).toBe(200);
    expect((await call('GET', `/elements/${key}/configuration/churros.config`)).status).toBe(404);
  });

  it('parameters and hooks, with the hook engine never going back to legacy', async () => {
    const parameter = { name: 'param', type: 'query', vendorName: 'theParam', vendorType: 'query', description: 'A Churros parameter', sampleData: null, dataType: 'string', vendorDataType: 'string' };
    const created = await call('POST', `/elements/${key}/parameters`, { json: parameter });
    const { sampleData: _none, ...given } = parameter;
    expect(created.json).toMatchObject({ ...given, id: expect.any(Number), elementId: id, source: 'request', required: false });
    expect(created.json).not.toHaveProperty('sampleData');
    expect((await call('GET', `/elements/${id}/parameters`)).json).toHaveLength(1);
    const updated = await call('PUT', `/elements/${id}/parameters/${created.json.id}`, { json: { ...parameter, description: 'An updated Churros parameter', sampleData: 'testKey=1' } });
    expect(updated.json).toMatchObject({ id: created.json.id, description: 'An updated Churros parameter', sampleData: 'testKey=1' });
    expect((await call('DELETE', `/elements/${key}/parameters/${created.json.id}`)).status).toBe(200);
    expect((await call('GET', `/elements/${key}/parameters/${created.json.id}`)).status).toBe(404);

    const hook = { mimeType: 'application/javascript', type: 'preRequest', body: "done({foo: 'bar'});" };
    const current = await call('POST', `/elements/${id}/hooks`, { json: hook });
    expect(current.json).toMatchObject({ ...hook, isLegacy: false, id: expect.any(Number), elementId: id });
    const legacy = await call('POST', `/elements/${id}/hooks`, { json: { ...hook, isLegacy: true } });
    expect(legacy.json.isLegacy).toBe(true);
    expect((await call('PUT', `/elements/${id}/hooks/${legacy.json.id}`, { json: { ...hook, isLegacy: false } })).json.isLegacy).toBe(false);
    const downgrade = await call('PUT', `/elements/${id}/hooks/${current.json.id}`, { json: { ...hook, isLegacy: true } });
    expect(downgrade.status).toBe(400);
    expect(downgrade.json.code).toBe('hook_engine_downgrade');
    expect((await call('POST', `/elements/${id}/hooks`, { json: { ...hook, type: 'sometimes' } })).status).toBe(422);
  });

  it('resources with their parameters, hooks and model, called through their vendor path', async () => {
    const created = await call('POST', `/elements/${key}/resources`, { json: resourcePayload });
    expect(created.status, created.text).toBe(200);
    const resourceId = created.json.id;
    expect(created.json).toMatchObject({ path: '/hubs/crm/churros-contacts/{id}', vendorPath: '/people/{id}', method: 'GET', elementId: id, parameters: [{ name: 'pageSize', id: expect.any(Number) }] });
    expect((await call('GET', `/elements/${id}/resources/${resourceId}`)).json).toEqual(created.json);
    expect((await call('GET', `/elements/${id}/resources`)).json).toHaveLength(1);
    const withSample = { ...resourcePayload, description: 'An updated Churros resource', response: { sampleData: '{"key": "value"}' }, operationId: 'getChurrosById' };
    expect((await call('PUT', `/elements/${key}/resources/${resourceId}`, { json: withSample })).json).toMatchObject({ id: resourceId, operationId: 'getChurrosById', response: { sampleData: '{"key": "value"}' } });

    const parameters = `/elements/${key}/resources/${resourceId}/parameters`;
    const parameter = await call('POST', parameters, { json: { name: 'fields', type: 'query' } });
    expect(parameter.json).toMatchObject({ name: 'fields', resourceId, elementId: id });
    expect((await call('GET', parameters)).json).toHaveLength(2);
    const hooks = `/elements/${id}/resources/${resourceId}/hooks`;
    const hook = await call('POST', hooks, { json: { type: 'postRequest', body: 'done(response_body);' } });
    expect(hook.json).toMatchObject({ type: 'postRequest', isLegacy: false, resourceId });
    expect((await call('DELETE', `${hooks}/${hook.json.id}`)).status).toBe(200);

    const models = `/elements/${key}/resources/${resourceId}/models`;
    expect((await call('GET', models)).status).toBe(404);
    expect((await call('POST', models, { json: { name: 'model', swagger: {}, requestName: 'body', requestSwagger: {} } })).json).toMatchObject({ name: 'model', requestName: 'body' });
    expect((await call('POST', models, { json: { name: 'again', swagger: {} } })).status).toBe(409);
    expect((await call('PUT', models, { json: { name: 'updatedName', swagger: {} } })).json.name).toBe('updatedName');
    expect((await call('GET', models)).json.name).toBe('updatedName');
    expect((await call('DELETE', models)).status).toBe(200);

    // A call that matches the resource goes to its vendor path; the hub in the path does not matter.
    const instance = await call('POST', `/elements/${key}/instances`, { json: { name: 'parts', configuration: { username: 'jane', password: PASSWORD } } });
    for (const path of ['/hubs/crm/churros-contacts/7', '/churros-contacts/7', '/hubs/anything/churros-contacts/7']) {
      const mapped = await call('GET', `${path}?pageSize=1`, { headers: withElement(instance.json.token) });
      expect(mapped.status, mapped.text).toBe(200);
      expect(mapped.json).toMatchObject({ method: 'GET', path: '/v1/people/7', query: { pageSize: '1' } });
      expect(mapped.headers.get('elements-element-instance-id')).toBe(String(instance.json.id));
    }
    // Any other path still reaches the vendor under the base URL.
    expect((await call('GET', '/other/thing', { headers: withElement(instance.json.token) })).json.path).toBe('/v1/other/thing');
    await call('DELETE', `/instances/${instance.json.id}`);
    expect((await call('DELETE', `/elements/${key}/resources/${resourceId}`)).status).toBe(200);
  });

  it('objects by id or name, with their fields', async () => {
    const object = {
      name: 'churrosContacts',
      primaryKeyName: 'id',
      createdDateName: 'created_dt',
      createdDateFormat: 'yyyy/mm/dd',
      searchConfiguration: { fields: ['id', 'email'], operators: ['and', 'or'] },
      fields: [{ name: 'id', type: 'number', primaryKey: false, hidden: false, readOnly: false }],
    };
    const objects = `/elements/${id}/objects`;
    const created = await call('POST', objects, { json: object });
    expect(created.json).toMatchObject({ ...object, id: expect.any(Number), fields: [{ name: 'id', id: expect.any(Number) }] });
    expect((await call('GET', `${objects}/churrosContacts`)).json).toEqual(created.json);
    expect((await call('PUT', `${objects}/${created.json.id}`, { json: { ...object, createdDateName: 'created_date' } })).json.createdDateName).toBe('created_date');
    const fields = `${objects}/${created.json.id}/fields`;
    const field = await call('POST', fields, { json: { name: 'churrosfield', type: 'string', primaryKey: false, hidden: false, readOnly: false } });
    expect(field.json).toMatchObject({ name: 'churrosfield', id: expect.any(Number), objectId: created.json.id });
    expect((await call('GET', fields)).json).toHaveLength(2);
    expect((await call('PUT', `${fields}/${field.json.id}`, { json: { name: 'churrosfield', type: 'number' } })).json.type).toBe('number');
    expect((await call('DELETE', `${objects}/${created.json.id}`)).status).toBe(200);
    expect((await call('GET', `${objects}/churrosContacts`)).status).toBe(404);
  });

  it('keeps built-in elements read-only and other organizations\' elements invisible', async () => {
    const refused = await call('POST', '/elements/stripe/resources', { json: resourcePayload });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ code: 'element_read_only', requestId: expect.any(String), message: expect.stringContaining('built-in') });
    expect((await call('GET', '/elements/stripe/resources')).json.length).toBeGreaterThan(0);
    expect((await call('GET', `/elements/${key}/resources`, { auth: other })).status).toBe(404);
    expect((await call('POST', `/elements/${key}/hooks`, { auth: other, json: { type: 'preRequest', body: 'x' } })).status).toBe(404);
  });
});

describe('instances as Open Connectors returns them', () => {
  let elementKey: string;
  let instance: { id: number; token: string };

  beforeAll(async () => {
    elementKey = (await call('POST', '/elements', { json: churrosElement('Churros instances', { hub: 'crm', resources: [{ path: '/incidents', method: 'GET', vendorPath: '/tickets' }] }) })).json.key;
  });

  it('creates an instance with a full, masked view; tags default to the name; HTML is stripped', async () => {
    const created = await call('POST', `/elements/${elementKey}/instances`, {
      json: { name: '<a href="#" onClick="javascript:alert(\'xss\');return false;">@churros-xss</a>', configuration: { username: 'jane', password: PASSWORD } },
    });
    expect(created.status, created.text).toBe(200);
    expect(created.json).toMatchObject({
      id: expect.any(Number),
      name: '@churros-xss',
      token: expect.any(String),
      element: { key: elementKey, hub: 'crm', authentication: { type: 'basic' } },
      tags: ['@churros-xss'],
      configuration: { username: 'jane', password: '********' },
      valid: true,
      disabled: false,
      createdDate: expect.any(String),
      updatedDate: expect.any(String),
    });
    expect(created.json).not.toHaveProperty('providerData');
    instance = { id: created.json.id, token: created.json.token };
    const read = await call('GET', `/instances/${instance.id}`);
    expect(read.json).toEqual(created.json);
    expect((await call('GET', `/elements/${elementKey}/instances/${instance.id}`)).json).toEqual(created.json);
    expect((await call('GET', `/elements/zendesk/instances/${instance.id}`)).status).toBe(404);
  });

  it('lists with Elements-* headers and filters by tags', async () => {
    const list = await call('GET', '/instances?tags[]=@churros-xss&pageSize=1');
    expect(list.json.map((item: { id: number }) => item.id)).toEqual([instance.id]);
    expect(list.headers.get('elements-returned-count')).toBe('1');
    expect(list.headers.get('access-control-expose-headers')).toContain('Elements-Next-Page-Token');
    expect((await call('GET', `/elements/${elementKey}/instances`)).json).toHaveLength(1);
  });

  it('takes back the object it returned on PATCH and PUT; masked and read-only values change nothing', async () => {
    const read = (await call('GET', `/instances/${instance.id}`)).json;
    const patched = await call('PATCH', `/instances/${instance.id}`, { json: { ...read, name: '<b>updated-instance</b>', tags: ['churros-testing'] } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json).toMatchObject({ id: instance.id, token: instance.token, name: 'updated-instance', tags: ['churros-testing'], configuration: { password: '********' } });
    const before = (await call('GET', '/incidents', { headers: withElement(instance.token) })).json.authorization;
    expect(before).toBe(`Basic ${Buffer.from(`jane:${PASSWORD}`).toString('base64')}`);
    // A new password re-authenticates, through PUT as well as PATCH; id and token stay.
    const put = await call('PUT', `/elements/${elementKey}/instances/${instance.id}`, { json: { ...patched.json, configuration: { ...patched.json.configuration, password: ROTATED } } });
    expect(put.json).toMatchObject({ id: instance.id, token: instance.token, name: 'updated-instance' });
    expect((await call('GET', '/incidents', { headers: withElement(instance.token) })).json).toMatchObject({
      path: '/v1/tickets',
      authorization: `Basic ${Buffer.from(`jane:${ROTATED}`).toString('base64')}`,
    });
    // The Element token names the instance too.
    expect((await call('PATCH', '/instances', { headers: withElement(instance.token), json: { tags: ['by-token'] } })).json.tags).toEqual(['by-token']);
    expect((await call('PATCH', `/instances/${instance.id}`, { json: { name: '<i></i>' } })).status).toBe(422);
  });

  it('moves an instance to a clone of its element', async () => {
    const clone = await call('POST', `/elements/${elementKey}/clone`);
    const moved = await call('PATCH', `/instances/${instance.id}`, { json: { element: { id: clone.json.id } } });
    expect(moved.json.element).toMatchObject({ id: clone.json.id, key: clone.json.key });
    const refused = await call('PATCH', `/instances/${instance.id}`, { json: { element: { key: 'salesforce' } } });
    expect(refused.status).toBe(422);
    await call('PATCH', `/instances/${instance.id}`, { json: { element: { key: elementKey } } });
    expect((await call('DELETE', `/elements/${clone.json.key}`)).status).toBe(200);
  });

  it('reads and changes configuration entries by id or key, with or without the instance id', async () => {
    const entries = await call('GET', `/instances/${instance.id}/configuration`);
    expect(entries.json).toEqual([
      expect.objectContaining({ id: 1, key: 'base.url', propertyValue: `${vendor.url}/v1` }),
      expect.objectContaining({ key: 'username', propertyValue: 'jane' }),
      expect.objectContaining({ key: 'password', propertyValue: '********' }),
    ]);
    const password = entries.json.find((entry: { key: string }) => entry.key === 'password');
    const changed = await call('PATCH', `/instances/${instance.id}/configuration/${password.id}`, { json: { ...password, propertyValue: PASSWORD } });
    expect(changed.json).toEqual(password);
    expect((await call('GET', '/incidents', { headers: withElement(instance.token) })).json.authorization).toBe(`Basic ${Buffer.from(`jane:${PASSWORD}`).toString('base64')}`);
    expect((await call('GET', '/instances/configuration/username', { headers: withElement(instance.token) })).json.propertyValue).toBe('jane');
    expect((await call('GET', '/instances/configuration', { headers: withElement(instance.token) })).json).toEqual(entries.json);
    const baseUrl = await call('PATCH', `/instances/${instance.id}/configuration/base.url`, { json: { propertyValue: 'http://169.254.169.254/' } });
    expect(baseUrl.status).toBe(422);
    expect((await call('GET', `/instances/${instance.id}/configuration/99`)).status).toBe(404);
  });

  it('disables and enables an instance; a disabled one answers 403 to resource calls', async () => {
    expect((await call('DELETE', `/instances/${instance.id}/enabled`)).json.disabled).toBe(true);
    const refused = await call('GET', '/incidents', { headers: withElement(instance.token) });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ code: 'instance_disabled', requestId: expect.any(String) });
    expect((await call('GET', '/objects', { headers: withElement(instance.token) })).json).toEqual([{ name: 'incidents', vendorName: 'incidents', type: 'vendor', path: '/tickets', methods: ['GET'] }]);
    expect((await call('PUT', `/instances/${instance.id}/enabled`)).json.disabled).toBe(false);
    expect((await call('GET', '/incidents', { headers: withElement(instance.token) })).status).toBe(200);
  });

  it('serves the instance\'s docs and objects, and deletes with 200', async () => {
    const docs = await call('GET', `/instances/${instance.id}/docs`);
    expect(docs.json).toMatchObject({ swagger: '2.0', basePath: '/elements/api-v2', paths: { '/incidents': { get: expect.any(Object) } } });
    expect((await call('GET', '/instances/docs', { headers: withElement(instance.token) })).json).toEqual(docs.json);
    expect((await call('GET', `/instances/${instance.id}/objects`)).json[0].name).toBe('incidents');
    const deleted = await call('DELETE', `/elements/${elementKey}/instances/${instance.id}`);
    expect(deleted.status).toBe(200);
    expect((await call('GET', `/instances/${instance.id}`)).status).toBe(404);
    expect((await call('GET', '/incidents', { headers: withElement(instance.token) })).status).toBe(401);
  });
});

describe('hubs and docs', () => {
  it('lists hubs, hydrated with their elements and resources; an organization adds and deletes its own', async () => {
    const hubs = await call('GET', '/hubs');
    expect(hubs.json.map((hub: { key: string }) => hub.key)).toEqual(expect.arrayContaining(['crm', 'documents', 'helpdesk', 'general']));
    const hydrated = await call('GET', '/hubs?hydrate=true');
    const crm = hydrated.json.find((hub: { key: string }) => hub.key === 'crm');
    expect(crm.elements.map((element: { key: string }) => element.key)).toEqual(expect.arrayContaining(['salesforce', 'hubspot']));
    expect(crm.resources).toEqual(expect.arrayContaining([{ method: 'GET', path: '/contacts' }]));
    expect((await call('GET', '/hubs/crm/elements')).json.every((element: { hub: string }) => element.hub === 'crm')).toBe(true);

    const hub = { name: 'Churros Test', key: 'churrostest', description: 'Churros Test Hub', active: true };
    expect((await call('POST', '/hubs', { json: hub })).json).toMatchObject({ ...hub, private: true });
    expect((await call('POST', '/hubs', { json: hub })).status).toBe(409);
    expect((await call('GET', '/hubs/churrostest')).json).toMatchObject({ key: 'churrostest', elements: [] });
    expect((await call('GET', '/hubs/churrostest', { auth: other })).status).toBe(404);
    expect((await call('DELETE', '/hubs/churrostest')).status).toBe(200);
    expect((await call('DELETE', '/hubs/crm')).status).toBe(403);
    expect((await call('GET', '/hubs/churrostest')).status).toBe(404);
  });

  it('serves every element\'s API as valid Swagger 2.0 and OpenAPI 3.0, and the platform\'s own at /docs', async () => {
    const elements = (await call('GET', '/elements')).json as { id: number; key: string }[];
    for (const element of elements) {
      const docs = await call('GET', `/elements/${element.id}/docs`);
      await expect(SwaggerParser.validate(docs.json), element.key).resolves.toBeDefined();
      const openapi = await call('GET', `/elements/${element.id}/docs?format=openapi3`);
      expect(openapi.json.openapi, element.key).toBe('3.0.3');
      expect(Object.keys(openapi.json.paths), element.key).toEqual(Object.keys(docs.json.paths));
      await expect(SwaggerParser.validate(openapi.json), element.key).resolves.toBeDefined();
    }
    expect((await call('GET', `/elements/${elements[0]!.id}/docs?format=raml`)).status).toBe(400);
    const platformDocs = await call('GET', '/docs', { auth: false });
    expect(platformDocs.status).toBe(200);
    expect(platformDocs.json.openapi).toBe('3.1.0');
    expect(platformDocs.json.paths['/elements/api-v2/elements/{keyOrId}/resources/{resourceId}']).toBeDefined();
  });
});

describe('errors, headers and platform paths', () => {
  it('answers errors in Open Connectors\' shape with its headers, on every connectors route', async () => {
    for (const [method, path, status] of [
      ['GET', '/elements/nope', 404],
      ['GET', '/instances/123456', 404],
      ['POST', '/instances', 422],
      ['DELETE', '/elements/stripe', 403],
    ] as const) {
      const response = await call(method, path, method === 'POST' ? { json: {} } : {});
      expect(response.status, `${method} ${path}`).toBe(status);
      expect(Object.keys(response.json).sort(), `${method} ${path}`).toEqual(expect.arrayContaining(['code', 'message', 'requestId']));
      expect(response.json).not.toHaveProperty('error');
      expect(response.headers.get('elements-request-id')).toBe(response.json.requestId);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
    }
    const unauthorized = await call('GET', '/elements', { auth: false });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.json).toMatchObject({ code: 'unauthorized', message: expect.any(String), requestId: expect.any(String) });
    // The management API keeps its own shape.
    expect((await platform.request('GET', '/v1/organizations/default/apis/nope')).json.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  });

  it('exposes Open Connectors\' headers to browsers and answers preflights', async () => {
    const response = await call('GET', '/elements', { headers: { origin: 'http://localhost:3000' } });
    expect(response.headers.get('access-control-expose-headers')).toBe(
      'Elements-Returned-Count, Elements-Total-Count, Elements-Request-Id, Elements-Next-Page-Token, Elements-Trace-Id, Elements-Error, Content-Disposition',
    );
    const preflight = await call('OPTIONS', '/instances', { auth: false, headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Authorization');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PATCH');
  });

  it('answers 404 for unknown paths under platform resources instead of calling a vendor', async () => {
    for (const path of ['/elements/stripe/bogus', '/elements/stripe/resources/1/bogus', '/instances/1/bogus', '/usage/analytics/bogus', '/formulas/1/bogus', '/docs/crm', '/accounts/1/bogus', '/users/1/bogus', '/organizations/branding']) {
      const response = await call('GET', path);
      expect(response.status, path).toBe(404);
      expect(response.json.code, path).toBe('not_found');
    }
    // With an Element token, names vendors share (accounts, users) are the vendor's.
    const element = await call('POST', '/elements', { json: churrosElement('Churros shared names') });
    const instance = await call('POST', `/elements/${element.json.key}/instances`, { json: { name: 'shared', configuration: { username: 'u', password: PASSWORD } } });
    const accounts = await call('GET', '/accounts?pageSize=1', { headers: withElement(instance.json.token) });
    expect(accounts.json).toMatchObject({ path: '/v1/accounts', query: { pageSize: '1' } });
    expect((await call('GET', '/hubs/crm/accounts', { headers: withElement(instance.json.token) })).json.path).toBe('/v1/accounts');
    // Platform-only resources never reach the vendor, token or not: /usage is the usage API.
    const usage = await call('GET', '/usage', { headers: withElement(instance.json.token) });
    expect(usage.status).toBe(200);
    expect(Array.isArray(usage.json)).toBe(true);
    const formulas = await call('GET', '/formulas', { headers: withElement(instance.json.token) });
    expect(formulas.status).toBe(200);
    expect(Array.isArray(formulas.json)).toBe(true);
    expect((await call('GET', '/formulas/1/bogus', { headers: withElement(instance.json.token) })).status).toBe(404);
  });
});
