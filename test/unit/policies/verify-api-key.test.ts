// VerifyAPIKey: the key from a variable, checked by the consumers service of
// this organization, the app, developer and product as flow variables, and
// Apigee's faults for every refusal.
import { describe, expect, it } from 'vitest';
import { verifyApiKeyPolicy } from '../../../shared/gateway/policies/verify-api-key.js';
import { exchangeFor, MemoryConsumers, runPolicy, xmlProblems, xmlRoundTrip } from '../../support/policy-context.js';

const app = { appId: 'app-1', name: 'postman' };
const developer = { email: 'ada@example.com', developerId: 'dev-1' };
const consumers = new MemoryConsumers({
  good: {
    consumerKey: 'good',
    consumerSecret: 'the-secret',
    app: { ...app, attributes: { tier: 'silver' } },
    developer,
    product: { name: 'gold', quota: { limit: 100, interval: 1, timeUnit: 'hour' }, attributes: { region: 'eu' } },
  },
  elsewhere: { consumerKey: 'elsewhere', app, developer },
  revoked: { consumerKey: 'revoked', app, developer, refused: 'key_revoked' },
  expired: { consumerKey: 'expired', app, developer, refused: 'key_expired' },
  inactive: { consumerKey: 'inactive', app, developer, refused: 'developer_inactive' },
});
const call = (key?: string) => runPolicy(verifyApiKeyPolicy, {}, { services: { consumers }, exchange: exchangeFor({ query: key === undefined ? {} : { apikey: key } }), name: 'VA-1' });

describe('VerifyAPIKey schema', () => {
  it('reads the key from request.queryparam.apikey unless told otherwise', () => {
    expect(verifyApiKeyPolicy.schema.parse({})).toEqual({ apiKey: { ref: 'request.queryparam.apikey' } });
    expect(verifyApiKeyPolicy.schema.safeParse({ apiKey: { ref: '' } }).success).toBe(false);
  });
});

describe('VerifyAPIKey XML', () => {
  it('reads the APIKey reference and requires one', () => {
    expect(xmlRoundTrip(verifyApiKeyPolicy, '<APIKey ref="request.header.x-api-key"/>')).toEqual({ apiKey: { ref: 'request.header.x-api-key' } });
    expect(xmlProblems(verifyApiKeyPolicy, '<APIKey/>')).toContain('/VerifyAPIKey/APIKey/@ref invalid');
  });
});

describe('VerifyAPIKey execute', () => {
  it('exposes the app, developer and product quota as Apigee variables', async () => {
    const { fault, exchange } = await call('good');
    expect(fault).toBeUndefined();
    expect(
      ['client_id', 'developer.app.name', 'verifyapikey.VA-1.app.id', 'developer.email', 'apiproduct.name', 'verifyapikey.VA-1.apiproduct.developer.quota.limit'].map((name) => exchange.get(name)),
    ).toEqual(['good', 'postman', 'app-1', 'ada@example.com', 'gold', 100]);
  });

  it("exposes the consumer secret, the app's and the product's attributes", async () => {
    const { exchange } = await call('good');
    expect(['verifyapikey.VA-1.client_secret', 'verifyapikey.VA-1.tier', 'apiproduct.region', 'verifyapikey.VA-1.apiproduct.region'].map((name) => exchange.get(name))).toEqual([
      'the-secret',
      'silver',
      'eu',
      'eu',
    ]);
    expect(exchange.get('client_secret')).toBeUndefined();
  });

  it("answers each refusal with Apigee's fault", async () => {
    const faults = await Promise.all(['unknown', 'revoked', 'expired', 'inactive', 'elsewhere'].map(async (key) => (await call(key)).fault));
    expect(faults.map((fault) => [fault?.status, fault?.errorCode])).toEqual([
      [401, 'oauth.v2.InvalidApiKey'],
      [401, 'oauth.v2.ApiKeyNotApproved'],
      [401, 'keymanagement.service.consumer_key_expired'],
      [401, 'keymanagement.service.DeveloperStatusNotActive'],
      // A key none of whose products covers this proxy.
      [401, 'oauth.v2.InvalidApiKeyForGivenResource'],
    ]);
    expect((await call()).fault).toMatchObject({ status: 401, faultName: 'FailedToResolveAPIKey', errorCode: 'steps.oauth.v2.FailedToResolveAPIKey' });
  });
});
