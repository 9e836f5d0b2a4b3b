// GET /v1/openapi.json over HTTP: a structurally valid OpenAPI 3.1 document
// that lists every route of the platform, token and callback routers, whose
// request schemas accept the README's bodies and reject what the handlers
// reject, and that carries no secret.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callbackRouter } from '../../shared/connectors/callback-routes.js';
import { tokenRouter } from '../../shared/oauth/token-routes.js';
import { openApiPath } from '../../shared/platform/openapi.js';
import { platformRouter } from '../../shared/platform/platform-router.js';
import { FORM, provisionApp, rawBasic } from '../support/consumers.js';
import { resolvePointer, validateJson } from '../support/json-schema.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const ORG = '/v1/organizations/default';

let platform: TestPlatform;
let doc: Json;
let text: string;
const secrets: string[] = [];

beforeAll(async () => {
  platform = await startPlatform();
  // Secrets of every kind exist before the document is first built.
  const [, user, , organization] = platform.auth.split(/[ ,]+/);
  secrets.push(user!, organization!);
  const other = await platform.addOrganization('other-org');
  secrets.push(...other.split(/[ ,]+/).filter((_part, i) => i % 2 === 1));
  const provider = await platform.request('POST', `${ORG}/apiproviders`, {
    json: { name: 'oc', type: 'OpenConnectors', organizationSecret: 'provider-org-secret-0123456789', userSecret: 'provider-user-secret-0123456789' },
  });
  expect(provider.status).toBe(201);
  secrets.push('provider-org-secret-0123456789', 'provider-user-secret-0123456789');
  const app = await provisionApp(platform);
  secrets.push(app.consumerSecret);
  const dataKey = await platform.local.runtime.secrets.get('data-key');
  if (dataKey) secrets.push(dataKey);

  const response = await platform.request('GET', '/v1/openapi.json', { auth: false });
  expect(response.status).toBe(200);
  text = response.text;
  doc = response.json;
});
afterAll(() => platform.close());

/** Every operation of the document with its path and method. */
function operations(): { path: string; method: string; op: Json }[] {
  return Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, op]) => ({ path, method, op: op as Json })),
  );
}

function allRoutes() {
  return [...platformRouter().routes(), ...tokenRouter().routes(), ...callbackRouter().routes()];
}

