// The services policies declare (policies/services.ts), implemented over this
// container's runtime and bound to one deployment: its organization's key
// value maps, API providers, consumers and tokens, and counters of its proxy.
// A policy of one organization cannot name another's data: the organization
// is not a parameter.
import { productAllowsProxy, getProduct } from '../../consumers/products.js';
import { verifyApiKey } from '../../consumers/verify-api-key.js';
import { isHttpError } from '../../http/errors.js';
import { issueClientCredentialsToken } from '../../oauth/issue.js';
import { verifyAccessToken } from '../../oauth/verifier.js';
import type { Runtime } from '../../runtime.js';
import { quotaCounterKeys } from '../../store/keys.js';
import type { Deployment } from '../engine/policy.js';
import type { KvmScopeName, PolicyServices } from '../policies/services.js';
import { sensitiveValues } from './exchange-observers.js';
import { createMap, deleteEntry, findMap, kvmCache, putEntry, type KvmScope } from '../stores/kvm.js';
import { resolveProvider } from '../stores/providers.js';

const ignoreStatus = (status: number) => (error: unknown) => {
  if (!(isHttpError(error) && error.status === status)) throw error;
};

function servicesFor(rt: Runtime, deployment: Deployment): PolicyServices {
  const { organization: org, environment, apiName } = deployment;
  const sensitive = sensitiveValues(rt);
  const scopeOf = (scope: KvmScopeName): KvmScope =>
    scope === 'organization' ? { kind: 'organization' } : scope === 'environment' ? { kind: 'environment', environment } : { kind: 'apiproxy', api: apiName };
  const coversThisProxy = (product: { proxies: string[]; environments: string[] }) => productAllowsProxy(product, apiName, environment);

  return {
    kvm: {
      async get(scope, map, key, ttlSeconds) {
        const read = await kvmCache(rt).get(org, scopeOf(scope), map, key, ttlSeconds);
        if (read?.encrypted) sensitive.add(read.value);
        return read?.value;
      },
      async put(scope, map, key, value) {
        const kvmScope = scopeOf(scope);
        // Another call may create the map at the same moment: either creation will do.
        if (!(await findMap(rt, org, kvmScope, map))) await createMap(rt, org, kvmScope, map, false).catch(ignoreStatus(409));
        await putEntry(rt, org, kvmScope, map, key, value, 'upsert');
      },
      async delete(scope, map, key) {
        await deleteEntry(rt, org, scopeOf(scope), map, key).catch(ignoreStatus(404));
      },
    },
    providers: {
      async get(name) {
        const { item, secrets } = await resolveProvider(rt, org, name);
        return { type: item.providerType, organizationSecret: secrets.organizationSecret, userSecret: secrets.userSecret };
      },
    },
    counters: {
      increment: (counter, by, expiresAt) =>
        rt.table.increment(quotaCounterKeys(org, environment, apiName, counter), 'count', by, { type: 'quota-counter', expiresAt }),
    },
    consumers: {
      async verifyApiKey(key) {
        // A key of another organization is simply unknown here.
        const verified = await verifyApiKey(rt, key, org);
        const product = verified.products.find(coversThisProxy);
        return { consumerKey: verified.consumerKey, app: verified.app, developer: verified.developer, ...(product ? { product } : {}) };
      },
      async productFor(names) {
        for (const name of names) {
          const product = await getProduct(rt, org, name);
          if (product && coversThisProxy(product)) return product;
        }
        return undefined;
      },
    },
    tokens: {
      issue: (request) => issueClientCredentialsToken(rt, { ...request, organization: org }),
      verify: (token, requiredScopes) => verifyAccessToken(rt, token, { requiredScopes, organization: org }),
    },
  };
}

/** The services named, bound to the deployment; one object per deployment and set of names. */
export function policyServices(rt: Runtime): (deployment: Deployment, names: readonly string[]) => unknown {
  return rt.service('gateway.policy-services', () => {
    const bound = new WeakMap<Deployment, { all: PolicyServices; picked: Map<string, unknown> }>();
    return (deployment: Deployment, names: readonly string[]) => {
      let services = bound.get(deployment);
      if (!services) {
        services = { all: servicesFor(rt, deployment), picked: new Map() };
        bound.set(deployment, services);
      }
      const key = names.join(',');
      let picked = services.picked.get(key);
      if (!picked) {
        const all = services.all;
        picked = Object.fromEntries(
          names.map((name) => {
            if (!Object.hasOwn(all, name)) throw new Error(`A policy declares the unknown service "${name}"`);
            return [name, all[name as keyof PolicyServices]];
          }),
        );
        services.picked.set(key, picked);
      }
      return picked;
    };
  });
}
