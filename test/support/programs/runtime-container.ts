// Child program for test/e2e/analytics-containers.test.ts: a second runtime
// container on the test's dynalite, as another Lambda container would be:
// its own runtime (own caches, own analytics recorder), the runtime plane's
// prod environment on a free port. It prints `{"url": ...}` once listening.
// Commands on stdin, one per line: `flush` (answers `{"flushed": stats}`) and
// `fail lost:2,refused:100` (the next rollup writes, in order: `lost` lets the
// UpdateItem reach the table and then fails it, as when the answer is lost and
// a retry must not count twice; `refused` fails it before it is sent; writes
// after the plan pass). SIGTERM drains the recorder and exits, as Lambda's
// shutdown would.
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { analyticsRecorder } from '../../../shared/analytics/recorder.js';
import { loadConfig } from '../../../shared/config.js';
import { RUNTIME_ROUTES } from '../../../shared/http/api-routes.js';
import { Runtime, useRuntime } from '../../../shared/runtime.js';
import { MemorySecretBackend } from '../../../shared/secrets/local.js';
import { CachedSecrets } from '../../../shared/secrets/store.js';
import { createDocumentClient, Table } from '../../../shared/store/table.js';
import { localHandlers } from '../../../local/handlers.js';
import { createLocalServer } from '../../../local/server.js';

const config = { ...loadConfig({ ...process.env, TOLLGATE_MODE: 'local' }), region: 'local' };
const doc = createDocumentClient({ tableName: config.tableName, region: config.region, endpoint: config.dynamoEndpoint });

let plan: ('lost' | 'refused')[] = [];
let updates = 0;
doc.middlewareStack.add(
  (next, context) => async (args) => {
    const key = (args.input as { Key?: { pk?: string | { S?: string } } }).Key?.pk;
    const partition = typeof key === 'string' ? key : (key?.S ?? '');
    if (!/^Update/.test(context.commandName ?? '') || !partition.startsWith('STATS#')) return next(args);
    updates++;
    const how = plan.shift();
    if (how === 'refused') throw Object.assign(new Error(`write ${updates} refused`), { name: 'ServiceUnavailable' });
    const result = await next(args);
    if (how === 'lost') throw Object.assign(new Error(`answer of write ${updates} lost`), { name: 'TimeoutError' });
    return result;
  },
  { step: 'initialize', name: 'failWrites' },
);

const rt = new Runtime(config, new Table(doc, config.tableName), new CachedSecrets(new MemorySecretBackend()));
useRuntime(rt);
const server = createLocalServer({ handlers: localHandlers, routes: RUNTIME_ROUTES, stage: 'prod', stageVariables: { environment: 'prod' } });
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});

createInterface({ input: process.stdin }).on('line', (line) => {
  const failing = /^fail (.*)$/.exec(line.trim());
  if (failing) {
    plan = failing[1]!.split(',').flatMap((part) => {
      const [how, count] = part.split(':') as ['lost' | 'refused', string];
      return Array.from({ length: Number(count) }, () => how);
    });
    return;
  }
  if (line.trim() !== 'flush') return;
  const recorder = analyticsRecorder(rt);
  void recorder.flush().then(() => process.stdout.write(`${JSON.stringify({ flushed: { ...recorder.stats, writes: updates, waiting: recorder.waitingCount } })}\n`));
});

process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close();
  void rt.shutdown().then(() => {
    process.stdout.write(`${JSON.stringify({ drained: { ...analyticsRecorder(rt).stats, writes: updates } })}\n`);
    process.exit(0);
  });
});
