// Apigee Edge management paths for API proxies, revisions, environments and
// deployments.
import { authenticateForOrg } from '../auth/platform.js';
import { getOrganization } from '../auth/organizations.js';
import { bundleResponse, importBundle } from '../bundles/routes.js';
import { jsonBody } from '../http/body.js';
import { badRequest, notFound } from '../http/errors.js';
import { created, ok } from '../http/response.js';
import type { Router } from '../http/router.js';
import type { Runtime } from '../runtime.js';
import { createRevision, decodeModel, deleteApi, deleteRevision, getApi, getRevision, listApis, type RevisionItem } from '../gateway/apis.js';
import { normalizeBasePath } from '../gateway/compile.js';
import { assertEnvironment, deploy, deployedRevisions, listDeployments, undeploy, type DeploymentItem } from '../gateway/deployments.js';
import { ProxyModelSchema, type ProxyModel } from '../gateway/model.js';

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
    /** Imported policies Tollgate keeps but does not run. */
    skippedPolicies: model.policies.filter((p) => p.unsupported).map((p) => ({ name: p.name, type: p.type, reason: p.unsupported })),
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

const revisionNumber = (value: string | undefined) => (/^\d{1,6}$/.test(value ?? '') ? Number(value) : Number.NaN);

export function registerProxyRoutes(router: Router<Runtime>): void {
  router.get(`${ORG}/apis`, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const apis = await listApis(rt, organization);
    if (request.query.get('expand') === 'true') {
      return ok({ proxies: apis.map((api) => ({ name: api.name, revision: api.revisions.map(String), latestRevisionId: String(api.latestRevision) })) });
    }
    return ok(apis.map((api) => api.name));
  });

  router.post(`${ORG}/apis`, async (request, rt) => {
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

  router.get(`${ORG}/apis/:api`, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const api = await getApi(rt, organization, request.params.api!);
    return ok({
      name: api.name,
      revision: api.revisions.map(String),
      latestRevisionId: String(api.latestRevision),
      metaData: { createdAt: Date.parse(api.createdAt), lastModifiedAt: Date.parse(api.updatedAt) },
    });
  });

  router.delete(`${ORG}/apis/:api`, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const api = request.params.api!;
    const deleted = await deleteApi(rt, organization, api, await deployedRevisions(rt, organization, api));
    return ok({ name: deleted.name, revision: deleted.revisions.map(String) });
  });

  router.get(`${ORG}/apis/:api/revisions`, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const api = await getApi(rt, organization, request.params.api!);
    return ok(api.revisions.map(String));
  });

  router.get(`${ORG}/apis/:api/revisions/:rev`, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const item = await getRevision(rt, organization, request.params.api!, revisionNumber(request.params.rev));
    if (request.query.get('format') === 'bundle') return bundleResponse(item);
    return ok(revisionSummary(item, { includeModel: true }));
  });

  router.delete(`${ORG}/apis/:api/revisions/:rev`, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const api = request.params.api!;
    const item = await deleteRevision(rt, organization, api, revisionNumber(request.params.rev), await deployedRevisions(rt, organization, api));
    return ok(revisionSummary(item));
  });

  router.get(`${ORG}/apis/:api/deployments`, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const api = await getApi(rt, organization, request.params.api!);
    const deployments = (await listDeployments(rt, organization)).filter((d) => d.api === api.name);
    return ok({
      name: api.name,
      environment: deployments.map((d) => ({ name: d.environment, revision: [{ name: String(d.revision), state: 'deployed' }] })),
    });
  });

  router.get(`${ORG}/environments`, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    return ok((await getOrganization(rt, organization))?.environments ?? []);
  });

  router.get(`${ORG}/environments/:env`, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    await assertEnvironment(rt, organization, request.params.env!);
    return ok({ name: request.params.env, properties: { property: [] } });
  });

  router.get(`${ORG}/environments/:env/deployments`, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    await assertEnvironment(rt, organization, request.params.env!);
    const deployments = await listDeployments(rt, organization, request.params.env);
    return ok({
      name: request.params.env,
      aPIProxy: deployments.map((d) => ({ name: d.api, revision: [{ name: String(d.revision), state: 'deployed', basePaths: d.basePaths }] })),
    });
  });

  const deploymentPath = `${ORG}/environments/:env/apis/:api/revisions/:rev/deployments`;
  router.get(deploymentPath, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const deployments = await listDeployments(rt, organization, request.params.env);
    const found = deployments.find((d) => d.api === request.params.api && d.revision === revisionNumber(request.params.rev));
    if (!found) throw notFound(`Revision ${request.params.rev} of ${request.params.api} is not deployed in ${request.params.env}`);
    return ok(deploymentView(found));
  });

  router.post(deploymentPath, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const item = await deploy(rt, organization, request.params.env!, request.params.api!, revisionNumber(request.params.rev));
    return ok(deploymentView(item));
  });

  router.delete(deploymentPath, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const item = await undeploy(rt, organization, request.params.env!, request.params.api!, revisionNumber(request.params.rev));
    return ok({ ...deploymentView(item), state: 'undeployed' });
  });
}
