// The local server must build the same API Gateway (REST v1) events AWS does,
// and write proxy results back faithfully.
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestFromEvent } from '../../shared/http/request.js';
import { createLocalServer, type LambdaHandler } from '../../local/server.js';

let seen: APIGatewayProxyEvent | undefined;
let reply: APIGatewayProxyResult = { statusCode: 200, body: '' };
let remaining = 0;
const capture: LambdaHandler = async (event, context) => {
  seen = event;
  remaining = context.getRemainingTimeInMillis();
  return reply;
};
const server = createLocalServer({ handlers: { platform: capture, proxy: capture, token: capture, callback: capture, web: capture } });
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

  it('routes reserved prefixes to the platform function with resource paths', async () => {
    await fetch(`${base}/v1/organizations/acme/apis`);
    expect(seen!.resource).toBe('/v1/{proxy+}');
    expect(seen!.requestContext.path).toBe('/local/v1/organizations/acme/apis');
    expect(requestFromEvent(seen!).path).toBe('/v1/organizations/acme/apis');
    await fetch(`${base}/healthz`);
    expect(seen!.resource).toBe('/healthz');
    expect(seen!.pathParameters).toBeNull();
  });

  it('gives the handler a Lambda-like context', async () => {
    await fetch(`${base}/x`);
    expect(remaining).toBeGreaterThan(28_000);
    expect(seen!.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen!.requestContext.identity.sourceIp).toBe('127.0.0.1');
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
    const small = createLocalServer({ handlers: { platform: capture, proxy: capture, token: capture, callback: capture, web: capture }, maxBodyBytes: 10 });
    await new Promise<void>((resolve) => small.listen(0, '127.0.0.1', resolve));
    const response = await fetch(`http://127.0.0.1:${(small.address() as AddressInfo).port}/x`, {
      method: 'POST',
      body: 'x'.repeat(100),
    });
    expect(response.status).toBe(413);
    await new Promise<void>((resolve) => small.close(() => resolve()));
  });
});
