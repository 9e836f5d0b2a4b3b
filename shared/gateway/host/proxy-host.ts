// The proxy function's host: the engine wired to this container's runtime.
// Routes come from the environment's routing table, target URLs and their
// Authorization from the API provider store, each policy gets the services
// it declares, bound to its deployment, and every exchange is recorded for
// analytics (and captured when a debug session selects it).
import type { HttpRequest } from '../../http/request.js';
import type { Runtime } from '../../runtime.js';
import type { ProxyHost } from '../engine/proxy-request.js';
import { routingTable } from '../stores/deployments.js';
import { providerAuthorization } from '../stores/provider-auth.js';
import { resolveProvider } from '../stores/providers.js';
import { exchangeObservers } from './exchange-observers.js';
import { policyServices } from './policy-services.js';
import { sharedFlowRuntime, type AttachedHooks } from '../stores/shared-flows.js';
import { Fault } from '../engine/faults.js';
import type { FlowHooks } from '../engine/flow.js';

/** The environment a runtime request is for: its stage's `environment` variable, else the configured one. */
export function environmentOf(rt: Runtime, request: HttpRequest): string {
  return request.stageVariables?.environment || rt.config.runtimeEnvironment;
}

/** The hooks to run; fail closed: a hook whose shared flow is not deployed faults every call instead of being passed over. */
function runnableHooks({ hooks, missing }: AttachedHooks): FlowHooks {
  if (missing.length) throw new Fault('SharedFlowNotFound', 'flow.SharedFlowNotFound', 500, `Flow hook shared flow not deployed: ${missing.join(', ')}`);
  return hooks;
}

/** The host of one environment's runtime. */
export function proxyHost(rt: Runtime, environment: string): ProxyHost {
  return rt.service(`gateway.proxy-host.${environment}`, () => {
    const routes = routingTable(rt, environment);
    const sharedFlows = sharedFlowRuntime(rt);
    const host: ProxyHost = {
      environment,
      match: (host, path) => routes.match(host, path),
      targets: {
        allowLoopback: rt.config.allowLoopback,
        providerUrl: async (org, name) => {
          const provider = await resolveProvider(rt, org, name);
          return { url: provider.url, ownPlatform: provider.ownPlatform };
        },
        providerAuthorization: (org, name, deadline) => providerAuthorization(rt, org, name, deadline),
      },
      policyServices: policyServices(rt, () => host),
      observe: exchangeObservers(rt, environment),
      flowHooks(deployment) {
        const attached = sharedFlows.flowHooks(deployment.organization, deployment.environment);
        return attached instanceof Promise ? attached.then(runnableHooks) : runnableHooks(attached);
      },
    };
    return host;
  });
}
