// The published apigee-edge-js (0.4.40, a devDependency, unchanged) against the
// local server, in-process as a Node program uses it: `mgmtServer` pointing at
// the platform plane, with HTTP Basic (`no_token: true`) and with a management
// token (`token`). Its own login (the password grant, `ssoUrl`) is in
// apigee-login.test.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../support/backend.js';
import { bundle, proxyEndpoint, targetEndpoint } from '../support/bundles.js';
import { startClientTarget, type ClientTarget } from '../support/client-target.js';
import type { TestPlatform } from '../support/platform.js';

// The library is untyped CommonJS: its promise API is what the tests use.
/* eslint-disable @typescript-eslint/no-explicit-any */
const { apigee } = createRequire(import.meta.url)('apigee-edge-js') as { apigee: { connect(options: Record<string, unknown>): Promise<any> } };

let target: ClientTarget;
let platform: TestPlatform;
let backend: Backend;
let work: string;
let password: string;
let token: string;

beforeAll(async () => {
  target = await startClientTarget('tollgate-edge-js-');
  ({ platform, backend, work, password, token } = target);
});
afterAll(() => target.close());

type Credentials = 'basic' | 'bearer';

const connect = (credentials: Credentials) =>
  apigee.connect(
    credentials === 'basic'
      ? { mgmtServer: platform.url, org: 'default', user: 'admin@localhost', password, no_token: true }
      : { mgmtServer: platform.url, org: 'default', token },
  );

