// The unified API over HTTP: canonical `contacts` from two CRM elements
// (HubSpot's cursor pages, filtered after the call; Salesforce's SOQL with
// nextRecordsUrl batches), the same CEQL query and paging loop giving the
// same canonical records; a common resource at organization level with an
// instance-level override, mapping reads and writes both ways; the
// organization's, an account's and an instance's levels over each other,
// with account users kept to their own; the objects
// of all three kinds after instantiation; object metadata; errors in Open
// Connectors' shape (CEQL refusals, vendor errors, a vendor's rate limit
// with Retry-After); and fast-check over the query parameters: never a 500.
import SwaggerParser from '@apidevtools/swagger-parser';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackCopy } from '../support/element-copy.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { sendJson, startVendor, type ReceivedRequest, type VendorServer } from '../support/vendor.js';

interface Person {
  id: string;
  firstName: string;
  lastName: string;
  email: string;
  title: string;
  created: string;
}

const PEOPLE: Person[] = [
  { id: '101', firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', title: 'Analyst', created: '2024-01-01T10:00:00.000Z' },
  { id: '102', firstName: 'Grace', lastName: 'Hopper', email: 'grace@example.com', title: 'Admiral', created: '2024-01-02T10:00:00.000Z' },
  { id: '103', firstName: 'Alan', lastName: 'Turing', email: 'alan@bletchley.example', title: 'Cryptanalyst', created: '2024-01-03T10:00:00.000Z' },
  { id: '104', firstName: 'Edsger', lastName: 'Dijkstra', email: 'edsger@example.com', title: 'Professor', created: '2024-01-04T10:00:00.000Z' },
  { id: '105', firstName: 'Zoe', lastName: 'Zed', email: 'zoe@example.com', title: 'Engineer', created: '2024-01-05T10:00:00.000Z' },
  { id: '106', firstName: 'Barbara', lastName: 'Liskov', email: 'barbara@example.com', title: 'Professor', created: '2024-01-06T10:00:00.000Z' },
  { id: '107', firstName: 'Donald', lastName: 'Knuth', email: 'don@example.com', title: 'Professor', created: '2024-01-07T10:00:00.000Z' },
];

/** HubSpot's CRM v3 object as its documentation shows it (properties are strings, dates ISO). */
const hubspotContact = (p: Person) => ({
  id: p.id,
  properties: { firstname: p.firstName, lastname: p.lastName, email: p.email, jobtitle: p.title, createdate: p.created, lastmodifieddate: p.created, hs_object_id: p.id },
  createdAt: p.created,
  updatedAt: p.created,
  archived: false,
});

/** A Salesforce Contact as a SOQL query returns it (`attributes`, `+0000` offsets). */
const salesforceContact = (p: Person) => ({
  attributes: { type: 'Contact', url: `/services/data/v62.0/sobjects/Contact/${p.id}` },
  Id: p.id,
  FirstName: p.firstName,
  LastName: p.lastName,
  Email: p.email,
  Phone: null,
  Title: p.title,
  AccountId: null,
  CreatedDate: p.created.replace('Z', '+0000'),
  LastModifiedDate: p.created.replace('Z', '+0000'),
});

/** The SOQL statements the stand-in knows, and which people each selects (a Salesforce org evaluates them itself). */
const SELECT = 'SELECT Id, FirstName, LastName, Email, Phone, Title, AccountId, CreatedDate, LastModifiedDate FROM Contact';
const SOQL: Record<string, (p: Person) => boolean> = {
  [SELECT]: () => true,
  [`${SELECT} WHERE (Email LIKE '%@example.com') AND (LastName != 'Zed')`]: (p) => p.email.endsWith('@example.com') && p.lastName !== 'Zed',
  [`${SELECT} WHERE Title = 'Professor' ORDER BY LastName DESC`]: (p) => p.title === 'Professor',
};
const SALESFORCE_BATCH = 3;

let platform: TestPlatform;
let hubspot: VendorServer;
let salesforce: VendorServer;
const hubspotWrites: unknown[] = [];
let rateLimited = false;

const withElement = (token: string) => ({ authorization: `${platform.auth}, Element ${token}` });

function hubspotVendor(request: ReceivedRequest, res: Parameters<Parameters<typeof startVendor>[0]>[1]) {
  if (request.path === '/oauth/2026-03/token') return sendJson(res, 200, { access_token: 'hs-access', refresh_token: 'hs-refresh', expires_in: 1800, token_type: 'bearer' });
  if (request.headers.authorization !== 'Bearer hs-access') return sendJson(res, 401, { status: 'error', message: 'Authentication credentials not found.', category: 'INVALID_AUTHENTICATION' });
  if (rateLimited) return sendJson(res, 429, { status: 'error', message: 'You have reached your ten_secondly_rolling limit.', errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' }, { 'retry-after': '7' });
  if (request.method === 'GET' && request.path === '/crm/v3/objects/contacts') {
    const limit = Math.min(100, Number(request.query.get('limit') ?? 10));
    const start = request.query.has('after') ? Number(Buffer.from(request.query.get('after')!, 'base64url').toString()) : 0;
    const page = PEOPLE.slice(start, start + limit);
    const next = start + limit < PEOPLE.length ? Buffer.from(String(start + limit)).toString('base64url') : undefined;
    return sendJson(res, 200, { results: page.map(hubspotContact), ...(next ? { paging: { next: { after: next, link: `${hubspot.url}/crm/v3/objects/contacts?after=${next}` } } } : {}) });
  }
  const one = /^\/crm\/v3\/objects\/contacts\/(\w+)$/.exec(request.path);
  if (one && request.method === 'GET') {
    const person = PEOPLE.find((p) => p.id === one[1]);
    return person ? sendJson(res, 200, hubspotContact(person)) : sendJson(res, 404, { status: 'error', message: 'Object not found.  objectId are usually numeric.', category: 'OBJECT_NOT_FOUND' });
  }
  if ((request.method === 'POST' && request.path === '/crm/v3/objects/contacts') || (one && request.method === 'PATCH')) {
    const body = JSON.parse(request.body.toString()) as { properties: Record<string, string> };
    hubspotWrites.push(body);
    return sendJson(res, request.method === 'POST' ? 201 : 200, { id: one?.[1] ?? '999', properties: body.properties, createdAt: '2024-02-01T00:00:00.000Z', updatedAt: '2024-02-01T00:00:00.000Z', archived: false });
  }
  return sendJson(res, 404, { status: 'error', message: 'not here' });
}

beforeAll(async () => {
  platform = await startPlatform();
  hubspot = await startVendor((request, res) => hubspotVendor(request, res));
  salesforce = await startVendor((request, res) => {
    if (request.path === '/services/oauth2/token') {
      return sendJson(res, 200, { access_token: 'sf-access', refresh_token: 'sf-refresh', instance_url: salesforce.url, token_type: 'Bearer', issued_at: '1700000000000' });
    }
    if (request.headers.authorization !== 'Bearer sf-access') return sendJson(res, 401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    const more = /^\/services\/data\/v62\.0\/query\/([0-9a-f]+)-(\d+)$/.exec(request.path);
    const soql = more ? Buffer.from(more[1]!, 'hex').toString() : request.query.get('q') ?? '';
    const select = SOQL[soql];
    if (!select) return sendJson(res, 400, [{ message: `unexpected token: ${soql.slice(0, 40)}`, errorCode: 'MALFORMED_QUERY' }]);
    expect(request.headers['sforce-query-options']).toBe('batchSize=200');
    let matching = PEOPLE.filter(select);
    if (soql.includes('ORDER BY LastName DESC')) matching = [...matching].sort((a, b) => b.lastName.localeCompare(a.lastName));
    const start = more ? Number(more[2]) : 0;
    const batch = matching.slice(start, start + SALESFORCE_BATCH);
    const done = start + SALESFORCE_BATCH >= matching.length;
    return sendJson(res, 200, {
      totalSize: matching.length,
      done,
      ...(done ? {} : { nextRecordsUrl: `/services/data/v62.0/query/${Buffer.from(soql).toString('hex')}-${start + SALESFORCE_BATCH}` }),
      records: batch.map(salesforceContact),
    });
  });
  for (const [file, key, vendor] of [
    ['hubspot.json', 'hubspot-loopback', hubspot],
    ['salesforce.json', 'salesforce-loopback', salesforce],
  ] as const) {
    const created = await platform.request('POST', '/elements/api-v2/elements', { json: loopbackCopy(file, key, vendor.url) });
    expect(created.status, created.text).toBe(200);
  }
});

afterAll(async () => {
  await platform?.close();
  await hubspot?.close();
  await salesforce?.close();
});

async function connect(elementKey: string, name: string, extra: Record<string, unknown> = {}, auth = platform.auth) {
  const response = await platform.request('POST', '/elements/api-v2/instances', {
    auth,
    json: {
      element: { key: elementKey },
      name,
      providerData: { code: 'the-code', codeVerifier: 'v'.repeat(43) },
      configuration: { 'oauth.api.key': 'client', 'oauth.api.secret': 'client-secret', 'oauth.callback.url': 'http://localhost:4999/callback' },
      ...extra,
    },
  });
  expect(response.status, response.text).toBe(200);
  return response.json as { id: number; token: string; objects?: { name: string; vendorName: string; type: string }[] };
}

/** Every page of a list, following elements-next-page-token. */
async function allPages(token: string, path: string, query: Record<string, string>): Promise<{ records: unknown[]; pages: number; totals: (string | null)[] }> {
  const records: unknown[] = [];
  const totals: (string | null)[] = [];
  let nextPage: string | undefined;
  let pages = 0;
  do {
    const params = new URLSearchParams({ ...query, ...(nextPage ? { nextPage } : {}) });
    const response = await platform.request('GET', `/elements/api-v2${path}?${params}`, { headers: withElement(token) });
    expect(response.status, response.text).toBe(200);
    expect(response.headers.get('elements-returned-count')).toBe(String((response.json as unknown[]).length));
    records.push(...(response.json as unknown[]));
    totals.push(response.headers.get('elements-total-count'));
    nextPage = response.headers.get('elements-next-page-token') ?? undefined;
    pages++;
    expect(pages).toBeLessThan(20);
  } while (nextPage);
  return { records, pages, totals };
}

const canonical = (p: Person) => ({ id: p.id, firstName: p.firstName, lastName: p.lastName, email: p.email, title: p.title, createdDate: p.created, modifiedDate: p.created });

describe('canonical contacts from two CRM elements', () => {
  let hs: { id: number; token: string };
  let sf: { id: number; token: string };
  beforeAll(async () => {
    hs = await connect('hubspot-loopback', 'HubSpot');
    sf = await connect('salesforce-loopback', 'Salesforce');
  });

  it('the same CEQL query and paging loop gives the same canonical records', async () => {
    const query = { where: "email LIKE '%@example.com' AND lastName != 'Zed'", pageSize: '2' };
    const fromHubspot = await allPages(hs.token, '/hubs/crm/contacts', query);
    const fromSalesforce = await allPages(sf.token, '/contacts', query);
    const expected = PEOPLE.filter((p) => p.email.endsWith('@example.com') && p.lastName !== 'Zed').map(canonical);
    expect(fromHubspot.records).toEqual(expected);
    expect(fromSalesforce.records).toEqual(expected);
    expect(fromHubspot.pages).toBe(3);
    expect(fromSalesforce.pages).toBe(3);
    // HubSpot cannot filter a list: Tollgate asked for its largest page and filtered; Salesforce got SOQL.
    const hubspotLists = hubspot.requests.filter((r) => r.path === '/crm/v3/objects/contacts' && r.method === 'GET');
    expect(hubspotLists.every((r) => r.query.get('limit') === '100' && r.query.get('properties')?.includes('jobtitle'))).toBe(true);
    const soql = salesforce.requests.filter((r) => r.path === '/services/data/v62.0/query').map((r) => r.query.get('q'));
    expect(soql).toContain(`${SELECT} WHERE (Email LIKE '%@example.com') AND (LastName != 'Zed')`);
  });

  it('pages through the vendor\'s own pages without a query, with the total where the vendor tells it', async () => {
    const fromHubspot = await allPages(hs.token, '/contacts', { pageSize: '3' });
    const fromSalesforce = await allPages(sf.token, '/contacts', { pageSize: '3' });
    expect(fromHubspot.records).toEqual(PEOPLE.map(canonical));
    expect(fromSalesforce.records).toEqual(PEOPLE.map(canonical));
    // HubSpot's cursor: limit=3 and the after cursor of each page.
    const cursors = hubspot.requests.filter((r) => r.path === '/crm/v3/objects/contacts' && r.query.get('limit') === '3').map((r) => r.query.get('after'));
    expect(cursors).toEqual([null, Buffer.from('3').toString('base64url'), Buffer.from('6').toString('base64url')]);
    expect(fromSalesforce.totals[0]).toBe('7');
    expect(salesforce.requests.some((r) => r.path.startsWith('/services/data/v62.0/query/'))).toBe(true);
  });

  it('takes fields and orderBy where the vendor can sort', async () => {
    const response = await platform.request('GET', `/elements/api-v2/contacts?${new URLSearchParams({ where: "title = 'Professor'", orderBy: 'lastName desc', fields: 'lastName,email' })}`, { headers: withElement(sf.token) });
    expect(response.status, response.text).toBe(200);
    expect(response.json).toEqual([
      { lastName: 'Liskov', email: 'barbara@example.com' },
      { lastName: 'Knuth', email: 'don@example.com' },
      { lastName: 'Dijkstra', email: 'edsger@example.com' },
    ]);
  });

  it('refuses what the vendor cannot do, naming it, in Open Connectors\' shape', async () => {
    const sorted = await platform.request('GET', '/elements/api-v2/contacts?orderBy=lastName', { headers: withElement(hs.token) });
    expect(sorted.status).toBe(400);
    expect(sorted.json).toMatchObject({ code: 'query_not_supported', requestId: expect.any(String) });
    expect(sorted.json.message).toBe('`orderBy=properties.lastname asc` cannot be expressed for HubSpot CRM (loopback): the vendor cannot sort this list');
    const unknown = await platform.request('GET', `/elements/api-v2/contacts?where=${encodeURIComponent("shoeSize = 42")}`, { headers: withElement(hs.token) });
    expect(unknown.status).toBe(400);
    expect(unknown.json.message).toBe('`shoeSize` is not a field of contacts');
    const broken = await platform.request('GET', `/elements/api-v2/contacts?where=${encodeURIComponent("email = 'x' AND")}`, { headers: withElement(sf.token) });
    expect(broken.status).toBe(400);
    expect(broken.json).toMatchObject({ code: 'invalid_query', message: 'Invalid CEQL in where: expected a field name, found the end (at character 16)' });
    const foreign = await platform.request('GET', '/elements/api-v2/contacts?nextPage=v1.abc.def.ghi', { headers: withElement(sf.token) });
    expect(foreign.status).toBe(400);
    expect(foreign.json.code).toBe('invalid_next_page');
  });

  it('maps single reads, passes vendor errors on with normalized statuses and rate limits with Retry-After', async () => {
    const one = await platform.request('GET', '/elements/api-v2/contacts/102', { headers: withElement(hs.token) });
    expect(one.status).toBe(200);
    expect(one.json).toEqual(canonical(PEOPLE[1]!));
    const missing = await platform.request('GET', '/elements/api-v2/contacts/999', { headers: withElement(hs.token) });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ code: 'vendor_error', providerMessage: 'Object not found.  objectId are usually numeric.' });
    rateLimited = true;
    try {
      const limited = await platform.request('GET', '/elements/api-v2/contacts', { headers: withElement(hs.token) });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('7');
      expect(limited.json).toMatchObject({ code: 'vendor_rate_limited', providerMessage: 'You have reached your ten_secondly_rolling limit.' });
    } finally {
      rateLimited = false;
    }
  });

  it('answers every query parameter with a page or a 400, never a 500', async () => {
    const text = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom("email = 'a'", 'lastName', '`x` IN (1,', "firstName LIKE '%a%' OR title = 'b'", 'id desc', '0', '-1', '99999'));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('where', 'fields', 'orderBy', 'pageSize', 'nextPage'), text, fc.constantFrom('hs', 'sf'), async (name, value, which) => {
        const token = which === 'hs' ? hs.token : sf.token;
        const response = await platform.request('GET', `/elements/api-v2/contacts?${new URLSearchParams({ [name]: value })}`, { headers: withElement(token) });
        expect([200, 400]).toContain(response.status);
        if (response.status === 400) expect(response.json.message).toEqual(expect.any(String));
      }),
      { numRuns: 60 },
    );
  });
});

