// RFC 8414 discovery where section 3.1 puts it, also for an issuer with a
// path (and nowhere else); methods answered as the route table says, as API
// Gateway does (HEAD /healthz 200, POST /healthz 404); X-Forwarded-For sent
// to a target with the client's address once, as API Gateway already added it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as proxyHandler } from '../../functions/proxy/handler.js';
import { startBackend, type Backend } from '../support/backend.js';
import { lambdaContext, runtimeEvent } from '../support/lambda-events.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { deployProxy, simpleProxy } from '../support/proxies.js';

let platform: TestPlatform;
let withPath: TestPlatform;
let closed = false;
let backend: Backend;

beforeAll(async () => {
  platform = await startPlatform();
  backend = await startBackend();
  await deployProxy(platform, simpleProxy('forwarded', '/forwarded', backend.url));
});
afterAll(async () => {
  if (!closed) await platform.close();
  await withPath?.close();
  await backend.close();
});

describe('RFC 8414 metadata where section 3.1 puts it, for an issuer without a path', () => {
  it('serves the path-less issuer at /.well-known/oauth-authorization-server only', async () => {
    const metadata = await platform.request('GET', '/.well-known/oauth-authorization-server', { auth: false });
    expect(metadata.status).toBe(200);
    expect(metadata.json.issuer).toBe(platform.url);
    expect((await platform.request('GET', '/.well-known/oauth-authorization-server/prod', { auth: false })).status).toBe(404);
  });
});

describe('the local planes answer methods as the route table (and API Gateway) do', () => {
  it('answers HEAD /healthz 200 and POST /healthz with API Gateway\'s 404', async () => {
    const head = await platform.request('HEAD', '/healthz', { auth: false });
    expect(head.status).toBe(200);
    const post = await platform.request('POST', '/healthz', { auth: false });
    expect(post.status).toBe(404);
    expect(post.json).toEqual({ message: 'Not Found' });
  });
});

describe('X-Forwarded-For carries the client address once', () => {
  it('sends what API Gateway forwarded (the client address already appended), not the address twice', async () => {
    // As API Gateway hands the event over: X-Forwarded-For ends with the caller's address.
    const { host } = new URL(platform.runtimeUrls.prod);
    const event = (forwarded: string) => runtimeEvent({ host, path: '/forwarded/x', headers: { 'X-Forwarded-For': forwarded }, sourceIp: '198.51.100.4' });
    const context = lambdaContext(Date.now() + 20_000);
    const direct = await proxyHandler(event('198.51.100.4'), context);
    expect(JSON.parse(direct.body).headers['x-forwarded-for']).toBe('198.51.100.4');
    const chained = await proxyHandler(event('203.0.113.7, 198.51.100.4'), context);
    expect(JSON.parse(chained.body).headers['x-forwarded-for']).toBe('203.0.113.7, 198.51.100.4');
  });

  it('locally, appends the caller address as API Gateway does', async () => {
    const plain = await platform.proxy('GET', '/forwarded/x');
    expect(plain.json.headers['x-forwarded-for']).toBe('127.0.0.1');
    const chained = await platform.proxy('GET', '/forwarded/x', { headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(chained.json.headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
  });
});

describe('RFC 8414 metadata for an issuer with a path', () => {
  it('serves an issuer with a path at the well-known URI followed by that path, and its metadata names it', async () => {
    await platform.close();
    closed = true;
    withPath = await startPlatform({ TOLLGATE_ISSUER: 'https://gateway.example.com/tollgate' });
    const metadata = await withPath.request('GET', '/.well-known/oauth-authorization-server/tollgate', { auth: false });
    expect(metadata.status).toBe(200);
    expect(metadata.json).toMatchObject({ issuer: 'https://gateway.example.com/tollgate', token_endpoint: 'https://gateway.example.com/tollgate/oauth/token' });
    expect((await withPath.request('GET', '/.well-known/oauth-authorization-server', { auth: false })).status).toBe(404);
    expect((await withPath.request('GET', '/.well-known/oauth-authorization-server/other', { auth: false })).status).toBe(404);
  });
});
