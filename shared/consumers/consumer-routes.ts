// Management API for the consumer side, on Apigee Edge paths:
//   /v1/organizations/{org}/apiproducts[/{name}]
//   /v1/organizations/{org}/developers[/{email}]
//   /v1/organizations/{org}/developers/{email}/apps[/{app}[/keys...]]
//   /v1/organizations/{org}/apps[/{appId}]
import * as z from 'zod';
import type { PlatformRouter, Principal } from '../auth/principal.js';
import { badRequest, notFound, unprocessable } from '../http/errors.js';
import { jsonBody, readJson, validate } from '../http/body.js';
import type { HttpRequest } from '../http/request.js';
import { created, noContent, ok, type HttpResponse } from '../http/response.js';
import type { RouteDoc } from '../http/router.js';
import type { Runtime } from '../runtime.js';
import { listParams, listPartition, MAX_LIST_COUNT, NEXT_CURSOR_HEADER } from './apigee.js';
import { apigeeApp, apigeeCredential } from './app-views.js';
import {
  appInput,
  appUpdateInput,
  createApp,
  deleteApp,
  deleteDeveloperApps,
  developerAppRefs,
  developerStatusChanged,
  getApp,
  requireDeveloperApp,
  setAppStatus,
  updateApp,
  type StoredApp,
} from './apps.js';
import {
  addCredentialProducts,
  appCredentials,
  createCredential,
  credentialInput,
  deleteCredential,
  removeCredentialProduct,
  requireCredential,
  setCredentialProductStatus,
  setCredentialStatus,
} from './app-credentials.js';
import { consumersChanged } from './consumer-cache.js';
import {
  apigeeDeveloper,
  createDeveloper,
  deleteDeveloperRecord,
  developerInput,
  requireDeveloper,
  setDeveloperStatus,
  updateDeveloper,
  type StoredDeveloper,
} from './developers.js';
import {
  apigeeProduct,
  createProduct,
  deleteProduct,
  productInput,
  requireProduct,
  updateProduct,
  type StoredProduct,
} from './products.js';
import { developerAppsPrefix, SORT_PREFIX } from '../store/keys.js';

const BASE = '/v1/organizations/:org';

/** A JSON object body whose identifying field defaults to the path's, and must match it if given. */
function bodyNamed(request: HttpRequest, field: string, expected: string): Record<string, unknown> {
  const body = readJson(request);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw unprocessable('Request body must be a JSON object', [{ path: '(body)', message: 'must be an object' }]);
  const value = body as Record<string, unknown>;
  if (value[field] === undefined) value[field] = expected;
  else if (typeof value[field] === 'string' && (value[field] as string).toLowerCase() !== expected.toLowerCase()) {
    throw unprocessable(`The ${field} in the body does not match the path`, [{ path: field, message: `must be ${expected}` }]);
  }
  return value;
}

function action<T extends string>(request: HttpRequest, allowed: readonly T[]): T | undefined {
  const value = request.query.get('action');
  if (value === null) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw badRequest(`action must be one of ${allowed.join(', ')}`, 'invalid_action');
  return value as T;
}

function page(names: string[], next: string | undefined, expanded: () => Promise<HttpResponse>, expand: boolean): Promise<HttpResponse> | HttpResponse {
  const headers = next ? { [NEXT_CURSOR_HEADER]: next } : undefined;
  if (!expand) return ok(names, headers);
  return expanded().then((response) => ({ ...response, headers: { ...response.headers, ...headers } }));
}

async function developerView(rt: Runtime, org: string, developer: StoredDeveloper) {
  const apps = await developerAppRefs(rt, org, developer.developerId);
  return apigeeDeveloper(developer, apps.map((ref) => ref.name));
}

async function appView(rt: Runtime, app: StoredApp) {
  return apigeeApp(rt, app, await appCredentials(rt, app.organization, app.appId));
}

