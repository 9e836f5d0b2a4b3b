// Cold-start benchmark: `npm run bench:cold`.
//
// Bundles every functions/*/handler.ts with esbuild exactly as the stack does
// (infra/bundling.ts: CJS, node22, minified, source map, the lazy packages
// beside index.js),
// then loads each bundle in fresh Node processes and reports the median time
// of `require(bundle)` (CPU time and wall time): the module-loading part of a
// Lambda cold start that the code controls. Variants measured beside the shipped one:
//   - with NODE_OPTIONS=--enable-source-maps (tollgate:sourceMapStackTraces);
//   - with esbuild's default main fields (CommonJS builds of the SDK);
//   - with the AWS SDK external (what the nodejs22.x runtime would provide),
//     loaded from node_modules.
// Targets: each shipped bundle under 600 KB, its import under 120 ms here,
// judged on CPU time because this machine's cores are shared (wall time is
// printed beside it).
// Results go to stdout and .bench/cold.json; the exit code is 1 if a target is missed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Metafile } from 'esbuild';
import { BUNDLING, buildFunction, externalsOf } from '../infra/bundling.js';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
// Inside the checkout so `require('@aws-sdk/...')` of the external variant resolves from node_modules.
const outRoot = join(root, '.bench', 'cold');
const RUNS = Number(process.env.BENCH_RUNS || 9);
const SIZE_LIMIT = 600 * 1024;
const IMPORT_LIMIT_MS = 120;

interface Variant {
  name: string;
  dir: string;
  mainFields: string[];
  external: string[];
  nodeOptions: string[];
  shipped: boolean;
}

const shipped = { mainFields: [...BUNDLING.mainFields], external: [] as string[] };
const VARIANTS: Variant[] = [
  { name: 'shipped: SDK bundled, ESM builds', dir: 'shipped', ...shipped, nodeOptions: [], shipped: true },
  { name: '  + --enable-source-maps', dir: 'shipped', ...shipped, nodeOptions: ['--enable-source-maps'], shipped: false },
  { name: 'SDK bundled, CommonJS builds', dir: 'cjs-builds', mainFields: ['main', 'module'], external: [], nodeOptions: [], shipped: false },
  { name: 'SDK external (runtime SDK)', dir: 'sdk-external', mainFields: [...BUNDLING.mainFields], external: ['@aws-sdk/*'], nodeOptions: [], shipped: false },
];

interface Stats {
  median: number;
  min: number;
  max: number;
}

interface Result {
  fn: string;
  variant: string;
  shipped: boolean;
  bundleBytes: number;
  mapBytes: number;
  wallMs: Stats;
  cpuMs: Stats;
  topPackages?: { name: string; bytes: number }[];
}

function functionNames(): string[] {
  return readdirSync(join(root, 'functions'))
    .filter((name) => existsSync(join(root, 'functions', name, 'handler.ts')))
    .sort();
}

async function bundle(fn: string, variant: Variant): Promise<{ file: string; metafile: Metafile }> {
  const outdir = join(outRoot, fn, variant.dir);
  mkdirSync(outdir, { recursive: true });
  // As in the Lambda asset, index.js is CommonJS: without this the checkout's
  // `"type": "module"` would make Node load it as an ES module (slower, and not what Lambda does).
  writeFileSync(join(outdir, 'package.json'), '{ "type": "commonjs" }\n');
  return buildFunction(fn, root, outdir, { mainFields: variant.mainFields, external: [...externalsOf(fn), ...variant.external] });
}

interface Sample {
  wallMs: number;
  cpuMs: number;
}

/**
 * One `require(file)` in a fresh Node process: wall time, and the CPU time the
 * process spent in it (user + system). On a shared machine wall time includes
 * waiting for a core; CPU time is what the code itself costs.
 */
