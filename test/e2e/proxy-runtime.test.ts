// The proxy runtime over HTTP: management API -> deployment -> requests through
// the local server to loopback backends.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../support/backend.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { deployProxy, simpleProxy } from '../support/proxies.js';

let platform: TestPlatform;
let backend: Backend;

beforeAll(async () => {
  platform = await startPlatform();
  backend = await startBackend(async (request, res) => {
    if (request.url.includes('/slow')) {
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
    const status = /\/status\/(\d{3})/.exec(request.url);
    if (status) {
      res.writeHead(Number(status[1]), { 'content-type': 'application/json' });
      res.end(JSON.stringify({ backend: 'error', status: Number(status[1]) }));
      return;
    }
    if (request.url.includes('/binary')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.concat([Buffer.from([0, 255, 1, 254]), request.body]));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-backend': 'yes' });
    res.end(JSON.stringify({ method: request.method, url: request.url, headers: request.headers, body: request.body.toString('utf8') }));
  });
});
afterAll(async () => {
  await platform.close();
  await backend.close();
});

const get = (path: string, headers: Record<string, string> = {}) => platform.proxy('GET', path, { headers });

describe('passthrough proxy', () => {
  beforeAll(async () => {
    await deployProxy(platform, simpleProxy('echo', '/echo', `${backend.url}/base`));
  });

  it('forwards method, path suffix, query, headers and body', async () => {
    // node:http rather than fetch: fetch refuses to send a custom Connection header.
    const { status, headers, body } = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const req = httpRequest(
        `${platform.runtimeUrls.prod}/echo/items/7?q=a%20b&q=c`,
        {
          method: 'POST',
          headers: { 'content-type': 'text/plain', 'x-custom': 'v', connection: 'keep-alive, x-custom-hop', 'x-custom-hop': 'drop' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('error', reject);
      req.end('hello');
    });
    expect(status).toBe(200);
    expect(headers['x-backend']).toBe('yes');
    const seen = JSON.parse(body);
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/base/items/7?q=a+b&q=c');
    expect(seen.body).toBe('hello');
    expect(seen.headers['x-custom']).toBe('v');
    expect(seen.headers['x-custom-hop']).toBeUndefined();
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBeDefined();
    expect(seen.headers.host).toBe(`127.0.0.1:${backend.port}`);
  });

  it('keeps binary bodies byte-exact both ways', async () => {
    const payload = Buffer.from([9, 0, 200, 255, 128]);
    const response = await platform.proxy('POST', '/echo/binary', {
      auth: false,
      headers: { 'content-type': 'application/octet-stream' },
      body: payload,
    });
    expect(response.bytes.equals(Buffer.concat([Buffer.from([0, 255, 1, 254]), payload]))).toBe(true);
  });

  it('passes a backend error status and body through unchanged', async () => {
    const response = await get('/echo/status/502');
    expect(response.status).toBe(502);
    expect(response.json).toEqual({ backend: 'error', status: 502 });
  });

  it('answers unknown base paths with an Apigee fault', async () => {
    const response = await get('/nope');
    expect(response.status).toBe(404);
    expect(response.json.fault.detail.errorcode).toBe('messaging.adaptors.http.flow.ApplicationNotFound');
  });
});

describe('target failures', () => {
  it('answers 503 when the backend is unreachable and 504 when it is too slow', async () => {
    const closed = await startBackend();
    const deadUrl = closed.url;
    await closed.close();
    await deployProxy(platform, simpleProxy('dead', '/dead', deadUrl));
    const unreachable = await get('/dead/x');
    expect(unreachable.status).toBe(503);
    expect(unreachable.json.fault.detail.errorcode).toBe('messaging.adaptors.http.flow.ServiceUnavailable');

    await deployProxy(platform, {
      ...simpleProxy('slow', '/slow', backend.url),
      targetEndpoints: [{ name: 'default', connection: { url: backend.url, readTimeoutMs: 300 } }],
    });
    const slow = await get('/slow/slow');
    expect(slow.status).toBe(504);
    expect(slow.json.fault.detail.errorcode).toBe('messaging.adaptors.http.flow.GatewayTimeout');
  });
});

describe('validation on create', () => {
  it('names every problem with its place', async () => {
    const response = await platform.request('POST', '/v1/organizations/default/apis', {
      json: {
        name: 'broken',
        policies: [
          { name: 'spike', type: 'SpikeArrest', config: { rate: 'fast' } },
          { name: 'java', type: 'JavaCallout', config: {} },
        ],
        proxyEndpoints: [
          {
            basePath: '/broken',
            preFlow: { request: [{ name: 'missing' }], response: [] },
            flows: [{ name: 'f', condition: 'request.verb = ', request: [], response: [] }],
          },
        ],
        targetEndpoints: [{ connection: { url: backend.url } }],
      },
    });
    expect(response.status).toBe(422);
    const paths = response.json.error.fields.map((f: { path: string }) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'policies.0.config.rate',
        'policies.1.type',
        'proxyEndpoints.0.preFlow.request.0.name',
        'proxyEndpoints.0.flows.0.condition',
      ]),
    );
  });

  it('takes base paths that are platform paths on the other plane: the runtime reserves none', async () => {
    await deployProxy(platform, simpleProxy('token-lookalike', '/oauth/token', `${backend.url}/base`));
    expect((await get('/oauth/token/x')).status).toBe(200);
    // The platform's own token endpoint is untouched.
    expect((await platform.request('POST', '/oauth/token', { auth: false })).json.error).toBe('invalid_client');
  });

  it('refuses malformed JSON and wrong media types', async () => {
    const malformed = await platform.request('POST', '/v1/organizations/default/apis', { body: '{', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    const wrongType = await platform.request('POST', '/v1/organizations/default/apis', { body: 'x', headers: { 'content-type': 'text/plain' } });
    expect(wrongType.status).toBe(415);
  });
});

describe('revisions and deployments', () => {
  it('serves the deployed revision, switches on redeploy, and stops on undeploy', async () => {
    const v1 = await deployProxy(platform, {
      name: 'versioned',
      policies: [{ name: 'answer', type: 'AssignMessage', config: { set: { payload: { contentType: 'text/plain', content: 'v1' } } } }],
      proxyEndpoints: [{ basePath: '/versioned', preFlow: { request: [], response: [{ name: 'answer' }] } }],
    });
    expect((await get('/versioned')).text).toBe('v1');
    const v2 = await deployProxy(platform, {
      name: 'versioned',
      policies: [{ name: 'answer', type: 'AssignMessage', config: { set: { payload: { contentType: 'text/plain', content: 'v2' } } } }],
      proxyEndpoints: [{ basePath: '/versioned', preFlow: { request: [], response: [{ name: 'answer' }] } }],
    });
    expect(v2.revision).toBe(v1.revision + 1);
    expect((await get('/versioned')).text).toBe('v2');

    const undeploy = await platform.request('DELETE', `/v1/organizations/default/environments/prod/apis/versioned/revisions/${v2.revision}/deployments`);
    expect(undeploy.status).toBe(200);
    expect((await get('/versioned')).status).toBe(404);

    const revisions = await platform.request('GET', '/v1/organizations/default/apis/versioned/revisions');
    expect(revisions.json).toEqual(['1', '2']);
    const deleted = await platform.request('DELETE', '/v1/organizations/default/apis/versioned');
    expect(deleted.status).toBe(200);
    expect((await platform.request('GET', '/v1/organizations/default/apis/versioned')).status).toBe(404);
  });

  it('refuses to delete a deployed proxy and a base path another deployment owns', async () => {
    await deployProxy(platform, simpleProxy('owner', '/owned', backend.url));
    expect((await platform.request('DELETE', '/v1/organizations/default/apis/owner')).status).toBe(409);

    const other = await platform.addOrganization('other');
    const created = await platform.request('POST', '/v1/organizations/other/apis', { json: simpleProxy('thief', '/owned', backend.url), auth: other });
    expect(created.status).toBe(201);
    const conflict = await platform.request('POST', '/v1/organizations/other/environments/prod/apis/thief/revisions/1/deployments', { auth: other });
    expect(conflict.status).toBe(409);
    expect(conflict.text).not.toContain('default');
  });

  it('keeps another organization\'s proxies invisible', async () => {
    const other = await platform.addOrganization('other2');
    expect((await platform.request('GET', '/v1/organizations/other2/apis', { auth: other })).json).toEqual([]);
    expect((await platform.request('GET', '/v1/organizations/default/apis/owner', { auth: other })).status).toBe(403);
  });

  it('lists deployments per environment and per proxy', async () => {
    const env = await platform.request('GET', '/v1/organizations/default/environments/prod/deployments');
    expect(env.json.aPIProxy.map((p: { name: string }) => p.name)).toContain('owner');
    const perApi = await platform.request('GET', '/v1/organizations/default/apis/owner/deployments');
    expect(perApi.json.environment[0].name).toBe('prod');
    expect((await platform.request('POST', '/v1/organizations/default/environments/nope/apis/owner/revisions/1/deployments')).status).toBe(404);
  });
});
