// The connectors API on Open Connectors paths (`/elements/api-v2/...`): the
// element catalog, OAuth URLs, instances, and, for every other path, resource
// calls through the instance named by the `Element` token.
import * as z from 'zod';
import type { PlatformRouter } from '../auth/principal.js';
import { jsonBody, readJson, validate } from '../http/body.js';
import { HttpError, notFound, unprocessable } from '../http/errors.js';
import type { HttpRequest } from '../http/request.js';
import { noContent, ok } from '../http/response.js';
import type { RouteDoc } from '../http/router.js';
import type { Runtime } from '../runtime.js';
import { elementSchema } from './element-schema.js';
import {
  createCustomElement,
  deleteCustomElement,
  elementView,
  listElements,
  replaceCustomElement,
  requireElement,
  type ResolvedElement,
} from './catalog.js';
import { connect, previousConnection } from './connect.js';
import { elementOpenApi } from './element-docs.js';
import { buildOAuthUrl } from './hosted-oauth.js';
import {
  countInstancesOfElement,
  createInstance,
  deleteInstance,
  getInstance,
  instanceView,
  listInstances,
  openCredentials,
  openInstanceToken,
  reauthenticateInstance,
  regenerateInstanceToken,
  updateInstanceDetails,
  type InstanceItem,
} from './instances.js';
import { proxyResourceCall } from './resource-proxy.js';

const BASE = '/elements/api-v2';

const configurationValue = z.union([z.string().max(4096), z.number(), z.boolean()]).transform((value) => String(value));

const instancePayload = z.object({
  element: z
    .object({
      key: z.string().min(1).max(100).optional(),
      id: z.union([z.number().int(), z.string().regex(/^\d+$/)]).optional(),
    })
    .optional(),
  name: z.string().trim().min(1).max(200),
  tags: z.array(z.string().trim().min(1).max(100)).max(50).default([]),
  configuration: z.record(z.string().min(1).max(200), configurationValue).default({}),
  providerData: z
    .object({
      code: z.string().min(1).max(4096).optional(),
      state: z.string().min(1).max(1024).optional(),
      codeVerifier: z.string().regex(/^[A-Za-z0-9._~-]{43,128}$/, 'must be an RFC 7636 code verifier').optional(),
    })
    .optional(),
  retrieveObjectsAfterInstantiation: z.boolean().default(false),
});

const reauthenticationPayload = instancePayload.extend({
  name: z.string().trim().min(1).max(200).optional(),
  tags: z.array(z.string().trim().min(1).max(100)).max(50).optional(),
});

const detailsPayload = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  tags: z.array(z.string().trim().min(1).max(100)).max(50).optional(),
});

const CREATE_INSTANCE_DOC: RouteDoc = {
  summary: 'Create an instance (connect an element to a vendor account)',
  description:
    'OAuth elements: `providerData.code` from the vendor and `configuration` with `oauth.api.key`, `oauth.api.secret`, `oauth.callback.url`; ' +
    'others: the element\'s configuration (username and password, API key ...). The response carries the instance `token` for `Element <token>`.',
  body: instancePayload,
};

const LIST_INSTANCES_DOC: RouteDoc = {
  query: {
    tags: { description: 'Only instances with these tags (comma-separated or repeated; also `tags[]`).' },
    pageSize: { description: 'Instances per page, 1-500 (default 200).' },
    nextPage: { description: 'The `elements-next-page-token` of the previous page.' },
    element: { description: 'Only instances of this element key.' },
  },
  responses: { 200: { description: 'The instances.', headers: { 'elements-next-page-token': 'Token of the next page, when there is one.' } } },
};

const OAUTH_URL_DOC: RouteDoc = {
  tag: 'Elements',
  operationId: 'getElementOAuthUrl',
  summary: 'Build the vendor authorization URL',
  description:
    'Open Connectors mode (`callbackUrl`): your app receives the code and posts it to `/instances`. Hosted mode (`returnUrl`): Tollgate ' +
    'is the redirect URI (`/elements/api-v2/oauth/callback`), stores the state and PKCE verifier single-use for 10 minutes, creates the ' +
    'instance and redirects the browser to `returnUrl` (an allowed origin of the organization).',
  query: {
    apiKey: { description: 'The OAuth client id of your app at the vendor.', required: true },
    apiSecret: { description: 'The OAuth client secret; required in hosted mode.' },
    callbackUrl: { description: 'Open Connectors mode: your redirect URI.' },
    returnUrl: { description: 'Hosted mode: where the browser goes after the connection, with `instanceId` and `state` (or `error`).' },
    state: { description: 'Your state, returned unchanged.' },
    scope: { description: 'Scopes to request instead of the element\'s.' },
    name: { description: 'Hosted mode: the new instance\'s name.' },
    instanceId: { description: 'Hosted mode: re-authenticate this instance instead of creating one.' },
    tags: { description: 'Hosted mode: the new instance\'s tags (comma-separated or repeated).' },
  },
  responses: { 200: '`{oauthUrl, element}`; hosted mode adds `callbackUrl` and `expiresIn`.' },
};