async function developerApp(rt: Runtime, request: HttpRequest, org: string): Promise<{ org: string; developer: StoredDeveloper; app: StoredApp }> {
  const developer = await requireDeveloper(rt, org, request.params.email!);
  const app = await requireDeveloperApp(rt, org, developer, request.params.app!);
  return { org, developer, app };
}

/** Apigee's list parameters (listParams) and paging header. */
const LIST_DOC: RouteDoc = {
  query: {
    expand: { description: '`true` for full objects instead of names.', enum: ['true', 'false'] },
    count: { description: `Page size, 1-${MAX_LIST_COUNT} (default ${MAX_LIST_COUNT}).` },
    startKey: { description: 'Apigee paging: start at this name (inclusive).' },
    cursor: { description: `The \`${NEXT_CURSOR_HEADER}\` of the previous page.` },
  },
  responses: { 200: { description: 'Names, or with `expand=true` the objects.', headers: { [NEXT_CURSOR_HEADER]: 'Cursor of the next page, when there is one.' } } },
};

const addProductsInput = z.lazy(() => z.object({ apiProducts: z.array(z.string().min(1).max(255)).min(1).max(100) }));

const KEY_UPDATE_DOC: RouteDoc = {
  operationId: 'updateAppKey',
  summary: 'Add products to a credential, or approve or revoke it',
  description: 'With `action=approve|revoke` only the status changes (204, no body).',
  params: { key: 'The consumer key.' },
  body: addProductsInput,
  bodyOptional: true,
  query: { action: { description: 'Set the credential\'s status instead.', enum: ['approve', 'revoke'] } },
  responses: { 200: 'The credential.', 204: 'Status set.' },
};

function registerProductRoutes(router: PlatformRouter): void {
  router.get(`${BASE}/apiproducts`, { ...LIST_DOC, operationId: 'listApiProducts', summary: 'List API products' }, async (request, rt, { organization: org }) => {
    const params = listParams(request.query);
    const { items, next } = await listPartition<StoredProduct>(rt, org, SORT_PREFIX.product, params);
    return page(items.map((p) => p.name), next, async () => ok({ apiProduct: items.map(apigeeProduct) }), params.expand);
  });
  router.post(`${BASE}/apiproducts`, { operationId: 'createApiProduct', summary: 'Create an API product', description: 'Quota fields may be numbers or numeric strings, as Apigee sends them.', body: productInput, responses: { 201: 'The product.' } }, async (request, rt, { organization: org }) => {
    const product = await createProduct(rt, org, jsonBody(request, productInput));
    return created(apigeeProduct(product));
  });
  router.get(`${BASE}/apiproducts/:name`, { operationId: 'getApiProduct', summary: 'Get an API product' }, async (request, rt, { organization: org }) => {
    return ok(apigeeProduct(await requireProduct(rt, org, request.params.name!)));
  });
  const replaceProduct = async (request: HttpRequest, rt: Runtime, { organization: org }: Principal) => {
    const name = request.params.name!;
    await requireProduct(rt, org, name);
    const input = validate(productInput, bodyNamed(request, 'name', name));
    const product = await updateProduct(rt, org, name, input);
    await consumersChanged(rt, org);
    return ok(apigeeProduct(product));
  };
  const replaceDoc: RouteDoc = { summary: 'Replace an API product', description: '`name` defaults to the path\'s and must match it. POST is the form apigee-edge-js sends.', body: productInput };
  router.put(`${BASE}/apiproducts/:name`, { ...replaceDoc, operationId: 'replaceApiProduct' }, replaceProduct);
  router.post(`${BASE}/apiproducts/:name`, { ...replaceDoc, operationId: 'updateApiProduct' }, replaceProduct);
  router.delete(`${BASE}/apiproducts/:name`, { operationId: 'deleteApiProduct', summary: 'Delete an API product' }, async (request, rt, { organization: org }) => {
    const product = await deleteProduct(rt, org, request.params.name!);
    await consumersChanged(rt, org);
    return ok(apigeeProduct(product));
  });
}

