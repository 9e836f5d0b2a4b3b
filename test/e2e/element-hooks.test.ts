// Element hooks over HTTP, as Open Connectors documents them: a custom
// element's global and resource preRequest and postRequest hooks around
// resource calls to a loopback vendor, in their order, changing the vendor
// call and the answer, answering themselves with `continue: false`, on the
// v1 engine (return) and v2 (done); never seeing or replacing the instance's
// credential, never taking it to another origin; a failing hook fails the call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { sendJson, startVendor, type VendorServer } from '../support/vendor.js';

const PASSWORD = 'hooked-vendor-password-5Tq!';
let platform: TestPlatform;
let vendor: VendorServer;
let token: string;

const withElement = () => ({ authorization: `${platform.auth}, Element ${token}` });
const hook = (type: 'preRequest' | 'postRequest', body: string, isLegacy = false) => ({ type, mimeType: 'application/javascript', body, isLegacy });

beforeAll(async () => {
  platform = await startPlatform();
  vendor = await startVendor((request, res) => {
    if (request.path === '/api/broken') return sendJson(res, 500, { error: 'down' });
    sendJson(res, 200, { path: request.path, query: Object.fromEntries(request.query), body: request.body.toString(), seen: request.headers['x-seen'] ?? null, items: [{ id: 1 }, { id: 2 }] });
  });
  const element = await platform.request('POST', '/elements/api-v2/elements', {
    json: {
      name: 'Hooked',
      key: 'hooked',
      authentication: { type: 'basic' },
      configuration: [
        { key: 'base.url', name: 'Base URL', type: 'TEXTFIELD_1000', defaultValue: `${vendor.url}/api`, hidden: true },
        { key: 'region', name: 'Region', type: 'TEXTFIELD_32', defaultValue: 'eu' },
      ],
      // Global hooks run on every resource call: first before, last after.
      hooks: [
        hook('preRequest', "const headers = Object.assign({}, request_vendor_headers); headers['x-seen'] = 'global:' + Object.keys(request_vendor_headers).filter((name) => name === 'authorization').length + ':' + JSON.stringify(configuration); done({ request_vendor_headers: headers });"),
        hook('postRequest', "const body = response_body; if (body && body.order) body.order.push('global'); done({ response_body: body });"),
      ],
      resources: [
        {
          path: '/hubs/general/things',
          method: 'GET',
          vendorPath: '/things',
          vendorMethod: 'GET',
          hooks: [
            // Open Connectors' pattern: a CEQL where turned into the vendor's own filter parameters.
            hook('preRequest', "const params = Object.assign({}, request_vendor_parameters, { region: configuration.region, page: request_parameters.nextPage || '1' }); delete params.where; (request_expression || []).forEach((term) => { params[term.attribute + '[' + ({ '>': 'gt', '<': 'lt', '=': 'eq' })[term.operator] + ']'] = String(term.value); }); done({ request_vendor_parameters: params, request_vendor_path: '/items' });"),
            hook('postRequest', "return { response_body: { order: ['resource'], count: response_body.items.length, status: response_status_code, path: response_body.path, query: response_body.query, seen: response_body.seen } };", true),
          ],
        },
        {
          path: '/hubs/general/cached',
          method: 'GET',
          vendorPath: '/cached',
          vendorMethod: 'GET',
          hooks: [hook('preRequest', "done({ continue: false, response_status_code: 203, response_body: { cached: true, method: request_method } });")],
        },
        {
          path: '/hubs/general/broken',
          method: 'GET',
          vendorPath: '/broken',
          vendorMethod: 'GET',
          hooks: [hook('postRequest', "done({ response_status_code: response_iserror ? 503 : 200, response_error_message: 'the vendor is down' });")],
        },
        // A canonical object: the hooks run around the unified call's vendor call, before the mapping.
        { path: '/hubs/general/people', method: 'GET', vendorPath: '/people', vendorMethod: 'GET', hooks: [hook('postRequest', "done({ response_body: response_body.items.map((item) => ({ fullName: 'Person ' + item.id })) });")] },
        { path: '/hubs/general/away', method: 'GET', vendorPath: '/away', vendorMethod: 'GET', hooks: [hook('preRequest', "done({ request_vendor_path: 'http://127.0.0.1:9/steal' });")] },
        { path: '/hubs/general/crlf', method: 'GET', vendorPath: '/crlf', vendorMethod: 'GET', hooks: [hook('preRequest', "done({ request_vendor_headers: { 'x-split': 'a\\r\\nx-injected: 1' } });")] },
        { path: '/hubs/general/trace', method: 'GET', vendorPath: '/trace', vendorMethod: 'GET', hooks: [hook('preRequest', "done({ request_vendor_method: 'TRACE' });")] },
        { path: '/hubs/general/failing', method: 'GET', vendorPath: '/failing', vendorMethod: 'GET', hooks: [hook('preRequest', 'request_vendor_headers.nope.call();')] },
      ],
      transformations: { people: { vendorName: 'people', fields: [{ path: 'name', vendorPath: 'fullName' }] } },
    },
  });
  expect(element.status, element.text).toBe(200);
  const instance = await platform.request('POST', '/elements/api-v2/instances', {
    json: { element: { key: 'hooked' }, name: 'hooked', configuration: { username: 'jane@example.com', password: PASSWORD } },
  });
  expect(instance.status, instance.text).toBe(200);
  token = instance.json.token;
});

