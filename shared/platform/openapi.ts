// `GET /v1/openapi.json`: the OpenAPI 3.1 document of the platform API, built
// from the routers that serve it (platform, token service, hosted OAuth
// callback) so it cannot drift from them. Request bodies are the zod schemas
// the handlers validate with, converted by zod's own JSON Schema generator.
import * as z from 'zod';
import type { DocSchema, RegisteredRoute, ResponseDoc, RouteDoc } from '../http/router.js';
import { OAUTH_ERROR_CODES } from '../oauth/errors.js';
import packageJson from '../../package.json' with { type: 'json' };

type Json = Record<string, unknown>;

/** Methods an `ANY` route is documented with. */
const ANY_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

const TAGS: [name: string, description: string][] = [
  ['Health', 'Liveness of the platform.'],
  ['Platform', 'This description of the API.'],
  ['Organizations', 'The caller\'s organization and its settings (Apigee Edge `organizations`).'],
  ['API proxies', 'Apigee-style API proxies: immutable revisions from the JSON proxy model or an Apigee bundle zip.'],
  ['Environments', 'Environments, their virtual hosts, and the deployments of proxy revisions in them (served by the runtime plane, one base URL per environment).'],
  ['Management users', 'People and tools that call the management API with Basic (email and password) or a Bearer management token; one role per organization: `orgadmin`, `readonly`, or `connectoruser` (an Open Connectors account user).'],
  ['Key value maps', 'Key value maps at organization, environment and API proxy scope; values of encrypted maps read back as `*****`.'],
  ['API providers', 'Named backends of proxies (SAP API Management): Internet, OpenConnectors, CloudIntegration. Their secrets are stored and never returned.'],
  ['API products', 'Bundles of proxies, scopes and quota that apps subscribe to.'],
  ['Developers', 'The developers that own apps.'],
  ['Apps', 'Developer apps and their credentials (consumer key and secret, the OAuth client id and secret).'],
  ['Developer portal', 'The developer portal: sign-up and sign-in of developers, the product catalog, and the signed-in developer\'s own apps.'],
  ['Signing keys', 'The token service\'s signing keys and their rotation.'],
  ['Elements', 'The connector catalog (Open Connectors elements): built-in vendors and the organization\'s own.'],
  ['Instances', 'Connector instances: an element connected to one vendor account, addressed by its instance token.'],
  ['Resource calls', 'Calls to a vendor API through a connector instance.'],
  ['Accounts and users', 'Open Connectors\' organization > accounts > users: accounts, their users (management users with their own user secrets and instances) and roles.'],
  ['Token service', 'OAuth 2.0 client credentials tokens (RFC 6749), introspection (RFC 7662) and revocation (RFC 7009).'],
  ['Discovery', 'Authorization server metadata (RFC 8414) and the public signing keys.'],
  ['Hosted OAuth', 'The redirect URI Tollgate hosts for connector OAuth: vendors send browsers here.'],
];

const PATH_PARAMS: Record<string, string> = {
  org: 'Organization name; must be one the caller belongs to (403 otherwise).',
  role: 'Role name: `orgadmin`, `readonly` or `connectoruser`.',
  api: 'API proxy name.',
  rev: 'Revision number.',
  env: 'Environment name (`test` and `prod` exist by default).',
  map: 'Key value map name.',
  key: 'Entry name, or consumer key, depending on the path.',
  name: 'Name of the resource.',
  email: 'Email address (case-insensitive): of a developer (or the developer id), or of a management user under `/users` and `userroles`.',
  app: 'Developer app name.',
  appId: 'App id.',
  product: 'API product name.',
  keyOrId: 'Element key (e.g. `salesforce`) or numeric element id.',
  id: 'Numeric connector instance id.',
};

const MULTIPART_FILE: Json = {
  type: 'object',
  required: ['file'],
  properties: { file: { type: 'string', contentMediaType: 'application/zip', description: 'The bundle zip.' } },
};

const REST_PARAM = 'The rest of the path: one or more segments, `/` included (Tollgate matches it greedily).';

