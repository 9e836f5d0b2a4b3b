// A revision's files one at a time, on Apigee Edge's paths: policies, proxy
// endpoints, target endpoints and resource files. This is how apigeetool
// deploys a proxy: it imports a bundle holding only the descriptor, then
// uploads each file, then deploys. Each file is read and checked on its own
// (as its part of the model); what it names that is not there yet (a policy a
// step refers to, a target a route rule names) is checked when the revision is
// deployed. A deployed revision is read-only (409).
import type { PlatformRouter } from '../auth/principal.js';
import { bundleFileToModel, resourceFile, stepNames, type BundleFileKind, type ImportProblem } from '../bundles/import.js';
import { multipartField } from '../bundles/multipart.js';
import { policyXml, proxyEndpointXml, targetEndpointXml } from '../bundles/export.js';
import { BUNDLE_LIMITS } from '../bundles/zip.js';
import { badRequest, conflict, notFound, payloadTooLarge, unprocessable, unsupportedMediaType } from '../http/errors.js';
import { mediaType, type HttpRequest } from '../http/request.js';
import { created, ok, type HttpResponse } from '../http/response.js';
import type { RouteDoc } from '../http/router.js';
import type { Runtime } from '../runtime.js';
import { decodeModel, getRevision, updateRevision } from '../gateway/stores/apis.js';
import { deployedRevisions } from '../gateway/stores/deployments.js';
import type { PolicyModel, ProxyEndpoint, ProxyModel, ResourceFileSchema, TargetEndpoint } from '../gateway/engine/model.js';
import type * as z from 'zod';

const REVISION = '/v1/organizations/:org/apis/:api/revisions/:rev';

/** Apigee's resource file types (the folders under `apiproxy/resources/`). */
export const RESOURCE_TYPES = ['graphql', 'hosted', 'java', 'jsc', 'node', 'oas', 'properties', 'py', 'wsdl', 'xsd', 'xsl'] as const;

const revisionNumber = (value: string | undefined) => (/^\d{1,6}$/.test(value ?? '') ? Number(value) : Number.NaN);

async function currentModel(rt: Runtime, org: string, request: HttpRequest): Promise<ProxyModel> {
  return decodeModel((await getRevision(rt, org, request.params.api!, revisionNumber(request.params.rev))).model);
}

/** Applies a change to the revision, refusing one that has been deployed. */
async function edit(rt: Runtime, org: string, request: HttpRequest, change: (model: ProxyModel) => ProxyModel): Promise<ProxyModel> {
  const api = request.params.api!;
  const revision = revisionNumber(request.params.rev);
  // Revisions deployed before they were sealed on deployment are read-only too.
  if ((await deployedRevisions(rt, org, api)).includes(revision)) {
    throw conflict(`Revision ${revision} of ${api} is deployed and read-only; import or create a new revision`, 'revision_read_only');
  }
  return decodeModel((await updateRevision(rt, org, api, revision, change)).model);
}

function fileBytes(request: HttpRequest): Buffer {
  if (request.body.length > BUNDLE_LIMITS.maxEntryBytes) throw payloadTooLarge(`A file may have at most ${BUNDLE_LIMITS.maxEntryBytes} bytes`);
  const bytes = mediaType(request) === 'multipart/form-data' ? multipartField(request, 'file') : request.body;
  if (!bytes || bytes.length === 0) throw badRequest('The body is empty; send the file as the body (or multipart field "file")', 'empty_file');
  return bytes;
}

const XML_TYPES = new Set(['application/xml', 'text/xml', 'application/octet-stream', 'multipart/form-data', '']);

/** A policy, proxy or target file from the body, as its part of the model; 422 with every problem. */
function readXmlFile<T>(request: HttpRequest, kind: BundleFileKind, name: string | undefined): T {
  if (!XML_TYPES.has(mediaType(request))) throw unsupportedMediaType('Content-Type must be application/xml');
  const result = bundleFileToModel(kind, name, fileBytes(request), { allowUnsupported: request.query.get('allowUnsupported') === 'true' });
  if (!result.value) throw fileProblems(result.problems);
  return result.value as T;
}

function fileProblems(problems: ImportProblem[]) {
  const shown = problems.slice(0, 5).map((problem) => `${problem.path}: ${problem.message}`).join('; ');
  return unprocessable(`The file has ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${shown}`, problems);
}

/** JSON by default, the XML file when the caller asks for XML only (Apigee's `Accept: application/xml`). */
function wantsXml(request: HttpRequest): boolean {
  const accept = (request.headers.accept ?? '').toLowerCase();
  return accept.includes('xml') && !accept.includes('json');
}

