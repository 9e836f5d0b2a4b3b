// An element's or instance's docs as OpenAPI 3.0, for clients that read only
// that version. Open Connectors serves Swagger 2.0 (element-docs.ts), so that
// stays the default; `?format=openapi3` asks for this translation of the same
// document: `definitions` become `components.schemas`, body and form
// parameters a `requestBody`, response schemas and headers `content` and
// header schemas, host and base path one server. Only what element-docs.ts
// writes is translated: it is not a converter for any Swagger document.
import { badRequest } from '../http/errors.js';

type Json = Record<string, unknown>;

export const DOCS_FORMATS = ['swagger2', 'openapi3'] as const;
export type DocsFormat = (typeof DOCS_FORMATS)[number];

export const DOCS_FORMAT_QUERY = {
  format: { description: '`swagger2` (default, as Open Connectors serves it) or `openapi3`.', enum: DOCS_FORMATS },
} as const;

/** The format a docs request asks for: `?format=`, Swagger 2.0 when absent. */
export function docsFormat(query: URLSearchParams): DocsFormat {
  const format = query.get('format') ?? 'swagger2';
  if (!(DOCS_FORMATS as readonly string[]).includes(format)) throw badRequest(`format must be one of ${DOCS_FORMATS.join(', ')}`);
  return format as DocsFormat;
}

/** Rewrites `#/definitions/X` references to `#/components/schemas/X`, everywhere in a value. */
function withComponentRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withComponentRefs);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key, key === '$ref' && typeof inner === 'string' ? inner.replace(/^#\/definitions\//, '#/components/schemas/') : withComponentRefs(inner)]),
  );
}

/** A Swagger 2.0 parameter's type fields as a schema (`file` is binary). */
function schemaOf(parameter: Json): Json {
  if (parameter.type === 'file') return { type: 'string', format: 'binary' };
  return { type: parameter.type ?? 'string', ...(parameter.items ? { items: parameter.items } : {}), ...(parameter.format ? { format: parameter.format } : {}) };
}

function operation3(operation: Json, consumes: string[]): Json {
  const { parameters = [], responses = {}, ...rest } = operation as { parameters?: Json[]; responses?: Record<string, Json> } & Json;
  const out: Json = { ...rest };
  const plain = parameters.filter((parameter) => parameter.in !== 'body' && parameter.in !== 'formData');
  out.parameters = plain.map(({ type: _type, items: _items, format: _format, ...parameter }) => ({ ...parameter, schema: schemaOf({ type: _type, items: _items, format: _format }) }));
  const body = parameters.find((parameter) => parameter.in === 'body');
  const form = parameters.filter((parameter) => parameter.in === 'formData');
  if (body) {
    out.requestBody = { required: Boolean(body.required), content: Object.fromEntries(consumes.map((type) => [type, { schema: body.schema ?? {} }])) };
  } else if (form.length) {
    const properties = Object.fromEntries(form.map((parameter) => [String(parameter.name), { ...schemaOf(parameter), ...(parameter.description ? { description: parameter.description } : {}) }]));
    const required = form.filter((parameter) => parameter.required).map((parameter) => String(parameter.name));
    const type = form.some((parameter) => parameter.type === 'file') ? 'multipart/form-data' : 'application/x-www-form-urlencoded';
    out.requestBody = { required: required.length > 0, content: { [type]: { schema: { type: 'object', properties, ...(required.length ? { required } : {}) } } } };
  }
  out.responses = Object.fromEntries(
    Object.entries(responses).map(([status, response]) => {
      const { schema, headers, ...restOfResponse } = response as { schema?: Json; headers?: Record<string, Json> } & Json;
      return [
        status,
        {
          ...restOfResponse,
          ...(schema ? { content: { 'application/json': { schema } } } : {}),
          ...(headers ? { headers: Object.fromEntries(Object.entries(headers).map(([name, header]) => [name, { schema: schemaOf(header) }])) } : {}),
        },
      ];
    }),
  );
  return out;
}

/** The OpenAPI 3.0 form of a Swagger 2.0 document of element-docs.ts. */
export function toOpenApi3(swagger: Json): Json {
  const { swagger: _version, host, basePath, schemes, consumes, produces: _produces, paths = {}, definitions = {}, ...rest } = swagger as {
    swagger: string;
    host: string;
    basePath: string;
    schemes: string[];
    consumes?: string[];
    produces?: string[];
    paths?: Record<string, Record<string, Json>>;
    definitions?: Record<string, Json>;
  } & Json;
  const bodyTypes = consumes?.length ? consumes : ['application/json'];
  const paths3 = Object.fromEntries(
    Object.entries(paths).map(([path, operations]) => [path, Object.fromEntries(Object.entries(operations).map(([method, operation]) => [method, operation3(operation, bodyTypes)]))]),
  );
  return withComponentRefs({
    openapi: '3.0.3',
    ...rest,
    servers: [{ url: `${schemes[0] ?? 'https'}://${host}${basePath}` }],
    paths: paths3,
    components: { schemas: definitions },
  }) as Json;
}

/** The docs in the format asked for. */
export function inFormat(swagger: Json, format: DocsFormat): Json {
  return format === 'openapi3' ? toOpenApi3(swagger) : swagger;
}
