// `npm run bench:compare`: Tollgate side by side with the floors a gateway on
// this machine can reach, in one run. Every server runs in its own process:
//   - a loopback backend (the direct path),
//   - nginx, one worker, keep-alive upstream, when the `nginx` binary is on PATH,
//   - a minimal Node forwarder (node:http + keep-alive Agent) and one on the global fetch,
//   - a minimal token server (node:http + jose ES256),
//   - Tollgate (bench/load-server.ts: the local server, handlers as on Lambda,
//     LOG_LEVEL=SILENT) with a proxy without policies, the four-policy proxy
//     (SpikeArrest, VerifyAccessToken, KVM Get, AssignMessage) and its token endpoint.
// autocannon drives COMPARE_CONNECTIONS (16) connections for COMPARE_SECONDS
// (5) per path, in COMPARE_ROUNDS (5) interleaved rounds whose order rotates,
// so a noisy neighbour slows every path alike; the table shows medians over
// rounds. CPU per request is the serving process's user + system CPU time
// over the round divided by the requests answered (the backend's own share
// is not in it). Ratios compare each Tollgate path with its floor; the
// targets are at the bottom. The machine and its load average are printed
// beside the numbers: on a shared machine absolute numbers move, ratios much less.
// COMPARE_BASELINE=<another checkout> runs that checkout's Tollgate beside
// this one (rows marked "baseline"), for a before/after in one run;
// COMPARE_PATHS=<regex> keeps only the paths whose names match (the floors
// the ratios need are always kept). COMPARE_WARMUP (3) seconds per path first.
// COMPARE_PROFILE=<dir> has the Tollgate process write a V8 CPU profile there
// when it stops (open it in Chrome DevTools), for finding where its time goes.
// Writes .bench/compare-<time>.md; exits 1 if any response was not 2xx.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, platform as osPlatform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import autocannon, { type Options } from 'autocannon';
import { childCpu, once, start, startFrom } from './processes.js';
import { setUpGateway, TOKEN_FORM } from './tollgate-setup.js';

const ROUNDS = Number(process.env.COMPARE_ROUNDS || 5);
const SECONDS = Number(process.env.COMPARE_SECONDS || 5);
const CONNECTIONS = Number(process.env.COMPARE_CONNECTIONS || 16);
const WARMUP = Number(process.env.COMPARE_WARMUP || 3);
const BASELINE = process.env.COMPARE_BASELINE;
const ONLY = process.env.COMPARE_PATHS ? new RegExp(process.env.COMPARE_PATHS) : undefined;
const FORWARDER = 'minimal Node forwarder (node:http + keep-alive Agent)';
const JOSE = 'token: minimal node:http + jose ES256';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

interface Path {
  name: string;
  options: Options;
  /** Microseconds of CPU the serving process(es) have used so far; none for the backend itself. */
  cpu?: () => Promise<number>;
  /**
   * Finishes what the round's requests left to do in the background before
   * the CPU is read (Tollgate writes their analytics), so that work counts
   * for the path that caused it, not for the next one.
   */
  settle?: () => Promise<void>;
}

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  cpuPerRequest?: number;
  bad: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

const nginxBinary = () => spawnSync('nginx', ['-v']).status === 0;

/** CPU microseconds of a process and its children (nginx's master and worker), from /proc. */
function procCpu(pid: number): number {
  const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command name (which may hold spaces): state ppid ... utime(14) stime(15).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    if (Number(entry) === pid || ppid === pid) total += Number(fields[11]) + Number(fields[12]);
  }
  return (total / ticks) * 1e6;
}

