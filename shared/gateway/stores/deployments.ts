// Deployments and the runtime's routing table.
//
// Each deployed proxy endpoint claims its base path in a per-environment
// routing partition (`RUNTIME#{env}`) with a conditional write, so a base path
// belongs to exactly one deployment across the installation. The proxy runtime
// reads that one partition, caches it per container, and refreshes it in the
// background every few seconds: a warm request reads nothing from DynamoDB, and
// a new deployment is served within seconds (immediately in the same process).
// Revisions are immutable, so switching a base path to a new revision is a
// single-item write: no request ever sees half of a deployment.
import { TtlCache } from '../../cache/ttl-cache.js';
import { conflict, notFound } from '../../http/errors.js';
import { getOrganization } from '../../auth/organizations.js';
import { describeError, logger } from '../../log.js';
import type { Runtime } from '../../runtime.js';
import type { StoredItem } from '../../store/table.js';
import { assertDeployable, decodeModel, getRevision } from './apis.js';
import { compileProxy, normalizeBasePath, type CompiledProxy } from '../engine/compile.js';
import { deploymentKeys, deploymentsPrefix, orgPartition, ROUTE_PREFIX, routeKeys, routingPartition } from '../../store/keys.js';
import { policies } from '../policies/index.js';

export interface DeploymentItem extends StoredItem {
  type: 'deployment';
  environment: string;
  api: string;
  revision: number;
  basePaths: string[];
  deployedAt: number;
}

export interface RouteItem extends StoredItem {
  type: 'route';
  environment: string;
  basePath: string;
  organization: string;
  api: string;
  revision: number;
  proxyEndpoint: string;
}


export async function assertEnvironment(rt: Runtime, org: string, env: string): Promise<void> {
  const organization = await getOrganization(rt, org);
  if (!organization?.environments.includes(env)) throw notFound(`Environment ${env} does not exist`);
}

export async function getDeployment(rt: Runtime, org: string, env: string, api: string): Promise<DeploymentItem | undefined> {
  return rt.table.get<DeploymentItem>(deploymentKeys(org, env, api), { consistent: true });
}

export async function listDeployments(rt: Runtime, org: string, env?: string): Promise<DeploymentItem[]> {
  return rt.table.queryAll<DeploymentItem>(orgPartition(org), { prefix: deploymentsPrefix(env) });
}

export async function deployedRevisions(rt: Runtime, org: string, api: string): Promise<number[]> {
  const all = await listDeployments(rt, org);
  return all.filter((d) => d.api === api).map((d) => d.revision);
}

export async function deploy(rt: Runtime, org: string, env: string, api: string, revision: number): Promise<DeploymentItem> {
  await assertEnvironment(rt, org, env);
  const revisionItem = await getRevision(rt, org, api, revision);
  const model = decodeModel(revisionItem.model);
  // A provider deleted since the revision was made, or a target address no longer allowed, is refused here too.
  await assertDeployable(rt, org, model, env);
  const endpoints = model.proxyEndpoints.map((endpoint) => ({ name: endpoint.name, basePath: normalizeBasePath(endpoint.basePath) }));
  const previous = await getDeployment(rt, org, env, api);
  // What each base path pointed to before, to put back if this deployment cannot be completed.
  const before = await Promise.all(endpoints.map((endpoint) => rt.table.get<RouteItem>(routeKeys(env, endpoint.basePath), { consistent: true })));

  const claimed: string[] = [];
  try {
    await claimRoutes(rt, org, env, api, revision, endpoints, claimed);
  } catch (error) {
    await restoreRoutes(rt, org, env, api, claimed, before);
    throw error;
  }
  const item: DeploymentItem = {
    ...deploymentKeys(org, env, api),
    type: 'deployment',
    environment: env,
    api,
    revision,
    basePaths: claimed,
    deployedAt: Date.now(),
    version: (previous?.version ?? 0) + 1,
    createdAt: previous?.createdAt ?? new Date().toISOString(),
    updatedAt: new Date().toISOString(),
  };
  try {
    await rt.table.put(item);
  } catch (error) {
    // Routes and the deployment record must agree: without the record, the routes go back.
    await restoreRoutes(rt, org, env, api, claimed, before);
    throw error;
  }
  // Only now, with the new deployment recorded: base paths the previous revision had and this one does not.
  for (const basePath of previous?.basePaths ?? []) {
    if (!claimed.includes(basePath)) await releaseRoute(rt, env, basePath, org, api);
  }
  routingTable(rt).invalidate();
  return item;
}

/**
 * Claims each base path with a conditional write that only succeeds when the
 * path is free or already this proxy's; `claimed` collects the ones won.
 */
async function claimRoutes(
  rt: Runtime,
  org: string,
  env: string,
  api: string,
  revision: number,
  endpoints: { name: string; basePath: string }[],
  claimed: string[],
): Promise<void> {
  for (const endpoint of endpoints) {
    const won = await rt.table.setIf(
      routeKeys(env, endpoint.basePath),
      {
        type: 'route',
        environment: env,
        basePath: endpoint.basePath,
        organization: org,
        api,
        revision,
        proxyEndpoint: endpoint.name,
        updatedAt: new Date().toISOString(),
      },
      'attribute_not_exists(pk) OR (#org = :org AND #api = :api)',
      { ':org': org, ':api': api },
      { '#org': 'organization', '#api': 'api' },
    );
    if (!won) throw conflict(`Base path ${endpoint.basePath} is already in use in environment ${env}`, 'basepath_in_use');
    claimed.push(endpoint.basePath);
  }
}

