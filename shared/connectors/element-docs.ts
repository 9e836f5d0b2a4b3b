// An element's API as Swagger 2.0, the format of Open Connectors' per-element
// and per-instance docs: each resource under `/elements/api-v2`, its path
// parameters, its declared parameters, and the platform header.
import type { ElementDefinition, ElementParameter } from './element-schema.js';
import { placeholders } from './element-schema.js';

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

export function elementDocs(definition: ElementDefinition, publicUrl: string): Json {
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
      tags: [resource.path.replace(/^\/hubs\/[^/]+/, '').split('/').find(Boolean) ?? definition.key],
      parameters: parameters.filter((parameter) => parameter.in !== 'path' || inPath.has(String(parameter.name))),
      responses: { 200: { description: 'OK' } },
    };
    (paths[resource.path] ??= {})[method] = operation;
  }
  return {
    swagger: '2.0',
    info: { title: definition.name, description: definition.description || definition.name, version: 'api-v2' },
    host: url.host,
    basePath: '/elements/api-v2',
    schemes: [url.protocol.replace(':', '')],
    consumes: ['application/json'],
    produces: ['application/json'],
    paths,
  };
}
