// The two planes: the runtime serves deployed proxies only, with no reserved
// path, per environment; requests are routed by (virtual host, base path), and
// one organization can never take over another's path space.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend, type BackendHandler } from '../support/backend.js';
import { bundle, proxyEndpoint, targetEndpoint } from '../support/bundles.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { deployProxy, simpleProxy } from '../support/proxies.js';

let platform: TestPlatform;
let alpha: Backend;
let bravo: Backend;
let bravoAuth: string;

const tagged = (tag: string): BackendHandler => (request, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ backend: tag, url: request.url, authorization: request.headers.authorization ?? null }));
};

beforeAll(async () => {
  platform = await startPlatform();
  [alpha, bravo] = await Promise.all([startBackend(tagged('alpha')), startBackend(tagged('bravo'))]);
  bravoAuth = await platform.addOrganization('bravo');
});
afterAll(async () => {
  await platform.close();
  await Promise.all([alpha.close(), bravo.close()]);
});

async function importAndDeploy(name: string, zipped: Buffer, options: { org?: string; auth?: string; env?: string } = {}) {
  const org = options.org ?? 'default';
  const auth = options.auth ?? platform.auth;
  const imported = await platform.request('POST', `/v1/organizations/${org}/apis?action=import&name=${name}`, { auth, body: zipped, headers: { 'content-type': 'application/octet-stream' } });
  expect(imported.status, imported.text).toBe(201);
  return platform.request('POST', `/v1/organizations/${org}/environments/${options.env ?? 'prod'}/apis/${name}/revisions/${imported.json.revision}/deployments`, { auth });
}

