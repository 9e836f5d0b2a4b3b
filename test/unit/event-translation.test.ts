// The local server must build the same API Gateway (REST v1) events AWS does,
// and write proxy results back faithfully.
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestFromEvent } from '../../shared/http/request.js';
import { PLATFORM_ROUTES, RUNTIME_ROUTES } from '../../shared/http/api-routes.js';
import { createLocalServer, type LambdaHandler } from '../../local/server.js';

// One server with both planes' routes: what matters here is the event, not the plane.
const routes = [...PLATFORM_ROUTES, ...RUNTIME_ROUTES];

let seen: APIGatewayProxyEvent | undefined;
let reply: APIGatewayProxyResult = { statusCode: 200, body: '' };
let remaining = 0;
const capture: LambdaHandler = async (event, context) => {
  seen = event;
  remaining = context.getRemainingTimeInMillis();
  return reply;
};
const server = createLocalServer({ routes, handlers: { platform: capture, proxy: capture, token: capture, callback: capture, web: capture } });
let base = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('request -> API Gateway event', () => {
  it('keeps repeated and encoded query parameters', async () => {
    await fetch(`${base}/shop/items?tag=a&tag=b%20c&q=x%26y&empty=`);
    expect(seen!.resource).toBe('/{proxy+}');
    expect(seen!.pathParameters).toEqual({ proxy: 'shop/items' });
    expect(seen!.multiValueQueryStringParameters).toEqual({ tag: ['a', 'b c'], q: ['x&y'], empty: [''] });
    expect(seen!.queryStringParameters).toEqual({ tag: 'b c', q: 'x&y', empty: '' });
    const request = requestFromEvent(seen!);
    expect(request.query.getAll('tag')).toEqual(['a', 'b c']);
    expect(request.path).toBe('/shop/items');
  });

  it('has null query maps when there is no query string', async () => {
    await fetch(`${base}/shop`);
    expect(seen!.queryStringParameters).toBeNull();
    expect(seen!.multiValueQueryStringParameters).toBeNull();
  });

  it('keeps every value of a repeated header, and the client spelling of names', async () => {
    const { request } = await import('node:http');
    await new Promise<void>((resolve, reject) => {
      const req = request(`${base}/h`, { method: 'GET', headers: { 'X-Multi': ['one', 'two'], 'X-Case': 'v' } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
    expect(seen!.multiValueHeaders['X-Multi']).toEqual(['one', 'two']);
    expect(seen!.headers['X-Case']).toBe('v');
    const parsed = requestFromEvent(seen!);
    expect(parsed.multiHeaders['x-multi']).toEqual(['one', 'two']);
    expect(parsed.headers['x-multi']).toBe('one, two');
  });

  it('passes binary bodies base64-encoded and byte-exact', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 253, 254, 255, 0x80]);
    await fetch(`${base}/upload`, { method: 'POST', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
    expect(seen!.isBase64Encoded).toBe(true);
    expect(requestFromEvent(seen!).body.equals(bytes)).toBe(true);
  });

  it('routes platform paths to the platform functions with resource paths', async () => {
    await fetch(`${base}/v1/organizations/acme/apis`);
    expect(seen!.resource).toBe('/v1/{proxy+}');
    expect(seen!.requestContext.path).toBe('/local/v1/organizations/acme/apis');
    expect(requestFromEvent(seen!).path).toBe('/v1/organizations/acme/apis');
    await fetch(`${base}/healthz`);
    expect(seen!.resource).toBe('/healthz');
    expect(seen!.pathParameters).toBeNull();
  });

  it('a runtime stage routes every path to the proxy function with its environment in the stage variables', async () => {
    const seenBy: string[] = [];
    const record = (name: string): LambdaHandler => async (event) => {
      seenBy.push(`${name} ${event.resource} ${event.stageVariables?.environment}`);
      return { statusCode: 200, body: '' };
    };
    const runtime = createLocalServer({
      routes: RUNTIME_ROUTES,
      stage: 'test',
      stageVariables: { environment: 'test' },
      handlers: { platform: record('platform'), proxy: record('proxy'), token: record('token'), callback: record('callback'), web: record('web') },
    });
    await new Promise<void>((resolve) => runtime.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(runtime.address() as AddressInfo).port}`;
    for (const path of ['/v1/organizations/acme', '/oauth/token', '/elements/api-v2/x', '/healthz', '/']) await fetch(url + path);
    expect(seenBy).toEqual([...Array(4).fill('proxy /{proxy+} test'), 'proxy / test']);
    await new Promise<void>((resolve) => runtime.close(() => resolve()));
  });

  it('gives the handler a Lambda-like context', async () => {
    await fetch(`${base}/x`);
    expect(remaining).toBeGreaterThan(28_000);
    expect(seen!.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen!.requestContext.identity.sourceIp).toBe('127.0.0.1');
  });
});

describe('the HTTP API (payload format 1.0) event of the platform plane', () => {
  it('gives the handlers the same request as the REST API event: path without stage, headers, query, base64 body', () => {
    // The shape API Gateway documents for HTTP APIs with payload format 1.0 on the $default stage.
    const event = {
      version: '1.0',
      resource: '/v1/{proxy+}',
      path: '/v1/organizations/acme/apis',
      httpMethod: 'POST',
      headers: { Authorization: 'Basic eA==', 'Content-Type': 'application/octet-stream' },
      multiValueHeaders: { Authorization: ['Basic eA=='], 'Content-Type': ['application/octet-stream'] },
      queryStringParameters: { action: 'import', name: 'x' },
      multiValueQueryStringParameters: { action: ['import'], name: ['x'] },
      requestContext: { stage: '$default', requestId: 'id', requestTimeEpoch: 1, identity: { sourceIp: '203.0.113.9' }, routeKey: 'ANY /v1/{proxy+}' },
      pathParameters: { proxy: 'organizations/acme/apis' },
      stageVariables: null,
      body: Buffer.from([0, 255]).toString('base64'),
      isBase64Encoded: true,
    } as unknown as APIGatewayProxyEvent;
    const request = requestFromEvent(event);
    expect(request).toMatchObject({ method: 'POST', path: '/v1/organizations/acme/apis', sourceIp: '203.0.113.9' });
    expect(request.headers.authorization).toBe('Basic eA==');
    expect(request.query.get('action')).toBe('import');
    expect(request.body.equals(Buffer.from([0, 255]))).toBe(true);
  });
});

describe('proxy result -> response', () => {
  it('writes multi-value headers', async () => {
    reply = { statusCode: 201, headers: { 'x-one': '1' }, multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'] }, body: 'hi' };
    const response = await fetch(`${base}/x`);
    expect(response.status).toBe(201);
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(response.headers.get('x-one')).toBe('1');
    expect(await response.text()).toBe('hi');
  });

  it('decodes base64 bodies', async () => {
    const bytes = Buffer.from([255, 0, 128, 7]);
    reply = { statusCode: 200, body: bytes.toString('base64'), isBase64Encoded: true };
    const response = await fetch(`${base}/x`);
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('answers 502 like API Gateway when the function throws', async () => {
    const failing = createLocalServer({
      routes,
      handlers: {
        platform: async () => {
          throw new Error('boom');
        },
        proxy: async () => {
          throw new Error('boom');
        },
        token: async () => {
          throw new Error('boom');
        },
        callback: async () => {
          throw new Error('boom');
        },
        web: async () => {
          throw new Error('boom');
        },
      },
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    const response = await fetch(`http://127.0.0.1:${(failing.address() as AddressInfo).port}/x`);
    expect(response.status).toBe(502);
    expect(await response.text()).not.toContain('boom');
    await new Promise<void>((resolve) => failing.close(() => resolve()));
  });

  it('refuses bodies over the API Gateway limit with 413', async () => {
    const small = createLocalServer({ routes, handlers: { platform: capture, proxy: capture, token: capture, callback: capture, web: capture }, maxBodyBytes: 10 });
    await new Promise<void>((resolve) => small.listen(0, '127.0.0.1', resolve));
    const response = await fetch(`http://127.0.0.1:${(small.address() as AddressInfo).port}/x`, {
      method: 'POST',
      body: 'x'.repeat(100),
    });
    expect(response.status).toBe(413);
    await new Promise<void>((resolve) => small.close(() => resolve()));
  });
});
