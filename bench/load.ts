// `npm run bench:load`: autocannon against the local server, LOAD_SECONDS
// (default 20) per scenario at LOAD_CONNECTIONS (default 16) connections:
//   1. token issuance: POST /oauth/token, client_secret_basic
//   2. a proxied call through SpikeArrest (high rate), OAuthV2
//      VerifyAccessToken, KeyValueMapOperations Get and AssignMessage to a
//      loopback backend
//   3. a connector resource call (basic-auth instance) to a loopback vendor
// The server runs in its own process (bench/load-server.ts, data in a fresh
// temporary DATA_DIR) and the backends in another (bench/load-backends.ts), so
// the load generator shares an event loop with neither. Reports requests/s,
// p50/p99 latency, non-2xx responses and errors (both must be 0), and the
// server's memory: RSS every second, and the live heap after a forced GC half
// way through and at the end of each scenario (it must flatten: no leak).
// Exits 1 if any check fails.
// Writes the report to .bench/load-<time>.md and .json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, platform as osPlatform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import autocannon, { type Options, type Result } from 'autocannon';
import type { ServerMessage } from './load-server.js';
import { once, request, start } from './processes.js';
import { setUpGateway, TOKEN_FORM } from './tollgate-setup.js';

const SECONDS = Number(process.env.LOAD_SECONDS || 20);
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS || 16);
const MB = 1024 * 1024;
/** Growth allowed between the half-way and the final live heap (noise of in-flight requests). */
const LIVE_GROWTH_LIMIT = 4 * MB;
/** RSS growth allowed over the second half of a scenario. */
const RSS_GROWTH_LIMIT = 16 * MB;

