// `npm run bench:gateway`: the proxy runtime's cost. A loopback backend is
// called directly and through the local gateway with a proxy that runs
// SpikeArrest + OAuthV2 VerifyAccessToken + AssignMessage + KVM Get, in the
// same run; we report the latency overhead (p50, p99) and the throughput
// ratio, the handler-only time per request (the same proxy with no target,
// invoked in-process), and how many DynamoDB and secret-store calls a warm
// request makes (target: 0). Two more handler-only runs price single steps:
// a JavaScript policy (QuickJS, a fresh context per call) and a ResponseCache
// hit (the answer from the per-container copy, no target call). Then the
// target call's share: CPU per call, one at a time, of a bare keep-alive
// node:http call to the backend against the proxy without policies and the
// four-policy proxy calling it. Last, the CPU
// per warm invocation of the proxy function with logging and metrics off and
// at the production setting (bench/invocation-cpu.ts).
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';

process.env.LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_DEV = 'false';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const { default: autocannon } = await import('autocannon');
const { startLocalRuntime } = await import('../local/runtime.js');
const { listenPlanes } = await import('../local/planes.js');
const { useRuntime } = await import('../shared/runtime.js');
const { issueClientCredentialsToken } = await import('../shared/oauth/issue.js');
const { createRevision } = await import('../shared/gateway/stores/apis.js');
const { deploy } = await import('../shared/gateway/stores/deployments.js');
const { ProxyModelSchema } = await import('../shared/gateway/engine/model.js');
const { benchApp, deployBenchProxies, lambdaContext, proxyEvent } = await import('./fixtures.js');
const { invocationCpu, invocationCpuLines } = await import('./invocation-cpu.js');
const { handler: proxyHandler } = await import('../functions/proxy/handler.js');
const { proxyHost } = await import('../shared/gateway/host/proxy-host.js');
const { analyticsRecorder } = await import('../shared/analytics/recorder.js');

const DURATION_S = Number(process.env.BENCH_DURATION_S || 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 10);
const HANDLER_CALLS = Number(process.env.BENCH_HANDLER_CALLS || 5000);
const ORG = 'default';

let backendCalls = 0;
const backend = createServer((_req, res) => {
  backendCalls++;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"ok":true,"items":[1,2,3]}');
});
await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;

const planes = await listenPlanes({ host: '127.0.0.1', port: 0, runtimePort: 0 });
const gatewayUrl = planes.runtimeUrls.prod!;
const local = await startLocalRuntime({ dataDir: null, publicUrl: planes.platformUrl, env: { TOLLGATE_ORG: ORG } });
const rt = local.runtime;
useRuntime(rt);

const issued = await benchApp(rt, ORG, ['read']);
const { access_token: token } = await issueClientCredentialsToken(rt, { clientId: issued.consumerKey, clientSecret: issued.consumerSecret });
await deployBenchProxies(rt, ORG, backendUrl);

// One-step proxies: a JavaScript policy with no target, and a ResponseCache in front of the backend.
const SCRIPT = "var page = context.getVariable('request.queryparam.page'); context.setVariable('response.header.x-page', page + '-' + context.getVariable('request.verb'));";
for (const model of [
  {
    name: 'bench-js',
    policies: [{ name: 'js', type: 'Javascript', config: { source: SCRIPT, timeLimitMs: 200 } }],
    proxyEndpoints: [{ basePath: '/bench-js', preFlow: { request: [{ name: 'js' }], response: [] } }],
    targetEndpoints: [],
  },
  {
    name: 'bench-plain',
    policies: [],
    proxyEndpoints: [{ basePath: '/bench-plain', preFlow: { request: [], response: [] } }],
    targetEndpoints: [{ connection: { url: backendUrl } }],
  },
  {
    name: 'bench-cache',
    policies: [{ name: 'cache', type: 'ResponseCache', config: { expiry: { timeoutInSeconds: { value: '300' } } } }],
    proxyEndpoints: [{ basePath: '/bench-cache', preFlow: { request: [{ name: 'cache' }], response: [] } }],
    targetEndpoints: [{ connection: { url: backendUrl }, postFlow: { request: [], response: [{ name: 'cache' }] } }],
  },
]) {
  const revision = await createRevision(rt, ORG, ProxyModelSchema.parse(model), 'json');
  await deploy(rt, ORG, 'prod', model.name, revision.revision);
}

const headers = { authorization: `Bearer ${token}` };
const check = await fetch(`${gatewayUrl}/bench/items`, { headers });
if (check.status !== 200 || check.headers.get('content-type') !== 'application/json') {
  throw new Error(`gateway check failed: ${check.status} ${await check.text()}`);
}

// Handler-only: the proxy function invoked in-process, no HTTP server and no target.
const event = proxyEvent(token);
const context = lambdaContext('proxy');
for (let i = 0; i < 1000; i++) await proxyHandler(event, context);
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;

