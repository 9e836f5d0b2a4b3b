// Apigee Edge management paths for API proxies, revisions, environments and
// deployments.
import { authenticateForOrg } from '../auth/platform.js';
import { getOrganization } from '../auth/organizations.js';
import { bundleResponse, importBundle } from '../bundles/bundle-transfer.js';
import { jsonBody } from '../http/body.js';
import { badRequest, notFound } from '../http/errors.js';
import { created, ok } from '../http/response.js';
import type { RouteDoc, Router } from '../http/router.js';
import type { Runtime } from '../runtime.js';
import { createRevision, decodeModel, deleteApi, deleteRevision, getApi, getRevision, listApis, type RevisionItem } from '../gateway/stores/apis.js';
import { normalizeBasePath } from '../gateway/engine/compile.js';
import { assertEnvironment, deploy, deployedRevisions, listDeployments, undeploy, type DeploymentItem } from '../gateway/stores/deployments.js';
import { ProxyModelSchema, type ProxyModel } from '../gateway/engine/model.js';

const ORG = '/v1/organizations/:org';

export function revisionSummary(item: RevisionItem, options: { includeModel?: boolean } = {}) {
  const model = decodeModel(item.model);
  return {
    ...modelSummary(model),
    name: item.api,
    revision: String(item.revision),
    source: item.source,
    createdAt: Date.parse(item.createdAt),
    lastModifiedAt: Date.parse(item.updatedAt),
    ...(options.includeModel ? { model } : {}),
  };
}

/** What a proxy model holds, by name (a revision's summary without its revision data). */
export function modelSummary(model: ProxyModel) {
  return {
    name: model.name,
    displayName: model.displayName ?? model.name,
    description: model.description,
    basepaths: model.proxyEndpoints.map((endpoint) => normalizeBasePath(endpoint.basePath)),
    policies: model.policies.map((policy) => policy.name),
    proxyEndpoints: model.proxyEndpoints.map((endpoint) => endpoint.name),
    targetEndpoints: model.targetEndpoints.map((endpoint) => endpoint.name),
    resources: model.resources.map((resource) => resource.path),
    /** Imported policies Tollgate keeps but cannot run: their steps fault (500) unless continueOnError is set. */
    unsupportedPolicies: model.policies.filter((p) => p.unsupported).map((p) => ({ name: p.name, type: p.type, reason: p.unsupported })),
  };
}

function deploymentView(item: DeploymentItem) {
  return {
    environment: item.environment,
    apiProxy: item.api,
    revision: String(item.revision),
    basePaths: item.basePaths,
    state: 'deployed',
    deployStartTime: item.deployedAt,
  };
}

const EXPAND = { description: '`true` for details instead of names.', enum: ['true', 'false'] } as const;

const CREATE_PROXY_DOC: RouteDoc = {
  operationId: 'createApiProxy',
  summary: 'Create an API proxy revision',
  description:
    'A JSON proxy model creates the next revision. With `action=import&name={name}` the body is an Apigee bundle zip instead ' +
    '(`application/octet-stream`, `application/zip`, or multipart field `file`); `validate=true` checks it without storing.',
  body: ProxyModelSchema,
  bodies: { 'application/octet-stream': 'binary', 'application/zip': 'binary', 'multipart/form-data': 'binary' },
  query: {
    action: { description: '`import` to upload an Apigee bundle zip.', enum: ['import'] },
    name: { description: 'With `action=import`: the proxy name the bundle is stored under.' },
    validate: { description: 'With `action=import`: `true` to check the bundle without storing it (200 with the summary).', enum: ['true', 'false'] },
  },
  responses: { 201: 'The new revision\'s summary.', 200: 'With `validate=true`: the bundle\'s summary, nothing stored.' },
};

const GET_REVISION_DOC: RouteDoc = {
  operationId: 'getApiProxyRevision',
  summary: 'Get a revision (JSON model or bundle zip)',
  query: {
    format: { description: '`bundle` to download the revision as a bundle zip.', enum: ['bundle'] },
    layout: { description: "With `format=bundle`: `apigee` (the `apiproxy/` layout, default) or `sap` (SAP API Management's `APIProxy/` transport layout).", enum: ['apigee', 'sap'] },
  },
  responses: { 200: { description: 'The revision\'s summary with its `model`; with `format=bundle`, the zip.', type: ['application/json', 'application/zip'] } },
};

const revisionNumber = (value: string | undefined) => (/^\d{1,6}$/.test(value ?? '') ? Number(value) : Number.NaN);

