// API proxies and their revisions. A revision stores the whole proxy model
// (gzip-compressed JSON, to stay well under DynamoDB's 400 KB item limit).
// As in Apigee, a revision can be edited file by file (a policy, an endpoint,
// a resource) until it is first deployed; from then on it is read-only, so a
// deployed revision is the same everywhere and forever.
import { gunzipSync, gzipSync } from 'node:zlib';
import { conflict, isHttpError, notFound, payloadTooLarge, unprocessable, type FieldProblem } from '../../http/errors.js';
import { checkUrl, OutboundError } from '../../net/outbound.js';
import type { Runtime } from '../../runtime.js';
import type { StoredItem } from '../../store/table.js';
import { compileProxy, ProxyValidationError } from '../engine/compile.js';
import { ProxyModelSchema, type ProxyModel } from '../engine/model.js';
import { apiProxyKeys, orgPartition, revisionKeys, SORT_PREFIX } from '../../store/keys.js';
import { policies, policyDefinition } from '../policies/index.js';
import { listProviders } from './providers.js';

export interface ApiItem extends StoredItem {
  type: 'api';
  name: string;
  latestRevision: number;
  revisions: number[];
}

export interface RevisionItem extends StoredItem {
  type: 'revision';
  api: string;
  revision: number;
  model: Uint8Array;
  /** Where it came from: `json` (management API) or `bundle` (Apigee import). */
  source: 'json' | 'bundle';
  basePaths: string[];
  /** Set by the first deployment: the revision can no longer be edited. */
  sealed?: boolean;
}

/** A revision is one DynamoDB item (400 KB); leave room for its other attributes. */
export const MAX_STORED_MODEL_BYTES = 350 * 1024;

/** The model as stored; 413 when it would not fit in one item. */
export function storable(model: ProxyModel): Uint8Array {
  const encoded = encodeModel(model);
  if (encoded.length > MAX_STORED_MODEL_BYTES) {
    throw payloadTooLarge(`The proxy is too large to store as one revision (over ${MAX_STORED_MODEL_BYTES} bytes compressed); move large resources out of it`);
  }
  return encoded;
}

const basePathsOf = (model: ProxyModel) => model.proxyEndpoints.map((endpoint) => endpoint.basePath);


export function encodeModel(model: ProxyModel): Uint8Array {
  return gzipSync(JSON.stringify(model));
}

export function decodeModel(bytes: Uint8Array): ProxyModel {
  return ProxyModelSchema.parse(JSON.parse(gunzipSync(bytes).toString('utf8')));
}

/**
 * What a model names outside itself that is not there or not allowed: API
 * providers the organization does not have, and outbound URLs (targets, route
 * rules, policies) with a scheme other than http/https or a blocked address.
 */
export async function referenceProblems(rt: Runtime, org: string, model: ProxyModel): Promise<FieldProblem[]> {
  const problems: FieldProblem[] = [];
  const providers = new Map<string, string[]>();
  const urls: [string, string][] = [];
  const wantProvider = (name: string, path: string) => providers.set(name, [...(providers.get(name) ?? []), path]);
  model.targetEndpoints.forEach((target, i) => {
    if (target.connection.provider) wantProvider(target.connection.provider, `targetEndpoints.${i}.connection.provider`);
    if (target.connection.url) urls.push([target.connection.url, `targetEndpoints.${i}.connection.url`]);
  });
  model.proxyEndpoints.forEach((endpoint, i) =>
    endpoint.routeRules.forEach((rule, r) => {
      if (rule.url) urls.push([rule.url, `proxyEndpoints.${i}.routeRules.${r}.url`]);
    }),
  );
  model.policies.forEach((policy, i) => {
    const definition = policy.unsupported ? undefined : policyDefinition(policy.type);
    const parsed = definition?.references ? definition.schema.safeParse(policy.config) : undefined;
    if (!definition?.references || !parsed?.success) return;
    const references = definition.references(parsed.data);
    for (const name of references.providers ?? []) wantProvider(name, `policies.${i}.config`);
    for (const url of references.urls ?? []) urls.push([url, `policies.${i}.config`]);
  });
  for (const [url, path] of urls) {
    try {
      checkUrl(url, rt.config.allowLoopback);
    } catch (error) {
      if (!(error instanceof OutboundError)) throw error;
      problems.push({ path, message: error.message });
    }
  }
  const known = new Set((await listProviders(rt, org)).map((provider) => provider.name));
  for (const [name, paths] of providers) {
    if (known.has(name)) continue;
    for (const path of paths) problems.push({ path, message: `API provider "${name}" does not exist` });
  }
  return problems;
}

