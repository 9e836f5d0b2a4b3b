// RFC 8414 discovery where section 3.1 puts it, also for an issuer with a
// path (and nowhere else); methods answered as the route table says, as API
// Gateway does (HEAD /healthz 200, POST /healthz 404); X-Forwarded-For sent
// to a target with the client's address once, as API Gateway already added it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../support/backend.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { deployProxy, simpleProxy } from '../support/proxies.js';

let platform: TestPlatform;
let withPath: TestPlatform;
let backend: Backend;

beforeAll(async () => {
  platform = await startPlatform();
  backend = await startBackend();
  await deployProxy(platform, simpleProxy('forwarded', '/forwarded', backend.url));
});
afterAll(async () => {
  await platform.close();
  await withPath?.close();
  await backend.close();
});

describe('RFC 8414 metadata where section 3.1 puts it, for an issuer with and without a path', () => {
  it('serves the path-less issuer at /.well-known/oauth-authorization-server only', async () => {
    const metadata = await platform.request('GET', '/.well-known/oauth-authorization-server', { auth: false });
    expect(metadata.status).toBe(200);
    expect(metadata.json.issuer).toBe(platform.url);
    expect((await platform.request('GET', '/.well-known/oauth-authorization-server/prod', { auth: false })).status).toBe(404);
  });

  it('serves an issuer with a path at the well-known URI followed by that path, and its metadata names it', async () => {
    await platform.close();
    withPath = await startPlatform({ TOLLGATE_ISSUER: 'https://gateway.example.com/tollgate' });
    const metadata = await withPath.request('GET', '/.well-known/oauth-authorization-server/tollgate', { auth: false });
    expect(metadata.status).toBe(200);
    expect(metadata.json).toMatchObject({ issuer: 'https://gateway.example.com/tollgate', token_endpoint: 'https://gateway.example.com/tollgate/oauth/token' });
    expect((await withPath.request('GET', '/.well-known/oauth-authorization-server', { auth: false })).status).toBe(404);
    expect((await withPath.request('GET', '/.well-known/oauth-authorization-server/other', { auth: false })).status).toBe(404);
    platform = await startPlatform();
    await deployProxy(platform, simpleProxy('forwarded', '/forwarded', backend.url));
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
  it('appends the client address as API Gateway does, and the proxy does not repeat it', async () => {
    const plain = await platform.proxy('GET', '/forwarded/x');
    expect(plain.json.headers['x-forwarded-for']).toBe('127.0.0.1');
    const chained = await platform.proxy('GET', '/forwarded/x', { headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(chained.json.headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
  });
});
