// Each policy at work in a deployed proxy, checked over HTTP.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../support/backend.js';
import type { TestPlatform } from '../support/platform.js';
import { deployProxy, quotaProxy, simpleProxy } from '../support/proxies.js';
import { usePlatformAndBackend } from '../support/suite.js';

let platform: TestPlatform;
let backend: Backend;

usePlatformAndBackend((started) => ({ platform, backend } = started));

/** A call to a deployed proxy (the prod runtime). */
const call = (method: string, path: string, options: { headers?: Record<string, string>; body?: string } = {}) => platform.proxy(method, path, options);

describe('SpikeArrest', () => {
  it('admits one request per interval and answers 429 with the Apigee fault past the rate', async () => {
    await deployProxy(
      platform,
      simpleProxy('spiky', '/spiky', backend.url, [{ name: 'spike', type: 'SpikeArrest', config: { rate: '6pm' } }], ['spike']),
    );
    expect((await call('GET', '/spiky/a')).status).toBe(200);
    const limited = await call('GET', '/spiky/b');
    expect(limited.status).toBe(429);
    expect(limited.json.fault.detail.errorcode).toBe('policies.ratelimit.SpikeArrestViolation');
  });

  it('keeps separate counts per identifier and honours useEffectiveCount bursts', async () => {
    await deployProxy(
      platform,
      simpleProxy(
        'spiky2',
        '/spiky2',
        backend.url,
        [{ name: 'spike', type: 'SpikeArrest', config: { rate: '3pm', useEffectiveCount: true, identifier: { ref: 'request.header.x-client' } } }],
        ['spike'],
      ),
    );
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call('GET', '/spiky2', { headers: { 'x-client': 'a' } })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await call('GET', '/spiky2', { headers: { 'x-client': 'b' } })).status).toBe(200);
  });
});

describe('Quota', () => {
  it('lets exactly the allowed count through under 1,000 concurrent requests', async () => {
    await deployProxy(platform, quotaProxy('quota', 300));
    const responses = await Promise.all(Array.from({ length: 1000 }, () => call('GET', '/quota')));
    const passed = responses.filter((r) => r.status === 200).length;
    const limited = responses.filter((r) => r.status === 429);
    expect(passed).toBe(300);
    expect(limited).toHaveLength(700);
    expect(limited[0]!.json.fault.detail.errorcode).toBe('policies.ratelimit.QuotaViolation');
    expect(limited[0]!.headers.get('retry-after')).toMatch(/^\d+$/);
  }, 120_000);

  it('counts per identifier and exposes the quota variables', async () => {
    await deployProxy(platform, {
      name: 'quota2',
      policies: [
        { name: 'q', type: 'Quota', config: { allow: 2, timeUnit: 'minute', identifier: { ref: 'request.queryparam.user' } } },
        {
          name: 'report',
          type: 'AssignMessage',
          config: { set: { headers: [{ name: 'x-remaining', value: '{ratelimit.q.available.count}' }], payload: { content: 'ok' } } },
        },
      ],
      proxyEndpoints: [{ basePath: '/quota2', preFlow: { request: [{ name: 'q' }], response: [{ name: 'report' }] } }],
    });
    expect((await call('GET', '/quota2?user=a')).headers.get('x-remaining')).toBe('1');
    expect((await call('GET', '/quota2?user=a')).headers.get('x-remaining')).toBe('0');
    expect((await call('GET', '/quota2?user=a')).status).toBe(429);
    expect((await call('GET', '/quota2?user=b')).status).toBe(200);
  });
});

