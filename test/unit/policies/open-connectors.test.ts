// OpenConnectors (SAP API Management): the Open Connectors Authorization for a
// target that is an OpenConnectors provider, with the instance token from the
// proxy's KVM `apim.oc.instance.token`.
import { describe, expect, it } from 'vitest';
import { openConnectors } from '../../../shared/gateway/policies/open-connectors.js';
import { exchangeFor, MemoryKvm, MemoryProviders, runPolicy, xmlRoundTrip } from '../../support/policy-context.js';

const providers = new MemoryProviders({
  oc: { type: 'OpenConnectors', organizationSecret: 'org-secret', userSecret: 'user-secret' },
  web: { type: 'Internet' },
});
const withToken = () => new MemoryKvm().createMap('apiproxy', 'apim.oc.instance.token', { default: 'instance-token' });

describe('OpenConnectors schema', () => {
  it("defaults to SAP's map and key", () => {
    expect(openConnectors.schema.parse({})).toEqual({ instanceTokenMap: 'apim.oc.instance.token', instanceTokenKey: 'default', expiryTimeInSecs: 300 });
  });
});

describe('OpenConnectors XML', () => {
  it('reads the provider, map, key and expiry', () => {
    expect(xmlRoundTrip(openConnectors, '<InstanceSecret kvm-map-name="apim.oc.instance.token" kvm-key-name="default"/>', ' xmlns="http://www.sap.com/apimgmt"')).toMatchObject({
      instanceTokenMap: 'apim.oc.instance.token',
      instanceTokenKey: 'default',
    });
    expect(xmlRoundTrip(openConnectors, '<APIProvider>oc</APIProvider><InstanceTokenMap>m</InstanceTokenMap><InstanceTokenKey>k</InstanceTokenKey><ExpiryTimeInSecs>10</ExpiryTimeInSecs>')).toEqual({
      provider: 'oc',
      instanceTokenMap: 'm',
      instanceTokenKey: 'k',
      expiryTimeInSecs: 10,
    });
  });
});

describe('OpenConnectors execute', () => {
  it("sets User, Organization and Element for the routed target's provider", async () => {
    const exchange = exchangeFor();
    Object.assign(exchange, { targetProvider: 'oc' });
    await runPolicy(openConnectors, {}, { exchange, services: { kvm: withToken(), providers } });
    expect(exchange.request.headers.get('authorization')).toBe('User user-secret, Organization org-secret, Element instance-token');
  });

  it('faults when the provider is not an Open Connectors one, or there is none', async () => {
    const notOc = await runPolicy(openConnectors, { provider: 'web' }, { services: { kvm: withToken(), providers } });
    expect(notOc.fault).toMatchObject({ status: 500, faultName: 'ProviderNotConfigured' });
    const none = await runPolicy(openConnectors, {}, { services: { kvm: withToken(), providers } });
    expect(none.fault?.faultName).toBe('ProviderNotConfigured');
  });

  it('faults when the proxy has no instance token', async () => {
    const run = await runPolicy(openConnectors, { provider: 'oc' }, { services: { kvm: new MemoryKvm(), providers } });
    expect(run.fault).toMatchObject({ status: 500, faultName: 'InstanceTokenNotFound' });
    expect(run.exchange.request.headers.has('authorization')).toBe(false);
  });
});