const RESOURCE_CALL_DOC: RouteDoc = {
  tag: 'Resource calls',
  auth: 'element',
  operationId: 'callResource',
  summary: 'Call the vendor API through an instance',
  description:
    'Any other path under `/elements/api-v2` is forwarded to the element\'s `baseUrl` with the instance\'s vendor credential ' +
    '(OAuth tokens refreshed before they expire). Query and body pass through; the vendor\'s answer comes back.',
  params: { path: 'The vendor resource path, e.g. `contacts/123`: one or more segments, `/` included.' },
  bodies: { 'application/json': 'binary', 'application/octet-stream': 'binary' },
  bodyOptional: true,
  responses: { 200: { description: 'The vendor\'s response, passed through (any status).', type: 'application/json' } },
};

function instanceId(request: HttpRequest): number {
  const id = request.params.id ?? '';
  if (!/^\d{1,10}$/.test(id)) throw notFound(`Instance ${id} not found`, 'instance_not_found');
  return Number(id);
}

async function requireInstance(rt: Runtime, org: string, request: HttpRequest): Promise<InstanceItem> {
  const id = instanceId(request);
  const item = await getInstance(rt, org, id, true);
  // Another organization's instance is simply not found: nothing tells it exists.
  if (!item) throw notFound(`Instance ${id} not found`, 'instance_not_found');
  return item;
}

/** The element named by the path or by the payload; both must agree. */
async function payloadElement(
  rt: Runtime,
  org: string,
  fromPath: string | undefined,
  payload: { element?: { key?: string; id?: number | string } | undefined },
): Promise<ResolvedElement> {
  const named = payload.element?.key ?? (payload.element?.id !== undefined ? String(payload.element.id) : undefined);
  if (fromPath) {
    const element = await requireElement(rt, org, fromPath);
    if (named !== undefined && named !== element.definition.key && named !== String(element.definition.id)) {
      throw unprocessable('element.key does not match the element in the path', [{ path: 'element.key', message: `must be ${element.definition.key} or left out` }]);
    }
    return element;
  }
  if (named === undefined) throw unprocessable('Instance is invalid: element.key: required', [{ path: 'element.key', message: 'required' }]);
  return requireElement(rt, org, named);
}

function objectsOf(element: ResolvedElement): Record<string, unknown>[] {
  return element.definition.resources.map((resource) => ({
    name: resource.name,
    vendorName: resource.vendorName ?? resource.name,
    type: 'vendor',
    path: resource.path,
    methods: resource.methods,
  }));
}

async function view(rt: Runtime, item: InstanceItem, element: ResolvedElement | undefined, token?: string): Promise<Record<string, unknown>> {
  return instanceView(item, element, token ?? (await openInstanceToken(rt, item)));
}

async function elementOfInstance(rt: Runtime, org: string, item: InstanceItem): Promise<ResolvedElement | undefined> {
  try {
    return await requireElement(rt, org, item.elementKey);
  } catch {
    return undefined;
  }
}

async function createFromPayload(rt: Runtime, request: HttpRequest, org: string, elementFromPath?: string) {
  const payload = jsonBody(request, instancePayload);
  const element = await payloadElement(rt, org, elementFromPath, payload);
  const connection = await connect(rt, org, element, {
    configuration: payload.configuration,
    ...(payload.providerData ? { providerData: payload.providerData } : {}),
  });
  const { item, token } = await createInstance(rt, org, element, {
    name: payload.name,
    tags: payload.tags,
    configuration: connection.configuration,
    credentials: connection.credentials,
  });
  const body = await view(rt, item, element, token);
  if (payload.retrieveObjectsAfterInstantiation) body.objects = objectsOf(element);
  return ok(body);
}

