// OpenConnectors (SAP API Management): on a target that is an Open Connectors
// API provider, sets `Authorization: User <user secret>, Organization
// <organization secret>, Element <instance token>`. The secrets come from the
// provider; the instance token from the proxy-scoped encrypted KVM
// `apim.oc.instance.token` (key `default`), as SAP's policy reads them.
import * as z from 'zod';
import { el, optional } from './xml-model.js';
import { definePolicy, policyXml } from './define-policy.js';
import { defineFaults, raise } from './common.js';

export const OPEN_CONNECTORS_FAULTS = defineFaults({
  ProviderNotConfigured: ['steps.openconnectors.ProviderNotConfigured', 500],
  InstanceTokenNotFound: ['steps.openconnectors.InstanceTokenNotFound', 500],
});

const schema = z.lazy(() => z.object({
  /** API provider; default: the provider of the routed target endpoint. */
  provider: z.string().optional(),
  instanceTokenMap: z.string().default('apim.oc.instance.token'),
  instanceTokenKey: z.string().default('default'),
  expiryTimeInSecs: z.number().int().min(0).default(300),
}));

export const openConnectors = definePolicy({
  type: 'OpenConnectors',
  faults: OPEN_CONNECTORS_FAULTS,
  schema,
  references: (config) => ({ providers: config.provider ? [config.provider] : [] }),
  services: ['kvm', 'providers'],
  execute: async ({ config, exchange, deployment, policy, services: { kvm, providers } }) => {
    const providerName = config.provider ?? exchange.targetProvider;
    if (!providerName) {
      throw raise(OPEN_CONNECTORS_FAULTS, 'ProviderNotConfigured', `${policy.name}: the target is not an Open Connectors API provider`);
    }
    const { type, organizationSecret, userSecret } = await providers.get(providerName);
    if (type !== 'OpenConnectors' || !organizationSecret || !userSecret) {
      throw raise(OPEN_CONNECTORS_FAULTS, 'ProviderNotConfigured', `${policy.name}: API provider ${providerName} is not an Open Connectors provider`);
    }
    const token = await kvm.get('apiproxy', config.instanceTokenMap, config.instanceTokenKey, config.expiryTimeInSecs);
    if (!token) {
      throw raise(
        OPEN_CONNECTORS_FAULTS,
        'InstanceTokenNotFound',
        `${policy.name}: no instance token in key value map ${config.instanceTokenMap} (key ${config.instanceTokenKey}) of API proxy ${deployment.apiName}`,
      );
    }
    exchange.request.headers.set('Authorization', `User ${userSecret}, Organization ${organizationSecret}, Element ${token}`);
  },
});

export const openConnectorsXml = /* @__PURE__ */ policyXml(openConnectors, {
  fromXml: (root) => {
    // SAP's own form: <InstanceSecret kvm-map-name="apim.oc.instance.token" kvm-key-name="default"/>.
    const secret = root.child('InstanceSecret');
    return {
      provider: root.childText('APIProvider') || undefined,
      instanceTokenMap: secret?.attr('kvm-map-name') || root.childText('InstanceTokenMap') || undefined,
      instanceTokenKey: secret?.attr('kvm-key-name') || root.childText('InstanceTokenKey') || undefined,
      expiryTimeInSecs: root.child('ExpiryTimeInSecs')?.int(),
    };
  },
  toXml: (config) => ({
    children: [
      optional('APIProvider', config.provider),
      el('InstanceSecret', { 'kvm-map-name': config.instanceTokenMap, 'kvm-key-name': config.instanceTokenKey }),
      el('ExpiryTimeInSecs', {}, config.expiryTimeInSecs),
    ].filter((node) => node !== undefined),
  }),
});
