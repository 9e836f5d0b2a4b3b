// Correctness under concurrency, over HTTP: deploying new revisions while
// traffic flows (every response comes entirely from one revision, none fails,
// and once a deployment returns, later requests see it), concurrent key value
// map writes (create is conditional: exactly one wins; update and upsert:
// the last writer wins with a whole value; an update never brings back a
// deleted entry), and quota counts that stay exact across two containers.
// Proven elsewhere and not repeated here: exact quota under 1,000 concurrent
// calls in one container (policies.test.ts) and exactly one vendor token
// refresh for 20 concurrent calls, in one container and across two
// (connectors-oauth.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy, routingTable } from '../../shared/gateway/stores/deployments.js';
import { handleProxyRequest } from '../../shared/gateway/engine/proxy-request.js';
import { proxyHost } from '../../shared/gateway/host/proxy-host.js';
import type { HttpRequest } from '../../shared/http/request.js';
import { useRuntime } from '../../shared/runtime.js';
import { startBackend, type Backend } from '../support/backend.js';
import { container } from '../support/faults.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { deployProxy, quotaProxy } from '../support/proxies.js';
import { storeProblems } from '../support/store-integrity.js';

let platform: TestPlatform;
let backend: Backend;

beforeAll(async () => {
  platform = await startPlatform();
  // Answers with the revision mark the request carried, so the client sees what the request flow did.
  backend = await startBackend((request, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-backend-saw': String(request.headers['x-request-revision'] ?? 'none') });
    res.end('ok');
  });
});
afterAll(async () => {
  expect(await storeProblems(platform.local.runtime.table)).toEqual([]);
  await backend.close();
  await platform.close();
});

/** Revision `n` marks the request it sends to the backend, the response headers and a long body, all with `n`. */
function revisionModel(n: number) {
  return {
    name: 'rolling',
    policies: [
      { name: 'mark-request', type: 'AssignMessage', config: { set: { headers: [{ name: 'x-request-revision', value: String(n) }] } } },
      {
        name: 'mark-response',
        type: 'AssignMessage',
        config: {
          set: {
            headers: [{ name: 'x-response-revision', value: String(n) }],
            payload: { contentType: 'application/json', content: `{"revision":${n},"filler":"${`r${n}-`.repeat(500)}"}` },
          },
        },
      },
    ],
    proxyEndpoints: [{ basePath: '/rolling', preFlow: { request: [{ name: 'mark-request' }], response: [{ name: 'mark-response' }] } }],
    targetEndpoints: [{ name: 'default', connection: { url: backend.url } }],
  };
}

describe('deploying during traffic', () => {
  it('serves every request entirely from one revision, fails none, and never goes back to an older one', async () => {
    await deployProxy(platform, revisionModel(1));
    const revisions = 6;
    const deployedAt: number[] = [0];
    const seen: { startedAt: number; revision: number }[] = [];
    let deploying = true;

    const worker = async () => {
      while (deploying) {
        const startedAt = performance.now();
        const response = await platform.proxy('GET', '/rolling/x', { auth: false });
        expect(response.status, response.text).toBe(200);
        const body = response.json as { revision: number; filler: string };
        const revision = body.revision;
        // One revision throughout: the request flow (as the backend saw it), the response flow and the body agree.
        expect(response.headers.get('x-backend-saw')).toBe(String(revision));
        expect(response.headers.get('x-response-revision')).toBe(String(revision));
        expect(body.filler).toBe(`r${revision}-`.repeat(500));
        seen.push({ startedAt, revision });
      }
    };
    const workers = Array.from({ length: 6 }, worker);
    for (let n = 2; n <= revisions; n++) {
      const created = await platform.request('POST', '/v1/organizations/default/apis', { json: revisionModel(n) });
      expect(created.status).toBe(201);
      const deployed = await platform.request('POST', `/v1/organizations/default/environments/prod/apis/rolling/revisions/${created.json.revision}/deployments?override=true`);
      expect(deployed.status, deployed.text).toBe(200);
      deployedAt[n] = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    deploying = false;
    await Promise.all(workers);

    expect(seen.length).toBeGreaterThan(revisions * 5);
    expect(new Set(seen.map((entry) => entry.revision)).size).toBeGreaterThan(2);
    // A request that starts after a deployment returned is served by it or a newer one.
    for (const { startedAt, revision } of seen) {
      const newestDeployed = deployedAt.reduce((newest, at, n) => (at > 0 && at <= startedAt ? n : newest), 1);
      expect(revision, `request started after revision ${newestDeployed} was deployed`).toBeGreaterThanOrEqual(newestDeployed);
    }
  }, 60_000);

  it('never serves a routing table read that started before a deployment in this container returned', async () => {
    await deployProxy(platform, { ...revisionModel(1), name: 'gated', proxyEndpoints: [{ ...revisionModel(1).proxyEndpoints[0]!, basePath: '/gated' }] });
    const second = await platform.request('POST', '/v1/organizations/default/apis', {
      json: { ...revisionModel(2), name: 'gated', proxyEndpoints: [{ ...revisionModel(2).proxyEndpoints[0]!, basePath: '/gated' }] },
    });
    const one = container(platform.local.runtime);
    // Holds the answer of a routing-table read (made before the deployment) until released.
    let hold = false;
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    one.runtime.table.doc.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const values = (args.input as { ExpressionAttributeValues?: { ':pk'?: { S?: string }; ':prefix'?: unknown } }).ExpressionAttributeValues;
        // The routing table reads the whole partition; the deployment's own overlap check reads base paths by prefix.
        if (hold && context.commandName === 'QueryCommand' && values?.[':pk']?.S === 'RUNTIME#prod' && !values[':prefix']) await released;
        return result;
      },
      { step: 'finalizeRequest', name: 'holdRoutingReads' },
    );
    const routes = routingTable(one.runtime, 'prod');
    expect((await routes.match(undefined, '/gated'))!.route.revision).toBe(1);
    routes.invalidate();
    hold = true;
    const during = routes.match(undefined, '/gated');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await deploy(one.runtime, 'default', 'prod', 'gated', Number(second.json.revision), { override: true });
    hold = false;
    release();
    // Started before the deployment returned: either revision is right.
    expect([1, 2]).toContain((await during)!.route.revision);
    // Started after: the new one, although the older read finished later.
    expect((await routes.match(undefined, '/gated'))!.route.revision).toBe(2);
    await one.close();
  });
});

