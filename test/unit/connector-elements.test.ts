// Element definitions, redirect-origin matching and the OAuth client helpers:
// every built-in vendor file passes the schema, bad custom definitions are
// refused with field paths, and the pieces that build vendor requests encode
// what the RFCs say.
import * as oauth from 'oauth4webapi';
import type * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { builtinElementFiles, builtinElements, elementView, parseElement } from '../../shared/connectors/catalog.js';
import { baseUrlOf, deriveKey, elementSchema, fillTemplate, placeholders } from '../../shared/connectors/element-schema.js';
import { legacyElementSchema } from '../../shared/connectors/legacy-element.js';
import { findResource } from '../../shared/connectors/resource-proxy.js';
import { canonicalObject } from '../../shared/connectors/unified/canonical-objects.js';
import { resolveObject } from '../../shared/connectors/unified/objects.js';
import { stripHtml } from '../../shared/connectors/instance-routes.js';
import { authorizationUrl, createPkce, pkceChallenge } from '../../shared/connectors/oauth.js';
import { clientSecretBasic, formEncode } from '../../shared/http/basic-auth.js';
import { isAllowedRedirect, parseOriginPattern } from '../../shared/connectors/redirect-origins.js';
import { encodePathSegment } from '../../shared/connectors/resource-proxy.js';
import { matchResource, PLATFORM_ROUTES } from '../../shared/http/api-routes.js';

const minimal = {
  key: 'acme-crm',
  name: 'Acme CRM',
  baseUrl: 'https://api.acme.example/v1',
  authentication: { type: 'basic' },
};

