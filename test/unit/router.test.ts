import { describe, expect, it } from 'vitest';
import { HttpError } from '../../shared/http/errors.js';
import type { HttpRequest } from '../../shared/http/request.js';
import { ok } from '../../shared/http/response.js';
import { Router } from '../../shared/http/router.js';
import { matchResource, PLATFORM_ROUTES, RUNTIME_ROUTES } from '../../shared/http/api-routes.js';
import { testRequest } from '../support/requests.js';

const request = (method: string, path: string): HttpRequest => testRequest(method, path);

const router = new Router<null>({ auth: 'none' })
  .get('/v1/organizations/:org/apis/:api', async (req) => ok(req.params))
  .delete('/v1/organizations/:org/apis/:api', async () => ok('deleted'))
  .get('/files/*path', async (req) => ok(req.params));

describe('Router', () => {
  it('captures and decodes parameters', async () => {
    const response = await router.handle(request('GET', '/v1/organizations/acme/apis/my%20api'), null);
    expect(JSON.parse(String(response.body))).toEqual({ org: 'acme', api: 'my api' });
  });

  it('ignores a trailing slash', async () => {
    const response = await router.handle(request('GET', '/v1/organizations/acme/apis/x/'), null);
    expect(response.status).toBe(200);
  });

  it('captures the rest of the path', async () => {
    const response = await router.handle(request('GET', '/files/a/b/c.txt'), null);
    expect(JSON.parse(String(response.body))).toEqual({ path: 'a/b/c.txt' });
  });

  it('answers 405 with Allow when only the method is wrong', async () => {
    const error = await router.handle(request('PUT', '/v1/organizations/acme/apis/x'), null).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(405);
    expect((error as HttpError).headers?.allow).toBe('GET, DELETE');
  });

  it('answers 404 for unknown paths', async () => {
    const error = (await router.handle(request('GET', '/nope'), null).catch((e: unknown) => e)) as HttpError;
    expect(error.status).toBe(404);
  });

  it('serves HEAD with the GET handler', async () => {
    const response = await router.handle(request('HEAD', '/files/x'), null);
    expect(response.status).toBe(200);
  });
});

describe('Router route list and documentation', () => {
  const documented = () => {
    const root = new Router<null>({ auth: 'platform', errors: 'platform' }, { authenticators: { platform: async () => ({ via: 'platform', organization: 'acme', roles: { acme: 'orgadmin' } }) } });
    root.get('/healthz', { auth: 'none', summary: 'Health' }, async () => ok('up'));
    const group = root.group({ tag: 'Things' });
    group.post('/things/:id', { summary: 'Change a thing' }, async (req) => ok(req.params));
    group.on('ANY', '/things/:id/*rest', async (req) => ok(req.params));
    root.delete('/things/:id', async () => ok('deleted'));
    return root;
  };

  it('lists every route in registration order, groups included, with its documentation over the defaults', () => {
    expect(documented().routes()).toEqual([
      { method: 'GET', pattern: '/healthz', doc: { auth: 'none', errors: 'platform', summary: 'Health' }, aliases: [] },
      { method: 'POST', pattern: '/things/:id', doc: { auth: 'platform', errors: 'platform', tag: 'Things', summary: 'Change a thing' }, aliases: [] },
      { method: 'ANY', pattern: '/things/:id/*rest', doc: { auth: 'platform', errors: 'platform', tag: 'Things' }, aliases: [] },
      { method: 'DELETE', pattern: '/things/:id', doc: { auth: 'platform', errors: 'platform' }, aliases: [] },
    ]);
  });

  it('matches documented and grouped routes exactly like plain ones', async () => {
    const router = documented();
    expect(JSON.parse(String((await router.handle(request('POST', '/things/a%20b'), null)).body))).toEqual({ id: 'a b' });
    expect(JSON.parse(String((await router.handle(request('PUT', '/things/a/x/y'), null)).body))).toEqual({ id: 'a', rest: 'x/y' });
    expect(JSON.parse(String((await router.handle(request('DELETE', '/things/a'), null)).body))).toBe('deleted');
    const error = (await router.handle(request('GET', '/things/a'), null).catch((e: unknown) => e)) as HttpError;
    expect(error.status).toBe(405);
    expect(error.headers?.allow).toBe('POST, DELETE');
  });

  it('hands out copies: the list cannot change the routes', () => {
    const router = documented();
    router.routes()[0]!.pattern = '/changed';
    expect(router.routes()[0]!.pattern).toBe('/healthz');
  });
});

