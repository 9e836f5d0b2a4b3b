// Trace (debug) sessions on the seed 002 proxies through the management API:
// a session captures the calls its filters select, up to its count, with every
// step in order (SpikeArrest, VerifyAccessToken, the target call), their
// variables and the four message points, in Apigee's debug data shape; the
// token, the consumer key and secret, Authorization headers, private.*
// variables and encrypted KVM values never appear in the data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyticsRecorder } from '../../shared/analytics/recorder.js';
import { startBackend, type Backend } from '../support/backend.js';
import { FORM, provisionApp, rawBasic, type ProvisionedApp } from '../support/consumers.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { deployProxy, SEED_002_TOKEN_CONDITION as SEED_CONDITION } from '../support/proxies.js';
import { debugTransactionsPrefix, orgPartition } from '../../shared/store/keys.js';

/** Response bodies as the tests read them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let platform: TestPlatform;
let iflow: Backend;
let app: ProvisionedApp;
let token: string;

const ORG = '/v1/organizations/default';
const API = 'api_connectivity_test_v1';
const sessions = (api: string, rev = 1) => `${ORG}/environments/prod/apis/${api}/revisions/${rev}/debugsessions`;
const KVM_SECRET = 'kvm-secret-value-7f3a9c';

beforeAll(async () => {
  platform = await startPlatform();
  iflow = await startBackend((request, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ hello: 'from IFlow', sawAuthorization: Boolean(request.headers.authorization) }));
  });
  app = await provisionApp(platform, { product: 'iflow-product', scopes: ['send'], productFields: { proxies: [API, 'iflow_token'] } });
  await deployProxy(platform, {
    name: API,
    policies: [
      { name: 'spikeArrest', type: 'SpikeArrest', config: { rate: '1000ps' } },
      { name: 'verifyToken', type: 'OAuthV2', config: { operation: 'VerifyAccessToken' } },
      { name: 'onlyPost', type: 'AssignMessage', config: { set: { headers: [{ name: 'x-post', value: 'yes' }] } } },
    ],
    proxyEndpoints: [
      {
        basePath: '/cpi/api_connectivity_test',
        preFlow: { request: [{ name: 'spikeArrest' }, { name: 'verifyToken' }, { name: 'onlyPost', condition: 'request.verb = "POST"' }], response: [] },
      },
    ],
    targetEndpoints: [{ connection: { url: `${iflow.url}/http/v1/test/hello` } }],
  });
  await deployProxy(platform, {
    name: 'iflow_token',
    policies: [{ name: 'generateToken', type: 'OAuthV2', config: { operation: 'GenerateAccessToken', grantType: 'request.queryparam.grant_type' } }],
    proxyEndpoints: [{ basePath: '/iflow-token', flows: [{ name: 'oAuthToken', condition: SEED_CONDITION, request: [{ name: 'generateToken' }], response: [] }] }],
  });
  // A proxy that reads an encrypted KVM value into a private variable and copies it into a header.
  expect((await platform.request('POST', `${ORG}/environments/prod/keyvaluemaps`, { json: { name: 'secrets', encrypted: true, entry: [{ name: 'k', value: KVM_SECRET }] } })).status).toBe(201);
  await deployProxy(platform, {
    name: 'kvm-reader',
    policies: [
      { name: 'read', type: 'KeyValueMapOperations', config: { mapIdentifier: 'secrets', scope: 'environment', operations: [{ op: 'get', key: { parameters: [{ value: 'k' }] }, assignTo: 'private.k' }] } },
      { name: 'copy', type: 'AssignMessage', config: { set: { headers: [{ name: 'x-copied', value: '{private.k}' }] } } },
    ],
    proxyEndpoints: [{ basePath: '/kvm-reader', preFlow: { request: [{ name: 'read' }, { name: 'copy' }], response: [] } }],
    targetEndpoints: [{ connection: { url: iflow.url } }],
  });
});

afterAll(async () => {
  await platform?.close();
  await iflow?.close();
});

const flush = () => analyticsRecorder(platform.local.runtime).flush();

async function transactions(api: string, session: string): Promise<Json[]> {
  await flush();
  const ids = await platform.request('GET', `${sessions(api)}/${session}/data`);
  expect(ids.status, ids.text).toBe(200);
  const out = [];
  for (const id of ids.json as string[]) {
    const one = await platform.request('GET', `${sessions(api)}/${session}/data/${id}`);
    expect(one.status).toBe(200);
    out.push(one.json);
  }
  return out;
}

const props = (result: Json): Record<string, string> => Object.fromEntries((result.properties?.property ?? []).map((p: Json) => [p.name, p.value]));
const executions = (transaction: Json) =>
  transaction.point.filter((point: Json) => point.id === 'Execution').map((point: Json) => ({ ...props(point.results[0]), access: point.results.find((r: Json) => r.ActionResult === 'VariableAccess')?.accessList ?? [] }));

describe('trace sessions on the seed 002 proxies', () => {
  it('captures the token request with the client secret and the issued token masked', async () => {
    const started = await platform.request('POST', `${sessions('iflow_token')}?session=token-session&timeout=120`);
    expect(started.status, started.text).toBe(201);
    expect(started.json).toMatchObject({ name: 'token-session', count: 20 });
    const issued = await platform.proxy('POST', '/iflow-token/OAuthToken?grant_type=client_credentials', { auth: rawBasic(app.consumerKey, app.consumerSecret), headers: FORM, body: '' });
    expect(issued.status).toBe(200);
    token = issued.json.access_token;
    const [captured] = await transactions('iflow_token', 'token-session');
    const text = JSON.stringify(captured);
    expect(text).not.toContain(token);
    expect(text).not.toContain(app.consumerSecret);
    expect(text).not.toContain(app.consumerKey);
    expect(text).toContain('*****');
    expect(executions(captured).map((step: Json) => [step.type, step['stepDefinition-name'], step.action])).toEqual([['OAuthV2', 'generateToken', 'EXECUTED']]);
    const condition = captured.point.find((point: Json) => point.id === 'Condition');
    expect(props(condition.results[0])).toMatchObject({ ExpressionResult: 'true', Flow: 'oAuthToken' });
    // Kept 24 hours from capture (DynamoDB TTL on expiresAt).
    const { items } = await platform.local.runtime.table.query(orgPartition('default'), { prefix: debugTransactionsPrefix('prod', 'iflow_token', 1, 'token-session') });
    expect(items).toHaveLength(1);
    const capturedAt = Number(items[0]!.sk.split('#').pop()!.split('-')[0]);
    expect(items[0]!.expiresAt).toBe(Math.ceil(capturedAt / 1000) + 24 * 3600);
  });

  it('shows SpikeArrest, VerifyAccessToken and the target call with their variables, and never the token', async () => {
    const started = await platform.request('POST', `${sessions(API)}?session=api-session&timeout=120`);
    expect(started.status, started.text).toBe(201);
    const listed = await platform.request('GET', sessions(API));
    expect(listed.json).toContain('api-session');
    const ok = await platform.proxy('GET', '/cpi/api_connectivity_test?client_id=' + app.consumerKey, { auth: `Bearer ${token}` });
    expect(ok.status, ok.text).toBe(200);
    const refused = await platform.proxy('GET', '/cpi/api_connectivity_test', { auth: 'Bearer not-a-valid-token' });
    expect(refused.status).toBe(401);

    const [call, fault] = await transactions(API, 'api-session');
    expect(call.completed).toBe(true);
    const steps = executions(call);
    expect(steps.map((step: Json) => [step.type, step['stepDefinition-name'], step.action])).toEqual([
      ['SpikeArrest', 'spikeArrest', 'EXECUTED'],
      ['OAuthV2', 'verifyToken', 'EXECUTED'],
      ['AssignMessage', 'onlyPost', 'SKIPPED'],
    ]);
    expect(steps[0].result).toBe('true');
    expect(Number(steps[0].elapsedTime)).toBeGreaterThanOrEqual(0);
    const sets = (step: Json) => Object.fromEntries(step.access.filter((a: Json) => a.Set).map((a: Json) => [a.Set.name, a.Set.value]));
    expect(sets(steps[0])).toMatchObject({ 'ratelimit.spikeArrest.failed': 'false' });
    expect(sets(steps[1])).toMatchObject({ 'developer.app.name': app.appName, 'developer.email': app.email, 'apiproduct.name': 'iflow-product', client_id: '*****', access_token: '*****' });
    const skip = call.point.find((point: Json) => point.id === 'Condition' && props(point.results[0])['stepDefinition-name'] === 'onlyPost');
    expect(props(skip.results[0])).toMatchObject({ ExpressionResult: 'false', Expression: 'request.verb = "POST"' });

    const states = call.point.filter((point: Json) => point.id === 'StateChange').map((point: Json) => props(point.results[0]).To);
    expect(states).toEqual(['REQ_HEADERS_PARSED', 'REQ_SENT', 'RESP_START', 'RESP_SENT', 'END']);
    const message = (state: string) => call.point.find((point: Json) => point.id === 'StateChange' && props(point.results[0]).To === state).results[1];
    expect(message('REQ_HEADERS_PARSED')).toMatchObject({ ActionResult: 'RequestMessage', verb: 'GET' });
    expect(message('REQ_HEADERS_PARSED').uRI).toBe('/cpi/api_connectivity_test?client_id=*****');
    expect(message('REQ_HEADERS_PARSED').headers).toContainEqual({ name: 'authorization', value: '*****' });
    expect(message('REQ_SENT')).toMatchObject({ ActionResult: 'RequestMessage', verb: 'GET' });
    expect(message('REQ_SENT').uRI).toContain(`${iflow.url}/http/v1/test/hello`);
    expect(message('RESP_START')).toMatchObject({ ActionResult: 'ResponseMessage', statusCode: '200' });
    expect(message('RESP_SENT').content).toContain('from IFlow');
    const flows = call.point.filter((point: Json) => point.id === 'FlowInfo').map((point: Json) => {
      const info = props(point.results[0]);
      return `${info.ProxyEndpoint ? 'proxy' : 'target'} ${info.flow} ${info.phase}`;
    });
    expect(flows).toEqual([
      'proxy PreFlow request',
      'proxy PostFlow request',
      'target PreFlow request',
      'target PostFlow request',
      'target PreFlow response',
      'target PostFlow response',
      'proxy PreFlow response',
      'proxy PostFlow response',
    ]);

    const text = JSON.stringify([call, fault]);
    expect(text).not.toContain(token);
    expect(text).not.toContain(app.consumerKey);
    expect(text).not.toContain(app.consumerSecret);
    expect(text).not.toContain('not-a-valid-token');
    expect(text).not.toMatch(/Bearer [A-Za-z0-9._~+/-]{12,}/);

    const failing = executions(fault);
    expect(failing.map((step: Json) => [step['stepDefinition-name'], step.result])).toEqual([
      ['spikeArrest', 'true'],
      ['verifyToken', 'false'],
    ]);
    const error = fault.point.find((point: Json) => point.id === 'Error');
    expect(error.results[0]).toMatchObject({ ActionResult: 'ErrorMessage', statusCode: '401' });
    expect(props(error.results[1])).toMatchObject({ policy: 'verifyToken' });
    expect(error.results[0].content).toContain(props(error.results[1])['error.code']);
  });

  it('masks values of encrypted key value maps wherever they go', async () => {
    expect((await platform.request('POST', `${sessions('kvm-reader')}?session=kvm`)).status).toBe(201);
    expect((await platform.proxy('GET', '/kvm-reader/x')).status).toBe(200);
    expect((await platform.proxy('GET', '/kvm-reader/x')).status).toBe(200);
    const captured = await transactions('kvm-reader', 'kvm');
    expect(captured).toHaveLength(2);
    const text = JSON.stringify(captured);
    expect(text).not.toContain(KVM_SECRET);
    const sent = captured[1].point.find((point: Json) => point.id === 'StateChange' && props(point.results[0]).To === 'REQ_SENT').results[1];
    expect(sent.headers).toContainEqual({ name: 'x-copied', value: '*****' });
  });

  it('captures only what the filters select, and at most count calls', async () => {
    expect((await platform.request('POST', `${sessions(API)}?session=filtered&header_x-trace=yes&qparam_who=me`)).status).toBe(201);
    expect((await platform.request('POST', `${sessions(API)}`, { json: { name: 'counted', count: 2, filter: 'request.header.x-count = "1"' } })).status).toBe(201);
    const send = (headers: Record<string, string>, query = '') => platform.proxy('GET', `/cpi/api_connectivity_test${query}`, { auth: `Bearer ${token}`, headers });
    await send({ 'x-trace': 'yes' }, '?who=me');
    await send({ 'x-trace': 'no' }, '?who=me');
    await send({ 'x-trace': 'yes' });
    for (let i = 0; i < 4; i++) await send({ 'x-count': '1' });
    expect(await transactions(API, 'filtered')).toHaveLength(1);
    expect(await transactions(API, 'counted')).toHaveLength(2);
    const session = await platform.request('GET', `${sessions(API)}/counted`);
    expect(session.json).toMatchObject({ name: 'counted', count: 2, captured: 2, filter: 'request.header.x-count = "1"' });
  });

  it('lets readonly users read masked data but not start sessions; refuses bad sessions', async () => {
    const readonly = await platform.addUser('default', 'readonly');
    expect((await platform.request('GET', `${sessions(API)}/api-session/data`, { auth: readonly })).status).toBe(200);
    expect((await platform.request('POST', `${sessions(API)}?session=nope`, { auth: readonly })).status).toBe(403);
    expect((await platform.request('POST', `${sessions(API, 9)}?session=x`)).status).toBe(400);
    expect((await platform.request('POST', `${sessions(API)}?session=x&timeout=6000`)).status).toBe(400);
    expect((await platform.request('POST', `${sessions(API)}`, { json: { filter: 'request.verb = ' } })).json.error.code).toBe('invalid_filter');
    expect((await platform.request('POST', `${sessions(API)}?session=api-session`)).status).toBe(409);
    const other = await platform.addOrganization('trace-other');
    expect((await platform.request('GET', `${sessions(API)}/api-session/data`, { auth: other })).status).toBe(403);
  });

  it('deletes a session with its data', async () => {
    expect((await platform.request('DELETE', `${sessions(API)}/filtered`)).status).toBe(204);
    expect((await platform.request('GET', `${sessions(API)}/filtered/data`)).status).toBe(404);
    expect((await platform.request('DELETE', `${sessions(API)}/filtered`)).status).toBe(404);
  });
});
