// OAuthV2: VerifyAccessToken (bearer token, scopes, a product covering this
// proxy) and GenerateAccessToken (client credentials from Basic or the form,
// RFC 6749 errors), against an in-memory token service.
import { describe, expect, it } from 'vitest';
import { oauthV2 } from '../../../shared/gateway/policies/oauth-v2.js';
import { clientSecretBasic } from '../../../shared/http/basic-auth.js';
import { exchangeFor, MemoryConsumers, MemoryTokens, runPolicy, xmlProblems, xmlRoundTrip } from '../../support/policy-context.js';

const client = { secret: 's3cret:with+chars', appName: 'postman', scopes: ['read', 'write'], products: ['gold'], developerEmail: 'ada@example.com' };
const services = () => ({
  tokens: new MemoryTokens({ 'client-1': client }),
  consumers: new MemoryConsumers({}, { gold: { name: 'gold' } }),
});

function tokenRequest(form: Record<string, string>, headers: Record<string, string> = {}) {
  return exchangeFor({ verb: 'POST', path: '/orders/token', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() });
}

describe('OAuthV2 schema', () => {
  it('takes the two supported operations', () => {
    expect(oauthV2.schema.parse({ operation: 'GenerateAccessToken' })).toMatchObject({ supportedGrantTypes: ['client_credentials'], generateResponse: true });
    expect(oauthV2.schema.safeParse({ operation: 'RefreshAccessToken' }).success).toBe(false);
  });
});

describe('OAuthV2 XML', () => {
  it('reads both operations', () => {
    expect(xmlRoundTrip(oauthV2, '<Operation>VerifyAccessToken</Operation><AccessToken>request.header.token</AccessToken><AccessTokenPrefix>Bearer</AccessTokenPrefix><Scope>read write</Scope>')).toMatchObject({
      operation: 'VerifyAccessToken',
      accessToken: { ref: 'request.header.token' },
      scope: 'read write',
    });
    expect(
      xmlRoundTrip(oauthV2, '<Operation>GenerateAccessToken</Operation><ExpiresIn>3600000</ExpiresIn><SupportedGrantTypes><GrantType>client_credentials</GrantType></SupportedGrantTypes><GenerateResponse enabled="false"/>'),
    ).toMatchObject({ operation: 'GenerateAccessToken', generateResponse: false });
  });

  it('reads the harmless elements real bundles carry without marking the policy unsupported', () => {
    const config = xmlRoundTrip(
      oauthV2,
      '<Operation>VerifyAccessToken</Operation><Attributes/><Tokens/><RFCCompliantRequestResponse>true</RFCCompliantRequestResponse><GenerateErrorResponse enabled="true"/><ExpiresIn>1800000</ExpiresIn>',
    );
    expect(config).toMatchObject({ operation: 'VerifyAccessToken' });
    expect(xmlProblems(oauthV2, '<Operation>GenerateAccessToken</Operation><Attributes><Attribute name="x" ref="y"/></Attributes>')).toEqual(['/OAuthV2/Attributes unsupported']);
  });

  it('says what it cannot do', () => {
    expect(xmlProblems(oauthV2, '<Operation>RefreshAccessToken</Operation>')).toContain('/OAuthV2/Operation unsupported');
    expect(xmlProblems(oauthV2, '<Operation>VerifyAccessToken</Operation><ExternalAuthorization>true</ExternalAuthorization>')).toEqual(['/OAuthV2/ExternalAuthorization unsupported']);
  });
});

describe('OAuthV2 GenerateAccessToken', () => {
  it('issues a token to client_secret_basic credentials and answers with it', async () => {
    const exchange = tokenRequest({ grant_type: 'client_credentials', scope: 'read' }, { authorization: clientSecretBasic({ clientId: 'client-1', clientSecret: client.secret }) });
    const { fault } = await runPolicy(oauthV2, { operation: 'GenerateAccessToken' }, { exchange, services: services(), name: 'GT' });
    expect(fault).toBeUndefined();
    expect(exchange.skipToResponse).toBe(true);
    expect(exchange.response.headers.get('cache-control')).toBe('no-store');
    expect(JSON.parse(exchange.response.content)).toMatchObject({ access_token: 'token-1', token_type: 'Bearer', scope: 'read', client_id: 'client-1', application_name: 'postman' });
    expect(exchange.get('oauthv2accesstoken.GT.access_token')).toBe('token-1');
  });

  it('accepts the raw (RFC 2617) reading of Basic and client_secret_post', async () => {
    const raw = `Basic ${Buffer.from(`client-1:${client.secret}`).toString('base64')}`;
    const basic = await runPolicy(oauthV2, { operation: 'GenerateAccessToken', generateResponse: false }, { exchange: tokenRequest({ grant_type: 'client_credentials' }, { authorization: raw }), services: services() });
    expect(basic.fault).toBeUndefined();
    const post = await runPolicy(oauthV2, { operation: 'GenerateAccessToken', generateResponse: false }, {
      exchange: tokenRequest({ grant_type: 'client_credentials', client_id: 'client-1', client_secret: client.secret }),
      services: services(),
    });
    expect(post.exchange.get('client_id')).toBe('client-1');
  });

  it('answers in RFC 6749 form: missing grant, unsupported grant, bad client, bad scope', async () => {
    const basicHeader = { authorization: clientSecretBasic({ clientId: 'client-1', clientSecret: client.secret }) };
    const cases: [Record<string, string>, Record<string, string>, number, string][] = [
      [{}, basicHeader, 400, 'invalid_request'],
      [{ grant_type: 'password' }, basicHeader, 400, 'unsupported_grant_type'],
      [{ grant_type: 'client_credentials' }, {}, 401, 'invalid_client'],
      [{ grant_type: 'client_credentials' }, { authorization: clientSecretBasic({ clientId: 'client-1', clientSecret: 'wrong' }) }, 401, 'invalid_client'],
      [{ grant_type: 'client_credentials', scope: 'admin' }, basicHeader, 400, 'invalid_scope'],
    ];
    for (const [form, headers, status, error] of cases) {
      const { fault } = await runPolicy(oauthV2, { operation: 'GenerateAccessToken' }, { exchange: tokenRequest(form, headers), services: services() });
      expect(fault, error).toMatchObject({ status, faultName: error });
      expect(JSON.parse(fault!.response!.content).error).toBe(error);
      if (status === 401) expect(fault!.response!.headers.get('www-authenticate')).toBe('Basic realm="api"');
    }
  });
});

