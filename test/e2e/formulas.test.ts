// Formulas over HTTP through the local server, with loopback vendors: an
// event of a HubSpot instance, found by its real poller and delivered to the
// formulas' event sink by the real delivery, starts a formula
// that reads the contact as a canonical object, maps it in a script and
// creates it in Salesforce as a canonical object, every step readable with
// its input and output; a script that throws, one that never ends (stopped
// at its CPU limit), a retry that succeeds on the third try, a loop, an
// element request trigger, cancel, the 4xx of bad formulas and instances,
// and another organization that sees none of it.
import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redeliver } from '../../shared/connectors/events/delivery.js';
import { ManualClock } from '../support/clock.js';
import { loopbackCopy } from '../support/element-copy.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { sendJson, startVendor, type VendorServer } from '../support/vendor.js';

const BASE = '/elements/api-v2';
let platform: TestPlatform;
let hubspot: VendorServer;
let salesforce: VendorServer;
let flaky: VendorServer;
const salesforceCreated: Record<string, unknown>[] = [];
let flakyCalls = 0;
let hs: { id: number; token: string };
/** HubSpot's contacts as its list API answers them. */
const hubspotContacts = new Map<string, { id: string; properties: Record<string, string>; createdAt: string; updatedAt: string; archived: boolean }>();
let sf: { id: number; token: string };

beforeAll(async () => {
  platform = await startPlatform();
  hubspot = await startVendor((request, res) => {
    if (request.path === '/oauth/2026-03/token') return sendJson(res, 200, { access_token: 'hs-access', refresh_token: 'hs-refresh', expires_in: 1800, token_type: 'bearer' });
    if (request.headers.authorization !== 'Bearer hs-access') return sendJson(res, 401, { status: 'error', message: 'Authentication credentials not found.' });
    if (request.method === 'GET' && request.path === '/crm/v3/objects/contacts') return sendJson(res, 200, { results: [...hubspotContacts.values()] });
    const one = /^\/crm\/v3\/objects\/contacts\/(\w+)$/.exec(request.path);
    if (one && request.method === 'GET') {
      return sendJson(res, 200, {
        id: one[1],
        properties: { firstname: 'Ada', lastname: 'Lovelace', email: 'ada@example.com', jobtitle: 'Analyst', createdate: '2024-01-01T10:00:00.000Z', lastmodifieddate: '2024-01-02T10:00:00.000Z', hs_object_id: one[1] },
        createdAt: '2024-01-01T10:00:00.000Z',
        updatedAt: '2024-01-02T10:00:00.000Z',
        archived: false,
      });
    }
    if (request.method === 'POST' && request.path === '/crm/v3/objects/contacts') {
      const body = JSON.parse(request.body.toString()) as { properties: Record<string, string> };
      return sendJson(res, 201, { id: '555', properties: body.properties, createdAt: '2024-02-01T00:00:00.000Z', updatedAt: '2024-02-01T00:00:00.000Z', archived: false });
    }
    return sendJson(res, 404, { status: 'error', message: 'not here' });
  });
  salesforce = await startVendor((request, res) => {
    if (request.path === '/services/oauth2/token') {
      return sendJson(res, 200, { access_token: 'sf-access', refresh_token: 'sf-refresh', instance_url: salesforce.url, token_type: 'Bearer', issued_at: '1700000000000' });
    }
    if (request.headers.authorization !== 'Bearer sf-access') return sendJson(res, 401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    if (request.method === 'POST' && request.path === '/services/data/v62.0/sobjects/Contact') {
      salesforceCreated.push(JSON.parse(request.body.toString()) as Record<string, unknown>);
      return sendJson(res, 201, { id: `003${salesforceCreated.length}`, success: true, errors: [] });
    }
    return sendJson(res, 404, [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }]);
  });
  // Fails twice, then answers.
  flaky = await startVendor((_request, res) => {
    flakyCalls++;
    return flakyCalls % 3 === 0 ? sendJson(res, 200, { ok: true, call: flakyCalls }) : sendJson(res, 503, { error: 'try later' });
  });
  for (const [file, key, vendor] of [
    ['hubspot.json', 'hubspot-loopback', hubspot],
    ['salesforce.json', 'salesforce-loopback', salesforce],
  ] as const) {
    const created = await platform.request('POST', `${BASE}/elements`, { json: loopbackCopy(file, key, vendor.url) });
    expect(created.status, created.text).toBe(200);
  }
  hs = await connect('hubspot-loopback', 'source CRM', {
    'event.notification.enabled': 'true',
    'event.vendor.type': 'polling',
    'event.poller.refresh_interval': '15',
    'event.poller.configuration': {
      contacts: {
        url: '/hubs/crm/contacts',
        idField: 'id',
        rootKey: 'results',
        deletedField: 'archived',
        datesConfiguration: { updatedDateField: 'updatedAt', updatedDateFormat: "yyyy-MM-dd'T'HH:mm:ss.SSSX", createdDateField: 'createdAt', createdDateFormat: "yyyy-MM-dd'T'HH:mm:ss.SSSX" },
      },
    },
  });
  sf = await connect('salesforce-loopback', 'target CRM');
});