function xmlResponse(xml: string): HttpResponse {
  return { status: 200, headers: { 'content-type': 'application/xml; charset=utf-8' }, body: xml };
}

function policyView(policy: PolicyModel) {
  return {
    name: policy.name,
    policyType: policy.type,
    displayName: policy.displayName ?? policy.name,
    enabled: policy.enabled,
    continueOnError: policy.continueOnError,
    async: policy.async,
    config: policy.config,
    ...(policy.unsupported ? { unsupported: policy.unsupported } : {}),
  };
}

/** Apigee's `connection` (what apigeetool reads for the deployed URLs) with the endpoint's model. */
function proxyEndpointView(endpoint: ProxyEndpoint) {
  const { name, basePath, virtualHosts, routeRules, ...flows } = endpoint;
  return {
    name,
    connection: { basePath, connectionType: 'httpConnection', virtualHost: virtualHosts ?? ['default'] },
    connectionType: 'httpConnection',
    routeRule: routeRules,
    ...flows,
    type: 'Proxy',
  };
}

function targetEndpointView(endpoint: TargetEndpoint) {
  const { name, connection, ...flows } = endpoint;
  return {
    name,
    connection: { ...connection, connectionType: 'httpConnection', ...(connection.url ? { uRL: connection.url } : {}) },
    connectionType: 'httpConnection',
    ...flows,
    type: 'Target',
  };
}

interface NamedFiles<T extends { name: string }> {
  kind: BundleFileKind;
  label: string;
  id: string;
  list: (model: ProxyModel) => T[];
  with: (model: ProxyModel, items: T[]) => ProxyModel;
  view: (item: T) => unknown;
  xml: (item: T) => string;
  /** Why the item cannot be deleted (something in the model refers to it), if so. */
  inUse: (model: ProxyModel, name: string) => string | undefined;
  /** Where a create takes the item's name from: the body's XML (policies) or `?name=` (endpoints). */
  nameFromQuery: boolean;
}

const POLICIES: NamedFiles<PolicyModel> = {
  kind: 'policies',
  label: 'policy',
  id: 'Policy',
  list: (model) => model.policies,
  with: (model, policies) => ({ ...model, policies }),
  view: policyView,
  xml: policyXml,
  inUse: (model, name) => {
    const endpoint = [...model.proxyEndpoints, ...model.targetEndpoints].find((candidate) => stepNames(candidate).has(name));
    return endpoint ? `a step of endpoint ${endpoint.name} runs it` : undefined;
  },
  nameFromQuery: false,
};

const PROXIES: NamedFiles<ProxyEndpoint> = {
  kind: 'proxies',
  label: 'proxy endpoint',
  id: 'ProxyEndpoint',
  list: (model) => model.proxyEndpoints,
  with: (model, proxyEndpoints) => ({ ...model, proxyEndpoints }),
  view: proxyEndpointView,
  xml: proxyEndpointXml,
  inUse: () => undefined,
  nameFromQuery: true,
};

const TARGETS: NamedFiles<TargetEndpoint> = {
  kind: 'targets',
  label: 'target endpoint',
  id: 'TargetEndpoint',
  list: (model) => model.targetEndpoints,
  with: (model, targetEndpoints) => ({ ...model, targetEndpoints }),
  view: targetEndpointView,
  xml: targetEndpointXml,
  inUse: (model, name) => {
    const endpoint = model.proxyEndpoints.find((candidate) => candidate.routeRules.some((rule) => rule.targetEndpoint === name));
    return endpoint ? `a route rule of proxy endpoint ${endpoint.name} names it` : undefined;
  },
  nameFromQuery: true,
};

const XML_BODY: Pick<RouteDoc, 'bodies'> = { bodies: { 'application/xml': 'binary' } };

