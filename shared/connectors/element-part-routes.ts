// Each part of a custom element's definition as a sub-resource, on Open
// Connectors' paths: configuration entries (by key), parameters, hooks,
// resources with their parameters, hooks and model, objects (by id or name)
// with their fields. Reads work on every element; changes only on the
// organization's own (a built-in element is 403: clone it). Every change is
// validated as a whole element, so a part can never leave it inconsistent.
import type * as z from 'zod';
import { readJson, validate } from '../http/body.js';
import { HttpError, conflict, notFound } from '../http/errors.js';
import type { HttpRequest } from '../http/request.js';
import { ok } from '../http/response.js';
import type { PlatformRouter, Principal } from '../auth/principal.js';
import type { Runtime } from '../runtime.js';
import { changeCustomElement, requireElement, type ResolvedElement } from './catalog.js';
import {
  configurationEntrySchema,
  hookSchema,
  modelSchema,
  objectFieldSchema,
  objectSchema,
  parameterSchema,
  resourceSchema,
  type ConfigurationEntry,
  type ElementDefinition,
  type ElementHook,
  type ElementObject,
  type ElementResource,
} from './element-schema.js';
import { BASE, listHeaders } from './http.js';

type Definition = ElementDefinition & { id: number };
type View = Record<string, unknown>;

export const ELEMENT = `${BASE}/elements/:keyOrId`;

export function readElement(rt: Runtime, request: HttpRequest, principal: Principal): Promise<ResolvedElement> {
  return requireElement(rt, principal.organization, request.params.keyOrId!);
}

/** Changes a custom element and answers with what `edit` returns. */
export async function change<T>(rt: Runtime, request: HttpRequest, principal: Principal, edit: (definition: Definition, nextId: () => number) => T): Promise<T> {
  return (await changeCustomElement(rt, principal.organization, request.params.keyOrId!, edit)).result;
}

/** The index of the part `ref` names: its id, or (where `byName` says) its name or key. */
function indexOf<T extends { id?: number | undefined }>(parts: T[], ref: string, what: string, byName?: (part: T) => string): number {
  const index = /^\d{1,10}$/.test(ref) ? parts.findIndex((part) => part.id === Number(ref)) : byName ? parts.findIndex((part) => byName(part) === ref) : -1;
  if (index < 0) throw notFound(`${what} ${ref} not found`);
  return index;
}

/** One kind of part kept in a list of the definition. */
interface PartKind<T extends { id?: number | undefined }> {
  /** The collection's path; one part is `{path}/:{param}`. */
  path: string;
  param: string;
  what: string;
  schema: z.ZodType<T>;
  /** The list in a (draft) definition. */
  list: (definition: Definition, request: HttpRequest) => T[];
  view: (part: T, definition: Definition, request: HttpRequest) => View;
  /** Addressed by name or key besides (or, for entries without an id, instead of) the id. */
  byName?: (part: T) => string;
  /** A new part as stored: numbered, checked against the others. */
  create?: (part: T, parts: T[], nextId: () => number) => T;
  /** A replacement as stored; it keeps the id of `previous`. */
  replace?: (previous: T, next: T, nextId: () => number, request: HttpRequest) => T;
}

function registerParts<T extends { id?: number | undefined }>(router: PlatformRouter, kind: PartKind<T>): void {
  const { path, what } = kind;
  const item = `${path}/:${kind.param}`;
  const ref = (request: HttpRequest) => request.params[kind.param] ?? '';
  router.get(path, { summary: `List the ${what}s` }, async (request, rt, principal) => {
    const definition = (await readElement(rt, request, principal)).definition as Definition;
    const parts = kind.list(definition, request);
    return ok(parts.map((part) => kind.view(part, definition, request)), listHeaders(parts.length));
  });
  router.post(path, { summary: `Add a ${what}`, body: kind.schema }, async (request, rt, principal) => {
    const part = validate(kind.schema, readJson(request));
    return ok(
      await change(rt, request, principal, (definition, nextId) => {
        const parts = kind.list(definition, request);
        const created = kind.create ? kind.create(part, parts, nextId) : { ...part, id: nextId() };
        parts.push(created);
        return kind.view(created, definition, request);
      }),
    );
  });
  router.get(item, { summary: `Get a ${what}` }, async (request, rt, principal) => {
    const definition = (await readElement(rt, request, principal)).definition as Definition;
    const parts = kind.list(definition, request);
    return ok(kind.view(parts[indexOf(parts, ref(request), what, kind.byName)]!, definition, request));
  });
  router.put(item, { summary: `Replace a ${what}`, body: kind.schema }, async (request, rt, principal) => {
    const part = validate(kind.schema, readJson(request));
    return ok(
      await change(rt, request, principal, (definition, nextId) => {
        const parts = kind.list(definition, request);
        const index = indexOf(parts, ref(request), what, kind.byName);
        const previous = parts[index]!;
        const replaced = kind.replace ? kind.replace(previous, part, nextId, request) : { ...part, id: previous.id };
        parts[index] = replaced;
        return kind.view(replaced, definition, request);
      }),
    );
  });
  router.delete(item, { summary: `Delete a ${what}` }, async (request, rt, principal) =>
    ok(
      await change(rt, request, principal, (definition) => {
        const parts = kind.list(definition, request);
        return kind.view(parts.splice(indexOf(parts, ref(request), what, kind.byName), 1)[0]!, definition, request);
      }),
    ),
  );
}

function resourceOf(definition: Definition, request: HttpRequest): ElementResource {
  return definition.resources[indexOf(definition.resources, request.params.resourceId ?? '', 'Resource')]!;
}

