// An element's API as Swagger 2.0, the format of Open Connectors' per-element
// and per-instance docs: each resource under `/elements/api-v2`, its path
// parameters, its declared parameters, and the platform header.
import type { ElementDefinition, ElementParameter, Transformation } from './element-schema.js';
import { placeholders } from './element-schema.js';
import { firstSegment } from './unified/objects.js';

type Json = Record<string, unknown>;

const SWAGGER_TYPES = new Set(['string', 'integer', 'number', 'boolean', 'array', 'file']);
const LOCATIONS: Partial<Record<ElementParameter['type'], string>> = { query: 'query', header: 'header', path: 'path', body: 'body', form: 'formData', multipart: 'formData' };

function parameterObject(parameter: ElementParameter): Json | undefined {
  const location = LOCATIONS[parameter.type];
  if (!location) return undefined;
  const base: Json = { name: parameter.name, in: location, required: location === 'path' || parameter.required };
  if (parameter.description) base.description = parameter.description;
  if (location === 'body') return { ...base, name: 'body', schema: { type: 'object' } };
  const type = SWAGGER_TYPES.has(parameter.dataType) ? parameter.dataType : 'string';
  return type === 'array' ? { ...base, type, items: { type: 'string' } } : { ...base, type };
}

const TYPES: Record<string, Json> = { number: { type: 'number' }, boolean: { type: 'boolean' }, date: { type: 'string', format: 'date-time' }, object: { type: 'object' }, array: { type: 'array', items: {} } };

/** A model of an object's records from its mapping's fields (dotted paths nest). */
function model(transformation: Transformation): Json {
  const root: Json = { type: 'object', properties: {} };
  for (const field of transformation.fields) {
    let node = root;
    const parts = field.path.split('.');
    parts.forEach((part, index) => {
      const properties = (node.properties ??= {}) as Record<string, Json>;
      if (index === parts.length - 1) properties[part] = { ...(TYPES[field.type] ?? { type: 'string' }), ...(field.vendorPath ? { 'x-vendor-path': field.vendorPath } : {}) };
      else node = properties[part] ??= { type: 'object', properties: {} };
    });
  }
  return root;
}

const CEQL_PARAMETERS: Json[] = [
  { name: 'where', in: 'query', required: false, type: 'string', description: "CEQL: `lastName = 'Smith' AND email LIKE '%@example.com'`" },
  { name: 'fields', in: 'query', required: false, type: 'string', description: 'The fields to return, comma-separated' },
  { name: 'orderBy', in: 'query', required: false, type: 'string', description: '`field asc|desc, ...`, where the vendor can sort' },
  { name: 'pageSize', in: 'query', required: false, type: 'integer', description: 'Records per page, 1-500 (default 200)' },
  { name: 'nextPage', in: 'query', required: false, type: 'string', description: 'The elements-next-page-token of the previous page' },
];

const AUTHORIZATION: Json = { name: 'Authorization', in: 'header', required: true, type: 'string', description: 'User <secret>, Organization <secret>, Element <instance token>' };
const capitalized = (name: string) => name.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase()).replace(/^./, (c) => c.toUpperCase());

/**
 * The paths of the element's canonical objects and, for an instance, its
 * common resources: each over the element resources it maps, with CEQL and
 * paging on lists and the object's model from its mapping.
 */