/** The operation serving a concrete request path, concrete paths before templated ones (OpenAPI's rule). */
function operationFor(method: string, concretePath: string): { path: string; op: Json } | undefined {
  const candidates = Object.keys(doc.paths as Json)
    .map((template) => {
      const source = template
        .split('/')
        .map((segment, i, all) => (/^\{.+\}$/.test(segment) ? (i === all.length - 1 && segment === '{path}' ? '.+' : '[^/]+') : segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
        .join('/');
      return { template, regex: new RegExp(`^${source}$`), params: (template.match(/\{/g) ?? []).length };
    })
    .filter(({ regex }) => regex.test(concretePath))
    // A catch-all `{path}` only when nothing else matches, then the fewest parameters first.
    .sort((a, b) => Number(a.template.endsWith('{path}')) - Number(b.template.endsWith('{path}')) || a.params - b.params);
  for (const { template } of candidates) {
    const op = doc.paths[template][method.toLowerCase()];
    if (op) return { path: template, op };
  }
  return undefined;
}

function jsonBodySchema(op: Json): Json {
  const schema = op.requestBody?.content?.['application/json']?.schema;
  expect(schema, `${op.operationId} has a JSON request body`).toBeDefined();
  return schema;
}

describe('serving', () => {
  it('answers without credentials, cacheable, with an ETag that revalidates', async () => {
    const response = await platform.request('GET', '/v1/openapi.json', { auth: false });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const etag = response.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    // Built once per container: the same bytes every time.
    expect(response.text).toBe(text);
    const revalidated = await platform.request('GET', '/v1/openapi.json', { auth: false, headers: { 'if-none-match': etag! } });
    expect(revalidated.status).toBe(304);
    expect(revalidated.text).toBe('');
    const stale = await platform.request('GET', '/v1/openapi.json', { auth: false, headers: { 'if-none-match': '"other"' } });
    expect(stale.status).toBe(200);
  });

  it('answers HEAD and refuses other methods', async () => {
    expect((await platform.request('HEAD', '/v1/openapi.json', { auth: false })).status).toBe(200);
    const post = await platform.request('POST', '/v1/openapi.json', { auth: false });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });
});

describe('structure (OpenAPI 3.1, checked offline)', () => {
  it('has the required top-level fields and the issuer as its server', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toEqual(expect.any(String));
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(doc.servers).toEqual([{ url: platform.local.runtime.config.issuer, description: expect.any(String) }]);
    expect(Object.keys(doc.paths).length).toBeGreaterThan(40);
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Error', 'OAuthError']));
    for (const path of Object.keys(doc.paths)) expect(path).toMatch(/^\/[^?#]*$/);
  });

  it('resolves every $ref', () => {
    const refs: string[] = [];
    const walk = (node: unknown) => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === '$ref') refs.push(value as string);
          else walk(value);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(100);
    const unresolved = [...new Set(refs)].filter((ref) => resolvePointer(doc, ref) === undefined);
    expect(unresolved).toEqual([]);
  });

  it('declares every path parameter, and only those, as required', () => {
    for (const { path, method, op } of operations()) {
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((p: Json) => p.in === 'path');
      expect(declared.map((p: Json) => p.name).sort(), `${method} ${path}`).toEqual([...templated].sort());
      for (const parameter of declared) {
        expect(parameter.required, `${method} ${path} ${parameter.name}`).toBe(true);
        expect(parameter.description, `${method} ${path} ${parameter.name}`).toEqual(expect.any(String));
      }
      const names = (op.parameters ?? []).map((p: Json) => `${p.in}:${p.name}`);
      expect(new Set(names).size, `${method} ${path} repeats a parameter`).toBe(names.length);
    }
  });

  it('has unique operation ids and no two paths that differ only in parameter names', () => {
    const ids = operations().map(({ op }) => op.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[A-Za-z][A-Za-z0-9]*$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const shapes = Object.keys(doc.paths).map((path) => path.replace(/\{[^}]+\}/g, '{}'));
    expect(new Set(shapes).size).toBe(shapes.length);
  });

  it('gives each operation a declared tag, responses, and an explicit security requirement', () => {
    const tags = new Set((doc.tags as Json[]).map((tag) => tag.name));
    const schemes = Object.keys(doc.components.securitySchemes);
    for (const { path, method, op } of operations()) {
      const where = `${method} ${path}`;
      expect(op.tags, where).toHaveLength(1);
      expect(tags.has(op.tags[0]), where).toBe(true);
      expect(Object.keys(op.responses).some((status) => /^[23]\d\d$/.test(status)), where).toBe(true);
      for (const response of Object.values(op.responses) as Json[]) expect(response.description ?? response.$ref, where).toBeTruthy();
      expect(Array.isArray(op.security), where).toBe(true);
      for (const requirement of op.security) for (const name of Object.keys(requirement)) expect(schemes, where).toContain(name);
      if (op.requestBody) expect(Object.keys(op.requestBody.content).length, where).toBeGreaterThan(0);
    }
  });

  it('describes the security schemes of the platform header, management users and the token endpoints', () => {
    const { platformAuth, managementBasic, managementBearer, clientSecretBasic, clientSecretPost } = doc.components.securitySchemes;
    expect(managementBasic).toMatchObject({ type: 'http', scheme: 'basic' });
    expect(managementBearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(platformAuth).toMatchObject({ type: 'apiKey', in: 'header', name: 'Authorization' });
    expect(platformAuth.description).toContain('User <secret>, Organization <secret>[, Element <token>]');
    expect(clientSecretBasic).toMatchObject({ type: 'http', scheme: 'basic' });
    expect(clientSecretPost).toMatchObject({ type: 'oauth2', flows: { clientCredentials: { tokenUrl: `${platform.local.runtime.config.issuer}/oauth/token` } } });

    const security = (method: string, path: string) => doc.paths[path][method].security;
    for (const path of ['/healthz', '/v1/openapi.json', '/elements/api-v2/docs', '/.well-known/jwks.json', '/.well-known/oauth-authorization-server', '/elements/api-v2/oauth/callback']) {
      expect(security('get', path), path).toEqual([]);
    }
    expect(security('options', '/elements/api-v2/{path}')).toEqual([]);
    // The vendor calls the connector events' webhook receiver: its signature is the proof, not platform credentials.
    expect(security('post', '/elements/api-v2/events/{elementKey}/{receiverId}')).toEqual([]);
    for (const path of ['/oauth/token', '/oauth/introspect', '/oauth/revoke']) {
      expect(security('post', path), path).toEqual([{ clientSecretBasic: [] }, { clientSecretPost: [] }]);
      expect(doc.paths[path].post.responses.default.$ref).toBe('#/components/responses/OAuthError');
    }
    for (const { path, method, op } of operations()) {
      // The developer portal's routes: open, or a developer session (test/e2e/portal.test.ts).
      if (path.startsWith('/v1/organizations/{org}/portal/')) {
        expect([[], [{ developerAuth: [] }]], `${method} ${path}`).toContainEqual(op.security);
        continue;
      }
      const management = path.startsWith('/v1/organizations/') || path.startsWith('/v1/users') || path.startsWith('/apiportal/');
      const open = path.endsWith('/oauth/callback') || path === '/elements/api-v2/docs' || path.startsWith('/elements/api-v2/events/') || method === 'options';
      const connectors = path.startsWith('/elements/') && !open;
      if (management || connectors) {
        // The connectors API answers errors in Open Connectors' shape.
        const prefix = connectors ? 'Connector' : '';
        expect(op.security, `${method} ${path}`).toEqual(management ? [{ platformAuth: [] }, { managementBasic: [] }, { managementBearer: [] }] : [{ platformAuth: [] }]);
        expect(op.responses['401'].$ref, `${method} ${path}`).toBe(`#/components/responses/${prefix}Unauthorized`);
        expect(op.responses.default.$ref, `${method} ${path}`).toBe(`#/components/responses/${prefix}Error`);
      }
    }
  });

  it('publishes the error shapes that errors have', async () => {
    const error = doc.components.schemas.Error;
    expect(error.required).toEqual(['error', 'requestId']);
    expect(error.properties.error.required).toEqual(['code', 'message']);
    expect(error.properties.error.properties.fields.type).toBe('array');
    const unauthorized = await platform.request('GET', `${ORG}/apis`, { auth: false });
    expect(unauthorized.status).toBe(401);
    expect(validateJson(error, unauthorized.json, doc)).toEqual([]);
    const invalid = await platform.request('POST', `${ORG}/apis`, { json: { name: '-x' } });
    expect(invalid.status).toBe(422);
    expect(validateJson(error, invalid.json, doc)).toEqual([]);
    const connectorError = doc.components.schemas.ConnectorError;
    expect(connectorError.required).toEqual(['requestId', 'message', 'code']);
    const unknown = await platform.request('GET', '/elements/api-v2/elements/no-such-element');
    expect(unknown.status).toBe(404);
    expect(validateJson(connectorError, unknown.json, doc)).toEqual([]);
    // The router authenticates the client before the endpoint reads the grant: 401 first, then 400.
    const anonymous = await platform.request('POST', '/oauth/token', { auth: false, body: 'grant_type=password', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(anonymous.status).toBe(401);
    expect(validateJson(doc.components.schemas.OAuthError, anonymous.json, doc)).toEqual([]);
    const client = await provisionApp(platform);
    const token = await platform.request('POST', '/oauth/token', { auth: rawBasic(client.consumerKey, client.consumerSecret), body: 'grant_type=password', headers: FORM });
    expect(token.status).toBe(400);
    expect(validateJson(doc.components.schemas.OAuthError, token.json, doc)).toEqual([]);
  });
});

describe('completeness', () => {
  it('lists every route of the platform, token and callback routers, and nothing else', () => {
    const expected = new Set<string>();
    for (const route of allRoutes()) {
      const { path } = openApiPath(route.pattern);
      const methods = route.method === 'ANY' ? ['get', 'post', 'put', 'patch', 'delete'] : [route.method.toLowerCase()];
      for (const method of methods) expected.add(`${method} ${path}`);
    }
    const published = new Set(operations().map(({ method, path }) => `${method} ${path}`));
    expect([...expected].filter((operation) => !published.has(operation))).toEqual([]);
    expect([...published].filter((operation) => !expected.has(operation))).toEqual([]);
    expect(expected.size).toBeGreaterThan(100);
  });

  it('converts :param and a trailing *rest to path parameters', () => {
    expect(openApiPath('/v1/organizations/:org/apis/:api')).toEqual({
      path: '/v1/organizations/{org}/apis/{api}',
      params: [
        { name: 'org', rest: false },
        { name: 'api', rest: false },
      ],
    });
    expect(openApiPath('/elements/api-v2/*path').path).toBe('/elements/api-v2/{path}');
    const rest = doc.paths['/elements/api-v2/{path}'].get.parameters.find((p: Json) => p.name === 'path');
    expect(rest.description).toMatch(/one or more segments/);
    expect(doc.paths['/elements/api-v2/{path}'].get.description).toMatch(/Element <token>/);
  });

  it('gives the main routes a summary and the schema their handler validates with', () => {
    for (const { path, method, op } of operations()) expect(op.summary, `${method} ${path}`).toEqual(expect.any(String));
    const bodies: [string, string][] = [
      ['post', `/v1/organizations/{org}/apis`],
      ['post', `/v1/organizations/{org}/apiproviders`],
      ['post', `/v1/organizations/{org}/keyvaluemaps`],
      ['post', `/apiportal/api/1.0/Management.svc/KeyMapEntries`],
      ['post', `/v1/organizations/{org}/apiproducts`],
      ['post', `/v1/organizations/{org}/developers`],
      ['post', `/v1/organizations/{org}/developers/{email}/apps`],
      ['post', `/elements/api-v2/elements`],
      ['post', `/elements/api-v2/instances`],
    ];
    for (const [method, path] of bodies) {
      const schema = resolvePointer(doc, jsonBodySchema(doc.paths[path][method]).$ref) as Json;
      // An object, or one of several (the provider types, the two element formats).
      for (const variant of (schema.oneOf ?? schema.anyOf ?? [schema]) as Json[]) {
        expect(variant.type, `${method} ${path}`).toBe('object');
        expect(Object.keys(variant.properties).length, `${method} ${path}`).toBeGreaterThan(1);
      }
    }
    const token = doc.paths['/oauth/token'].post.requestBody.content['application/x-www-form-urlencoded'].schema;
    expect(resolvePointer(doc, token.$ref)).toMatchObject({ properties: { grant_type: { const: 'client_credentials' } } });
  });
});

interface ReadmeCall {
  method: string;
  path: string;
  body: unknown;
}

/** Every `curl ... -d '{json}'` of the README's shell blocks, with `$BASE`/`$ORG` expanded. */
function readmeJsonCalls(): ReadmeCall[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const calls: ReadmeCall[] = [];
  // One shell session, as a reader would follow along: later blocks use earlier assignments.
  const vars: Record<string, string> = {};
  for (const block of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const expand = (value: string) => value.replace(/\$(\w+)/g, (_m, name: string) => vars[name] ?? `$${name}`);
    for (const assignment of block[1]!.matchAll(/^(?:[A-Z]+=\S+;?\s*)+$/gm)) {
      for (const [, name, value] of assignment[0].matchAll(/([A-Z]+)=([^;\s]+)/g)) vars[name!] = expand(value!);
    }
    for (const call of block[1]!.matchAll(/curl -s (?:-X (\w+) )?("?[^\s"]+"?)((?:(?!curl )[\s\S])*?)-d '([^']*)'/g)) {
      const [, method, rawUrl, , body] = call;
      if (!body!.trim().startsWith('{')) continue;
      const url = new URL(expand(rawUrl!.replace(/"/g, '')));
      calls.push({ method: method ?? 'POST', path: decodeURIComponent(url.pathname), body: JSON.parse(body!) });
    }
  }
  return calls;
}

describe('request schemas', () => {
  it('accept every JSON body of the README', () => {
    const calls = readmeJsonCalls();
    expect(calls.length).toBeGreaterThanOrEqual(10);
    const proxies = calls.filter((call) => call.path === `${ORG}/apis`);
    expect(proxies.length).toBeGreaterThanOrEqual(3);
    for (const call of calls) {
      const found = operationFor(call.method, call.path);
      expect(found, `${call.method} ${call.path}`).toBeDefined();
      expect(validateJson(jsonBodySchema(found!.op), call.body, doc), `${call.method} ${call.path}`).toEqual([]);
    }
  });

  it('accept what the handlers accept and reject what they reject', async () => {
    // The README's first proxy that needs no API provider created beforehand.
    const model = readmeJsonCalls().find((call) => call.path === `${ORG}/apis` && !JSON.stringify(call.body).includes('"provider"'))!.body as Json;
    const schema = jsonBodySchema(doc.paths['/v1/organizations/{org}/apis'].post);
    const samples: [name: string, body: Json, valid: boolean][] = [
      ['the README proxy model', model, true],
      ['a minimal model', { name: 'minimal', proxyEndpoints: [{ basePath: '/minimal' }] }, true],
      ['no proxy endpoint yet (Apigee\'s empty proxy)', { name: 'none', proxyEndpoints: [] }, true],
      ['a base path without /', { name: 'slash', proxyEndpoints: [{ basePath: 'slash' }] }, false],
      ['a bad name', { name: '-bad', proxyEndpoints: [{ basePath: '/bad' }] }, false],
      ['a policy without type', { name: 'typeless', policies: [{ name: 'p' }], proxyEndpoints: [{ basePath: '/typeless' }] }, false],
      ['a timeout of the wrong type', { name: 'timeout', proxyEndpoints: [{ basePath: '/t' }], targetEndpoints: [{ connection: { url: 'http://127.0.0.1:1', readTimeoutMs: 'soon' } }] }, false],
    ];
    for (const [name, body, valid] of samples) {
      expect(validateJson(schema, body, doc).length === 0, name).toBe(valid);
      const response = await platform.request('POST', `${ORG}/apis`, { json: body });
      expect(response.status, `${name} ${response.text}`).toBe(valid ? 201 : 422);
    }

    const provider = jsonBodySchema(doc.paths['/v1/organizations/{org}/apiproviders'].post);
    const providers: [Json, boolean][] = [
      [{ name: 'internet', type: 'Internet', url: 'https://backend.example' }, true],
      [{ name: 'ftp', type: 'Ftp', url: 'https://backend.example' }, false],
      [{ name: 'nourl', type: 'Internet' }, false],
    ];
    for (const [body, valid] of providers) {
      expect(validateJson(provider, body, doc).length === 0, JSON.stringify(body)).toBe(valid);
      expect((await platform.request('POST', `${ORG}/apiproviders`, { json: body })).status, JSON.stringify(body)).toBe(valid ? 201 : 422);
    }
  });
});

describe('secrets', () => {
  it('appear nowhere in the document', () => {
    expect(secrets.length).toBeGreaterThanOrEqual(7);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThanOrEqual(16);
      expect(text.includes(secret), 'a secret is in the document').toBe(false);
    }
    expect(text).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);
    expect(text).not.toMatch(/"d"\s*:\s*"/);
  });
});
