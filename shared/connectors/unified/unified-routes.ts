// Common resources and transformations on Open Connectors' paths:
// object definitions of the organization (`/organizations/objects/...`) and
// of an instance (`/instances/{id}/objects/...`), transformations of the
// organization per element (`/organizations/elements/{keyOrId}/transformations`)
// and of an instance (`/instances/{id}/transformations`), an element's own
// (canonical) transformations (`/elements/{keyOrId}/transformations`), and
// each object's metadata (`/objects/{name}/metadata`).
import * as z from 'zod';
import type { PlatformRouter, Principal } from '../../auth/principal.js';
import { jsonBody } from '../../http/body.js';
import { HttpError, notFound, unauthorized, unprocessable } from '../../http/errors.js';
import type { HttpRequest } from '../../http/request.js';
import { ok, type HttpResponse } from '../../http/response.js';
import type { Runtime } from '../../runtime.js';
import type { MappingLevel } from '../../store/keys.js';
import { requireElement, type ResolvedElement } from '../catalog.js';
import { BASE, listHeaders } from '../http.js';
import { findInstanceByToken, getInstance, type InstanceItem } from '../instances.js';
import { canonicalObject } from './canonical-objects.js';
import {
  OBJECT_NAME,
  deleteObjectDefinition,
  deleteTransformation,
  effectiveTransformation,
  getObjectDefinition,
  instanceMappings,
  levelName,
  levelOf,
  listObjectDefinitions,
  listTransformations,
  objectDefinitionSchema,
  requireObjectDefinition,
  saveObjectDefinition,
  saveTransformation,
  transformationSchema,
  type EffectiveTransformation,
  type ObjectDefinitionItem,
} from './definitions.js';
import { resolveObject } from './objects.js';

type Json = Record<string, unknown>;

function objectName(value: string | undefined): string {
  if (!value || !OBJECT_NAME.test(value)) throw notFound(`Object ${value ?? ''} not found`, 'object_definition_not_found');
  return value;
}

async function instanceOf(rt: Runtime, request: HttpRequest, principal: Principal): Promise<InstanceItem> {
  if (request.params.id !== undefined) {
    const id = request.params.id;
    const item = /^\d{1,10}$/.test(id) ? await getInstance(rt, principal.organization, Number(id), true) : undefined;
    if (!item) throw notFound(`Instance ${id} not found`, 'instance_not_found');
    return item;
  }
  if (!principal.element) throw unauthorized('Name the instance: /instances/{id}/..., or send its token as Element <token>', 'element_token_required');
  const item = await findInstanceByToken(rt, principal.organization, principal.element);
  if (!item) throw unauthorized('The Element instance token is not valid for this organization', 'invalid_instance_token');
  return item;
}

function definitionView(item: ObjectDefinitionItem): Json {
  const level = levelName(item.level);
  return { objectName: item.name, level, fields: item.definition.fields.map((field) => ({ ...field, level })) };
}

function transformationView(entry: EffectiveTransformation, elementKey: string): Json {
  const { transformation } = entry;
  return {
    objectName: entry.name,
    vendorName: transformation.vendorName,
    level: levelName(entry.level),
    element: { key: elementKey },
    fields: transformation.fields.map((field) => ({ ...field, level: levelName(entry.fieldLevels.get(field.path) ?? entry.level) })),
    configuration: transformation.configuration,
    isLegacy: false,
  };
}

/** Object definitions: `{name: {fields}}` in a body that posts several. */
const definitionsMap = z.record(z.string().regex(OBJECT_NAME), objectDefinitionSchema);