function registerDeveloperRoutes(router: PlatformRouter): void {
  router.get(`${BASE}/developers`, { ...LIST_DOC, operationId: 'listDevelopers', summary: 'List developers' }, async (request, rt, { organization: org }) => {
    const params = listParams(request.query);
    const { items, next } = await listPartition<StoredDeveloper>(rt, org, SORT_PREFIX.developer, {
      ...params,
      ...(params.startKey ? { startKey: params.startKey.toLowerCase() } : {}),
    });
    return page(
      items.map((d) => d.email),
      next,
      async () => ok({ developer: await Promise.all(items.map((d) => developerView(rt, org, d))) }),
      params.expand,
    );
  });
  router.post(`${BASE}/developers`, { operationId: 'createDeveloper', summary: 'Create a developer', body: developerInput, responses: { 201: 'The developer.' } }, async (request, rt, { organization: org }) => {
    const developer = await createDeveloper(rt, org, jsonBody(request, developerInput));
    return created(apigeeDeveloper(developer, []));
  });
  router.get(`${BASE}/developers/:email`, { operationId: 'getDeveloper', summary: 'Get a developer' }, async (request, rt, { organization: org }) => {
    return ok(await developerView(rt, org, await requireDeveloper(rt, org, request.params.email!)));
  });
  const updateDoc: RouteDoc = {
    summary: 'Update a developer, or set their status',
    description: 'With `action=active|inactive` only the status changes (204, no body). Otherwise `email` defaults to the path\'s and must match it.',
    body: developerInput,
    bodyOptional: true,
    query: { action: { description: 'Set the developer\'s status instead of updating.', enum: ['active', 'inactive'] } },
    responses: { 200: 'The developer.', 204: 'Status set.' },
  };
  const update = async (request: HttpRequest, rt: Runtime, { organization: org }: Principal) => {
    const developer = await requireDeveloper(rt, org, request.params.email!);
    const status = action(request, ['active', 'inactive'] as const);
    if (status) {
      const changed = await setDeveloperStatus(rt, developer, status);
      await developerStatusChanged(rt, org, changed);
      return noContent();
    }
    const input = validate(developerInput, bodyNamed(request, 'email', developer.email));
    const updated = await updateDeveloper(rt, developer, input);
    if (updated.status !== developer.status) await developerStatusChanged(rt, org, updated);
    return ok(await developerView(rt, org, updated));
  };
  router.put(`${BASE}/developers/:email`, { ...updateDoc, operationId: 'replaceDeveloper' }, update);
  router.post(`${BASE}/developers/:email`, { ...updateDoc, operationId: 'updateDeveloper' }, update);
  router.delete(`${BASE}/developers/:email`, { operationId: 'deleteDeveloper', summary: 'Delete a developer and their apps' }, async (request, rt, { organization: org }) => {
    const developer = await requireDeveloper(rt, org, request.params.email!);
    const view = await developerView(rt, org, developer);
    await deleteDeveloperApps(rt, org, developer);
    await deleteDeveloperRecord(rt, developer);
    await consumersChanged(rt, org);
    return ok(view);
  });
}

