// Instances on Open Connectors paths: create (connect), list, read, update and
// re-authenticate, delete, enable and disable, their configuration entries,
// objects and docs. Clients send back the object they read: read-only keys are
// ignored, masked values (`********`) mean "unchanged". Names and tags are
// stored as plain text: HTML is stripped.
import * as z from 'zod';
import type { PlatformRouter, Principal } from '../auth/principal.js';
import { jsonBody } from '../http/body.js';
import { HttpError, notFound, unprocessable, type FieldProblem } from '../http/errors.js';
import type { HttpRequest } from '../http/request.js';
import { ok, type HttpResponse } from '../http/response.js';
import type { RouteDoc } from '../http/router.js';
import type { Runtime } from '../runtime.js';
import { elementObjects, requireElement, type ResolvedElement } from './catalog.js';
import { connect, elementFieldValues, previousConnection } from './connect.js';
import { elementDocs, type DocsObject } from './element-docs.js';
import { DOCS_FORMAT_QUERY, docsFormat, inFormat } from './element-docs-openapi3.js';
import { deleteInstanceMappings, instanceMappings } from './unified/definitions.js';
import { objectList, resolveObject } from './unified/objects.js';
import { requireActive } from './hosted-oauth.js';
import { BASE_URL_KEY } from './element-schema.js';
import { BASE, listHeaders } from './http.js';
import { receiverUrl, reconcileEvents, requireVerifiable, retireEvents } from './events/lifecycle.js';
import { EVENT_KEYS, eventSettings, isEventKey, resolveEventConfiguration, SECRET_EVENT_KEYS } from './events/settings.js';
import { addressedInstance, listScope, ownerFor, ownerSummary } from './instance-access.js';
import {
  MASK,
  createInstance,
  credentialKeys,
  deleteInstance,
  instanceView,
  listInstances,
  maskedConfiguration,
  openCredentials,
  openInstanceToken,
  regenerateInstanceToken,
  updateInstance,
  type InstanceChange,
  type InstanceItem,
  type VendorCredentials,
} from './instances.js';
import { instanceKeys } from '../store/keys.js';

/** Text without markup: `<a href=..>name</a>` is `name`. Linear: no nested quantifiers. */
export function stripHtml(value: string): string {
  return value.replace(/<[^>]*>?/g, '').trim();
}

const plainText = (max: number) =>
  z
    .string()
    .max(max * 4)
    .transform(stripHtml)
    .pipe(z.string().min(1, 'must have text outside markup').max(max));

// An object value (Open Connectors' event.poller.configuration) is kept as its JSON text.
const configurationValue = z.lazy(() => z
  .union([z.string().max(65_536), z.number(), z.boolean(), z.null(), z.record(z.string(), z.unknown())])
  .transform((value) => (value === null ? undefined : typeof value === 'object' ? JSON.stringify(value) : String(value)))
  .refine((value) => value === undefined || value.length <= 65_536, 'must be at most 65536 characters'));
const configuration = z.lazy(() => z
  .record(z.string().min(1).max(200), configurationValue)
  .transform((values) => Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined))));
const elementRef = z.lazy(() => z.object({ key: z.string().min(1).max(100).optional(), id: z.union([z.number().int(), z.string().regex(/^\d+$/)]).optional() }).nullish());
const providerData = z.lazy(() => z
  .object({
    code: z.string().min(1).max(4096).optional(),
    state: z.string().min(1).max(1024).optional(),
    codeVerifier: z.string().regex(/^[A-Za-z0-9._~-]{43,128}$/, 'must be an RFC 7636 code verifier').optional(),
    /** OAuth 1.0a: what the vendor sent to the callback, and the request token's secret if the app kept it. */
    oauth_token: z.string().min(1).max(1024).optional(),
    oauth_verifier: z.string().min(1).max(1024).optional(),
    secret: z.string().min(1).max(1024).optional(),
  })
  .nullish());
const tags = z.array(plainText(100)).max(50);

const instancePayload = z.lazy(() => z.object({
  element: elementRef,
  name: plainText(200),
  tags: tags.optional(),
  configuration: configuration.default({}),
  providerData,
  retrieveObjectsAfterInstantiation: z.boolean().default(false),
}));