// Analytics' warm-path cost: the same handler with the host's observer (one
// analytics record per call) and without it, in interleaved rounds. Flushes
// are held during the measured calls, so every store call counted below is
// one the request path made; the held records are flushed afterwards and
// that flush is reported on its own.
const host = proxyHost(rt, 'prod');
const observe = host.observe;
const recorder = analyticsRecorder(rt);
const flush = recorder.flush.bind(recorder);
recorder.flush = () => Promise.resolve();
const ROUNDS = 20;
const perRound = Math.ceil(HANDLER_CALLS / ROUNDS);
const handlerTimes: number[] = [];
const withoutTimes: number[] = [];
/** p50 with minus p50 without, per pair of adjacent rounds (which goes first alternates). */
const pairedDifferences: number[] = [];
const tableBefore = rt.table.calls;
const secretsBefore = rt.secrets.backendCalls;
async function measuredRound(analytics: boolean): Promise<number> {
  host.observe = analytics ? observe : undefined;
  const times: number[] = [];
  for (let i = 0; i < perRound; i++) {
    const started = performance.now();
    const result = await proxyHandler(event, context);
    times.push(performance.now() - started);
    if (result.statusCode !== 200) throw new Error(`handler answered ${result.statusCode}: ${result.body}`);
  }
  (analytics ? handlerTimes : withoutTimes).push(...times);
  return percentile(times, 50);
}
for (let round = 0; round < ROUNDS; round++) {
  const withFirst = round % 2 === 0;
  const first = await measuredRound(withFirst);
  const second = await measuredRound(!withFirst);
  pairedDifferences.push(withFirst ? first - second : second - first);
}
host.observe = observe;
const tableCalls = rt.table.calls - tableBefore;
const secretCalls = rt.secrets.backendCalls - secretsBefore;
// The analytics work itself, timed inside the observer: building the record and appending it.
const observerTimes: number[] = [];
host.observe = (exchange) => {
  const chosen = observe!(exchange)!;
  return {
    completed: (done) => {
      const started = performance.now();
      chosen.completed!(done);
      observerTimes.push(performance.now() - started);
    },
  };
};
for (let i = 0; i < perRound * 4; i++) await proxyHandler(event, context);
host.observe = observe;
const heldRecords = recorder.waitingCount;
recorder.flush = flush;
const flushStarted = performance.now();
const writesBefore = rt.table.calls;
await recorder.flush();
const flushMs = performance.now() - flushStarted;
const flushWrites = rt.table.calls - writesBefore;
const analyticsCost = percentile(pairedDifferences, 50);

/** One step alone, handler only: `HANDLER_CALLS` warm calls of GET {basePath}/items?page=1 after 1,000 unmeasured ones. */
async function oneStep(basePath: string, answered: (result: Awaited<ReturnType<typeof proxyHandler>>) => boolean) {
  const stepEvent: APIGatewayProxyEvent = { ...event, path: `${basePath}/items`, headers: { Host: 'bench' }, multiValueHeaders: { Host: ['bench'] }, pathParameters: { proxy: `${basePath.slice(1)}/items` } };
  for (let i = 0; i < 1000; i++) await proxyHandler(stepEvent, context);
  const times: number[] = [];
  const tableBefore = rt.table.calls;
  for (let i = 0; i < HANDLER_CALLS; i++) {
    const started = performance.now();
    const result = await proxyHandler(stepEvent, context);
    times.push(performance.now() - started);
    if (result.statusCode !== 200 || !answered(result)) throw new Error(`${basePath}: handler answered ${result.statusCode}: ${result.body}`);
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99), tableCalls: rt.table.calls - tableBefore };
}
const backendCallsBefore = backendCalls;
const script = await oneStep('/bench-js', (result) => result.headers?.['x-page'] === '1-GET');
const cached = await oneStep('/bench-cache', (result) => result.body === '{"ok":true,"items":[1,2,3]}');
const cacheTargetCalls = backendCalls - backendCallsBefore;

// The target call's share, one call at a time in-process: a bare keep-alive
// node:http call to the backend (the outbound half any Node gateway pays), the
// proxy without policies and the four-policy proxy, each calling the same
// backend. CPU of this process per call (the backend's share is in all three),
// median of interleaved rounds.
const bareAgent = new Agent({ keepAlive: true });
const bareCall = () =>
  new Promise<void>((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port: Number(new URL(backendUrl).port), path: '/items?page=1', agent: bareAgent, headers: { authorization: 'Bearer x', host: 'bench' } }, (incoming) => {
      incoming.on('data', () => undefined);
      incoming.on('end', resolve);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
const withTarget = (basePath: string): APIGatewayProxyEvent => ({ ...event, path: `${basePath}/items`, pathParameters: { proxy: `${basePath.slice(1)}/items` } });
const targetPaths: [string, () => Promise<unknown>][] = [
  ['bare node:http keep-alive call', bareCall],
  ['proxy without policies', () => proxyHandler(withTarget('/bench-plain'), context)],
  ['proxy with the four policies', () => proxyHandler(withTarget('/bench'), context)],
];
const TARGET_ROUNDS = 6;
const targetCalls = Math.ceil(HANDLER_CALLS / 2);
const targetCpu = new Map<string, number[]>(targetPaths.map(([name]) => [name, []]));
for (const [, call] of targetPaths) for (let i = 0; i < 500; i++) await call();
for (let round = 0; round < TARGET_ROUNDS; round++) {
  for (const [name, call] of round % 2 === 0 ? targetPaths : [...targetPaths].reverse()) {
    const started = process.cpuUsage();
    for (let i = 0; i < targetCalls; i++) await call();
    const used = process.cpuUsage(started);
    targetCpu.get(name)!.push((used.user + used.system) / targetCalls);
  }
}
const targetMedian = (name: string) => percentile(targetCpu.get(name)!, 50);
const bareCpu = targetMedian('bare node:http keep-alive call');

async function load(url: string, withHeaders: Record<string, string>) {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, headers: withHeaders });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors };
}
await load(`${backendUrl}/items`, {}); // warm both paths before measuring
const direct = await load(`${backendUrl}/items`, {});
const tableBeforeLoad = rt.table.calls;
const gateway = await load(`${gatewayUrl}/bench/items`, headers);
const gatewayRequests = gateway.rps * DURATION_S;
const loadTableCalls = rt.table.calls - tableBeforeLoad;