const ERROR_SCHEMA: Json = {
  type: 'object',
  description: 'Error of the management and connectors API.',
  required: ['error', 'requestId'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Stable machine-readable code, e.g. `unauthorized`, `not_found`, `validation_failed`.' },
        message: { type: 'string', description: 'What went wrong, for people.' },
        fields: {
          type: 'array',
          description: 'With `validation_failed` (422): each offending field.',
          items: {
            type: 'object',
            required: ['path', 'message'],
            properties: {
              path: { type: 'string', description: 'Dotted path of the field, e.g. `proxyEndpoints.0.basePath`; `(body)` for the body itself.' },
              message: { type: 'string' },
            },
          },
        },
      },
    },
    requestId: { type: 'string', description: 'Also in the `x-request-id` header; quote it when reporting a problem.' },
  },
};

const CONNECTOR_ERROR_SCHEMA: Json = {
  type: 'object',
  description: 'Error of the connectors API, in Open Connectors\' shape.',
  required: ['requestId', 'message', 'code'],
  properties: {
    requestId: { type: 'string', description: 'Also in the `Elements-Request-Id` and `x-request-id` headers.' },
    message: { type: 'string', description: 'What went wrong, for people.' },
    code: { type: 'string', description: 'Stable machine-readable code, e.g. `unauthorized`, `not_found`, `validation_failed`.' },
    providerMessage: { type: 'string', description: 'What the vendor said, when the error comes from the vendor.' },
    fields: {
      type: 'array',
      description: 'With `validation_failed` (422): each offending field.',
      items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

const OAUTH_ERROR_SCHEMA: Json = {
  type: 'object',
  description: 'RFC 6749 section 5.2 error of the token service.',
  required: ['error'],
  properties: {
    error: {
      type: 'string',
      enum: [...OAUTH_ERROR_CODES],
    },
    error_description: { type: 'string' },
  },
};

const errorResponse = (description: string, schema = 'Error'): Json => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
});
const oauthErrorResponse = (description: string, headers?: Json): Json => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/json': { schema: { $ref: '#/components/schemas/OAuthError' } } },
});

const PLATFORM_ERROR_RESPONSES = ['BadRequest', 'Unauthorized', 'Forbidden', 'NotFound', 'PayloadTooLarge', 'UnsupportedMediaType', 'ValidationFailed', 'Error'] as const;

/** The connectors API's errors: the same statuses, in Open Connectors' shape (`Connector` + the platform response's name). */
function connectorResponses(): Json {
  const out: Json = {};
  for (const name of PLATFORM_ERROR_RESPONSES) {
    const platform = PLATFORM_RESPONSES[name] as Json;
    out[`Connector${name}`] = { ...platform, content: { 'application/json': { schema: { $ref: '#/components/schemas/ConnectorError' } } } };
  }
  return out;
}

const PLATFORM_RESPONSES: Json = {
  BadRequest: errorResponse('Malformed request: body that is not JSON, unknown `action`, bad parameter.'),
  Unauthorized: {
    ...errorResponse('Missing, malformed or wrong credentials.'),
    headers: {
      'WWW-Authenticate': {
        description: 'The challenges of the schemes the route accepts: `Basic`, `Bearer` and `User` (the platform header) on management routes, `User` on connector routes.',
        schema: { type: 'string' },
      },
    },
  },
  Forbidden: errorResponse('The `{org}` in the path is not one of the caller\'s organizations, or the caller\'s role does not allow the operation (a readonly user writing).'),
  NotFound: errorResponse('No such resource in the caller\'s organization (another organization\'s resources are never visible).'),
  PayloadTooLarge: errorResponse('The body is larger than the route accepts (1 MiB for JSON).'),
  UnsupportedMediaType: errorResponse('The body\'s `Content-Type` is not one the route accepts.'),
  ValidationFailed: errorResponse('The body or a parameter does not fit the schema; `error.fields` names each problem.'),
  Error: errorResponse('Any other error: 405 (with `Allow`), 409 duplicate or in use, 429, 500, 503 when a dependency is unavailable (retry).'),
};

const COMPONENT_RESPONSES: Json = {
  ...PLATFORM_RESPONSES,
  ...connectorResponses(),
  OAuthBadRequest: oauthErrorResponse('`invalid_request`, `unsupported_grant_type`, `invalid_scope` ...'),
  OAuthInvalidClient: oauthErrorResponse('`invalid_client`: client authentication failed.', {
    'WWW-Authenticate': { description: 'Basic challenge.', schema: { type: 'string' } },
  }),
  OAuthError: oauthErrorResponse('Any other error of the token service, e.g. 503 `temporarily_unavailable`.'),
};