afterAll(async () => {
  await vendor?.close();
  await platform?.close();
});

describe('element hooks', () => {
  it('runs global then resource hooks before the call and resource then global after, changing both', async () => {
    const where = "updated_at > '2026-01-01' AND owner = 7";
    const response = await platform.request('GET', `/elements/api-v2/hubs/general/things?nextPage=3&keep=yes&where=${encodeURIComponent(where)}`, { headers: withElement() });
    expect(response.status, response.text).toBe(200);
    expect(response.json).toEqual({
      order: ['resource', 'global'],
      count: 2,
      status: 200,
      // The resource hook moved the call to /items with the instance's configuration in the query.
      path: '/api/items',
      query: { keep: 'yes', nextPage: '3', region: 'eu', page: '3', 'updated_at[gt]': '2026-01-01', 'owner[eq]': '7' },
      // The global hook did not see the credential, and it still went to the vendor.
      seen: expect.stringMatching(/^global:0:\{.*"region":"eu".*\}$/),
    });
    const sent = vendor.requests.at(-1)!;
    expect(sent.headers.authorization).toBe(`Basic ${Buffer.from(`jane@example.com:${PASSWORD}`).toString('base64')}`);
    expect(response.text).not.toContain(PASSWORD);
    expect(JSON.parse(response.json.seen.slice('global:0:'.length))).not.toHaveProperty('password', PASSWORD);
  });

  it('runs around the vendor call of a unified call, before the mapping', async () => {
    const response = await platform.request('GET', '/elements/api-v2/hubs/general/people', { headers: withElement() });
    expect(response.status, response.text).toBe(200);
    expect(response.json).toEqual([{ name: 'Person 1' }, { name: 'Person 2' }]);
  });

  it('answers for the vendor with continue: false, the postRequest hooks still running', async () => {
    const before = vendor.requests.length;
    const response = await platform.request('GET', '/elements/api-v2/hubs/general/cached', { headers: withElement() });
    expect(response.status).toBe(203);
    expect(response.json).toEqual({ cached: true, method: 'GET' });
    expect(vendor.requests.length).toBe(before);
  });

  it('rewrites a vendor error into its own status and message', async () => {
    const response = await platform.request('GET', '/elements/api-v2/hubs/general/broken', { headers: withElement() });
    expect(response.status).toBe(503);
    expect(response.json).toEqual({ message: 'the vendor is down' });
  });

  it('keeps the credential on the base URL\'s origin and fails the call when a hook fails', async () => {
    const before = vendor.requests.length;
    const away = await platform.request('GET', '/elements/api-v2/hubs/general/away', { headers: withElement() });
    expect(away.status).toBe(502);
    expect(away.json.message).toContain(`only to a URL on ${new URL(vendor.url).origin}`);
    // A header that would split the request is refused before anything is sent, as are methods HTTP lacks.
    const split = await platform.request('GET', '/elements/api-v2/hubs/general/crlf', { headers: withElement() });
    expect(split.status).toBe(502);
    expect(split.json.message).toContain('a request header is not valid HTTP');
    const trace = await platform.request('GET', '/elements/api-v2/hubs/general/trace', { headers: withElement() });
    expect(trace.status).toBe(502);
    expect(trace.json.message).toContain('TRACE, which is no HTTP method');
    const failing = await platform.request('GET', '/elements/api-v2/hubs/general/failing', { headers: withElement() });
    expect(failing.status).toBe(502);
    expect(failing.json.message).toMatch(/hooked's preRequest hook failed: Javascript runtime error: "TypeError: .*" \(preRequest-hook\.js#1\)/);
    expect(vendor.requests.length).toBe(before);
  });
});