async function startNginx(backend: string, dir: string): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const upstream = new URL(backend);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
${process.getuid?.() === 0 ? 'user root;' : ''}
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream backend { server ${upstream.host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`,
  );
  const child = spawn('nginx', ['-p', dir, '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    try {
      await fetch(url);
      return { url, process: child };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error('nginx did not start');
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function measure(path: Path, duration: number): Promise<Sample> {
  const before = path.cpu ? await path.cpu() : 0;
  const result = await autocannon({ ...path.options, connections: CONNECTIONS, duration, timeout: 10 });
  await path.settle?.();
  const after = path.cpu ? await path.cpu() : 0;
  const answered = result.requests.total;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ...(path.cpu ? { cpuPerRequest: (after - before) / Math.max(1, answered) } : {}),
    bad: result.non2xx + result.errors + result.timeouts,
  };
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-compare-'));
  const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'SILENT', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  const children: ChildProcess[] = [];
  const spawnRole = (role: string, extra: NodeJS.ProcessEnv = {}) => {
    const child = start('compare-servers.ts', { ...env, ...extra }, [], [role]);
    children.push(child);
    return child;
  };
  let nginx: ChildProcess | undefined;
  try {
    const backend = spawnRole('backend');
    const backendUrl = (await once<{ url: string }>(backend, 'listening')).url;
    const forwarder = spawnRole('forwarder', { BACKEND: backendUrl });
    const fetchForwarder = spawnRole('fetch-forwarder', { BACKEND: backendUrl });
    const tokenServer = spawnRole('token');
    const profile = process.env.COMPARE_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.COMPARE_PROFILE}`] : [];
    const tollgate = start('load-server.ts', env, profile);
    children.push(tollgate);
    const baselineDir = BASELINE ? mkdtempSync(join(tmpdir(), 'tollgate-compare-baseline-')) : undefined;
    const baseline = BASELINE ? startFrom(join(BASELINE, 'bench', 'load-server.ts'), { ...env, DATA_DIR: baselineDir }) : undefined;
    if (baseline) children.push(baseline);
    const [forwarderUrl, fetchUrl, token, gateway, baselineGateway] = await Promise.all([
      once<{ url: string }>(forwarder, 'listening').then((m) => m.url),
      once<{ url: string }>(fetchForwarder, 'listening').then((m) => m.url),
      once<{ url: string; basic: string }>(tokenServer, 'listening'),
      once<{ url: string; runtimeUrl: string }>(tollgate, 'listening'),
      baseline ? once<{ url: string; runtimeUrl: string }>(baseline, 'listening') : undefined,
    ]);
    const setup = await setUpGateway(gateway.url, dataDir, backendUrl);
    const baselineSetup = baselineGateway ? await setUpGateway(baselineGateway.url, baselineDir!, backendUrl) : undefined;

    const paths: Path[] = [{ name: 'backend direct', options: { url: `${backendUrl}/items?limit=2` } }];
    let nginxNote = 'nginx: not measured, no `nginx` binary on PATH.';
    if (nginxBinary()) {
      const started = await startNginx(backendUrl, mkdtempSync(join(tmpdir(), 'tollgate-nginx-')));
      nginx = started.process;
      const pid = nginx.pid!;
      paths.push({ name: 'nginx, 1 worker, keep-alive upstream', options: { url: `${started.url}/items?limit=2` }, cpu: () => Promise.resolve(procCpu(pid)) });
      nginxNote = `nginx: ${spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim().replace('nginx version: ', '')}.`;
    }
    const cpuOf = (child: ChildProcess) => () => childCpu(child);
    // A checkout without the `flush` message (an older baseline) is given 5 s instead.
    const settleOf = (child: ChildProcess) => () =>
      new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve();
        };
        const onMessage = (message: { type?: string }) => {
          if (message.type === 'flushed') done();
        };
        const timer = setTimeout(done, 5_000);
        child.on('message', onMessage);
        child.send({ type: 'flush' });
      });
    const tollgatePaths = (label: string, child: ChildProcess, at: { url: string; runtimeUrl: string }, with_: { accessToken: string; basic: string }): Path[] => [
      { name: `${label}, proxy with no policies`, options: { url: `${at.runtimeUrl}/plain/items?limit=2` }, cpu: cpuOf(child), settle: settleOf(child) },
      { name: `${label}, SpikeArrest + VerifyAccessToken + KVM Get + AssignMessage`, options: { url: `${at.runtimeUrl}/load/items?limit=2`, headers: { authorization: `Bearer ${with_.accessToken}` } }, cpu: cpuOf(child), settle: settleOf(child) },
      { name: `token: ${label} POST /oauth/token`, options: { url: `${at.url}/oauth/token`, method: 'POST', headers: { authorization: with_.basic, ...FORM }, body: TOKEN_FORM }, cpu: cpuOf(child), settle: settleOf(child) },
    ];
    paths.push(
      { name: FORWARDER, options: { url: `${forwarderUrl}/items?limit=2` }, cpu: cpuOf(forwarder) },
      { name: 'minimal Node forwarder (global fetch)', options: { url: `${fetchUrl}/items?limit=2` }, cpu: cpuOf(fetchForwarder) },
      { name: JOSE, options: { url: `${token.url}/oauth/token`, method: 'POST', headers: { authorization: token.basic, ...FORM }, body: TOKEN_FORM }, cpu: cpuOf(tokenServer) },
      ...tollgatePaths('Tollgate', tollgate, gateway, setup),
      ...(baseline ? tollgatePaths('Tollgate baseline', baseline, baselineGateway!, baselineSetup!) : []),
    );
    if (ONLY) paths.splice(0, paths.length, ...paths.filter((path) => path.name === FORWARDER || path.name === JOSE || ONLY.test(path.name)));

    const loadBefore = loadavg();
    for (const path of paths) await measure(path, WARMUP); // warm-up: JIT, caches, keep-alive sockets
    const samples = new Map<Path, Sample[]>(paths.map((path) => [path, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < paths.length; i++) {
        const path = paths[(i + round) % paths.length]!;
        samples.get(path)!.push(await measure(path, SECONDS));
      }
      process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
    }
    const loadAfter = loadavg();

    const summary = new Map(
      paths.map((path) => {
        const list = samples.get(path)!;
        const cpu = list.map((s) => s.cpuPerRequest).filter((v): v is number => v !== undefined);
        return [path.name, { rps: median(list.map((s) => s.rps)), p50: median(list.map((s) => s.p50)), p99: median(list.map((s) => s.p99)), cpu: cpu.length ? median(cpu) : undefined, bad: list.reduce((n, s) => n + s.bad, 0) }];
      }),
    );
    const row = (name: string) => summary.get(name);
    const floorOf = (name: string) => (/^token: /.test(name) ? (name === JOSE ? undefined : row(JOSE)) : /Tollgate|fetch/.test(name) ? row(FORWARDER) : undefined);
    const ratio = (name: string) => {
      const floor = floorOf(name);
      return floor ? `${(row(name)!.rps / floor.rps).toFixed(2)}x` : '';
    };
    const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
    const targets = [
      ['Tollgate, proxy with no policies', 0.8, 'proxy with no policies', 160],
      ['Tollgate, SpikeArrest + VerifyAccessToken + KVM Get + AssignMessage', 0.6, 'proxy with the four policies', undefined],
      ['token: Tollgate POST /oauth/token', 0.75, 'token issuance', undefined],
    ] as const;
    const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GB, ${osPlatform()} ${release()}, Node ${process.version}`;
    const bad = [...summary.entries()].filter(([, s]) => s.bad > 0);
    const lines = [
      `Machine: ${machine}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} after.`,
      `${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${SECONDS} s per path, medians; every server in its own process. ${nginxNote}`,
      '',
      '| path | req/s | p50 ms | p99 ms | CPU per request | vs floor |',
      '|---|---:|---:|---:|---:|---:|',
      ...paths.map((path) => {
        const s = row(path.name)!;
        return `| ${path.name} | ${Math.round(s.rps)} | ${s.p50} | ${s.p99} | ${s.cpu === undefined ? '-' : `${Math.round(s.cpu)} us`} | ${ratio(path.name)} |`;
      }),
      '',
      'Floors: the node:http forwarder for the proxy paths, the jose token server for token issuance.',
      ...targets
        .filter(([name]) => row(name))
        .map(([name, floor, what, cpuLimit]) => {
          const s = row(name)!;
          const cpu = cpuLimit === undefined ? '' : `; <= ${cpuLimit} us CPU per request: ${Math.round(s.cpu ?? 0)} us (${verdict((s.cpu ?? Infinity) <= cpuLimit)})`;
          return `- ${what} >= ${floor}x its floor: ${ratio(name)} (${verdict(s.rps >= floor * floorOf(name)!.rps)})${cpu}`;
        }),
      ...(bad.length ? ['', `FAILED: non-2xx or errors on ${bad.map(([name, s]) => `${name} (${s.bad})`).join(', ')}`] : []),
      '',
    ];
    const text = lines.join('\n');
    process.stdout.write(text);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    mkdirSync('.bench', { recursive: true });
    writeFileSync(join('.bench', `compare-${stamp}.md`), text);
    process.exitCode = bad.length ? 1 : 0;
  } finally {
    nginx?.kill();
    for (const child of children) child.send({ type: 'stop' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
