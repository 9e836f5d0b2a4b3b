// Reading client credentials (RFC 6749 2.3.1 and raw Basic) and resolving the
// requested scope, without HTTP.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HttpRequest } from '../../shared/http/request.js';
import { testRequest } from '../support/requests.js';
import { formDecode } from '../../shared/http/basic-auth.js';
import { readClientAuthentication } from '../../shared/oauth/client-auth.js';
import { resolveScope } from '../../shared/oauth/issue.js';

function request(authorization?: string | string[]): HttpRequest {
  const values = authorization === undefined ? [] : Array.isArray(authorization) ? authorization : [authorization];
  return testRequest('POST', '/oauth/token', {
    headers: values.length ? { authorization: values.join(', ') } : {},
    multiHeaders: values.length ? { authorization: values } : {},
    requestId: 'test',
  });
}

const basic = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;
const formEncode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');

describe('readClientAuthentication', () => {
  it('decodes RFC 6749 Basic credentials, and also tries the raw reading when it differs', () => {
    const auth = readClientAuthentication(request(basic(`${formEncode('id:1')}:${formEncode('a+b %c ü')}`)), new URLSearchParams());
    expect(auth.method).toBe('client_secret_basic');
    expect(auth.candidates[0]).toEqual({ clientId: 'id:1', clientSecret: 'a+b %c ü' });
    expect(auth.candidates[1]).toEqual({ clientId: formEncode('id:1'), clientSecret: formEncode('a+b %c ü') });
    const plain = readClientAuthentication(request(basic('client:secret')), new URLSearchParams());
    expect(plain.candidates).toEqual([{ clientId: 'client', clientSecret: 'secret' }]);
    const malformedPercent = readClientAuthentication(request(basic('client:100%')), new URLSearchParams());
    expect(malformedPercent.candidates).toEqual([{ clientId: 'client', clientSecret: '100%' }]);
  });

  it('reads client_secret_post and refuses two methods at once', () => {
    const form = new URLSearchParams({ client_id: 'c', client_secret: 's' });
    expect(readClientAuthentication(request(), form)).toEqual({ method: 'client_secret_post', candidates: [{ clientId: 'c', clientSecret: 's' }] });
    expect(() => readClientAuthentication(request(basic('c:s')), form)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    // client_id repeated in the body next to Basic is allowed when it names the same client.
    expect(readClientAuthentication(request(basic('c:s')), new URLSearchParams({ client_id: 'c' })).candidates).toEqual([{ clientId: 'c', clientSecret: 's' }]);
    expect(() => readClientAuthentication(request(basic('c:s')), new URLSearchParams({ client_id: 'd' }))).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });

  it.each([
    ['no credentials', undefined, 'invalid_client'],
    ['another scheme', 'Bearer abc', 'invalid_client'],
    ['no colon', basic('justanid'), 'invalid_client'],
    ['empty id', basic(':secret'), 'invalid_client'],
    ['not base64', 'Basic %%%', 'invalid_client'],
    ['not UTF-8', `Basic ${Buffer.from([0x63, 0x3a, 0xff, 0xfe]).toString('base64')}`, 'invalid_client'],
    ['two Authorization headers', [basic('a:b'), basic('c:d')], 'invalid_request'],
  ])('refuses %s', (_name, header, code) => {
    expect(() => readClientAuthentication(request(header), new URLSearchParams())).toThrow(expect.objectContaining({ code }));
  });

  it('never throws anything but an HTTP error on arbitrary headers', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 50 }), (header, text) => {
        for (const value of [header, `Basic ${header}`, basic(text)]) {
          try {
            readClientAuthentication(request(value), new URLSearchParams());
          } catch (error) {
            expect((error as { status?: number }).status).toBeGreaterThanOrEqual(400);
          }
        }
      }),
    );
  });

  it('form-decodes like application/x-www-form-urlencoded', () => {
    expect(formDecode('a+b%2Bc')).toBe('a b+c');
    expect(formDecode('%E2%82%AC')).toBe('€');
    expect(formDecode('%zz')).toBeUndefined();
  });
});

describe('resolveScope', () => {
  const grantable = ['read', 'write'];
  it('grants everything for an absent or blank scope', () => {
    expect(resolveScope(undefined, grantable)).toEqual(grantable);
    expect(resolveScope('   ', grantable)).toEqual(grantable);
  });
  it('grants a subset, once each', () => {
    expect(resolveScope('write  write', grantable)).toEqual(['write']);
  });
  it('refuses scopes outside the products and malformed ones', () => {
    expect(() => resolveScope('read admin', grantable)).toThrow(expect.objectContaining({ reason: 'invalid_scope' }));
    expect(() => resolveScope('re"ad', grantable)).toThrow(expect.objectContaining({ reason: 'invalid_scope' }));
  });
});
