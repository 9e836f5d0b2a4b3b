// GenerateJWT, VerifyJWT and DecodeJWT with jose: RS256 with PEM keys, HS256
// secrets, a JWKS served by a loopback server (through the SSRF guard), an
// encrypted JWT (RSA-OAEP-256 / A128GCM) as the json-web-tokens sample makes,
// and Apigee's refusals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { decodeJwt } from '../../../shared/gateway/policies/decode-jwt.js';
import { generateJwt } from '../../../shared/gateway/policies/generate-jwt.js';
import { verifyJwt } from '../../../shared/gateway/policies/verify-jwt.js';
import { startBackend, type Backend } from '../../support/backend.js';
import { exchangeFor, LoopbackHttp, runPolicy, xmlRoundTrip } from '../../support/policy-context.js';

let keys: { privatePem: string; publicPem: string; jwk: object; other: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'] };
let jwks: Backend;
beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  const other = await generateKeyPair('RS256');
  keys = { privatePem: await exportPKCS8(pair.privateKey), publicPem: await exportSPKI(pair.publicKey), jwk: { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' }, other: other.privateKey };
  jwks = await startBackend((_request, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [keys.jwk] }));
  });
});
afterAll(() => jwks.close());

function withKeys() {
  const exchange = exchangeFor({ verb: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  exchange.set('private.rsa_privatekey', keys.privatePem);
  exchange.set('rsa_publickey', keys.publicPem);
  exchange.set('desired_subject', 'ada');
  exchange.set('desired_audience', 'orders');
  exchange.set('custom_claim', 'bar');
  return exchange;
}

const GENERATE_SIGNED = `<Algorithm>RS256</Algorithm><PrivateKey><Id>k1</Id><Value ref="private.rsa_privatekey"/></PrivateKey><Issuer>urn://apigee</Issuer><ExpiresIn>600s</ExpiresIn>
  <Subject ref="desired_subject"/><Audience ref="desired_audience"/><AdditionalClaims><Claim name="claim1">foo</Claim><Claim name="claim2" ref="custom_claim"/></AdditionalClaims><OutputVariable>output_jwt</OutputVariable>`;
const VERIFY_SIGNED = '<Source>output_jwt</Source><Algorithm>RS256</Algorithm><PublicKey><Value ref="rsa_publickey"/></PublicKey><Subject ref="desired_subject"/><Audience ref="desired_audience"/><TimeAllowance>30s</TimeAllowance>';

describe('JWT XML', () => {
  it("reads the json-web-tokens sample's policies", () => {
    expect(xmlRoundTrip(generateJwt, GENERATE_SIGNED)).toMatchObject({ algorithm: 'RS256', privateKey: { id: { value: 'k1' } }, expiresIn: { value: '600s' }, claims: [{ name: 'claim1', value: 'foo' }, { name: 'claim2', ref: 'custom_claim' }] });
    expect(xmlRoundTrip(verifyJwt, VERIFY_SIGNED)).toMatchObject({ source: 'output_jwt', timeAllowance: '30s' });
    expect(xmlRoundTrip(verifyJwt, '<Algorithm>RS256</Algorithm><PublicKey><JWKS uri="https://idp.example/jwks"/></PublicKey><Issuer>https://idp.example</Issuer>')).toMatchObject({ publicKey: { jwksUri: 'https://idp.example/jwks' } });
    expect(xmlRoundTrip(generateJwt, '<Algorithms><Key>RSA-OAEP-256</Key><Content>A128GCM</Content></Algorithms><PublicKey><Value ref="k"/></PublicKey><Id/>')).toMatchObject({ keyAlgorithm: 'RSA-OAEP-256', generateId: true });
  });
});

describe('JWT execute', () => {
  it('generates a signed token the verifier accepts, and decodes it', async () => {
    const exchange = withKeys();
    const generated = await runPolicy(generateJwt, { algorithm: 'RS256', privateKey: { value: { ref: 'private.rsa_privatekey' }, id: { value: 'k1' } }, issuer: { value: 'urn://apigee' }, expiresIn: { value: '600s' }, subject: { ref: 'desired_subject' }, audience: { ref: 'desired_audience' }, claims: [{ name: 'claim2', ref: 'custom_claim' }], outputVariable: 'output_jwt' }, { exchange });
    expect(generated.fault).toBeUndefined();
    const verified = await runPolicy(verifyJwt, { source: 'output_jwt', algorithm: 'RS256', publicKey: { value: { ref: 'rsa_publickey' } }, subject: { ref: 'desired_subject' }, audience: { ref: 'desired_audience' }, timeAllowance: '30s' }, { exchange, name: 'JWT-V' });
    expect(verified.fault).toBeUndefined();
    expect(['jwt.JWT-V.valid', 'jwt.JWT-V.claim.subject', 'jwt.JWT-V.decoded.claim.claim2', 'jwt.JWT-V.header.kid', 'jwt.JWT-V.is_expired'].map((name) => exchange.get(name))).toEqual([true, 'ada', 'bar', 'k1', false]);
    await runPolicy(decodeJwt, { source: 'output_jwt' }, { exchange, name: 'JWT-D' });
    expect(exchange.get('jwt.JWT-D.claim.issuer')).toBe('urn://apigee');
  });

  it('decodes only the header of an encrypted token, as Apigee does', async () => {
    const exchange = withKeys();
    const generated = await runPolicy(generateJwt, { keyAlgorithm: 'RSA-OAEP-256', contentAlgorithm: 'A128GCM', publicKey: { value: { ref: 'rsa_publickey' } }, subject: { value: 'ada' }, outputVariable: 'jwe' }, { exchange });
    expect(generated.fault).toBeUndefined();
    const decoded = await runPolicy(decodeJwt, { source: 'jwe' }, { exchange, name: 'JWT-D' });
    expect(decoded.fault).toBeUndefined();
    expect([exchange.get('jwt.JWT-D.decoded.header.enc'), exchange.get('jwt.JWT-D.decoded.header.alg'), exchange.get('jwt.JWT-D.claim.subject')]).toEqual(['A128GCM', 'RSA-OAEP-256', undefined]);
  });

  it('refuses another audience, an expired token and a foreign signature', async () => {
    const exchange = withKeys();
    await runPolicy(generateJwt, { algorithm: 'RS256', privateKey: { value: { ref: 'private.rsa_privatekey' } }, audience: { value: 'billing' }, expiresIn: { value: '600s' }, outputVariable: 't' }, { exchange });
    const verify = { source: 't', algorithm: 'RS256', publicKey: { value: { ref: 'rsa_publickey' } } };
    expect((await runPolicy(verifyJwt, { ...verify, audience: { ref: 'desired_audience' } }, { exchange })).fault?.errorCode).toBe('steps.jwt.JwtAudienceMismatch');
    exchange.set('expired', await new SignJWT({ exp: Math.floor(Date.now() / 1000) - 120 }).setProtectedHeader({ alg: 'RS256' }).sign(await (await import('jose')).importPKCS8(keys.privatePem, 'RS256')));
    expect((await runPolicy(verifyJwt, { ...verify, source: 'expired', timeAllowance: '30s' }, { exchange })).fault?.errorCode).toBe('steps.jwt.TokenExpired');
    exchange.set('foreign', await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'RS256' }).sign(keys.other));
    expect((await runPolicy(verifyJwt, { ...verify, source: 'foreign' }, { exchange })).fault).toMatchObject({ status: 401, errorCode: 'steps.jwt.InvalidSignature' });
    expect((await runPolicy(verifyJwt, { ...verify, algorithm: 'HS256', source: 'foreign' }, { exchange })).fault?.errorCode).toBe('steps.jwt.AlgorithmMismatch');
  });

  it('verifies with a JWKS fetched through the guard, and with a secret', async () => {
    const exchange = withKeys();
    await runPolicy(generateJwt, { algorithm: 'RS256', privateKey: { value: { ref: 'private.rsa_privatekey' }, id: { value: 'k1' } }, outputVariable: 't' }, { exchange });
    const jwksConfig = { source: 't', algorithm: 'RS256', publicKey: { jwksUri: `${jwks.url}/jwks.json` } };
    expect((await runPolicy(verifyJwt, jwksConfig, { exchange, services: { http: new LoopbackHttp() } })).fault).toBeUndefined();
    expect((await runPolicy(verifyJwt, { ...jwksConfig, publicKey: { jwksUri: 'http://169.254.169.254/jwks' } }, { exchange, services: { http: new LoopbackHttp() } })).fault?.errorCode).toBe('steps.jwt.KeyParsingFailed');
    exchange.set('private.secret', 'a-secret-of-at-least-32-bytes-long!!');
    await runPolicy(generateJwt, { algorithm: 'HS256', secretKey: { value: { ref: 'private.secret' } }, outputVariable: 'h' }, { exchange });
    expect((await runPolicy(verifyJwt, { source: 'h', algorithm: 'HS256', secretKey: { value: { ref: 'private.secret' } } }, { exchange })).fault).toBeUndefined();
  });

  it('encrypts and decrypts a JWT as the json-web-tokens sample does', async () => {
    const exchange = withKeys();
    const generated = await runPolicy(generateJwt, { keyAlgorithm: 'RSA-OAEP-256', contentAlgorithm: 'A128GCM', publicKey: { value: { ref: 'rsa_publickey' } }, subject: { ref: 'desired_subject' }, claims: [{ name: 'claim1', value: 'foo' }], outputVariable: 'enc' }, { exchange });
    expect(generated.fault).toBeUndefined();
    expect(String(exchange.get('enc')).split('.')).toHaveLength(5);
    const verified = await runPolicy(verifyJwt, { source: 'enc', keyAlgorithm: 'RSA-OAEP-256', contentAlgorithm: 'A128GCM', privateKey: { value: { ref: 'private.rsa_privatekey' } }, subject: { ref: 'desired_subject' } }, { exchange, name: 'V' });
    expect(verified.fault).toBeUndefined();
    expect(exchange.get('jwt.V.claim.claim1')).toBe('foo');
  });
});