/** A GET to the prod runtime with this Host header (fetch will not send one of its own choosing). */
function getWithHost(path: string, host: string): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${platform.runtimeUrls.prod}${path}`, { headers: { host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const passThrough = (name: string, basePath: string, url: string, virtualHosts?: string[]) =>
  bundle(name, { proxies: { default: proxyEndpoint({ basePath, ...(virtualHosts ? { virtualHosts } : {}) }) }, targets: { default: targetEndpoint(url) } });

describe('the runtime plane', () => {
  it('serves bundles whose base paths are /v1/samples/hello and /oauth, and / itself is a base path like any other', async () => {
    expect((await importAndDeploy('hello', passThrough('hello', '/v1/samples/hello', `${alpha.url}/hello`))).status).toBe(200);
    expect((await importAndDeploy('oauth-look', passThrough('oauth-look', '/oauth', `${alpha.url}/oauth-backend`))).status).toBe(200);
    const hello = await platform.proxy('GET', '/v1/samples/hello/world?x=1');
    expect(hello.status).toBe(200);
    expect(hello.json).toMatchObject({ backend: 'alpha', url: '/hello/world?x=1' });
    const oauth = await platform.proxy('POST', '/oauth/token', { body: 'grant_type=client_credentials', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(oauth.json).toMatchObject({ backend: 'alpha', url: '/oauth-backend/token' });
    // The platform's own paths are untouched by them.
    expect((await platform.request('POST', '/oauth/token', { auth: false })).json.error).toBe('invalid_client');
    expect((await platform.request('GET', '/v1/organizations/default/apis')).json).toEqual(expect.arrayContaining(['hello', 'oauth-look']));
  });

  it('has no platform path: management, connectors and health are proxy paths there, and nothing claims what no deployment asked for', async () => {
    for (const path of ['/v1/organizations/default/apis', '/elements/api-v2/elements', '/healthz', '/v1', '/oauthx', '/v1/samples', '/unclaimed']) {
      const response = await platform.proxy('GET', path, { auth: platform.auth });
      expect(response.status, path).toBe(404);
      expect(response.json.fault.detail.errorcode, path).toBe('messaging.adaptors.http.flow.ApplicationNotFound');
    }
  });

  it('the platform plane serves no proxy', async () => {
    expect((await platform.request('GET', '/v1/samples/hello/world')).status).toBe(404);
    expect((await fetch(`${platform.url}/anything`)).status).toBe(404);
  });

  it('serves different revisions of one proxy in test and prod at the same time', async () => {
    const first = await deployProxy(platform, simpleProxy('twin', '/twin', `${alpha.url}/r1`), { env: 'test' });
    const created = await platform.request('POST', '/v1/organizations/default/apis', { json: simpleProxy('twin', '/twin', `${alpha.url}/r2`) });
    expect(created.status).toBe(201);
    expect((await platform.request('POST', `/v1/organizations/default/environments/prod/apis/twin/revisions/${created.json.revision}/deployments`)).status).toBe(200);
    expect((await platform.proxy('GET', '/twin/x', { env: 'test' })).json.url).toBe('/r1/x');
    expect((await platform.proxy('GET', '/twin/x', { env: 'prod' })).json.url).toBe('/r2/x');
    const deployments = await platform.request('GET', '/v1/organizations/default/apis/twin/deployments');
    expect(deployments.json.environment).toEqual(
      expect.arrayContaining([
        { name: 'test', revision: [expect.objectContaining({ name: String(first.revision), state: 'deployed', configuration: { basePath: '/', steps: [] } })] },
        { name: 'prod', revision: [expect.objectContaining({ name: created.json.revision, state: 'deployed' })] },
      ]),
    );
    // Undeployed from test, it still answers in prod.
    await platform.request('DELETE', `/v1/organizations/default/environments/test/apis/twin/revisions/${first.revision}/deployments`);
    expect((await platform.proxy('GET', '/twin/x', { env: 'test' })).status).toBe(404);
    expect((await platform.proxy('GET', '/twin/x', { env: 'prod' })).status).toBe(200);
  });
});

describe('base paths across organizations on the shared host', () => {
  beforeAll(async () => {
    await deployProxy(platform, simpleProxy('victim', '/victim', `${alpha.url}/victim`));
  });

  it.each(['/victim/api', '/victim', '/', '/victim/api/deeper'])('refuses another organization\'s %s with 409, saying nothing of the owner', async (basePath) => {
    const name = `attack${basePath.replace(/\W/g, '-')}`;
    const created = await platform.request('POST', '/v1/organizations/bravo/apis', { auth: bravoAuth, json: simpleProxy(name, basePath, `${bravo.url}/steal`) });
    expect(created.status).toBe(201);
    const deployed = await platform.request('POST', `/v1/organizations/bravo/environments/prod/apis/${name}/revisions/1/deployments`, { auth: bravoAuth });
    expect(deployed.status).toBe(409);
    expect(deployed.json.error.code).toBe('basepath_in_use');
    expect(deployed.text).not.toMatch(/default|victim"/);
  });

  it('refuses a base path that contains another organization\'s', async () => {
    await deployProxy(platform, simpleProxy('bravo-deep', '/shop/cart/items', `${bravo.url}/cart`), { org: 'bravo', auth: bravoAuth });
    const created = await platform.request('POST', '/v1/organizations/default/apis', { json: simpleProxy('shop', '/shop', `${alpha.url}/shop`) });
    const deployed = await platform.request('POST', `/v1/organizations/default/environments/prod/apis/shop/revisions/${created.json.revision}/deployments`);
    expect(deployed.status).toBe(409);
    // Not a segment prefix: /vic and /victimx are not inside /victim.
    await deployProxy(platform, simpleProxy('vic', '/vic', `${bravo.url}/vic`), { org: 'bravo', auth: bravoAuth });
    await deployProxy(platform, simpleProxy('victimx', '/victimx', `${bravo.url}/victimx`), { org: 'bravo', auth: bravoAuth });
  });

  it('inside one organization the longest base path wins', async () => {
    await deployProxy(platform, simpleProxy('victim-admin', '/victim/admin', `${alpha.url}/admin`));
    expect((await platform.proxy('GET', '/victim/admin/x')).json.url).toBe('/admin/x');
    expect((await platform.proxy('GET', '/victim/other')).json.url).toBe('/victim/other');
  });

  it('never hands a request meant for one organization to another, even while both deploy at once', async () => {
    for (let round = 0; round < 5; round++) {
      const mine = `/race${round}`;
      const a = await platform.request('POST', '/v1/organizations/default/apis', { json: simpleProxy(`race${round}`, mine, `${alpha.url}/race`) });
      const b = await platform.request('POST', '/v1/organizations/bravo/apis', { auth: bravoAuth, json: simpleProxy(`race${round}`, `${mine}/inner`, `${bravo.url}/race`) });
      const [da, db] = await Promise.all([
        platform.request('POST', `/v1/organizations/default/environments/prod/apis/race${round}/revisions/${a.json.revision}/deployments`),
        platform.request('POST', `/v1/organizations/bravo/environments/prod/apis/race${round}/revisions/${b.json.revision}/deployments`, { auth: bravoAuth }),
      ]);
      // At most one wins; both may withdraw, never both stay.
      expect([da.status, db.status].filter((status) => status === 200).length, `round ${round}`).toBeLessThanOrEqual(1);
    }
    const before = bravo.requests.length;
    const secret = 'Bearer alpha-callers-token';
    for (const path of ['/victim/api/orders', '/victim/api', '/victim', '/victim/admin/x']) {
      const response = await platform.proxy('GET', path, { auth: secret });
      expect(response.json.backend, path).toBe('alpha');
    }
    expect(bravo.requests.slice(before).some((request) => request.headers.authorization === secret)).toBe(false);
  });
});

describe('virtual hosts', () => {
  it('lists the built-in virtual hosts with the environment\'s runtime URL', async () => {
    expect((await platform.request('GET', '/v1/organizations/default/environments/prod/virtualhosts')).json).toEqual(['default', 'secure']);
    const host = new URL(platform.runtimeUrls.test);
    expect((await platform.request('GET', '/v1/o/default/e/test/virtualhosts/default')).json).toEqual({
      name: 'default',
      hostAliases: [host.hostname],
      port: host.port,
      baseUrl: platform.runtimeUrls.test,
    });
    expect((await platform.request('DELETE', '/v1/organizations/default/environments/prod/virtualhosts/default')).status).toBe(400);
  });

  it('routes by host alias to the organization that owns it, and refuses the alias to anyone else', async () => {
    const made = await platform.request('POST', '/v1/organizations/bravo/environments/prod/virtualhosts', { auth: bravoAuth, json: { name: 'bravo-host', hostAliases: ['api.bravo.example', 'Bravo.Example:9443'], port: 443 } });
    expect(made.status).toBe(201);
    expect(made.json).toEqual({ name: 'bravo-host', hostAliases: ['api.bravo.example', 'bravo.example:9443'], port: '443' });
    const taken = await platform.request('POST', '/v1/organizations/default/environments/prod/virtualhosts', { json: { name: 'mine', hostAliases: ['api.bravo.example'] } });
    expect(taken.status).toBe(409);
    expect(taken.json.error.code).toBe('hostalias_in_use');
    // On its own host, bravo may use the path that alpha has on the shared host.
    expect((await importAndDeploy('bravo-victim', passThrough('bravo-victim', '/victim/api', `${bravo.url}/own`, ['bravo-host']), { org: 'bravo', auth: bravoAuth })).status).toBe(200);
    expect((await getWithHost('/victim/api/x', 'api.bravo.example')).json).toMatchObject({ backend: 'bravo', url: '/own/x' });
    expect((await getWithHost('/victim/api/x', 'BRAVO.example:9443')).json.backend).toBe('bravo');
    expect((await platform.proxy('GET', '/victim/api/x')).json.backend).toBe('alpha');
    // Bravo's host serves only what bravo deployed on it.
    expect((await getWithHost('/victim/admin/x', 'api.bravo.example')).status).toBe(404);
    // In use: not deletable; an unknown virtual host cannot be deployed to.
    expect((await platform.request('DELETE', '/v1/organizations/bravo/environments/prod/virtualhosts/bravo-host', { auth: bravoAuth })).status).toBe(409);
    const unknown = await importAndDeploy('nowhere', passThrough('nowhere', '/nowhere', alpha.url, ['missing-host']));
    expect(unknown.status).toBe(409);
    expect(unknown.json.error.code).toBe('virtualhost_not_found');
  });

  it('moves host aliases with PUT and frees them on delete', async () => {
    const auth = bravoAuth;
    await platform.request('POST', '/v1/organizations/bravo/environments/test/virtualhosts', { auth, json: { name: 'spare', hostAliases: ['one.bravo.example'] } });
    const moved = await platform.request('PUT', '/v1/organizations/bravo/environments/test/virtualhosts/spare', { auth, json: { name: 'spare', hostAliases: ['two.bravo.example'] } });
    expect(moved.json.hostAliases).toEqual(['two.bravo.example']);
    expect((await platform.request('POST', '/v1/organizations/default/environments/test/virtualhosts', { json: { name: 'x', hostAliases: ['one.bravo.example'] } })).status).toBe(201);
    expect((await platform.request('DELETE', '/v1/organizations/bravo/environments/test/virtualhosts/spare', { auth })).status).toBe(200);
    expect((await platform.request('POST', '/v1/organizations/default/environments/test/virtualhosts', { json: { name: 'y', hostAliases: ['two.bravo.example'] } })).status).toBe(201);
    expect((await platform.request('GET', '/v1/organizations/bravo/environments/test/virtualhosts/spare', { auth })).status).toBe(404);
  });
});
