// Common resources and transformations on Open Connectors' paths, at three
// levels: the organization (`/organizations/objects/...`,
// `/organizations/elements/{keyOrId}/transformations`), an account
// (`/accounts[/{id}]/objects/...`, `/accounts[/{id}]/elements/{keyOrId}/transformations`;
// without an id the caller's own) and an instance (`/instances/{id}/objects/...`,
// `/instances/{id}/transformations`); an element's own (canonical)
// transformations (`/elements/{keyOrId}/transformations`), and each object's
// metadata (`/objects/{name}/metadata`). Account users reach their account's
// level (its administrators change it) and the instances they may use.
import * as z from 'zod';
import { organizationDirectory, requireAccount } from '../../auth/accounts.js';
import type { PlatformRouter, Principal } from '../../auth/principal.js';
import { jsonBody } from '../../http/body.js';
import { forbidden, HttpError, notFound, unprocessable } from '../../http/errors.js';
import type { HttpRequest } from '../../http/request.js';
import { ok, type HttpResponse } from '../../http/response.js';
import type { Runtime } from '../../runtime.js';
import type { MappingLevel } from '../../store/keys.js';
import { requireElement, type ResolvedElement } from '../catalog.js';
import { BASE, listHeaders } from '../http.js';
import { addressedInstance } from '../instance-access.js';
import type { InstanceItem } from '../instances.js';
import { canonicalObject } from './canonical-objects.js';
import {
  OBJECT_NAME,
  accountLevels,
  definitionFor,
  deleteObjectDefinition,
  deleteObjectDefinitions,
  deleteTransformation,
  effectiveTransformations,
  instanceLevels,
  instanceMappings,
  levelName,
  listObjectDefinitions,
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

/** The instance a request addresses (`:id`, or the Element token), if the caller may use it. */
const instanceOf = (rt: Runtime, request: HttpRequest, principal: Principal) => addressedInstance(rt, request, principal);

/**
 * The account a request addresses (`:accountId`, or the caller's own): an
 * account user reads only its own account's level and changes it only as its
 * administrator; the organization's administrators reach every account.
 */
async function accountOf(rt: Runtime, request: HttpRequest, principal: Principal, write: boolean): Promise<number> {
  const ref = request.params.accountId;
  const org = principal.organization;
  const id = ref === undefined ? (principal.connector?.accountId ?? (await organizationDirectory(rt, org)).defaultAccountId) : /^\d{1,10}$/.test(ref) ? Number(ref) : undefined;
  const member = principal.role !== 'connectoruser' || principal.connector?.accountId === id;
  if (id === undefined || !member) throw notFound(`Account ${ref ?? ''} not found`, 'account_not_found');
  await requireAccount(rt, org, id);
  if (write && principal.role !== 'orgadmin' && !principal.connector?.accountAdmin) {
    throw forbidden('Only an administrator of the account or of the organization may change its common resources', 'insufficient_role');
  }
  return id;
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
    ...(transformation.script ? { script: { body: transformation.script.body, mimeType: 'application/javascript', filterEmptyResponse: false } } : {}),
    isLegacy: transformation.isLegacy === true,
  };
}

/** Object definitions: `{name: {fields}}` in a body that posts several. */
const definitionsMap = z.lazy(() => z.record(z.string().regex(OBJECT_NAME), objectDefinitionSchema));

/** Where a route's level is: `CallerAccount` and `TokenInstance` are the caller's account and the Element token's instance. */
type Scope = 'Organization' | 'CallerAccount' | 'Account' | 'TokenInstance' | 'Instance';
/** The level a request addresses; `write` when it changes it. */
type LevelOf = (request: HttpRequest, rt: Runtime, principal: Principal, write: boolean) => Promise<MappingLevel>;
/** Account and instance levels let account users in: the handlers check what they may reach. */
const userAccessOf = (scope: Scope) => ({
  ...(scope === 'Organization' ? {} : { userAccess: 'own' as const }),
  // Open Connectors' paths without an instance id name the instance with the Element token.
  ...(scope === 'TokenInstance' ? { auth: 'element' as const } : {}),
});
const scopeName = (scope: Scope) => ({ Organization: 'organization', CallerAccount: 'account', Account: 'account', TokenInstance: 'instance', Instance: 'instance' })[scope];

