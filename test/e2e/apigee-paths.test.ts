// Apigee Edge's paths and payloads at the HTTP level: a revision put together
// file by file and read-only once deployed, every deploy and undeploy form,
// the deployment views, KVM whole-map updates with string booleans, and the
// organization's feature properties.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../support/backend.js';
import { zip, proxyEndpoint, targetEndpoint } from '../support/bundles.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;
let backend: Backend;
const ORG = '/v1/o/default';
const REV = `${ORG}/apis/files/revisions/1`;
const xml = (body: string) => ({ body, headers: { 'content-type': 'application/xml' } });
const form = (body: string) => ({ body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });

beforeAll(async () => {
  platform = await startPlatform();
  backend = await startBackend();
});
afterAll(async () => {
  await platform.close();
  await backend.close();
});

describe('a revision file by file', () => {
  it('starts from a bundle holding only the descriptor, which cannot be deployed yet', async () => {
    const imported = await platform.request('POST', `${ORG}/apis?action=import&name=files&validate=false`, {
      body: zip({ 'apiproxy/files.xml': '<APIProxy name="files"><Description>files</Description></APIProxy>' }),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(imported.status, imported.text).toBe(201);
    expect(imported.json).toMatchObject({ name: 'files', revision: '1', proxyEndpoints: [], policies: [] });
    const early = await platform.request('POST', `${ORG}/e/prod/apis/files/revisions/1/deployments`);
    expect(early.status).toBe(422);
    expect(early.json.error.fields).toEqual([{ path: 'proxyEndpoints', message: 'at least one proxy endpoint is required to deploy' }]);
  });

  it('adds a proxy endpoint before the policy and target it names, and checks each file on its own', async () => {
    const proxy = proxyEndpoint({ basePath: '/files', request: ['Tag'] });
    expect((await platform.request('POST', `${REV}/proxies?name=default`, xml(proxy))).status).toBe(201);
    expect((await platform.request('POST', `${REV}/proxies?name=default`, xml(proxy))).status).toBe(409);
    // Named differently in the file and the query.
    expect((await platform.request('POST', `${REV}/proxies?name=other`, xml(proxy))).status).toBe(422);
    const badCondition = await platform.request('POST', `${REV}/proxies?name=broken`, xml(proxyEndpoint({ name: 'broken', basePath: '/b', request: [['Tag', 'request.verb ==']] })));
    expect(badCondition.status).toBe(422);
    expect(badCondition.json.error.fields[0]).toMatchObject({ file: 'proxies/broken.xml', message: expect.stringContaining('invalid condition') });

    // The step names a policy the revision does not have yet: deployment says so.
    expect((await platform.request('POST', `${REV}/targets?name=default`, xml(targetEndpoint(backend.url)))).status).toBe(201);
    const missing = await platform.request('POST', `${ORG}/e/prod/apis/files/revisions/1/deployments`);
    expect(missing.status).toBe(422);
    expect(missing.text).toContain('no policy named \\"Tag\\"');

    const policy = '<AssignMessage name="Tag"><Set><Headers><Header name="x-tag">one</Header></Headers></Set></AssignMessage>';
    const added = await platform.request('POST', `${REV}/policies`, xml(policy));
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ name: 'Tag', policyType: 'AssignMessage', enabled: true });
    const invalid = await platform.request('POST', `${REV}/policies`, xml('<Quota name="Q"><Allow count="lots"/></Quota>'));
    expect(invalid.status).toBe(422);
    expect(invalid.json.error.fields[0].file).toBe('policies/Q.xml');
    expect((await platform.request('POST', `${REV}/policies`, { body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(415);
  });

  it('reads each file as JSON or as its XML, and lists them', async () => {
    expect((await platform.request('GET', `${REV}/policies`)).json).toEqual(['Tag']);
    expect((await platform.request('GET', `${REV}/proxies`)).json).toEqual(['default']);
    expect((await platform.request('GET', `${REV}/targets`)).json).toEqual(['default']);
    const endpoint = await platform.request('GET', `${REV}/proxies/default`);
    expect(endpoint.json.connection).toEqual({ basePath: '/files', connectionType: 'httpConnection', virtualHost: ['default'] });
    const target = await platform.request('GET', `${REV}/targets/default`);
    expect(target.json.connection.uRL).toBe(backend.url);
    const asXml = await platform.request('GET', `${REV}/policies/Tag`, { headers: { accept: 'application/xml' } });
    expect(asXml.headers.get('content-type')).toContain('application/xml');
    expect(asXml.text).toContain('<Header name="x-tag">one</Header>');
  });

  it('replaces a file, refuses to remove what is in use, and keeps resource files of Apigee\'s types', async () => {
    const replaced = await platform.request('PUT', `${REV}/policies/Tag`, xml('<AssignMessage name="Tag"><Set><Headers><Header name="x-tag">two</Header></Headers></Set></AssignMessage>'));
    expect(replaced.status).toBe(200);
    expect((await platform.request('PUT', `${REV}/policies/Nope`, xml('<AssignMessage name="Nope"/>'))).status).toBe(404);
    expect((await platform.request('DELETE', `${REV}/policies/Tag`)).status).toBe(409);
    expect((await platform.request('DELETE', `${REV}/targets/default`)).status).toBe(409);

    const upload = { body: 'var x = 1;', headers: { 'content-type': 'application/octet-stream' } };
    expect((await platform.request('POST', `${REV}/resourcefiles?type=jsc&name=lib/x.js`, upload)).json).toEqual({ name: 'lib/x.js', type: 'jsc' });
    expect((await platform.request('POST', `${REV}/resources?type=xsl&name=t.xsl`, { body: '<x/>', headers: { 'content-type': 'application/octet-stream' } })).status).toBe(201);
    expect((await platform.request('POST', `${REV}/resourcefiles?type=exe&name=x`, upload)).status).toBe(400);
    expect((await platform.request('POST', `${REV}/resourcefiles?type=jsc&name=../x.js`, upload)).status).toBe(400);
    expect((await platform.request('GET', `${REV}/resourcefiles`)).json).toEqual({ resourceFile: [{ name: 'lib/x.js', type: 'jsc' }, { name: 't.xsl', type: 'xsl' }] });
    expect((await platform.request('PUT', `${REV}/resourcefiles/jsc/lib/x.js`, { body: 'var x = 2;', headers: { 'content-type': 'application/octet-stream' } })).status).toBe(200);
    expect((await platform.request('GET', `${REV}/resourcefiles/jsc/lib/x.js`)).text).toBe('var x = 2;');
    expect((await platform.request('DELETE', `${REV}/resourcefiles/xsl/t.xsl`)).status).toBe(200);
  });

  it('lands every one of many parallel uploads', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `P-${i}`);
    const results = await Promise.all(names.map((name) => platform.request('POST', `${REV}/policies`, xml(`<AssignMessage name="${name}"/>`))));
    expect(results.map((result) => result.status)).toEqual(names.map(() => 201));
    expect(((await platform.request('GET', `${REV}/policies`)).json as string[]).sort()).toEqual(['Tag', ...names].sort());
    for (const name of names) expect((await platform.request('DELETE', `${REV}/policies/${name}`)).status).toBe(200);
  });

  it('deploys, serves what was checked, and is read-only from then on', async () => {
    const deployed = await platform.request('POST', `${ORG}/e/prod/apis/files/revisions/1/deployments`, form('action=deploy&override=true&delay=60'));
    expect(deployed.status, deployed.text).toBe(200);
    expect((await platform.proxy('GET', '/files/a')).status).toBe(200);
    expect(backend.requests.at(-1)!.headers['x-tag']).toBe('two');
    const edit = await platform.request('PUT', `${REV}/policies/Tag`, xml('<AssignMessage name="Tag"/>'));
    expect(edit.status).toBe(409);
    expect(edit.json.error.code).toBe('revision_read_only');
    // Undeployed, it stays read-only.
    expect((await platform.request('DELETE', `${ORG}/e/prod/apis/files/revisions/1/deployments`)).status).toBe(200);
    expect((await platform.request('POST', `${REV}/resourcefiles?type=jsc&name=y.js`, { body: 'y', headers: { 'content-type': 'application/octet-stream' } })).status).toBe(409);
  });
});

describe('deploy and undeploy forms', () => {
  const model = (name: string, tag: string) => ({
    name,
    policies: [{ name: 'tag', type: 'AssignMessage', config: { set: { headers: [{ name: 'x-rev', value: tag }] } } }],
    proxyEndpoints: [{ basePath: `/${name}`, preFlow: { request: [], response: [{ name: 'tag' }] } }],
  });

  beforeAll(async () => {
    for (const tag of ['1', '2']) expect((await platform.request('POST', `${ORG}/apis`, { json: model('forms', tag) })).status).toBe(201);
  });

  it('refuses to replace a deployed revision without override, and replaces it with override given in the query or the form', async () => {
    expect((await platform.request('POST', `${ORG}/environments/prod/apis/forms/revisions/1/deployments`)).status).toBe(200);
    // Deploying the same revision again is fine.
    expect((await platform.request('POST', `${ORG}/environments/prod/apis/forms/revisions/1/deployments`)).status).toBe(200);
    const refused = await platform.request('POST', `${ORG}/environments/prod/apis/forms/revisions/2/deployments`);
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('revision_already_deployed');
    expect((await platform.request('POST', `${ORG}/environments/prod/apis/forms/revisions/2/deployments?override=maybe`)).status).toBe(400);
    expect((await platform.request('POST', `${ORG}/environments/prod/apis/forms/revisions/2/deployments?delay=soon&override=true`)).status).toBe(400);
    for (const bad of ['/../x', 'relative', '/a b', '/a?b']) {
      const refusedPath = await platform.request('POST', `${ORG}/environments/prod/apis/forms/revisions/2/deployments?basepath=${encodeURIComponent(bad)}&override=true`);
      expect(refusedPath.status, bad).toBe(400);
      expect(refusedPath.json.error.code).toBe('invalid_basepath');
    }
    const replaced = await platform.request('POST', `${ORG}/environments/prod/apis/forms/revisions/2/deployments?delay=-5`, form('override=true'));
    expect(replaced.status).toBe(200);
    expect(replaced.json).toEqual({
      aPIProxy: 'forms',
      configuration: { basePath: '/', steps: [] },
      name: '2',
      server: [],
      state: 'deployed',
      basePaths: ['/forms'],
      environment: 'prod',
      organization: 'default',
      revision: '2',
      deployStartTime: expect.any(Number),
    });
    expect((await platform.proxy('GET', '/forms')).headers.get('x-rev')).toBe('2');
  });

  it('shows the deployment in every Apigee view', async () => {
    const entry = { configuration: { basePath: '/', steps: [] }, name: '2', server: [], state: 'deployed', basePaths: ['/forms'] };
    expect((await platform.request('GET', `${ORG}/apis/forms/deployments`)).json).toEqual({ environment: [{ name: 'prod', revision: [entry] }], name: 'forms', organization: 'default' });
    expect((await platform.request('GET', `${ORG}/e/prod/apis/forms/deployments`)).json).toEqual({ environment: 'prod', name: 'forms', organization: 'default', revision: [entry] });
    expect((await platform.request('GET', `${ORG}/e/test/apis/forms/deployments`)).status).toBe(404);
    expect((await platform.request('GET', `${ORG}/apis/forms/revisions/2/deployments`)).json).toEqual({
      aPIProxy: 'forms',
      environment: [{ configuration: { basePath: '/', steps: [] }, server: [], state: 'deployed', basePaths: ['/forms'], name: 'prod' }],
      name: '2',
      organization: 'default',
    });
    expect((await platform.request('GET', `${ORG}/apis/forms/revisions/1/deployments`)).json.environment).toEqual([]);
    expect((await platform.request('GET', `${ORG}/e/prod/deployments`)).json.aPIProxy).toContainEqual({ name: 'forms', revision: [entry] });
    const all = await platform.request('GET', `${ORG}/deployments`);
    expect(all.json.name).toBe('default');
    expect(all.json.environment.find((env: { name: string }) => env.name === 'prod').aPIProxy).toContainEqual({ name: 'forms', revision: [entry] });
  });

  it('undeploys by apigeetool\'s form, Apigee\'s force undeploy, and deploys by the action forms too', async () => {
    const undeployed = await platform.request('POST', `${ORG}/apis/forms/deployments`, form('action=undeploy&revision=2&env=prod'));
    expect(undeployed.status, undeployed.text).toBe(200);
    expect(undeployed.json).toMatchObject({ aPIProxy: 'forms', revision: '2', state: 'undeployed', environment: 'prod' });
    expect((await platform.proxy('GET', '/forms')).status).toBe(404);

    expect((await platform.request('POST', `${ORG}/apis/forms/deployments?action=deploy&env=test&revision=1`)).status).toBe(200);
    expect((await platform.proxy('GET', '/forms', { env: 'test' })).headers.get('x-rev')).toBe('1');
    const forced = await platform.request('POST', `${ORG}/apis/forms/revisions/1/deployments?action=undeploy&env=test&force=true`);
    expect(forced.json).toMatchObject({ state: 'undeployed', revision: '1' });
    expect((await platform.request('POST', `${ORG}/apis/forms/revisions/1/deployments`, form('action=deploy&env=test'))).status).toBe(200);
    expect((await platform.request('POST', `${ORG}/e/test/apis/forms/revisions/1/deployments`, form('action=undeploy'))).json.state).toBe('undeployed');

    expect((await platform.request('POST', `${ORG}/apis/forms/deployments`, form('action=undeploy&env=test'))).status).toBe(400);
    expect((await platform.request('POST', `${ORG}/apis/forms/deployments`, form('action=explode&env=test&revision=1'))).status).toBe(400);
    expect((await platform.request('POST', `${ORG}/apis/forms/deployments`, form('action=undeploy&env=test&revision=1'))).status).toBe(404);
  });
});

describe('a deployment base path (Apigee\'s basepath)', () => {
  beforeAll(async () => {
    const model = {
      name: 'weather',
      policies: [{ name: 'paths', type: 'AssignMessage', config: { set: { headers: [{ name: 'x-base', value: '{proxy.basepath}' }, { name: 'x-suffix', value: '{proxy.pathsuffix}' }] } } }],
      proxyEndpoints: [{ basePath: '/weather', preFlow: { request: [], response: [{ name: 'paths' }] } }],
    };
    expect((await platform.request('POST', `${ORG}/apis`, { json: model })).status).toBe(201);
  });

  it('serves the proxy under the deployment base path before its own, shows it in the deployment, and moves it back with override', async () => {
    const deployed = await platform.request('POST', `${ORG}/e/prod/apis/weather/revisions/1/deployments?basepath=/v2`);
    expect(deployed.status, deployed.text).toBe(200);
    expect(deployed.json).toMatchObject({ configuration: { basePath: '/v2', steps: [] }, basePaths: ['/v2/weather'], state: 'deployed' });
    const served = await platform.proxy('GET', '/v2/weather/today');
    expect(served.status).toBe(200);
    expect(served.headers.get('x-base')).toBe('/v2/weather');
    expect(served.headers.get('x-suffix')).toBe('/today');
    expect((await platform.proxy('GET', '/weather/today')).status).toBe(404);
    expect((await platform.request('GET', `${ORG}/e/prod/apis/weather/deployments`)).json.revision[0].configuration.basePath).toBe('/v2');

    const moved = await platform.request('POST', `${ORG}/e/prod/apis/weather/revisions/1/deployments`, form('override=true&basepath=/'));
    expect(moved.json).toMatchObject({ configuration: { basePath: '/' }, basePaths: ['/weather'] });
    expect((await platform.proxy('GET', '/weather/today')).headers.get('x-suffix')).toBe('/today');
    expect((await platform.proxy('GET', '/v2/weather/today')).status).toBe(404);
  });
});

describe('key value maps with Apigee payloads', () => {
  it('takes "true"/"false", updates the whole map (entries written, others kept) and lists keys', async () => {
    const made = await platform.request('POST', `${ORG}/e/test/keyvaluemaps`, { json: { name: 'whole', encrypted: 'false', entry: [{ name: 'a', value: '1' }, { name: 'b', value: '2' }] } });
    expect(made.status).toBe(201);
    expect(made.json.encrypted).toBe(false);
    expect((await platform.request('POST', `${ORG}/e/test/keyvaluemaps`, { json: { name: 'bad', encrypted: 'yes' } })).status).toBe(422);
    const updated = await platform.request('PUT', `${ORG}/e/test/keyvaluemaps/whole`, { json: { name: 'whole', entry: [{ name: 'b', value: '3' }, { name: 'c', value: '4' }] } });
    expect(updated.json).toEqual({ name: 'whole', encrypted: false, entry: [{ name: 'a', value: '1' }, { name: 'b', value: '3' }, { name: 'c', value: '4' }] });
    expect((await platform.request('POST', `${ORG}/e/test/keyvaluemaps/whole`, { json: { entry: [{ name: 'a', value: '0' }] } })).json.entry[0]).toEqual({ name: 'a', value: '0' });
    expect((await platform.request('POST', `${ORG}/e/test/keyvaluemaps/whole`, { json: { encrypted: 'true', entry: [] } })).status).toBe(422);
    expect((await platform.request('POST', `${ORG}/e/test/keyvaluemaps/nothere`, { json: { entry: [] } })).status).toBe(404);
    expect((await platform.request('GET', `${ORG}/e/test/keyvaluemaps/whole/keys`)).json).toEqual(['a', 'b', 'c']);
    expect((await platform.request('GET', `${ORG}/e/test/keyvaluemaps/whole/keys?startkey=b&count=1`)).json).toEqual(['b']);
    const expanded = await platform.request('GET', `${ORG}/e/test/keyvaluemaps?expand=true`);
    expect(expanded.json).toContainEqual({ name: 'whole', encrypted: false, entry: expect.any(Array) });
  });
});

describe('organization properties', () => {
  it('say the KVM entries API is there, and may be sent back unchanged but not changed', async () => {
    const org = await platform.request('GET', ORG);
    expect(org.json.properties.property).toContainEqual({ name: 'features.isCpsEnabled', value: 'true' });
    const back = await platform.request('POST', ORG, { json: { properties: org.json.properties } });
    expect(back.status).toBe(200);
    const changed = await platform.request('POST', ORG, { json: { properties: { property: [{ name: 'features.isCpsEnabled', value: 'false' }] } } });
    expect(changed.status).toBe(422);
  });
});