interface Sample {
  at: number;
  rss: number;
  heapUsed: number;
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-load-'));
  const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'SILENT', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  const backends = start('load-backends.ts', env);
  const server = start('load-server.ts', env, ['--expose-gc']);
  const samples: Sample[] = [];
  server.on('message', (message: ServerMessage) => {
    if (message.type === 'memory') samples.push({ at: message.at, rss: message.rss, heapUsed: message.heapUsed });
  });
  try {
    const [{ url, runtimeUrl }, { backend, vendor }] = await Promise.all([
      once<{ url: string; runtimeUrl: string }>(server, 'listening'),
      once<{ backend: string; vendor: string }>(backends, 'listening'),
    ]);
    const { auth, basic, accessToken } = await setUpGateway(url, dataDir, backend);
    const headers = { authorization: auth };
    await request(`${url}/elements/api-v2/elements`, { method: 'POST', headers, json: { key: 'load-vendor', name: 'Load vendor', baseUrl: `${vendor}/api`, authentication: { type: 'basic' } } });
    const instance = await request(`${url}/elements/api-v2/instances`, { method: 'POST', headers, json: { element: { key: 'load-vendor' }, name: 'load', configuration: { username: 'u', password: 'p' } } });

    const scenarios: { name: string; options: Options }[] = [
      { name: 'token issuance (POST /oauth/token)', options: { url: `${url}/oauth/token`, method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: TOKEN_FORM } },
      { name: 'proxied call (SpikeArrest, VerifyAccessToken, KVM Get, AssignMessage)', options: { url: `${runtimeUrl}/load/items?limit=2`, headers: { authorization: `Bearer ${accessToken}` } } },
      { name: 'connector resource call (basic-auth instance)', options: { url: `${url}/elements/api-v2/items?limit=2`, headers: { authorization: `${auth}, Element ${instance.json.token as string}` } } },
    ];

    const report: { name: string; result: Result; rss: number[]; liveHalf: number; liveEnd: number }[] = [];
    server.send({ type: 'gc' });
    const baseline = await once<{ heapUsed: number }>(server, 'heap-after-gc');
    for (const scenario of scenarios) {
      // A short warm-up, so the curve shows steady state rather than first-use caches.
      await autocannon({ ...scenario.options, connections: CONNECTIONS, duration: 2 });
      // The live heap (after a forced GC) half way through and at the end: a leak shows as growth between them.
      const half = new Promise<{ heapUsed: number }>((resolve) =>
        setTimeout(() => {
          server.send({ type: 'gc' });
          resolve(once<{ heapUsed: number }>(server, 'heap-after-gc'));
        }, (SECONDS * 1000) / 2),
      );
      const result = await autocannon({ ...scenario.options, connections: CONNECTIONS, duration: SECONDS, timeout: 10 });
      const liveHalf = (await half).heapUsed;
      server.send({ type: 'gc' });
      const liveEnd = (await once<{ heapUsed: number }>(server, 'heap-after-gc')).heapUsed;
      const rss = samples.filter((sample) => sample.at >= new Date(result.start).getTime() && sample.at <= new Date(result.finish).getTime()).map((sample) => sample.rss);
      report.push({ name: scenario.name, result, rss, liveHalf, liveEnd });
      process.stdout.write(`${scenario.name}: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors + result.timeouts}\n`);
    }

    const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GB, ${osPlatform()} ${release()}, Node ${process.version}`;
    const failures: string[] = [];
    const mb = (bytes: number) => (bytes / MB).toFixed(1);
    for (const entry of report) {
      const { result } = entry;
      if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
        failures.push(`${entry.name}: non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts} (${JSON.stringify(result.statusCodeStats)})`);
      }
      // Flat: no more live memory after twice the requests, and RSS settled in the second half.
      if (entry.liveEnd - entry.liveHalf > LIVE_GROWTH_LIMIT) failures.push(`${entry.name}: live heap grew ${mb(entry.liveEnd - entry.liveHalf)} MB in the second half`);
      const rssSecondHalf = (entry.rss.at(-1) ?? 0) - (entry.rss[Math.floor(entry.rss.length / 2)] ?? 0);
      if (rssSecondHalf > RSS_GROWTH_LIMIT) failures.push(`${entry.name}: RSS grew ${mb(rssSecondHalf)} MB in the second half`);
    }

    const lines = [
      `Machine: ${machine}; ${CONNECTIONS} connections, ${SECONDS} s per scenario after a 2 s warm-up.`,
      '',
      '| scenario | req/s | p50 ms | p99 ms | non-2xx | errors | RSS start -> half -> end MB | live heap half -> end MB |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...report.map((entry) => {
        const { result, rss } = entry;
        const curve = `${mb(rss[0] ?? 0)} -> ${mb(rss[Math.floor(rss.length / 2)] ?? 0)} -> ${mb(rss.at(-1) ?? 0)}`;
        return `| ${entry.name} | ${Math.round(result.requests.average)} | ${result.latency.p50} | ${result.latency.p99} | ${result.non2xx} | ${result.errors + result.timeouts} | ${curve} | ${mb(entry.liveHalf)} -> ${mb(entry.liveEnd)} |`;
      }),
      '',
      `Live heap after GC before the first scenario: ${mb(baseline.heapUsed)} MB.`,
      '',
      'Server RSS in MB, one sample per second:',
      '',
      ...report.map((entry) => `- ${entry.name}: ${entry.rss.map((bytes) => (bytes / MB).toFixed(0)).join(' ')}`),
      '',
      failures.length ? `FAILED:\n${failures.map((f) => `- ${f}`).join('\n')}` : 'All checks passed: no non-2xx responses, no errors, memory flat.',
      '',
    ];
    const text = lines.join('\n');
    process.stdout.write(`\n${text}`);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    mkdirSync('.bench', { recursive: true });
    writeFileSync(join('.bench', `load-${stamp}.md`), text);
    writeFileSync(join('.bench', `load-${stamp}.json`), JSON.stringify({ machine, connections: CONNECTIONS, seconds: SECONDS, report, samples }, null, 2));
    process.exitCode = failures.length ? 1 : 0;
  } finally {
    // The server writes its waiting analytics as it stops: its data stays until it has exited.
    const exited = new Promise((resolve) => (server.exitCode === null ? server.once('exit', resolve) : resolve(undefined)));
    server.send({ type: 'stop' });
    backends.send({ type: 'stop' });
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
