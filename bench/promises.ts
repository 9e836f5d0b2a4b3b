// Promises per request: `npm run bench:promises` runs Tollgate (the local
// server, as `npm start` does) in its own process with an async hook that
// counts the promises it creates, sends a fixed number of requests down each
// path bench:compare measures, and divides. Unlike CPU time the count does
// not move with the machine's load: it shows what the code awaits. The
// count includes the background work the requests cause (their analytics,
// written before it is read) and what Node's HTTP client and the libraries
// create.
//   PROMISES_REQUESTS (5000) per path, after 1000 to warm up.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon, { type Options } from 'autocannon';
import { once, start } from './processes.js';
import { setUpGateway, TOKEN_FORM } from './tollgate-setup.js';

const REQUESTS = Number(process.env.PROMISES_REQUESTS || 5000);

async function send(options: Options, amount: number): Promise<number> {
  const result = await autocannon({ connections: 8, ...options, amount });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad) throw new Error(`${options.url}: ${bad} of ${result.requests.total} requests failed`);
  return result.requests.total;
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-promises-'));
  const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'SILENT', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  const backend = start('compare-servers.ts', env, [], ['backend']);
  const tollgate = start('load-server.ts', env, ['--import', join(import.meta.dirname, 'promise-counter.ts')]);
  try {
    const backendUrl = (await once<{ url: string }>(backend, 'listening')).url;
    const gateway = await once<{ url: string; runtimeUrl: string }>(tollgate, 'listening');
    const setup = await setUpGateway(gateway.url, dataDir, backendUrl);
    const counted = async () => {
      const flushed = once(tollgate, 'flushed');
      tollgate.send({ type: 'flush' });
      await flushed;
      const answer = once<{ created: number }>(tollgate, 'promises');
      tollgate.send({ type: 'promises' });
      return (await answer).created;
    };
    const paths: [string, Options][] = [
      ['proxy with no policies', { url: `${gateway.runtimeUrl}/plain/items?limit=2` }],
      ['SpikeArrest + VerifyAccessToken + KVM Get + AssignMessage', { url: `${gateway.runtimeUrl}/load/items?limit=2`, headers: { authorization: `Bearer ${setup.accessToken}` } }],
      ['token: POST /oauth/token', { url: `${gateway.url}/oauth/token`, method: 'POST', headers: { authorization: setup.basic, 'content-type': 'application/x-www-form-urlencoded' }, body: TOKEN_FORM }],
    ];
    console.log(`Promises a Tollgate process creates per request, ${REQUESTS} requests per path after 1000 to warm up (Node ${process.version}).\n`);
    console.log('| path | promises per request |\n|---|---:|');
    for (const [name, options] of paths) {
      await send(options, 1000);
      const before = await counted();
      const total = await send(options, REQUESTS);
      console.log(`| ${name} | ${((await counted()) - before) / total} |`.replace(/(\.\d)\d+/, '$1'));
    }
  } finally {
    tollgate.send({ type: 'stop' });
    backend.kill();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