function registerDefinitionRoutes(router: PlatformRouter, prefix: string, scope: Scope, levelFor: LevelOf): void {
  const group = router.group({ tag: 'Common resources', ...userAccessOf(scope) });
  const all = async (request: HttpRequest, rt: Runtime, principal: Principal) => {
    const items = await listObjectDefinitions(rt, principal.organization, await levelFor(request, rt, principal, false));
    return ok(Object.fromEntries(items.map((item) => [item.name, { fields: definitionView(item).fields, level: levelName(item.level) }])));
  };
  group.get(`${prefix}/objects/definitions`, { operationId: `list${scope}ObjectDefinitions`, summary: 'The common resources (object definitions), by name' }, all);
  group.post(`${prefix}/objects/definitions`, { operationId: `create${scope}ObjectDefinitions`, summary: 'Define several common resources at once', body: definitionsMap }, async (request, rt, principal) => {
    const level = await levelFor(request, rt, principal, true);
    const body = jsonBody(request, definitionsMap);
    for (const [name, definition] of Object.entries(body)) await saveObjectDefinition(rt, principal.organization, level, name, definition, 'create');
    return all(request, rt, principal);
  });
  group.delete(`${prefix}/objects/definitions`, { operationId: `delete${scope}ObjectDefinitions`, summary: 'Delete every common resource of this level', description: '409 while transformations of any of them exist.' }, async (request, rt, principal) => {
    await deleteObjectDefinitions(rt, principal.organization, await levelFor(request, rt, principal, true));
    return { status: 200 };
  });
  for (const path of [`${prefix}/objects/:name/definitions`, `${prefix}/objects/definitions/:name`]) {
    const alias = path.endsWith(':name') ? 'ByPath' : '';
    const save = (mode: 'create' | 'replace') => async (request: HttpRequest, rt: Runtime, principal: Principal) => {
      const level = await levelFor(request, rt, principal, true);
      const item = await saveObjectDefinition(rt, principal.organization, level, objectName(request.params.name), jsonBody(request, objectDefinitionSchema), mode);
      return ok(definitionView(item));
    };
    group.get(path, { operationId: `get${scope}ObjectDefinition${alias}`, summary: 'A common resource\'s definition' }, async (request, rt, principal) => {
      const item = await requireObjectDefinition(rt, principal.organization, await levelFor(request, rt, principal, false), objectName(request.params.name));
      return ok(definitionView(item));
    });
    group.post(path, { operationId: `create${scope}ObjectDefinition${alias}`, summary: 'Define a common resource', body: objectDefinitionSchema }, save('create'));
    group.put(path, { operationId: `replace${scope}ObjectDefinition${alias}`, summary: 'Replace a common resource\'s definition', body: objectDefinitionSchema }, save('replace'));
    group.delete(path, { operationId: `delete${scope}ObjectDefinition${alias}`, summary: 'Delete a common resource', description: '409 while transformations of it exist.' }, async (request, rt, principal) => {
      await deleteObjectDefinition(rt, principal.organization, await levelFor(request, rt, principal, true), objectName(request.params.name));
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

/** The levels a transformation route reads (outermost first, the addressed one last) and the element it maps. */
type TransformationTarget = (request: HttpRequest, rt: Runtime, principal: Principal, write: boolean) => Promise<{ levels: MappingLevel[]; element: ResolvedElement }>;

function registerTransformationRoutes(router: PlatformRouter, path: string, scope: Scope, target: TransformationTarget): void {
  const group = router.group({ tag: 'Transformations', ...userAccessOf(scope) });
  const lower = scopeName(scope);
  const effective = async (rt: Runtime, principal: Principal, levels: MappingLevel[], element: ResolvedElement) =>
    effectiveTransformations(rt, principal.organization, levels, element.definition.key);
  group.get(path, { operationId: `list${scope}Transformations`, summary: `The ${lower}'s transformations, by object`, description: 'Each level over the one above: organization, account, instance.' }, async (request, rt, principal) => {
    const { levels, element } = await target(request, rt, principal, false);
    const entries = await effective(rt, principal, levels, element);
    return ok(Object.fromEntries(entries.map((entry) => [entry.name, transformationView(entry, element.definition.key)])), listHeaders(entries.length));
  });
  const save = (mode: 'create' | 'replace') => async (request: HttpRequest, rt: Runtime, principal: Principal): Promise<HttpResponse> => {
    const { levels, element } = await target(request, rt, principal, true);
    const name = objectName(request.params.name);
    const transformation = jsonBody(request, transformationSchema);
    checkVendorName(element, name, transformation.vendorName);
    await saveTransformation(rt, principal.organization, levels, element.definition.key, name, transformation, mode);
    const entry = (await effective(rt, principal, levels, element)).find((candidate) => candidate.name === name)!;
    return ok(transformationView(entry, element.definition.key));
  };
  group.get(`${path}/:name`, { operationId: `get${scope}Transformation`, summary: `The ${lower}'s effective transformation of an object` }, async (request, rt, principal) => {
    const { levels, element } = await target(request, rt, principal, false);
    const name = objectName(request.params.name);
    const entry = (await effective(rt, principal, levels, element)).find((candidate) => candidate.name === name);
    if (!entry) throw notFound(`No ${lower}-level transformation of ${name} for ${element.definition.key}`, 'transformation_not_found');
    return ok(transformationView(entry, element.definition.key));
  });
  group.post(`${path}/:name`, { operationId: `create${scope}Transformation`, summary: 'Map a common resource onto an element\'s object', body: transformationSchema }, save('create'));
  group.put(`${path}/:name`, { operationId: `replace${scope}Transformation`, summary: `Replace the ${lower}'s transformation of an object`, body: transformationSchema }, save('replace'));
  group.delete(`${path}/:name`, { operationId: `delete${scope}Transformation`, summary: `Delete the ${lower}'s own transformation of an object` }, async (request, rt, principal) => {
    const { levels, element } = await target(request, rt, principal, true);
    await deleteTransformation(rt, principal.organization, levels.at(-1)!, element.definition.key, objectName(request.params.name));
    return { status: 200 };
  });
}

async function instanceElement(rt: Runtime, org: string, item: InstanceItem): Promise<ResolvedElement> {
  const element = await requireElement(rt, org, item.elementKey).catch(() => undefined);
  if (!element) throw new HttpError(409, 'element_not_found', `Element ${item.elementKey} of instance ${item.id} no longer exists`);
  return element;
}

export function registerUnifiedRoutes(router: PlatformRouter): void {
  const instanceLevel: LevelOf = async (request, rt, principal) => (await instanceLevels(rt, await instanceOf(rt, request, principal))).at(-1)!;
  const accountLevel: LevelOf = async (request, rt, principal, write) => accountLevels(await accountOf(rt, request, principal, write)).at(-1)!;
  registerDefinitionRoutes(router, `${BASE}/organizations`, 'Organization', async () => 'org');
  // The caller's own account before `/accounts/{id}` takes `objects` for an id.
  registerDefinitionRoutes(router, `${BASE}/accounts`, 'CallerAccount', accountLevel);
  registerDefinitionRoutes(router, `${BASE}/accounts/:accountId`, 'Account', accountLevel);
  // The Element token's instance before `/instances/{id}` takes `objects` for an id.
  registerDefinitionRoutes(router, `${BASE}/instances`, 'TokenInstance', instanceLevel);
  registerDefinitionRoutes(router, `${BASE}/instances/:id`, 'Instance', instanceLevel);

  // The element's own mappings onto its hub's objects (Open Connectors' default transformations).
  router.group({ tag: 'Transformations' }).get(`${BASE}/elements/:keyOrId/transformations`, { operationId: 'listElementTransformations', summary: 'The element\'s canonical objects: its mappings onto its hub\'s objects' }, async (request, rt, principal) => {
    const element = await requireElement(rt, principal.organization, request.params.keyOrId!);
    const level = 'org' as const;
    return ok(Object.fromEntries(Object.entries(element.definition.transformations).map(([name, transformation]) => [name, { ...transformationView({ name, level, transformation, fieldLevels: new Map() }, element.definition.key), level: 'element' }])));
  });

  const ofElement = async (request: HttpRequest, rt: Runtime, principal: Principal) => requireElement(rt, principal.organization, request.params.keyOrId!);
  registerTransformationRoutes(router, `${BASE}/organizations/elements/:keyOrId/transformations`, 'Organization', async (request, rt, principal) => ({ levels: ['org'], element: await ofElement(request, rt, principal) }));
  const ofAccount: TransformationTarget = async (request, rt, principal, write) => ({ levels: accountLevels(await accountOf(rt, request, principal, write)), element: await ofElement(request, rt, principal) });
  registerTransformationRoutes(router, `${BASE}/accounts/elements/:keyOrId/transformations`, 'CallerAccount', ofAccount);
  registerTransformationRoutes(router, `${BASE}/accounts/:accountId/elements/:keyOrId/transformations`, 'Account', ofAccount);
  const ofInstance: TransformationTarget = async (request, rt, principal) => {
    const item = await instanceOf(rt, request, principal);
    return { levels: await instanceLevels(rt, item), element: await instanceElement(rt, principal.organization, item) };
  };
  registerTransformationRoutes(router, `${BASE}/instances/transformations`, 'TokenInstance', ofInstance);
  registerTransformationRoutes(router, `${BASE}/instances/:id/transformations`, 'Instance', ofInstance);

  // Object metadata: fields with their types and whether the vendor filters on them.
  const metadata = async (request: HttpRequest, rt: Runtime, principal: Principal) => {
    const item = await instanceOf(rt, request, principal);
    const element = await instanceElement(rt, principal.organization, item);
    const name = objectName(request.params.name);
    return ok(await objectMetadata(rt, element, item, name));
  };
  router.group({ tag: 'Common resources', auth: 'element', userAccess: 'own' }).get(`${BASE}/objects/:name/metadata`, { operationId: 'getTokenInstanceObjectMetadata', summary: 'The fields of an object of the Element token\'s instance' }, metadata);
  router.group({ tag: 'Common resources', userAccess: 'own' }).get(`${BASE}/instances/:id/objects/:name/metadata`, { operationId: 'getInstanceObjectMetadata', summary: 'The fields of an object of an instance' }, metadata);
}

/** An object's fields as Open Connectors describes them: `vendorPath`, `type`, `filterable`. */
export async function objectMetadata(rt: Runtime, element: ResolvedElement, item: InstanceItem, name: string): Promise<Json> {
  const definition = element.definition;
  const mappings = await instanceMappings(rt, item);
  const object = resolveObject(definition, mappings, name);
  if (!object) {
    const vendor = definition.objects.find((candidate) => candidate.name === name);
    if (!vendor) throw notFound(`Instance ${item.id} has no object ${name}`, 'object_not_found');
    return { objectName: name, vendorName: vendor.vendorName ?? name, type: 'vendor', fields: vendor.fields.map((field) => ({ vendorPath: field.name, type: field.type, filterable: false })) };
  }
  const outer = object.chain[object.chain.length - 1]!;
  const filterableVendor = new Set(definition.query?.style === 'parameters' ? definition.query.parameters.map((parameter) => parameter.field) : []);
  const hubObject = object.type === 'ceCanonical' ? canonicalObject(definition.hub, name) : undefined;
  const common = object.type === 'vdr' ? await definitionFor(rt, item.organization, await instanceLevels(rt, item), name) : undefined;
  const fields = outer.fields.map((field) => {
    const vendorPath = [...object.chain].reverse().reduce<string | undefined>((path, transformation) => (path === undefined ? undefined : (transformation.fields.find((f) => f.path === path)?.vendorPath ?? path)), field.path);
    const type = common?.definition.fields.find((f) => f.path === field.path)?.type ?? hubObject?.fields.find((f) => f.path === field.path)?.type ?? field.type;
    const filterable = field.filterable ?? (definition.query?.style === 'parameters' ? filterableVendor.has(vendorPath ?? '') : true);
    return { path: field.path, type, vendorPath, vendorType: field.vendorType ?? field.type, filterable };
  });
  return { objectName: name, vendorName: object.vendorName, type: object.type, fields };
}