describe('API Gateway resource matching', () => {
  it.each([
    ['/healthz', '/healthz', null],
    ['/v1/organizations/x', '/v1/{proxy+}', { proxy: 'organizations/x' }],
    ['/elements/api-v2/elements', '/elements/{proxy+}', { proxy: 'api-v2/elements' }],
    ['/oauth/token', '/oauth/token', null],
  ])('platform %s -> %s', (path, resource, params) => {
    const match = matchResource(PLATFORM_ROUTES, path)!;
    expect(match.route.resource).toBe(resource);
    expect(match.pathParameters).toEqual(params);
  });

  it.each(['/weather/today', '/v1', '/healthz/x', '/consoles'])('the platform serves nothing else: %s', (path) => {
    expect(matchResource(PLATFORM_ROUTES, path)).toBeUndefined();
  });

  it.each(['/', '/console', '/console/apis/x', '/portal', '/docs'])('the platform\'s pages go to the web function: %s', (path) => {
    expect(matchResource(PLATFORM_ROUTES, path)!.route.function).toBe('web');
  });

  it.each([
    ['/', '/', null],
    ['/weather/today', '/{proxy+}', { proxy: 'weather/today' }],
    ['/v1/samples/hello', '/{proxy+}', { proxy: 'v1/samples/hello' }],
    ['/oauth', '/{proxy+}', { proxy: 'oauth' }],
    ['/healthz', '/{proxy+}', { proxy: 'healthz' }],
  ])('runtime %s -> %s (no reserved path)', (path, resource, params) => {
    const match = matchResource(RUNTIME_ROUTES, path)!;
    expect(match.route.function).toBe('proxy');
    expect(match.route.resource).toBe(resource);
    expect(match.pathParameters).toEqual(params);
  });
});