function registerNamedFiles<T extends { name: string }>(router: PlatformRouter, files: NamedFiles<T>): void {
  const base = `${REVISION}/${files.kind}`;
  const plural = files.kind === 'policies' ? 'Policies' : `${files.id}s`;
  const find = (model: ProxyModel, name: string): T => {
    const item = files.list(model).find((candidate) => candidate.name === name);
    if (!item) throw notFound(`The revision has no ${files.label} named ${name}`);
    return item;
  };

  router.get(base, { operationId: `listRevision${plural}`, summary: `List a revision's ${files.kind === 'policies' ? 'policies' : `${files.label}s`} (names)` }, async (request, rt, { organization }) => {
    return ok(files.list(await currentModel(rt, organization, request)).map((item) => item.name));
  });

  router.post(
    base,
    {
      operationId: `createRevision${files.id}`,
      summary: `Add a ${files.label} (its XML file) to a revision`,
      description: `The body is the ${files.label}'s XML, as in a bundle's \`${files.kind}/\` folder${files.nameFromQuery ? '; `name` defaults to the XML\'s name attribute' : '; its name is the XML\'s name attribute'}. 409 if the revision has one of that name, or has been deployed.`,
      ...XML_BODY,
      query: {
        ...(files.nameFromQuery ? { name: { description: `The ${files.label}'s name.` } } : {}),
        allowUnsupported: { description: '`true` keeps an unsupported policy (skipped at run time) instead of refusing it.', enum: ['true', 'false'] },
      },
      responses: { 201: `The ${files.label}.`, 409: 'Exists already, or the revision is deployed.', 422: 'The file has problems (all listed).' },
    },
    async (request, rt, { organization }) => {
      const item = readXmlFile<T>(request, files.kind, files.nameFromQuery ? request.query.get('name') ?? undefined : undefined);
      await edit(rt, organization, request, (model) => {
        if (files.list(model).some((candidate) => candidate.name === item.name)) throw conflict(`The revision already has a ${files.label} named ${item.name}`);
        return files.with(model, [...files.list(model), item]);
      });
      return created(files.view(item));
    },
  );

  router.get(
    `${base}/:name`,
    {
      operationId: `getRevision${files.id}`,
      summary: `Get a ${files.label} of a revision`,
      description: 'JSON by default; its XML file with `Accept: application/xml`.',
      responses: { 200: { description: `The ${files.label}.`, type: ['application/json', 'application/xml'] } },
    },
    async (request, rt, { organization }) => {
      const item = find(await currentModel(rt, organization, request), request.params.name!);
      return wantsXml(request) ? xmlResponse(files.xml(item)) : ok(files.view(item));
    },
  );

  const replace = async (request: HttpRequest, rt: Runtime, organization: string) => {
    const item = readXmlFile<T>(request, files.kind, request.params.name!);
    await edit(rt, organization, request, (model) => {
      find(model, item.name);
      return files.with(model, files.list(model).map((candidate) => (candidate.name === item.name ? item : candidate)));
    });
    return ok(files.view(item));
  };
  const replaceDoc: RouteDoc = {
    summary: `Replace a ${files.label} of a revision with a new XML file`,
    description: 'The XML\'s name attribute, if any, must be the path\'s. 404 if the revision has none of that name; 409 once it is deployed.',
    ...XML_BODY,
    responses: { 200: `The ${files.label}.`, 422: 'The file has problems (all listed).' },
  };
  router.put(`${base}/:name`, { ...replaceDoc, operationId: `replaceRevision${files.id}` }, (request, rt, { organization }) => replace(request, rt, organization));
  router.post(`${base}/:name`, { ...replaceDoc, operationId: `updateRevision${files.id}` }, (request, rt, { organization }) => replace(request, rt, organization));

  router.delete(
    `${base}/:name`,
    { operationId: `deleteRevision${files.id}`, summary: `Remove a ${files.label} from a revision`, description: '409 while something in the revision refers to it, or once it is deployed.' },
    async (request, rt, { organization }) => {
      const name = request.params.name!;
      let removed: T | undefined;
      await edit(rt, organization, request, (model) => {
        removed = find(model, name);
        const reason = files.inUse(model, name);
        if (reason) throw conflict(`The ${files.label} ${name} cannot be removed: ${reason}`);
        return files.with(model, files.list(model).filter((candidate) => candidate.name !== name));
      });
      return ok(files.view(removed!));
    },
  );
}

type ResourceFile = z.infer<typeof ResourceFileSchema>;

function resourceType(value: string | null | undefined): string {
  if (!value || !(RESOURCE_TYPES as readonly string[]).includes(value)) throw badRequest(`type must be one of ${RESOURCE_TYPES.join(', ')}`, 'invalid_resource_type');
  return value;
}

function resourceName(value: string | null | undefined): string {
  const segments = (value ?? '').split('/');
  if (!value || value.length > 400 || segments.some((segment) => segment === '' || segment === '.' || segment === '..') || /[\\\p{Cc}]/u.test(value)) {
    throw badRequest('name must be a relative file name (no empty, . or .. segments, no backslash)', 'invalid_resource_name');
  }
  return value;
}

