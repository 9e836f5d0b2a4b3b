// ServiceCallout: a request built with AssignMessage's actions or taken from
// a variable, sent through the real outbound client (SSRF guard, timeout) to
// a loopback server, the response kept as a message; error statuses,
// unreachable and blocked targets as Apigee's ExecutionFailed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceCallout } from '../../../shared/gateway/policies/service-callout.js';
import { startBackend, type Backend } from '../../support/backend.js';
import { exchangeFor, LoopbackHttp, runPolicy, xmlProblems, xmlRoundTrip } from '../../support/policy-context.js';

let backend: Backend;
beforeAll(async () => {
  backend = await startBackend((request, res) => {
    const status = Number(new URL(request.url, 'http://x').searchParams.get('status') ?? 200);
    res.writeHead(status, { 'content-type': 'application/json', 'x-seen': request.headers['x-token'] ?? '' });
    res.end(JSON.stringify({ method: request.method, url: request.url, body: request.body.toString() }));
  });
});
afterAll(() => backend.close());

describe('ServiceCallout XML', () => {
  it('reads the request actions, the response variable, the timeout and the connection', () => {
    const config = xmlRoundTrip(
      serviceCallout,
      `<Request clearPayload="true" variable="myRequest"><IgnoreUnresolvedVariables>false</IgnoreUnresolvedVariables><Set><Verb>POST</Verb><Headers><Header name="x-token">{t}</Header></Headers><Payload contentType="application/json">{"a":1}</Payload></Set></Request>
       <Response>calloutResponse</Response><Timeout>3000</Timeout><HTTPTargetConnection><Properties><Property name="success.codes">1xx,2xx,3xx,404</Property></Properties><URL>http://svc.example/api/{id}</URL></HTTPTargetConnection>`,
    );
    expect(config).toMatchObject({ request: { variable: 'myRequest', clearPayload: true }, response: 'calloutResponse', timeoutMs: 3000, url: 'http://svc.example/api/{id}' });
    expect(serviceCallout.references!(config)).toEqual({ urls: [] });
    expect(xmlProblems(serviceCallout, '<LocalTargetConnection><APIProxy>other</APIProxy></LocalTargetConnection>')).toContain('/ServiceCallout/LocalTargetConnection unsupported');
  });
});

describe('ServiceCallout execute', () => {
  it('sends the request it built and keeps the response as a message', async () => {
    const exchange = exchangeFor({ query: { id: '42' } });
    exchange.set('token', 'tok-1');
    const http = new LoopbackHttp();
    const config = {
      url: `${backend.url}/items/{request.queryparam.id}`,
      response: 'calloutResponse',
      request: { variable: 'calloutRequest', actions: [{ set: { verb: 'POST', headers: [{ name: 'x-token', value: '{token}' }], queryParams: [{ name: 'q', value: 'v' }], payload: { content: 'hello', contentType: 'text/plain' } } }] },
    };
    const { fault } = await runPolicy(serviceCallout, config, { exchange, services: { http }, name: 'SC-1' });
    expect(fault).toBeUndefined();
    expect(JSON.parse(String(exchange.get('calloutResponse.content')))).toEqual({ method: 'POST', url: '/items/42?q=v', body: 'hello' });
    expect(exchange.get('calloutResponse.status.code')).toBe(200);
    expect(exchange.get('calloutResponse.header.x-seen')).toBe('tok-1');
    expect(exchange.get('servicecallout.SC-1.target.url')).toBe(`${backend.url}/items/42?q=v`);
  });

  it("faults with Apigee's ExecutionFailed on an error status unless success.codes lists it", async () => {
    const http = new LoopbackHttp();
    const failed = await runPolicy(serviceCallout, { url: `${backend.url}/x?status=404`, response: 'r' }, { services: { http } });
    expect(failed.fault).toMatchObject({ status: 500, errorCode: 'steps.servicecallout.ExecutionFailed' });
    expect(failed.fault!.message).toContain('ResponseCode 404 is treated as error');
    expect(failed.exchange.get('r.status.code')).toBe(404);
    const listed = await runPolicy(serviceCallout, { url: `${backend.url}/x?status=404`, response: 'r', properties: { 'success.codes': '2xx,404' } }, { services: { http } });
    expect(listed.fault).toBeUndefined();
  });

  it('refuses blocked addresses, other schemes and unreachable services', async () => {
    const outcomes = await Promise.all(
      ['http://169.254.169.254/latest', 'file:///etc/passwd', 'http://127.0.0.1:1/x'].map(async (url) => (await runPolicy(serviceCallout, { url }, { services: { http: new LoopbackHttp() } })).fault?.message),
    );
    expect(outcomes[0]).toContain('169.254.169.254 is not allowed');
    expect(outcomes[1]).toContain('scheme file: is not allowed');
    expect(outcomes[2]).toContain('unreachable');
    const strict = await runPolicy(serviceCallout, { url: `${backend.url}/x` }, { services: { http: new LoopbackHttp(false) } });
    expect(strict.fault?.message).toContain('loopback address 127.0.0.1 is not allowed');
  });
});
