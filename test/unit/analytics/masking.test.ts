// What trace data never shows: credentials by name, and their values wherever they travel.
import { describe, expect, it } from 'vitest';
import { isSecretVariable, MASK, Masker } from '../../../shared/analytics/masking.js';

describe('trace masking', () => {
  it('masks credential variables by name', () => {
    for (const name of ['private.tier', 'client_id', 'access_token', 'verifyapikey.check.client_secret', 'oauthv2accesstoken.v.access_token', 'request.header.Authorization', 'request.queryparam.apikey', 'request.formparam.client_secret']) {
      expect(isSecretVariable(name), name).toBe(true);
    }
    for (const name of ['developer.app.name', 'request.verb', 'apiproduct.name', 'ratelimit.spike.failed', 'request.header.accept']) {
      expect(isSecretVariable(name), name).toBe(false);
    }
  });

  it('masks what secret names held wherever the value appears later, Basic credentials in parts', () => {
    const masker = new Masker(['kvm-value-123456']);
    const basic = `Basic ${Buffer.from('my-client-id:my%20secret%2Bplus').toString('base64')}`;
    expect(masker.header('Authorization', basic)).toBe(MASK);
    expect(masker.variable('private.x', 'private-value-1')).toBe(MASK);
    expect(masker.uri('/token?grant_type=client_credentials&client_secret=s3cr3t-value')).toBe('/token?grant_type=client_credentials&client_secret=*****');
    expect(masker.text('id my-client-id, secret my secret+plus, private-value-1, kvm-value-123456, s3cr3t-value')).toBe('id *****, secret *****, *****, *****, *****');
    expect(masker.body('{"access_token":"eyJhbGciOi.payload.sig","expires_in":3600}', 'application/json')).toBe('{"access_token":"*****","expires_in":3600}');
    expect(masker.text('short ok')).toBe('short ok');
  });
});