describe('concurrent key value map writes', () => {
  const maps = '/v1/organizations/default/environments/prod/keyvaluemaps';

  beforeAll(async () => {
    expect((await platform.request('POST', maps, { json: { name: 'shared-plain', entry: [{ name: 'k', value: 'initial' }] } })).status).toBe(201);
    expect((await platform.request('POST', maps, { json: { name: 'shared-sealed', encrypted: true, entry: [{ name: 'k', value: 'initial' }] } })).status).toBe(201);
    await deployProxy(platform, {
      name: 'kvm-reader',
      policies: [
        { name: 'get', type: 'KeyValueMapOperations', config: { mapIdentifier: 'shared-sealed', expiryTimeInSecs: 0, operations: [{ op: 'get', key: { parameters: [{ value: 'k' }] }, assignTo: 'private.value' }] } },
        { name: 'answer', type: 'AssignMessage', config: { set: { payload: { contentType: 'text/plain', content: '{private.value}' } } } },
      ],
      proxyEndpoints: [{ basePath: '/kvm-reader', preFlow: { request: [{ name: 'get' }], response: [{ name: 'answer' }] } }],
    });
  });

  it('lets exactly one of 30 concurrent creates of a key win; the others get 409', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => platform.request('POST', `${maps}/shared-plain/entries`, { json: { name: 'raced', value: `writer-${i}` } }).then((r) => r.status)),
    );
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(29);
  });

  it('keeps one whole value when 25 writers update a key at once (last writer wins), plain and encrypted', async () => {
    for (const map of ['shared-plain', 'shared-sealed']) {
      const values = Array.from({ length: 25 }, (_, i) => `value-${i}-${'x'.repeat(200 + i)}`);
      const statuses = await Promise.all(values.map((value) => platform.request('PUT', `${maps}/${map}/entries/k`, { json: { value } }).then((r) => r.status)));
      expect(statuses).toEqual(Array(25).fill(200));
      const entries = await platform.local.runtime.table.queryAll('ORG#default', { prefix: `KVMENTRY#env:prod#${map}#k` });
      expect(entries).toHaveLength(1);
      const stored = map === 'shared-plain'
        ? (await platform.request('GET', `${maps}/${map}/entries/k`)).json.value
        : (await platform.proxy('GET', '/kvm-reader', { auth: false })).text;
      // Exactly one writer's value, whole: never a mix, never a value that fails to decrypt.
      expect(values).toContain(stored);
    }
  });

  it('never brings back an entry deleted while an update is on its way', async () => {
    await platform.request('POST', `${maps}/shared-plain/entries`, { json: { name: 'doomed', value: 'v' } });
    // The update has read the entry and is about to write when the delete lands.
    const updater = container(platform.local.runtime);
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    updater.runtime.table.doc.middlewareStack.add(
      (next, context) => async (args) => {
        const sk = (args.input as { Item?: { sk?: { S?: string } } }).Item?.sk?.S ?? '';
        if (context.commandName === 'PutItemCommand' && sk.endsWith('#doomed')) {
          held = true;
          await released;
        }
        return next(args);
      },
      { step: 'finalizeRequest', name: 'holdEntryWrite' },
    );
    useRuntime(updater.runtime);
    const update = platform.request('PUT', `${maps}/shared-plain/entries/doomed`, { json: { value: 'late' } });
    while (!held) await new Promise((resolve) => setTimeout(resolve, 5));
    useRuntime(platform.local.runtime);
    expect((await platform.request('DELETE', `${maps}/shared-plain/entries/doomed`)).status).toBe(200);
    release();
    expect((await update).status).toBe(404);
    expect((await platform.request('GET', `${maps}/shared-plain/entries/doomed`)).status).toBe(404);
    await updater.close();
  });
});

describe('quota across containers', () => {
  it('lets exactly the allowed count through when two containers count at once', async () => {
    await deployProxy(platform, quotaProxy('shared-quota', 150));
    const other = container(platform.local.runtime);
    const direct = (): HttpRequest => ({
      method: 'GET',
      path: '/shared-quota',
      params: {},
      query: new URLSearchParams(),
      headers: {},
      multiHeaders: {},
      body: Buffer.alloc(0),
      requestId: 'other-container',
      sourceIp: '127.0.0.1',
      receivedAt: Date.now(),
    });
    const statuses = await Promise.all([
      ...Array.from({ length: 150 }, () => platform.proxy('GET', '/shared-quota').then((r) => r.status)),
      ...Array.from({ length: 150 }, () => handleProxyRequest(proxyHost(other.runtime, 'prod'), direct()).then((r) => r.status)),
    ]);
    expect(statuses.filter((status) => status === 200)).toHaveLength(150);
    expect(statuses.filter((status) => status === 429)).toHaveLength(150);
    await other.close();
  }, 60_000);
});
