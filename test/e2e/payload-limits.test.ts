// Size and time limits are Tollgate's, answered in each plane's own error
// shape: a request body over what a Lambda invocation carries (413 platform
// JSON, 413 Apigee TooBigBody on the runtime), headers over the parser's limit
// (431, same shapes), a target response over what a Lambda result carries
// (502 ResponseTooLarge), and a target slower than the function's remaining
// time (Tollgate's 504 GatewayTimeout, before the function times out).
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as proxyHandler } from '../../functions/proxy/handler.js';
import { startBackend, type Backend } from '../support/backend.js';
import { lambdaContext, runtimeEvent } from '../support/lambda-events.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { deployProxy, simpleProxy } from '../support/proxies.js';

let platform: TestPlatform;
let backend: Backend;

beforeAll(async () => {
  platform = await startPlatform();
  backend = await startBackend(async (request, res) => {
    if (request.url.endsWith('/huge')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.alloc(5 * 1024 * 1024, 1));
      return;
    }
    if (request.url.endsWith('/slow')) await new Promise((resolve) => setTimeout(resolve, 4_000));
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  await deployProxy(platform, simpleProxy('limits', '/limits', backend.url));
  const callout = { name: 'slow-callout', type: 'ServiceCallout', config: { url: `${backend.url}/slow`, response: 'calloutResponse' } };
  await deployProxy(platform, simpleProxy('limits-callout', '/limits-callout', backend.url, [callout], ['slow-callout']));
});
afterAll(async () => {
  await platform.close();
  await backend.close();
});

/** Over 4 MiB: base64-encoded in a Lambda event it would pass Lambda's 6 MB invocation limit. */
const over = Buffer.alloc(4 * 1024 * 1024 + 1, 0x61);
const overGateway = Buffer.alloc(11 * 1024 * 1024, 0x61);

/** A raw request (fetch refuses some of what this sends). */
function raw(base: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, method: body ? 'POST' : 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = text;
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    // The server may answer and close before the whole body is sent.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    req.end(body);
  });
}

describe('oversized requests and headers get the standard error shape of their plane', () => {
  it.each([
    ['a body over what a Lambda invocation carries', over],
    ['a body over API Gateway\'s payload limit', overGateway],
  ])('platform: %s is 413 platform JSON', async (_what, body) => {
    const answer = await raw(platform.url, '/v1/organizations/default/apis?action=import&name=big', { 'content-type': 'application/octet-stream', authorization: platform.auth }, body);
    expect(answer.status).toBe(413);
    expect(answer.json.error.code).toBe('payload_too_large');
    expect(typeof answer.json.requestId).toBe('string');
  });

  it.each([
    ['a body over what a Lambda invocation carries', over],
    ['a body over API Gateway\'s payload limit', overGateway],
  ])('runtime: %s is 413 Apigee TooBigBody', async (_what, body) => {
    const answer = await raw(platform.runtimeUrls.prod, '/limits/upload', { 'content-type': 'application/octet-stream' }, body);
    expect(answer.status).toBe(413);
    expect(answer.json.fault.detail.errorcode).toBe('protocol.http.TooBigBody');
  });

  it('headers over the limit are 431 in each plane\'s shape', async () => {
    const headers = { 'x-big': 'h'.repeat(20_000) };
    const platformAnswer = await raw(platform.url, '/healthz', headers);
    expect(platformAnswer.status).toBe(431);
    expect(platformAnswer.json.error.code).toBe('request_header_fields_too_large');
    const runtimeAnswer = await raw(platform.runtimeUrls.prod, '/limits', headers);
    expect(runtimeAnswer.status).toBe(431);
    expect(runtimeAnswer.json.fault.detail.errorcode).toBe('request_header_fields_too_large');
  });
});

describe('the proxy answers what Lambda and API Gateway would otherwise answer for it', () => {
  it('a target response over what a Lambda result carries is Apigee ResponseTooLarge (502)', async () => {
    const answer = await platform.proxy('GET', '/limits/huge');
    expect(answer.status).toBe(502);
    expect(answer.json.fault.detail.errorcode).toBe('protocol.http.TooBigBody');
  });

  it("a target slower than the function's remaining time is Tollgate's 504 GatewayTimeout, in time", async () => {
    const { host } = new URL(platform.runtimeUrls.prod);
    const deadline = Date.now() + 2_500;
    const result = await proxyHandler(runtimeEvent({ host, path: '/limits/slow' }), lambdaContext(deadline));
    expect(result.statusCode).toBe(504);
    expect(JSON.parse(result.body).fault.detail.errorcode).toBe('messaging.adaptors.http.flow.GatewayTimeout');
    // Answered before the function's time ran out, not by its timeout.
    expect(Date.now()).toBeLessThan(deadline);
  });

  it("a ServiceCallout slower than the function's remaining time ends in time too", async () => {
    const { host } = new URL(platform.runtimeUrls.prod);
    const deadline = Date.now() + 2_500;
    const result = await proxyHandler(runtimeEvent({ host, path: '/limits-callout' }), lambdaContext(deadline));
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body).fault.detail.errorcode).toBe('steps.servicecallout.ExecutionFailed');
    expect(Date.now()).toBeLessThan(deadline);
  });
});
