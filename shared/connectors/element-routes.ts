// The element catalog on Open Connectors paths: elements, their keys and
// metadata, export and clone, activation, OAuth URLs, and each part of a
// definition as a sub-resource (configuration, parameters, hooks, resources
// with their parameters, hooks and model, objects with their fields).
// Built-in elements are read-only; clone one to change it.
import * as z from 'zod';
import { validate } from '../http/body.js';
import { HttpError, conflict, notFound } from '../http/errors.js';
import type { HttpRequest } from '../http/request.js';
import { ok } from '../http/response.js';
import { lazySchema, type RouteDoc, type Router } from '../http/router.js';
import type { Runtime } from '../runtime.js';
import {
  changeCustomElement,
  cloneElement,
  createCustomElement,
  deleteCustomElement,
  elementView,
  listElements,
  replaceCustomElement,
  requireElement,
  type ResolvedElement,
} from './catalog.js';
import { elementDocs } from './element-docs.js';
import {
  configurationEntrySchema,
  elementSchema,
  hookSchema,
  modelSchema,
  objectFieldSchema,
  objectSchema,
  parameterSchema,
  resourceSchema,
  type ElementDefinition,
  type ElementHook,
  type ElementObject,
  type ElementResource,
} from './element-schema.js';
import { buildOAuthUrl } from './hosted-oauth.js';
import { BASE, listHeaders, optionalJson, organizationOf } from './http.js';
import { countInstancesOfElement } from './instances.js';
import { legacyElementSchema } from './legacy-element.js';
import { readJson } from '../http/body.js';

type Definition = ElementDefinition & { id: number };

const ELEMENT = `${BASE}/elements/:keyOrId`;