afterAll(async () => {
  await platform?.close();
  await Promise.all([hubspot?.close(), salesforce?.close(), flaky?.close()]);
});

/** An instance of a loopback element, connected with an OAuth code the stand-in accepts. */
async function connect(key: string, name: string, events: Record<string, unknown> = {}): Promise<{ id: number; token: string }> {
  const response = await platform.request('POST', `${BASE}/instances`, {
    json: {
      element: { key },
      name,
      providerData: { code: 'the-code', codeVerifier: 'v'.repeat(43) },
      configuration: { 'oauth.api.key': 'client', 'oauth.api.secret': 'client-secret', 'oauth.callback.url': 'http://localhost:4999/callback', ...events },
    },
  });
  expect(response.status, response.text).toBe(200);
  return response.json as { id: number; token: string };
}

async function createFormula(body: unknown): Promise<{ id: number; steps: { id: number; name: string }[] }> {
  const response = await platform.request('POST', `${BASE}/formulas`, { json: body });
  expect(response.status, response.text).toBe(200);
  return response.json;
}

async function createInstance(formulaId: number, configuration: Record<string, unknown> = {}): Promise<{ id: number }> {
  const response = await platform.request('POST', `${BASE}/formulas/${formulaId}/instances`, { json: { name: 'instance', configuration } });
  expect(response.status, response.text).toBe(200);
  return response.json;
}

