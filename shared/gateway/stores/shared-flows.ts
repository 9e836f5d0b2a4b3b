// Shared flows: immutable revisions (the whole model, gzip-compressed, as
// proxies keep theirs), one deployed revision per environment, and the
// environment's flow hooks. The runtime reads deployments and hooks through
// per-container caches (5 s, dropped at once by a change in the same
// container) and compiles each revision once: a warm FlowCallout reads
// nothing from DynamoDB.
import { gunzipSync, gzipSync } from 'node:zlib';
import { TtlCache } from '../../cache/ttl-cache.js';
import { conflict, notFound, unprocessable } from '../../http/errors.js';
import type { Runtime } from '../../runtime.js';
import type { StoredItem } from '../../store/table.js';
import {
  flowHookKeys,
  flowHooksPrefix,
  orgPartition,
  SORT_PREFIX,
  sharedFlowDeploymentKeys,
  sharedFlowDeploymentsPrefix,
  sharedFlowKeys,
  sharedFlowRevisionKeys,
} from '../../store/keys.js';
import { compileSharedFlow, ProxyValidationError, type CompiledSharedFlow } from '../engine/compile.js';
import type { FlowHooks } from '../engine/flow.js';
import { FLOW_HOOKS, SharedFlowModelSchema, type FlowHookName, type SharedFlowModel } from '../engine/model.js';
import { policies } from '../policies/index.js';
import { assertEnvironment } from './deployments.js';

export interface SharedFlowItem extends StoredItem {
  type: 'sharedflow';
  name: string;
  latestRevision: number;
  revisions: number[];
}

export interface SharedFlowRevisionItem extends StoredItem {
  type: 'sharedflow-revision';
  name: string;
  revision: number;
  model: Uint8Array;
  source: 'json' | 'bundle';
}

export interface SharedFlowDeploymentItem extends StoredItem {
  type: 'sharedflow-deployment';
  environment: string;
  name: string;
  revision: number;
  deployedAt: number;
}

export interface FlowHookItem extends StoredItem {
  type: 'flowhook';
  environment: string;
  hook: FlowHookName;
  sharedFlow: string;
  continueOnError: boolean;
}

export const encodeSharedFlow = (model: SharedFlowModel): Uint8Array => gzipSync(JSON.stringify(model));
export const decodeSharedFlow = (bytes: Uint8Array): SharedFlowModel => SharedFlowModelSchema.parse(JSON.parse(gunzipSync(bytes).toString('utf8')));

/** Validates a shared flow as the runtime will compile it; 422 naming every problem. */
export function assertSharedFlowDeployable(model: SharedFlowModel, org: string): void {
  try {
    compileSharedFlow(model, { organization: org, environment: 'validation', apiName: model.name, revision: 0 }, policies);
  } catch (error) {
    if (error instanceof ProxyValidationError) throw unprocessable(error.message.replace('Proxy is invalid', 'Shared flow is invalid'), error.problems);
    throw error;
  }
}

export async function createSharedFlowRevision(rt: Runtime, org: string, model: SharedFlowModel, source: 'json' | 'bundle'): Promise<SharedFlowRevisionItem> {
  assertSharedFlowDeployable(model, org);
  const keys = sharedFlowKeys(org, model.name);
  let revision = 1;
  const created = await rt.table.create<SharedFlowItem>({ ...keys, type: 'sharedflow', name: model.name, latestRevision: 1, revisions: [1] }).catch((error: unknown) => {
    if ((error as { status?: number }).status === 409) return undefined;
    throw error;
  });
  if (!created) {
    const updated = await rt.table.modify<SharedFlowItem>(keys, (flow) => ({ ...flow, latestRevision: flow.latestRevision + 1, revisions: [...flow.revisions, flow.latestRevision + 1] }));
    revision = updated.latestRevision;
  }
  return rt.table.create<SharedFlowRevisionItem>({
    ...sharedFlowRevisionKeys(org, model.name, revision),
    type: 'sharedflow-revision',
    name: model.name,
    revision,
    model: encodeSharedFlow(model),
    source,
  });
}

export async function getSharedFlow(rt: Runtime, org: string, name: string): Promise<SharedFlowItem> {
  const item = await rt.table.get<SharedFlowItem>(sharedFlowKeys(org, name));
  if (!item) throw notFound(`Shared flow ${name} does not exist`, 'messaging.config.beans.SharedFlowDoesNotExist');
  return item;
}