function objectOf(definition: Definition, request: HttpRequest): ElementObject {
  return definition.objects[indexOf(definition.objects, request.params.objectId ?? '', 'Object', (object) => object.name)]!;
}

/** A resource's new parameters and hooks get ids too. */
function numberResource(resource: ElementResource, nextId: () => number): ElementResource {
  for (const part of [...resource.parameters, ...resource.hooks]) part.id ??= nextId();
  return resource;
}

function numberObject(object: ElementObject, nextId: () => number): ElementObject {
  for (const field of object.fields) field.id ??= nextId();
  return object;
}

/** Hooks may move from the legacy script engine to the current one, never back. */
function checkHookChange(previous: ElementHook, next: ElementHook): ElementHook {
  if (!previous.isLegacy && next.isLegacy) {
    throw new HttpError(400, 'hook_engine_downgrade', 'A hook on the current script engine cannot go back to the legacy engine (isLegacy: true)');
  }
  return { ...next, id: previous.id };
}

function unique<T>(parts: T[], name: (part: T) => string, part: T, what: string): void {
  if (parts.some((existing) => name(existing) === name(part))) throw conflict(`${what} ${name(part)} already exists`);
}

export function registerElementPartRoutes(router: PlatformRouter): void {
  const ofElement = <T extends object>(part: T, definition: Definition) => ({ ...part, elementId: definition.id });
  const ofResource = <T extends object>(part: T, definition: Definition, request: HttpRequest) => ({ ...part, elementId: definition.id, resourceId: resourceOf(definition, request).id });

  // Configuration entries have no id: their key names them.
  registerParts<ConfigurationEntry & { id?: undefined }>(router, {
    path: `${ELEMENT}/configuration`,
    param: 'configKey',
    what: 'configuration entry',
    schema: configurationEntrySchema as z.ZodType<ConfigurationEntry & { id?: undefined }>,
    list: (definition) => definition.configuration,
    view: ({ secret: _secret, ...entry }) => entry,
    byName: (entry) => entry.key,
    create: (entry, entries) => {
      unique(entries, (existing) => existing.key, entry, 'Configuration entry');
      return entry;
    },
    replace: (_previous, next, _nextId, request) => ({ ...next, key: request.params.configKey! }),
  });
  registerParts(router, { path: `${ELEMENT}/parameters`, param: 'partId', what: 'parameter', schema: parameterSchema, list: (definition) => definition.parameters, view: ofElement });
  registerParts(router, { path: `${ELEMENT}/hooks`, param: 'partId', what: 'hook', schema: hookSchema, list: (definition) => definition.hooks, view: ofElement, replace: checkHookChange });

  const resources = `${ELEMENT}/resources`;
  const resource = `${resources}/:resourceId`;
  registerParts(router, {
    path: resources,
    param: 'resourceId',
    what: 'resource',
    schema: resourceSchema,
    list: (definition) => definition.resources,
    view: ofElement,
    create: (part, _parts, nextId) => numberResource({ ...part, id: nextId() }, nextId),
    // A replacement without a model keeps the one the resource has.
    replace: (previous, next, nextId) => numberResource({ ...next, id: previous.id, ...(next.model === undefined && previous.model ? { model: previous.model } : {}) }, nextId),
  });
  registerParts(router, { path: `${resource}/parameters`, param: 'partId', what: 'resource parameter', schema: parameterSchema, list: (definition, request) => resourceOf(definition, request).parameters, view: ofResource });
  registerParts(router, { path: `${resource}/hooks`, param: 'partId', what: 'resource hook', schema: hookSchema, list: (definition, request) => resourceOf(definition, request).hooks, view: ofResource, replace: checkHookChange });

  // A resource has at most one model (its request and response schemas).
  const model = `${resource}/models`;
  const requireModel = (found: ElementResource) => {
    if (!found.model) throw notFound(`Resource ${found.id} has no model`);
    return found.model;
  };
  router.get(model, { summary: 'Get a resource\'s model' }, async (request, rt, principal) => ok(requireModel(resourceOf((await readElement(rt, request, principal)).definition as Definition, request))));
  const setModel = (created: boolean) => async (request: HttpRequest, rt: Runtime, principal: Principal) => {
    const part = validate(modelSchema, readJson(request));
    return ok(
      await change(rt, request, principal, (definition) => {
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
  router.delete(model, { summary: 'Delete a resource\'s model' }, async (request, rt, principal) =>
    ok(
      await change(rt, request, principal, (definition) => {
        const found = resourceOf(definition, request);
        const previous = requireModel(found);
        delete found.model;
        return previous;
      }),
    ),
  );

  // Objects, by id or name, and their fields.
  const objects = `${ELEMENT}/objects`;
  registerParts(router, {
    path: objects,
    param: 'objectId',
    what: 'object definition',
    schema: objectSchema,
    list: (definition) => definition.objects,
    view: ofElement,
    byName: (object) => object.name,
    create: (part, parts, nextId) => {
      unique(parts, (existing) => existing.name, part, 'Object');
      return numberObject({ ...part, id: nextId() }, nextId);
    },
    replace: (previous, next, nextId) => numberObject({ ...next, id: previous.id }, nextId),
  });
  registerParts(router, {
    path: `${objects}/:objectId/fields`,
    param: 'partId',
    what: 'object field',
    schema: objectFieldSchema,
    list: (definition, request) => objectOf(definition, request).fields,
    view: (part, definition, request) => ({ ...part, objectId: objectOf(definition, request).id }),
  });
}
