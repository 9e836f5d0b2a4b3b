// The published apigeetool (0.16.8, a devDependency, unchanged) against the
// local server, run as Apigee users run it: its CLI in a child process, `-L`
// pointing at the platform plane, `-u/-p` Basic or `-t` Bearer. Each command's
// effect is checked through the management API or the runtime plane.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../support/backend.js';
import { proxyEndpoint, targetEndpoint } from '../support/bundles.js';
import { startClientTarget, type ClientTarget } from '../support/client-target.js';
import type { TestPlatform } from '../support/platform.js';

const run = promisify(execFile);
const CLI = join(createRequire(import.meta.url).resolve('apigeetool/package.json'), '..', 'lib', 'cli.js');

let target: ClientTarget;
let platform: TestPlatform;
let backend: Backend;
let work: string;
let password: string;
let token: string;

beforeAll(async () => {
  target = await startClientTarget('tollgate-apigeetool-');
  ({ platform, backend, work, password, token } = target);
});
afterAll(() => target.close());

type Credentials = 'basic' | 'bearer';

/** Runs `apigeetool <command> ...` against the platform; resolves with its exit code and output. */
async function apigeetool(command: string, args: string[], credentials: Credentials = 'basic') {
  const auth = credentials === 'basic' ? ['-u', 'admin@localhost', '-p', password] : ['-t', token];
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, command, '-L', platform.url, '-o', 'default', ...auth, ...args], {
      // No ~/.netrc or proxy settings of the machine reach the client.
      env: { PATH: process.env.PATH ?? '', HOME: work },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function ok(command: string, args: string[], credentials: Credentials = 'basic') {
  const result = await apigeetool(command, args, credentials);
  expect(result.code, `${command}: ${result.stderr}${result.stdout}`).toBe(0);
  return result;
}

/** A bundle folder as apigeetool reads one: <dir>/apiproxy/... */
function writeProxyFolder(name: string, basePath: string, greeting: string): string {
  const dir = join(work, name);
  const files: Record<string, string> = {
    [`apiproxy/${name}.xml`]: `<APIProxy name="${name}"><Description>Deployed by apigeetool</Description></APIProxy>`,
    'apiproxy/proxies/default.xml': proxyEndpoint({ basePath, request: ['Add-Header'], response: ['Say-Hello'] }),
    'apiproxy/targets/default.xml': targetEndpoint(backend.url),
    'apiproxy/policies/Add-Header.xml': '<AssignMessage name="Add-Header"><Set><Headers><Header name="x-deployed-by">apigeetool</Header></Headers></Set></AssignMessage>',
    'apiproxy/policies/Say-Hello.xml': `<AssignMessage name="Say-Hello"><Set><Headers><Header name="x-greeting">${greeting}</Header></Headers></Set></AssignMessage>`,
    'apiproxy/resources/jsc/util/format.js': 'function format(s) { return s.trim(); }',
    'apiproxy/resources/xsl/empty.xsl': '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"/>',
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

describe.each<Credentials>(['basic', 'bearer'])('apigeetool with %s credentials', (credentials) => {
  const api = `hello-${credentials}`;
  const basePath = `/v1/samples/${api}`;

  it('deployproxy imports the descriptor, uploads each file, deploys, and the proxy answers on the runtime plane', async () => {
    const dir = writeProxyFolder(api, basePath, 'r1');
    const result = await ok('deployproxy', ['-n', api, '-e', 'prod', '-d', dir, '-j'], credentials);
    const [deployment] = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as [{ name: string; revision: number; state: string; environment: string; uris: string[] }];
    expect(deployment).toMatchObject({ name: api, revision: 1, state: 'deployed', environment: 'prod' });
    expect(deployment.uris).toEqual([`${platform.runtimeUrls.prod}${basePath}`]);

    const served = await platform.proxy('GET', `${basePath}/greetings?x=1`);
    expect(served.status, served.text).toBe(200);
    expect(served.headers.get('x-greeting')).toBe('r1');
    expect(backend.requests.at(-1)).toMatchObject({ url: '/greetings?x=1' });
    expect(backend.requests.at(-1)!.headers['x-deployed-by']).toBe('apigeetool');

    const revision = await platform.request('GET', `/v1/organizations/default/apis/${api}/revisions/1`);
    expect(revision.json).toMatchObject({
      policies: expect.arrayContaining(['Add-Header', 'Say-Hello']),
      proxyEndpoints: ['default'],
      targetEndpoints: ['default'],
      resources: expect.arrayContaining(['jsc/util/format.js', 'xsl/empty.xsl']),
      description: 'Deployed by apigeetool',
    });
  });

  it('deployproxy again makes revision 2 and replaces revision 1 seamlessly', async () => {
    const dir = writeProxyFolder(api, basePath, 'r2');
    const result = await ok('deployproxy', ['-n', api, '-e', 'prod', '-d', dir, '-j'], credentials);
    expect(JSON.parse(result.stdout)[0]).toMatchObject({ revision: 2, state: 'deployed' });
    expect((await platform.proxy('GET', basePath)).headers.get('x-greeting')).toBe('r2');
  });

  it('listdeployments by proxy and by environment', async () => {
    const byApi = JSON.parse((await ok('listdeployments', ['-n', api, '-j'], credentials)).stdout);
    expect(byApi.deployments).toEqual([{ name: api, environment: 'prod', revision: 2, state: 'deployed', basePath: '/' }]);
    const byEnv = JSON.parse((await ok('listdeployments', ['-e', 'prod', '-j'], credentials)).stdout);
    expect(byEnv.deployments).toContainEqual({ name: api, environment: 'prod', revision: 2, state: 'deployed', basePath: '/' });
    const long = await ok('listdeployments', ['-n', api, '-l'], credentials);
    expect(long.stdout).toContain(`URI = ${platform.runtimeUrls.prod}${basePath}`);
  });

  it('fetchproxy downloads a revision as a bundle that has every file', async () => {
    const file = join(work, `${api}.zip`);
    await ok('fetchproxy', ['-n', api, '-r', '2', '-f', file], credentials);
    const entries = Object.keys(unzipSync(readFileSync(file)));
    expect(entries).toEqual(
      expect.arrayContaining([
        `apiproxy/${api}.xml`,
        'apiproxy/proxies/default.xml',
        'apiproxy/targets/default.xml',
        'apiproxy/policies/Say-Hello.xml',
        'apiproxy/resources/jsc/util/format.js',
      ]),
    );
  });

  it('undeploy (finding the deployed revision itself) and delete', async () => {
    expect((await apigeetool('delete', ['-n', api], credentials)).code).not.toBe(0);
    const undeployed = await ok('undeploy', ['-n', api, '-e', 'prod', '-j'], credentials);
    expect(JSON.parse(undeployed.stdout)).toMatchObject({ name: api, revision: 2, state: 'undeployed', environment: 'prod' });
    expect((await platform.proxy('GET', basePath)).status).toBe(404);
    await ok('delete', ['-n', api], credentials);
    expect((await platform.request('GET', `/v1/organizations/default/apis/${api}`)).status).toBe(404);
  });

  it('creates, fills, reads and deletes key value maps at environment and proxy scope', async () => {
    const proxy = `kvm-owner-${credentials}`;
    expect((await platform.request('POST', '/v1/organizations/default/apis', { json: { name: proxy } })).status).toBe(201);
    for (const scope of [['-e', 'test'], ['-n', proxy]]) {
      const map = `settings-${credentials}`;
      await ok('createKVMmap', [...scope, '--mapName', map], credentials);
      await ok('addEntryToKVM', [...scope, '--mapName', map, '--entryName', 'colour', '--entryValue', 'blue'], credentials);
      const entry = JSON.parse((await ok('getKVMentry', [...scope, '--mapName', map, '--entryName', 'colour', '-j'], credentials)).stdout);
      expect(entry).toEqual({ name: 'colour', value: 'blue' });
      // (apigeetool 0.16.8's updateKVMEntry has no option for the new value, so it cannot be used.)
      const whole = JSON.parse((await ok('getKVMmap', [...scope, '--mapName', map, '-j'], credentials)).stdout);
      expect(whole).toMatchObject({ name: map, encrypted: false, entry: [{ name: 'colour', value: 'blue' }] });
      await ok('deleteKVMentry', [...scope, '--mapName', map, '--entryName', 'colour'], credentials);
      expect((await apigeetool('getKVMentry', [...scope, '--mapName', map, '--entryName', 'colour'], credentials)).code).not.toBe(0);
      await ok('deleteKVMmap', [...scope, '--mapName', map], credentials);
      expect((await apigeetool('getKVMmap', [...scope, '--mapName', map], credentials)).code).not.toBe(0);
    }
    const encrypted = `secrets-${credentials}`;
    await ok('createKVMmap', ['-e', 'prod', '--mapName', encrypted, '--encrypted'], credentials);
    await ok('addEntryToKVM', ['-e', 'prod', '--mapName', encrypted, '--entryName', 'key', '--entryValue', 'hidden'], credentials);
    expect(JSON.parse((await ok('getKVMentry', ['-e', 'prod', '--mapName', encrypted, '--entryName', 'key', '-j'], credentials)).stdout).value).toBe('*****');
    // Fifteen CLI processes one after another: room for a loaded machine.
  }, 90_000);

  it('creates a product, a developer, an app and an app key, then deletes the app', async () => {
    const product = `product-${credentials}`;
    const email = `dev-${credentials}@example.com`;
    const app = `app-${credentials}`;
    await ok(
      'createProduct',
      ['--productName', product, '--productDesc', 'Made by apigeetool', '--proxies', 'hello', '--environments', 'test,prod', '--approvalType', 'auto', '--quota', '100', '--quotaInterval', '1', '--quotaTimeUnit', 'minute', '--scopes', 'read,write'],
      credentials,
    );
    const made = await platform.request('GET', `/v1/organizations/default/apiproducts/${product}`);
    expect(made.json).toMatchObject({ name: product, proxies: ['hello'], environments: ['test', 'prod'], approvalType: 'auto', quota: '100', scopes: ['read', 'write'] });

    await ok('createDeveloper', ['--email', email, '--firstName', 'Ada', '--lastName', 'Lovelace', '--userName', 'ada'], credentials);
    const createdApp = JSON.parse((await ok('createApp', ['--name', app, '--apiProducts', product, '--email', email, '--callback', 'https://app.example/cb', '-j'], credentials)).stdout);
    expect(createdApp).toMatchObject({ name: app, callbackUrl: 'https://app.example/cb', credentials: [{ apiProducts: [{ apiproduct: product }] }] });

    const key = `imported-key-${credentials}`;
    const secret = `imported-secret-${credentials}-0123456789`;
    const appKey = JSON.parse((await ok('createAppKey', ['--developerId', email, '--appName', app, '--key', key, '--secret', secret, '--apiProducts', product, '-j'], credentials)).stdout);
    expect(appKey).toMatchObject({ consumerKey: key, apiProducts: [{ apiproduct: product }] });
    // The imported credential works at the token service.
    const issued = await platform.request('POST', '/oauth/token?grant_type=client_credentials', { auth: `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}` });
    expect(issued.status, issued.text).toBe(200);

    await ok('deleteApp', ['--email', email, '--name', app], credentials);
    expect((await platform.request('GET', `/v1/organizations/default/developers/${email}/apps/${app}`)).status).toBe(404);
    expect((await platform.request('POST', '/oauth/token?grant_type=client_credentials', { auth: `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}` })).status).toBe(401);
  });
});

describe('apigeetool deployproxy with a deployment base path', () => {
  it('serves the proxy under --base-path and lists the deployment with it', async () => {
    const dir = writeProxyFolder('prefixed', '/prefixed', 'p1');
    const result = await ok('deployproxy', ['-n', 'prefixed', '-e', 'test', '-d', dir, '-b', '/partners', '-j']);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1)!)[0]).toMatchObject({ name: 'prefixed', state: 'deployed', environment: 'test' });
    expect((await platform.proxy('GET', '/partners/prefixed', { env: 'test' })).headers.get('x-greeting')).toBe('p1');
    expect((await platform.proxy('GET', '/prefixed', { env: 'test' })).status).toBe(404);
    const listed = JSON.parse((await ok('listdeployments', ['-n', 'prefixed', '-j'])).stdout);
    expect(listed.deployments).toEqual([{ name: 'prefixed', environment: 'test', revision: 1, state: 'deployed', basePath: '/partners' }]);
  });
});

describe('apigeetool with wrong credentials', () => {
  it('fails, and changes nothing', async () => {
    const result = await run(process.execPath, [CLI, 'listdeployments', '-L', platform.url, '-o', 'default', '-u', 'admin@localhost', '-p', 'wrong', '-e', 'prod'], {
      env: { PATH: process.env.PATH ?? '', HOME: work },
    }).catch((error: { code: number; stderr: string }) => error);
    expect((result as { code: number }).code).toBe(6);
    expect((result as { stderr: string }).stderr).toContain('401');
  });
});
