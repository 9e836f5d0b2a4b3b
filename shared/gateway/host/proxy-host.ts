// The proxy function's host: the engine wired to this container's runtime.
// Routes come from the environment's routing table, target URLs and their
// Authorization from the API provider store, and each policy gets the
// services it declares, bound to its deployment.
import type { Runtime } from '../../runtime.js';
import type { ProxyHost } from '../engine/proxy-request.js';
import { routingTable } from '../stores/deployments.js';
import { providerAuthorization } from '../stores/provider-auth.js';
import { resolveProvider } from '../stores/providers.js';
import { policyServices } from './policy-services.js';

export function proxyHost(rt: Runtime): ProxyHost {
  return rt.service('gateway.proxy-host', () => {
    const routes = routingTable(rt);
    return {
      environment: rt.config.runtimeEnvironment,
      match: (path) => routes.match(path),
      targets: {
        allowLoopback: rt.config.allowLoopback,
        providerUrl: async (org, name) => (await resolveProvider(rt, org, name)).url,
        providerAuthorization: (org, name) => providerAuthorization(rt, org, name),
      },
      policyServices: policyServices(rt),
    };
  });
}
