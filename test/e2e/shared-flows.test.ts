// Shared flows over HTTP: a sharedflowbundle zip imported, deployed per
// environment and exported back; a proxy's FlowCallout running it (its
// faults are the proxy's); flow hooks running a shared flow around every
// proxy of the environment; and failing closed when a shared flow is missing.
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../support/backend.js';
import { bundle, proxyEndpoint, targetEndpoint, zip } from '../support/bundles.js';
import { provisionApp } from '../support/consumers.js';
import type { TestPlatform } from '../support/platform.js';
import { usePlatformAndBackend } from '../support/suite.js';

let platform: TestPlatform;
let backend: Backend;
usePlatformAndBackend((started) => ({ platform, backend } = started));

const ORG = '/v1/organizations/default';
const upload = (path: string, body: Buffer) => platform.request('POST', path, { body, headers: { 'content-type': 'application/octet-stream' } });

const securityFlow = zip({
  'sharedflowbundle/SF-Security.xml': '<SharedFlowBundle name="SF-Security" revision="1"><DisplayName>SF-Security</DisplayName><Policies><Policy>VA-Key</Policy></Policies></SharedFlowBundle>',
  'sharedflowbundle/sharedflows/default.xml': '<SharedFlow name="default"><Step><Name>VA-Key</Name></Step><Step><Name>AM-Mark</Name><Condition>request.header.mark = "yes"</Condition></Step></SharedFlow>',
  'sharedflowbundle/policies/VA-Key.xml': '<VerifyAPIKey name="VA-Key"><APIKey ref="request.header.x-apikey"/></VerifyAPIKey>',
  'sharedflowbundle/policies/AM-Mark.xml': '<AssignMessage name="AM-Mark"><Set><Headers><Header name="x-marked">{sf.param}</Header></Headers></Set><AssignTo createNew="false" type="request"/></AssignMessage>',
});

const hookFlow = zip({
  'sharedflowbundle/SF-Hook.xml': '<SharedFlowBundle name="SF-Hook"/>',
  'sharedflowbundle/sharedflows/default.xml': '<SharedFlow name="default"><Step><Name>AM-Correlate</Name></Step></SharedFlow>',
  'sharedflowbundle/policies/AM-Correlate.xml': '<AssignMessage name="AM-Correlate"><Set><Headers><Header name="x-correlation">{messageid}</Header></Headers></Set></AssignMessage>',
});