function securitySchemes(issuer: string): Json {
  return {
    managementBasic: {
      type: 'http',
      scheme: 'basic',
      description: 'A management user\'s email and password (what apigeetool `-u`/`-p` sends). Role `orgadmin`: everything; `readonly`: reads only.',
    },
    managementBearer: {
      type: 'http',
      scheme: 'bearer',
      description: 'A management access token from `POST /v1/users/{email}/tokens` (opaque, 30 minutes), with the user\'s roles.',
    },
    platformAuth: {
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
      description:
        'The Open Connectors platform header: `User <secret>, Organization <secret>[, Element <token>]`. The organization secret names the ' +
        'organization, the user secret one of its users: the organization\'s own user secret its organization user (orgadmin), an account ' +
        'user\'s secret that user, with its role. Connector resource calls add the instance token as `Element <token>`.',
    },
    developerAuth: {
      type: 'http',
      scheme: 'bearer',
      description: 'A developer portal session (`POST /v1/organizations/{org}/portal/sessions`): reaches the signed-in developer\'s own apps only.',
    },
    clientSecretBasic: {
      type: 'http',
      scheme: 'basic',
      description: 'client_secret_basic (RFC 6749 2.3.1): the app\'s consumer key and secret, each form-urlencoded, as HTTP Basic credentials.',
    },
    clientSecretPost: {
      type: 'oauth2',
      description:
        'client_secret_post (RFC 6749 2.3.1): `client_id` and `client_secret` (the app\'s consumer key and secret) in the form body. ' +
        'The client credentials grant at the token URL issues the Bearer tokens that proxies verify (OAuthV2 VerifyAccessToken).',
      flows: { clientCredentials: { tokenUrl: `${issuer}/oauth/token`, scopes: {} } },
    },
  };
}

function security(doc: RouteDoc): Json[] {
  switch (doc.auth) {
    case 'management':
      return [{ platformAuth: [] }, { managementBasic: [] }, { managementBearer: [] }];
    case 'platform':
    case 'element':
      return [{ platformAuth: [] }];
    case 'client':
      return [{ clientSecretBasic: [] }, { clientSecretPost: [] }];
    case 'developer':
      return [{ developerAuth: [] }];
    default:
      return [];
  }
}

/** What the route needs of the caller's role, as the router enforces it. */
function roleNote(doc: RouteDoc, method: string): string {
  const access = doc.access ?? (method === 'get' || method === 'head' ? 'read' : 'write');
  const users = doc.userAccess === 'own' ? ' `connectoruser`: what it owns.' : doc.userAccess === 'read' && access === 'read' ? ' `connectoruser` too.' : '';
  if (access === 'read') return `Roles: \`orgadmin\`, \`readonly\`.${users}`;
  return access === 'secret' ? `Role: \`orgadmin\` (the answer holds secret values).${users}` : `Role: \`orgadmin\`.${users}`;
}

/** `/v1/organizations/:org/apis/*rest` -> `/v1/organizations/{org}/apis/{rest}` and its parameter names. */
export function openApiPath(pattern: string): { path: string; params: { name: string; rest: boolean }[] } {
  const params: { name: string; rest: boolean }[] = [];
  const segments = pattern
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      if (segment.startsWith(':') || segment.startsWith('*')) {
        const name = segment.slice(1) || 'rest';
        params.push({ name, rest: segment.startsWith('*') });
        return `{${name}}`;
      }
      return segment;
    });
  return { path: `/${segments.join('/')}`, params };
}

const pascal = (text: string) =>
  text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');

function derivedOperationId(method: string, path: string): string {
  return method + pascal(path.replace(/[{}]/g, ''));
}

/** Collects the zod schemas an operation uses and names them once, by identity. */
class SchemaCollector {
  private readonly registry = z.registry<{ id: string }>();
  private readonly names = new Map<z.ZodType, string>();
  private readonly taken = new Set<string>();

  ref(given: DocSchema, name: string): Json {
    const schema = typeof given === 'function' ? given() : given;
    let id = this.names.get(schema);
    if (!id) {
      id = name;
      for (let n = 2; this.taken.has(id); n++) id = `${name}${n}`;
      this.taken.add(id);
      this.names.set(schema, id);
      this.registry.add(schema, { id });
    }
    return { $ref: `#/components/schemas/${id}` };
  }