describe('AssignMessage and ExtractVariables', () => {
  it('extracts from path, query, header and JSON, and builds the response from templates', async () => {
    await deployProxy(platform, {
      name: 'extract',
      policies: [
        {
          name: 'ev',
          type: 'ExtractVariables',
          config: {
            variablePrefix: 'in',
            uriPath: [{ pattern: '/accounts/{account}/items/{item}' }],
            queryParams: [{ name: 'code', patterns: [{ pattern: 'c-{code}' }] }],
            headers: [{ name: 'Authorization', patterns: [{ pattern: 'Bearer {token}' }] }],
            jsonPayload: [{ name: 'city', jsonPath: '$.address.city' }, { name: 'firstTag', jsonPath: '$.tags[0]' }],
          },
        },
        {
          name: 'answer',
          type: 'AssignMessage',
          config: {
            assignVariables: [{ name: 'greeting', template: 'hello {in.city}' }],
            remove: { headers: ['x-secret'] },
            set: {
              statusCode: 201,
              headers: [{ name: 'x-item', value: '{in.item}' }],
              payload: {
                contentType: 'application/json',
                content: '{"account":"@in.account#","code":"@in.code#","token":"@in.token#","tag":"@in.firstTag#","greeting":"@greeting#","verb":"@request.verb#"}',
                variablePrefix: '@',
                variableSuffix: '#',
              },
            },
          },
        },
      ],
      proxyEndpoints: [{ basePath: '/extract', preFlow: { request: [{ name: 'ev' }], response: [{ name: 'answer' }] } }],
    });
    const response = await call('POST', '/extract/accounts/42/items/7?code=c-xyz', {
      headers: { authorization: 'Bearer abc', 'content-type': 'application/json' },
      body: JSON.stringify({ address: { city: 'Lyon' }, tags: ['t1', 't2'] }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-item')).toBe('7');
    expect(response.json).toEqual({ account: '42', code: 'xyz', token: 'abc', tag: 't1', greeting: 'hello Lyon', verb: 'POST' });
  });

  it('changes the request before the target: set, add, remove headers and query parameters', async () => {
    await deployProxy(
      platform,
      simpleProxy(
        'rewrite',
        '/rewrite',
        backend.url,
        [
          {
            name: 'am',
            type: 'AssignMessage',
            config: {
              actions: [
                { remove: { headers: ['x-drop'], queryParams: ['secret'] } },
                { add: { headers: [{ name: 'x-added', value: 'client {client.ip}' }], queryParams: [{ name: 'added', value: '1' }] } },
                { set: { verb: 'PUT', headers: [{ name: 'x-replaced', value: 'new' }] } },
              ],
            },
          },
        ],
        ['am'],
      ),
    );
    const response = await call('GET', '/rewrite/p?secret=s&keep=k', { headers: { 'x-drop': '1', 'x-replaced': 'old' } });
    const seen = response.json;
    expect(seen.method).toBe('PUT');
    expect(seen.url).toBe('/p?keep=k&added=1');
    expect(seen.headers['x-drop']).toBeUndefined();
    expect(seen.headers['x-added']).toBe('client 127.0.0.1');
    expect(seen.headers['x-replaced']).toBe('new');
  });
});

describe('conditional flows, RaiseFault and fault rules', () => {
  beforeAll(async () => {
    await deployProxy(platform, {
      name: 'faults',
      policies: [
        { name: 'not-found', type: 'RaiseFault', config: { faultResponse: { set: { statusCode: 404, payload: { contentType: 'application/json', content: '{"error":"no such thing"}' } } } } },
        { name: 'spike', type: 'SpikeArrest', config: { rate: '1pm' } },
        { name: 'friendly-429', type: 'AssignMessage', config: { set: { headers: [{ name: 'x-fault', value: '{fault.name}' }], payload: { contentType: 'application/json', content: '{"message":"slow down"}' } } } },
        { name: 'generic', type: 'AssignMessage', config: { set: { headers: [{ name: 'x-default-rule', value: 'yes' }] } } },
        { name: 'mark', type: 'AssignMessage', config: { set: { headers: [{ name: 'x-flow', value: '{current.flow.name}' }] } } },
      ],
      proxyEndpoints: [
        {
          basePath: '/faults',
          flows: [
            { name: 'missing', condition: 'proxy.pathsuffix MatchesPath "/missing/**"', request: [{ name: 'not-found' }], response: [] },
            { name: 'limited', condition: '(proxy.pathsuffix = "/limited") and (request.verb = "GET")', request: [{ name: 'spike' }], response: [{ name: 'mark' }] },
          ],
          faultRules: [{ name: 'rate', condition: 'fault.name = "SpikeArrestViolation"', steps: [{ name: 'friendly-429' }] }],
          defaultFaultRule: { name: 'all', alwaysEnforce: true, steps: [{ name: 'generic' }] },
        },
      ],
      targetEndpoints: [{ name: 'default', connection: { url: backend.url } }],
    });
  });

  it('RaiseFault answers with its own response', async () => {
    const response = await call('GET', '/faults/missing/a/b');
    expect(response.status).toBe(404);
    expect(response.json).toEqual({ error: 'no such thing' });
    // No FaultRule matched this fault, so the DefaultFaultRule ran and added its header.
    expect(response.headers.get('x-default-rule')).toBe('yes');
  });

  it('a matching FaultRule shapes the policy fault, and an AlwaysEnforce DefaultFaultRule runs too', async () => {
    const first = await call('GET', '/faults/limited');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-flow')).toBe('limited');
    const second = await call('GET', '/faults/limited');
    expect(second.status).toBe(429);
    expect(second.json).toEqual({ message: 'slow down' });
    expect(second.headers.get('x-fault')).toBe('SpikeArrestViolation');
    expect(second.headers.get('x-default-rule')).toBe('yes');
  });

  it('skips the flow whose condition does not match', async () => {
    const response = await call('POST', '/faults/limited');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-flow')).toBeNull();
  });
});

describe('PostClientFlow', () => {
  it('runs after the response is final and cannot change it', async () => {
    await deployProxy(platform, {
      name: 'postclient',
      policies: [
        { name: 'count', type: 'KeyValueMapOperations', config: { mapIdentifier: 'seen', scope: 'apiproxy', operations: [{ op: 'put', key: { parameters: [{ ref: 'request.queryparam.id' }] }, values: [{ value: 'yes' }], override: true }] } },
        { name: 'tamper', type: 'AssignMessage', config: { set: { statusCode: 500, payload: { content: 'tampered' } } } },
      ],
      proxyEndpoints: [{ basePath: '/postclient', postClientFlow: { request: [], response: [{ name: 'count' }, { name: 'tamper' }] } }],
      targetEndpoints: [{ name: 'default', connection: { url: backend.url } }],
    });
    const response = await call('GET', '/postclient?id=abc');
    expect(response.status).toBe(200);
    expect(response.json.url).toBe('/?id=abc');
    const entry = await platform.request('GET', '/v1/organizations/default/apis/postclient/keyvaluemaps/seen/entries/abc');
    expect(entry.json).toEqual({ name: 'abc', value: 'yes' });
  });
});

describe('CORS', () => {
  it('answers preflight itself and adds headers to actual responses', async () => {
    await deployProxy(
      platform,
      simpleProxy('cors', '/cors', backend.url, [{ name: 'cors', type: 'CORS', config: { allowOrigins: 'https://app.example.com', allowCredentials: true } }], ['cors']),
    );
    const before = backend.requests.length;
    const preflight = await call('OPTIONS', '/cors/x', {
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(backend.requests.length).toBe(before);

    const actual = await call('GET', '/cors/x', { headers: { origin: 'https://app.example.com' } });
    expect(actual.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const foreign = await call('GET', '/cors/x', { headers: { origin: 'https://evil.example' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('JSONThreatProtection', () => {
  it('refuses payloads beyond the limits and lets others through', async () => {
    await deployProxy(
      platform,
      simpleProxy(
        'jtp',
        '/jtp',
        backend.url,
        [{ name: 'jtp', type: 'JSONThreatProtection', config: { containerDepth: 3, arrayElementCount: 3, stringValueLength: 10, objectEntryCount: 3 } }],
        ['jtp'],
      ),
    );
    const json = { 'content-type': 'application/json' };
    expect((await call('POST', '/jtp', { headers: json, body: '{"a":[1,2,3],"b":"short"}' })).status).toBe(200);
    const deep = await call('POST', '/jtp', { headers: json, body: '{"a":{"b":{"c":{"d":1}}}}' });
    expect(deep.status).toBe(500);
    expect(deep.json.fault.detail.errorcode).toBe('steps.jsonthreatprotection.ExecutionFailed');
    expect((await call('POST', '/jtp', { headers: json, body: '[1,2,3,4]' })).status).toBe(500);
    expect((await call('POST', '/jtp', { headers: json, body: '{"s":"0123456789abc"}' })).status).toBe(500);
    expect((await call('POST', '/jtp', { headers: json, body: '{"a":1,"b":2,"c":3,"d":4}' })).status).toBe(500);
    expect((await call('POST', '/jtp', { headers: json, body: '{"a":' })).status).toBe(500);
    const bomb = '['.repeat(100_000) + ']'.repeat(100_000);
    expect((await call('POST', '/jtp', { headers: json, body: bomb })).status).toBe(500);
  });
});

describe('BasicAuthentication', () => {
  it('turns credentials sent in the body into a Basic header for the backend', async () => {
    await deployProxy(
      platform,
      simpleProxy(
        'basic',
        '/basic',
        backend.url,
        [
          { name: 'ev', type: 'ExtractVariables', config: { formParams: [{ name: 'client_id', patterns: [{ pattern: '{id}' }] }, { name: 'client_secret', patterns: [{ pattern: '{secret}' }] }] } },
          { name: 'encode', type: 'BasicAuthentication', config: { operation: 'Encode', user: { ref: 'id' }, password: { ref: 'secret' }, assignTo: { variable: 'request.header.Authorization' } } },
          { name: 'decode', type: 'BasicAuthentication', config: { operation: 'Decode', user: { ref: 'decoded.user' }, password: { ref: 'decoded.password' } } },
          { name: 'show', type: 'AssignMessage', config: { set: { headers: [{ name: 'x-decoded-user', value: '{decoded.user}' }] } } },
        ],
        ['ev', 'encode', 'decode', 'show'],
      ),
    );
    const response = await call('POST', '/basic', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'client_id=app&client_secret=s3cret',
    });
    expect(response.json.headers.authorization).toBe(`Basic ${Buffer.from('app:s3cret').toString('base64')}`);
    expect(response.json.headers['x-decoded-user']).toBe('app');
  });
});

describe('KeyValueMapOperations and encrypted maps', () => {
  it('masks encrypted values in the API and decrypts them in the policy', async () => {
    const create = await platform.request('POST', '/v1/organizations/default/environments/prod/keyvaluemaps', {
      json: { name: 'backend-creds', encrypted: true, entry: [{ name: 'apikey', value: 'k-123' }] },
    });
    expect(create.status).toBe(201);
    expect(create.json.entry).toEqual([{ name: 'apikey', value: '*****' }]);
    const entry = await platform.request('GET', '/v1/organizations/default/environments/prod/keyvaluemaps/backend-creds/entries/apikey');
    expect(entry.json).toEqual({ name: 'apikey', value: '*****' });
    expect(JSON.stringify(await platform.local.runtime.table.queryAll('ORG#default', { prefix: 'KVMENTRY#' }))).not.toContain('k-123');

    await deployProxy(
      platform,
      simpleProxy(
        'kvm',
        '/kvm',
        backend.url,
        [
          {
            name: 'get',
            type: 'KeyValueMapOperations',
            config: { mapIdentifier: 'backend-creds', scope: 'environment', operations: [{ op: 'get', key: { parameters: [{ value: 'apikey' }] }, assignTo: 'private.apikey' }] },
          },
          { name: 'use', type: 'AssignMessage', config: { set: { headers: [{ name: 'x-api-key', value: '{private.apikey}' }] } } },
        ],
        ['get', 'use'],
      ),
    );
    expect((await call('GET', '/kvm')).json.headers['x-api-key']).toBe('k-123');

    const update = await platform.request('PUT', '/v1/organizations/default/environments/prod/keyvaluemaps/backend-creds/entries/apikey', {
      json: { value: 'k-456' },
    });
    expect(update.json.value).toBe('*****');
    expect((await call('GET', '/kvm')).json.headers['x-api-key']).toBe('k-456');
  });

  it('pages entries and answers 409/404 as Apigee does', async () => {
    const base = '/v1/organizations/default/keyvaluemaps';
    await platform.request('POST', base, { json: { name: 'plain', entry: [{ name: 'a', value: '1' }, { name: 'b', value: '2' }, { name: 'c', value: '3' }] } });
    expect((await platform.request('POST', base, { json: { name: 'plain' } })).status).toBe(409);
    const first = await platform.request('GET', `${base}/plain/entries?pageSize=2`);
    expect(first.json.keyValueEntries).toEqual([{ name: 'a', value: '1' }, { name: 'b', value: '2' }]);
    const second = await platform.request('GET', `${base}/plain/entries?pageSize=2&pageToken=${first.json.nextPageToken}`);
    expect(second.json.keyValueEntries).toEqual([{ name: 'c', value: '3' }]);
    expect((await platform.request('POST', `${base}/plain/entries`, { json: { name: 'a', value: 'x' } })).status).toBe(409);
    expect((await platform.request('GET', `${base}/plain/entries/zzz`)).status).toBe(404);
    expect((await platform.request('DELETE', `${base}/plain/entries/a`)).status).toBe(200);
    expect((await platform.request('GET', `${base}/nope`)).status).toBe(404);
  });
});

describe('OpenConnectors policy (SAP scenario)', () => {
  it('sends User, Organization and Element to the Open Connectors provider', async () => {
    const provider = await platform.request('POST', '/v1/organizations/default/apiproviders', {
      json: { name: 'oc', type: 'OpenConnectors', url: `${backend.url}/elements/api-v2`, organizationSecret: 'org-s', userSecret: 'user-s' },
    });
    expect(provider.status).toBe(201);
    expect(provider.json.organizationSecret).toBe('*****');
    expect(provider.text).not.toContain('org-s');

    await deployProxy(platform, {
      name: 'WebOutlook',
      policies: [{ name: 'openconnectors', type: 'OpenConnectors', config: {} }],
      proxyEndpoints: [{ basePath: '/weboutlook' }],
      targetEndpoints: [{ name: 'default', connection: { provider: 'oc' }, postFlow: { request: [{ name: 'openconnectors' }], response: [] } }],
    });
    const kvm = await platform.request('POST', '/apiportal/api/1.0/Management.svc/KeyMapEntries', {
      json: {
        name: 'apim.oc.instance.token',
        scope: 'APIPROXY',
        scopeId: 'WebOutlook',
        isEncrypted: true,
        keyMapEntryValues: [{ name: 'default', map_name: 'apim.oc.instance.token', value: 'cNRU6TePQ388pmwesyGOJ4xCJWfnV80xe/Vx1ta/Vao=' }],
      },
    });
    expect(kvm.status).toBe(201);
    expect(kvm.json.keyMapEntryValues[0].value).toBe('*****');

    const response = await call('GET', '/weboutlook/messages?$top=5', { headers: { authorization: 'Bearer client-token' } });
    expect(response.status).toBe(200);
    expect(response.json.url).toBe('/elements/api-v2/messages?%24top=5');
    expect(response.json.headers.authorization).toBe('User user-s, Organization org-s, Element cNRU6TePQ388pmwesyGOJ4xCJWfnV80xe/Vx1ta/Vao=');
  });
});

describe('CloudIntegration provider', () => {
  it('fetches a client-credentials token once, caches it, and sends it to the target', async () => {
    let tokenCalls = 0;
    let seenBasic = '';
    const tokenServer = createServer((req, res) => {
      tokenCalls++;
      seenBasic = req.headers.authorization ?? '';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: 'cpi-token', token_type: 'bearer', expires_in: 3600 }));
    });
    await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
    const tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/oauth/token`;
    const provider = await platform.request('POST', '/v1/organizations/default/apiproviders', {
      json: {
        name: 'cpi',
        type: 'CloudIntegration',
        url: `${backend.url}/http`,
        authentication: { type: 'OAuth2ClientCredentials', tokenUrl, clientId: 'sb-id!b1|it', clientSecret: 'se:cr%et' },
      },
    });
    expect(provider.json.authentication.clientSecret).toBe('*****');
    await deployProxy(platform, {
      name: 'iflow',
      proxyEndpoints: [{ basePath: '/iflow' }],
      targetEndpoints: [{ name: 'default', connection: { provider: 'cpi', path: '/v1/test/hello' } }],
    });
    const responses = await Promise.all([call('GET', '/iflow'), call('GET', '/iflow'), call('GET', '/iflow')]);
    for (const response of responses) {
      expect(response.json.url).toBe('/http/v1/test/hello');
      expect(response.json.headers.authorization).toBe('Bearer cpi-token');
    }
    expect(tokenCalls).toBe(1);
    // RFC 6749 section 2.3.1: both parts application/x-www-form-urlencoded before base64.
    expect(Buffer.from(seenBasic.slice(6), 'base64').toString()).toBe('sb-id%21b1%7Cit:se%3Acr%25et');
    tokenServer.close();
  });
});