export const listSharedFlows = (rt: Runtime, org: string) => rt.table.queryAll<SharedFlowItem>(orgPartition(org), { prefix: SORT_PREFIX.sharedFlow });

export async function getSharedFlowRevision(rt: Runtime, org: string, name: string, revision: number): Promise<SharedFlowRevisionItem> {
  const item = Number.isInteger(revision) && revision > 0 ? await rt.table.get<SharedFlowRevisionItem>(sharedFlowRevisionKeys(org, name, revision)) : undefined;
  if (!item) throw notFound(`Revision ${revision} of shared flow ${name} does not exist`, 'messaging.config.beans.RevisionDoesNotExist');
  return item;
}

export const listSharedFlowDeployments = (rt: Runtime, org: string, env?: string) =>
  rt.table.queryAll<SharedFlowDeploymentItem>(orgPartition(org), { prefix: sharedFlowDeploymentsPrefix(env) });

export async function deleteSharedFlow(rt: Runtime, org: string, name: string): Promise<SharedFlowItem> {
  const deployed = (await listSharedFlowDeployments(rt, org)).filter((item) => item.name === name);
  if (deployed.length) throw conflict(`Shared flow ${name} is deployed in ${deployed.map((item) => item.environment).join(', ')}; undeploy it first`);
  const item = await getSharedFlow(rt, org, name);
  for (const revision of item.revisions) await rt.table.delete(sharedFlowRevisionKeys(org, name, revision));
  await rt.table.delete(sharedFlowKeys(org, name));
  return item;
}

export async function deploySharedFlow(rt: Runtime, org: string, env: string, name: string, revision: number): Promise<SharedFlowDeploymentItem> {
  await assertEnvironment(rt, org, env);
  const item = await getSharedFlowRevision(rt, org, name, revision);
  assertSharedFlowDeployable(decodeSharedFlow(item.model), org);
  const deployment = { ...sharedFlowDeploymentKeys(org, env, name), type: 'sharedflow-deployment' as const, environment: env, name, revision, deployedAt: Date.now() };
  await rt.table.put(deployment);
  sharedFlowRuntime(rt).forget(org, env);
  return (await rt.table.get<SharedFlowDeploymentItem>(sharedFlowDeploymentKeys(org, env, name), { consistent: true }))!;
}

export async function undeploySharedFlow(rt: Runtime, org: string, env: string, name: string, revision: number): Promise<SharedFlowDeploymentItem> {
  await assertEnvironment(rt, org, env);
  const current = await rt.table.get<SharedFlowDeploymentItem>(sharedFlowDeploymentKeys(org, env, name), { consistent: true });
  if (!current || current.revision !== revision) throw notFound(`Revision ${revision} of shared flow ${name} is not deployed in environment ${env}`, 'distribution.RevisionNotDeployed');
  await rt.table.delete(sharedFlowDeploymentKeys(org, env, name));
  sharedFlowRuntime(rt).forget(org, env);
  return current;
}

export function assertFlowHook(hook: string): asserts hook is FlowHookName {
  if (!(FLOW_HOOKS as readonly string[]).includes(hook)) throw notFound(`Flow hook ${hook} does not exist (${FLOW_HOOKS.join(', ')})`);
}

export async function getFlowHook(rt: Runtime, org: string, env: string, hook: FlowHookName): Promise<FlowHookItem | undefined> {
  return rt.table.get<FlowHookItem>(flowHookKeys(org, env, hook), { consistent: true });
}

export async function attachFlowHook(rt: Runtime, org: string, env: string, hook: FlowHookName, sharedFlow: string, continueOnError: boolean): Promise<FlowHookItem> {
  await assertEnvironment(rt, org, env);
  await getSharedFlow(rt, org, sharedFlow);
  await rt.table.put({ ...flowHookKeys(org, env, hook), type: 'flowhook', environment: env, hook, sharedFlow, continueOnError });
  sharedFlowRuntime(rt).forget(org, env);
  return (await getFlowHook(rt, org, env, hook))!;
}

