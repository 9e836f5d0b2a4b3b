// The shutdown extension the stack layers onto the proxy and platform
// functions, run against a stand-in for Lambda's Extensions API: it registers
// for SHUTDOWN only (so invocations never wait for it) and exits on SHUTDOWN.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const extension = fileURLToPath(new URL('../../infra/shutdown-extension/extensions/tollgate-shutdown', import.meta.url));

describe('shutdown extension', () => {
  it('is executable, registers for SHUTDOWN alone and exits when it comes', async () => {
    expect(statSync(extension).mode & 0o111).not.toBe(0);
    const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
    const api = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        if (req.url === '/2020-01-01/extension/register') {
          res.writeHead(200, { 'Lambda-Extension-Identifier': 'ext-1', 'content-type': 'application/json' });
          res.end('{}');
        } else {
          // The first next call is the end of Init; the second gets the shutdown.
          const next = seen.filter((r) => r.url === '/2020-01-01/extension/event/next').length;
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(next === 1 ? { eventType: 'INVOKE' } : { eventType: 'SHUTDOWN', shutdownReason: 'spindown' }));
        }
      });
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const child = spawn(process.execPath, [extension], { env: { ...process.env, AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${(api.address() as AddressInfo).port}` } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    api.close();
    expect(code, stderr).toBe(0);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/2020-01-01/extension/register', headers: { 'lambda-extension-name': 'tollgate-shutdown' } });
    expect(JSON.parse(seen[0]!.body)).toEqual({ events: ['SHUTDOWN'] });
    expect(seen.slice(1).map((r) => [r.method, r.url, r.headers['lambda-extension-identifier']])).toEqual([
      ['GET', '/2020-01-01/extension/event/next', 'ext-1'],
      ['GET', '/2020-01-01/extension/event/next', 'ext-1'],
    ]);
  });
});