function issuesOf(value: unknown, schema: z.ZodType = legacyElementSchema): string[] {
  const result = schema.safeParse(value);
  expect(result.success).toBe(false);
  return result.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('built-in elements', () => {
  it('ships at least 25 vendors across at least 5 hubs, each valid against the schema', () => {
    const files = Object.entries(builtinElementFiles());
    expect(files.length).toBeGreaterThanOrEqual(25);
    expect(new Set(builtinElements().map((e) => e.definition.hub)).size).toBeGreaterThanOrEqual(5);
    for (const [file, json] of files) {
      const result = elementSchema.safeParse(json);
      expect(result.error?.issues ?? [], file).toEqual([]);
      expect(`${result.data!.key}.json`).toBe(file);
    }
  });

  it('has unique keys and ids, https vendor URLs, docs links and resources', () => {
    const elements = builtinElements();
    expect(new Set(elements.map((e) => e.definition.key)).size).toBe(elements.length);
    expect(new Set(elements.map((e) => e.definition.id)).size).toBe(elements.length);
    for (const { definition } of elements) {
      const baseUrl = baseUrlOf(definition)!;
      const sample = Object.fromEntries(placeholders(baseUrl).map((name) => [name, name.endsWith('_url') ? 'https://eu1.example.com' : 'acme']));
      expect(new URL(fillTemplate(baseUrl, sample)).protocol, definition.key).toBe('https:');
      expect(definition.docsUrl, definition.key).toMatch(/^https:\/\//);
      expect(definition.resources.length, definition.key).toBeGreaterThan(0);
      if (definition.authentication.type === 'oauth2') {
        expect(definition.authentication.authorizationUrl).toMatch(/^https:\/\//);
        expect(definition.authentication.tokenUrl).toMatch(/^https:\/\//);
      }
    }
  });

  it('maps each element onto its hub\'s objects with paging and a query translation, naming its sources', () => {
    for (const { definition } of builtinElements()) {
      expect(definition.sources?.length, `${definition.key} names the documentation it was checked against`).toBeGreaterThan(0);
      expect(definition.pagination?.style, definition.key).not.toBe('none');
      if (definition.key === 'dropbox') continue; // lists are POST calls with a JSON body: vendor objects only
      expect(definition.query, definition.key).toBeDefined();
      const names = Object.keys(definition.transformations);
      expect(names.length, `${definition.key} has canonical objects`).toBeGreaterThan(0);
      for (const name of names) {
        const hubObject = canonicalObject(definition.hub, name);
        expect(hubObject, `${definition.key}: ${name} is a ${definition.hub} object`).toBeDefined();
        const known = new Set(hubObject!.fields.map((field) => field.path));
        for (const field of definition.transformations[name]!.fields) expect(known.has(field.path), `${definition.key}.${name}.${field.path}`).toBe(true);
        const object = resolveObject(definition, { transformations: [] }, name);
        expect(object, `${definition.key}.${name} maps to a resource`).toBeDefined();
        expect(findResource(definition.resources, 'GET', [object!.resource]), `${definition.key}.${name} can be listed`).toBeDefined();
      }
    }
  });

  it('covers OAuth 2.0, basic and API key vendors, including the Outlook of the SAP walkthrough', () => {
    const byType = (type: string) => builtinElements().filter((e) => e.definition.authentication.type === type).map((e) => e.definition.key);
    expect(byType('oauth2')).toEqual(expect.arrayContaining(['microsoft-outlook', 'salesforce', 'hubspot', 'google-drive', 'slack', 'github', 'dropbox']));
    expect(byType('basic')).toEqual(expect.arrayContaining(['zendesk', 'servicenow']));
    expect(byType('apiKey')).toEqual(expect.arrayContaining(['shopify', 'stripe']));
  });
});

describe('Tollgate\'s first element format', () => {
  it('fills defaults for a minimal definition', () => {
    const parsed = legacyElementSchema.parse({
      ...minimal,
      authentication: { type: 'oauth2', authorizationUrl: 'https://acme.example/authorize', tokenUrl: 'https://acme.example/token' },
    });
    expect(parsed.authentication).toMatchObject({ scopes: [], pkce: false, clientAuth: 'client_secret_basic', refresh: true, tokenExpiry: { refreshBeforeSeconds: 60 } });
    expect(parsed.resources).toEqual([]);
    expect(parsed.timeoutMs).toBe(25_000);
  });

  it('refuses undeclared and secret placeholders', () => {
    expect(issuesOf({ ...minimal, baseUrl: 'https://{tenant}.acme.example' })).toEqual([
      'baseUrl: placeholder {tenant} is neither a configuration field nor captured from the token response',
    ]);
    expect(
      issuesOf({
        ...minimal,
        baseUrl: 'https://{tenant}.acme.example',
        configuration: [{ key: 'tenant', label: 'Tenant', secret: true }],
      }),
    ).toEqual(['baseUrl: placeholder {tenant} must not be a secret field']);
  });

  it('names each bad field', () => {
    const issues = issuesOf({
      key: 'Bad Key',
      name: '',
      baseUrl: 'ftp://files.example',
      authentication: { type: 'oauth2', authorizationUrl: 'https://a.example', tokenUrl: 'not a url', clientAuth: 'private_key_jwt' },
      resources: [{ name: 'x', path: 'no-slash', methods: ['FETCH'] }],
      surprise: true,
    });
    const paths = issues.map((issue) => issue.split(':')[0]);
    expect(paths).toEqual(
      expect.arrayContaining(['key', 'name', 'baseUrl', 'authentication.tokenUrl', 'authentication.clientAuth', 'resources.0.path', 'resources.0.methods.0', '']),
    );
  });

  it('refuses authorization parameters Tollgate sets itself, duplicate resources and reserved configuration keys', () => {
    const issues = issuesOf({
      ...minimal,
      authentication: {
        type: 'oauth2',
        authorizationUrl: 'https://a.example/authorize',
        tokenUrl: 'https://a.example/token',
        authorizationParams: { redirect_uri: 'https://evil.example' },
      },
      configuration: [{ key: 'password', label: 'Password' }],
      resources: [
        { name: 'a', path: '/a', methods: ['GET'] },
        { name: 'a', path: '/b', methods: ['GET'] },
      ],
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        'authentication.authorizationParams: must not set parameters Tollgate sets itself',
        'configuration.0.key: password is set by Tollgate',
        'resources.1.name: duplicate resource name',
      ]),
    );
  });
  it('keeps the API key out of the public configuration fields', () => {
    expect(
      issuesOf({
        ...minimal,
        authentication: { type: 'apiKey', configKey: 'token' },
        configuration: [{ key: 'token', label: 'Token' }],
      }),
    ).toEqual(['authentication.configKey: must not also be a configuration field: the API key is always secret']);
  });
});

describe('element model (Open Connectors JSON)', () => {
  const churros = {
    name: 'Churros DB element',
    description: 'A Churros element',
    authentication: { type: 'basic' },
    configuration: [{ name: 'Base URL', key: 'base.url', description: 'The base URL', defaultValue: 'http://fake.churros.url.com', type: 'TEXTFIELD_1000' }],
  };

  it('derives the key from the name, numbers every part and keeps the base URL in base.url', () => {
    const parsed = elementSchema.parse({
      ...churros,
      resources: [{ path: '/hubs/crm/contacts/{id}', method: 'get', vendorPath: '/v3/contacts/{id}', parameters: [{ name: 'fields', type: 'query' }] }],
      objects: [{ name: 'contacts', fields: [{ name: 'id', type: 'number' }] }],
    });
    expect(parsed.key).toBe('churrosdbelement');
    expect(deriveKey('42 Things!')).toBe('things');
    expect(baseUrlOf(parsed)).toBe('http://fake.churros.url.com');
    expect(parsed.resources[0]).toMatchObject({ method: 'GET', vendorMethod: 'GET', parameters: [{ name: 'fields', type: 'query', required: false }] });
    const ids = [parsed.resources[0]!.id, parsed.resources[0]!.parameters[0]!.id, parsed.objects[0]!.id, parsed.objects[0]!.fields[0]!.id];
    expect(new Set(ids).size).toBe(4);
    expect(parsed.sequence).toBe(Math.max(...(ids as number[])));
  });

  it('reads OAuth endpoints from Open Connectors configuration entries', () => {
    const parsed = elementSchema.parse({
      ...churros,
      authentication: { type: 'oauth2' },
      configuration: [
        ...churros.configuration,
        { key: 'oauth.authorization.url', name: 'Authorization URL', defaultValue: 'https://login.example/authorize' },
        { key: 'oauth.token.url', name: 'Token URL', defaultValue: 'https://login.example/token' },
        { key: 'oauth.scope', name: 'Scope', defaultValue: 'read write' },
      ],
    });
    expect(parsed.authentication).toMatchObject({ type: 'oauth2', authorizationUrl: 'https://login.example/authorize', tokenUrl: 'https://login.example/token', scopes: ['read', 'write'] });
    expect(issuesOf({ ...churros, authentication: { type: 'oauth2' } }, elementSchema)).toEqual(
      expect.arrayContaining(['authentication.authorizationUrl: required (or the oauth.authorization.url configuration entry)']),
    );
  });

  it('refuses a missing or non-http base URL, undeclared placeholders and duplicate routes', () => {
    expect(issuesOf({ ...churros, configuration: [] }, elementSchema)).toEqual(['configuration: needs a base.url entry whose defaultValue is the vendor base URL']);
    expect(issuesOf({ ...churros, configuration: [{ ...churros.configuration[0], defaultValue: 'https://{tenant}.example' }] }, elementSchema)).toEqual([
      'configuration.0.defaultValue: placeholder {tenant} is neither a configuration entry nor captured from the token response',
    ]);
    const twice = { path: '/things', method: 'GET' };
    expect(issuesOf({ ...churros, resources: [twice, { ...twice, path: '/hubs/general/things' }] }, elementSchema)).toEqual(['resources.1.path: duplicate resource GET /things']);
    expect(issuesOf({ ...churros, resources: [{ path: '/a', method: 'GET', vendorPath: '/a/{id}' }] }, elementSchema)).toEqual(['resources.0.vendorPath: {id} is not a parameter of path /a']);
    // A JDBC element's base URL is not http: kept, never called.
    expect(
      elementSchema.safeParse({
        ...churros,
        protocolType: 'jdbc',
        configuration: [{ ...churros.configuration[0], defaultValue: 'jdbc:postgresql://{db.host}/x' }, { key: 'db.host', name: 'Host' }],
      }).success,
    ).toBe(true);
  });

  it('reads the first format into the same model, and shows it as Open Connectors JSON', () => {
    const parsed = parseElement({ ...minimal, configuration: [{ key: 'tenant', label: 'Tenant', secret: true }], resources: [{ name: 'accounts', vendorName: 'Account', path: '/sobjects/Account', methods: ['GET', 'POST'] }] });
    expect(parsed.configuration.map((entry) => [entry.key, entry.type, entry.secret])).toEqual([
      ['base.url', 'TEXTFIELD_1000', false],
      ['tenant', 'PASSWORD', true],
    ]);
    expect(parsed.resources.map((r) => `${r.method} ${r.path} -> ${r.vendorMethod} ${r.vendorPath}`)).toEqual([
      'GET /accounts -> GET /sobjects/Account',
      'POST /accounts -> POST /sobjects/Account',
    ]);
    const view = elementView({ definition: { ...parsed, id: 1001 }, private: true });
    expect(view).toMatchObject({ id: 1001, key: 'acme-crm', hub: 'general', active: true, typeOauth: false, baseUrl: 'https://api.acme.example/v1', private: true });
    expect(view).not.toHaveProperty('sequence');
    expect((view.configuration as object[])[1]).not.toHaveProperty('secret');
    // What GET returns goes back in unchanged.
    expect(parseElement(view, parsed.sequence)).toEqual({ ...parsed, id: 1001 });
  });

  it('matches a call to a resource by method and path, with or without a hub', () => {
    const { resources } = elementSchema.parse({ ...churros, resources: [{ path: '/hubs/crm/contacts/{id}', method: 'GET', vendorPath: '/v3/people/{id}' }, { path: '/contacts', method: 'POST' }] });
    expect(findResource(resources, 'GET', ['contacts', '7'])?.params).toEqual({ id: '7' });
    expect(findResource(resources, 'DELETE', ['contacts', '7'])).toBeUndefined();
    expect(findResource(resources, 'POST', ['contacts'])?.resource.vendorPath).toBe('/contacts');
    expect(findResource(resources, 'GET', ['contacts'])).toBeUndefined();
  });

  it('strips markup from names and tags in linear time', () => {
    expect(stripHtml('<a href="#" onClick="javascript:alert(\'xss\');return false;">churros-xss</a>')).toBe('churros-xss');
    expect(stripHtml('a < b')).toBe('a');
    expect(stripHtml('<'.repeat(100_000))).toBe('');
  });
});

describe('allowed redirect origins', () => {
  const allowed = ['https://app.example.com', 'http://localhost:*', 'https://admin.example.com:8443'];

  it.each([
    ['https://app.example.com/connected?x=1', true],
    ['https://APP.example.com:443/cb', true],
    ['http://localhost:5173/cb', true],
    ['http://localhost/cb', true],
    ['https://admin.example.com:8443/cb', true],
    ['https://admin.example.com/cb', false],
    ['http://app.example.com/cb', false],
    ['https://app.example.com.evil.example/cb', false],
    ['https://evil.example/https://app.example.com', false],
    ['https://user:pass@app.example.com/cb', false],
    ['javascript:alert(1)', false],
    ['//app.example.com/cb', false],
    ['/relative', false],
  ])('%s -> %s', (url, expected) => {
    expect(isAllowedRedirect(url, allowed)).toBe(expected);
  });

  it('parses only plain origins', () => {
    expect(parseOriginPattern('http://localhost:*')).toEqual({ protocol: 'http:', hostname: 'localhost', port: '*' });
    expect(parseOriginPattern('https://app.example.com:443')).toEqual({ protocol: 'https:', hostname: 'app.example.com', port: '' });
    for (const bad of ['https://app.example.com/path', 'ftp://x.example', 'https://*.example.com', 'https://u@x.example', 'app.example.com']) {
      expect(parseOriginPattern(bad), bad).toBeUndefined();
    }
  });
});

describe('OAuth client helpers', () => {
  it('computes the S256 challenge like an independent implementation', async () => {
    const { verifier, challenge } = createPkce();
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(challenge).toBe(await oauth.calculatePKCECodeChallenge(verifier));
    expect(pkceChallenge(verifier)).toBe(challenge);
  });

  it('form-encodes client id and secret before base64 for client_secret_basic (RFC 6749 2.3.1)', () => {
    const header = clientSecretBasic({ clientId: 'app id', clientSecret: 'p@ss:w/rd+&' });
    const decoded = Buffer.from(header.replace(/^Basic /, ''), 'base64').toString('utf8');
    expect(decoded).toBe('app+id:p%40ss%3Aw%2Frd%2B%26');
    expect(formEncode('a b~*')).toBe('a+b%7E*');
  });

  it('builds the authorization URL with PKCE, element parameters and filled placeholders', () => {
    const auth = parseElement({
      ...minimal,
      configuration: [{ key: 'tenant', label: 'Tenant' }],
      authentication: {
        type: 'oauth2',
        authorizationUrl: 'https://login.example/{tenant}/authorize?prompt=login',
        tokenUrl: 'https://login.example/{tenant}/token',
        scopes: ['read', 'write'],
        authorizationParams: { access_type: 'offline' },
      },
    }).authentication;
    if (auth.type !== 'oauth2') throw new Error('expected oauth2');
    const url = new URL(authorizationUrl(auth, { tenant: 'contoso' }, { clientId: 'cid', redirectUri: 'https://tg.example/cb', state: 's', codeChallenge: 'abc' }));
    expect(url.origin + url.pathname).toBe('https://login.example/contoso/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      prompt: 'login',
      response_type: 'code',
      client_id: 'cid',
      redirect_uri: 'https://tg.example/cb',
      scope: 'read write',
      state: 's',
      access_type: 'offline',
      code_challenge: 'abc',
      code_challenge_method: 'S256',
    });
  });

  it('encodes resource path segments once and keeps RFC 3986 sub-delimiters', () => {
    expect(encodePathSegment("users('a b')")).toBe("users('a%20b')");
    expect(encodePathSegment('a/b?c#d')).toBe('a%2Fb%3Fc%23d');
    expect(encodePathSegment('me@x:1')).toBe('me@x:1');
  });
});

describe('API Gateway resources', () => {
  it('sends the hosted callback to the callback function and the rest of /elements to the platform', () => {
    expect(matchResource(PLATFORM_ROUTES, '/elements/api-v2/oauth/callback')?.route.function).toBe('callback');
    expect(matchResource(PLATFORM_ROUTES, '/elements/api-v2/oauth/callbacks')?.route.function).toBe('platform');
    expect(matchResource(PLATFORM_ROUTES, '/elements/api-v2/instances/1')?.route.function).toBe('platform');
    expect(matchResource(PLATFORM_ROUTES, '/elements/api-v2/me/messages')?.route.function).toBe('platform');
  });
});
