// Deployments and the runtime's routing table.
//
// Each deployed proxy endpoint claims its base path on each of its virtual
// hosts in a per-environment routing partition (`RUNTIME#{env}`) with a
// conditional write, so a (host, base path) belongs to exactly one deployment
// across the installation. On the shared host (virtual hosts `default` and
// `secure`: the environment's runtime base URL) a base path may not equal,
// contain or lie inside another organization's either: the deployment checks
// before it claims and again after, and withdraws on a conflict, so even two
// racing deployments can never leave overlapping paths behind. Inside one
// organization the longest base path wins, as in Apigee.
//
// The proxy runtime reads the environment's one partition (routes and host
// aliases), caches it per container, and refreshes it in the background every
// few seconds: a warm request reads nothing from DynamoDB, and a new
// deployment is served within seconds (immediately in the same process).
// A revision becomes read-only once it passes a deployment's checks, so
// switching a base path to a new revision is a single-item write: no request
// ever sees half of a deployment, and a compiled revision never goes stale.
import { TtlCache } from '../../cache/ttl-cache.js';
import { conflict, notFound, unprocessable } from '../../http/errors.js';
import { getOrganization } from '../../auth/organizations.js';
import { describeError, logger } from '../../log.js';
import type { Runtime } from '../../runtime.js';
import type { StoredItem } from '../../store/table.js';
import { assertDeployable, decodeModel, getRevision, sealRevision } from './apis.js';
import { compileProxy, normalizeBasePath, type CompiledProxy } from '../engine/compile.js';
import { deploymentKeys, deploymentsPrefix, orgPartition, ROUTE_PREFIX, routeKeys, routingPartition, SHARED_HOST } from '../../store/keys.js';
import { policies } from '../policies/index.js';
import { resolveVirtualHosts, type HostAliasItem } from './virtual-hosts.js';

export interface DeploymentItem extends StoredItem {
  type: 'deployment';
  environment: string;
  api: string;
  revision: number;
  basePaths: string[];
  /** Apigee's deployment base path, before every proxy endpoint's (`/` when none was given; absent on old records: `/`). */
  deploymentBasePath?: string;
  /** What the deployment claimed: each endpoint's base path on each of its hosts (absent on old records: the shared host). */
  claims?: Claim[];
  deployedAt: number;
}

/** A base path on a host: the shared host (`*`) or an organization's virtual host (`{org}:{name}`). */
export interface Claim {
  host: string;
  basePath: string;
}

export interface RouteItem extends StoredItem {
  type: 'route';
  environment: string;
  basePath: string;
  /** Routing key of the host (absent on old records: the shared host). */
  host?: string;
  organization: string;
  api: string;
  revision: number;
  proxyEndpoint: string;
}

const claimsOf = (item: DeploymentItem): Claim[] => item.claims ?? item.basePaths.map((basePath) => ({ host: SHARED_HOST, basePath }));
const sameClaim = (a: Claim, b: Claim) => a.host === b.host && a.basePath === b.basePath;

