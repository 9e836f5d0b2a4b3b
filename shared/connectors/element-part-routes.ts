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
import type { Router } from '../http/router.js';
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
  type ElementDefinition,
  type ElementHook,
  type ElementObject,
  type ElementResource,
} from './element-schema.js';
import { BASE, listHeaders, organizationOf } from './http.js';

type Definition = ElementDefinition & { id: number };

export const ELEMENT = `${BASE}/elements/:keyOrId`;

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

export async function readElement(rt: Runtime, request: HttpRequest): Promise<ResolvedElement> {
  return requireElement(rt, await organizationOf(rt, request), request.params.keyOrId!);
}

/** Changes a custom element and answers with what `change` returns. */
export async function change<T>(rt: Runtime, request: HttpRequest, edit: (definition: Definition, nextId: () => number) => T): Promise<T> {
  const org = await organizationOf(rt, request);
  return (await changeCustomElement(rt, org, request.params.keyOrId!, edit)).result;
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

export function registerElementPartRoutes(router: Router<Runtime>): void {
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