const OAUTH_URL_DOC: RouteDoc = {
  summary: 'Build the vendor authorization URL',
  description:
    'Open Connectors mode (`callbackUrl`): your app receives the code and posts it to `/instances`. Hosted mode (`returnUrl`): Tollgate ' +
    'is the redirect URI (`/elements/api-v2/oauth/callback`), stores the state and PKCE verifier single-use for 10 minutes, creates the ' +
    'instance and redirects the browser to `returnUrl` (an allowed origin of the organization). POST takes the same values as a JSON body.',
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

/** What POST and PUT take: Open Connectors' element JSON, or Tollgate's first format. */
const elementBody = lazySchema(() => z.union([elementSchema, legacyElementSchema]));

const oauthUrlBody = z.record(z.string().max(100), z.union([z.string().max(4096), z.number(), z.boolean(), z.array(z.string().max(100)).max(50)]));

function partId(request: HttpRequest, name = 'partId'): number {
  const value = request.params[name] ?? '';
  if (!/^\d{1,10}$/.test(value)) throw notFound(`No ${name.replace(/Id$/, '')} ${value}`);
  return Number(value);
}

function findById<T extends { id?: number | undefined }>(items: T[], id: number, what: string): T {
  const found = items.find((item) => item.id === id);
  if (!found) throw notFound(`${what} ${id} not found`);
  return found;
}

function removeById<T extends { id?: number | undefined }>(items: T[], id: number, what: string): T {
  const index = items.findIndex((item) => item.id === id);
  if (index < 0) throw notFound(`${what} ${id} not found`);
  return items.splice(index, 1)[0]!;
}

function resourceOf(definition: Definition, request: HttpRequest): ElementResource {
  return findById(definition.resources, partId(request, 'resourceId'), 'Resource');
}

function objectOf(definition: Definition, request: HttpRequest): ElementObject {
  const ref = request.params.objectId ?? '';
  const found = /^\d{1,10}$/.test(ref) ? definition.objects.find((object) => object.id === Number(ref)) : definition.objects.find((object) => object.name === ref);
  if (!found) throw notFound(`Object ${ref} not found`);
  return found;
}

async function readElement(rt: Runtime, request: HttpRequest): Promise<ResolvedElement> {
  return requireElement(rt, await organizationOf(rt, request), request.params.keyOrId!);
}

/** Changes a custom element and answers with what `change` returns. */
async function change<T>(rt: Runtime, request: HttpRequest, edit: (definition: Definition, nextId: () => number) => T): Promise<T> {
  const org = await organizationOf(rt, request);
  return (await changeCustomElement(rt, org, request.params.keyOrId!, edit)).result;
}

export function metadataView(element: ResolvedElement, expand: boolean): Record<string, unknown> {
  const { definition } = element;
  return {
    id: definition.id,
    key: definition.key,
    name: definition.name,
    description: definition.description,
    hub: definition.hub,
    active: definition.active,
    private: element.private,
    protocolType: definition.protocolType,
    authentication: { type: definition.authentication.type },
    // Events and bulk are capabilities Tollgate's elements do not have yet.
    events: { supported: false, methods: [] },
    bulk: { supported: false },
    objects: objectNames(definition),
    ...(expand ? { resources: definition.resources, objectDefinitions: definition.objects } : {}),
  };
}

/** The objects an element offers: its declared objects, then the first segment of each resource path. */
export function objectNames(definition: ElementDefinition): string[] {
  const names = new Set(definition.objects.map((object) => object.name));
  for (const resource of definition.resources) {
    const first = resource.path.replace(/^\/hubs\/[^/]+/, '').split('/').find(Boolean);
    if (first && !first.startsWith('{')) names.add(first);
  }
  return [...names];
}

/** A resource's new parameters and hooks get ids too. */
function numberResource(resource: ElementResource, nextId: () => number): ElementResource {
  for (const part of [...resource.parameters, ...resource.hooks]) part.id ??= nextId();
  return resource;
}

/** Hooks may move from the legacy script engine to the current one, never back. */
function checkHookChange(previous: ElementHook, next: ElementHook): void {
  if (!previous.isLegacy && next.isLegacy) {
    throw new HttpError(400, 'hook_engine_downgrade', 'A hook on the current script engine cannot go back to the legacy engine (isLegacy: true)');
  }
}

/**
 * CRUD of one kind of part kept in a list of the definition (parameters,
 * hooks ...): `list` finds that list in a draft of the definition.
 */
function registerParts<S extends z.ZodType<object>>(
  router: Router<Runtime>,
  path: string,
  what: string,
  schema: S,
  list: (definition: Definition, request: HttpRequest) => (z.output<S> & { id?: number | undefined })[],
  view: (part: z.output<S>, definition: Definition, request: HttpRequest) => Record<string, unknown>,
  onReplace?: (previous: z.output<S>, next: z.output<S>) => void,
): void {
  const item = `${path}/:partId`;
  router.get(path, { summary: `List the ${what}s` }, async (request, rt) => {
    const { definition } = await readElement(rt, request);
    const parts = list(definition as Definition, request);
    return ok(parts.map((part) => view(part, definition as Definition, request)), listHeaders(parts.length));
  });
  router.post(path, { summary: `Add a ${what}`, body: schema }, async (request, rt) => {
    const part = validate(schema, readJson(request));
    return ok(
      await change(rt, request, (definition, nextId) => {
        const created = { ...(part as object), id: nextId() } as z.output<S> & { id: number };
        list(definition, request).push(created);
        return view(created, definition, request);
      }),
    );
  });
  router.get(item, { summary: `Get a ${what}` }, async (request, rt) => {
    const { definition } = await readElement(rt, request);
    return ok(view(findById(list(definition as Definition, request), partId(request), what), definition as Definition, request));
  });
  router.put(item, { summary: `Replace a ${what}`, body: schema }, async (request, rt) => {
    const part = validate(schema, readJson(request));
    return ok(
      await change(rt, request, (definition) => {
        const parts = list(definition, request);
        const id = partId(request);
        const index = parts.findIndex((candidate) => candidate.id === id);
        if (index < 0) throw notFound(`${what} ${id} not found`);
        onReplace?.(parts[index]!, part);
        const replaced = { ...(part as object), id } as z.output<S> & { id: number };
        parts[index] = replaced;
        return view(replaced, definition, request);
      }),
    );
  });
  router.delete(item, { summary: `Delete a ${what}` }, async (request, rt) =>
    ok(await change(rt, request, (definition) => view(removeById(list(definition, request), partId(request), what), definition, request))),
  );
}

export function registerElementRoutes(router: Router<Runtime>): void {
  const catalog = router.group({ tag: 'Elements' });
  catalog.get(`${BASE}/elements`, { operationId: 'listElements', summary: 'List the elements: built-in and the organization\'s own' }, async (request, rt) => {
    const elements = (await listElements(rt, await organizationOf(rt, request))).map(elementView);
    return ok(elements, listHeaders(elements.length, undefined, elements.length));
  });
  catalog.get(`${BASE}/elements/keys`, { operationId: 'listElementKeys', summary: 'List the keys of all elements' }, async (request, rt) => {
    const keys = (await listElements(rt, await organizationOf(rt, request))).map((element) => element.definition.key);
    return ok(keys, listHeaders(keys.length));
  });
  catalog.get(`${BASE}/elements/metadata`, { operationId: 'listElementMetadata', summary: 'The metadata of all elements', query: { expand: { description: '`true` adds resources and object definitions.' } } }, async (request, rt) => {
    const expand = request.query.get('expand') === 'true';
    const all = (await listElements(rt, await organizationOf(rt, request))).map((element) => metadataView(element, expand));
    return ok(all, listHeaders(all.length));
  });
  catalog.post(
    `${BASE}/elements`,
    {
      operationId: 'createElement',
      summary: 'Add a custom element',
      description:
        'Open Connectors\' element JSON (the vendor base URL is the `base.url` configuration entry; `key` is derived from `name` when left out), ' +
        'or Tollgate\'s first format with `baseUrl`. 409 if the key is taken, by a built-in element or one of the organization\'s.',
      body: elementBody,
    },
    async (request, rt) => ok(elementView(await createCustomElement(rt, await organizationOf(rt, request), readJson(request)))),
  );
  catalog.get(ELEMENT, { operationId: 'getElement', summary: 'Get an element' }, async (request, rt) => ok(elementView(await readElement(rt, request))));
  catalog.put(ELEMENT, { operationId: 'replaceElement', summary: 'Replace a custom element', description: 'Built-in elements cannot be changed (403): clone them.', body: elementBody }, async (request, rt) => {
    const org = await organizationOf(rt, request);
    return ok(elementView(await replaceCustomElement(rt, org, request.params.keyOrId!, readJson(request))));
  });
  catalog.delete(ELEMENT, { operationId: 'deleteElement', summary: 'Delete a custom element', description: 'Refused (409) while instances of it exist.' }, async (request, rt) => {
    const org = await organizationOf(rt, request);
    const element = await requireElement(rt, org, request.params.keyOrId!);
    await deleteCustomElement(rt, org, request.params.keyOrId!, (key) => countInstancesOfElement(rt, org, key));
    return ok(elementView(element));
  });
  catalog.get(`${ELEMENT}/metadata`, { operationId: 'getElementMetadata', summary: 'An element\'s metadata', query: { expand: { description: '`true` adds resources and object definitions.' } } }, async (request, rt) =>
    ok(metadataView(await readElement(rt, request), request.query.get('expand') === 'true')),
  );
  catalog.get(`${ELEMENT}/export`, { operationId: 'exportElement', summary: 'The element\'s JSON, to import elsewhere with POST /elements' }, async (request, rt) => {
    const element = await readElement(rt, request);
    return ok(elementView(element), { 'content-disposition': `attachment; filename="${element.definition.key}.json"` });
  });
  catalog.post(`${ELEMENT}/clone`, { operationId: 'cloneElement', summary: 'Copy an element into a custom element of the organization', description: 'The copy gets the key `{key}-copy` (or `-copy-2` ...) and can be changed freely.' }, async (request, rt) =>
    ok(elementView(await cloneElement(rt, await organizationOf(rt, request), request.params.keyOrId!))),
  );
  const setActive = (active: boolean) => async (request: HttpRequest, rt: Runtime) =>
    ok(await change(rt, request, (definition) => {
      definition.active = active;
      return { id: definition.id, key: definition.key, active };
    }));
  catalog.put(`${ELEMENT}/active`, { operationId: 'activateElement', summary: 'Activate a custom element' }, setActive(true));
  catalog.delete(`${ELEMENT}/active`, { operationId: 'deactivateElement', summary: 'Deactivate a custom element', description: 'An inactive element takes no new instances.' }, setActive(false));
  catalog.get(`${ELEMENT}/docs`, { operationId: 'getElementDocs', summary: 'The element\'s API as Swagger 2.0', description: 'Its resources, with their parameters, under `/elements/api-v2`.' }, async (request, rt) =>
    ok(elementDocs((await readElement(rt, request)).definition, rt.config.issuer)),
  );

  const oauth = router.group({ tag: 'Elements' });
  oauth.get(`${ELEMENT}/oauth/url`, { ...OAUTH_URL_DOC, operationId: 'getElementOAuthUrl' }, async (request, rt) => {
    const org = await organizationOf(rt, request);
    const element = await requireElement(rt, org, request.params.keyOrId!);
    return ok(await buildOAuthUrl(rt, org, element, request.query), { 'cache-control': 'no-store' });
  });
  oauth.post(`${ELEMENT}/oauth/url`, { ...OAUTH_URL_DOC, operationId: 'postElementOAuthUrl', query: {}, body: oauthUrlBody }, async (request, rt) => {
    const org = await organizationOf(rt, request);
    const element = await requireElement(rt, org, request.params.keyOrId!);
    const query = new URLSearchParams(request.query);
    for (const [name, value] of Object.entries(validate(oauthUrlBody, optionalJson(request)))) {
      for (const one of Array.isArray(value) ? value : [value]) query.append(name, String(one));
    }
    return ok(await buildOAuthUrl(rt, org, element, query), { 'cache-control': 'no-store' });
  });

  registerElementParts(router.group({ tag: 'Element parts' }));
}

function registerElementParts(router: Router<Runtime>): void {
  // Configuration entries are addressed by key.
  const configuration = `${ELEMENT}/configuration`;
  const entryView = ({ secret: _secret, ...entry }: z.output<typeof configurationEntrySchema>) => entry;
  router.get(configuration, { summary: 'List the configuration entries' }, async (request, rt) => {
    const { definition } = await readElement(rt, request);
    return ok(definition.configuration.map(entryView), listHeaders(definition.configuration.length));
  });
  router.post(configuration, { summary: 'Add a configuration entry', body: configurationEntrySchema }, async (request, rt) => {
    const entry = validate(configurationEntrySchema, readJson(request));
    return ok(
      await change(rt, request, (definition) => {
        if (definition.configuration.some((existing) => existing.key === entry.key)) throw conflict(`Configuration entry ${entry.key} already exists`);
        definition.configuration.push(entry);
        return entryView(entry);
      }),
    );
  });
  const entryIndex = (definition: Definition, request: HttpRequest) => {
    const index = definition.configuration.findIndex((entry) => entry.key === request.params.configKey);
    if (index < 0) throw notFound(`Configuration entry ${request.params.configKey} not found`);
    return index;
  };
  router.get(`${configuration}/:configKey`, { summary: 'Get a configuration entry' }, async (request, rt) => {
    const { definition } = await readElement(rt, request);
    return ok(entryView(definition.configuration[entryIndex(definition as Definition, request)]!));
  });
  router.put(`${configuration}/:configKey`, { summary: 'Replace a configuration entry', description: 'The key stays the one in the path.', body: configurationEntrySchema }, async (request, rt) => {
    const body = readJson(request);
    const entry = validate(configurationEntrySchema, body !== null && typeof body === 'object' ? { ...body, key: request.params.configKey } : body);
    return ok(
      await change(rt, request, (definition) => {
        definition.configuration[entryIndex(definition, request)] = entry;
        return entryView(entry);
      }),
    );
  });
  router.delete(`${configuration}/:configKey`, { summary: 'Delete a configuration entry' }, async (request, rt) =>
    ok(await change(rt, request, (definition) => entryView(definition.configuration.splice(entryIndex(definition, request), 1)[0]!))),
  );

  const withElement = <T extends object>(part: T, definition: Definition) => ({ ...part, elementId: definition.id });
  registerParts(router, `${ELEMENT}/parameters`, 'parameter', parameterSchema, (definition) => definition.parameters, withElement);
  registerParts(router, `${ELEMENT}/hooks`, 'hook', hookSchema, (definition) => definition.hooks, withElement, checkHookChange);

  const resources = `${ELEMENT}/resources`;
  const resource = `${resources}/:resourceId`;
  const resourceView = (part: ElementResource, definition: Definition) => ({ ...part, elementId: definition.id });
  router.get(resources, { summary: 'List the resources' }, async (request, rt) => {
    const { definition } = await readElement(rt, request);
    return ok(definition.resources.map((part) => resourceView(part, definition as Definition)), listHeaders(definition.resources.length));
  });
  router.post(resources, { summary: 'Add a resource', body: resourceSchema }, async (request, rt) => {
    const part = validate(resourceSchema, readJson(request));
    return ok(
      await change(rt, request, (definition, nextId) => {
        const created = numberResource({ ...part, id: nextId() }, nextId);
        definition.resources.push(created);
        return resourceView(created, definition);
      }),
    );
  });
  router.get(resource, { summary: 'Get a resource' }, async (request, rt) => {
    const { definition } = await readElement(rt, request);
    return ok(resourceView(resourceOf(definition as Definition, request), definition as Definition));
  });
  router.put(resource, { summary: 'Replace a resource', body: resourceSchema }, async (request, rt) => {
    const part = validate(resourceSchema, readJson(request));
    return ok(
      await change(rt, request, (definition, nextId) => {
        const previous = resourceOf(definition, request);
        Object.assign(previous, numberResource({ ...part, id: previous.id, ...(part.model === undefined && previous.model ? { model: previous.model } : {}) }, nextId));
        return resourceView(previous, definition);
      }),
    );
  });
  router.delete(resource, { summary: 'Delete a resource' }, async (request, rt) =>
    ok(await change(rt, request, (definition) => resourceView(removeById(definition.resources, partId(request, 'resourceId'), 'Resource'), definition))),
  );
  const withResource = <T extends object>(part: T, definition: Definition, request: HttpRequest) => ({ ...part, elementId: definition.id, resourceId: partId(request, 'resourceId') });
  registerParts(router, `${resource}/parameters`, 'resource parameter', parameterSchema, (definition, request) => resourceOf(definition, request).parameters, withResource);
  registerParts(router, `${resource}/hooks`, 'resource hook', hookSchema, (definition, request) => resourceOf(definition, request).hooks, withResource, checkHookChange);

  // A resource has at most one model (its request and response schemas).
  const model = `${resource}/models`;
  const requireModel = (found: ElementResource) => {
    if (!found.model) throw notFound(`Resource ${found.id} has no model`);
    return found.model;
  };
  router.get(model, { summary: 'Get a resource\'s model' }, async (request, rt) => {
    const { definition } = await readElement(rt, request);
    return ok(requireModel(resourceOf(definition as Definition, request)));
  });
  const setModel = (created: boolean) => async (request: HttpRequest, rt: Runtime) => {
    const part = validate(modelSchema, readJson(request));
    return ok(
      await change(rt, request, (definition) => {
        const found = resourceOf(definition, request);
        if (created && found.model) throw conflict(`Resource ${found.id} already has a model; replace it with PUT`);
        if (!created) requireModel(found);
        found.model = part;
        return part;
      }),
    );
  };
  router.post(model, { summary: 'Add a resource\'s model', body: modelSchema }, setModel(true));
  router.put(model, { summary: 'Replace a resource\'s model', body: modelSchema }, setModel(false));
  router.delete(model, { summary: 'Delete a resource\'s model' }, async (request, rt) =>
    ok(await change(rt, request, (definition) => {
      const found = resourceOf(definition, request);
      const previous = requireModel(found);
      delete found.model;
      return previous;
    })),
  );

  // Objects (by id or name) and their fields.
  const objects = `${ELEMENT}/objects`;
  const object = `${objects}/:objectId`;
  const objectView = (part: ElementObject, definition: Definition) => ({ ...part, elementId: definition.id });
  router.get(objects, { summary: 'List the object definitions' }, async (request, rt) => {
    const { definition } = await readElement(rt, request);
    return ok(definition.objects.map((part) => objectView(part, definition as Definition)), listHeaders(definition.objects.length));
  });
  router.post(objects, { summary: 'Add an object definition', body: objectSchema }, async (request, rt) => {
    const part = validate(objectSchema, readJson(request));
    return ok(
      await change(rt, request, (definition, nextId) => {
        if (definition.objects.some((existing) => existing.name === part.name)) throw conflict(`Object ${part.name} already exists`);
        const created = { ...part, id: nextId(), fields: part.fields.map((field) => ({ ...field, id: nextId() })) };
        definition.objects.push(created);
        return objectView(created, definition);
      }),
    );
  });
  router.get(object, { summary: 'Get an object definition' }, async (request, rt) => {
    const { definition } = await readElement(rt, request);
    return ok(objectView(objectOf(definition as Definition, request), definition as Definition));
  });
  router.put(object, { summary: 'Replace an object definition', body: objectSchema }, async (request, rt) => {
    const part = validate(objectSchema, readJson(request));
    return ok(
      await change(rt, request, (definition, nextId) => {
        const previous = objectOf(definition, request);
        Object.assign(previous, { ...part, id: previous.id, fields: part.fields.map((field) => ({ ...field, id: field.id ?? nextId() })) });
        return objectView(previous, definition);
      }),
    );
  });
  router.delete(object, { summary: 'Delete an object definition' }, async (request, rt) =>
    ok(await change(rt, request, (definition) => {
      const found = objectOf(definition, request);
      return objectView(removeById(definition.objects, found.id!, 'Object'), definition);
    })),
  );
  registerParts(router, `${object}/fields`, 'object field', objectFieldSchema, (definition, request) => objectOf(definition, request).fields, (part, definition, request) => ({
    ...part,
    objectId: objectOf(definition, request).id,
  }));
}