describe('a common resource with an instance-level override', () => {
  let first: { id: number; token: string };
  let second: { id: number; token: string; objects?: { name: string; vendorName: string; type: string }[] };

  beforeAll(async () => {
    const definition = await platform.request('POST', '/elements/api-v2/organizations/objects/myContacts/definitions', {
      json: { fields: [{ path: 'key', type: 'string' }, { path: 'mail', type: 'string' }, { path: 'name', type: 'string' }, { path: 'job', type: 'string' }] },
    });
    expect(definition.status, definition.text).toBe(200);
    const transformation = await platform.request('POST', '/elements/api-v2/organizations/elements/hubspot-loopback/transformations/myContacts', {
      json: {
        vendorName: 'contacts',
        fields: [
          { path: 'key', type: 'string', vendorPath: 'id', configuration: [{ type: 'remove', properties: { fromVendor: false, toVendor: true } }] },
          { path: 'mail', type: 'string', vendorPath: 'email' },
          { path: 'name', type: 'string', vendorPath: 'lastName' },
        ],
      },
    });
    expect(transformation.status, transformation.text).toBe(200);
    expect(transformation.json).toMatchObject({ objectName: 'myContacts', vendorName: 'contacts', level: 'organization' });
    first = await connect('hubspot-loopback', 'Overridden');
    second = await connect('hubspot-loopback', 'Organization level', { retrieveObjectsAfterInstantiation: true });
    const override = await platform.request('POST', `/elements/api-v2/instances/${first.id}/transformations/myContacts`, {
      json: {
        vendorName: 'contacts',
        configuration: [{ type: 'inherit', properties: { fromVendor: true, toVendor: true } }],
        fields: [
          { path: 'name', type: 'string', vendorPath: 'firstName' },
          { path: 'job', type: 'string', vendorPath: 'title' },
        ],
      },
    });
    expect(override.status, override.text).toBe(200);
    expect(override.json.level).toBe('instance');
    expect(override.json.fields.map((field: { path: string; level: string }) => `${field.path}:${field.level}`)).toEqual(['key:organization', 'mail:organization', 'name:instance', 'job:instance']);
  });

  it('reads through the instance\'s override and through the organization\'s level elsewhere', async () => {
    const overridden = await platform.request('GET', '/elements/api-v2/myContacts/101', { headers: withElement(first.token) });
    expect(overridden.json).toEqual({ key: '101', mail: 'ada@example.com', name: 'Ada', job: 'Analyst' });
    const plain = await platform.request('GET', '/elements/api-v2/hubs/crm/myContacts/101', { headers: withElement(second.token) });
    expect(plain.json).toEqual({ key: '101', mail: 'ada@example.com', name: 'Lovelace' });
    const listed = await platform.request('GET', `/elements/api-v2/myContacts?${new URLSearchParams({ where: "job = 'Professor'", pageSize: '2' })}`, { headers: withElement(first.token) });
    expect(listed.json).toEqual([
      { key: '104', mail: 'edsger@example.com', name: 'Edsger', job: 'Professor' },
      { key: '106', mail: 'barbara@example.com', name: 'Barbara', job: 'Professor' },
    ]);
    expect(listed.headers.get('elements-next-page-token')).toBeTruthy();
  });

  it('writes through the mappings the other way', async () => {
    hubspotWrites.length = 0;
    const created = await platform.request('POST', '/elements/api-v2/myContacts', { headers: withElement(first.token), json: { key: 'ignored', mail: 'kay@example.com', name: 'Kay', job: 'Inventor' } });
    expect(created.status, created.text).toBe(201);
    expect(hubspotWrites[0]).toEqual({ properties: { email: 'kay@example.com', firstname: 'Kay', jobtitle: 'Inventor' } });
    expect(created.json).toEqual({ key: '999', mail: 'kay@example.com', name: 'Kay', job: 'Inventor' });
    const patched = await platform.request('PATCH', '/elements/api-v2/myContacts/103', { headers: withElement(second.token), json: { name: 'Turing-Smith' } });
    expect(patched.status, patched.text).toBe(200);
    expect(hubspotWrites[1]).toEqual({ properties: { lastname: 'Turing-Smith' } });
  });

  it("runs the transformation's script on the way out and in, and shows it", async () => {
    const path = '/elements/api-v2/organizations/elements/hubspot-loopback/transformations/myContacts';
    const mapped = (await platform.request('GET', path)).json;
    const script = {
      body: "const record = Object.assign({}, transformedObject);\nif (fromVendor) record.label = record.name + ' <' + record.mail + '> #' + originalObject.id;\nelse record.lastName = String(record.lastName).toUpperCase();\ndone(record);",
      mimeType: 'application/javascript',
      filterEmptyResponse: false,
    };
    const fields = mapped.fields.map(({ level: _level, ...field }: { level: string }) => field);
    const scripted = await platform.request('PUT', path, { json: { vendorName: 'contacts', fields, script } });
    expect(scripted.status, scripted.text).toBe(200);
    expect(scripted.json.script).toEqual(script);
    const read = await platform.request('GET', '/elements/api-v2/myContacts/101', { headers: withElement(second.token) });
    expect(read.json).toEqual({ key: '101', mail: 'ada@example.com', name: 'Lovelace', label: 'Lovelace <ada@example.com> #101' });
    // The instance's own inheriting transformation takes the organization's script with it.
    const listed = await platform.request('GET', '/elements/api-v2/myContacts?pageSize=1', { headers: withElement(first.token) });
    expect(listed.json).toEqual([{ key: '101', mail: 'ada@example.com', name: 'Ada', job: 'Analyst', label: 'Ada <ada@example.com> #101' }]);
    hubspotWrites.length = 0;
    const created = await platform.request('POST', '/elements/api-v2/myContacts', { headers: withElement(second.token), json: { mail: 'kay@example.com', name: 'Kay' } });
    expect(created.status, created.text).toBe(201);
    expect(hubspotWrites[0]).toEqual({ properties: { email: 'kay@example.com', lastname: 'KAY' } });
    const unsupported = await platform.request('PUT', path, { json: { vendorName: 'contacts', fields, script: { ...script, filterEmptyResponse: true } } });
    expect(unsupported.status).toBe(422);
    expect(unsupported.text).toContain('filterEmptyResponse is not supported');
    const restored = await platform.request('PUT', path, { json: { vendorName: 'contacts', fields } });
    expect(restored.json.script).toBeUndefined();
  });

  it("takes churros' transformation scripts on both engines, and refuses going back from v2 to v1", async () => {
    // The payloads of churros' transformations/scripts.js (Cloud Elements' platform test suite), at instance level.
    const transformation = (engine?: 'v1' | 'v2') => ({
      vendorName: 'contacts',
      ...(engine ? { isLegacy: engine === 'v1' } : {}),
      script: { body: engine === 'v1' ? "transformedObject.foo='bar'; return transformedObject;" : "transformedObject.foo = 'bar'; done(transformedObject);" },
      fields: [{ path: 'id', vendorPath: 'id' }],
    });
    const base = `/elements/api-v2/instances/${second.id}`;
    const scripted = async (original: ReturnType<typeof transformation>, update?: ReturnType<typeof transformation>) => {
      expect((await platform.request('POST', `${base}/objects/contacts/definitions`, { json: { fields: [{ path: 'id', type: 'string' }] } })).status).toBe(200);
      const made = await platform.request('POST', `${base}/transformations/contacts`, { json: original });
      expect(made.status, made.text).toBe(200);
      expect(made.json.isLegacy).toBe(original.isLegacy ?? false);
      expect((await platform.request('GET', '/elements/api-v2/hubs/crm/contacts/101', { headers: withElement(second.token) })).json).toEqual({ id: '101', foo: 'bar' });
      const updated = update ? await platform.request('PUT', `${base}/transformations/contacts`, { json: update }) : undefined;
      expect((await platform.request('DELETE', `${base}/transformations/contacts`)).status).toBe(200);
      expect((await platform.request('DELETE', `${base}/objects/contacts/definitions`)).status).toBe(200);
      return updated;
    };
    await scripted(transformation());
    await scripted(transformation('v1'));
    expect((await scripted(transformation('v1'), transformation('v2')))!.status).toBe(200);
    expect((await scripted(transformation('v2'), transformation('v2')))!.status).toBe(200);
    const downgrade = await scripted(transformation('v2'), transformation('v1'));
    expect(downgrade!.status).toBe(400);
    expect(downgrade!.json.message).toContain('cannot go back to v1');
    expect((await scripted(transformation(), transformation('v1')))!.status).toBe(400);
  });

  it('lists objects of all three kinds after instantiation, and on the instance', async () => {
    const kinds = (objects: { name: string; type: string; vendorName: string }[] | undefined) => Object.fromEntries((objects ?? []).map((o) => [o.name, `${o.type}:${o.vendorName}`]));
    expect(kinds(second.objects)).toMatchObject({ contacts: 'ceCanonical:contact', accounts: 'ceCanonical:company', opportunities: 'ceCanonical:deal', owners: 'vendor:owner', myContacts: 'vdr:contacts' });
    const listed = await platform.request('GET', `/elements/api-v2/instances/${first.id}/objects`);
    expect(new Set((listed.json as { type: string }[]).map((o) => o.type))).toEqual(new Set(['ceCanonical', 'vendor', 'vdr']));
  });

  it('describes each object\'s fields', async () => {
    const contacts = await platform.request('GET', '/elements/api-v2/objects/contacts/metadata', { headers: withElement(second.token) });
    expect(contacts.status, contacts.text).toBe(200);
    expect(contacts.json.fields).toContainEqual({ path: 'email', type: 'string', vendorPath: 'properties.email', vendorType: 'string', filterable: true });
    const common = await platform.request('GET', `/elements/api-v2/instances/${first.id}/objects/myContacts/metadata`);
    expect(common.json).toMatchObject({ objectName: 'myContacts', type: 'vdr', vendorName: 'contacts' });
    expect(common.json.fields.map((field: { path: string; vendorPath: string }) => `${field.path}<-${field.vendorPath}`)).toEqual([
      'key<-id',
      'mail<-properties.email',
      'name<-properties.firstname',
      'job<-properties.jobtitle',
    ]);
  });

  it('documents canonical objects and the instance\'s common resources, with their models', async () => {
    const element = await platform.request('GET', '/elements/api-v2/elements/hubspot-loopback/docs');
    expect(element.json.paths['/contacts'].get).toMatchObject({ operationId: 'getContacts', parameters: expect.arrayContaining([expect.objectContaining({ name: 'where', in: 'query' })]) });
    expect(element.json.paths['/myContacts']).toBeUndefined();
    expect(element.json.definitions.contacts.properties.email).toEqual({ type: 'string', 'x-vendor-path': 'properties.email' });
    const instance = await platform.request('GET', `/elements/api-v2/instances/${first.id}/docs`);
    expect(Object.keys(instance.json.paths)).toEqual(expect.arrayContaining(['/contacts', '/contacts/{id}', '/myContacts', '/myContacts/{id}', '/owners']));
    expect(Object.keys(instance.json.definitions.myContacts.properties)).toEqual(['key', 'mail', 'name', 'job']);
    await SwaggerParser.validate(structuredClone(instance.json));
    const openapi = await platform.request('GET', `/elements/api-v2/instances/${first.id}/docs?format=openapi3`);
    expect(openapi.json.servers).toEqual([{ url: `${instance.json.schemes[0]}://${instance.json.host}/elements/api-v2` }]);
    expect(openapi.json.paths['/myContacts'].post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/myContacts' });
    expect(openapi.json.paths['/myContacts'].get.responses[200].headers['elements-next-page-token']).toEqual({ schema: { type: 'string' } });
    expect(openapi.json.components.schemas).toEqual(instance.json.definitions);
    await SwaggerParser.validate(structuredClone(openapi.json));
    const models = await platform.request('GET', `/elements/api-v2/instances/${first.id}/docs/getMyContactsById/definitions`);
    expect(models.status, models.text).toBe(200);
    expect(Object.keys(models.json)).toEqual(['myContacts']);
    expect(models.json.myContacts.properties.job).toEqual({ type: 'string', 'x-vendor-path': 'title' });
    const unknown = await platform.request('GET', `/elements/api-v2/instances/${first.id}/docs/nope/definitions`);
    expect(unknown.status).toBe(404);
  });

  it('keeps a definition while transformations use it, and lists the definitions', async () => {
    const refused = await platform.request('DELETE', '/elements/api-v2/organizations/objects/myContacts/definitions');
    expect(refused.status).toBe(409);
    const all = await platform.request('DELETE', '/elements/api-v2/organizations/objects/definitions');
    expect(all.status).toBe(409);
    expect(all.json.message).toContain('myContacts (hubspot-loopback)');
    const listed = await platform.request('GET', '/elements/api-v2/organizations/objects/definitions');
    expect(Object.keys(listed.json)).toContain('myContacts');
    const defaults = await platform.request('GET', '/elements/api-v2/elements/hubspot/transformations');
    expect(defaults.json.contacts).toMatchObject({ vendorName: 'contact', level: 'element' });
  });
});

describe('a common resource at organization, account and instance level', () => {
  const BASE = '/elements/api-v2';
  const fieldLevels = (body: { fields: { path: string; level: string }[] }) => body.fields.map((field) => `${field.path}:${field.level}`);
  let customer: number;
  let user: string;
  let own: { id: number; token: string };
  let orgInstance: { id: number; token: string };

  beforeAll(async () => {
    customer = (await platform.request('POST', `${BASE}/accounts`, { json: { name: 'Layered Customer', externalId: 'layers@customer.example' } })).json.id;
    const made = await platform.request('POST', `${BASE}/accounts/${customer}/users`, { json: { email: 'layers@customer.example', firstName: 'Lay', lastName: 'Ered' } });
    expect(made.status, made.text).toBe(200);
    user = `User ${made.json.secret}, Organization ${platform.local.credentials.organizationSecret}`;
    // Open Connectors' inheritance: the organization maps the id, the account adds the name, the instance the title.
    expect((await platform.request('POST', `${BASE}/organizations/objects/layered/definitions`, { json: { fields: [{ path: 'key', type: 'string' }] } })).status).toBe(200);
    const orgLevel = await platform.request('POST', `${BASE}/organizations/elements/hubspot-loopback/transformations/layered`, { json: { vendorName: 'contacts', fields: [{ path: 'key', vendorPath: 'id' }] } });
    expect(orgLevel.status, orgLevel.text).toBe(200);
    expect((await platform.request('POST', `${BASE}/accounts/${customer}/objects/layered/definitions`, { json: { fields: [{ path: 'name', type: 'string' }] } })).status).toBe(200);
    const accountLevel = await platform.request('POST', `${BASE}/accounts/${customer}/elements/hubspot-loopback/transformations/layered`, {
      json: { vendorName: 'contacts', fields: [{ path: 'name', vendorPath: 'lastName' }], configuration: [{ type: 'inherit', properties: { fromVendor: true, toVendor: true } }] },
    });
    expect(accountLevel.status, accountLevel.text).toBe(200);
    expect(accountLevel.json).toMatchObject({ objectName: 'layered', level: 'account' });
    expect(fieldLevels(accountLevel.json)).toEqual(['key:organization', 'name:account']);
    own = await connect('hubspot-loopback', 'Account user\'s', {}, user);
    orgInstance = await connect('hubspot-loopback', 'Default account\'s');
  });

  it('lets an account user read its account\'s level and map its own instance over it', async () => {
    const read = await platform.request('GET', `${BASE}/accounts/elements/hubspot-loopback/transformations/layered`, { auth: user });
    expect(read.status, read.text).toBe(200);
    expect(fieldLevels(read.json)).toEqual(['key:organization', 'name:account']);
    expect(Object.keys((await platform.request('GET', `${BASE}/accounts/objects/definitions`, { auth: user })).json)).toEqual(['layered']);
    const instanceLevel = await platform.request('POST', `${BASE}/instances/${own.id}/transformations/layered`, {
      auth: user,
      json: { vendorName: 'contacts', fields: [{ path: 'job', vendorPath: 'title' }], configuration: [{ type: 'inherit', properties: { fromVendor: true, toVendor: true } }] },
    });
    expect(instanceLevel.status, instanceLevel.text).toBe(200);
    expect(fieldLevels(instanceLevel.json)).toEqual(['key:organization', 'name:account', 'job:instance']);
    const record = await platform.request('GET', `${BASE}/hubs/crm/layered/101`, { auth: `${user}, Element ${own.token}` });
    expect(record.json).toEqual({ key: '101', name: 'Lovelace', job: 'Analyst' });
    // An instance of another account gets the organization's level only.
    const elsewhere = await platform.request('GET', `${BASE}/layered/101`, { headers: withElement(orgInstance.token) });
    expect(elsewhere.json).toEqual({ key: '101' });
  });

  it('takes Open Connectors\' paths without an instance id, naming the instance with the Element token', async () => {
    const auth = `${user}, Element ${own.token}`;
    expect((await platform.request('POST', `${BASE}/instances/objects/notes/definitions`, { auth, json: { fields: [{ path: 'mail', type: 'string' }] } })).status).toBe(200);
    const made = await platform.request('POST', `${BASE}/instances/transformations/notes`, { auth, json: { vendorName: 'contacts', fields: [{ path: 'mail', vendorPath: 'email' }] } });
    expect(made.status, made.text).toBe(200);
    expect(fieldLevels(made.json)).toEqual(['mail:instance']);
    expect(Object.keys((await platform.request('GET', `${BASE}/instances/docs`, { auth })).json.paths)).toContain('/notes');
    expect((await platform.request('GET', `${BASE}/notes/102`, { auth })).json).toEqual({ mail: 'grace@example.com' });
    expect((await platform.request('DELETE', `${BASE}/instances/transformations/notes`, { auth })).status).toBe(200);
    expect((await platform.request('DELETE', `${BASE}/instances/objects/notes/definitions`, { auth })).status).toBe(200);
  });

  it('keeps account users to their own: no writes at account level without its administrator role, no other account or instance', async () => {
    const write = await platform.request('POST', `${BASE}/accounts/objects/other/definitions`, { auth: user, json: { fields: [] } });
    expect(write.status).toBe(403);
    expect((await platform.request('GET', `${BASE}/accounts/1/objects/definitions`, { auth: user })).status).toBe(404);
    expect((await platform.request('GET', `${BASE}/instances/${orgInstance.id}/transformations`, { auth: user })).status).toBe(404);
    expect((await platform.request('POST', `${BASE}/organizations/objects/other/definitions`, { auth: user, json: { fields: [] } })).status).toBe(403);
    expect((await platform.request('GET', `${BASE}/objects/layered/metadata`, { auth: `${user}, Element ${orgInstance.token}` })).status).toBe(401);
  });
});
