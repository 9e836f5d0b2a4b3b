// SAP API Management's APIProxy/ transport layout: an export zip as SAP
// writes it (descriptor, APIProxyEndPoint, APITargetEndPoint with provider_id,
// Policy in SAP's namespace, FileResource, APIResource) imports, runs with
// its JavaScript, VerifyAPIKey and OpenConnectors policies, and exports back
// in the same layout to a zip that imports to an equal model.
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../support/backend.js';
import { zip } from '../support/bundles.js';
import { provisionApp } from '../support/consumers.js';
import type { TestPlatform } from '../support/platform.js';
import { usePlatformAndBackend } from '../support/suite.js';

let platform: TestPlatform;
let backend: Backend;
usePlatformAndBackend((started) => ({ platform, backend } = started));

const ORG = '/v1/organizations/default';
const NS = 'xmlns="http://www.sap.com/apimgmt"';

const step = (name: string, sequence: number, condition = ' ') => `<step><policy_name>${name}</policy_name><condition>${condition}</condition><sequence>${sequence}</sequence></step>`;

function sapExport(providerPath: string) {
  return zip({
    'APIProxy/WebOutlook.xml': `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<APIProxy><name>WebOutlook</name><title>Web Outlook</title><description>&lt;p&gt;Mail&lt;/p&gt;</description><service_code>REST</service_code>
<life_cycle><changed_by>S001</changed_by><created_by>S001</created_by></life_cycle>
<proxyEndPoints><proxyEndPoint><proxyEndPointName>default</proxyEndPointName><apiResourceName>messages</apiResourceName></proxyEndPoint></proxyEndPoints>
<targetEndPoints><targetEndPoint>default</targetEndPoint></targetEndPoints>
<policies><policy type="VerifyAPIKey">VAK-Check</policy><policy type="Javascript">JS-Stamp</policy><policy type="OpenConnectors">openconnectors</policy></policies>
<fileResources><fileResource type="js">JS-Stamp</fileResource></fileResources></APIProxy>`,
    'APIProxy/APIProxyEndPoint/default.xml': `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<ProxyEndPoint default="true"><name>default</name><base_path>/weboutlook</base_path><properties/>
<routeRules><routeRule><name>default</name><targetEndPointName>default</targetEndPointName><sequence>1</sequence><faultRules/></routeRule></routeRules>
<faultRules/>
<preFlow><name>PreFlow</name><request><isRequest>true</isRequest><steps>${step('JS-Stamp', 2)}${step('VAK-Check', 1)}</steps></request><response><isRequest>false</isRequest><steps/></response></preFlow>
<postFlow><name>PostFlow</name><request><isRequest>true</isRequest><steps/></request><response><isRequest>false</isRequest><steps/></response></postFlow>
<conditionalFlows><conditionalFlow><name>Get messages</name><request><isRequest>true</isRequest><steps/></request><response><isRequest>false</isRequest><steps/></response>
<conditions>(proxy.pathsuffix MatchesPath "/messages" OR proxy.pathsuffix MatchesPath "/messages/**") AND (request.verb = "GET")</conditions><readOnly>true</readOnly><sequence>1</sequence></conditionalFlow></conditionalFlows>
</ProxyEndPoint>`,
    'APIProxy/APITargetEndPoint/default.xml': `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<TargetEndPoint><name>default</name><url>${providerPath}</url><provider_id>outlook-oc</provider_id><isDefault>true</isDefault>
<properties><property><name>success.codes</name><value>2xx,3xx</value></property></properties><faultRules/>
<preFlow><name>PreFlow</name><request><isRequest>true</isRequest><steps/></request></preFlow>
<postFlow><name>PostFlow</name><request><isRequest>true</isRequest><steps>${step('openconnectors', 1)}</steps></request><response><isRequest>false</isRequest><steps/></response></postFlow>
<conditionalFlows/></TargetEndPoint>`,
    'APIProxy/Policy/VAK-Check.xml': `<VerifyAPIKey async='true' continueOnError='false' enabled='true' ${NS}><APIKey ref='request.header.apikey'/></VerifyAPIKey>`,
    'APIProxy/Policy/JS-Stamp.xml': `<!-- stamps the request --><Javascript async="false" continueOnError="false" enabled="true" timeLimit="200" ${NS}><ResourceURL>jsc://JS-Stamp.js</ResourceURL></Javascript>`,
    'APIProxy/Policy/openconnectors.xml': `<OpenConnectors async="true" continueOnError="false" enabled="true" ${NS}><InstanceSecret kvm-map-name="apim.oc.instance.token" kvm-key-name="default"/></OpenConnectors>`,
    'APIProxy/FileResource/JS-Stamp.js': "context.setVariable('request.header.x-stamp', 'js:' + context.getVariable('request.verb'));",
    'APIProxy/APIResource/messages.xml': '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><APIResource><name>messages</name><resource_path>/messages</resource_path><proxyEndPointName>default</proxyEndPointName></APIResource>',
  });
}