interface ExecutionView {
  id: number;
  status: string;
  retryAttempt: number;
  error?: { step?: string; message: string };
  stepExecutions: { stepName: string; status: string; attempt: number; input: any; output: any; error?: string }[]; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** The execution once it has finished (the executor runs in the background). */
async function finished(id: number): Promise<ExecutionView> {
  for (let i = 0; i < 400; i++) {
    const response = await platform.request('GET', `${BASE}/formulas/instances/executions/${id}`);
    expect(response.status, response.text).toBe(200);
    if (['success', 'failed', 'cancelled'].includes(response.json.status)) return response.json;
    await new Promise((done) => setTimeout(done, 25));
  }
  throw new Error(`execution ${id} did not finish`);
}

async function runManually(formula: unknown, args: unknown = {}, configuration: Record<string, unknown> = {}): Promise<ExecutionView> {
  const { id } = await createFormula(formula);
  const instance = await createInstance(id, configuration);
  const started = await platform.request('POST', `${BASE}/formulas/instances/${instance.id}/executions`, { json: args });
  expect(started.status, started.text).toBe(200);
  return finished(started.json.id);
}

const manual = { type: 'manual', onSuccess: ['first'] };

describe('a formula from one vendor to another through canonical objects', () => {
  it('turns a polled HubSpot contact event into a Salesforce contact, every step readable', async () => {
    const formula = await createFormula({
      name: 'copy new contacts',
      configuration: [
        { key: 'source', name: 'Source CRM', type: 'elementInstance' },
        { key: 'target', name: 'Target CRM', type: 'elementInstance' },
        { key: 'department', name: 'Department', type: 'value' },
      ],
      triggers: [{ type: 'event', properties: { elementInstanceId: '${config.source}' }, onSuccess: ['only-created'] }],
      steps: [
        { name: 'only-created', type: 'filter', properties: { body: "done(trigger.event.eventType === 'CREATED' && trigger.event.objectType === 'contacts');" }, onSuccess: ['get-contact'] },
        { name: 'get-contact', type: 'elementRequest', properties: { elementInstanceId: '${config.source}', method: 'GET', api: '/hubs/crm/contacts/{id}', path: { id: '${trigger.event.objectId}' } }, onSuccess: ['map'] },
        {
          name: 'map',
          type: 'script',
          properties: { body: 'const c = steps["get-contact"].response.body; done({ contact: { firstName: c.firstName, lastName: c.lastName, email: c.email, title: c.title + " (" + config.department + ")" } });' },
          onSuccess: ['create-contact'],
        },
        { name: 'create-contact', type: 'elementRequest', properties: { elementInstanceId: '${config.target}', method: 'POST', api: '/hubs/crm/contacts', body: '${steps.map.contact}' } },
      ],
    });
    const instance = await createInstance(formula.id, { source: hs.id, target: sf.id, department: 'Research' });

    // The poller's clock is the test's: the first poll records where HubSpot stands, the next one finds two changes.
    const clock = new ManualClock(Date.now());
    platform.local.runtime.clock = clock;
    await platform.local.events.tick();
    const iso = (ms: number) => new Date(ms).toISOString();
    const contact = (id: string, createdAt: number, updatedAt: number) =>
      hubspotContacts.set(id, { id, properties: { firstname: 'Ada', lastname: 'Lovelace', email: 'ada@example.com' }, createdAt: iso(createdAt), updatedAt: iso(updatedAt), archived: false });
    contact('101', clock.now() + 60_000, clock.now() + 60_000);
    contact('102', clock.now() - 86_400_000, clock.now() + 60_000);
    clock.advance(16 * 60_000);
    await platform.local.events.tick();
    await platform.local.events.tick();
    const events = await platform.request('GET', `${BASE}/instances/${hs.id}/events`);
    expect(events.status, events.text).toBe(200);
    expect(events.json).toHaveLength(1);
    expect(events.json[0]).toMatchObject({ source: 'polling' });
    // Delivered to the formulas again (events are at least once): no new execution.
    expect(await redeliver(platform.local.runtime, 'default', events.json[0].id, 'sink:formulas')).toBeDefined();
    await platform.local.events.tick();

    const list = await platform.request('GET', `${BASE}/formulas/instances/${instance.id}/executions`);
    expect(list.status).toBe(200);
    expect(list.json).toHaveLength(2);
    // Newest first: the update's execution, then the creation's.
    const [created, updated] = await Promise.all((list.json as { id: number }[]).map((execution) => finished(execution.id)).reverse());
    expect(created!.status).toBe('success');
    expect(created!.stepExecutions.map((step) => [step.stepName, step.status])).toEqual([
      ['only-created', 'success'],
      ['get-contact', 'success'],
      ['map', 'success'],
      ['create-contact', 'success'],
    ]);
    const [, get, map, create] = created!.stepExecutions;
    expect(get!.input).toMatchObject({ method: 'GET', elementInstanceId: hs.id, path: { id: '101' } });
    expect(get!.output.response).toMatchObject({ code: 200, body: { id: '101', firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' } });
    expect(map!.output.contact).toEqual({ firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', title: 'Analyst (Research)' });
    expect(create!.input.body).toEqual(map!.output.contact);
    expect(create!.output.response.code).toBe(201);
    // Salesforce got its own field names from the canonical contact.
    expect(salesforceCreated).toEqual([expect.objectContaining({ FirstName: 'Ada', LastName: 'Lovelace', Email: 'ada@example.com', Title: 'Analyst (Research)' })]);
    // The update event stopped at the filter: a success that ran one step.
    expect(updated!.status).toBe('success');
    expect(updated!.stepExecutions.map((step) => [step.stepName, step.status])).toEqual([['only-created', 'failed']]);
  });

  it('starts a formula on a resource call through an instance (element request trigger)', async () => {
    const formula = await createFormula({
      name: 'on contact created',
      configuration: [{ key: 'crm', type: 'elementInstance' }],
      triggers: [{ type: 'elementRequest', properties: { elementInstanceId: '${crm}', method: 'POST', api: '/hubs/crm/contacts' }, onSuccess: ['note'] }],
      steps: [{ name: 'note', type: 'script', properties: { body: 'done({ created: trigger.response.body.id, method: trigger.request.method });' } }],
    });
    const instance = await createInstance(formula.id, { crm: hs.id });
    const call = await platform.request('POST', `${BASE}/hubs/crm/contacts`, { headers: { authorization: `${platform.auth}, Element ${hs.token}` }, json: { firstName: 'Grace', lastName: 'Hopper' } });
    expect(call.status, call.text).toBe(201);
    let executions: { id: number }[] = [];
    for (let i = 0; i < 200 && executions.length === 0; i++) {
      executions = (await platform.request('GET', `${BASE}/formulas/instances/${instance.id}/executions`)).json;
      if (executions.length === 0) await new Promise((done) => setTimeout(done, 25));
    }
    const execution = await finished(executions[0]!.id);
    expect(execution.status).toBe('success');
    expect(execution.stepExecutions[0]!.output).toMatchObject({ created: '555', method: 'POST' });
  });
});

describe('scripts, loops and retries', () => {
  it('fails the execution on a script that throws, with the error on its step', async () => {
    const execution = await runManually({ name: 'throws', triggers: [manual], steps: [{ name: 'first', type: 'script', properties: { body: 'const x = 1;\nthrow new Error("no customer " + x);' } }] });
    expect(execution.status).toBe('failed');
    expect(execution.error).toEqual({ step: 'first', message: expect.stringContaining('no customer 1') });
    expect(execution.stepExecutions[0]).toMatchObject({ stepName: 'first', status: 'failed', error: expect.stringContaining('Error: no customer 1') });
  });

  it('stops a script that never ends at its CPU limit', async () => {
    const execution = await runManually({ name: 'spins', triggers: [manual], steps: [{ name: 'first', type: 'script', properties: { body: 'while (true) {}' } }] });
    expect(execution.status).toBe('failed');
    expect(execution.error?.message).toBe('Javascript runtime exceeded limit of 1000ms');
  });

  it('retries the whole execution after a failure and succeeds on the third try', async () => {
    flakyCalls = 0;
    const execution = await runManually({
      name: 'flaky',
      triggers: [manual],
      steps: [
        { name: 'first', type: 'httpRequest', properties: { url: `${flaky.url}/status`, method: 'GET' }, onFailure: ['again'] },
        { name: 'again', type: 'retryFormulaExecution', properties: { retryAttempts: 3, retryDelay: 10 } },
      ],
    });
    expect(execution.status).toBe('success');
    expect(execution.retryAttempt).toBe(2);
    expect(flakyCalls).toBe(3);
    expect(execution.stepExecutions.map((step) => [step.stepName, step.attempt, step.status])).toEqual([
      ['first', 0, 'failed'],
      ['again', 0, 'success'],
      ['first', 1, 'failed'],
      ['again', 1, 'success'],
      ['first', 2, 'success'],
    ]);
    expect(execution.stepExecutions.map((step) => step.output.delayMs).filter(Boolean)).toEqual([10, 20]);
    expect(execution.stepExecutions[4]!.output.response).toMatchObject({ code: 200, body: { ok: true, call: 3 } });
  });

  it('loops over a list, runs a sub-formula and reads trigger arguments', async () => {
    const sub = await createFormula({ name: 'double', triggers: [{ type: 'manual', onSuccess: ['twice'] }], steps: [{ name: 'twice', type: 'script', properties: { body: 'return { value: trigger.args.n * 2 };' } }] });
    const execution = await runManually(
      {
        name: 'sum',
        triggers: [manual],
        steps: [
          { name: 'first', type: 'loop', properties: { list: '${trigger.args.numbers}' }, onSuccess: ['add'], onFailure: ['total'] },
          { name: 'add', type: 'script', properties: { body: 'return { sum: (steps.add ? steps.add.sum : 0) + steps.first.entry };' } },
          { name: 'total', type: 'formula', properties: { formulaId: sub.id, args: { n: '${steps.add.sum}' } } },
        ],
      },
      { numbers: [1, 2, 3] },
    );
    expect(execution.status, JSON.stringify(execution.error)).toBe('success');
    expect(execution.stepExecutions.map((step) => step.stepName)).toEqual(['first', 'add', 'first', 'add', 'first', 'add', 'first', 'total']);
    expect(execution.stepExecutions[5]!.output.sum).toBe(6);
    expect(execution.stepExecutions[7]!.output).toMatchObject({ status: 'success', twice: { value: 12 } });
  });

  it('cancels an execution waiting for its retry', async () => {
    const { id } = await createFormula({
      name: 'slow retry',
      triggers: [manual],
      steps: [
        { name: 'first', type: 'script', properties: { body: 'throw new Error("down")' }, onFailure: ['again'] },
        { name: 'again', type: 'retryFormulaExecution', properties: { retryAttempts: 2, retryDelay: 600000 } },
      ],
    });
    const instance = await createInstance(id);
    const started = (await platform.request('POST', `${BASE}/formulas/instances/${instance.id}/executions`)).json as { id: number };
    let status = '';
    for (let i = 0; i < 200 && status !== 'waiting'; i++) {
      status = (await platform.request('GET', `${BASE}/formulas/instances/executions/${started.id}`)).json.status;
      if (status !== 'waiting') await new Promise((done) => setTimeout(done, 25));
    }
    expect(status).toBe('waiting');
    const cancel = await platform.request('PUT', `${BASE}/formulas/instances/executions/${started.id}`, { json: { status: 'cancelled' } });
    expect(cancel.status, cancel.text).toBe(200);
    expect((await finished(started.id)).status).toBe('cancelled');
    const again = await platform.request('PUT', `${BASE}/formulas/instances/executions/${started.id}`, { json: { status: 'cancelled' } });
    expect(again.status).toBe(409);
  });
});

describe('the formulas API', () => {
  it('edits steps as sub-resources and refuses formulas whose parts do not fit, naming each problem', async () => {
    const formula = await createFormula({ name: 'parts', triggers: [manual], steps: [{ name: 'first', type: 'script', properties: { body: 'done(1)' } }] });
    const added = await platform.request('POST', `${BASE}/formulas/${formula.id}/steps`, { json: { name: 'second', type: 'filter', properties: { body: 'done(true)' } } });
    expect(added.status, added.text).toBe(200);
    expect(added.json).toMatchObject({ id: expect.any(Number), name: 'second' });
    const steps = await platform.request('GET', `${BASE}/formulas/${formula.id}/steps`);
    expect((steps.json as { name: string }[]).map((step) => step.name)).toEqual(['first', 'second']);
    const removed = await platform.request('DELETE', `${BASE}/formulas/${formula.id}/steps/${added.json.id}`);
    expect(removed.status).toBe(200);

    const bad = await platform.request('POST', `${BASE}/formulas`, {
      json: {
        name: 'bad',
        triggers: [{ type: 'scheduled', properties: { cron: '0 * * * * ?' }, onSuccess: ['missing'] }],
        steps: [
          { name: 'a', type: 'elementRequest', properties: { elementInstanceId: '${nothing}', method: 'GET', api: '/hubs/crm/contacts' } },
          { name: 'a', type: 'script', properties: {} },
        ],
      },
    });
    expect(bad.status).toBe(422);
    expect((bad.json.fields as { path: string }[]).map((field) => field.path).sort()).toEqual(['steps.1.name', 'steps.1.properties.body', 'triggers.0.onSuccess.0', 'triggers.0.properties.cron'].sort());
    const unknownType = await platform.request('POST', `${BASE}/formulas`, { json: { name: 'x', steps: [{ name: 'a', type: 'teleport' }] } });
    expect(unknownType.status).toBe(422);
    expect((await platform.request('POST', `${BASE}/formulas`, { body: '{', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    const quarterly = await platform.request('POST', `${BASE}/formulas`, { json: { name: 'every 15', triggers: [{ type: 'scheduled', properties: { cron: '0 0/15 * * * ?' }, onSuccess: ['a'] }], steps: [{ name: 'a', type: 'script', properties: { body: 'done(1)' } }] } });
    expect(quarterly.status, quarterly.text).toBe(200);
    const scheduled = await createInstance(quarterly.json.id);
    expect((await platform.request('GET', `${BASE}/formulas/${quarterly.json.id}/instances/${scheduled.id}`)).json.nextRunDate).toMatch(/:(00|15|30|45):00\.000Z$/);
  });

  it('checks a formula instance\'s variables and keeps formulas to their organization', async () => {
    const formula = await createFormula({ name: 'vars', configuration: [{ key: 'crm', type: 'elementInstance' }, { key: 'limit', type: 'value', required: false }], triggers: [manual], steps: [{ name: 'first', type: 'script', properties: { body: 'done(config)' } }] });
    const missing = await platform.request('POST', `${BASE}/formulas/${formula.id}/instances`, { json: { name: 'i', configuration: { other: 1 } } });
    expect(missing.status).toBe(422);
    expect((missing.json.fields as { path: string }[]).map((field) => field.path).sort()).toEqual(['configuration.crm', 'configuration.other']);
    const notMine = await platform.request('POST', `${BASE}/formulas/${formula.id}/instances`, { json: { name: 'i', configuration: { crm: 999999 } } });
    expect(notMine.status).toBe(422);

    const other = await platform.addOrganization('formulas-other');
    expect((await platform.request('GET', `${BASE}/formulas/${formula.id}`, { auth: other })).status).toBe(404);
    expect((await platform.request('GET', `${BASE}/formulas`, { auth: other })).json).toEqual([]);
    // Another organization cannot bind this organization's connector instance either.
    const theirs = (await platform.request('POST', `${BASE}/formulas`, { auth: other, json: { name: 'steal', configuration: [{ key: 'crm', type: 'elementInstance' }], triggers: [manual], steps: [{ name: 'first', type: 'script', properties: { body: 'done(1)' } }] } })).json as { id: number };
    expect((await platform.request('POST', `${BASE}/formulas/${theirs.id}/instances`, { auth: other, json: { name: 'i', configuration: { crm: hs.id } } })).status).toBe(422);
    const instance = await createInstance(formula.id, { crm: hs.id });
    expect((await platform.request('GET', `${BASE}/formulas/instances/${instance.id}/executions`, { auth: other })).status).toBe(404);
    expect((await platform.request('POST', `${BASE}/formulas/instances/${instance.id}/executions`, { auth: other })).status).toBe(404);
    expect((await platform.request('DELETE', `${BASE}/formulas/${formula.id}`)).status).toBe(409);
  });
});

describe('a stream step between two document stores', () => {
  it("moves a file from Box to Google Drive as a multipart upload, bytes intact, without putting them in the context", async () => {
    const file = randomBytes(3 * 1024 * 1024);
    const received: { name: string; type: string; bytes: Buffer; fields: Record<string, string> }[] = [];
    const token = (res: ServerResponse) => sendJson(res, 200, { access_token: 'doc-access', refresh_token: 'doc-refresh', expires_in: 3600, token_type: 'bearer' });
    // Box's download endpoint answers the file with its name (developer.box.com: GET /files/{id}/content).
    const box = await startVendor((request, res) => {
      if (request.path.endsWith('/token')) return token(res);
      if (request.method !== 'GET' || request.path !== '/2.0/files/77/content') return sendJson(res, 404, { type: 'error', status: 404, code: 'not_found' });
      res.writeHead(200, { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="report.pdf"' });
      res.end(file);
    });
    // Google Drive's multipart upload takes the file as a form part.
    const drive = await startVendor(async (request, res) => {
      if (request.path.endsWith('/token')) return token(res);
      if (request.method !== 'POST' || request.path !== '/drive/v3/files') return sendJson(res, 404, { error: { code: 404 } });
      const form = await new Request('http://drive', { method: 'POST', headers: { 'content-type': request.headers['content-type']! }, body: request.body }).formData();
      const part = form.get('file') as File;
      received.push({ name: part.name, type: part.type, bytes: Buffer.from(await part.arrayBuffer()), fields: { parents: String(form.get('parents')) } });
      return sendJson(res, 200, { kind: 'drive#file', id: 'drive-1', name: part.name, mimeType: part.type });
    });
    try {
      for (const [json, key, vendor] of [['box.json', 'box-loopback', box], ['google-drive.json', 'google-drive-loopback', drive]] as const) {
        const created = await platform.request('POST', `${BASE}/elements`, { json: loopbackCopy(json, key, vendor.url) });
        expect(created.status, created.text).toBe(200);
      }
      const source = await connect('box-loopback', 'Box');
      const target = await connect('google-drive-loopback', 'Drive');
      const execution = await runManually(
        {
          name: 'copy a report',
          configuration: [
            { key: 'box', type: 'elementInstance' },
            { key: 'drive', type: 'elementInstance' },
          ],
          triggers: [{ type: 'manual', onSuccess: ['copy'] }],
          steps: [
            {
              name: 'copy',
              type: 'elementRequestStream',
              properties: {
                downloadElementInstanceId: '${config.box}',
                downloadMethod: 'GET',
                downloadApi: '/hubs/documents/files/{id}/content',
                downloadPath: { id: '${trigger.args.fileId}' },
                uploadElementInstanceId: '${config.drive}',
                uploadMethod: 'POST',
                uploadApi: '/hubs/documents/files',
                uploadFormDataName: 'file',
                uploadFormData: { parents: 'folder-9' },
              },
            },
          ],
        },
        { fileId: '77' },
        { box: source.id, drive: target.id },
      );
      expect(execution.status, JSON.stringify(execution.error)).toBe('success');
      expect(received).toHaveLength(1);
      expect(received[0]!.name).toBe('report.pdf');
      expect(received[0]!.type).toBe('application/pdf');
      expect(received[0]!.fields).toEqual({ parents: 'folder-9' });
      expect(createHash('sha256').update(received[0]!.bytes).digest('hex')).toBe(createHash('sha256').update(file).digest('hex'));
      const [copy] = execution.stepExecutions;
      expect(copy!.output).toMatchObject({
        bytes: file.length,
        download: { request: { method: 'GET', api: '/hubs/documents/files/77/content' }, response: { code: 200 } },
        upload: { request: { method: 'POST', api: '/hubs/documents/files' }, response: { code: 200, body: { id: 'drive-1', name: 'report.pdf' } } },
      });
      // The context holds what happened, not the file.
      expect(JSON.stringify(copy!.output).length).toBeLessThan(4096);
    } finally {
      await Promise.all([box.close(), drive.close()]);
    }
  });
});
