// `npm run bench:bundles`: how long a large Apigee bundle takes to read (zip
// limits, XML, policy mapping, model validation) and to export again, and how
// fast a zip bomb is refused. One core, in-process, no HTTP.
import { performance } from 'node:perf_hooks';
import { modelToBundle } from '../shared/bundles/export.js';
import { bundleToModel } from '../shared/bundles/import.js';
import { readZip, ZipError } from '../shared/bundles/zip.js';
import { bundle, proxyEndpoint, targetEndpoint, zip } from '../test/support/bundles.js';

const POLICIES = Number(process.env.BENCH_POLICIES || 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 20);

const policies: Record<string, string> = {};
for (let i = 0; i < POLICIES; i++) {
  policies[`AM-${i}`] = `<AssignMessage async="false" continueOnError="false" enabled="true" name="AM-${i}">
    <DisplayName>Assign ${i}</DisplayName>
    <Remove><Headers><Header name="x-remove-${i}"/></Headers></Remove>
    <Set><Headers><Header name="x-${i}">{request.header.x-in-${i}}</Header></Headers><Payload contentType="application/json">{"n":${i},"v":"{request.verb}"}</Payload></Set>
    <AssignVariable><Name>v${i}</Name><Template>t-{request.header.x-${i}}</Template></AssignVariable>
    <IgnoreUnresolvedVariables>true</IgnoreUnresolvedVariables>
</AssignMessage>`;
}
const flows = Array.from(
  { length: POLICIES / 4 },
  (_, i) =>
    `<Flow name="f${i}"><Request>${[0, 1, 2, 3].map((k) => `<Step><Name>AM-${i * 4 + k}</Name><Condition>request.header.x-k = "${k}"</Condition></Step>`).join('')}</Request><Response/><Condition>(proxy.pathsuffix MatchesPath "/r${i}/**") and (request.verb = "GET")</Condition></Flow>`,
).join('');
const zipped = bundle('bench', {
  policies,
  proxies: { default: proxyEndpoint({ basePath: '/bench', flows }) },
  targets: { default: targetEndpoint('https://backend.example.com/api') },
});

function measure(label: string, run: () => void): number {
  run(); // warm
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  process.stdout.write(`${label.padEnd(44)} median ${median.toFixed(1)} ms, best ${times[0]!.toFixed(1)} ms\n`);
  return median;
}

process.stdout.write(`bundle: ${POLICIES} AssignMessage policies, ${POLICIES / 4} conditional flows, ${zipped.length} bytes zipped\n`);
let model = bundleToModel(readZip(zipped)).model!;
if (!model) throw new Error('the bench bundle does not import');
measure('import (unzip + XML + mapping + validation)', () => {
  model = bundleToModel(readZip(zipped)).model!;
});
let exported: Buffer = Buffer.alloc(0);
measure('export (XML + zip)', () => {
  exported = modelToBundle(model, 1);
});
process.stdout.write(`exported: ${exported.length} bytes\n`);

const bomb = zip({ 'apiproxy/resources/bomb/zeros.bin': new Uint8Array(1_900_000) }, 9);
measure(`refuse a ${bomb.length}-byte zip bomb (1.9 MB of zeros)`, () => {
  try {
    readZip(bomb);
    throw new Error('the bomb was accepted');
  } catch (error) {
    if (!(error instanceof ZipError) || error.status !== 413) throw error;
  }
});
