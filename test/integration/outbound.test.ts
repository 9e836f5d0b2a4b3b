// Outbound HTTP against loopback servers started here: bodies intact, address
// guard on literal and resolved addresses, timeouts, resets, size limits.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { networkInterfaces } from 'node:os';
import { addressProblem, checkUrl, OutboundError, outboundRequest, reserveOwnEndpoint, withDeadline } from '../../shared/net/outbound.js';

let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 2_000);
        return;
      }
      if (req.url === '/later') {
        setTimeout(() => res.end('later'), 400);
        return;
      }
      if (req.url === '/reset') {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      if (req.url === '/big') {
        res.end(Buffer.alloc(5000));
        return;
      }
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.setHeader('content-type', 'application/octet-stream');
      res.end(Buffer.concat([Buffer.from(`${req.method} ${req.url} `), Buffer.concat(chunks)]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('outboundRequest', () => {
  it('sends and receives binary bodies and repeated headers', async () => {
    const bytes = Buffer.from([0, 255, 128, 10]);
    const response = await outboundRequest({ url: `${base}/echo?x=1`, method: 'POST', body: bytes, allowLoopback: true });
    expect(response.status).toBe(200);
    expect(response.body.subarray(-4).equals(bytes)).toBe(true);
    expect(response.body.toString('latin1')).toContain('POST /echo?x=1');
    expect(response.headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });

  it('refuses loopback unless allowed, by literal address and by name', async () => {
    await expect(outboundRequest({ url: `${base}/`, allowLoopback: false })).rejects.toMatchObject({ kind: 'blocked' });
    const port = (server.address() as AddressInfo).port;
    await expect(outboundRequest({ url: `http://localhost:${port}/`, allowLoopback: false })).rejects.toMatchObject({ kind: 'blocked' });
  });

  it('refuses cloud metadata addresses in every spelling', () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://[::ffff:169.254.169.254]/',
      'http://[fd00:ec2::254]/',
      'http://0.0.0.0/',
      'http://[::]/',
    ]) {
      expect(() => checkUrl(url, true), url).toThrow(OutboundError);
    }
    expect(addressProblem('169.254.170.2', true)).toBeDefined(); // ECS task metadata
    expect(addressProblem('10.0.0.5', false)).toBeUndefined();
  });

  it('refuses non-HTTP schemes and URLs with credentials', () => {
    expect(() => checkUrl('file:///etc/passwd', true)).toThrow(/scheme/);
    expect(() => checkUrl('http://user:pw@example.com/', true)).toThrow(/credentials/);
    expect(() => checkUrl('not a url', true)).toThrow(/valid/);
  });

  it('times out a slow target', async () => {
    await expect(outboundRequest({ url: `${base}/slow`, timeoutMs: 200, allowLoopback: true })).rejects.toMatchObject({ kind: 'timeout' });
  });

  it('ends by the deadline it is given, or the one around it, whichever is earlier; none is left behind', async () => {
    const timedOut = (call: Promise<unknown>) => expect(call).rejects.toMatchObject({ kind: 'timeout' });
    await timedOut(outboundRequest({ url: `${base}/later`, allowLoopback: true, deadline: Date.now() + 100 }));
    await timedOut(withDeadline(Date.now() + 100, () => outboundRequest({ url: `${base}/later`, allowLoopback: true })));
    await timedOut(withDeadline(Date.now() + 5_000, () => outboundRequest({ url: `${base}/later`, allowLoopback: true, deadline: Date.now() + 100 })));
    await timedOut(withDeadline(Date.now() + 100, () => outboundRequest({ url: `${base}/later`, allowLoopback: true, deadline: Date.now() + 5_000 })));
    // After the last ambient deadline has settled, a call outside it has none.
    expect((await outboundRequest({ url: `${base}/later`, allowLoopback: true })).body.toString()).toBe('later');
  });

  it('reports a reset mid-body', async () => {
    await expect(outboundRequest({ url: `${base}/reset`, allowLoopback: true })).rejects.toMatchObject({ kind: 'reset' });
  });

  it('reports an unreachable target', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(outboundRequest({ url: `http://127.0.0.1:${port}/`, allowLoopback: true })).rejects.toMatchObject({ kind: 'unreachable' });
  });

  it('limits the response size', async () => {
    await expect(outboundRequest({ url: `${base}/big`, maxResponseBytes: 1000, allowLoopback: true })).rejects.toMatchObject({ kind: 'too_large' });
  });

  it("never reaches one of Tollgate's own endpoints, by any local address or name, whatever the loopback setting", async () => {
    const port = (server.address() as AddressInfo).port;
    const release = reserveOwnEndpoint('store', `http://127.0.0.1:${port}`);
    try {
      const interfaceAddresses = Object.values(networkInterfaces()).flatMap((list) => list ?? []).filter((entry) => entry.family === 'IPv4').map((entry) => entry.address);
      for (const host of ['127.0.0.1', '127.9.9.9', 'localhost', 'LOCALHOST.', '[::ffff:127.0.0.1]', ...interfaceAddresses]) {
        const url = `http://${host}:${port}/`;
        await expect(outboundRequest({ url, allowLoopback: true }), url).rejects.toMatchObject({ kind: 'blocked', message: expect.stringContaining("Tollgate's own store") });
      }
      // A platform reservation lets a call through only where Tollgate routes it itself.
      const platform = reserveOwnEndpoint('platform', `http://127.0.0.1:${port}`);
      release();
      await expect(outboundRequest({ url: `${base}/x`, allowLoopback: true })).rejects.toMatchObject({ kind: 'blocked' });
      expect((await outboundRequest({ url: `${base}/x`, allowLoopback: true, ownEndpoint: 'platform' })).status).toBe(200);
      platform();
    } finally {
      release();
    }
    expect((await outboundRequest({ url: `${base}/x`, allowLoopback: true })).status).toBe(200);
  });

  it('refuses a header Node would not send, naming it but never quoting its value', async () => {
    const cases: Record<string, string | string[]>[] = [{ 'x-token': 'secret\r\nx-injected: 1' }, { 'x-token': ['ok', 'secret\u0000'] }, { 'bad name': 'v' }];
    for (const headers of cases) {
      const refused = outboundRequest({ url: `${base}/x`, allowLoopback: true, headers });
      await expect(refused).rejects.toMatchObject({ kind: 'invalid_header' });
      await expect(refused).rejects.toSatisfy((error: Error) => !error.message.includes('secret'));
    }
    await expect(outboundRequest({ url: `${base}/x`, allowLoopback: true, headers: { 'bad name': 'v' } })).rejects.toThrow(/Header \(invalid name\)/);
    expect((await outboundRequest({ url: `${base}/x`, allowLoopback: true, headers: { 'x-token': 'caf\u00e9' } })).status).toBe(200);
  });

  it('checks a target origin again once the loopback setting or the reserved endpoints change', async () => {
    expect((await outboundRequest({ url: `${base}/first`, allowLoopback: true })).status).toBe(200);
    await expect(outboundRequest({ url: `${base}/second`, allowLoopback: false })).rejects.toMatchObject({ kind: 'blocked' });
    const release = reserveOwnEndpoint('runtime', base);
    await expect(outboundRequest({ url: new URL(`${base}/third`), allowLoopback: true })).rejects.toMatchObject({ kind: 'blocked' });
    release();
    expect((await outboundRequest({ url: new URL(`${base}/fourth`), allowLoopback: true })).status).toBe(200);
    expect(() => checkUrl(`${base.replace('http://', 'http://user:pw@')}/x`, true)).toThrow(/credentials/);
  });

  it('refuses a reserved host name on AWS (the store, the secret store, the planes) on any port', () => {
    const releases = [
      reserveOwnEndpoint('store', 'https://dynamodb.eu-west-1.amazonaws.com'),
      reserveOwnEndpoint('secrets', 'https://secretsmanager.eu-west-1.amazonaws.com'),
      reserveOwnEndpoint('platform', 'https://abc123.execute-api.eu-west-1.amazonaws.com'),
    ];
    try {
      for (const url of ['https://dynamodb.eu-west-1.amazonaws.com/', 'http://DynamoDB.eu-west-1.amazonaws.com.:80/', 'https://secretsmanager.eu-west-1.amazonaws.com/', 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/x']) {
        expect(() => checkUrl(url, false), url).toThrow(/own/);
      }
      expect(() => checkUrl('https://dynamodb.us-east-2.amazonaws.com/', false)).not.toThrow();
    } finally {
      for (const release of releases) release();
    }
  });
});
