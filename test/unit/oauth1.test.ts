// OAuth 1.0a signing against RFC 5849's own examples: the signature base
// string of section 3.4.1.1 and the HMAC-SHA1 signature of section 1.2,
// percent-encoding (3.6), the base string URI (3.4.1.2) and the header.
import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { authorizationHeader, baseStringUri, percentEncode, signature, signatureBaseString } from '../../shared/connectors/oauth1.js';

describe('RFC 5849 signatures', () => {
  it('builds the base string of section 3.4.1.1', () => {
    const url = new URL('http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b');
    const params: [string, string][] = [
      ['oauth_consumer_key', '9djdj82h48djs9d2'],
      ['oauth_token', 'kkk9d7dh3k39sjv7'],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', '137131201'],
      ['oauth_nonce', '7d8f3e4a'],
      ...url.searchParams,
      ['c2', ''],
      ['a3', '2 q'],
    ];
    expect(signatureBaseString('POST', url, params)).toBe(
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7',
    );
  });

  it('signs the photo request of section 1.2 with HMAC-SHA1', () => {
    const url = new URL('http://photos.example.net/photos?file=vacation.jpg&size=original');
    const params: [string, string][] = [
      ['oauth_consumer_key', 'dpf43f3p2l4k3l03'],
      ['oauth_token', 'nnch734d00sl2jdk'],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', '137131202'],
      ['oauth_nonce', 'chapoH'],
      ...url.searchParams,
    ];
    const credentials = { consumerKey: 'dpf43f3p2l4k3l03', consumerSecret: 'kd94hf93k423kf44', token: 'nnch734d00sl2jdk', tokenSecret: 'pfkkdhi9sl3r4s00' };
    expect(signature('HMAC-SHA1', signatureBaseString('GET', url, params), credentials)).toBe('MdpQcU8iPSUjWoN/UDMsK2sui9I=');
    expect(signature('PLAINTEXT', '', credentials)).toBe('kd94hf93k423kf44&pfkkdhi9sl3r4s00');
  });

  it('signs with RSA-SHA1 so that the public key verifies it', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const base = 'GET&http%3A%2F%2Fexample.com%2F&a%3D1';
    const signed = signature('RSA-SHA1', base, { consumerKey: 'k', consumerSecret: privateKey });
    expect(verify('sha1', Buffer.from(base), publicKey, Buffer.from(signed, 'base64'))).toBe(true);
  });

  it('encodes as section 3.6 says and normalizes the base string URI', () => {
    expect(percentEncode("a b!*'()~-._/?=&+%é")).toBe('a%20b%21%2A%27%28%29~-._%2F%3F%3D%26%2B%25%C3%A9');
    expect(baseStringUri(new URL('HTTP://EXAMPLE.com:80/r%20v/X?id=123'))).toBe('http://example.com/r%20v/X');
    expect(baseStringUri(new URL('https://www.example.net:8080/?q=1'))).toBe('https://www.example.net:8080/');
  });

  it('writes the Authorization header with every protocol parameter encoded', () => {
    const header = authorizationHeader(
      { type: 'oauth1', requestTokenUrl: 'https://x/rt', authorizationUrl: 'https://x/a', accessTokenUrl: 'https://x/at', signatureMethod: 'HMAC-SHA1', realm: 'Photos' },
      { consumerKey: 'key with space', consumerSecret: 's' },
      { method: 'POST', url: new URL('https://x/rt'), extra: { oauth_callback: 'http://printer.example.com/ready' } },
      137131200_000,
    );
    expect(header).toMatch(/^OAuth realm="Photos", oauth_consumer_key="key%20with%20space", oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131200", oauth_nonce="[0-9a-f]{32}", oauth_version="1.0", oauth_callback="http%3A%2F%2Fprinter.example.com%2Fready", oauth_signature="[A-Za-z0-9%]+"$/);
  });
});
