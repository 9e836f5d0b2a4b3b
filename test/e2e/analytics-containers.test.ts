// Two runtime containers on one store: this process and a child process
// (test/support/programs/runtime-container.ts) share the test's dynalite, as
// two Lambda containers share the table. Both serve the same proxy; the child's
// rollup writes fail on purpose (answers lost after the write happened, writes
// refused, a whole flush failing three times and waiting for the next one) and
// its last records are written only by its SIGTERM drain. Every call is
// counted exactly once. A debug session started through the management API
// reaches the child too, which captures within seconds.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyticsRecorder } from '../../shared/analytics/recorder.js';
import { formatPoint } from '../../shared/analytics/time-range.js';
import { startBackend, type Backend } from '../support/backend.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { deployProxy } from '../support/proxies.js';

/** Response bodies as the tests read them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const program = fileURLToPath(new URL('../support/programs/runtime-container.ts', import.meta.url));

let platform: TestPlatform;
let backend: Backend;
let child: ChildProcessWithoutNullStreams;
let childUrl: string;
const messages: Record<string, unknown>[] = [];
const waiters: ((message: Record<string, unknown>) => boolean)[] = [];
let started = 0;

function nextMessage(key: string): Promise<Record<string, unknown>> {
  const found = messages.find((message) => key in message);
  if (found) {
    messages.splice(messages.indexOf(found), 1);
    return Promise.resolve(found);
  }
  return new Promise((resolve) => {
    waiters.push((message) => {
      if (!(key in message)) return false;
      resolve(message);
      return true;
    });
  });
}

/** Starts the second container on this platform's store; resolves with its runtime URL. */
async function startChild(env: Record<string, string>): Promise<string> {
  const config = platform.local.runtime.config;
  child = spawn(process.execPath, ['--import', 'tsx', program], {
    env: { ...process.env, DYNAMODB_ENDPOINT: config.dynamoEndpoint!, TABLE_NAME: config.tableName, LOG_LEVEL: 'SILENT', TOLLGATE_ALLOW_LOOPBACK: 'true', TOLLGATE_DEBUG_REFRESH_MS: '200', ...env },
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as Record<string, unknown>;
    const waiter = waiters.findIndex((wait) => wait(message));
    if (waiter === -1) messages.push(message);
    else waiters.splice(waiter, 1);
  });
  return String((await nextMessage('url')).url);
}

