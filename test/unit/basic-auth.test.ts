// The one Basic codec: RFC 7617 Basic and RFC 6749 client_secret_basic,
// written and read back for any text, and what it refuses.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { basicAuthorization, basicToken, clientSecretBasic, decodeBasic, formDecode, formEncode, readClientSecretBasic } from '../../shared/http/basic-auth.js';

const text = fc.string({ unit: 'grapheme', maxLength: 40 });

describe('Basic credentials', () => {
  it('reads back what it writes: user (without a colon) and password (any text)', () => {
    fc.assert(
      fc.property(text.filter((user) => !user.includes(':')), text, (user, password) => {
        expect(decodeBasic(basicToken(basicAuthorization(user, password))!)).toEqual({ user, password });
      }),
    );
  });

  it('reads client_secret_basic back to the client first, for any id and secret', () => {
    fc.assert(
      fc.property(text.filter(Boolean), text, (clientId, clientSecret) => {
        const candidates = readClientSecretBasic(basicToken(clientSecretBasic({ clientId, clientSecret }))!);
        expect(candidates?.[0]).toEqual({ clientId, clientSecret });
      }),
    );
  });

  it('form-encodes each part as RFC 6749 appendix B says', () => {
    expect(clientSecretBasic({ clientId: 'sb-id!b1|it', clientSecret: 'se:cr%et ü' })).toBe(
      `Basic ${Buffer.from('sb-id%21b1%7Cit:se%3Acr%25et+%C3%BC').toString('base64')}`,
    );
    fc.assert(
      fc.property(text, (value) => {
        expect(formDecode(formEncode(value))).toBe(value);
      }),
    );
  });

  it('refuses what is not base64 of UTF-8 text with a colon, and other schemes', () => {
    expect(basicToken('Bearer abc')).toBeUndefined();
    expect(basicToken('basic   dTpw ')).toBe('dTpw');
    expect(decodeBasic('not base64!')).toBeUndefined();
    expect(decodeBasic(Buffer.from('no colon').toString('base64'))).toBeUndefined();
    expect(decodeBasic(Buffer.from([0x75, 0x3a, 0xff]).toString('base64'))).toBeUndefined();
    expect(decodeBasic('A'.repeat(4100))).toBeUndefined();
    // A client needs a name; the raw reading is offered second when it differs.
    expect(readClientSecretBasic(Buffer.from(':secret').toString('base64'))).toBeUndefined();
    expect(readClientSecretBasic(Buffer.from('a+b:c%41').toString('base64'))).toEqual([
      { clientId: 'a b', clientSecret: 'cA' },
      { clientId: 'a+b', clientSecret: 'c%41' },
    ]);
  });
});