/** What PATCH and PUT take: the instance object as read, every key optional, read-only ones ignored. */
const updatePayload = z.lazy(() => z.object({
  element: elementRef,
  name: plainText(200).optional(),
  tags: tags.optional(),
  configuration: configuration.optional(),
  providerData,
  disabled: z.boolean().optional(),
  retrieveObjectsAfterInstantiation: z.boolean().default(false),
}));

const configurationChange = z.lazy(() => z.object({ propertyValue: configurationValue.optional() }));

const CREATE_INSTANCE_DOC: RouteDoc = {
  summary: 'Create an instance (connect an element to a vendor account)',
  description:
    'OAuth elements: `providerData.code` from the vendor and `configuration` with `oauth.api.key`, `oauth.api.secret`, `oauth.callback.url`; ' +
    'others: the element\'s configuration (username and password, API key ...). The response carries the instance `token` for `Element <token>`. ' +
    'Without `tags` the instance is tagged with its name.',
  body: instancePayload,
};

const UPDATE_DOC: RouteDoc = {
  description:
    'Takes the instance object as `GET` returns it: unknown and read-only keys are ignored, `********` values left as they are. Changed ' +
    'credentials (`oauth.*`, `username`, `password`, the API key) or a new `providerData.code` re-authenticate the instance; other configuration ' +
    'values, name, tags and `element` (a clone of its element) change without it. Id and token stay.',
  body: updatePayload,
};

const LIST_INSTANCES_DOC: RouteDoc = {
  query: {
    tags: { description: 'Only instances with these tags (comma-separated or repeated; also `tags[]`).' },
    pageSize: { description: 'Instances per page, 1-500 (default 200).' },
    nextPage: { description: 'The `elements-next-page-token` of the previous page.' },
    element: { description: 'Only instances of this element key.' },
  },
  responses: {
    200: {
      description: 'The instances.',
      headers: { 'elements-returned-count': 'Instances in this page.', 'elements-next-page-token': 'Token of the next page, when there is one.' },
    },
  },
};

/** The instance's API as Swagger 2.0: the element's, with the common resources of its organization, account and own. */
async function instanceDocs(rt: Runtime, item: InstanceItem, element: ResolvedElement): Promise<Record<string, unknown>> {
  const mappings = await instanceMappings(rt, item);
  const objects = mappings.transformations.flatMap((entry): DocsObject[] => {
    const object = resolveObject(element.definition, mappings, entry.name);
    return object ? [{ name: object.name, type: object.type, resource: object.resource, transformation: object.chain.at(-1)! }] : [];
  });
  return elementDocs(element.definition, rt.config.issuer, objects);
}

/** The instance's objects of all three kinds: canonical, vendor, and the organization's common resources. */
async function instanceObjects(rt: Runtime, item: InstanceItem, element: ResolvedElement): Promise<Record<string, unknown>[]> {
  const mappings = await instanceMappings(rt, item);
  return objectList(element.definition, elementObjects(element.definition), mappings) as unknown as Record<string, unknown>[];
}

async function elementOfInstance(rt: Runtime, org: string, item: InstanceItem): Promise<ResolvedElement | undefined> {
  try {
    return await requireElement(rt, org, item.elementKey);
  } catch {
    return undefined;
  }
}

async function requireElementOf(rt: Runtime, org: string, item: InstanceItem): Promise<ResolvedElement> {
  const element = await elementOfInstance(rt, org, item);
  if (!element) throw new HttpError(409, 'element_not_found', `Element ${item.elementKey} of instance ${item.id} no longer exists`);
  return element;
}

/** Read-only: where the vendor is to send this instance's webhooks. */
const WEBHOOK_URL_KEY = 'event.notification.webhook.url';

async function view(rt: Runtime, item: InstanceItem, element: ResolvedElement | undefined, token?: string): Promise<Record<string, unknown>> {
  const body = instanceView(item, element, token ?? (await openInstanceToken(rt, item)), { ...(await ownerSummary(rt, item)) });
  if (item.eventReceiverId) (body.configuration as Record<string, string>)[WEBHOOK_URL_KEY] = receiverUrl(rt, item.elementKey, item.eventReceiverId);
  return body;
}