const resourceView = (resource: ResourceFile) => {
  const slash = resource.path.indexOf('/');
  return { name: resource.path.slice(slash + 1), type: resource.path.slice(0, slash) };
};

function registerResourceFiles(router: PlatformRouter): void {
  const base = `${REVISION}/resourcefiles`;
  const find = (model: ProxyModel, path: string): ResourceFile => {
    const found = model.resources.find((resource) => resource.path === path);
    if (!found) throw notFound(`The revision has no resource file ${path}`);
    return found;
  };
  const typeQuery = { description: `The resource type: ${RESOURCE_TYPES.join(', ')}.`, required: true, enum: RESOURCE_TYPES };
  const nameQuery = { description: 'The file name, with its extension (may contain `/` for folders).', required: true };
  const uploadBodies: Pick<RouteDoc, 'bodies'> = { bodies: { 'application/octet-stream': 'binary', 'multipart/form-data': 'binary' } };

  router.get(base, { operationId: 'listRevisionResourceFiles', summary: 'List a revision\'s resource files' }, async (request, rt, { organization }) => {
    return ok({ resourceFile: (await currentModel(rt, organization, request)).resources.map(resourceView) });
  });

  const create = async (request: HttpRequest, rt: Runtime, organization: string) => {
    const path = `${resourceType(request.query.get('type'))}/${resourceName(request.query.get('name'))}`;
    const resource = resourceFile(path, fileBytes(request));
    await edit(rt, organization, request, (model) => {
      if (model.resources.some((candidate) => candidate.path === path)) throw conflict(`The revision already has a resource file ${path}`);
      return { ...model, resources: [...model.resources, resource] };
    });
    return created(resourceView(resource));
  };
  const createDoc: RouteDoc = {
    summary: 'Add a resource file to a revision',
    description: 'The body is the file (`application/octet-stream`, or multipart field `file`). 409 if it exists, or once the revision is deployed.',
    ...uploadBodies,
    query: { type: typeQuery, name: nameQuery },
    responses: { 201: 'The resource file\'s name and type.' },
  };
  router.post(base, { ...createDoc, operationId: 'createRevisionResourceFile' }, (request, rt, { organization }) => create(request, rt, organization));
  // apigeetool's form of the same upload.
  router.post(`${REVISION}/resources`, { ...createDoc, operationId: 'importRevisionResource', summary: 'Add a resource file to a revision (apigeetool\'s path)' }, (request, rt, { organization }) =>
    create(request, rt, organization),
  );

  const FILE = `${base}/:type/*name`;
  const pathOf = (request: HttpRequest) => `${resourceType(request.params.type)}/${resourceName(request.params.name)}`;
  router.get(FILE, { operationId: 'getRevisionResourceFile', summary: 'Get a resource file\'s content', responses: { 200: { description: 'The file.', type: 'application/octet-stream' } } }, async (request, rt, { organization }) => {
    const resource = find(await currentModel(rt, organization, request), pathOf(request));
    const text = resource.encoding !== 'base64';
    return {
      status: 200,
      headers: { 'content-type': text ? 'text/plain; charset=utf-8' : 'application/octet-stream' },
      body: text ? resource.content : Buffer.from(resource.content, 'base64'),
    };
  });
  router.put(FILE, { operationId: 'replaceRevisionResourceFile', summary: 'Replace a resource file\'s content', ...uploadBodies, responses: { 200: 'The resource file\'s name and type.' } }, async (request, rt, { organization }) => {
    const path = pathOf(request);
    const resource = resourceFile(path, fileBytes(request));
    await edit(rt, organization, request, (model) => {
      find(model, path);
      return { ...model, resources: model.resources.map((candidate) => (candidate.path === path ? resource : candidate)) };
    });
    return ok(resourceView(resource));
  });
  router.delete(FILE, { operationId: 'deleteRevisionResourceFile', summary: 'Remove a resource file from a revision' }, async (request, rt, { organization }) => {
    const path = pathOf(request);
    let removed: ResourceFile | undefined;
    await edit(rt, organization, request, (model) => {
      removed = find(model, path);
      return { ...model, resources: model.resources.filter((candidate) => candidate.path !== path) };
    });
    return ok(resourceView(removed!));
  });
}

export function registerRevisionFileRoutes(router: PlatformRouter): void {
  registerNamedFiles(router, POLICIES);
  registerNamedFiles(router, PROXIES);
  registerNamedFiles(router, TARGETS);
  registerResourceFiles(router);
}
