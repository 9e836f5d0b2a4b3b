// VerifyAPIKey: checks the app's consumer key (from any variable, usually a
// query parameter or header) against the developer apps of this proxy's
// organization and their API products, and exposes the app, developer and
// product quota settings as flow variables. Cached per container by the
// consumer lookup: a warm call reads nothing from the store.
import * as z from 'zod';
import { isCredentialError, type CredentialFailure } from '../../credentials/errors.js';
import { el } from './xml-model.js';
import type { PolicyExchange } from '../engine/policy.js';
import type { Fault } from '../engine/faults.js';
import { definePolicy } from './define-policy.js';
import { stringify } from '../language/template.js';
import { policyFault } from './common.js';

const schema = z.object({
  apiKey: z.object({ ref: z.string().min(1) }).default({ ref: 'request.queryparam.apikey' }),
});

const FAULTS: Partial<Record<CredentialFailure, [string, string, string]>> = {
  invalid_key: ['InvalidApiKey', 'oauth.v2.InvalidApiKey', 'Invalid ApiKey'],
  key_expired: ['ConsumerKeyExpired', 'keymanagement.service.consumer_key_expired', 'Consumer key has expired'],
  key_revoked: ['ApiKeyNotApproved', 'oauth.v2.ApiKeyNotApproved', 'ApiKey not approved'],
  app_not_approved: ['app_not_approved', 'keymanagement.service.invalid_client-app_not_approved', 'The app is not approved'],
  developer_inactive: ['DeveloperStatusNotActive', 'keymanagement.service.DeveloperStatusNotActive', 'Developer is inactive'],
};

function credentialFault(reason: CredentialFailure): Fault {
  const [name, code, message] = FAULTS[reason] ?? FAULTS.invalid_key!;
  return policyFault(name, code, 401, message);
}

/** The variables Apigee sets after a successful key or token check. */
export function setConsumerVariables(
  exchange: PolicyExchange,
  prefix: string,
  values: { clientId: string; appName: string; appId?: string; developerEmail?: string; developerId?: string; product?: { name: string; quota?: { limit: number; interval: number; timeUnit: string } } },
): void {
  const set = (name: string, value: unknown) => {
    if (value === undefined) return;
    exchange.set(name, value);
    if (prefix) exchange.set(`${prefix}.${name}`, value);
  };
  set('client_id', values.clientId);
  set('app.name', values.appName);
  set('developer.app.name', values.appName);
  set('app.id', values.appId);
  set('developer.email', values.developerEmail);
  set('developer.id', values.developerId);
  set('apiproduct.name', values.product?.name);
  if (values.product?.quota) {
    set('apiproduct.developer.quota.limit', values.product.quota.limit);
    set('apiproduct.developer.quota.interval', values.product.quota.interval);
    set('apiproduct.developer.quota.timeunit', values.product.quota.timeUnit);
  }
}

export const verifyApiKeyPolicy = definePolicy({
  type: 'VerifyAPIKey',
  schema,
  xml: {
    fromXml: (root) => {
      const apiKey = root.child('APIKey');
      if (!apiKey) return {};
      const ref = apiKey.attr('ref')?.trim();
      if (!ref) apiKey.report('the ref attribute naming the variable that holds the key is required', { attribute: 'ref' });
      return { apiKey: { ref } };
    },
    toXml: (config) => ({ children: [el('APIKey', { ref: config.apiKey.ref })] }),
  },
  services: ['consumers'],
  execute: async ({ config, exchange, policy, services: { consumers } }) => {
    const raw = exchange.get(config.apiKey.ref);
    const key = raw === undefined || raw === null ? '' : stringify(raw);
    if (!key) {
      throw policyFault('FailedToResolveAPIKey', 'oauth.v2.FailedToResolveAPIKey', 401, `Failed to resolve API Key variable ${config.apiKey.ref}`);
    }
    let verified;
    try {
      verified = await consumers.verifyApiKey(key);
    } catch (error) {
      if (isCredentialError(error)) throw credentialFault(error.reason);
      throw error;
    }
    const { product } = verified;
    if (!product) {
      throw policyFault('InvalidApiKeyForGivenResource', 'oauth.v2.InvalidApiKeyForGivenResource', 401, 'Invalid ApiKey for given resource');
    }
    setConsumerVariables(exchange, `verifyapikey.${policy.name}`, {
      clientId: verified.consumerKey,
      appName: verified.app.name,
      appId: verified.app.appId,
      developerEmail: verified.developer.email,
      developerId: verified.developer.developerId,
      product,
    });
  },
});
