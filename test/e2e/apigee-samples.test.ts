// Public Apigee sample bundles (test/fixtures/apigee-samples; SOURCES.md
// names each one's repository, path and commit) imported unchanged but for
// their backend URLs, which point at a loopback stand-in for
// mocktarget.apigee.net and the other public backends they call, then called
// as their READMEs, invoke scripts and own feature files describe: one `it`
// per behaviour.
import { generateKeyPair, exportPKCS8, exportSPKI } from 'jose';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { get, type IncomingHttpHeaders } from 'node:http';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { zip } from '../support/bundles.js';
import { provisionApp, type ProvisionedApp } from '../support/consumers.js';
import { CHICAGO, mocktarget } from '../support/mocktarget.js';
import type { Backend } from '../support/backend.js';
import type { TestPlatform } from '../support/platform.js';
import { usePlatformAndBackend } from '../support/suite.js';

let platform: TestPlatform;
let backend: Backend;
usePlatformAndBackend((started) => ({ platform, backend } = started), mocktarget);

const ORG = '/v1/organizations/default';
const ROOT = 'test/fixtures/apigee-samples';

const walk = (dir: string): string[] => readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : [join(dir, name)]));

/** A sample's folder (`apiproxy/` or `sharedflowbundle/`) as a zip, its backend hosts pointed at the loopback backend. */
function sampleZip(sample: string, folder = 'apiproxy'): Buffer {
  const files: Record<string, Uint8Array | string> = {};
  for (const file of walk(join(ROOT, sample, folder))) {
    const path = relative(join(ROOT, sample), file);
    const bytes = readFileSync(file);
    let content: Uint8Array | string = bytes;
    if (/\/(targets|policies)\/[^/]+\.xml$/.test(path) || /\/jsc\/[^/]+\.js$/.test(path)) {
      content = bytes.toString('utf8').replace(/https?:\/\/(mocktarget\.apigee\.net|www\.googleapis\.com|weather\.yahooapis\.com|api\.open-meteo\.com|geocode\.maps\.co|nowhere\.com)/g, backend.url);
    }
    files[path] = content;
  }
  return zip(files);
}

async function deploySample(sample: string, options: { env?: string } = {}): Promise<void> {
  const imported = await platform.request('POST', `${ORG}/apis?action=import&name=${sample}`, { body: sampleZip(sample), headers: { 'content-type': 'application/zip' } });
  expect(imported.status, imported.text).toBe(201);
  expect(imported.json.unsupportedPolicies).toEqual([]);
  const deployed = await platform.request('POST', `${ORG}/environments/${options.env ?? 'prod'}/apis/${sample}/revisions/${imported.json.revision}/deployments`);
  expect(deployed.status, deployed.text).toBe(200);
}