beforeAll(async () => {
  platform = await startPlatform();
  backend = await startBackend((request, res) => {
    const status = Number(/status=(\d+)/.exec(request.url)?.[1] ?? 200);
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  await deployProxy(platform, { name: 'twin', policies: [], proxyEndpoints: [{ basePath: '/twin' }], targetEndpoints: [{ connection: { url: backend.url } }] });
  childUrl = await startChild({ TOLLGATE_ANALYTICS_FLUSH_MS: '300000' });
  started = Date.now();
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await platform?.close();
  await backend?.close();
});

const statuses = [200, 200, 404, 503];
async function round(calls: number, offset: number): Promise<void> {
  for (let i = 0; i < calls; i++) {
    const status = statuses[(offset + i) % statuses.length]!;
    const a = await platform.proxy('GET', `/twin/items?status=${status}`);
    const b = await fetch(`${childUrl}/twin/items?status=${status}`);
    await b.arrayBuffer();
    expect([a.status, b.status]).toEqual([status, status]);
  }
}

interface ChildStats {
  flushes: number;
  failedAttempts: number;
  skippedWrites: number;
  writes: number;
  waiting: number;
}

async function flushChild(failures?: string): Promise<ChildStats> {
  if (failures) child.stdin.write(`fail ${failures}\n`);
  child.stdin.write('flush\n');
  return (await nextMessage('flushed')).flushed as ChildStats;
}

async function stats(dimension: string): Promise<Record<string, number>> {
  const from = Math.floor(started / 60_000) * 60_000 - 60_000;
  const query = new URLSearchParams({ timeRange: `${formatPoint(from)}~${formatPoint(from + 10 * 60_000)}`, select: 'sum(message_count)' });
  const response = await platform.request('GET', `/v1/organizations/default/environments/prod/stats/${dimension}?${query}`);
  expect(response.status, response.text).toBe(200);
  return Object.fromEntries(response.json.environments[0].dimensions.map((d: Json) => [d.name, Number(d.metrics[0].values[0])]));
}

describe('two containers sharing one store', () => {
  it('count every call exactly once, through lost answers, refused writes, a failed flush and the shutdown drain', async () => {
    await round(40, 0);
    // The first four writes reach the table but their answers are lost: the retry finds them applied.
    const first = await flushChild('lost:4');
    expect(first.failedAttempts).toBe(1);
    expect(first.skippedWrites).toBeGreaterThanOrEqual(4);
    expect(first.waiting).toBe(0);

    await round(40, 1);
    // Two writes land (answers lost), then every write is refused: all three attempts fail part way
    // and the batch waits, with its id, for the next flush.
    const second = await flushChild('lost:2,refused:1000');
    expect(second.failedAttempts - first.failedAttempts).toBe(3);
    child.stdin.write('fail refused:0\n');

    await round(40, 2);
    const third = await flushChild();
    // The waiting batch went first, with its id: the two writes its failed attempts had made were skipped.
    expect(third.flushes).toBe(second.flushes + 2);
    expect(third.skippedWrites - second.skippedWrites).toBe(2);

    await round(30, 3);
    // No flush asked for: the child's last records are written by its SIGTERM drain.
    child.kill('SIGTERM');
    const drained = (await nextMessage('drained')).drained as ChildStats;
    expect(drained.flushes).toBeGreaterThan(third.flushes);
    await new Promise((resolve) => child.once('exit', resolve));
    await analyticsRecorder(platform.local.runtime).flush();

    const total = 2 * (40 + 40 + 40 + 30);
    expect(await stats('apis')).toEqual({ twin: total });
    const expected: Record<string, number> = {};
    for (const [calls, offset] of [[40, 0], [40, 1], [40, 2], [30, 3]] as const) {
      for (let i = 0; i < calls; i++) {
        const status = String(statuses[(offset + i) % statuses.length]);
        expected[status] = (expected[status] ?? 0) + 2;
      }
    }
    expect(await stats('response_status_code')).toEqual(expected);
  }, 120_000);
});

describe('a debug session across containers', () => {
  it('reaches the other container within seconds; the count holds across both', async () => {
    // A fresh child: the first one has stopped.
    childUrl = await startChild({ TOLLGATE_ANALYTICS_FLUSH_MS: '200' });
    const sessions = '/v1/organizations/default/environments/prod/apis/twin/revisions/1/debugsessions';
    expect((await platform.request('POST', `${sessions}?session=both&header_x-trace=on`, { json: { count: 3 } })).status).toBe(201);

    // Only the child serves calls; it starts capturing once its copy of the sessions refreshes.
    let ids: string[] = [];
    for (let attempt = 0; attempt < 200 && ids.length < 3; attempt++) {
      const response = await fetch(`${childUrl}/twin/items?status=200`, { headers: { 'x-trace': 'on' } });
      await response.arrayBuffer();
      ids = (await platform.request('GET', `${sessions}/both/data`)).json as string[];
    }
    expect(ids).toHaveLength(3);
    // Calls through this container too: the session is full, across both.
    for (let i = 0; i < 3; i++) await platform.proxy('GET', '/twin/items?status=200', { headers: { 'x-trace': 'on' } });
    await analyticsRecorder(platform.local.runtime).flush();
    expect((await platform.request('GET', `${sessions}/both/data`)).json).toHaveLength(3);
    child.kill('SIGTERM');
    await nextMessage('drained');
  }, 120_000);
});