describe('Router authentication and authorization', () => {
  const principalOf = (roles: Record<string, 'orgadmin' | 'readonly'>) => async () => ({ via: 'basic' as const, organization: '', roles });
  const echoPrincipal = async (req: HttpRequest, _ctx: null, principal: { organization: string; role?: string }) => ok({ org: principal.organization, role: principal.role, params: req.params });
  const make = (roles: Record<string, 'orgadmin' | 'readonly'>) => {
    const router = new Router<null>({ auth: 'management' }, { authenticators: { management: principalOf(roles) } });
    router.alias('/v1/o/:org', '/v1/organizations/:org').alias('/v1/organizations/:org/e/:env', '/v1/organizations/:org/environments/:env');
    router.get('/v1/organizations/:org/environments/:env/apis', echoPrincipal);
    router.post('/v1/organizations/:org/apis', echoPrincipal);
    router.get('/v1/organizations/:org/secrets', { access: 'secret' }, echoPrincipal);
    router.get('/elements/things', echoPrincipal);
    router.get('/healthz', { auth: 'none' }, echoPrincipal);
    return router;
  };
  const body = (response: { body?: unknown }) => JSON.parse(String(response.body));
  const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as HttpError);

  it('refuses, at registration, a route without a scheme or with one it cannot check', () => {
    expect(() => new Router<null>().get('/x', async () => ok(1))).toThrow(/declares no auth/);
    expect(() => new Router<null>({ auth: 'element' }).get('/x', async () => ok(1))).toThrow(/no authenticator/);
  });

  it('hands the handler the principal narrowed to the path\'s organization and role', async () => {
    const response = await make({ acme: 'readonly' }).handle(request('GET', '/v1/organizations/acme/environments/prod/apis'), null);
    expect(body(response)).toEqual({ org: 'acme', role: 'readonly', params: { org: 'acme', env: 'prod' } });
  });

  it('refuses another organization, a readonly write and a readonly secret read with 403', async () => {
    const router = make({ acme: 'readonly' });
    expect((await failure(router.handle(request('GET', '/v1/organizations/other/environments/prod/apis'), null)))?.status).toBe(403);
    expect((await failure(router.handle(request('POST', '/v1/organizations/acme/apis'), null)))?.code).toBe('insufficient_role');
    expect((await failure(router.handle(request('GET', '/v1/organizations/acme/secrets'), null)))?.message).toMatch(/secret/);
    const admin = make({ acme: 'orgadmin' });
    expect((await admin.handle(request('GET', '/v1/organizations/acme/secrets'), null)).status).toBe(200);
  });

  it('acts in the caller\'s only organization where the path names none, and refuses to guess among several', async () => {
    expect(body(await make({ acme: 'orgadmin' }).handle(request('GET', '/elements/things'), null)).org).toBe('acme');
    expect((await failure(make({ acme: 'orgadmin', beta: 'orgadmin' }).handle(request('GET', '/elements/things'), null)))?.status).toBe(403);
  });

  it('serves /v1/o/{org} and /e/{env} as the routes they stand for, and lists them once with their aliases', async () => {
    const router = make({ acme: 'orgadmin' });
    expect(body(await router.handle(request('GET', '/v1/o/acme/e/prod/apis'), null)).params).toEqual({ org: 'acme', env: 'prod' });
    expect(body(await router.handle(request('GET', '/v1/organizations/acme/e/test/apis'), null)).params).toEqual({ org: 'acme', env: 'test' });
    // Only the segment after {org} is the alias: `e` elsewhere is an ordinary segment.
    expect((await failure(router.handle(request('GET', '/v1/organizations/acme/apis/e/x'), null)))?.status).toBe(404);
    const listed = router.routes().find((route) => route.pattern === '/v1/organizations/:org/environments/:env/apis')!;
    expect(listed.aliases).toEqual(['/v1/o/:org/environments/:env/apis', '/v1/organizations/:org/e/:env/apis']);
    expect(router.routes()).toHaveLength(5);
  });

  it('runs `none` routes without asking any authenticator', async () => {
    expect(body(await make({}).handle(request('GET', '/healthz'), null)).org).toBe('');
  });

  it('lets the connectoruser role only into routes open to it: reads marked `read`, anything marked `own`', async () => {
    const router = new Router<null>({ auth: 'management' }, { authenticators: { management: async () => ({ via: 'platform' as const, organization: '', roles: { acme: 'connectoruser' as const } }) } });
    router.get('/catalog', { userAccess: 'read' }, echoPrincipal);
    router.post('/catalog', { userAccess: 'read' }, echoPrincipal);
    router.get('/catalog/secrets', { userAccess: 'read', access: 'secret' }, echoPrincipal);
    router.post('/mine', { userAccess: 'own' }, echoPrincipal);
    router.get('/mine/secrets', { userAccess: 'own', access: 'secret' }, echoPrincipal);
    router.get('/admin', echoPrincipal);
    expect(body(await router.handle(request('GET', '/catalog'), null)).role).toBe('connectoruser');
    expect(body(await router.handle(request('POST', '/mine'), null)).role).toBe('connectoruser');
    expect((await router.handle(request('GET', '/mine/secrets'), null)).status).toBe(200);
    for (const [method, path] of [['POST', '/catalog'], ['GET', '/catalog/secrets'], ['GET', '/admin']]) {
      expect((await failure(router.handle(request(method!, path!), null)))?.code, `${method} ${path}`).toBe('insufficient_role');
    }
  });
});
