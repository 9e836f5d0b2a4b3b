// Fuzzing the token service over HTTP: random bodies, headers, content types
// and query strings, some built around a real client id, never produce a 500
// and never produce a token.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionApp, rawBasic, type ProvisionedApp } from '../support/consumers.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;
let app: ProvisionedApp;

beforeAll(async () => {
  platform = await startPlatform();
  app = await provisionApp(platform, { product: 'fuzzed', scopes: ['a', 'b'] });
});
afterAll(() => platform.close());

const headerSafe = (value: string) => value.replace(/[^\t\x20-\x7e]/g, '');

const text = fc.string({ maxLength: 60 });
const paramName = fc.constantFrom('grant_type', 'client_id', 'client_secret', 'scope', 'token', 'token_type_hint', 'x');
const paramValue = fc.oneof(text, fc.constantFrom('client_credentials', 'password', '', ' ', '%', '%zz', '+', 'a b')).map(String);

/** Wrong secrets only: the real one never appears, so no request may succeed. */
const secretGuess = fc.oneof(text, fc.constant('')).filter((s) => s !== app?.consumerSecret);

const authorization = fc.oneof(
  fc.constant(undefined),
  text.map((value) => headerSafe(value)),
  fc.tuple(text, text).map(([id, secret]) => rawBasic(id, secret)),
  secretGuess.map((secret) => rawBasic(app.consumerKey, secret)),
  secretGuess.map((secret) => `Basic ${Buffer.from(`${encodeURIComponent(app.consumerKey)}:${encodeURIComponent(secret)}`).toString('base64')}`),
  fc.constantFrom('Basic', 'Basic ', 'Basic ====', 'Basic Og==', 'Bearer x', 'basic\tYTpi', 'Basic ' + 'A'.repeat(5000)),
);

const contentType = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded; charset=ISO-8859-1',
    'application/json',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    '',
  ),
  text.map(headerSafe),
);

const formBody = fc
  .array(fc.tuple(paramName, fc.oneof(paramValue, secretGuess)), { maxLength: 6 })
  .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));

const body = fc.oneof(
  fc.constant(undefined),
  formBody,
  formBody.map((form) => `${form}&client_id=${app.consumerKey}&client_secret=wrong`),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  fc.json().map(String),
);

const query = fc.oneof(fc.constant(''), formBody.map((form) => (form ? `?${form}` : '')), fc.constant('?grant_type=client_credentials'));

describe('token service fuzzing', () => {
  it.each(['/oauth/token', '/oauth/introspect', '/oauth/revoke'])('never answers %s with a 500 or a token', async (path) => {
    await fc.assert(
      fc.asyncProperty(authorization, contentType, body, query, fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE'), async (auth, type, payload, search, method) => {
        const headers: Record<string, string> = {};
        if (auth !== undefined && auth !== '') headers.authorization = auth;
        if (type !== undefined && type !== '') headers['content-type'] = type;
        const response = await platform.request(method, `${path}${search}`, {
          auth: false,
          headers,
          ...(payload !== undefined && method !== 'GET' ? { body: payload } : {}),
        });
        expect(response.status).toBeLessThan(500);
        // No request carries a valid secret, so every one is refused.
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.text).not.toContain('access_token');
        expect(response.text).not.toMatch(/"active"\s*:\s*true/);
        expect(typeof response.json?.error).toBe('string');
        expect(response.headers.get('access-control-allow-origin')).toBe('*');
      }),
      { numRuns: 120 },
    );
  });
});