export async function detachFlowHook(rt: Runtime, org: string, env: string, hook: FlowHookName): Promise<FlowHookItem> {
  await assertEnvironment(rt, org, env);
  const deleted = await rt.table.delete<FlowHookItem>(flowHookKeys(org, env, hook));
  if (!deleted) throw notFound(`Flow hook ${hook} of environment ${env} has no shared flow`);
  sharedFlowRuntime(rt).forget(org, env);
  return deleted;
}

const CACHE_MS = 5_000;

/** An environment's flow hooks as the runtime runs them, and those whose shared flow is not deployed. */
export interface AttachedHooks {
  hooks: FlowHooks;
  missing: string[];
}

/** What an environment without flow hooks has; shared by every request, never changed. */
const NO_HOOKS: AttachedHooks = Object.freeze({ hooks: {}, missing: [] });

function attach(attached: AttachedHooks, item: FlowHookItem, flow: CompiledSharedFlow | undefined): void {
  if (flow) attached.hooks[item.hook] = { flow, continueOnError: item.continueOnError };
  else attached.missing.push(`${item.hook}: ${item.sharedFlow}`);
}

/** The runtime's view: deployed shared flows and flow hooks per environment, compiled revisions. */
export class SharedFlowRuntime {
  private readonly deployed = new TtlCache<string, number | undefined>({ ttlMs: CACHE_MS, maxEntries: 5_000 });
  private readonly compiled = new TtlCache<string, CompiledSharedFlow>({ ttlMs: Infinity, maxEntries: 500 });
  private readonly hooks = new TtlCache<string, FlowHookItem[]>({ ttlMs: CACHE_MS, maxEntries: 1_000 });

  constructor(private readonly rt: Runtime) {}

  forget(org: string, env: string): void {
    this.deployed.deletePrefix(`${org}\n${env}\n`);
    this.hooks.delete(`${org}\n${env}`);
  }

  /** The compiled shared flow deployed in the environment, or undefined when none is. */
  async flow(org: string, env: string, name: string): Promise<CompiledSharedFlow | undefined> {
    const revision = await this.deployed.get(`${org}\n${env}\n${name}`, async () => (await this.rt.table.get<SharedFlowDeploymentItem>(sharedFlowDeploymentKeys(org, env, name)))?.revision);
    if (revision === undefined) return undefined;
    return this.compiled.get(`${org}\n${name}\n${revision}`, async () => {
      const item = await getSharedFlowRevision(this.rt, org, name, revision);
      return compileSharedFlow(decodeSharedFlow(item.model), { organization: org, environment: env, apiName: name, revision }, policies);
    });
  }

  /**
   * The environment's flow hooks with their compiled flows; a hook whose shared
   * flow is not deployed is a fault when it runs. Answered at once, without a
   * promise, while the hooks and their flows are cached (every request after
   * the first of each few seconds): the same entries a read would return.
   */
  flowHooks(org: string, env: string): AttachedHooks | Promise<AttachedHooks> {
    return this.cachedFlowHooks(org, env) ?? this.loadFlowHooks(org, env);
  }

  private cachedFlowHooks(org: string, env: string): AttachedHooks | undefined {
    const items = this.hooks.peek(`${org}\n${env}`)?.value;
    if (!items) return undefined;
    if (items.length === 0) return NO_HOOKS;
    const attached: AttachedHooks = { hooks: {}, missing: [] };
    for (const item of items) {
      const revision = this.deployed.peek(`${org}\n${env}\n${item.sharedFlow}`);
      if (!revision) return undefined;
      const flow = revision.value === undefined ? undefined : this.compiled.peek(`${org}\n${item.sharedFlow}\n${revision.value}`);
      if (revision.value !== undefined && !flow) return undefined;
      attach(attached, item, flow?.value);
    }
    return attached;
  }

  private async loadFlowHooks(org: string, env: string): Promise<AttachedHooks> {
    const items = await this.hooks.get(`${org}\n${env}`, () => this.rt.table.queryAll<FlowHookItem>(orgPartition(org), { prefix: flowHooksPrefix(env) }));
    const attached: AttachedHooks = { hooks: {}, missing: [] };
    for (const item of items) attach(attached, item, await this.flow(org, env, item.sharedFlow));
    return attached;
  }
}

export function sharedFlowRuntime(rt: Runtime): SharedFlowRuntime {
  return rt.service('gateway.shared-flows', () => new SharedFlowRuntime(rt));
}