function importOnce(file: string, nodeOptions: string[]): Sample {
  const script =
    'const c=process.cpuUsage(),t=process.hrtime.bigint();' +
    `require(${JSON.stringify(file)});` +
    'const w=Number(process.hrtime.bigint()-t)/1e6,u=process.cpuUsage(c);' +
    'process.stdout.write(JSON.stringify({wallMs:w,cpuMs:(u.user+u.system)/1e3}))';
  const run = spawnSync(process.execPath, [...nodeOptions, '-e', script], {
    encoding: 'utf8',
    // What the handler module sees at import in Lambda, minus credentials: it must not call AWS at import.
    env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', TOLLGATE_MODE: 'aws', TABLE_NAME: 'bench', LOG_LEVEL: 'SILENT' },
  });
  if (run.status !== 0) throw new Error(`require(${file}) failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Sample;
}

const round = (ms: number) => Math.round(ms * 10) / 10;
function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: round(sorted[Math.floor(sorted.length / 2)]!), min: round(sorted[0]!), max: round(sorted.at(-1)!) };
}

/** Bytes in the bundle per npm package (own code as `tollgate`). */
function packageBytes(metafile: Metafile): { name: string; bytes: number }[] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const name = match ? match[1]! : 'tollgate';
      totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...totals.entries()].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

async function main() {
  const cases: { fn: string; variant: Variant; file: string; metafile: Metafile; samples: Sample[] }[] = [];
  for (const fn of functionNames()) {
    for (const variant of VARIANTS) cases.push({ fn, variant, ...(await bundle(fn, variant)), samples: [] });
  }
  // Round-robin, so every variant sees the same background load.
  for (let i = 0; i < RUNS; i++) for (const c of cases) c.samples.push(importOnce(c.file, c.variant.nodeOptions));
  const results: Result[] = cases.map((c) => ({
    fn: c.fn,
    variant: c.variant.name,
    shipped: c.variant.shipped,
    bundleBytes: statSync(c.file).size,
    mapBytes: statSync(`${c.file}.map`).size,
    wallMs: stats(c.samples.map((s) => s.wallMs)),
    cpuMs: stats(c.samples.map((s) => s.cpuMs)),
    ...(c.variant.shipped ? { topPackages: packageBytes(c.metafile).slice(0, 8) } : {}),
  }));

  const rows = [['function', 'variant', 'bundle', 'source map', `import CPU ms (median of ${RUNS})`, 'min-max', 'import wall ms', 'min-max']];
  for (const r of results) {
    rows.push([
      r.fn,
      r.variant,
      kb(r.bundleBytes),
      kb(r.mapBytes),
      String(r.cpuMs.median),
      `${r.cpuMs.min}-${r.cpuMs.max}`,
      String(r.wallMs.median),
      `${r.wallMs.min}-${r.wallMs.max}`,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  process.stdout.write(`Node ${process.version} ${process.arch}, ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(2)}\n\n`);
  for (const row of rows) process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}\n`);
  for (const r of results.filter((x) => x.topPackages)) {
    process.stdout.write(`\n${r.fn}: ${r.topPackages!.map((p) => `${p.name} ${kb(p.bytes)}`).join(', ')}\n`);
  }

  const missed = results
    .filter((r) => r.shipped)
    .flatMap((r) => [
      ...(r.bundleBytes >= SIZE_LIMIT ? [`${r.fn}: bundle ${kb(r.bundleBytes)} >= ${kb(SIZE_LIMIT)}`] : []),
      ...(r.cpuMs.median >= IMPORT_LIMIT_MS ? [`${r.fn}: import ${r.cpuMs.median} CPU ms >= ${IMPORT_LIMIT_MS} ms`] : []),
    ]);
  process.stdout.write(`\n${missed.length ? `Targets missed:\n  ${missed.join('\n  ')}` : `Targets met: every bundle < ${kb(SIZE_LIMIT)}, every import < ${IMPORT_LIMIT_MS} CPU ms.`}\n`);
  mkdirSync(join(root, '.bench'), { recursive: true });
  writeFileSync(join(root, '.bench', 'cold.json'), `${JSON.stringify({ node: process.version, arch: process.arch, results }, null, 2)}\n`);
  if (missed.length) process.exitCode = 1;
}

await main();