function registerDefinitionRoutes(router: PlatformRouter, prefix: string, scope: 'Organization' | 'Instance', levelFor: (request: HttpRequest, rt: Runtime, principal: Principal) => Promise<MappingLevel>): void {
  const group = router.group({ tag: 'Common resources' });
  const all = async (request: HttpRequest, rt: Runtime, principal: Principal) => {
    const items = await listObjectDefinitions(rt, principal.organization, await levelFor(request, rt, principal));
    return ok(Object.fromEntries(items.map((item) => [item.name, { fields: definitionView(item).fields, level: levelName(item.level) }])));
  };
  group.get(`${prefix}/objects/definitions`, { operationId: `list${scope}ObjectDefinitions`, summary: 'The common resources (object definitions), by name' }, all);
  group.post(`${prefix}/objects/definitions`, { operationId: `create${scope}ObjectDefinitions`, summary: 'Define several common resources at once', body: definitionsMap }, async (request, rt, principal) => {
    const level = await levelFor(request, rt, principal);
    const body = jsonBody(request, definitionsMap);
    for (const [name, definition] of Object.entries(body)) await saveObjectDefinition(rt, principal.organization, level, name, definition, 'create');
    return all(request, rt, principal);
  });
  for (const path of [`${prefix}/objects/:name/definitions`, `${prefix}/objects/definitions/:name`]) {
    const alias = path.endsWith(':name') ? 'ByPath' : '';
    const save = (mode: 'create' | 'replace') => async (request: HttpRequest, rt: Runtime, principal: Principal) => {
      const level = await levelFor(request, rt, principal);
      const item = await saveObjectDefinition(rt, principal.organization, level, objectName(request.params.name), jsonBody(request, objectDefinitionSchema), mode);
      return ok(definitionView(item));
    };
    group.get(path, { operationId: `get${scope}ObjectDefinition${alias}`, summary: 'A common resource\'s definition' }, async (request, rt, principal) => {
      const item = await requireObjectDefinition(rt, principal.organization, await levelFor(request, rt, principal), objectName(request.params.name));
      return ok(definitionView(item));
    });
    group.post(path, { operationId: `create${scope}ObjectDefinition${alias}`, summary: 'Define a common resource', body: objectDefinitionSchema }, save('create'));
    group.put(path, { operationId: `replace${scope}ObjectDefinition${alias}`, summary: 'Replace a common resource\'s definition', body: objectDefinitionSchema }, save('replace'));
    group.delete(path, { operationId: `delete${scope}ObjectDefinition${alias}`, summary: 'Delete a common resource', description: '409 while transformations of it exist.' }, async (request, rt, principal) => {
      await deleteObjectDefinition(rt, principal.organization, await levelFor(request, rt, principal), objectName(request.params.name));
      return { status: 200 };
    });
  }
}

function checkVendorName(element: ResolvedElement, name: string, vendorName: string): void {
  const probe = { transformations: [{ name, level: 'org' as const, transformation: { vendorName, fields: [], configuration: [] }, fieldLevels: new Map() }] };
  if (!resolveObject(element.definition, probe, name)) {
    throw unprocessable(`vendorName ${vendorName} is not an object of ${element.definition.key}`, [{ path: 'vendorName', message: 'must name one of the element\'s objects (GET /elements/{keyOrId}/objects, or a canonical object)' }]);
  }
}

