import { describe, expect, it } from 'vitest';
import { HttpError } from '../../shared/http/errors.js';
import type { HttpRequest } from '../../shared/http/request.js';
import { ok } from '../../shared/http/response.js';
import { Router } from '../../shared/http/router.js';
import { matchResource } from '../../shared/http/api-routes.js';
import { testRequest } from '../support/requests.js';

const request = (method: string, path: string): HttpRequest => testRequest(method, path);

const router = new Router<null>()
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
    const root = new Router<null>({ auth: 'platform', errors: 'platform' });
    root.get('/healthz', { auth: 'none', summary: 'Health' }, async () => ok('up'));
    const group = root.group({ tag: 'Things' });
    group.post('/things/:id', { summary: 'Change a thing' }, async (req) => ok(req.params));
    group.on('ANY', '/things/:id/*rest', async (req) => ok(req.params));
    root.delete('/things/:id', async () => ok('deleted'));
    return root;
  };

  it('lists every route in registration order, groups included, with its documentation over the defaults', () => {
    expect(documented().routes()).toEqual([
      { method: 'GET', pattern: '/healthz', doc: { auth: 'none', errors: 'platform', summary: 'Health' } },
      { method: 'POST', pattern: '/things/:id', doc: { auth: 'platform', errors: 'platform', tag: 'Things', summary: 'Change a thing' } },
      { method: 'ANY', pattern: '/things/:id/*rest', doc: { auth: 'platform', errors: 'platform', tag: 'Things' } },
      { method: 'DELETE', pattern: '/things/:id', doc: { auth: 'platform', errors: 'platform' } },
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
    ['/', '/', null],
    ['/weather/today', '/{proxy+}', { proxy: 'weather/today' }],
    ['/v1', '/{proxy+}', { proxy: 'v1' }],
    ['/healthz/x', '/{proxy+}', { proxy: 'healthz/x' }],
  ])('%s -> %s', (path, resource, params) => {
    const match = matchResource(path)!;
    expect(match.route.resource).toBe(resource);
    expect(match.pathParameters).toEqual(params);
  });
});
