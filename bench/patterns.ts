// `npm run bench:patterns`: the inputs that stall a backtracking regex engine,
// each answered by the pattern engines request and tenant data reach:
// ExtractVariables URIPath (`/{a}/{b}/{c}/status` on 4,000 and 20,000 '/'),
// an element configuration `pattern` (`^(a+)+$`), JavaRegex conditions with
// lookarounds on a 420 KB body, and MatchesPath. The engines first warm up on
// small unrelated values (as in a container that has served requests); then
// each input runs once cold (its pattern compiled on the spot) and 20 times
// warm, timed in CPU time of this process
// (steadier than wall time on a shared machine); the report gives the cold
// time and the median and worst warm time. Fails (exit 1) when the cold or
// the median answer takes 50 ms or more.
import { fieldMatches } from '../shared/connectors/element-schema.js';
import { compileJavaRegex } from '../shared/gateway/language/java-regex.js';
import { compilePathPattern } from '../shared/gateway/language/condition-patterns.js';
import { compileExtractionPattern } from '../shared/gateway/language/extraction-pattern.js';

const LIMIT_MS = 50;
const RUNS = 20;

const body = 'x'.repeat(420 * 1024);
const cases: { name: string; run: () => unknown }[] = [
  { name: 'ExtractVariables URIPath /{a}/{b}/{c}/status, 4,000 "/"', run: () => compileExtractionPattern('/{a}/{b}/{c}/status', false).match('/'.repeat(4_000)) },
  { name: 'ExtractVariables URIPath /{a}/{b}/{c}/status, 20,000 "/" then x/status', run: () => compileExtractionPattern('/{a}/{b}/{c}/status', false).match(`${'/'.repeat(20_000)}x/status`) },
  { name: 'element field pattern ^(a+)+$, 50,000 a and b', run: () => fieldMatches('^(a+)+$', `${'a'.repeat(50_000)}b`) },
  { name: 'JavaRegex (?s)(?!.*<script).*admin.* on a 420 KB body', run: () => compileJavaRegex('(?s)(?!.*<script).*admin.*')(body) },
  { name: 'JavaRegex (?s).*(?=.*a.*b.*c).* on a 420 KB body', run: () => compileJavaRegex('(?s).*(?=.*a.*b.*c).*')(body) },
  { name: 'JavaRegex .*(?<=(a|aa)+b)z on 420 KB of a', run: () => compileJavaRegex('.*(?<=(a|aa)+b)z')('a'.repeat(420 * 1024)) },
  { name: 'MatchesPath /**/a/**/b/**/c on 4,000 "/a"', run: () => compilePathPattern('/**/a/**/b/**/c')('/a'.repeat(4_000)) },
];

const time = (run: () => unknown) => {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};

// Warm-up: the engines' code, not these patterns.
for (let i = 0; i < 200; i++) {
  compileExtractionPattern('/w/{x}', false).match(`/w/${'y'.repeat(2000)}`);
  fieldMatches('^w+$', 'w'.repeat(2000));
  compileJavaRegex('(?s)(?!.*w).*v.*')('u'.repeat(2000));
  compileJavaRegex('.*(?<=u)v')('u'.repeat(2000));
  compilePathPattern('/**/w')('/u'.repeat(1000));
}

let failed = false;
const rows = cases.map(({ name, run }) => {
  const cold = time(run);
  const warm = Array.from({ length: RUNS }, () => time(run)).sort((a, b) => a - b);
  const median = warm[Math.floor(RUNS / 2)]!;
  const ok = cold < LIMIT_MS && median < LIMIT_MS;
  if (!ok) failed = true;
  return `| ${name} | ${cold.toFixed(1)} | ${median.toFixed(1)} | ${warm.at(-1)!.toFixed(1)} | ${ok ? 'ok' : 'TOO SLOW'} |`;
});
process.stdout.write(['| input | cold CPU ms | median CPU ms | worst CPU ms | < 50 ms |', '|---|---:|---:|---:|---|', ...rows, ''].join('\n'));
process.exit(failed ? 1 : 0);