export function registerUnifiedRoutes(router: PlatformRouter): void {
  registerDefinitionRoutes(router, `${BASE}/organizations`, 'Organization', async () => 'org');
  registerDefinitionRoutes(router, `${BASE}/instances/:id`, 'Instance', async (request, rt, principal) => levelOf((await instanceOf(rt, request, principal)).id));

  const group = router.group({ tag: 'Transformations' });
  // The element's own mappings onto its hub's objects (Open Connectors' default transformations).
  group.get(`${BASE}/elements/:keyOrId/transformations`, { operationId: 'listElementTransformations', summary: 'The element\'s canonical objects: its mappings onto its hub\'s objects' }, async (request, rt, principal) => {
    const element = await requireElement(rt, principal.organization, request.params.keyOrId!);
    const level = 'org' as const;
    return ok(Object.fromEntries(Object.entries(element.definition.transformations).map(([name, transformation]) => [name, { ...transformationView({ name, level, transformation, fieldLevels: new Map() }, element.definition.key), level: 'element' }])));
  });

  // Organization level, per element.
  const orgPath = `${BASE}/organizations/elements/:keyOrId/transformations`;
  group.get(orgPath, { operationId: 'listOrganizationTransformations', summary: 'The organization\'s transformations for an element, by object' }, async (request, rt, principal) => {
    const element = await requireElement(rt, principal.organization, request.params.keyOrId!);
    const items = await listTransformations(rt, principal.organization, 'org', element.definition.key);
    return ok(Object.fromEntries(items.map((item) => [item.name, transformationView(effectiveTransformation([item], [], item.name)!, element.definition.key)])), listHeaders(items.length));
  });
  const orgSave = (mode: 'create' | 'replace') => async (request: HttpRequest, rt: Runtime, principal: Principal): Promise<HttpResponse> => {
    const element = await requireElement(rt, principal.organization, request.params.keyOrId!);
    const name = objectName(request.params.name);
    const transformation = jsonBody(request, transformationSchema);
    checkVendorName(element, name, transformation.vendorName);
    const item = await saveTransformation(rt, principal.organization, 'org', element.definition.key, name, transformation, mode);
    return ok(transformationView(effectiveTransformation([item], [], name)!, element.definition.key));
  };
  group.get(`${orgPath}/:name`, { operationId: 'getOrganizationTransformation', summary: 'The organization\'s transformation of an object for an element' }, async (request, rt, principal) => {
    const element = await requireElement(rt, principal.organization, request.params.keyOrId!);
    const name = objectName(request.params.name);
    const items = await listTransformations(rt, principal.organization, 'org', element.definition.key);
    const entry = effectiveTransformation(items, [], name);
    if (!entry) throw notFound(`No organization-level transformation of ${name} for ${element.definition.key}`, 'transformation_not_found');
    return ok(transformationView(entry, element.definition.key));
  });
  group.post(`${orgPath}/:name`, { operationId: 'createOrganizationTransformation', summary: 'Map a common resource onto an element\'s object', body: transformationSchema }, orgSave('create'));
  group.put(`${orgPath}/:name`, { operationId: 'replaceOrganizationTransformation', summary: 'Replace the organization\'s transformation of an object', body: transformationSchema }, orgSave('replace'));
  group.delete(`${orgPath}/:name`, { operationId: 'deleteOrganizationTransformation', summary: 'Delete the organization\'s transformation of an object' }, async (request, rt, principal) => {
    const element = await requireElement(rt, principal.organization, request.params.keyOrId!);
    await deleteTransformation(rt, principal.organization, 'org', element.definition.key, objectName(request.params.name));
    return { status: 200 };
  });

  // Instance level: over the organization's (replacing it, or adding to it with `inherit`).
  const instancePath = `${BASE}/instances/:id/transformations`;
  const instanceElement = async (rt: Runtime, org: string, item: InstanceItem) => {
    const element = await requireElement(rt, org, item.elementKey).catch(() => undefined);
    if (!element) throw new HttpError(409, 'element_not_found', `Element ${item.elementKey} of instance ${item.id} no longer exists`);
    return element;
  };
  group.get(instancePath, { operationId: 'listInstanceTransformations', summary: 'An instance\'s effective transformations, by object', description: 'Instance level over organization level.' }, async (request, rt, principal) => {
    const item = await instanceOf(rt, request, principal);
    const mappings = await instanceMappings(rt, principal.organization, item.elementKey, item.id);
    return ok(Object.fromEntries(mappings.transformations.map((entry) => [entry.name, transformationView(entry, item.elementKey)])), listHeaders(mappings.transformations.length));
  });
  const instanceSave = (mode: 'create' | 'replace') => async (request: HttpRequest, rt: Runtime, principal: Principal): Promise<HttpResponse> => {
    const item = await instanceOf(rt, request, principal);
    const element = await instanceElement(rt, principal.organization, item);
    const name = objectName(request.params.name);
    const transformation = jsonBody(request, transformationSchema);
    checkVendorName(element, name, transformation.vendorName);
    await saveTransformation(rt, principal.organization, levelOf(item.id), item.elementKey, name, transformation, mode);
    const mappings = await instanceMappings(rt, principal.organization, item.elementKey, item.id);
    return ok(transformationView(mappings.transformations.find((entry) => entry.name === name)!, item.elementKey));
  };
  group.get(`${instancePath}/:name`, { operationId: 'getInstanceTransformation', summary: 'An instance\'s effective transformation of an object' }, async (request, rt, principal) => {
    const item = await instanceOf(rt, request, principal);
    const name = objectName(request.params.name);
    const entry = (await instanceMappings(rt, principal.organization, item.elementKey, item.id)).transformations.find((candidate) => candidate.name === name);
    if (!entry) throw notFound(`Instance ${item.id} has no transformation of ${name}`, 'transformation_not_found');
    return ok(transformationView(entry, item.elementKey));
  });
  group.post(`${instancePath}/:name`, { operationId: 'createInstanceTransformation', summary: 'Map a common resource for one instance', body: transformationSchema }, instanceSave('create'));
  group.put(`${instancePath}/:name`, { operationId: 'replaceInstanceTransformation', summary: 'Replace an instance\'s transformation of an object', body: transformationSchema }, instanceSave('replace'));
  group.delete(`${instancePath}/:name`, { operationId: 'deleteInstanceTransformation', summary: 'Delete an instance\'s own transformation of an object' }, async (request, rt, principal) => {
    const item = await instanceOf(rt, request, principal);
    await deleteTransformation(rt, principal.organization, levelOf(item.id), item.elementKey, objectName(request.params.name));
    return { status: 200 };
  });

  // Object metadata: fields with their types and whether the vendor filters on them.
  const metadata = async (request: HttpRequest, rt: Runtime, principal: Principal) => {
    const item = await instanceOf(rt, request, principal);
    const element = await instanceElement(rt, principal.organization, item);
    const name = objectName(request.params.name);
    return ok(await objectMetadata(rt, element, item, name));
  };
  router.group({ tag: 'Common resources', auth: 'element' }).get(`${BASE}/objects/:name/metadata`, { operationId: 'getTokenInstanceObjectMetadata', summary: 'The fields of an object of the Element token\'s instance' }, metadata);
  router.group({ tag: 'Common resources' }).get(`${BASE}/instances/:id/objects/:name/metadata`, { operationId: 'getInstanceObjectMetadata', summary: 'The fields of an object of an instance' }, metadata);
}