/** Validates a model the way deployment will compile it, and what it refers to; 422 naming every problem. */
export async function assertDeployable(rt: Runtime, org: string, model: ProxyModel, environment = 'validation'): Promise<void> {
  let problems: FieldProblem[] = [];
  try {
    compileProxy(model, { organization: org, environment, apiName: model.name, revision: 0 }, policies);
  } catch (error) {
    if (!(error instanceof ProxyValidationError)) throw error;
    problems = error.problems;
  }
  problems.push(...(await referenceProblems(rt, org, model)));
  if (problems.length > 0) throw unprocessable(`Proxy is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);
}

export async function createRevision(rt: Runtime, org: string, model: ProxyModel, source: 'json' | 'bundle'): Promise<RevisionItem> {
  await assertDeployable(rt, org, model);
  const encoded = storable(model);
  const keys = apiProxyKeys(org, model.name);
  let revision: number;
  const existing = await rt.table.get<ApiItem>(keys, { consistent: true });
  if (!existing) {
    try {
      await rt.table.create<ApiItem>({ ...keys, type: 'api', name: model.name, latestRevision: 1, revisions: [1] });
      revision = 1;
    } catch (error) {
      // Only a proxy created concurrently moves on to the next number; a failing table is the caller's error.
      if (!(isHttpError(error) && error.status === 409)) throw error;
      revision = await nextRevision(rt, keys);
    }
  } else {
    revision = await nextRevision(rt, keys);
  }
  try {
    return await rt.table.create<RevisionItem>(
      {
        ...revisionKeys(org, model.name, revision),
        type: 'revision',
        api: model.name,
        revision,
        model: encoded,
        source,
        basePaths: basePathsOf(model),
      },
      `Revision ${revision} of ${model.name} already exists`,
    );
  } catch (error) {
    // A revision with this number is already stored: it stays listed.
    if (isHttpError(error) && error.status === 409) throw error;
    // The proxy must not list a revision that was never stored; a number may be skipped.
    const remaining = await rt.table.modify<ApiItem>(keys, (current) => ({ ...current, revisions: current.revisions.filter((r) => r !== revision) }));
    if (remaining.revisions.length === 0) await rt.table.delete(keys, { condition: 'size(revisions) = :none', values: { ':none': 0 } });
    throw error;
  }
}

async function nextRevision(rt: Runtime, keys: { pk: string; sk: string }): Promise<number> {
  const updated = await rt.table.modify<ApiItem>(keys, (api) => ({
    ...api,
    latestRevision: api.latestRevision + 1,
    revisions: [...api.revisions, api.latestRevision + 1],
  }));
  return updated.latestRevision;
}

export async function getApi(rt: Runtime, org: string, api: string): Promise<ApiItem> {
  const item = await rt.table.get<ApiItem>(apiProxyKeys(org, api));
  if (!item) throw notFound(`API proxy ${api} does not exist`, 'messaging.config.beans.ApplicationDoesNotExist');
  return item;
}

export async function listApis(rt: Runtime, org: string): Promise<ApiItem[]> {
  return rt.table.queryAll<ApiItem>(orgPartition(org), { prefix: SORT_PREFIX.api });
}

export async function getRevision(rt: Runtime, org: string, api: string, revision: number): Promise<RevisionItem> {
  const item = Number.isInteger(revision) && revision > 0 ? await rt.table.get<RevisionItem>(revisionKeys(org, api, revision)) : undefined;
  if (!item) throw notFound(`Revision ${revision} of API proxy ${api} does not exist`, 'messaging.config.beans.RevisionDoesNotExist');
  return item;
}

/** Tools upload a bundle's files in parallel (apigeetool four at a time): every one of them must land. */
const UPDATE_ATTEMPTS = 25;

/**
 * Changes a revision's model: `change` gets the current model and returns the
 * new one (retried on a concurrent write, so parallel uploads of a bundle's
 * files all land). 409 once the revision has been deployed.
 */
export async function updateRevision(
  rt: Runtime,
  org: string,
  api: string,
  revision: number,
  change: (model: ProxyModel) => ProxyModel,
): Promise<RevisionItem> {
  await getRevision(rt, org, api, revision);
  return rt.table.modify<RevisionItem>(revisionKeys(org, api, revision), (current) => {
    if (current.sealed) {
      throw conflict(`Revision ${revision} of ${api} has been deployed and is read-only; import or create a new revision`, 'revision_read_only');
    }
    const model = ProxyModelSchema.parse(change(decodeModel(current.model)));
    return { ...current, model: storable(model), basePaths: basePathsOf(model) };
  }, UPDATE_ATTEMPTS);
}

/**
 * Makes a revision read-only, if it is still the version the caller read
 * (and checked); false when it changed meanwhile.
 */
export async function sealRevision(rt: Runtime, item: RevisionItem): Promise<boolean> {
  if (item.sealed) return true;
  return rt.table.setIf(
    { pk: item.pk, sk: item.sk },
    { sealed: true, version: item.version + 1 },
    '#version = :expected',
    { ':expected': item.version },
    { '#version': 'version' },
  );
}

export async function deleteRevision(rt: Runtime, org: string, api: string, revision: number, deployedRevisions: number[]): Promise<RevisionItem> {
  if (deployedRevisions.includes(revision)) throw conflict(`Revision ${revision} of ${api} is deployed; undeploy it first`);
  const item = await getRevision(rt, org, api, revision);
  await rt.table.delete(revisionKeys(org, api, revision));
  const remaining = await rt.table.modify<ApiItem>(apiProxyKeys(org, api), (current) => ({
    ...current,
    revisions: current.revisions.filter((r) => r !== revision),
  }));
  if (remaining.revisions.length === 0) await rt.table.delete(apiProxyKeys(org, api));
  return item;
}

export async function deleteApi(rt: Runtime, org: string, api: string, deployedRevisions: number[]): Promise<ApiItem> {
  if (deployedRevisions.length > 0) {
    throw conflict(`API proxy ${api} has deployed revisions (${deployedRevisions.join(', ')}); undeploy them first`);
  }
  const item = await getApi(rt, org, api);
  for (const revision of item.revisions) await rt.table.delete(revisionKeys(org, api, revision));
  await rt.table.delete(apiProxyKeys(org, api));
  return item;
}