function unifiedPaths(definition: ElementDefinition, objects: { name: string; resource: string; transformation: Transformation; type: string }[], paths: Record<string, Record<string, Json>>, definitions: Record<string, Json>): void {
  for (const object of objects) {
    const Name = capitalized(object.name);
    definitions[object.name] = { ...model(object.transformation), 'x-object-type': object.type, 'x-vendor-name': object.transformation.vendorName };
    const ref = { $ref: `#/definitions/${object.name}` };
    const has = (method: string, withId: boolean) => definition.resources.some((resource) => resource.method === method && firstSegment(resource.path) === object.resource && placeholders(resource.path).length === (withId ? 1 : 0));
    const list: Record<string, Json> = {};
    const one: Record<string, Json> = {};
    const tags = [object.name];
    const id = { name: 'id', in: 'path', required: true, type: 'string' };
    const body = { name: 'body', in: 'body', required: true, schema: ref };
    if (has('GET', false)) list.get = { operationId: `get${Name}`, summary: `List ${object.name} (${object.type})`, tags, parameters: [AUTHORIZATION, ...CEQL_PARAMETERS], responses: { 200: { description: 'OK', schema: { type: 'array', items: ref }, headers: { 'elements-next-page-token': { type: 'string' }, 'elements-total-count': { type: 'integer' } } } } };
    if (has('POST', false)) list.post = { operationId: `create${Name}`, summary: `Create a record of ${object.name}`, tags, parameters: [AUTHORIZATION, body], responses: { 200: { description: 'OK', schema: ref } } };
    if (has('GET', true)) one.get = { operationId: `get${Name}ById`, summary: `Get a record of ${object.name}`, tags, parameters: [AUTHORIZATION, id, CEQL_PARAMETERS[1]], responses: { 200: { description: 'OK', schema: ref } } };
    for (const method of ['PATCH', 'PUT'] as const) if (has(method, true)) one[method.toLowerCase()] = { operationId: `${method === 'PATCH' ? 'update' : 'replace'}${Name}ById`, summary: `Change a record of ${object.name}`, tags, parameters: [AUTHORIZATION, id, body], responses: { 200: { description: 'OK', schema: ref } } };
    if (has('DELETE', true)) one.delete = { operationId: `delete${Name}ById`, summary: `Delete a record of ${object.name}`, tags, parameters: [AUTHORIZATION, id], responses: { 200: { description: 'OK' } } };
    // A canonical object shadows the vendor resource of the same path.
    for (const [path, operations] of [[`/${object.name}`, list], [`/${object.name}/{id}`, one]] as const) {
      for (const existing of Object.keys(paths)) if (existing.replace(/\{[^}]+\}/g, '{id}') === path) delete paths[existing];
      if (Object.keys(operations).length) paths[path] = operations;
    }
  }
}

export interface DocsObject {
  name: string;
  type: 'ceCanonical' | 'vdr';
  resource: string;
  /** The mapping from the element's records to the object's (the outermost of its chain). */
  transformation: Transformation;
}

export function elementDocs(definition: ElementDefinition, publicUrl: string, objects?: DocsObject[]): Json {
  const url = new URL(publicUrl);
  const paths: Record<string, Record<string, Json>> = {};
  for (const resource of definition.resources) {
    const method = resource.method.toLowerCase();
    const parameters: Json[] = [
      { name: 'Authorization', in: 'header', required: true, type: 'string', description: 'User <secret>, Organization <secret>, Element <instance token>' },
    ];
    const seen = new Set(['header:Authorization']);
    const add = (parameter: Json | undefined) => {
      if (!parameter) return;
      const key = `${String(parameter.in)}:${String(parameter.name)}`;
      if (seen.has(key) || (parameter.in === 'body' && [...seen].some((name) => name.startsWith('body:') || name.startsWith('formData:')))) return;
      if (parameter.in === 'formData' && [...seen].some((name) => name.startsWith('body:'))) return;
      seen.add(key);
      parameters.push(parameter);
    };
    for (const name of placeholders(resource.path)) add({ name, in: 'path', required: true, type: 'string' });
    for (const parameter of resource.parameters) if (parameter.source === 'request') add(parameterObject(parameter));
    // Swagger wants each path parameter once in the path; a declared one not in the path cannot be.
    const inPath = new Set(placeholders(resource.path));
    const operation: Json = {
      summary: resource.description ?? `${resource.method} ${resource.path}`,
      operationId: `${resource.method.toLowerCase()}${capitalized(resource.path.replace(/\{[^}]+\}/g, 'By'))}`,
      tags: [resource.path.replace(/^\/hubs\/[^/]+/, '').split('/').find(Boolean) ?? definition.key],
      parameters: parameters.filter((parameter) => parameter.in !== 'path' || inPath.has(String(parameter.name))),
      responses: { 200: { description: 'OK' } },
    };
    (paths[resource.path] ??= {})[method] = operation;
  }
  const definitions: Record<string, Json> = {};
  const canonical = Object.entries(definition.transformations).flatMap(([name, transformation]) => {
    const resource = definition.resources.find((candidate) => firstSegment(candidate.path) === name) ?? definition.resources.find((candidate) => candidate.object?.name === transformation.vendorName);
    return resource ? [{ name, type: 'ceCanonical', resource: firstSegment(resource.path), transformation }] : [];
  });
  unifiedPaths(definition, [...canonical.filter((entry) => !objects?.some((object) => object.name === entry.name)), ...(objects ?? [])], paths, definitions);
  return {
    swagger: '2.0',
    info: { title: definition.name, description: definition.description || definition.name, version: 'api-v2' },
    host: url.host,
    basePath: '/elements/api-v2',
    schemes: [url.protocol.replace(':', '')],
    consumes: ['application/json'],
    produces: ['application/json'],
    paths,
    definitions,
  };
}