describe('OAuthV2 VerifyAccessToken', () => {
  async function issued() {
    const shared = services();
    const token = await shared.tokens.issue({ clientId: 'client-1', clientSecret: client.secret, scope: 'read' });
    return { shared, token: token.access_token };
  }

  it('accepts a bearer token with the scopes asked for and sets the consumer variables', async () => {
    const { shared, token } = await issued();
    const exchange = exchangeFor({ headers: { authorization: `Bearer ${token}` } });
    const { fault } = await runPolicy(oauthV2, { operation: 'VerifyAccessToken', scope: 'read' }, { exchange, services: shared, name: 'VT' });
    expect(fault).toBeUndefined();
    expect(['client_id', 'scope', 'apiproduct.name', 'developer.email', 'access_token'].map((name) => exchange.get(name))).toEqual(['client-1', 'read', 'gold', 'ada@example.com', token]);
  });

  it('accepts a token carrying any one of the listed scopes and sets the documented variables', async () => {
    const { shared, token } = await issued();
    const exchange = exchangeFor({ headers: { authorization: `Bearer ${token}` } });
    const { fault } = await runPolicy(oauthV2, { operation: 'VerifyAccessToken', scope: 'write read' }, { exchange, services: shared });
    expect(fault).toBeUndefined();
    expect(Number(exchange.get('expires_in'))).toBeGreaterThan(3500);
    expect(['organization_name', 'developer.app.name', 'grant_type', 'token_type', 'status', 'issued_at'].map((name) => exchange.get(name))).toEqual([
      'acme',
      'postman',
      'client_credentials',
      'BearerToken',
      'approved',
      1_700_000_000_000,
    ]);
  });

  it("answers each refusal with Apigee's fault and a Bearer challenge", async () => {
    const { shared, token } = await issued();
    shared.tokens.issued.set('revoked', { ...shared.tokens.issued.get(token)!, revoked: true });
    shared.tokens.issued.set('expired', { ...shared.tokens.issued.get(token)!, expired: true });
    const verify = async (header: string | undefined, scope?: string) =>
      (await runPolicy(oauthV2, { operation: 'VerifyAccessToken', ...(scope ? { scope } : {}) }, { exchange: exchangeFor({ headers: header ? { authorization: header } : {} }), services: shared })).fault!;
    const refusals = [await verify(undefined), await verify('Bearer forged'), await verify('Bearer revoked'), await verify('Bearer expired'), await verify(`Bearer ${token}`, 'write')];
    expect(refusals.map((fault) => [fault.status, fault.faultName])).toEqual([
      [401, 'InvalidAccessToken'],
      [401, 'invalid_access_token'],
      [401, 'invalid_access_token'],
      [401, 'access_token_expired'],
      [403, 'InsufficientScope'],
    ]);
    expect(refusals[4]!.headers['WWW-Authenticate']).toBe('Bearer realm="api", error="insufficient_scope"');
  });

  it('refuses a valid token none of whose products covers this proxy', async () => {
    const { shared, token } = await issued();
    const { fault } = await runPolicy(oauthV2, { operation: 'VerifyAccessToken' }, {
      exchange: exchangeFor({ headers: { authorization: `Bearer ${token}` } }),
      services: { tokens: shared.tokens, consumers: new MemoryConsumers() },
    });
    expect(fault).toMatchObject({ status: 401, faultName: 'InvalidAPICallAsNoApiProductMatchFound', errorCode: 'keymanagement.service.InvalidAPICallAsNoApiProductMatchFound' });
  });
});