/** A configuration split into event keys and the rest (read-only keys dropped). */
function splitEventKeys(configuration: Record<string, string>): { events: Record<string, string>; rest: Record<string, string> } {
  const events: Record<string, string> = {};
  const rest: Record<string, string> = {};
  for (const [key, value] of Object.entries(configuration)) {
    if (key === WEBHOOK_URL_KEY) continue;
    if (isEventKey(key)) events[key] = value;
    else rest[key] = value;
  }
  return { events, rest };
}

/** Event settings into what the instance keeps: public values in the configuration (secrets as `********` there, sealed in the credentials). */
function withEventSettings(configuration: Record<string, string>, credentials: VendorCredentials, resolved: { configuration: Record<string, string>; secrets: Record<string, string> }) {
  const kept = Object.fromEntries(Object.entries(configuration).filter(([key]) => !isEventKey(key)));
  const secrets = Object.fromEntries(Object.entries(credentials.secrets ?? {}).filter(([key]) => !SECRET_EVENT_KEYS.includes(key)));
  for (const key of Object.keys(resolved.secrets)) kept[key] = MASK;
  return {
    configuration: { ...kept, ...resolved.configuration },
    credentials: { ...credentials, ...(Object.keys({ ...secrets, ...resolved.secrets }).length ? { secrets: { ...secrets, ...resolved.secrets } } : {}) },
  };
}