describe('shared flows', () => {
  it('imports, deploys, runs through FlowCallout and exports a shared flow bundle', async () => {
    const imported = await upload(`${ORG}/sharedflows?action=import&name=SF-Security`, securityFlow);
    expect(imported.status, imported.text).toBe(201);
    expect(imported.json).toMatchObject({ name: 'SF-Security', revision: '1', policies: ['AM-Mark', 'VA-Key'], sharedFlows: ['default'] });
    expect((await platform.request('GET', `${ORG}/sharedflows`)).json).toEqual(['SF-Security']);

    const proxy = bundle('uses-flow', {
      policies: { 'FC-Security': '<FlowCallout name="FC-Security"><Parameters><Parameter name="sf.param">from-proxy</Parameter></Parameters><SharedFlowBundle>SF-Security</SharedFlowBundle></FlowCallout>' },
      proxies: { default: proxyEndpoint({ basePath: '/uses-flow', request: ['FC-Security'] }) },
      targets: { default: targetEndpoint(backend.url) },
    });
    expect((await upload(`${ORG}/apis?action=import&name=uses-flow`, proxy)).status).toBe(201);
    expect((await platform.request('POST', `${ORG}/environments/prod/apis/uses-flow/revisions/1/deployments`)).status).toBe(200);

    // Not deployed yet: the step faults, the backend is not called.
    const before = backend.requests.length;
    const missing = await platform.proxy('GET', '/uses-flow/x', { auth: false });
    expect(missing.status).toBe(500);
    expect(missing.json.fault.detail.errorcode).toBe('flow.SharedFlowNotFound');
    expect(backend.requests.length).toBe(before);

    const deployed = await platform.request('POST', `${ORG}/environments/prod/sharedflows/SF-Security/revisions/1/deployments`);
    expect(deployed.status, deployed.text).toBe(200);
    const refused = await platform.proxy('GET', '/uses-flow/x', { auth: false });
    expect(refused.status).toBe(401);
    expect(refused.json.fault.detail.errorcode).toBe('steps.oauth.v2.FailedToResolveAPIKey');
    const app = await provisionApp(platform, { productFields: { proxies: ['uses-flow'] } });
    const allowed = await platform.proxy('GET', '/uses-flow/x', { auth: false, headers: { 'x-apikey': app.consumerKey, mark: 'yes' } });
    expect(allowed.status, allowed.text).toBe(200);
    expect(allowed.json.headers['x-marked']).toBe('from-proxy');

    const exported = await platform.request('GET', `${ORG}/sharedflows/SF-Security/revisions/1?format=bundle`);
    expect(exported.headers.get('content-type')).toBe('application/zip');
    const files = unzipSync(new Uint8Array(exported.bytes));
    expect(Object.keys(files).sort()).toEqual(['sharedflowbundle/SF-Security.xml', 'sharedflowbundle/policies/AM-Mark.xml', 'sharedflowbundle/policies/VA-Key.xml', 'sharedflowbundle/sharedflows/default.xml']);
    expect(strFromU8(files['sharedflowbundle/sharedflows/default.xml']!)).toContain('<Condition>request.header.mark = "yes"</Condition>');
    const again = await upload(`${ORG}/sharedflows?action=import&name=SF-Security`, exported.bytes);
    expect(again.status).toBe(201);
    const [first, second] = await Promise.all([1, 2].map((rev) => platform.request('GET', `${ORG}/sharedflows/SF-Security/revisions/${rev}`)));
    expect(second!.json.model).toEqual(first!.json.model);
    expect((await platform.request('DELETE', `${ORG}/sharedflows/SF-Security`)).status).toBe(409);
  });

  it('runs a flow hook around every proxy of the environment, and fails closed when its flow is gone', async () => {
    expect((await upload(`${ORG}/sharedflows?action=import&name=SF-Hook`, hookFlow)).status).toBe(201);
    const attach = await platform.request('PUT', `${ORG}/environments/prod/flowhooks/PreProxyFlowHook`, { json: { sharedFlow: 'SF-Hook', continueOnError: false } });
    expect(attach.status, attach.text).toBe(200);
    expect((await platform.request('GET', `${ORG}/environments/prod/flowhooks/PreProxyFlowHook`)).json).toEqual({ name: 'PreProxyFlowHook', sharedFlow: 'SF-Hook', continueOnError: false });
    expect((await platform.request('PUT', `${ORG}/environments/prod/flowhooks/Nope`, { json: { sharedFlow: 'SF-Hook' } })).status).toBe(404);

    const plain = bundle('hooked', { proxies: { default: proxyEndpoint({ basePath: '/hooked' }) }, targets: { default: targetEndpoint(backend.url) } });
    expect((await upload(`${ORG}/apis?action=import&name=hooked`, plain)).status).toBe(201);
    expect((await platform.request('POST', `${ORG}/environments/prod/apis/hooked/revisions/1/deployments`)).status).toBe(200);

    // Attached but not deployed: every call faults rather than skipping the hook.
    const closed = await platform.proxy('GET', '/hooked/a', { auth: false });
    expect(closed.status).toBe(500);
    expect(closed.json.fault.detail.errorcode).toBe('flow.SharedFlowNotFound');
    // Again, answered from the cached hooks: still closed.
    expect((await platform.proxy('GET', '/hooked/a', { auth: false })).json.fault.detail.errorcode).toBe('flow.SharedFlowNotFound');

    expect((await platform.request('POST', `${ORG}/environments/prod/sharedflows/SF-Hook/revisions/1/deployments`)).status).toBe(200);
    const hooked = await platform.proxy('GET', '/hooked/a', { auth: false });
    expect(hooked.status).toBe(200);
    expect(hooked.json.headers['x-correlation']).toMatch(/.+/);
    // The hook and its flow now come from the cache, at once: the flow still runs.
    const cached = await platform.proxy('GET', '/hooked/a', { auth: false });
    expect(cached.json.headers['x-correlation']).toMatch(/.+/);
    expect(cached.json.headers['x-correlation']).not.toBe(hooked.json.headers['x-correlation']);

    expect((await platform.request('DELETE', `${ORG}/environments/prod/flowhooks/PreProxyFlowHook`)).status).toBe(200);
    const unhooked = await platform.proxy('GET', '/hooked/a', { auth: false });
    expect(unhooked.json.headers['x-correlation']).toBeUndefined();
  });
});
