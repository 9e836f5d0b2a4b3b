// Apigee Edge management paths for API proxies, revisions, environments and
// deployments.
import type { PlatformRouter } from '../auth/principal.js';
import { bundleResponse, importBundle } from '../bundles/bundle-transfer.js';
import { jsonBody } from '../http/body.js';
import { badRequest } from '../http/errors.js';
import { created, ok } from '../http/response.js';
import type { RouteDoc } from '../http/router.js';
import { createRevision, decodeModel, deleteApi, deleteRevision, getApi, getRevision, listApis, type RevisionItem } from '../gateway/stores/apis.js';
import { normalizeBasePath } from '../gateway/engine/compile.js';
import { deployedRevisions } from '../gateway/stores/deployments.js';
import { ProxyModelSchema, type ProxyModel } from '../gateway/engine/model.js';
import { registerRevisionFileRoutes } from './revision-file-routes.js';

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
    // Apigee lists the endpoints under both names.
    proxies: model.proxyEndpoints.map((endpoint) => endpoint.name),
    targets: model.targetEndpoints.map((endpoint) => endpoint.name),
    resources: model.resources.map((resource) => resource.path),
    resourceFiles: { resourceFile: model.resources.map((resource) => ({ name: resource.path.slice(resource.path.indexOf('/') + 1), type: resource.path.slice(0, resource.path.indexOf('/')) })) },
    /** Imported policies Tollgate keeps but cannot run: their steps fault (500) unless continueOnError is set. */
    unsupportedPolicies: model.policies.filter((p) => p.unsupported).map((p) => ({ name: p.name, type: p.type, reason: p.unsupported })),
  };
}

const EXPAND = { description: '`true` for details instead of names.', enum: ['true', 'false'] } as const;

const CREATE_PROXY_DOC: RouteDoc = {
  operationId: 'createApiProxy',
  summary: 'Create an API proxy revision',
  description:
    'A JSON proxy model creates the next revision (`{"name": ..}` alone, as in Apigee, an empty one to add files to). ' +
    'With `action=import&name={name}` the body is an Apigee bundle zip instead (`application/octet-stream`, `application/zip`, ' +
    'or multipart field `file`); a bundle holding only the descriptor (`apiproxy/<name>.xml`) makes a revision to add files to ' +
    '(`.../revisions/{rev}/policies|proxies|targets|resourcefiles`). `action=validate` checks a bundle without storing it. ' +
    'Every bundle is checked whole (Apigee\'s `validate=true`); `validate=false` is accepted.',
  body: ProxyModelSchema,
  bodies: { 'application/octet-stream': 'binary', 'application/zip': 'binary', 'multipart/form-data': 'binary' },
  query: {
    action: { description: '`import` to store an Apigee bundle zip as a new revision, `validate` to check one without storing it.', enum: ['import', 'validate'] },
    name: { description: 'With a bundle: the proxy name it is stored under (default: the descriptor\'s name attribute).' },
    validate: { description: 'Apigee\'s flag to check the bundle before importing it: Tollgate always does.', enum: ['true', 'false'] },
    allowUnsupported: { description: 'With a bundle: `true` keeps unsupported policies (skipped at run time) instead of refusing the bundle.', enum: ['true', 'false'] },
  },
  responses: { 201: 'The new revision\'s summary.', 200: 'With `action=validate`: the bundle\'s summary, nothing stored.' },
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

export function registerProxyRoutes(router: PlatformRouter): void {
  router.get(`${ORG}/apis`, { operationId: 'listApiProxies', summary: 'List API proxies', query: { expand: EXPAND } }, async (request, rt, { organization }) => {
    const apis = await listApis(rt, organization);
    if (request.query.get('expand') === 'true') {
      return ok({ proxies: apis.map((api) => ({ name: api.name, revision: api.revisions.map(String), latestRevisionId: String(api.latestRevision) })) });
    }
    return ok(apis.map((api) => api.name));
  });

  router.post(`${ORG}/apis`, CREATE_PROXY_DOC, async (request, rt, { organization }) => {
    const action = request.query.get('action');
    if (action === 'import' || action === 'validate') {
      const imported = await importBundle(rt, organization, request, { store: action === 'import' });
      return imported.revision ? created(revisionSummary(imported.revision)) : ok({ ...modelSummary(imported.model), validated: true });
    }
    if (action !== null) throw badRequest(`Unknown action "${action}"; use action=import (or action=validate) with a bundle zip`);
    const model = jsonBody(request, ProxyModelSchema);
    const revision = await createRevision(rt, organization, model, 'json');
    return created(revisionSummary(revision));
  });

  router.get(`${ORG}/apis/:api`, { operationId: 'getApiProxy', summary: 'Get an API proxy and its revision numbers' }, async (request, rt, { organization }) => {
    const api = await getApi(rt, organization, request.params.api!);
    return ok({
      name: api.name,
      revision: api.revisions.map(String),
      latestRevisionId: String(api.latestRevision),
      metaData: { createdAt: Date.parse(api.createdAt), lastModifiedAt: Date.parse(api.updatedAt) },
    });
  });

  router.delete(`${ORG}/apis/:api`, { operationId: 'deleteApiProxy', summary: 'Delete an API proxy with all its revisions', description: 'Refused (409) while a revision is deployed.' }, async (request, rt, { organization }) => {
    const api = request.params.api!;
    const deleted = await deleteApi(rt, organization, api, await deployedRevisions(rt, organization, api));
    return ok({ name: deleted.name, revision: deleted.revisions.map(String) });
  });

  router.get(`${ORG}/apis/:api/revisions`, { operationId: 'listApiProxyRevisions', summary: 'List the revisions of an API proxy' }, async (request, rt, { organization }) => {
    const api = await getApi(rt, organization, request.params.api!);
    return ok(api.revisions.map(String));
  });

  router.get(`${ORG}/apis/:api/revisions/:rev`, GET_REVISION_DOC, async (request, rt, { organization }) => {
    const item = await getRevision(rt, organization, request.params.api!, revisionNumber(request.params.rev));
    if (request.query.get('format') === 'bundle') return bundleResponse(item, request.query.get('layout') === 'sap' ? 'sap' : 'apigee');
    return ok(revisionSummary(item, { includeModel: true }));
  });

  router.delete(`${ORG}/apis/:api/revisions/:rev`, { operationId: 'deleteApiProxyRevision', summary: 'Delete a revision', description: 'Refused (409) while it is deployed.' }, async (request, rt, { organization }) => {
    const api = request.params.api!;
    const item = await deleteRevision(rt, organization, api, revisionNumber(request.params.rev), await deployedRevisions(rt, organization, api));
    return ok(revisionSummary(item));
  });

  registerRevisionFileRoutes(router);
}
