// VerifyAPIKey: checks the app's consumer key (from any variable, usually a
// query parameter or header) against the developer apps of this proxy's
// organization and their API products (proxies, environments, API resources,
// operation groups), and exposes the app, its secret, the developer and the
// product quota settings as Apigee's flow variables. Cached per container by
// the consumer lookup: a warm call reads nothing from the store.
import * as z from 'zod';
import { isCredentialError, type CredentialFailure } from '../../credentials/errors.js';
import { el } from './xml-model.js';
import type { PolicyExchange } from '../engine/policy.js';
import { definePolicy, policyXml } from './define-policy.js';
import { stringify } from '../language/template.js';
import { defineFaults, raise } from './common.js';
import type { ProductView } from './services.js';

const schema = z.lazy(() => z.object({
  apiKey: z.object({ ref: z.string().min(1) }).default({ ref: 'request.queryparam.apikey' }),
}));

export const VERIFY_API_KEY_FAULTS = defineFaults({
  FailedToResolveAPIKey: ['steps.oauth.v2.FailedToResolveAPIKey', 401],
  InvalidApiKey: ['oauth.v2.InvalidApiKey', 401],
  InvalidApiKeyForGivenResource: ['oauth.v2.InvalidApiKeyForGivenResource', 401],
  ApiKeyNotApproved: ['oauth.v2.ApiKeyNotApproved', 401],
  consumer_key_expired: ['keymanagement.service.consumer_key_expired', 401],
  'invalid_client-app_not_approved': ['keymanagement.service.invalid_client-app_not_approved', 401],
  DeveloperStatusNotActive: ['keymanagement.service.DeveloperStatusNotActive', 401],
});

const REFUSALS: Record<CredentialFailure, [keyof typeof VERIFY_API_KEY_FAULTS, string]> = {
  invalid_key: ['InvalidApiKey', 'Invalid ApiKey'],
  key_expired: ['consumer_key_expired', 'Consumer key has expired'],
  key_revoked: ['ApiKeyNotApproved', 'ApiKey not approved'],
  app_not_approved: ['invalid_client-app_not_approved', 'The app is not approved'],
  developer_inactive: ['DeveloperStatusNotActive', 'Developer is inactive'],
  invalid_client: ['InvalidApiKey', 'Invalid ApiKey'],
  invalid_token: ['InvalidApiKey', 'Invalid ApiKey'],
  token_expired: ['InvalidApiKey', 'Invalid ApiKey'],
  token_revoked: ['InvalidApiKey', 'Invalid ApiKey'],
  insufficient_scope: ['InvalidApiKey', 'Invalid ApiKey'],
  invalid_scope: ['InvalidApiKey', 'Invalid ApiKey'],
};

/** The variables Apigee sets after a successful key or token check, plain and under `prefix`. */
export function setConsumerVariables(
  exchange: PolicyExchange,
  prefix: string,
  values: {
    clientId: string;
    clientSecret?: string;
    appName: string;
    appId?: string;
    appAttributes?: Record<string, string>;
    developerEmail?: string;
    developerId?: string;
    product?: ProductView;
  },
): void {
  const set = (name: string, value: unknown) => {
    if (value === undefined) return;
    exchange.set(name, value);
    if (prefix) exchange.set(`${prefix}.${name}`, value);
  };
  set('client_id', values.clientId);
  if (prefix && values.clientSecret !== undefined) exchange.set(`${prefix}.client_secret`, values.clientSecret);
  set('app.name', values.appName);
  set('developer.app.name', values.appName);
  set('app.id', values.appId);
  set('developer.email', values.developerEmail);
  set('developer.id', values.developerId);
  set('apiproduct.name', values.product?.name);
  for (const [name, value] of Object.entries(values.product?.attributes ?? {})) set(`apiproduct.${name}`, value);
  if (prefix) for (const [name, value] of Object.entries(values.appAttributes ?? {})) exchange.set(`${prefix}.${name}`, value);
  if (values.product?.quota) {
    set('apiproduct.developer.quota.limit', values.product.quota.limit);
    set('apiproduct.developer.quota.interval', values.product.quota.interval);
    set('apiproduct.developer.quota.timeunit', values.product.quota.timeUnit);
  }
}

export const verifyApiKeyPolicy = definePolicy({
  type: 'VerifyAPIKey',
  schema,
  faults: VERIFY_API_KEY_FAULTS,
  services: ['consumers'],
  execute: async ({ config, exchange, policy, services: { consumers } }) => {
    const raw = exchange.get(config.apiKey.ref);
    const key = raw === undefined || raw === null ? '' : stringify(raw);
    if (!key) throw raise(VERIFY_API_KEY_FAULTS, 'FailedToResolveAPIKey', `Failed to resolve API Key variable ${config.apiKey.ref}`);
    let verified;
    try {
      verified = await consumers.verifyApiKey(key, { pathSuffix: exchange.pathSuffix, verb: exchange.request.verb });
    } catch (error) {
      if (!isCredentialError(error)) throw error;
      const [name, message] = REFUSALS[error.reason];
      throw raise(VERIFY_API_KEY_FAULTS, name, message);
    }
    const { product } = verified;
    if (!product) throw raise(VERIFY_API_KEY_FAULTS, 'InvalidApiKeyForGivenResource', 'Invalid ApiKey for given resource');
    setConsumerVariables(exchange, `verifyapikey.${policy.name}`, {
      clientId: verified.consumerKey,
      ...(verified.consumerSecret === undefined ? {} : { clientSecret: verified.consumerSecret }),
      appName: verified.app.name,
      appId: verified.app.appId,
      ...(verified.app.attributes ? { appAttributes: verified.app.attributes } : {}),
      developerEmail: verified.developer.email,
      developerId: verified.developer.developerId,
      product,
    });
  },
});

export const verifyApiKeyPolicyXml = /* @__PURE__ */ policyXml(verifyApiKeyPolicy, {
  fromXml: (root) => {
    const apiKey = root.child('APIKey');
    if (!apiKey) return {};
    const ref = apiKey.attr('ref')?.trim();
    if (!ref) apiKey.report('the ref attribute naming the variable that holds the key is required', { attribute: 'ref' });
    return { apiKey: { ref } };
  },
  toXml: (config) => ({ children: [el('APIKey', { ref: config.apiKey.ref })] }),
});