  schemas(): Record<string, Json> {
    if (this.names.size === 0) return {};
    const converted = z.toJSONSchema(this.registry, {
      target: 'draft-2020-12',
      io: 'input',
      unrepresentable: 'any',
      uri: (id) => `#/components/schemas/${id}`,
    }).schemas;
    const out: Record<string, Json> = {};
    for (const [id, schema] of Object.entries(converted)) {
      // The OpenAPI document is the schemas' base: no per-schema dialect or id.
      const { $schema: _dialect, $id: _id, ...rest } = schema as Json;
      out[id] = rest;
    }
    return out;
  }
}

/** A small standalone schema (a query parameter) inline. */
function inlineSchema(given: DocSchema): Json {
  const schema = typeof given === 'function' ? given() : given;
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
}

function responseObject(status: number, value: string | ResponseDoc, schemas: SchemaCollector, operationId: string): Json {
  const response: ResponseDoc = typeof value === 'string' ? { description: value } : value;
  const out: Json = { description: response.description };
  if (response.headers) {
    out.headers = Object.fromEntries(
      Object.entries(response.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }]),
    );
  }
  const types = typeof response.type === 'string' ? [response.type] : [...(response.type ?? [])];
  if (response.schema && types.length === 0) types.push('application/json');
  if (types.length) {
    const schema = response.schema ? schemas.ref(response.schema, `${pascal(operationId)}${status === 200 ? '' : status}Response`) : undefined;
    out.content = Object.fromEntries(types.map((type, i) => [type, i === 0 && schema ? { schema } : {}]));
  }
  return out;
}

function operation(route: RegisteredRoute, method: string, path: string, pathParams: { name: string; rest: boolean }[], schemas: SchemaCollector): Json {
  const doc = route.doc;
  const baseId = doc.operationId ?? derivedOperationId(method, path);
  const operationId = route.method === 'ANY' && doc.operationId ? `${baseId}${pascal(method)}` : baseId;
  const parameters: Json[] = pathParams.map(({ name, rest }) => ({
    name,
    in: 'path',
    required: true,
    description: doc.params?.[name] ?? (rest ? REST_PARAM : (PATH_PARAMS[name] ?? name)),
    schema: { type: 'string' },
  }));
  for (const [name, query] of Object.entries(doc.query ?? {})) {
    const schema = query.schema ? inlineSchema(query.schema) : query.enum ? { type: 'string', enum: [...query.enum] } : { type: 'string' };
    parameters.push({ name, in: 'query', required: query.required ?? false, description: query.description, schema });
  }

  const out: Json = { operationId, tags: [doc.tag ?? 'Platform'] };
  if (doc.summary) out.summary = doc.summary;
  const description = [
    doc.description,
    doc.auth === 'element' ? 'Requires the `Element <token>` part of the platform header.' : undefined,
    doc.auth === 'management' && doc.scope !== 'global' ? roleNote(doc, method) : undefined,
    route.aliases.length ? `Also served at ${route.aliases.map((alias) => `\`${openApiPath(alias).path}\``).join(' and ')}.` : undefined,
  ]
    .filter(Boolean)
    .join('\n\n');
  if (description) out.description = description;
  if (parameters.length) out.parameters = parameters;

  const hasBody = Boolean(doc.body || doc.bodies) && method !== 'get' && method !== 'delete';
  if (hasBody) {
    const content: Json = {};
    if (doc.body) content['application/json'] = { schema: schemas.ref(doc.body, `${pascal(operationId)}Request`) };
    for (const [type, schema] of Object.entries(doc.bodies ?? {})) {
      if (schema !== 'binary') content[type] = { schema: schemas.ref(schema, `${pascal(operationId)}Request`) };
      else if (type === 'multipart/form-data') content[type] = { schema: MULTIPART_FILE };
      // Passed through as is: any JSON value, or bytes of that media type.
      else content[type] = type.endsWith('json') ? {} : { schema: { type: 'string', contentMediaType: type } };
    }
    out.requestBody = { required: !doc.bodyOptional, content };
  }

  const responses: Json = {};
  const documented = doc.responses ?? { 200: 'OK' };
  for (const [status, value] of Object.entries(documented)) responses[status] = responseObject(Number(status), value, schemas, operationId);
  const prefix = doc.errors === 'connectors' ? 'Connector' : '';
  const ref = (name: string) => ({ $ref: `#/components/responses/${OAUTH_RESPONSE.test(name) ? name : prefix + name}` });
  const add = (status: number, name: string) => {
    responses[status] ??= ref(name);
  };
  if (doc.errors === 'oauth') {
    add(400, 'OAuthBadRequest');
    if (doc.auth === 'client') add(401, 'OAuthInvalidClient');
    responses.default ??= ref('OAuthError');
  } else {
    if (hasBody || doc.query) add(400, 'BadRequest');
    if (doc.auth === 'management' || doc.auth === 'platform' || doc.auth === 'element' || doc.auth === 'developer') add(401, 'Unauthorized');
    if (doc.auth === 'management' || pathParams.some((p) => p.name === 'org')) add(403, 'Forbidden');
    if (pathParams.length) add(404, 'NotFound');
    // A body taken as is is neither checked for its media type nor validated.
    const validated = hasBody && (Boolean(doc.body) || Object.values(doc.bodies ?? {}).some((schema) => schema !== 'binary'));
    if (hasBody) add(413, 'PayloadTooLarge');
    if (validated) add(415, 'UnsupportedMediaType');
    if (validated || doc.query) add(422, 'ValidationFailed');
    responses.default ??= ref('Error');
  }
  out.responses = responses;
  out.security = security(doc);
  return out;
}