async function listFiltered(rt: Runtime, request: HttpRequest, org: string, elementKey?: string) {
  const tags = [...request.query.getAll('tags[]'), ...request.query.getAll('tags')].flatMap((value) => value.split(',')).map((tag) => tag.trim()).filter(Boolean);
  const pageSize = request.query.get('pageSize');
  if (pageSize !== null && !/^\d{1,3}$/.test(pageSize)) throw unprocessable('pageSize must be 1-500', [{ path: 'pageSize', message: 'must be 1-500' }]);
  const limit = pageSize === null ? 200 : Math.min(500, Math.max(1, Number(pageSize)));
  const filterElement = elementKey ?? request.query.get('element') ?? request.query.get('elementKey') ?? undefined;
  const cursor = request.query.get('nextPage') ?? undefined;
  const page = await listInstances(rt, org, { tags, ...(filterElement ? { elementKey: filterElement } : {}), limit, ...(cursor ? { cursor } : {}) });
  const elements = new Map<string, ResolvedElement | undefined>();
  const body = [];
  for (const item of page.items) {
    if (!elements.has(item.elementKey)) elements.set(item.elementKey, await elementOfInstance(rt, org, item));
    body.push(await view(rt, item, elements.get(item.elementKey)));
  }
  return ok(body, page.next ? { 'elements-next-page-token': page.next } : {});
}