describe.each<Credentials>(['basic', 'bearer'])('apigee-edge-js with %s credentials', (credentials) => {
  const name = `edge-js-${credentials}`;
  const basePath = `/edge-js/${credentials}`;
  let org: any;

  beforeAll(async () => {
    org = await connect(credentials);
  });

  it('proxies.import from a zip and from a folder, get, getRevisions', async () => {
    const zipFile = join(work, `${name}.zip`);
    writeFileSync(
      zipFile,
      bundle(name, {
        proxies: { default: proxyEndpoint({ basePath, response: ['Tag'] }) },
        targets: { default: targetEndpoint(backend.url) },
        policies: { Tag: '<AssignMessage name="Tag"><Set><Headers><Header name="x-revision">1</Header></Headers></Set></AssignMessage>' },
      }),
    );
    const imported = await org.proxies.import({ name, source: zipFile });
    expect(imported).toMatchObject({ name, revision: '1' });

    // A folder with apiproxy/ in it, the name read from the descriptor.
    const folder = join(work, `${name}-folder`);
    const files: Record<string, string> = {
      [`apiproxy/${name}.xml`]: `<APIProxy name="${name}"/>`,
      'apiproxy/proxies/default.xml': proxyEndpoint({ basePath, response: ['Tag'] }),
      'apiproxy/targets/default.xml': targetEndpoint(backend.url),
      'apiproxy/policies/Tag.xml': '<AssignMessage name="Tag"><Set><Headers><Header name="x-revision">2</Header></Headers></Set></AssignMessage>',
    };
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(folder, path, '..'), { recursive: true });
      writeFileSync(join(folder, path), content);
    }
    expect(await org.proxies.import({ source: folder })).toMatchObject({ name, revision: '2' });

    expect(await org.proxies.get({ name })).toMatchObject({ name, revision: ['1', '2'] });
    expect(await org.proxies.get({})).toEqual(expect.arrayContaining([name]));
    expect(await org.proxies.getRevisions({ name })).toEqual([1, 2]);
    expect(await org.proxies.get({ name, revision: 2, policy: 'Tag' })).toMatchObject({ name: 'Tag', policyType: 'AssignMessage' });
    expect(await org.proxies.getProxyEndpoints({ name, revision: 2 })).toEqual(['default']);
  });

  it('proxies.deploy (the latest revision, override and delay as it sends them) and getDeployments', async () => {
    const deployed = await org.proxies.deploy({ name, environment: 'prod', revision: 1 });
    expect(deployed).toMatchObject({ aPIProxy: name, environment: 'prod', revision: '1', state: 'deployed', configuration: { basePath: '/' } });
    expect((await platform.proxy('GET', basePath)).headers.get('x-revision')).toBe('1');
    // No revision: the library deploys the newest one, replacing revision 1.
    expect(await org.proxies.deploy({ name, environment: 'prod' })).toMatchObject({ revision: '2', state: 'deployed' });
    expect((await platform.proxy('GET', basePath)).headers.get('x-revision')).toBe('2');
    await org.proxies.deploy({ name, env: 'test', revision: 1 });

    const all = await org.proxies.getDeployments({ name });
    expect(all.environment.map((e: any) => [e.name, e.revision[0].name]).sort()).toEqual([['prod', '2'], ['test', '1']]);
    const inProd = await org.proxies.getDeployments({ name, env: 'prod' });
    expect(inProd).toMatchObject({ environment: 'prod', name, revision: [{ name: '2', state: 'deployed' }] });
    const ofRevision = await org.proxies.getDeployments({ name, revision: 1 });
    expect(ofRevision).toMatchObject({ aPIProxy: name, name: '1', environment: [{ name: 'test', state: 'deployed' }] });
  });

  it('proxies.export a revision as a bundle', async () => {
    const exported = await org.proxies.export({ name, revision: 2 });
    expect(exported.filename).toMatch(new RegExp(`^apiproxy-default-${name}-r2-`));
    const entries = unzipSync(exported.buffer);
    expect(Object.keys(entries)).toEqual(expect.arrayContaining([`apiproxy/${name}.xml`, 'apiproxy/proxies/default.xml', 'apiproxy/policies/Tag.xml']));
    // The latest revision when none is named.
    expect((await org.proxies.export({ name })).filename).toContain('-r2-');
  });

  it('proxies.undeploy with and without a revision, then proxies.del', async () => {
    await expect(org.proxies.del({ name })).rejects.toThrow(/409/);
    expect(await org.proxies.undeploy({ name, environment: 'test', revision: 1 })).toMatchObject({ revision: '1', state: 'undeployed' });
    // Without a revision it finds what is deployed in the environment and undeploys each.
    const undeployed = await org.proxies.undeploy({ name, environment: 'prod' });
    expect(undeployed).toEqual([{ rev: '2', error: null }]);
    expect((await platform.proxy('GET', basePath)).status).toBe(404);
    expect(await org.proxies.del({ name })).toMatchObject({ name });
    await expect(org.proxies.get({ name })).rejects.toThrow(/404/);
  });

  it('kvms.create, get and put (entry by entry, as the organization says it supports), at environment and proxy scope', async () => {
    const proxy = `kvm-proxy-${credentials}`;
    expect((await platform.request('POST', '/v1/organizations/default/apis', { json: { name: proxy } })).status).toBe(201);
    for (const scope of [{ env: 'test' }, { proxy }]) {
      const kvm = `edge-js-${credentials}-${'env' in scope ? 'env' : 'proxy'}`;
      expect(await org.kvms.create({ ...scope, name: kvm, entries: { a: '1' } })).toMatchObject({ name: kvm, encrypted: false, entry: [{ name: 'a', value: '1' }] });
      await org.kvms.put({ ...scope, name: kvm, key: 'a', value: '2' });
      await org.kvms.put({ ...scope, name: kvm, key: 'b', value: '3' });
      expect(await org.kvms.get({ ...scope, name: kvm })).toEqual({ name: kvm, encrypted: false, entry: [{ name: 'a', value: '2' }, { name: 'b', value: '3' }] });
      expect(await org.kvms.get(scope)).toContain(kvm);
      await org.kvms.removeEntry({ ...scope, name: kvm, key: 'a' });
      expect((await org.kvms.get({ ...scope, name: kvm })).entry).toEqual([{ name: 'b', value: '3' }]);
      await org.kvms.del({ ...scope, name: kvm });
    }
    const secret = `edge-js-${credentials}-encrypted`;
    expect(await org.kvms.create({ env: 'prod', name: secret, encrypted: true, entries: { password: 'hunter2' } })).toMatchObject({ encrypted: true, entry: [{ name: 'password', value: '*****' }] });
  });

  it('products, developers and developerapps: create and get', async () => {
    const product = `edge-js-product-${credentials}`;
    const email = `edge-js-${credentials}@example.com`;
    const app = `edge-js-app-${credentials}`;
    const made = await org.products.create({ productName: product, proxies: ['hello'], environments: ['prod'], approvalType: 'auto', scopes: ['read'], quota: '10', quotaInterval: '1', quotaTimeUnit: 'minute' });
    expect(made).toMatchObject({ name: product, approvalType: 'auto', scopes: ['read'], quota: '10' });
    expect(await org.products.get({ name: product })).toMatchObject({ name: product, attributes: expect.arrayContaining([expect.objectContaining({ name: 'tool' })]) });
    expect(await org.products.get({})).toContain(product);
    expect((await org.products.get({ expand: true })).apiProduct.map((p: any) => p.name)).toContain(product);

    const developer = await org.developers.create({ developerEmail: email, firstName: 'Ada', lastName: 'Lovelace', userName: `ada-${credentials}` });
    expect(developer).toMatchObject({ email, firstName: 'Ada' });
    expect(await org.developers.get({ developerEmail: email })).toMatchObject({ email, userName: `ada-${credentials}` });
    expect(await org.developers.get({ id: developer.developerId })).toMatchObject({ email });
    expect(await org.developers.get({})).toContain(email);

    // The library asks for credentials that never expire (keyExpiresIn -1).
    const created = await org.developerapps.create({ developerEmail: email, appName: app, apiProduct: product, callbackUrl: 'https://app.example/cb' });
    expect(created).toMatchObject({ name: app, status: 'approved', credentials: [{ expiresAt: -1, apiProducts: [{ apiproduct: product, status: 'approved' }] }] });
    expect(created.credentials[0].consumerSecret).not.toBe('*****');
    const read = await org.developerapps.get({ developerEmail: email, appName: app });
    expect(read).toMatchObject({ name: app, appId: created.appId });
    expect(read.credentials[0].consumerSecret).toBe('*****');
    expect(await org.developerapps.get({ developerEmail: email })).toEqual([app]);
  });
});

describe('apigee-edge-js with wrong credentials', () => {
  it('cannot connect with Basic (it reads the organization first)', async () => {
    await expect(apigee.connect({ mgmtServer: platform.url, org: 'default', user: 'admin@localhost', password: 'wrong', no_token: true })).rejects.toThrow(/401/);
  });
  it('gets 401 with a token that is not one', async () => {
    const org = await apigee.connect({ mgmtServer: platform.url, org: 'default', token: 'tgm_forged' });
    await expect(org.proxies.get({})).rejects.toThrow(/401/);
  });
});