const OAUTH_RESPONSE = /^OAuth/;

export interface OpenApiOptions {
  /** The deployment's public base URL (the token issuer). */
  issuer: string;
  routes: readonly RegisteredRoute[];
}

/** The OpenAPI 3.1 document of the given routes. The first route of a method and path wins, as in the routers. */
export function buildOpenApiDocument({ issuer, routes }: OpenApiOptions): Json {
  const schemas = new SchemaCollector();
  const paths: Record<string, Record<string, Json>> = {};
  const operationIds = new Set<string>();
  const usedTags = new Set<string>();

  for (const route of routes) {
    const { path, params } = openApiPath(route.pattern);
    const methods = route.method === 'ANY' ? ANY_METHODS : [route.method.toLowerCase()];
    for (const method of methods) {
      const item = (paths[path] ??= {});
      if (item[method]) continue;
      const op = operation(route, method, path, params, schemas);
      let id = op.operationId as string;
      for (let n = 2; operationIds.has(id); n++) id = `${op.operationId as string}${n}`;
      op.operationId = id;
      operationIds.add(id);
      usedTags.add((op.tags as string[])[0]!);
      item[method] = op;
    }
  }

  const known = new Map(TAGS);
  const tags = [
    ...TAGS.filter(([name]) => usedTags.has(name)).map(([name, description]) => ({ name, description })),
    ...[...usedTags].filter((name) => !known.has(name)).map((name) => ({ name })),
  ];

  return {
    openapi: '3.1.0',
    info: {
      title: 'Tollgate platform API',
      version: packageJson.version,
      summary: 'Management (Apigee Edge and SAP API Management paths), OAuth 2.0 token service and connectors (Open Connectors paths).',
      description:
        'The platform API of one Tollgate deployment. Management calls live under `/v1/organizations/{org}` (Apigee Edge) and ' +
        '`/apiportal` (SAP API Management); the token service under `/oauth` and `/.well-known`; connectors under ' +
        '`/elements/api-v2` (Open Connectors). Management routes also answer at `/v1/o/{org}/...` and `/environments/{env}` at `/e/{env}`, as ' +
        'apigeetool builds them. Deployed API proxies are not served here: the runtime plane serves them, one base URL per environment. ' +
        'Errors are JSON with a stable code (`Error`); the token endpoints answer RFC 6749 errors (`OAuthError`).',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: issuer, description: 'This deployment (the token issuer).' }],
    tags,
    paths,
    components: {
      schemas: { Error: ERROR_SCHEMA, ConnectorError: CONNECTOR_ERROR_SCHEMA, OAuthError: OAUTH_ERROR_SCHEMA, ...schemas.schemas() },
      responses: COMPONENT_RESPONSES,
      securitySchemes: securitySchemes(issuer),
    },
  };
}