export function registerConnectorRoutes(router: PlatformRouter): void {
  // Catalog
  router.get(`${BASE}/elements`, { tag: 'Elements', operationId: 'listElements', summary: 'List the elements: built-in and the organization\'s own' }, async (request, rt, { organization: org }) => {
    return ok((await listElements(rt, org)).map(elementView));
  });
  router.post(`${BASE}/elements`, { tag: 'Elements', operationId: 'createElement', summary: 'Add a custom element', description: '409 if the key is taken, by a built-in element or one of the organization\'s.', body: elementSchema }, async (request, rt, { organization: org }) => {
    const element = await createCustomElement(rt, org, readJson(request));
    return ok(elementView(element));
  });
  router.get(`${BASE}/elements/:keyOrId`, { tag: 'Elements', operationId: 'getElement', summary: 'Get an element' }, async (request, rt, { organization: org }) => {
    return ok(elementView(await requireElement(rt, org, request.params.keyOrId!)));
  });
  router.put(`${BASE}/elements/:keyOrId`, { tag: 'Elements', operationId: 'replaceElement', summary: 'Replace a custom element', description: 'Built-in elements cannot be changed (403).', body: elementSchema }, async (request, rt, { organization: org }) => {
    return ok(elementView(await replaceCustomElement(rt, org, request.params.keyOrId!, readJson(request))));
  });
  router.delete(`${BASE}/elements/:keyOrId`, { tag: 'Elements', operationId: 'deleteElement', summary: 'Delete a custom element', description: 'Refused (409) while instances of it exist.', responses: { 204: 'Deleted.' } }, async (request, rt, { organization: org }) => {
    await deleteCustomElement(rt, org, request.params.keyOrId!, (key) => countInstancesOfElement(rt, org, key));
    return noContent();
  });

  router.get(
    `${BASE}/elements/:keyOrId/docs`,
    {
      tag: 'Elements',
      operationId: 'getElementDocs',
      summary: 'The element\'s API docs as OpenAPI 3.1',
      description: 'Its resources as resource calls on `/elements/api-v2{path}`, secured by the platform header with `Element <instance token>`: what the console renders, with Try it out, for an instance.',
      responses: { 200: { description: 'An OpenAPI 3.1 document.', type: 'application/json' } },
    },
    async (request, rt, { organization: org }) => ok(elementOpenApi(await requireElement(rt, org, request.params.keyOrId!), rt.config.issuer)),
  );

  // OAuth
  router.get(`${BASE}/elements/:keyOrId/oauth/url`, OAUTH_URL_DOC, async (request, rt, { organization: org }) => {
    const element = await requireElement(rt, org, request.params.keyOrId!);
    return ok(await buildOAuthUrl(rt, org, element, request.query), { 'cache-control': 'no-store' });
  });

  // Instances
  router.post(`${BASE}/elements/:keyOrId/instances`, { ...CREATE_INSTANCE_DOC, operationId: 'createElementInstance' }, (request, rt, { organization }) => createFromPayload(rt, request, organization, request.params.keyOrId));
  router.get(`${BASE}/elements/:keyOrId/instances`, { ...LIST_INSTANCES_DOC, access: 'secret', operationId: 'listElementInstances', summary: 'List the instances of an element' }, async (request, rt, { organization: org }) => {
    const element = await requireElement(rt, org, request.params.keyOrId!);
    return listFiltered(rt, request, org, element.definition.key);
  });
  router.post(`${BASE}/instances`, { ...CREATE_INSTANCE_DOC, operationId: 'createInstance' }, (request, rt, { organization }) => createFromPayload(rt, request, organization));
  router.get(`${BASE}/instances`, { ...LIST_INSTANCES_DOC, access: 'secret', operationId: 'listInstances', summary: 'List instances' }, async (request, rt, { organization }) => listFiltered(rt, request, organization));
  router.get(`${BASE}/instances/:id`, { access: 'secret', operationId: 'getInstance', summary: 'Get an instance with its token' }, async (request, rt, { organization: org }) => {
    const item = await requireInstance(rt, org, request);
    return ok(await view(rt, item, await elementOfInstance(rt, org, item)));
  });
  router.patch(`${BASE}/instances/:id`, { operationId: 'updateInstance', summary: 'Rename or retag an instance', description: 'Changing configuration or credentials is a re-authentication: PUT.', body: detailsPayload }, async (request, rt, { organization: org }) => {
    const body = readJson(request);
    if (body !== null && typeof body === 'object' && ('configuration' in body || 'providerData' in body)) {
      throw unprocessable('Changing configuration or credentials re-authenticates the instance: use PUT /elements/api-v2/instances/{id}', [
        { path: 'configuration' in body ? 'configuration' : 'providerData', message: 'not changeable with PATCH; use PUT to re-authenticate' },
      ]);
    }
    const change = validate(detailsPayload, body);
    const item = await requireInstance(rt, org, request);
    const updated = await updateInstanceDetails(rt, item, change);
    return ok(await view(rt, updated, await elementOfInstance(rt, org, updated)));
  });
  router.put(`${BASE}/instances/:id`, { operationId: 'reauthenticateInstance', summary: 'Re-authenticate an instance', description: 'New configuration or OAuth code; the instance keeps its id and token.', body: reauthenticationPayload }, async (request, rt, { organization: org }) => {
    const payload = jsonBody(request, reauthenticationPayload);
    const item = await requireInstance(rt, org, request);
    const element = await requireElement(rt, org, item.elementKey);
    const named = payload.element?.key ?? (payload.element?.id !== undefined ? String(payload.element.id) : undefined);
    if (named !== undefined && named !== element.definition.key && named !== String(element.definition.id)) {
      throw unprocessable('An instance cannot change its element', [{ path: 'element.key', message: `must be ${element.definition.key}` }]);
    }
    const previous = previousConnection(item, await openCredentials(rt, item));
    const connection = await connect(
      rt,
      org,
      element,
      { configuration: payload.configuration, ...(payload.providerData ? { providerData: payload.providerData } : {}) },
      previous,
    );
    const updated = await reauthenticateInstance(rt, item, {
      ...(payload.name !== undefined ? { name: payload.name } : {}),
      ...(payload.tags !== undefined ? { tags: payload.tags } : {}),
      configuration: connection.configuration,
      credentials: connection.credentials,
    });
    const body = await view(rt, updated, element);
    if (payload.retrieveObjectsAfterInstantiation) body.objects = objectsOf(element);
    return ok(body);
  });
  router.delete(`${BASE}/instances/:id`, { operationId: 'deleteInstance', summary: 'Delete an instance and its vendor credentials', responses: { 204: 'Deleted.' } }, async (request, rt, { organization: org }) => {
    await deleteInstance(rt, await requireInstance(rt, org, request));
    return noContent();
  });
  router.get(`${BASE}/instances/:id/objects`, { operationId: 'listInstanceObjects', summary: 'List the resources (objects) an instance offers' }, async (request, rt, { organization: org }) => {
    const item = await requireInstance(rt, org, request);
    const element = await elementOfInstance(rt, org, item);
    if (!element) throw new HttpError(409, 'element_not_found', `Element ${item.elementKey} of instance ${item.id} no longer exists`);
    return ok(objectsOf(element));
  });
  router.post(`${BASE}/instances/:id/token`, { operationId: 'regenerateInstanceToken', summary: 'Replace an instance\'s token', description: 'The old token stops working at once.' }, async (request, rt, { organization: org }) => {
    const item = await requireInstance(rt, org, request);
    const { item: updated, token } = await regenerateInstanceToken(rt, item);
    return ok(await view(rt, updated, await elementOfInstance(rt, org, updated), token));
  });

  // Everything else under /elements/api-v2 is a vendor resource call.
  router.on('ANY', `${BASE}/*path`, RESOURCE_CALL_DOC, (request, rt, principal) => proxyResourceCall(rt, request, principal));
}