/** Whether two base paths overlap: equal, or one a whole-segment prefix of the other. */
export function basePathsOverlap(a: string, b: string): boolean {
  return a === b || a === '/' || b === '/' || b.startsWith(`${a}/`) || a.startsWith(`${b}/`);
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

export interface DeployOptions {
  /**
   * Replace the revision deployed in the environment before (Apigee's
   * `override=true`, a seamless deployment); without it, another deployed
   * revision of the proxy is a 409. Redeploying the same revision is always allowed.
   */
  override?: boolean;
  /** Apigee's deployment base path (`basepath`): put before every proxy endpoint's base path; `/` by default. */
  basePath?: string;
}

/** A deployment base path and a proxy endpoint's, as one base path: `/v2` and `/weather` serve `/v2/weather`. */
export function deployedBasePath(deploymentBasePath: string, endpointBasePath: string): string {
  return normalizeBasePath(`${deploymentBasePath}/${endpointBasePath}`);
}

export async function deploy(rt: Runtime, org: string, env: string, api: string, revision: number, options: DeployOptions = {}): Promise<DeploymentItem> {
  await assertEnvironment(rt, org, env);
  const revisionItem = await getRevision(rt, org, api, revision);
  const model = decodeModel(revisionItem.model);
  if (model.proxyEndpoints.length === 0) {
    throw unprocessable(`Revision ${revision} of ${api} has no proxy endpoint; add one (apiproxy/proxies/*.xml) before deploying`, [
      { path: 'proxyEndpoints', message: 'at least one proxy endpoint is required to deploy' },
    ]);
  }
  const current = await getDeployment(rt, org, env, api);
  if (current && current.revision !== revision && !options.override) {
    throw conflict(
      `Revision ${current.revision} of ${api} is deployed in environment ${env}; undeploy it first, or deploy with override=true to replace it`,
      'revision_already_deployed',
    );
  }
  // A provider deleted since the revision was made, or a target address no longer allowed, is refused here too.
  await assertDeployable(rt, org, model, env);
  // What was checked is what runs: from now on the revision cannot be edited.
  if (!(await sealRevision(rt, revisionItem))) throw conflict(`Revision ${revision} of ${api} changed while it was being deployed; deploy it again`);
  const wanted: (Claim & { endpoint: string })[] = [];
  for (const endpoint of model.proxyEndpoints) {
    const basePath = deployedBasePath(options.basePath ?? '/', endpoint.basePath);
    for (const host of await resolveVirtualHosts(rt, org, env, endpoint.virtualHosts ?? ['default'])) wanted.push({ host, basePath, endpoint: endpoint.name });
  }
  await assertNoForeignOverlap(rt, org, env, wanted);
  const previous = await getDeployment(rt, org, env, api);
  // What each claim pointed to before, to put back if this deployment cannot be completed.
  const before = await Promise.all(wanted.map((claim) => rt.table.get<RouteItem>(routeKeys(env, claim.basePath, claim.host), { consistent: true })));

  const claimed: Claim[] = [];
  try {
    await claimRoutes(rt, org, env, api, revision, wanted, claimed);
    // Another organization may have claimed an overlapping path meanwhile: look again, now that ours are visible.
    await assertNoForeignOverlap(rt, org, env, wanted);
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
    basePaths: [...new Set(claimed.map((claim) => claim.basePath))],
    deploymentBasePath: normalizeBasePath(options.basePath ?? '/'),
    claims: claimed,
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
  // Only now, with the new deployment recorded: claims the previous revision had and this one does not.
  for (const old of previous ? claimsOf(previous) : []) {
    if (!claimed.some((claim) => sameClaim(claim, old))) await releaseRoute(rt, env, old, org, api);
  }
  routingTable(rt, env).invalidate();
  return item;
}

/** 409 when a wanted base path on the shared host overlaps one of another organization. */
async function assertNoForeignOverlap(rt: Runtime, org: string, env: string, wanted: readonly Claim[]): Promise<void> {
  const shared = wanted.filter((claim) => claim.host === SHARED_HOST);
  if (shared.length === 0) return;
  const routes = await rt.table.queryAll<RouteItem>(routingPartition(env), { prefix: ROUTE_PREFIX, consistent: true });
  for (const claim of shared) {
    const taken = routes.find((route) => route.organization !== org && basePathsOverlap(claim.basePath, route.basePath));
    // Nothing about the other organization is revealed, only that the path space is taken.
    if (taken) throw conflict(`Base path ${claim.basePath} overlaps a base path of another organization in environment ${env}`, 'basepath_in_use');
  }
}

/**
 * Claims each base path on its host with a conditional write that only
 * succeeds when it is free or already this proxy's; `claimed` collects the ones won.
 */
async function claimRoutes(
  rt: Runtime,
  org: string,
  env: string,
  api: string,
  revision: number,
  wanted: readonly (Claim & { endpoint: string })[],
  claimed: Claim[],
): Promise<void> {
  for (const claim of wanted) {
    const won = await rt.table.setIf(
      routeKeys(env, claim.basePath, claim.host),
      {
        type: 'route',
        environment: env,
        basePath: claim.basePath,
        host: claim.host,
        organization: org,
        api,
        revision,
        proxyEndpoint: claim.endpoint,
        updatedAt: new Date().toISOString(),
      },
      'attribute_not_exists(pk) OR (#org = :org AND #api = :api)',
      { ':org': org, ':api': api },
      { '#org': 'organization', '#api': 'api' },
    );
    if (!won) throw conflict(`Base path ${claim.basePath} is already in use in environment ${env}`, 'basepath_in_use');
    claimed.push({ host: claim.host, basePath: claim.basePath });
  }
}

/** Puts claimed routes back as they were: the previous route of this proxy, or free. */
async function restoreRoutes(rt: Runtime, org: string, env: string, api: string, claimed: Claim[], before: (RouteItem | undefined)[]): Promise<void> {
  for (const claim of claimed) {
    const old = before.find((route) => route !== undefined && route.basePath === claim.basePath && (route.host ?? SHARED_HOST) === claim.host);
    if (old && old.organization === org && old.api === api) await rt.table.put(old);
    else await releaseRoute(rt, env, claim, org, api);
  }
}

export async function undeploy(rt: Runtime, org: string, env: string, api: string, revision: number): Promise<DeploymentItem> {
  await assertEnvironment(rt, org, env);
  const current = await getDeployment(rt, org, env, api);
  if (!current || current.revision !== revision) {
    throw notFound(`Revision ${revision} of ${api} is not deployed in environment ${env}`, 'distribution.RevisionNotDeployed');
  }
  for (const claim of claimsOf(current)) await releaseRoute(rt, env, claim, org, api);
  await rt.table.delete(deploymentKeys(org, env, api));
  routingTable(rt, env).invalidate();
  return current;
}

async function releaseRoute(rt: Runtime, env: string, claim: Claim, org: string, api: string): Promise<void> {
  await rt.table.delete(routeKeys(env, claim.basePath, claim.host), {
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
  /** Host alias (lower-cased, with or without port) -> routing key of its virtual host. */
  private aliases = new Map<string, string>();
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
      .queryAll<RouteItem | HostAliasItem>(routingPartition(this.environment), { consistent: true })
      .then((items) => {
        if (generation < this.applied) return; // a newer read has answered already
        // Longest base path first: the most specific deployment wins.
        this.routes = items.filter((item): item is RouteItem => item.type === 'route').sort((a, b) => b.basePath.length - a.basePath.length);
        this.aliases = new Map(
          items.filter((item): item is HostAliasItem => item.type === 'hostalias').map((item) => [item.alias, `${item.organization}:${item.virtualHost}`]),
        );
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

  /**
   * Fresh enough routes: the first load (and a load after invalidation) is
   * awaited; later ones refresh in the background, so a warm container
   * answers from memory at once.
   */
  private current(): RouteItem[] | Promise<RouteItem[]> {
    if (this.loadedAt === 0) return this.load().then(() => this.routes);
    if (Date.now() - this.loadedAt > REFRESH_MS) {
      this.load().catch((error: unknown) => logger.warn('routing table refresh failed', { error: describeError(error) }));
    }
    return this.routes;
  }

  /** The routing key of the host a request names: one of an organization's virtual hosts by alias, else the shared host. */
  private hostOf(host: string | undefined): string {
    const name = (host ?? '').trim().toLowerCase();
    return this.aliases.get(name) ?? this.aliases.get(name.replace(/:\d+$/, '')) ?? SHARED_HOST;
  }

  /** The deployment that serves this host and path: the longest base path on the host that the path lies in. */
  match(host: string | undefined, path: string): Promise<RouteMatch | undefined> {
    const routes = this.current();
    return Array.isArray(routes) ? this.matchIn(routes, host, path) : routes.then((loaded) => this.matchIn(loaded, host, path));
  }

  private matchIn(routes: RouteItem[], host: string | undefined, path: string): Promise<RouteMatch | undefined> {
    const key = this.hostOf(host);
    const route = routes.find((candidate) => {
      if ((candidate.host ?? SHARED_HOST) !== key) return false;
      const base = candidate.basePath;
      return base === '/' || path === base || path.startsWith(`${base}/`);
    });
    if (!route) return Promise.resolve(undefined);
    return this.compile(route).then((proxy) => ({ route, proxy }));
  }

  private compile(route: RouteItem): Promise<CompiledProxy> {
    return this.compiled.get(`${route.organization}/${route.api}/${route.revision}`, async () => {
      const item = await getRevision(this.rt, route.organization, route.api, route.revision);
      const deployment = { organization: route.organization, environment: this.environment, apiName: route.api, revision: route.revision };
      return compileProxy(decodeModel(item.model), deployment, policies);
    });
  }
}

export function routingTable(rt: Runtime, environment: string): RoutingTable {
  return rt.service(`gateway.routing-table.${environment}`, () => new RoutingTable(rt, environment));
}