describe('SAP APIProxy/ layout', () => {
  it('imports a SAP export, runs it, and exports it back to an equal model', async () => {
    const provider = await platform.request('POST', `${ORG}/apiproviders`, {
      json: { name: 'outlook-oc', type: 'OpenConnectors', url: `${backend.url}/elements/api-v2`, organizationSecret: 'ORG_SECRET', userSecret: 'USER_SECRET' },
    });
    expect(provider.status).toBe(201);
    const imported = await platform.request('POST', `${ORG}/apis?action=import`, { body: sapExport('/messages-api'), headers: { 'content-type': 'application/zip' } });
    expect(imported.status, imported.text).toBe(201);
    expect(imported.json).toMatchObject({ name: 'WebOutlook', displayName: 'Web Outlook', basepaths: ['/weboutlook'], unsupportedPolicies: [] });
    expect(imported.json.resources.sort()).toEqual(['jsc/JS-Stamp.js', 'sap-apiresource/messages.xml']);
    const model = (await platform.request('GET', `${ORG}/apis/WebOutlook/revisions/1`)).json.model;
    // Steps in <sequence> order, the SAP target as a provider target.
    expect(model.proxyEndpoints[0].preFlow.request.map((s: { name: string }) => s.name)).toEqual(['VAK-Check', 'JS-Stamp']);
    expect(model.proxyEndpoints[0].flows[0].name).toBe('Get messages');
    expect(model.targetEndpoints[0].connection).toMatchObject({ provider: 'outlook-oc', path: '/messages-api', properties: { 'success.codes': '2xx,3xx' } });

    const kvm = await platform.request('POST', '/apiportal/api/1.0/Management.svc/KeyMapEntries', {
      json: { name: 'apim.oc.instance.token', scope: 'APIPROXY', scopeId: 'WebOutlook', isEncrypted: true, keyMapEntryValues: [{ name: 'default', map_name: 'apim.oc.instance.token', value: 'INSTANCE_TOKEN' }] },
    });
    expect([200, 201]).toContain(kvm.status);
    expect((await platform.request('POST', `${ORG}/environments/prod/apis/WebOutlook/revisions/1/deployments`)).status).toBe(200);
    const app = await provisionApp(platform, { productFields: { proxies: ['WebOutlook'] } });
    expect((await platform.proxy('GET', '/weboutlook/messages', { auth: false })).status).toBe(401);
    const called = await platform.proxy('GET', '/weboutlook/messages', { auth: false, headers: { apikey: app.consumerKey } });
    expect(called.status, called.text).toBe(200);
    expect(called.json.url).toBe('/elements/api-v2/messages-api/messages');
    expect(called.json.headers['x-stamp']).toBe('js:GET');
    expect(called.json.headers.authorization).toBe('User USER_SECRET, Organization ORG_SECRET, Element INSTANCE_TOKEN');

    const exported = await platform.request('GET', `${ORG}/apis/WebOutlook/revisions/1?format=bundle&layout=sap`);
    expect(exported.status).toBe(200);
    const files = unzipSync(new Uint8Array(exported.bytes));
    expect(Object.keys(files).sort()).toEqual([
      'APIProxy/APIProxyEndPoint/default.xml',
      'APIProxy/APIResource/messages.xml',
      'APIProxy/APITargetEndPoint/default.xml',
      'APIProxy/FileResource/JS-Stamp.js',
      'APIProxy/Policy/JS-Stamp.xml',
      'APIProxy/Policy/VAK-Check.xml',
      'APIProxy/Policy/openconnectors.xml',
      'APIProxy/WebOutlook.xml',
    ]);
    expect(strFromU8(files['APIProxy/APITargetEndPoint/default.xml']!)).toContain('<provider_id>outlook-oc</provider_id>');
    expect(strFromU8(files['APIProxy/Policy/openconnectors.xml']!)).toContain('<InstanceSecret kvm-map-name="apim.oc.instance.token" kvm-key-name="default"/>');
    expect(strFromU8(files['APIProxy/Policy/VAK-Check.xml']!)).toContain('xmlns="http://www.sap.com/apimgmt"');
    const again = await platform.request('POST', `${ORG}/apis?action=import`, { body: exported.bytes, headers: { 'content-type': 'application/zip' } });
    expect(again.status, again.text).toBe(201);
    expect((await platform.request('GET', `${ORG}/apis/WebOutlook/revisions/2`)).json.model).toEqual(model);
  });

  it('names problems at the SAP files', async () => {
    // A policy the steps name but the bundle lacks is reported at the SAP endpoint file that names it.
    const missing = zip({
      'APIProxy/Bad.xml': '<APIProxy><name>Bad</name></APIProxy>',
      'APIProxy/APIProxyEndPoint/default.xml': `<ProxyEndPoint><name>default</name><base_path>/bad</base_path><preFlow><name>PreFlow</name><request><steps>${step('Nope', 1)}</steps></request></preFlow></ProxyEndPoint>`,
    });
    const refused = await platform.request('POST', `${ORG}/apis?action=import`, { body: missing, headers: { 'content-type': 'application/zip' } });
    expect(refused.status).toBe(422);
    expect(refused.json.error.fields[0]).toMatchObject({ file: 'APIProxyEndPoint/default.xml', message: 'no policy named "Nope"' });
  });
});