function registerAppRoutes(router: PlatformRouter): void {
  const DEV_APPS = `${BASE}/developers/:email/apps`;
  router.get(DEV_APPS, { ...LIST_DOC, operationId: 'listDeveloperApps', summary: 'List a developer\'s apps' }, async (request, rt, { organization: org }) => {
    const developer = await requireDeveloper(rt, org, request.params.email!);
    const params = listParams(request.query);
    const prefix = developerAppsPrefix(developer.developerId);
    const { items, next } = await listPartition<StoredApp & { appId: string; name: string }>(rt, org, prefix, params);
    return page(
      items.map((marker) => marker.name),
      next,
      async () => {
        const apps = await Promise.all(items.map((marker) => getApp(rt, org, marker.appId)));
        return ok({ app: await Promise.all(apps.filter((a): a is StoredApp => a !== undefined).map((a) => appView(rt, a))) });
      },
      params.expand,
    );
  });
  router.post(DEV_APPS, { operationId: 'createDeveloperApp', summary: 'Create a developer app', description: 'Issues a credential; the response shows its consumer secret, once.', body: appInput, responses: { 201: 'The app with its new credential.' } }, async (request, rt, { organization: org }) => {
    const developer = await requireDeveloper(rt, org, request.params.email!);
    const { app, issued } = await createApp(rt, org, developer, jsonBody(request, appInput));
    return created(await apigeeApp(rt, app, [issued.credential], issued));
  });
  router.get(`${DEV_APPS}/:app`, { operationId: 'getDeveloperApp', summary: 'Get a developer app' }, async (request, rt, { organization }) => {
    const { app } = await developerApp(rt, request, organization);
    return ok(await appView(rt, app));
  });
  const appUpdateDoc: RouteDoc = {
    summary: 'Update a developer app, or approve or revoke it',
    description: 'With `action=approve|revoke` only the status changes (204, no body). Otherwise `name` defaults to the path\'s and must match it.',
    body: appUpdateInput,
    bodyOptional: true,
    query: { action: { description: 'Set the app\'s status instead of updating.', enum: ['approve', 'revoke'] } },
    responses: { 200: 'The app.', 204: 'Status set.' },
  };
  const update = async (request: HttpRequest, rt: Runtime, { organization }: Principal) => {
    const { app } = await developerApp(rt, request, organization);
    const status = action(request, ['approve', 'revoke'] as const);
    if (status) {
      await setAppStatus(rt, app, status === 'approve' ? 'approved' : 'revoked');
      return noContent();
    }
    const input = validate(appUpdateInput, bodyNamed(request, 'name', app.name));
    return ok(await appView(rt, await updateApp(rt, app, input)));
  };
  router.put(`${DEV_APPS}/:app`, { ...appUpdateDoc, operationId: 'replaceDeveloperApp' }, update);
  router.post(`${DEV_APPS}/:app`, { ...appUpdateDoc, operationId: 'updateDeveloperApp' }, update);
  router.delete(`${DEV_APPS}/:app`, { operationId: 'deleteDeveloperApp', summary: 'Delete a developer app and its credentials' }, async (request, rt, { organization }) => {
    const { app } = await developerApp(rt, request, organization);
    const view = await appView(rt, app);
    await deleteApp(rt, app);
    return ok(view);
  });

  const KEYS = `${DEV_APPS}/:app/keys`;
  const createKeyDoc: RouteDoc = {
    summary: 'Create a credential (generated or imported key and secret)',
    description: 'An empty body generates a key and secret; the response shows the secret, once.',
    body: credentialInput,
    bodyOptional: true,
    responses: { 201: 'The credential with its secret.' },
  };
  const createKey = async (request: HttpRequest, rt: Runtime, { organization }: Principal) => {
    const { app } = await developerApp(rt, request, organization);
    const input = request.body.length === 0 ? credentialInput.parse({}) : jsonBody(request, credentialInput);
    const issued = await createCredential(rt, app, input);
    return created(await apigeeCredential(rt, issued.credential, app, issued));
  };
  router.post(`${KEYS}/create`, { ...createKeyDoc, operationId: 'createAppKey' }, createKey);
  router.post(KEYS, { ...createKeyDoc, operationId: 'addAppKey' }, createKey);
  router.get(KEYS, { operationId: 'listAppKeys', summary: 'List an app\'s credentials (secrets masked)' }, async (request, rt, { organization }) => {
    const { app } = await developerApp(rt, request, organization);
    const credentials = await appCredentials(rt, app.organization, app.appId);
    return ok(await Promise.all(credentials.map((credential) => apigeeCredential(rt, credential, app))));
  });
  router.get(`${KEYS}/:key`, { operationId: 'getAppKey', summary: 'Get a credential (secret masked)', params: { key: 'The consumer key.' } }, async (request, rt, { organization }) => {
    const { app } = await developerApp(rt, request, organization);
    return ok(await apigeeCredential(rt, await requireCredential(rt, app, request.params.key!), app));
  });
  router.post(`${KEYS}/:key`, KEY_UPDATE_DOC, async (request, rt, { organization }) => {
    const { app } = await developerApp(rt, request, organization);
    const credential = await requireCredential(rt, app, request.params.key!);
    const status = action(request, ['approve', 'revoke'] as const);
    if (status) {
      await setCredentialStatus(rt, credential, status === 'approve' ? 'approved' : 'revoked');
      return noContent();
    }
    const { apiProducts } = jsonBody(request, addProductsInput);
    return ok(await apigeeCredential(rt, await addCredentialProducts(rt, credential, apiProducts), app));
  });
  router.delete(`${KEYS}/:key`, { operationId: 'deleteAppKey', summary: 'Delete a credential', params: { key: 'The consumer key.' } }, async (request, rt, { organization }) => {
    const { app } = await developerApp(rt, request, organization);
    const credential = await requireCredential(rt, app, request.params.key!);
    const view = await apigeeCredential(rt, credential, app);
    await deleteCredential(rt, credential);
    return ok(view);
  });
  router.get(`${KEYS}/:key/apiproducts/:product`, { operationId: 'getAppKeyProduct', summary: 'Get a credential\'s product binding', params: { key: 'The consumer key.' } }, async (request, rt, { organization }) => {
    const { app } = await developerApp(rt, request, organization);
    const credential = await requireCredential(rt, app, request.params.key!);
    const binding = credential.apiProducts.find((b) => b.apiproduct === request.params.product);
    if (!binding) throw notFound(`API product ${request.params.product} is not bound to this key`);
    return ok(binding);
  });
  router.post(`${KEYS}/:key/apiproducts/:product`, { operationId: 'setAppKeyProductStatus', summary: 'Approve or revoke a credential\'s product', params: { key: 'The consumer key.' }, query: { action: { description: 'The new status.', required: true, enum: ['approve', 'revoke'] } }, responses: { 204: 'Done.' } }, async (request, rt, { organization }) => {
    const { app } = await developerApp(rt, request, organization);
    const credential = await requireCredential(rt, app, request.params.key!);
    const status = action(request, ['approve', 'revoke'] as const);
    if (!status) throw badRequest('action=approve or action=revoke is required', 'invalid_action');
    await setCredentialProductStatus(rt, credential, request.params.product!, status === 'approve' ? 'approved' : 'revoked');
    return noContent();
  });
  router.delete(`${KEYS}/:key/apiproducts/:product`, { operationId: 'removeAppKeyProduct', summary: 'Remove a product from a credential', params: { key: 'The consumer key.' } }, async (request, rt, { organization }) => {
    const { app } = await developerApp(rt, request, organization);
    const credential = await requireCredential(rt, app, request.params.key!);
    return ok(await apigeeCredential(rt, await removeCredentialProduct(rt, credential, request.params.product!), app));
  });

  router.get(`${BASE}/apps`, { ...LIST_DOC, operationId: 'listApps', summary: 'List the organization\'s apps (ids)' }, async (request, rt, { organization: org }) => {
    const params = listParams(request.query);
    const { items, next } = await listPartition<StoredApp>(rt, org, 'APP#', params);
    return page(
      items.map((app) => app.appId),
      next,
      async () => ok({ app: await Promise.all(items.map((app) => appView(rt, app))) }),
      params.expand,
    );
  });
  router.get(`${BASE}/apps/:appId`, { operationId: 'getApp', summary: 'Get an app by id' }, async (request, rt, { organization: org }) => {
    const app = await getApp(rt, org, request.params.appId!);
    if (!app) throw notFound(`App ${request.params.appId} does not exist`);
    return ok(await appView(rt, app));
  });
}

export function registerConsumerRoutes(router: PlatformRouter): void {
  registerProductRoutes(router.group({ tag: 'API products' }));
  registerDeveloperRoutes(router.group({ tag: 'Developers' }));
  registerAppRoutes(router.group({ tag: 'Apps' }));
}
