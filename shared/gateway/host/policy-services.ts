// The services policies declare (policies/services.ts), implemented over this
// container's runtime and bound to one deployment: its organization's key
// value maps, API providers, consumers and tokens, and counters of its proxy.
// A policy of one organization cannot name another's data: the organization
// is not a parameter.
import { getProduct, productAllows, type ApiProduct } from '../../consumers/products.js';
import { verifyApiKey } from '../../consumers/verify-api-key.js';
import { isHttpError } from '../../http/errors.js';
import { issueClientCredentialsToken } from '../../oauth/issue.js';
import { verifyAccessToken } from '../../oauth/verifier.js';
import type { Runtime } from '../../runtime.js';
import { quotaCounterKeys } from '../../store/keys.js';
import type { Deployment } from '../engine/policy.js';
import { sensitiveValues } from './exchange-observers.js';
import { OutboundCallError, type KvmScopeName, type OutboundHttpRequest, type PolicyServices, type ProductView, type ResourceRequest } from '../policies/services.js';
import { OutboundError, outboundRequest } from '../../net/outbound.js';
import { sendSyslog } from '../../net/syslog.js';
import { logger } from '../../log.js';
import { createMap, deleteEntry, findMap, kvmCache, putEntry, type KvmScope } from '../stores/kvm.js';
import { resolveProvider } from '../stores/providers.js';
import { deleteCacheEntries, getCacheEntry, putCacheEntry } from '../stores/cache-entries.js';
import { sharedFlowRuntime } from '../stores/shared-flows.js';
import { runSharedFlow, type FlowServices } from '../engine/flow.js';
import type { Exchange } from '../engine/exchange.js';
import { Fault } from '../engine/faults.js';

const ignoreStatus = (status: number) => (error: unknown) => {
  if (!(isHttpError(error) && error.status === status)) throw error;
};

/** Longest outbound call a policy may make: below API Gateway's 29 s, like the target call's. */
const MAX_CALLOUT_MS = 28_000;

/** Shared flows calling shared flows: deeper than this is a loop. */
const MAX_SHARED_FLOW_DEPTH = 8;
const depths = new WeakMap<object, number>();

/** A policy's outbound call (ServiceCallout, a JavaScript httpClient call, a JWKS fetch), ended by `deadline` (epoch ms). */
async function callOut(rt: Runtime, request: OutboundHttpRequest, deadline: number | undefined) {
  try {
    return await outboundRequest({
      url: request.url,
      method: request.method,
      headers: request.headers,
      ...(request.body ? { body: request.body } : {}),
      connectTimeoutMs: Math.min(request.connectTimeoutMs ?? 3_000, 10_000),
      timeoutMs: Math.min(request.timeoutMs ?? 25_000, MAX_CALLOUT_MS),
      allowLoopback: rt.config.allowLoopback,
      maxResponseBytes: Math.min(request.maxResponseBytes ?? 10 * 1024 * 1024, 10 * 1024 * 1024),
      deadline,
    });
  } catch (error) {
    throw error instanceof OutboundError ? new OutboundCallError(error.kind, error.message) : error;
  }
}

function servicesFor(rt: Runtime, deployment: Deployment, flowServices: () => FlowServices): PolicyServices {
  const { organization: org, environment, apiName } = deployment;
  const sensitive = sensitiveValues(rt);
  const scopeOf = (scope: KvmScopeName): KvmScope =>
    scope === 'organization' ? { kind: 'organization' } : scope === 'environment' ? { kind: 'environment', environment } : { kind: 'apiproxy', api: apiName };
  /** The product's view for this request, if it covers it. */
  const covering = (product: ApiProduct, request: ResourceRequest): ProductView | undefined => {
    const allowed = productAllows(product, { proxy: apiName, environment, ...request });
    return allowed ? { name: product.name, ...(allowed.quota ? { quota: allowed.quota } : {}), attributes: allowed.attributes } : undefined;
  };

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
    sharedFlows: {
      async run(name, exchange) {
        const flow = await sharedFlowRuntime(rt).flow(org, environment, name);
        if (!flow) return false;
        const depth = depths.get(exchange) ?? 0;
        if (depth >= MAX_SHARED_FLOW_DEPTH) {
          throw new Fault('SharedFlowLoop', 'flow.SharedFlowLoop', 500, `Shared flow ${name} is called more than ${MAX_SHARED_FLOW_DEPTH} levels deep`);
        }
        depths.set(exchange, depth + 1);
        try {
          // The policy's exchange is the engine's own: PolicyExchange is its narrow view.
          await runSharedFlow(flow, exchange as Exchange, flowServices(), deployment);
        } finally {
          depths.set(exchange, depth);
        }
        return true;
      },
    },
    cache: {
      get: (cache, key) => getCacheEntry(rt, org, environment, cache, key),
      put: (cache, key, value, ttlSeconds) => putCacheEntry(rt, org, environment, cache, key, value, ttlSeconds),
      delete: (cache, key, options) => deleteCacheEntries(rt, org, environment, cache, key, options?.children ?? false),
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
      async verifyApiKey(key, request) {
        // A key of another organization is simply unknown here.
        const verified = await verifyApiKey(rt, key, org);
        let product: ProductView | undefined;
        for (const candidate of verified.products) if ((product = covering(candidate, request))) break;
        return {
          consumerKey: verified.consumerKey,
          ...(verified.consumerSecret === undefined ? {} : { consumerSecret: verified.consumerSecret }),
          app: verified.app,
          developer: verified.developer,
          ...(product ? { product } : {}),
        };
      },
      async productFor(names, request) {
        for (const name of names) {
          const product = await getProduct(rt, org, name);
          const view = product && covering(product, request);
          if (view) return view;
        }
        return undefined;
      },
    },
    tokens: {
      issue: (request) => issueClientCredentialsToken(rt, { ...request, organization: org }),
      verify: (token) => verifyAccessToken(rt, token, { organization: org }),
    },
    http: { request: (request) => callOut(rt, request, undefined) },
    log: {
      write: (entry) => logger.info('message logging', { organization: org, environment, apiProxy: apiName, ...entry }),
      async syslog(target, message) {
        try {
          await sendSyslog({ ...target, allowLoopback: rt.config.allowLoopback }, message);
        } catch (error) {
          throw error instanceof OutboundError ? new OutboundCallError(error.kind, error.message) : error;
        }
      },
    },
  };
}

/**
 * The services named, bound to the deployment; one object per deployment and
 * set of names, except that `http` is bound to the exchange's deadline.
 */
export function policyServices(rt: Runtime, flowServices: () => FlowServices): (deployment: Deployment, names: readonly string[], deadline?: number) => unknown {
  return rt.service('gateway.policy-services', () => {
    const bound = new WeakMap<Deployment, { all: PolicyServices; picked: Map<string, unknown> }>();
    return (deployment: Deployment, names: readonly string[], deadline?: number) => {
      let services = bound.get(deployment);
      if (!services) {
        services = { all: servicesFor(rt, deployment, flowServices), picked: new Map() };
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
      if (deadline === undefined || !names.includes('http')) return picked;
      const http: PolicyServices['http'] = { request: (request) => callOut(rt, request, deadline) };
      return { ...(picked as object), http };
    };
  });
}