/** An object's fields as Open Connectors describes them: `vendorPath`, `type`, `filterable`. */
export async function objectMetadata(rt: Runtime, element: ResolvedElement, item: InstanceItem, name: string): Promise<Json> {
  const definition = element.definition;
  const mappings = await instanceMappings(rt, item.organization, definition.key, item.id);
  const object = resolveObject(definition, mappings, name);
  if (!object) {
    const vendor = definition.objects.find((candidate) => candidate.name === name);
    if (!vendor) throw notFound(`Instance ${item.id} has no object ${name}`, 'object_not_found');
    return { objectName: name, vendorName: vendor.vendorName ?? name, type: 'vendor', fields: vendor.fields.map((field) => ({ vendorPath: field.name, type: field.type, filterable: false })) };
  }
  const outer = object.chain[object.chain.length - 1]!;
  const filterableVendor = new Set(definition.query?.style === 'parameters' ? definition.query.parameters.map((parameter) => parameter.field) : []);
  const hubObject = object.type === 'ceCanonical' ? canonicalObject(definition.hub, name) : undefined;
  const common = object.type === 'vdr' ? await getObjectDefinition(rt, item.organization, levelOf(item.id), name).then((found) => found ?? getObjectDefinition(rt, item.organization, 'org', name)) : undefined;
  const fields = outer.fields.map((field) => {
    const vendorPath = [...object.chain].reverse().reduce<string | undefined>((path, transformation) => (path === undefined ? undefined : (transformation.fields.find((f) => f.path === path)?.vendorPath ?? path)), field.path);
    const type = common?.definition.fields.find((f) => f.path === field.path)?.type ?? hubObject?.fields.find((f) => f.path === field.path)?.type ?? field.type;
    const filterable = field.filterable ?? (definition.query?.style === 'parameters' ? filterableVendor.has(vendorPath ?? '') : true);
    return { path: field.path, type, vendorPath, vendorType: field.vendorType ?? field.type, filterable };
  });
  return { objectName: name, vendorName: object.vendorName, type: object.type, fields };
}
