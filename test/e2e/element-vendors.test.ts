// Every built-in element against a loopback stand-in of its vendor
// (test/support/vendor-fixtures.ts: records and paging as each vendor's API
// reference shows them): an instance of the element with only its hosts
// moved to loopback, the canonical object listed page by page through the
// vendor's own paging, the first record compared with the canonical one, and
// a CEQL query where the element translates one. Dropbox, whose lists are
// POST calls, is called as a vendor object.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinElementFiles } from '../../shared/connectors/catalog.js';
import { loopbackCopy } from '../support/element-copy.js';
import { FIXTURES, type VendorFixture } from '../support/vendor-fixtures.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { sendJson, startVendor, type ReceivedRequest, type VendorServer } from '../support/vendor.js';

let platform: TestPlatform;
beforeAll(async () => {
  platform = await startPlatform();
});
afterAll(async () => {
  await platform?.close();
});

const OAUTH = { 'oauth.api.key': 'client', 'oauth.api.secret': 'client-secret', 'oauth.callback.url': 'http://localhost:4999/callback' };

/** A vendor answering the token endpoint and the fixture's list path, refusing calls without a credential. */
async function standIn(fixture: Pick<VendorFixture, 'listPath' | 'records' | 'serve'>): Promise<VendorServer> {
  const vendor: VendorServer = await startVendor((request: ReceivedRequest, res) => {
    if (request.method === 'POST' && /oauth|token/.test(request.path)) {
      return sendJson(res, 200, { access_token: 'vendor-access', refresh_token: 'vendor-refresh', token_type: 'Bearer', expires_in: 3600, instance_url: vendor.url });
    }
    const credential = ['authorization', 'x-shopify-access-token', 'private-token', 'x-auth-token'].some((name) => request.headers[name]) || request.query.has('api_token');
    if (!credential) return sendJson(res, 401, { error: 'no credential' });
    if (!fixture.listPath.test(request.path)) return sendJson(res, 404, { error: `no ${request.path}` });
    const answer = fixture.serve(request, fixture.records, vendor.url);
    const headers = Object.fromEntries(Object.entries(answer.headers ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined));
    sendJson(res, answer.status ?? 200, answer.body, headers);
  });
  return vendor;
}

async function connect(file: string, vendor: VendorServer, configuration: Record<string, string> = {}): Promise<string> {
  const key = `${file.replace('.json', '')}-loop`;
  const element = await platform.request('POST', '/elements/api-v2/elements', { json: loopbackCopy(file, key, vendor.url) });
  expect(element.status, element.text).toBe(200);
  const oauth = (builtinElementFiles()[file] as { authentication: { type: string } }).authentication.type === 'oauth2';
  const created = await platform.request('POST', '/elements/api-v2/instances', {
    json: { element: { key }, name: key, configuration: { ...(oauth ? OAUTH : {}), ...configuration }, ...(oauth ? { providerData: { code: 'code', codeVerifier: 'v'.repeat(43) } } : {}) },
  });
  expect(created.status, created.text).toBe(200);
  return created.json.token as string;
}

describe('built-in elements against their vendors', () => {
  it('has a stand-in for every element', () => {
    expect(new Set([...FIXTURES.map((fixture) => fixture.file), 'dropbox.json'])).toEqual(new Set(Object.keys(builtinElementFiles())));
  });

  for (const fixture of FIXTURES) {
    it(`${fixture.file}: lists ${fixture.object} through the vendor's paging and maps them`, async () => {
      const vendor = await standIn(fixture);
      try {
        const token = await connect(fixture.file, vendor, fixture.configuration);
        const headers = { authorization: `${platform.auth}, Element ${token}` };
        const records: unknown[] = [];
        let nextPage: string | null = null;
        let pages = 0;
        do {
          const query = new URLSearchParams({ pageSize: '2', ...(nextPage ? { nextPage } : {}) });
          const page = await platform.request('GET', `/elements/api-v2/hubs/any/${fixture.object}?${query}`, { headers });
          expect(page.status, page.text).toBe(200);
          records.push(...(page.json as unknown[]));
          nextPage = page.headers.get('elements-next-page-token');
          expect(++pages).toBeLessThan(6);
        } while (nextPage);
        expect(records).toHaveLength(fixture.records.length);
        expect(records[0]).toEqual(fixture.expected);
        if (fixture.where) {
          const before = vendor.requests.length;
          const queried = await platform.request('GET', `/elements/api-v2/${fixture.object}?${new URLSearchParams({ where: fixture.where.where })}`, { headers });
          expect(queried.status, queried.text).toBe(200);
          fixture.where.check(vendor.requests.slice(before).find((request) => fixture.listPath.test(request.path))!);
        }
      } finally {
        await vendor.close();
      }
    });
  }

  it('dropbox.json: calls list_folder as a vendor object', async () => {
    const vendor = await standIn({
      listPath: /\/2\/files\/list_folder$/,
      records: [{ '.tag': 'file', name: 'Prime_Numbers.txt', id: 'id:a4ayc_80_OEAAAAAAAAAXw', path_lower: '/homework/math/prime_numbers.txt', size: 7212 }],
      serve: (request, records) => ({ body: { entries: records, cursor: 'ZtkX9_EHj3x7PMkVuFIhwKYXEpwpLwyxp9vMKomUhllil9q7eWiAu', has_more: false, path: JSON.parse(request.body.toString()).path } }),
    });
    try {
      const token = await connect('dropbox.json', vendor);
      const listed = await platform.request('POST', '/elements/api-v2/folders', { headers: { authorization: `${platform.auth}, Element ${token}` }, json: { path: '/Homework/math' } });
      expect(listed.status, listed.text).toBe(200);
      expect(listed.json).toMatchObject({ entries: [{ name: 'Prime_Numbers.txt' }], has_more: false, path: '/Homework/math' });
      expect(vendor.requests.at(-1)!.headers.authorization).toBe('Bearer vendor-access');
    } finally {
      await vendor.close();
    }
  });
});