/** Puts claimed base paths back as they were: the previous route of this proxy, or free. */
async function restoreRoutes(rt: Runtime, org: string, env: string, api: string, claimed: string[], before: (RouteItem | undefined)[]): Promise<void> {
  for (const basePath of claimed) {
    const old = before.find((route) => route?.basePath === basePath);
    if (old && old.organization === org && old.api === api) await rt.table.put(old);
    else await releaseRoute(rt, env, basePath, org, api);
  }
}

export async function undeploy(rt: Runtime, org: string, env: string, api: string, revision: number): Promise<DeploymentItem> {
  await assertEnvironment(rt, org, env);
  const current = await getDeployment(rt, org, env, api);
  if (!current || current.revision !== revision) {
    throw notFound(`Revision ${revision} of ${api} is not deployed in environment ${env}`, 'distribution.RevisionNotDeployed');
  }
  for (const basePath of current.basePaths) await releaseRoute(rt, env, basePath, org, api);
  await rt.table.delete(deploymentKeys(org, env, api));
  routingTable(rt).invalidate();
  return current;
}

async function releaseRoute(rt: Runtime, env: string, basePath: string, org: string, api: string): Promise<void> {
  await rt.table.delete(routeKeys(env, basePath), {
    condition: '#org = :org AND #api = :api',
    values: { ':org': org, ':api': api },
    names: { '#org': 'organization', '#api': 'api' },
  });
}

export interface RouteMatch {
  route: RouteItem;
  proxy: CompiledProxy;
}

const REFRESH_MS = Number(process.env.TOLLGATE_ROUTES_REFRESH_MS || 5_000);
const MAX_COMPILED = 500;

/** The per-container copy of the routing table plus compiled proxies. */
export class RoutingTable {
  private routes: RouteItem[] = [];
  private loadedAt = 0;
  private loading: Promise<void> | undefined;
  /** Bumped by every invalidation: a read that started before it must not count as fresh. */
  private generation = 0;
  /** Generation of the read `routes` came from. */
  private applied = -1;
  /** Revisions are immutable: a compiled one stays until the cache needs the room. */
  private readonly compiled = new TtlCache<string, CompiledProxy>({ ttlMs: Infinity, maxEntries: MAX_COMPILED });

  constructor(
    private readonly rt: Runtime,
    private readonly environment: string,
  ) {}

  invalidate(): void {
    this.loadedAt = 0;
    this.generation++;
    // A read already in flight may predate the change: the next request starts a new one.
    this.loading = undefined;
  }

  private load(): Promise<void> {
    if (this.loading) return this.loading;
    const generation = this.generation;
    const loading: Promise<void> = this.rt.table
      .queryAll<RouteItem>(routingPartition(this.environment), { prefix: ROUTE_PREFIX, consistent: true })
      .then((items) => {
        if (generation < this.applied) return; // a newer read has answered already
        // Longest base path first: the most specific deployment wins.
        this.routes = items.sort((a, b) => b.basePath.length - a.basePath.length);
        this.applied = generation;
        // Serve it, but a read that started before an invalidation is not fresh: the next request reads again.
        if (generation === this.generation) this.loadedAt = Date.now();
      })
      .finally(() => {
        if (this.loading === loading) this.loading = undefined;
      });
    this.loading = loading;
    return loading;
  }

  /** Fresh enough routes: the first load (and a load after invalidation) is awaited; later ones refresh in the background. */
  private async current(): Promise<RouteItem[]> {
    const age = Date.now() - this.loadedAt;
    if (this.loadedAt === 0) await this.load();
    else if (age > REFRESH_MS) {
      this.load().catch((error: unknown) => logger.warn('routing table refresh failed', { error: describeError(error) }));
    }
    return this.routes;
  }

  async match(path: string): Promise<RouteMatch | undefined> {
    const routes = await this.current();
    const route = routes.find((candidate) => {
      const base = candidate.basePath;
      return base === '/' || path === base || path.startsWith(`${base}/`);
    });
    if (!route) return undefined;
    return { route, proxy: await this.compile(route) };
  }

  private compile(route: RouteItem): Promise<CompiledProxy> {
    return this.compiled.get(`${route.organization}/${route.api}/${route.revision}`, async () => {
      const item = await getRevision(this.rt, route.organization, route.api, route.revision);
      const deployment = { organization: route.organization, environment: this.environment, apiName: route.api, revision: route.revision };
      return compileProxy(decodeModel(item.model), deployment, policies);
    });
  }
}

export function routingTable(rt: Runtime): RoutingTable {
  return rt.service('gateway.routing-table', () => new RoutingTable(rt, rt.config.runtimeEnvironment));
}
