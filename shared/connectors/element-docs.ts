// `GET /elements/api-v2/elements/{keyOrId}/docs` (Open Connectors serves an
// element's API docs at the same path): an OpenAPI 3.1 document of the
// element's resources as Tollgate serves them, `/elements/api-v2{path}`, with
// the platform header plus `Element <instance token>` as the security scheme.
// The console renders it with Try it out for one instance.
import type { ResolvedElement } from './catalog.js';

type Json = Record<string, unknown>;

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export function elementOpenApi(element: ResolvedElement, serverUrl: string): Json {
  const { definition } = element;
  const paths: Record<string, Json> = {};
  for (const resource of definition.resources) {
    const parameters = [...resource.path.matchAll(/\{([^}]+)\}/g)].map((match) => ({
      name: match[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const operations: Json = {};
    for (const method of resource.methods) {
      operations[method.toLowerCase()] = {
        tags: [resource.name],
        operationId: `${method.toLowerCase()}_${resource.name}`,
        summary: `${method} ${resource.vendorName ?? resource.name}`,
        ...(resource.description ? { description: resource.description } : {}),
        ...(parameters.length ? { parameters } : {}),
        ...(BODY_METHODS.has(method)
          ? { requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } } } }
          : {}),
        responses: {
          '200': { description: `The vendor's answer, passed through.` },
          '401': { description: 'Missing or wrong platform header or Element token.' },
          default: { description: 'An Open Connectors error: `{message, requestId, providerMessage}`.' },
        },
      };
    }
    paths[resource.path] = { ...(paths[resource.path] ?? {}), ...operations };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: `${definition.name} (${definition.key})`,
      version: String(definition.id ?? 1),
      description: `${definition.description ?? ''}\n\nCalls go to ${definition.baseUrl} through Tollgate with the instance's vendor credentials.`.trim(),
    },
    servers: [{ url: serverUrl.replace(/\/+$/, '') + '/elements/api-v2' }],
    security: [{ instance: [] }],
    components: {
      securitySchemes: {
        instance: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: '`User <secret>, Organization <secret>, Element <instance token>`',
        },
      },
    },
    tags: definition.resources.map((resource) => ({ name: resource.name, ...(resource.description ? { description: resource.description } : {}) })),
    paths,
  };
}