const cpu = await invocationCpu('proxy');

const lines = [
  `Gateway benchmark: node ${process.version}, ${CONNECTIONS} connections, ${DURATION_S} s per side, load generator, gateway and backend in one process`,
  'Proxy: SpikeArrest + OAuthV2 VerifyAccessToken + KeyValueMapOperations Get (encrypted map) + AssignMessage',
  '',
  '| path | req/s | p50 ms | p99 ms | non-2xx | errors |',
  '|---|---:|---:|---:|---:|---:|',
  `| direct to backend | ${Math.round(direct.rps)} | ${direct.p50} | ${direct.p99} | ${direct.non2xx} | ${direct.errors} |`,
  `| through the gateway | ${Math.round(gateway.rps)} | ${gateway.p50} | ${gateway.p99} | ${gateway.non2xx} | ${gateway.errors} |`,
  '',
  `Throughput ratio gateway/direct: ${Math.round((gateway.rps / direct.rps) * 100)}%; latency overhead p50 ${(gateway.p50 - direct.p50).toFixed(2)} ms, p99 ${(gateway.p99 - direct.p99).toFixed(2)} ms.`,
  `Handler only (proxy function in-process, same policies, no target), ${handlerTimes.length} calls: p50 ${percentile(handlerTimes, 50).toFixed(3)} ms, p99 ${percentile(handlerTimes, 99).toFixed(3)} ms (target p50 < 0.5 ms).`,
  `Analytics on the warm path: handler p50 ${percentile(handlerTimes, 50).toFixed(4)} ms with it, ${percentile(withoutTimes, 50).toFixed(4)} ms without (${ROUNDS} pairs of ${perRound}-call rounds, order alternating): median paired difference ${(analyticsCost * 1000).toFixed(1)} µs (target < 20 µs); the observer's own work (record built and appended) p50 ${(percentile(observerTimes, 50) * 1000).toFixed(2)} µs, p99 ${(percentile(observerTimes, 99) * 1000).toFixed(2)} µs.`,
  `Store calls of the request path over ${handlerTimes.length + withoutTimes.length} handler calls: ${tableCalls} DynamoDB (${(tableCalls / (handlerTimes.length + withoutTimes.length)).toFixed(4)} per call: background routing-table and revocation-list refreshes only), ${secretCalls} secret store.`,
  `The background flush of the ${heldRecords} records held meanwhile: ${flushWrites} DynamoDB writes (per-minute, per-hour and per-day rollup rows), ${flushMs.toFixed(1)} ms.`,
  `DynamoDB calls per request in the load run: ${(loadTableCalls / Math.max(1, gatewayRequests)).toFixed(5)} (background refreshes and analytics flushes).`,
  '',
  `| handler only, one step, ${HANDLER_CALLS} calls | p50 ms | p99 ms | DynamoDB calls per request | target calls |`,
  '|---|---:|---:|---:|---:|',
  `| JavaScript (QuickJS, fresh context per call) | ${script.p50.toFixed(3)} | ${script.p99.toFixed(3)} | ${(script.tableCalls / HANDLER_CALLS).toFixed(4)} | 0 |`,
  `| ResponseCache hit | ${cached.p50.toFixed(3)} | ${cached.p99.toFixed(3)} | ${(cached.tableCalls / HANDLER_CALLS).toFixed(4)} | ${cacheTargetCalls} (the first call fills the cache) |`,
  '',
  `| one call at a time, to the backend, ${TARGET_ROUNDS} interleaved rounds of ${targetCalls} | CPU per call | vs the bare call |`,
  '|---|---:|---:|',
  ...targetPaths.map(([name]) => `| ${name} | ${Math.round(targetMedian(name))} us | ${(targetMedian(name) / bareCpu).toFixed(2)}x |`),
  '',
  ...invocationCpuLines('proxy', cpu, 200),
  '',
];
process.stdout.write(lines.join('\n'));
await planes.close();
bareAgent.destroy();
backend.closeAllConnections();
backend.close();
await local.close();
process.exit(0);
