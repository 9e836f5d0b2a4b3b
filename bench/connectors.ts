// Resource-call overhead of the connectors platform: `npm run bench:connectors`.
// Starts the platform in-process with a loopback vendor and one basic-auth
// instance (the warm path is the same for every authentication type), then
// reports latency percentiles, throughput, and how many DynamoDB calls warm
// resource calls make (the per-container caches keep that near zero).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';


// The logger reads LOG_LEVEL when its module loads: set it before importing the platform.
process.env.LOG_LEVEL = 'SILENT';
const { startPlatform } = await import('../test/support/platform.js');

const CONCURRENCY = Number(process.env.CONCURRENCY || 10);
const REQUESTS = Number(process.env.REQUESTS || 3000);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main() {
  const vendor = createServer((_req, res) => {
    const body = JSON.stringify({ items: [{ id: 1 }], next: null });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => vendor.listen(0, '127.0.0.1', resolve));
  const vendorUrl = `http://127.0.0.1:${(vendor.address() as AddressInfo).port}`;

  const platform = await startPlatform();
  await platform.request('POST', '/elements/api-v2/elements', {
    json: { key: 'bench', name: 'Bench', baseUrl: `${vendorUrl}/api`, authentication: { type: 'basic' } },
  });
  const created = await platform.request('POST', '/elements/api-v2/instances', {
    json: { element: { key: 'bench' }, name: 'bench', configuration: { username: 'u', password: 'p' } },
  });
  const headers = { authorization: `${platform.auth}, Element ${created.json.token as string}` };
  const path = '/elements/api-v2/items?limit=1';

  for (let i = 0; i < 200; i++) await platform.request('GET', path, { headers });

  const table = platform.local.runtime.table;
  const callsBefore = table.calls;
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        next++;
        const t0 = performance.now();
        const response = await platform.request('GET', path, { headers });
        latencies.push(performance.now() - t0);
        if (response.status !== 200) failures++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const dynamoCalls = table.calls - callsBefore;
  process.stdout.write(
    [
      `resource calls: ${REQUESTS} at concurrency ${CONCURRENCY} in ${seconds.toFixed(2)} s (${Math.round(REQUESTS / seconds)} req/s), ${failures} failed`,
      `latency ms: p50 ${percentile(latencies, 50).toFixed(2)}, p90 ${percentile(latencies, 90).toFixed(2)}, p99 ${percentile(latencies, 99).toFixed(2)}`,
      `DynamoDB calls during the run: ${dynamoCalls} (${(dynamoCalls / REQUESTS).toFixed(4)} per call; instance cache lives 5 s)`,
      '',
    ].join('\n'),
  );
  await platform.close();
  vendor.closeAllConnections();
  await new Promise<void>((resolve) => vendor.close(() => resolve()));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