export function registerProxyRoutes(router: Router<Runtime>): void {
  router.get(`${ORG}/apis`, { operationId: 'listApiProxies', summary: 'List API proxies', query: { expand: EXPAND } }, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const apis = await listApis(rt, organization);
    if (request.query.get('expand') === 'true') {
      return ok({ proxies: apis.map((api) => ({ name: api.name, revision: api.revisions.map(String), latestRevisionId: String(api.latestRevision) })) });
    }
    return ok(apis.map((api) => api.name));
  });

  router.post(`${ORG}/apis`, CREATE_PROXY_DOC, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const action = request.query.get('action');
    if (action === 'import') {
      const imported = await importBundle(rt, organization, request);
      return imported.revision ? created(revisionSummary(imported.revision)) : ok({ ...modelSummary(imported.model), validated: true });
    }
    if (action !== null) throw badRequest(`Unknown action "${action}"; use action=import with a bundle zip`);
    const model = jsonBody(request, ProxyModelSchema);
    const revision = await createRevision(rt, organization, model, 'json');
    return created(revisionSummary(revision));
  });

  router.get(`${ORG}/apis/:api`, { operationId: 'getApiProxy', summary: 'Get an API proxy and its revision numbers' }, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const api = await getApi(rt, organization, request.params.api!);
    return ok({
      name: api.name,
      revision: api.revisions.map(String),
      latestRevisionId: String(api.latestRevision),
      metaData: { createdAt: Date.parse(api.createdAt), lastModifiedAt: Date.parse(api.updatedAt) },
    });
  });

  router.delete(`${ORG}/apis/:api`, { operationId: 'deleteApiProxy', summary: 'Delete an API proxy with all its revisions', description: 'Refused (409) while a revision is deployed.' }, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const api = request.params.api!;
    const deleted = await deleteApi(rt, organization, api, await deployedRevisions(rt, organization, api));
    return ok({ name: deleted.name, revision: deleted.revisions.map(String) });
  });

  router.get(`${ORG}/apis/:api/revisions`, { operationId: 'listApiProxyRevisions', summary: 'List the revisions of an API proxy' }, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const api = await getApi(rt, organization, request.params.api!);
    return ok(api.revisions.map(String));
  });

  router.get(`${ORG}/apis/:api/revisions/:rev`, GET_REVISION_DOC, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const item = await getRevision(rt, organization, request.params.api!, revisionNumber(request.params.rev));
    if (request.query.get('format') === 'bundle') return bundleResponse(item, request.query.get('layout') === 'sap' ? 'sap' : 'apigee');
    return ok(revisionSummary(item, { includeModel: true }));
  });

  router.delete(`${ORG}/apis/:api/revisions/:rev`, { operationId: 'deleteApiProxyRevision', summary: 'Delete a revision', description: 'Refused (409) while it is deployed.' }, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const api = request.params.api!;
    const item = await deleteRevision(rt, organization, api, revisionNumber(request.params.rev), await deployedRevisions(rt, organization, api));
    return ok(revisionSummary(item));
  });

  router.get(`${ORG}/apis/:api/deployments`, { tag: 'Environments', operationId: 'listApiProxyDeployments', summary: 'Where an API proxy is deployed' }, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const api = await getApi(rt, organization, request.params.api!);
    const deployments = (await listDeployments(rt, organization)).filter((d) => d.api === api.name);
    return ok({
      name: api.name,
      environment: deployments.map((d) => ({ name: d.environment, revision: [{ name: String(d.revision), state: 'deployed' }] })),
    });
  });

  router.get(`${ORG}/environments`, { tag: 'Environments', operationId: 'listEnvironments', summary: 'List environments' }, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    return ok((await getOrganization(rt, organization))?.environments ?? []);
  });

  router.get(`${ORG}/environments/:env`, { tag: 'Environments', operationId: 'getEnvironment', summary: 'Get an environment' }, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    await assertEnvironment(rt, organization, request.params.env!);
    return ok({ name: request.params.env, properties: { property: [] } });
  });

  router.get(`${ORG}/environments/:env/deployments`, { tag: 'Environments', operationId: 'listEnvironmentDeployments', summary: 'List the deployments of an environment' }, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    await assertEnvironment(rt, organization, request.params.env!);
    const deployments = await listDeployments(rt, organization, request.params.env);
    return ok({
      name: request.params.env,
      aPIProxy: deployments.map((d) => ({ name: d.api, revision: [{ name: String(d.revision), state: 'deployed', basePaths: d.basePaths }] })),
    });
  });

  const deploymentPath = `${ORG}/environments/:env/apis/:api/revisions/:rev/deployments`;
  router.get(deploymentPath, { tag: 'Environments', operationId: 'getDeployment', summary: 'Get the deployment of a revision' }, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const deployments = await listDeployments(rt, organization, request.params.env);
    const found = deployments.find((d) => d.api === request.params.api && d.revision === revisionNumber(request.params.rev));
    if (!found) throw notFound(`Revision ${request.params.rev} of ${request.params.api} is not deployed in ${request.params.env}`);
    return ok(deploymentView(found));
  });

  router.post(deploymentPath, { tag: 'Environments', operationId: 'deployApiProxyRevision', summary: 'Deploy a revision', description: 'Claims the revision\'s base paths in the environment and replaces the revision deployed there before; 409 if another proxy holds a base path.' }, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const item = await deploy(rt, organization, request.params.env!, request.params.api!, revisionNumber(request.params.rev));
    return ok(deploymentView(item));
  });

  router.delete(deploymentPath, { tag: 'Environments', operationId: 'undeployApiProxyRevision', summary: 'Undeploy a revision' }, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const item = await undeploy(rt, organization, request.params.env!, request.params.api!, revisionNumber(request.params.rev));
    return ok({ ...deploymentView(item), state: 'undeployed' });
  });
}