const call = (method: string, path: string, options: Parameters<TestPlatform['proxy']>[2] = {}) => platform.proxy(method, path, { auth: false, ...options });
const form = (body: Record<string, string>, headers: Record<string, string> = {}) => ({ headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(body).toString() });
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('Apigee public samples', () => {
  const apps = new Map<string, ProvisionedApp>();
  /** An app whose product holds the sample's proxy (one per sample, made on first use). */
  const appFor = async (sample: string, productFields: Record<string, unknown> = {}) => {
    if (!apps.has(sample)) apps.set(sample, await provisionApp(platform, { productFields: { proxies: [sample], ...productFields } }));
    return apps.get(sample)!;
  };
  const deployed = new Set<string>();
  const ready = async (sample: string, options: { env?: string } = {}) => {
    if (deployed.has(sample)) return;
    await deploySample(sample, options);
    deployed.add(sample);
  };

  describe('apikey (api-platform-samples)', () => {
    it('answers a call with a valid key and removes the key before the target', async () => {
      await ready('apikey');
      const app = await appFor('apikey');
      const ok = await call('GET', `/mocktarget_key/json?apikey=${app.consumerKey}`);
      expect(ok.status, ok.text).toBe(200);
      expect(ok.json.city).toBe('San Jose');
      expect(backend.requests.at(-1)!.url).toBe('/json');
    });

    it('refuses an unknown key and a missing one', async () => {
      await ready('apikey');
      const unknown = await call('GET', '/mocktarget_key/json?apikey=ZZZZZZZZZZZZZZZZZZZZ');
      expect(unknown.status).toBe(401);
      expect(unknown.json.fault.detail.errorcode).toBe('oauth.v2.InvalidApiKey');
      const missing = await call('GET', '/mocktarget_key/json');
      expect(missing.status).toBe(401);
      expect(missing.json.fault.detail.errorcode).toBe('steps.oauth.v2.FailedToResolveAPIKey');
    });

    it('counts calls per key against the quota of the key\'s product', async () => {
      await ready('apikey');
      const app = await provisionApp(platform, { productFields: { proxies: ['apikey'], quota: '2', quotaInterval: '1', quotaTimeUnit: 'minute' } });
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await call('GET', `/mocktarget_key/json?apikey=${app.consumerKey}`)).status);
      expect(statuses).toEqual([200, 200, 429]);
    });
  });

  it('base64encoder (api-platform-samples): CryptoJS included before the main script encodes the credentials into a header', async () => {
    await ready('base64encoder');
    const response = await call('GET', '/base64encoder?username=MyUserName&password=MyPassword');
    expect(response.status, response.text).toBe(200);
    expect(response.headers.get('x-encoded-credentials')).toBe('Basic TXlVc2VyTmFtZTpNeVBhc3N3b3Jk');
  });

  describe('basic-caching (apigee-samples)', () => {
    it('serves the second call from the response cache, saying so and when it was cached', async () => {
      await ready('basic-caching');
      const first = await call('GET', '/v1/samples/basic-caching?q=apigee&country=us');
      expect(first.status, first.text).toBe(200);
      expect(first.headers.get('served-from-cache')).toBe('false');
      const before = backend.requests.length;
      const second = await call('GET', '/v1/samples/basic-caching?q=apigee&country=us');
      expect(second.status).toBe(200);
      expect(second.json).toEqual(first.json);
      expect(second.headers.get('served-from-cache')).toBe('true');
      expect(backend.requests.length).toBe(before);
    });

    it('goes to the target when x-bypass-cache is true', async () => {
      await ready('basic-caching');
      await call('GET', '/v1/samples/basic-caching?q=apigeex&country=us');
      const before = backend.requests.length;
      const bypass = await call('GET', '/v1/samples/basic-caching?q=apigeex&country=us', { headers: { 'x-bypass-cache': 'true' } });
      expect(bypass.status).toBe(200);
      expect(bypass.headers.get('served-from-cache')).toBe('false');
      expect(backend.requests.length).toBe(before + 1);
    });
  });

  describe('basic-quota (apigee-samples)', () => {
    it('answers with the counter of the product\'s quota until it is used up, then the sample\'s 429', async () => {
      await ready('basic-quota');
      const trial = await appFor('basic-quota', { quota: '3', quotaInterval: '1', quotaTimeUnit: 'minute' });
      for (let i = 1; i <= 3; i++) {
        const response = await call('GET', `/v1/samples/basic-quota?apikey=${trial.consumerKey}`);
        expect(response.status, response.text).toBe(200);
        expect(response.json).toMatchObject({ status: 'success', allowed: '3', used: String(i), available: String(3 - i) });
      }
      const over = await call('GET', `/v1/samples/basic-quota?apikey=${trial.consumerKey}`);
      expect(over.status).toBe(429);
      expect(over.json).toMatchObject({ status: 'quota exceeded', limit: '3', interval: '1', timeUnit: 'minute' });
    });

    it('gives another product\'s app that product\'s quota', async () => {
      await ready('basic-quota');
      const premium = await provisionApp(platform, { productFields: { proxies: ['basic-quota'], quota: '1000', quotaInterval: '1', quotaTimeUnit: 'hour' } });
      const response = await call('GET', `/v1/samples/basic-quota?apikey=${premium.consumerKey}`);
      expect(response.status).toBe(200);
      expect(response.json).toMatchObject({ status: 'success', allowed: '1000' });
    });
  });

  describe('composite-api (apigee-samples)', () => {
    it('geocodes the city with a ServiceCallout and asks the forecast for its coordinates', async () => {
      await ready('composite-api');
      const response = await call('GET', '/v1/samples/composite-api/temperature?near=Chicago');
      expect(response.status, response.text).toBe(200);
      expect(response.json.current.temperature).toBeTypeOf('number');
      const geocode = new URL(backend.requests.at(-2)!.url, 'http://x');
      expect([geocode.pathname, geocode.searchParams.get('q')]).toEqual(['/search', 'Chicago']);
      const forecast = new URL(backend.requests.at(-1)!.url, 'http://x');
      expect(forecast.pathname).toBe('/v1/forecast');
      expect(Object.fromEntries(forecast.searchParams)).toEqual({ latitude: CHICAGO.lat, longitude: CHICAGO.lon, current: 'temperature' });
    });
  });

  describe('cors (apigee-samples)', () => {
    it('adds no CORS headers on the nocors endpoint', async () => {
      await ready('cors');
      const plain = await call('GET', '/v1/samples/cors/nocors', { headers: { origin: 'https://test-cors.org' } });
      expect(plain.status).toBe(200);
      expect(plain.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('allows the calling origin on the enabled endpoint', async () => {
      await ready('cors');
      const simple = await call('GET', '/v1/samples/cors/enabled', { headers: { origin: 'https://test-cors.org' } });
      expect(simple.status).toBe(200);
      expect(simple.headers.get('access-control-allow-origin')).toBe('https://test-cors.org');
    });

    it('answers a preflight for the foo header itself', async () => {
      await ready('cors');
      const before = backend.requests.length;
      const preflight = await call('OPTIONS', '/v1/samples/cors/enabled', {
        headers: { origin: 'https://test-cors.org', 'access-control-request-method': 'GET', 'access-control-request-headers': 'foo' },
      });
      expect(preflight.status).toBe(200);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://test-cors.org');
      expect(preflight.headers.get('access-control-allow-headers')).toContain('foo');
      expect(preflight.headers.get('access-control-max-age')).toBe('3600');
      expect(backend.requests.length).toBe(before);
    });
  });

  it('extract-variables (apigee-samples): fields of the XML answer and of its JSON conversion become headers', async () => {
    await ready('extract-variables');
    const response = await call('GET', '/v1/samples/extract-variables');
    expect(response.status, response.text).toBe(200);
    expect(response.json).toEqual({ root: { city: 'San Jose', firstName: 'John', lastName: 'Doe', state: 'CA' } });
    expect(['mock.city', 'mock.state', 'mock.firstName', 'mock.lastName'].map((name) => response.headers.get(name))).toEqual(['San Jose', 'CA', 'John', 'Doe']);
  });

  describe('extract-xml-payload (api-platform-samples)', () => {
    /** POSTs one of the sample's request bodies (invoke.sh's) to a resource of the proxy. */
    const post = async (resource: string, file: string) => {
      await ready('extract-xml-payload');
      const app = await appFor('extract-xml-payload');
      const body = readFileSync(join(ROOT, 'extract-xml-payload', file), 'utf8');
      return call('POST', `/v1/learn-edge/${resource}?apikey=${app.consumerKey}`, { headers: { 'content-type': 'application/xml' }, body });
    };

    it('extracts the directions of a namespaced XML body into a new XML payload', async () => {
      const response = await post('directions', 'directions_body.xml');
      expect(response.status, response.text).toBe(200);
      expect(response.headers.get('content-type')).toContain('application/xml');
      expect(response.text.replace(/\s+/g, '')).toBe('<root><status>OK</status><mode>DRIVING</mode><duration>19</duration><timeunit>minutes</timeunit></root>');
    });

    it('extracts the company id of a SOAP envelope', async () => {
      const response = await post('companyId', 'company_info_body.xml');
      expect(response.status, response.text).toBe(200);
      expect(response.text.replace(/\s+/g, '')).toBe('<root><companyId>Apigee</companyId></root>');
    });
  });

  it('iterate-headers (api-platform-samples): JavaScript calls a backend with httpClient and walks the answer\'s headers', async () => {
    await ready('iterate-headers', { env: 'test' });
    const response = await platform.proxy('GET', '/v1/iterate-headers', { auth: false, env: 'test' });
    expect(response.status, response.text).toBe(200);
    expect(backend.requests.at(-1)!.url).toBe('/json');
  });

  describe('json-web-tokens (apigee-samples)', () => {
    const tokens = new Map<string, string>();
    const keys = async () => {
      if (deployed.has('json-web-tokens')) return;
      const pair = await generateKeyPair('RS256', { extractable: true });
      const kvm = await platform.request('POST', `${ORG}/environments/prod/keyvaluemaps`, {
        json: { name: 'jwt-keys', encrypted: true, entry: [{ name: 'rsa_publickey', value: await exportSPKI(pair.publicKey) }, { name: 'rsa_privatekey', value: await exportPKCS8(pair.privateKey) }] },
      });
      expect(kvm.status, kvm.text).toBe(201);
      await ready('json-web-tokens');
    };

    const generate = async (kind: 'signed' | 'encrypted') => {
      await keys();
      const response = await call('POST', `/v1/samples/json-web-tokens/generate-${kind}`);
      expect(response.status, response.text).toBe(200);
      return response.json.output_jwt as string;
    };
    const verify = (kind: 'signed' | 'encrypted', jwt: string) => call('POST', `/v1/samples/json-web-tokens/verify-${kind}`, form({ JWT: jwt }));

    it.each([
      ['signed', 3, 'alg=RS256'],
      ['encrypted', 5, 'enc=A128GCM'],
    ] as const)('generates a %s JWT with the keys from the KVM, and its verify flow accepts it', async (kind, parts, header) => {
      const jwt = await generate(kind);
      expect(jwt.split('.')).toHaveLength(parts);
      tokens.set(kind, jwt);
      const verified = await verify(kind, jwt);
      expect(verified.status, verified.text).toBe(200);
      expect(verified.text).toContain(header);
      expect(verified.text).toContain('sub=johnsmith');
    });

    it('refuses a signed JWT whose claims were changed', async () => {
      const [header, payload, signature] = (tokens.get('signed') ?? (await generate('signed'))).split('.');
      const forged = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'mallory' })).toString('base64url')}.${signature}`;
      expect((await verify('signed', forged)).status).toBe(401);
    });
  });

  describe('oauth-client-credentials (apigee-samples)', () => {
    let token = '';
    it('issues a token for the client credentials in Basic authentication', async () => {
      await ready('oauth-client-credentials');
      const app = await appFor('oauth-client-credentials');
      const response = await call('POST', '/v1/samples/oauth-client-credentials/token', form({ grant_type: 'client_credentials' }, { authorization: basic(app.consumerKey, app.consumerSecret) }));
      expect(response.status, response.text).toBe(200);
      token = response.json.access_token;
      expect(token).toBeTruthy();
    });

    it('answers the resource for that token', async () => {
      await ready('oauth-client-credentials');
      const resource = await call('GET', '/v1/samples/oauth-client-credentials/resource', { headers: { authorization: `Bearer ${token}` } });
      expect(resource.status, resource.text).toBe(200);
      expect(resource.json.status).toBe('success');
    });

    it('refuses an unknown token with Apigee\'s fault', async () => {
      await ready('oauth-client-credentials');
      const refused = await call('GET', '/v1/samples/oauth-client-credentials/resource', { headers: { authorization: 'Bearer foobar' } });
      expect(refused.status).toBe(401);
      expect(refused.json.fault.detail.errorcode).toBe('keymanagement.service.invalid_access_token');
    });
  });

  describe('openapi-mock (devrel)', () => {
    it('answers an operation with its 200 response as JSON when no media type is asked for, with a seed', async () => {
      await ready('openapi-mock');
      // fetch always sends an Accept header; curl without -H does not either, but node:http can leave it out.
      const ok = await new Promise<{ status: number; headers: IncomingHttpHeaders; text: string }>((resolve, reject) => {
        get(`${platform.runtimeUrls.prod}/mock/v3/petstore/pet/1`, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        }).on('error', reject);
      });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.headers['content-type']).toContain('application/json');
      expect(JSON.parse(ok.text)).toBeTypeOf('object');
      expect(ok.headers['mock-seed']).toBeTruthy();
    });

    it('refuses a request the OpenAPI document does not allow, unless told not to validate', async () => {
      await ready('openapi-mock');
      expect((await call('GET', '/mock/v3/petstore/pet/not-a-number')).status).toBe(400);
      expect((await call('GET', '/mock/v3/petstore/pet/not-a-number', { headers: { 'mock-validate-request': 'false' } })).status).not.toBe(400);
    });

    it('answers with the status Mock-Status asks for and the media type Accept asks for', async () => {
      await ready('openapi-mock');
      expect((await call('GET', '/mock/v3/petstore/pet/1', { headers: { 'mock-status': '404' } })).status).toBe(404);
      const xml = await call('GET', '/mock/v3/petstore/pet/1', { headers: { accept: 'application/xml' } });
      expect(xml.status).toBe(200);
      expect(xml.headers.get('content-type')).toContain('application/xml');
    });

    it('repeats a response for the same Mock-Seed', async () => {
      await ready('openapi-mock');
      const first = await call('GET', '/mock/v3/petstore/pet/findByStatus?status=available', { headers: { 'mock-fuzz': 'true' } });
      expect(first.status, first.text).toBeLessThan(600);
      const seed = first.headers.get('mock-seed')!;
      const again = await call('GET', '/mock/v3/petstore/pet/findByStatus?status=available', { headers: { 'mock-fuzz': 'true', 'mock-seed': seed } });
      expect([again.status, again.text]).toEqual([first.status, first.text]);
    });

    it('answers preflights and adds CORS headers', async () => {
      await ready('openapi-mock');
      const preflight = await call('OPTIONS', '/mock/v3/petstore/pet/1', { headers: { origin: 'https://app.example.com', 'access-control-request-method': 'PUT' } });
      expect(preflight.headers.get('access-control-allow-origin')).toBeTruthy();
      const simple = await call('GET', '/mock/v3/petstore/pet/1', { headers: { origin: 'https://app.example.com' } });
      expect(simple.headers.get('access-control-allow-origin')).toBeTruthy();
    });
  });

  it('property-set (apigee-samples): JavaScript and AssignMessage read the bundle\'s property set', async () => {
    await ready('property-set');
    const response = await call('GET', '/v1/samples/property-set');
    expect(response.status, response.text).toBe(200);
    expect(response.json.foo).toBe('bar');
    expect(response.headers.get('x-baz')).toBe('biff');
    expect(response.headers.get('x-note')).toBeTruthy();
  });

  it('regex-protection (api-platform-samples): an SQL injection in the query parameter is refused, other values pass', async () => {
    await ready('regex-protection');
    expect((await call('GET', '/regex-protection?query=select')).status).toBe(200);
    // The sample's fault rule answers a bare 400, telling an attacker nothing.
    const refused = await call('GET', '/regex-protection?query=delete');
    expect([refused.status, refused.text]).toEqual([400, '']);
  });

  describe('response-cache (api-platform-samples)', () => {
    const forecast = '/cacheforecast/forecastrss?w=12797282';
    it('serves the second call from the cache', async () => {
      await ready('response-cache');
      const first = await call('GET', forecast);
      expect(first.status, first.text).toBe(200);
      const before = backend.requests.length;
      const second = await call('GET', forecast);
      expect([second.status, second.text]).toEqual([200, first.text]);
      expect(backend.requests.length).toBe(before);
    });

    it('goes to the target when skip-lookup is true, and does not cache when skip-population is true', async () => {
      await ready('response-cache');
      await call('GET', forecast);
      const before = backend.requests.length;
      expect((await call('GET', forecast, { headers: { 'skip-lookup': 'true' } })).status).toBe(200);
      expect(backend.requests.length).toBe(before + 1);
      const other = '/cacheforecast/forecastrss?w=2502265';
      expect((await call('GET', other, { headers: { 'skip-population': 'true' } })).status).toBe(200);
      expect((await call('GET', other)).status).toBe(200);
      expect(backend.requests.length).toBe(before + 3);
    });
  });

  describe('service-callout-2 (learn-edge)', () => {
    it('turns the callout\'s 404 into the sample\'s custom error', async () => {
      await ready('service-callout-2', { env: 'test' });
      const app = await appFor('service-callout-2');
      const response = await platform.proxy('GET', `/v1/learn-edge/json?apikey=${app.consumerKey}`, { auth: false, env: 'test' });
      expect(response.status, response.text).toBe(404);
      expect(response.json.error.message).toBe('Page Not Found');
      expect(backend.requests.at(-1)!.url).toBe('/make-error');
    });

    it('answers an invalid key with the sample\'s 400 message', async () => {
      await ready('service-callout-2', { env: 'test' });
      const response = await platform.proxy('GET', '/v1/learn-edge/json?apikey=nope', { auth: false, env: 'test' });
      expect(response.status).toBe(400);
      expect(response.json.error.message).toBe('InvalidApiKey');
    });
  });

  describe('shared-flow (api-platform-samples)', () => {
    const setUp = async () => {
      if (deployed.has('shared-flow')) return;
      const flow = await platform.request('POST', `${ORG}/sharedflows?action=import&name=verify-apikey-shared`, { body: sampleZip('shared-flow', 'sharedflowbundle'), headers: { 'content-type': 'application/zip' } });
      expect(flow.status, flow.text).toBe(201);
      expect((await platform.request('POST', `${ORG}/environments/prod/sharedflows/verify-apikey-shared/revisions/1/deployments`)).status).toBe(200);
      await ready('shared-flow');
    };

    it('verifies the key in the shared flow through a FlowCallout and calls the target', async () => {
      await setUp();
      const app = await appFor('shared-flow');
      const ok = await call('GET', `/shared-flow-client-proxy?apikey=${app.consumerKey}`);
      expect(ok.status, ok.text).toBe(200);
      expect(ok.text).toBe('Hello, Guest!');
    });

    it('refuses an unknown key in the shared flow', async () => {
      await setUp();
      const refused = await call('GET', '/shared-flow-client-proxy?apikey=ZZZZZZZZZZZZZZZZZZZZ');
      expect(refused.status).toBe(401);
      expect(refused.json.fault.detail.errorcode).toBe('oauth.v2.InvalidApiKey');
    });
  });

  describe('spike-arrest (apigee-samples)', () => {
    it('answers a single call', async () => {
      await ready('spike-arrest');
      const response = await call('GET', '/v1/samples/spike-arrest');
      expect(response.status, response.text).toBe(200);
      expect(response.json.status).toBe('success');
    });

    it('refuses some of 15 calls in a burst with 429', async () => {
      await ready('spike-arrest');
      const statuses = await Promise.all(Array.from({ length: 15 }, () => call('GET', '/v1/samples/spike-arrest').then((response) => response.status)));
      expect(statuses).toContain(429);
    });
  });

  describe('threat-protection (apigee-samples)', () => {
    it('refuses an SQL injection in the query and passes a harmless value', async () => {
      await ready('threat-protection');
      expect((await call('GET', '/v1/samples/threat-protection/json?query="delete"')).status).toBe(500);
      expect((await call('GET', '/v1/samples/threat-protection/json?query="select"')).status).toBe(200);
    });

    it('refuses a JSON object with more entries than allowed and passes one within the limit', async () => {
      await ready('threat-protection');
      const post = (fields: number) =>
        call('POST', '/v1/samples/threat-protection/echo', {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(Object.fromEntries(Array.from({ length: fields }, (_, i) => [`f${i + 1}`, `t${i + 1}`]))),
        });
      const refused = await post(6);
      expect(refused.status).toBe(500);
      expect(refused.json.fault.detail.errorcode).toBe('steps.jsonthreatprotection.ExecutionFailed');
      expect((await post(5)).status).toBe(200);
    });
  });

  it('xmltojson (api-platform-samples): the XML answer converted as the README shows it', async () => {
    await ready('xmltojson');
    const response = await call('GET', '/v1/xmltojson');
    expect(response.status, response.text).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(response.json).toEqual({ root: { city: 'San Jose', firstName: 'John', lastName: 'Doe', state: 'CA' } });
  });
});