/** The element named by the path or by the payload; both must agree. */
async function payloadElement(rt: Runtime, org: string, fromPath: string | undefined, payload: z.output<typeof instancePayload>): Promise<ResolvedElement> {
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

async function createFromPayload(rt: Runtime, request: HttpRequest, principal: Principal, elementFromPath?: string): Promise<HttpResponse> {
  const org = principal.organization;
  const payload = jsonBody(request, instancePayload);
  const element = await payloadElement(rt, org, elementFromPath, payload);
  requireActive(element);
  const { events, rest } = splitEventKeys(payload.configuration);
  const resolvedEvents = await resolveEventConfiguration(rt, org, element.definition, events);
  const connection = await connect(rt, org, element, { configuration: rest, ...(payload.providerData ? { providerData: payload.providerData } : {}) });
  const kept = withEventSettings(connection.configuration, connection.credentials, resolvedEvents);
  requireVerifiable(element, eventSettings(kept.configuration, kept.credentials.secrets, element.definition), kept.credentials);
  const created = await createInstance(rt, org, element, {
    name: payload.name,
    tags: payload.tags ?? [payload.name],
    configuration: kept.configuration,
    credentials: kept.credentials,
    owner: ownerFor(principal),
  });
  let item = created.item;
  try {
    item = await reconcileEvents(rt, element, item);
  } catch (error) {
    // An instance whose events could not be set up is not created: nothing is left behind.
    await retireEvents(rt, element, item);
    await deleteInstance(rt, item);
    throw error;
  }
  const body = await view(rt, item, element, created.token);
  if (payload.retrieveObjectsAfterInstantiation) body.objects = await instanceObjects(rt, item, element);
  return ok(body);
}

function isCredentialKey(element: ResolvedElement, key: string): boolean {
  const auth = element.definition.authentication;
  return key.startsWith('oauth.') || key === 'username' || key === 'password' || (auth.type === 'apiKey' && key === auth.configKey);
}

/**
 * Applies an update as Open Connectors clients send it: configuration values
 * that are masked or unchanged are no change; changed credentials or a new code
 * re-authenticate; other values are checked and stored as they are.
 */
async function applyUpdate(rt: Runtime, org: string, item: InstanceItem, payload: z.output<typeof updatePayload>): Promise<{ item: InstanceItem; element: ResolvedElement }> {
  let element = await requireElementOf(rt, org, item);
  const change: InstanceChange = {
    ...(payload.name !== undefined ? { name: payload.name } : {}),
    ...(payload.tags !== undefined ? { tags: payload.tags } : {}),
    ...(payload.disabled !== undefined ? { disabled: payload.disabled } : {}),
  };
  const named = payload.element?.key ?? (payload.element?.id !== undefined ? String(payload.element.id) : undefined);
  if (named !== undefined && named !== element.definition.key && named !== String(element.definition.id)) {
    const target = await requireElement(rt, org, named);
    if (target.definition.authentication.type !== element.definition.authentication.type) {
      throw unprocessable('An instance can only move to an element with the same authentication (a clone of its element)', [
        { path: 'element', message: `${target.definition.key} uses ${target.definition.authentication.type}, ${element.definition.key} uses ${element.definition.authentication.type}` },
      ]);
    }
    element = target;
    change.element = target;
  }
  const shown = maskedConfiguration(item, element);
  const changed = Object.fromEntries(Object.entries(payload.configuration ?? {}).filter(([key, value]) => value !== MASK && value !== shown[key]));
  const { events, rest: given } = splitEventKeys(changed);
  if (BASE_URL_KEY in given) {
    throw unprocessable('base.url belongs to the element; change the element (or a clone of it) instead', [{ path: `configuration.${BASE_URL_KEY}`, message: 'not changeable on an instance' }]);
  }
  const credentials = await openCredentials(rt, item);
  const previous = previousConnection(item, credentials);
  if (payload.providerData?.code || payload.providerData?.oauth_verifier || Object.keys(given).some((key) => isCredentialKey(element, key))) {
    const connection = await connect(rt, org, element, { configuration: given, ...(payload.providerData ? { providerData: payload.providerData } : {}) }, previous);
    Object.assign(change, { configuration: connection.configuration, credentials: connection.credentials });
  } else if (Object.keys(given).length || change.element) {
    const problems: FieldProblem[] = [];
    const { publicValues, secrets } = elementFieldValues(element.definition, given, previous, problems);
    if (problems.length) throw unprocessable(`Instance is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);
    change.configuration = { ...item.configuration, ...publicValues };
    if (Object.keys(secrets).length) change.credentials = { ...credentials, secrets: { ...credentials.secrets, ...secrets } };
  }
  if (Object.keys(events).length || change.configuration || change.credentials) {
    // Re-authentication rebuilds configuration and credentials from the element's fields: the event settings carry over.
    const previous = { configuration: item.configuration, ...(credentials.secrets ? { secrets: credentials.secrets } : {}) };
    const resolved = Object.keys(events).length
      ? await resolveEventConfiguration(rt, org, element.definition, events, previous)
      : {
          configuration: Object.fromEntries(Object.entries(item.configuration).filter(([key]) => isEventKey(key) && !SECRET_EVENT_KEYS.includes(key))),
          secrets: Object.fromEntries(Object.entries(credentials.secrets ?? {}).filter(([key]) => SECRET_EVENT_KEYS.includes(key))),
        };
    const kept = withEventSettings(change.configuration ?? item.configuration, change.credentials ?? credentials, resolved);
    change.configuration = kept.configuration;
    requireVerifiable(element, eventSettings(kept.configuration, kept.credentials.secrets, element.definition), kept.credentials);
    if (change.credentials || SECRET_EVENT_KEYS.some((key) => key in events)) change.credentials = kept.credentials;
  }
  const updated = await updateInstance(rt, item, change);
  try {
    return { item: await reconcileEvents(rt, element, updated), element };
  } catch (error) {
    // The vendor refused the subscription: the instance keeps its previous settings.
    await rt.table.modify<InstanceItem>(instanceKeys(item.organization, item.id), (current) => ({ ...current, configuration: item.configuration, sealedCredentials: item.sealedCredentials }));
    throw error;
  }
}

/** The instance's configuration entries: the element's, then values the instance keeps beyond them (captured from a token ...). */
function configurationEntries(item: InstanceItem, element: ResolvedElement | undefined): Record<string, unknown>[] {
  const values = maskedConfiguration(item, element);
  const credentials = new Set(element ? credentialKeys(element, item) : []);
  const entries: Record<string, unknown>[] = (element?.definition.configuration ?? []).map((entry, index) => ({
    id: index + 1,
    key: entry.key,
    name: entry.name,
    description: entry.description,
    type: entry.type,
    required: entry.required,
    hidden: entry.hidden,
    propertyValue: values[entry.key] ?? (credentials.has(entry.key) ? MASK : (entry.defaultValue ?? '')),
  }));
  const known = new Set(entries.map((entry) => entry.key));
  if (element?.definition.events?.supported) {
    // Open Connectors lists the event entries of every element with events, set or not.
    for (const [name, key] of Object.entries(EVENT_KEYS)) {
      if (known.has(key)) continue;
      entries.push({ id: entries.length + 1, key, name: `Events: ${name}`, description: '', type: SECRET_EVENT_KEYS.includes(key) ? 'PASSWORD' : 'TEXTFIELD_1000', required: false, hidden: false, propertyValue: values[key] ?? '' });
      known.add(key);
    }
  }
  for (const [key, value] of Object.entries(values)) {
    if (!known.has(key)) entries.push({ id: entries.length + 1, key, name: key, description: '', type: 'TEXTFIELD_1000', required: false, hidden: false, propertyValue: value });
  }
  return entries;
}

function findEntry(entries: Record<string, unknown>[], ref: string | undefined): Record<string, unknown> {
  const found = entries.find((entry) => String(entry.id) === ref || entry.key === ref);
  if (!found) throw notFound(`Configuration entry ${ref ?? ''} not found`);
  return found;
}

/**
 * A page of the instances the caller may list: its own, or (`accountId`) an
 * account's, filtered by the query (tags, element, page size and token).
 */
export async function listInstancesAnswer(request: HttpRequest, rt: Runtime, principal: Principal, accountId?: number): Promise<HttpResponse> {
  const org = principal.organization;
  const elementKey = request.params.keyOrId !== undefined ? (await requireElement(rt, org, request.params.keyOrId)).definition.key : undefined;
  const wanted = [...request.query.getAll('tags[]'), ...request.query.getAll('tags')].flatMap((value) => value.split(',')).map((tag) => tag.trim()).filter(Boolean);
  const pageSize = request.query.get('pageSize');
  if (pageSize !== null && !/^\d{1,3}$/.test(pageSize)) throw unprocessable('pageSize must be 1-500', [{ path: 'pageSize', message: 'must be 1-500' }]);
  const limit = pageSize === null ? 200 : Math.min(500, Math.max(1, Number(pageSize)));
  const filterElement = elementKey ?? request.query.get('element') ?? request.query.get('elementKey') ?? undefined;
  const cursor = request.query.get('nextPage') ?? undefined;
  const visible = await listScope(rt, principal, accountId);
  const page = await listInstances(rt, org, { tags: wanted, ...(filterElement ? { elementKey: filterElement } : {}), limit, ...(cursor ? { cursor } : {}), visible });
  const elements = new Map<string, ResolvedElement | undefined>();
  const body = [];
  for (const item of page.items) {
    if (!elements.has(item.elementKey)) elements.set(item.elementKey, await elementOfInstance(rt, org, item));
    body.push(await view(rt, item, elements.get(item.elementKey)));
  }
  return ok(body, listHeaders(body.length, page.next));
}

export function registerInstanceRoutes(router: PlatformRouter): void {
  const listFiltered = (request: HttpRequest, rt: Runtime, principal: Principal) => listInstancesAnswer(request, rt, principal);
  const read = async (request: HttpRequest, rt: Runtime, principal: Principal) => {
    const item = await addressedInstance(rt, request, principal);
    return ok(await view(rt, item, await elementOfInstance(rt, principal.organization, item)));
  };
  const update = async (request: HttpRequest, rt: Runtime, principal: Principal) => {
    const item = await addressedInstance(rt, request, principal);
    const payload = jsonBody(request, updatePayload);
    const { item: updated, element } = await applyUpdate(rt, principal.organization, item, payload);
    const body = await view(rt, updated, element);
    if (payload.retrieveObjectsAfterInstantiation) body.objects = await instanceObjects(rt, updated, element);
    return ok(body);
  };
  const remove = async (request: HttpRequest, rt: Runtime, principal: Principal): Promise<HttpResponse> => {
    const item = await addressedInstance(rt, request, principal);
    await retireEvents(rt, await elementOfInstance(rt, principal.organization, item), item);
    await deleteInstanceMappings(rt, principal.organization, item.id);
    await deleteInstance(rt, item);
    return { status: 200 };
  };

  // By the Element token: registered before /instances/:id, which would take `configuration` for an id.
  const configurationList = async (request: HttpRequest, rt: Runtime, principal: Principal) => {
    const item = await addressedInstance(rt, request, principal);
    const entries = configurationEntries(item, await elementOfInstance(rt, principal.organization, item));
    return ok(entries, listHeaders(entries.length));
  };
  const configurationRead = async (request: HttpRequest, rt: Runtime, principal: Principal) => {
    const item = await addressedInstance(rt, request, principal);
    return ok(findEntry(configurationEntries(item, await elementOfInstance(rt, principal.organization, item)), request.params.configId));
  };
  const configurationUpdate = async (request: HttpRequest, rt: Runtime, principal: Principal) => {
    const item = await addressedInstance(rt, request, principal);
    const element = await requireElementOf(rt, principal.organization, item);
    const entry = findEntry(configurationEntries(item, element), request.params.configId);
    const { propertyValue } = jsonBody(request, configurationChange);
    const { item: updated, element: after } = await applyUpdate(rt, principal.organization, item, {
      configuration: propertyValue === undefined ? {} : { [String(entry.key)]: propertyValue },
      retrieveObjectsAfterInstantiation: false,
    });
    return ok(findEntry(configurationEntries(updated, after), String(entry.id)));
  };
  const docs = async (request: HttpRequest, rt: Runtime, principal: Principal) => {
    const format = docsFormat(request.query);
    const item = await addressedInstance(rt, request, principal);
    return ok(inFormat(await instanceDocs(rt, item, await requireElementOf(rt, principal.organization, item)), format));
  };
  const operationDefinitions = async (request: HttpRequest, rt: Runtime, principal: Principal) => {
    const item = await addressedInstance(rt, request, principal);
    const document = await instanceDocs(rt, item, await requireElementOf(rt, principal.organization, item));
    const operations = Object.values(document.paths as Record<string, Record<string, { operationId?: string }>>).flatMap((path) => Object.values(path));
    const operation = operations.find((candidate) => candidate.operationId === request.params.operationId);
    if (!operation) throw notFound(`No operation ${request.params.operationId ?? ''} in the docs of instance ${item.id}`, 'operation_not_found');
    const all = document.definitions as Record<string, unknown>;
    const names = [...JSON.stringify(operation).matchAll(/#\/definitions\/([A-Za-z0-9_.-]+)/g)].map((match) => match[1]!);
    return ok(Object.fromEntries([...new Set(names)].filter((name) => all[name]).map((name) => [name, all[name]])));
  };
  const CONFIGURATION_DOC: RouteDoc = { description: 'Values of the element\'s configuration entries, credentials masked; `id` or `key` address one.' };
  const CONFIGURATION_UPDATE_DOC: RouteDoc = {
    description: 'Takes the entry as read, with a new `propertyValue`. A credential re-authenticates the instance (basic, API key); OAuth credentials need PUT with a new code.',
    body: configurationChange,
  };
  // Every instance route is open to account users: handlers see only instances the caller may use.
  const byToken = router.group({ tag: 'Instances', auth: 'element', userAccess: 'own' });
  byToken.patch(`${BASE}/instances`, { ...UPDATE_DOC, operationId: 'updateTokenInstance', summary: 'Update the instance of the Element token' }, update);
  byToken.get(`${BASE}/instances/configuration`, { ...CONFIGURATION_DOC, operationId: 'listTokenInstanceConfiguration', summary: 'The configuration of the Element token\'s instance' }, configurationList);
  byToken.get(`${BASE}/instances/configuration/:configId`, { ...CONFIGURATION_DOC, operationId: 'getTokenInstanceConfiguration', summary: 'One configuration entry of the Element token\'s instance' }, configurationRead);
  byToken.patch(`${BASE}/instances/configuration/:configId`, { ...CONFIGURATION_UPDATE_DOC, operationId: 'updateTokenInstanceConfiguration', summary: 'Change a configuration value of the Element token\'s instance' }, configurationUpdate);
  byToken.get(`${BASE}/objects`, { operationId: 'listTokenInstanceObjects', summary: 'The objects the Element token\'s instance offers', description: 'Answers for a disabled instance too.' }, async (request, rt, principal) => {
    const item = await addressedInstance(rt, request, principal);
    return ok(await instanceObjects(rt, item, await requireElementOf(rt, principal.organization, item)));
  });
  byToken.get(`${BASE}/instances/docs`, { operationId: 'getTokenInstanceDocs', summary: 'The Element token\'s instance API as Swagger 2.0 (or OpenAPI 3.0)', query: DOCS_FORMAT_QUERY }, docs);
  byToken.get(`${BASE}/instances/docs/:operationId/definitions`, { operationId: 'getTokenInstanceOperationDefinitions', summary: 'The models one operation of the Element token\'s instance docs uses' }, operationDefinitions);

  for (const [prefix, scope] of [
    [`${BASE}/instances`, 'Instance'],
    [`${BASE}/elements/:keyOrId/instances`, 'ElementInstance'],
  ] as const) {
    const one = `${prefix}/:id`;
    const group = router.group({ tag: 'Instances', userAccess: 'own' });
    group.post(prefix, { ...CREATE_INSTANCE_DOC, operationId: `create${scope}` }, (request, rt, principal) => createFromPayload(rt, request, principal, request.params.keyOrId));
    // Instances are shown with their tokens: a secret read.
    group.get(
      prefix,
      {
        ...LIST_INSTANCES_DOC,
        access: 'secret',
        operationId: `list${scope}s`,
        summary: scope === 'Instance' ? 'List the caller\'s instances' : 'List the caller\'s instances of an element',
        description: 'The instances of the caller\'s user secret; an account\'s are at `/accounts/instances` and `/accounts/{id}/instances`.',
      },
      listFiltered,
    );
    group.get(one, { access: 'secret', operationId: `get${scope}`, summary: 'Get an instance with its token' }, read);
    group.patch(one, { ...UPDATE_DOC, operationId: `update${scope}`, summary: 'Update an instance' }, update);
    group.put(one, { ...UPDATE_DOC, operationId: `replace${scope}`, summary: 'Update or re-authenticate an instance' }, update);
    group.delete(one, { operationId: `delete${scope}`, summary: 'Delete an instance and its vendor credentials', responses: { 200: 'Deleted.' } }, remove);
  }

  const one = `${BASE}/instances/:id`;
  const group = router.group({ tag: 'Instances', userAccess: 'own' });
  const setEnabled = (enabled: boolean) => async (request: HttpRequest, rt: Runtime, principal: Principal) => {
    const item = await addressedInstance(rt, request, principal);
    const updated = await updateInstance(rt, item, { disabled: !enabled });
    return ok(await view(rt, updated, await elementOfInstance(rt, principal.organization, updated)));
  };
  group.put(`${one}/enabled`, { operationId: 'enableInstance', summary: 'Enable an instance' }, setEnabled(true));
  group.delete(`${one}/enabled`, { operationId: 'disableInstance', summary: 'Disable an instance', description: 'A disabled instance answers resource calls with 403 until enabled.' }, setEnabled(false));
  group.get(`${one}/configuration`, { ...CONFIGURATION_DOC, operationId: 'listInstanceConfiguration', summary: 'An instance\'s configuration' }, configurationList);
  group.get(`${one}/configuration/:configId`, { ...CONFIGURATION_DOC, operationId: 'getInstanceConfiguration', summary: 'One configuration entry of an instance' }, configurationRead);
  group.patch(`${one}/configuration/:configId`, { ...CONFIGURATION_UPDATE_DOC, operationId: 'updateInstanceConfiguration', summary: 'Change a configuration value of an instance' }, configurationUpdate);
  group.put(`${one}/configuration/:configId`, { ...CONFIGURATION_UPDATE_DOC, operationId: 'replaceInstanceConfiguration', summary: 'Change a configuration value of an instance' }, configurationUpdate);
  group.get(`${one}/docs`, { operationId: 'getInstanceDocs', summary: 'An instance\'s API as Swagger 2.0 (or OpenAPI 3.0)', description: 'Vendor resources, canonical objects and common resources (with the instance\'s transformations applied), CEQL and paging parameters on lists.', query: DOCS_FORMAT_QUERY }, docs);
  group.get(`${one}/docs/:operationId/definitions`, { operationId: 'getInstanceOperationDefinitions', summary: 'The models one operation of an instance\'s docs uses, by name' }, operationDefinitions);
  group.get(`${one}/objects`, { operationId: 'listInstanceObjects', summary: 'List the objects an instance offers' }, async (request, rt, principal) => {
    const item = await addressedInstance(rt, request, principal);
    return ok(await instanceObjects(rt, item, await requireElementOf(rt, principal.organization, item)));
  });
  group.post(`${one}/token`, { operationId: 'regenerateInstanceToken', summary: 'Replace an instance\'s token', description: 'The old token stops working at once.' }, async (request, rt, principal) => {
    const item = await addressedInstance(rt, request, principal);
    const { item: updated, token } = await regenerateInstanceToken(rt, item);
    return ok(await view(rt, updated, await elementOfInstance(rt, principal.organization, updated), token));
  });
}
