// Apigee bundles imported over the management API, deployed, and called over
// HTTP against loopback backends: every supported policy, conditional flows,
// fault rules, two proxy and two target endpoints, conditional RouteRules
// (target, direct URL, null route), and the SAP API provider target form.
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend, type BackendHandler } from '../support/backend.js';
import { bundle, proxyEndpoint, targetEndpoint } from '../support/bundles.js';
import { provisionApp, type ProvisionedApp } from '../support/consumers.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;
let backendA: Backend;
let backendB: Backend;
let app: ProvisionedApp;

const tagged =
  (which: string): BackendHandler =>
  (request, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-backend': which });
    res.end(JSON.stringify({ backend: which, method: request.method, url: request.url, headers: request.headers, body: request.body.toString('utf8') }));
  };

beforeAll(async () => {
  platform = await startPlatform();
  backendA = await startBackend(tagged('a'));
  backendB = await startBackend(tagged('b'));
  app = await provisionApp(platform, { product: 'orders-product' });
});
afterAll(async () => {
  await platform.close();
  await backendA.close();
  await backendB.close();
});

/** A call to a deployed proxy (the prod runtime). */
const call = (method: string, path: string, options: { headers?: Record<string, string>; body?: string } = {}) => platform.proxy(method, path, options);

async function postBundle(zipped: Buffer, query: string, contentType = 'application/octet-stream') {
  return platform.request('POST', `/v1/organizations/default/apis?action=import&${query}`, { body: zipped, headers: { 'content-type': contentType } });
}

async function importAndDeploy(zipped: Buffer, name: string, query = '') {
  const imported = await postBundle(zipped, `name=${name}${query}`);
  expect(imported.status, imported.text).toBe(201);
  const revision = imported.json.revision as string;
  const deployed = await platform.request('POST', `/v1/organizations/default/environments/prod/apis/${name}/revisions/${revision}/deployments`);
  expect(deployed.status, deployed.text).toBe(200);
  return imported.json;
}

const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n${body}`;

/** One policy of every supported type (and a few of each where behaviour differs), as Apigee writes them. */
const ordersPolicies = (): Record<string, string> => ({
  'CORS-1': xml(`<CORS async="false" continueOnError="false" enabled="true" name="CORS-1">
    <DisplayName>CORS</DisplayName>
    <AllowOrigins>https://app.example.com, https://admin.example.com</AllowOrigins>
    <AllowMethods>GET, POST</AllowMethods>
    <AllowHeaders>content-type, x-apikey</AllowHeaders>
    <ExposeHeaders>x-account</ExposeHeaders>
    <MaxAge>600</MaxAge>
    <AllowCredentials>false</AllowCredentials>
    <GeneratePreflightResponse>true</GeneratePreflightResponse>
    <IgnoreUnresolvedVariables>true</IgnoreUnresolvedVariables>
</CORS>`),
  'JTP-1': xml(`<JSONThreatProtection async="false" continueOnError="false" enabled="true" name="JTP-1">
    <ArrayElementCount>5</ArrayElementCount>
    <ContainerDepth>3</ContainerDepth>
    <ObjectEntryCount>10</ObjectEntryCount>
    <ObjectEntryNameLength>30</ObjectEntryNameLength>
    <Source>request</Source>
    <StringValueLength>100</StringValueLength>
</JSONThreatProtection>`),
  'AM-Vars': xml(`<AssignMessage async="false" continueOnError="false" enabled="true" name="AM-Vars">
    <AssignVariable><Name>backend.user</Name><Value>svc</Value></AssignVariable>
    <AssignVariable><Name>backend.password</Name><Ref>request.header.x-pw</Ref><Value>default-pw</Value></AssignVariable>
    <AssignVariable><Name>tenant.label</Name><Template>tenant-{request.header.x-tenant}</Template></AssignVariable>
    <IgnoreUnresolvedVariables>true</IgnoreUnresolvedVariables>
</AssignMessage>`),
  'SA-1': xml(`<SpikeArrest async="false" continueOnError="false" enabled="true" name="SA-1">
    <Identifier ref="request.header.x-client"/>
    <Rate>1pm</Rate>
</SpikeArrest>`),
  'Quota-1': xml(`<Quota async="false" continueOnError="false" enabled="true" name="Quota-1" type="calendar">
    <Allow count="2" countRef="request.header.x-allow"/>
    <Interval>1</Interval>
    <TimeUnit>month</TimeUnit>
    <Identifier ref="request.header.x-client"/>
    <Distributed>true</Distributed>
    <Synchronous>true</Synchronous>
</Quota>`),
  'EV-1': xml(`<ExtractVariables async="false" continueOnError="false" enabled="true" name="EV-1">
    <Source>request</Source>
    <VariablePrefix>in</VariablePrefix>
    <URIPath><Pattern ignoreCase="true">/accounts/{account}</Pattern></URIPath>
    <QueryParam name="code"><Pattern>c-{code}</Pattern></QueryParam>
    <Header name="Authorization"><Pattern>Bearer {token}</Pattern></Header>
    <JSONPayload>
        <Variable name="city" type="string"><JSONPath>$.address.city</JSONPath></Variable>
    </JSONPayload>
    <IgnoreUnresolvedVariables>true</IgnoreUnresolvedVariables>
</ExtractVariables>`),
  'AM-Extracted': xml(`<AssignMessage async="false" continueOnError="false" enabled="true" name="AM-Extracted">
    <Set>
        <Headers>
            <Header name="x-account">{in.account}</Header>
            <Header name="x-city">{in.city}</Header>
            <Header name="x-code">{in.code}</Header>
            <Header name="x-token">{in.token}</Header>
            <Header name="x-tenant-label">{tenant.label}</Header>
        </Headers>
    </Set>
    <IgnoreUnresolvedVariables>true</IgnoreUnresolvedVariables>
    <AssignTo createNew="false" transport="http" type="response"/>
</AssignMessage>`),
  'BA-Decode': xml(`<BasicAuthentication async="false" continueOnError="false" enabled="true" name="BA-Decode">
    <Operation>Decode</Operation>
    <IgnoreUnresolvedVariables>false</IgnoreUnresolvedVariables>
    <User ref="basic.user"/>
    <Password ref="basic.password"/>
    <Source>request.header.Authorization</Source>
</BasicAuthentication>`),
  'AM-Basic': xml(`<AssignMessage async="false" continueOnError="false" enabled="true" name="AM-Basic">
    <Remove><Headers><Header name="Authorization"/></Headers></Remove>
    <Set><Headers><Header name="x-basic-user">{basic.user}</Header></Headers></Set>
</AssignMessage>`),
  'BA-Encode': xml(`<BasicAuthentication async="false" continueOnError="false" enabled="true" name="BA-Encode">
    <Operation>Encode</Operation>
    <IgnoreUnresolvedVariables>false</IgnoreUnresolvedVariables>
    <User ref="backend.user"/>
    <Password ref="backend.password"/>
    <AssignTo createNew="false">request.header.Authorization</AssignTo>
</BasicAuthentication>`),
  'KVM-Put': xml(`<KeyValueMapOperations async="false" continueOnError="false" enabled="true" name="KVM-Put" mapIdentifier="orders-kvm">
    <Scope>apiproxy</Scope>
    <Put override="true">
        <Key><Parameter>color</Parameter><Parameter ref="request.queryparam.k"/></Key>
        <Value ref="request.header.x-v"/>
    </Put>
</KeyValueMapOperations>`),
  'KVM-Get': xml(`<KeyValueMapOperations async="false" continueOnError="false" enabled="true" name="KVM-Get" mapIdentifier="orders-kvm">
    <ExpiryTimeInSecs>0</ExpiryTimeInSecs>
    <Scope>apiproxy</Scope>
    <Get assignTo="kvm.value">
        <Key><Parameter>color</Parameter><Parameter ref="request.queryparam.k"/></Key>
    </Get>
</KeyValueMapOperations>`),
  'AM-KVM': xml(`<AssignMessage async="false" continueOnError="false" enabled="true" name="AM-KVM">
    <Set><Headers><Header name="x-kvm">{kvm.value}</Header></Headers></Set>
</AssignMessage>`),
  'RF-NotFound': xml(`<RaiseFault async="false" continueOnError="false" enabled="true" name="RF-NotFound">
    <IgnoreUnresolvedVariables>true</IgnoreUnresolvedVariables>
    <FaultResponse>
        <Set>
            <Headers><Header name="x-raised">yes</Header></Headers>
            <Payload contentType="application/json">{"error":"no such order","path":"{proxy.pathsuffix}"}</Payload>
            <StatusCode>404</StatusCode>
            <ReasonPhrase>Not Found</ReasonPhrase>
        </Set>
    </FaultResponse>
</RaiseFault>`),
  'AM-QuotaFault': xml(`<AssignMessage async="false" continueOnError="false" enabled="true" name="AM-QuotaFault">
    <Set>
        <Headers><Header name="x-fault-rule">quota-exceeded</Header></Headers>
        <Payload contentType="application/json" variablePrefix="@" variableSuffix="#">{"message":"slow down","client":"@request.header.x-client#"}</Payload>
        <StatusCode>429</StatusCode>
    </Set>
</AssignMessage>`),
  'AM-DefaultFault': xml(`<AssignMessage async="false" continueOnError="false" enabled="true" name="AM-DefaultFault">
    <Add><Headers><Header name="x-default-fault">{fault.name}</Header></Headers></Add>
</AssignMessage>`),
  'AM-Local': xml(`<AssignMessage async="false" continueOnError="false" enabled="true" name="AM-Local">
    <AssignTo createNew="true" transport="http" type="response"/>
    <Set>
        <Payload contentType="text/plain">answered by the proxy for {request.verb}</Payload>
        <StatusCode>200</StatusCode>
    </Set>
</AssignMessage>`),
  'AM-Order': xml(`<AssignMessage async="false" continueOnError="false" enabled="true" name="AM-Order">
    <Add><Headers><Header name="x-step">one</Header></Headers></Add>
    <Remove><Headers><Header name="x-step"/><Header name="x-secret"/></Headers></Remove>
    <Add><Headers><Header name="x-step">two</Header></Headers><QueryParams><QueryParam name="added">{request.header.x-tenant}</QueryParam></QueryParams></Add>
    <Copy source="request"><Headers><Header name="x-tenant"/></Headers></Copy>
</AssignMessage>`),
  'AM-Disabled': xml(`<AssignMessage async="false" continueOnError="false" enabled="false" name="AM-Disabled">
    <Set><Headers><Header name="x-disabled">ran</Header></Headers></Set>
</AssignMessage>`),
  'RF-Soft': xml(`<RaiseFault async="false" continueOnError="true" enabled="true" name="RF-Soft">
    <FaultResponse><Set><StatusCode>500</StatusCode></Set></FaultResponse>
</RaiseFault>`),
  'AM-TargetB': xml(`<AssignMessage async="false" continueOnError="false" enabled="true" name="AM-TargetB">
    <Set><Headers><Header name="x-target">backend-b</Header></Headers></Set>
</AssignMessage>`),
  'VA-1': xml(`<VerifyAPIKey async="false" continueOnError="false" enabled="true" name="VA-1">
    <DisplayName>Verify API Key</DisplayName>
    <APIKey ref="request.header.x-apikey"/>
</VerifyAPIKey>`),
  'AM-App': xml(`<AssignMessage async="false" continueOnError="false" enabled="true" name="AM-App">
    <Set><Headers><Header name="x-app">{developer.app.name}</Header></Headers></Set>
</AssignMessage>`),
  'OA-Verify': xml(`<OAuthV2 async="false" continueOnError="false" enabled="true" name="OA-Verify">
    <Operation>VerifyAccessToken</Operation>
    <AccessTokenPrefix>Bearer</AccessTokenPrefix>
</OAuthV2>`),
  'OA-Generate': xml(`<OAuthV2 async="false" continueOnError="false" enabled="true" name="OA-Generate">
    <Operation>GenerateAccessToken</Operation>
    <ExpiresIn>3600000</ExpiresIn>
    <SupportedGrantTypes><GrantType>client_credentials</GrantType></SupportedGrantTypes>
    <GrantType>request.formparam.grant_type</GrantType>
    <GenerateResponse enabled="true"/>
</OAuthV2>`),
});

const flow = (name: string, condition: string, request: string[], response: string[] = []) => `
    <Flow name="${name}">
        <Description>${name}</Description>
        <Request>${request.map((step) => `<Step><Name>${step}</Name></Step>`).join('')}</Request>
        <Response>${response.map((step) => `<Step><Name>${step}</Name></Step>`).join('')}</Response>
        <Condition>${condition}</Condition>
    </Flow>`;

const ordersBundle = () =>
  bundle('orders', {
    policies: ordersPolicies(),
    proxies: {
      default: proxyEndpoint({
        basePath: '/orders',
        request: ['CORS-1', 'JTP-1', 'AM-Vars'],
        flows: [
          flow('spike', 'proxy.pathsuffix MatchesPath "/spike"', ['SA-1']),
          flow('quota', 'proxy.pathsuffix MatchesPath "/quota"', ['Quota-1']),
          flow('extract', '((proxy.pathsuffix MatchesPath "/accounts/*") or (proxy.pathsuffix MatchesPath "/ACCOUNTS/*")) and (request.verb = "POST")', ['EV-1'], ['AM-Extracted']),
          flow('basic', 'proxy.pathsuffix MatchesPath "/basic"', ['BA-Decode', 'AM-Basic']),
          flow('kvm', 'proxy.pathsuffix MatchesPath "/kvm"', ['KVM-Put', 'KVM-Get'], ['AM-KVM']).replace(
            '<Step><Name>KVM-Put</Name></Step>',
            '<Step><Name>KVM-Put</Name><Condition>request.verb = "POST"</Condition></Step>',
          ),
          flow('fail', 'proxy.pathsuffix MatchesPath "/fail"', ['RF-NotFound']),
          flow('local', 'proxy.pathsuffix MatchesPath "/local"', ['AM-Local']),
          flow('secure', 'proxy.pathsuffix MatchesPath "/secure/**"', ['VA-1', 'AM-App']),
          flow('me', 'proxy.pathsuffix MatchesPath "/me"', ['OA-Verify']),
        ].join(''),
        faultRules: `
    <FaultRule name="quota-exceeded">
        <Step><Name>AM-QuotaFault</Name></Step>
        <Condition>(fault.name = "QuotaViolation")</Condition>
    </FaultRule>`,
        defaultFaultRule: `<DefaultFaultRule name="fallback"><Step><Name>AM-DefaultFault</Name></Step><AlwaysEnforce>true</AlwaysEnforce></DefaultFaultRule>`,
        routeRules: `
  <RouteRule name="to-b"><Condition>request.header.x-route = "b"</Condition><TargetEndpoint>backend-b</TargetEndpoint></RouteRule>
  <RouteRule name="direct"><Condition>request.header.x-route = "direct"</Condition><URL>${backendB.url}/direct</URL></RouteRule>
  <RouteRule name="none"><Condition>proxy.pathsuffix MatchesPath "/local"</Condition></RouteRule>
  <RouteRule name="default"><TargetEndpoint>default</TargetEndpoint></RouteRule>`,
      }),
      token: proxyEndpoint({ name: 'token', basePath: '/orders-auth', request: ['OA-Generate'], routeRules: '<RouteRule name="noroute"/>' }),
    },
    targets: {
      default: targetEndpoint(`${backendA.url}/api`, { request: ['AM-Order', 'AM-Disabled', 'RF-Soft'] }),
      'backend-b': targetEndpoint(`${backendB.url}/b`, { name: 'backend-b', request: ['BA-Encode', 'AM-TargetB'] }),
    },
  });

describe('an imported Apigee bundle', () => {
  beforeAll(async () => {
    const summary = await importAndDeploy(ordersBundle(), 'orders');
    expect(summary.source).toBe('bundle');
    expect(summary.proxyEndpoints).toEqual(['default', 'token']);
    expect(summary.targetEndpoints).toEqual(['backend-b', 'default']);
    expect(summary.basepaths).toEqual(['/orders', '/orders-auth']);
    expect(summary.unsupportedPolicies).toEqual([]);
  });

  it('routes to the default target with its target-flow steps in document order; disabled and continueOnError policies behave', async () => {
    const response = await call('GET', '/orders/list?x=1', { headers: { 'x-secret': 's', 'x-tenant': 'acme', 'x-step': 'client' } });
    expect(response.status).toBe(200);
    expect(response.json.backend).toBe('a');
    expect(response.json.url).toBe('/api/list?x=1&added=acme');
    // Add one, Remove it, Add two: only `two` is left, which only holds if the actions ran in order.
    expect(response.json.headers['x-step']).toBe('two');
    expect(response.json.headers['x-secret']).toBeUndefined();
    expect(response.json.headers['x-tenant']).toBe('acme');
    expect(response.json.headers['x-disabled']).toBeUndefined();
  });

  it('follows conditional RouteRules: another target endpoint, a direct URL and a null route', async () => {
    const toB = await call('GET', '/orders/list', { headers: { 'x-route': 'b', 'x-pw': 'p@ss' } });
    expect(toB.json.backend).toBe('b');
    expect(toB.json.url).toBe('/b/list');
    expect(toB.json.headers['x-target']).toBe('backend-b');
    // BasicAuthentication Encode from variables AssignMessage set (Ref with a Value fallback).
    expect(toB.json.headers.authorization).toBe(`Basic ${Buffer.from('svc:p@ss').toString('base64')}`);
    const fallback = await call('GET', '/orders/list', { headers: { 'x-route': 'b' } });
    expect(fallback.json.headers.authorization).toBe(`Basic ${Buffer.from('svc:default-pw').toString('base64')}`);

    const direct = await call('GET', '/orders/x', { headers: { 'x-route': 'direct' } });
    expect(direct.json.backend).toBe('b');
    expect(direct.json.url).toBe('/direct/x');

    const before = backendA.requests.length + backendB.requests.length;
    const local = await call('PUT', '/orders/local');
    expect(local.status).toBe(200);
    expect(local.text).toBe('answered by the proxy for PUT');
    expect(local.headers.get('content-type')).toBe('text/plain');
    expect(backendA.requests.length + backendB.requests.length).toBe(before);
  });

  it('extracts variables from path, query, header and JSON and answers with templates', async () => {
    const response = await call('POST', '/orders/ACCOUNTS/42?code=c-77', {
      headers: { 'content-type': 'application/json', authorization: 'Bearer tok-1', 'x-tenant': 'acme' },
      body: JSON.stringify({ address: { city: 'Lyon' } }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-account')).toBe('42');
    expect(response.headers.get('x-city')).toBe('Lyon');
    expect(response.headers.get('x-code')).toBe('77');
    expect(response.headers.get('x-token')).toBe('tok-1');
    expect(response.headers.get('x-tenant-label')).toBe('tenant-acme');
  });

  it('protects JSON payloads with the threat protection limits', async () => {
    const deep = await call('POST', '/orders/accounts/1', { headers: { 'content-type': 'application/json' }, body: '{"a":{"b":{"c":{"d":1}}}}' });
    expect(deep.status).toBe(500);
    expect(deep.json.fault.detail.errorcode).toBe('steps.jsonthreatprotection.ExecutionFailed');
    expect(deep.headers.get('x-default-fault')).toBe('ExecutionFailed');
  });

  it('answers CORS preflights itself and decorates actual responses', async () => {
    const before = backendA.requests.length;
    const preflight = await call('OPTIONS', '/orders/list', {
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET, POST');
    expect(preflight.headers.get('access-control-max-age')).toBe('600');
    expect(backendA.requests.length).toBe(before);
    const actual = await call('GET', '/orders/list', { headers: { origin: 'https://admin.example.com' } });
    expect(actual.headers.get('access-control-allow-origin')).toBe('https://admin.example.com');
    expect(actual.headers.get('access-control-expose-headers')).toBe('x-account');
    const foreign = await call('GET', '/orders/list', { headers: { origin: 'https://evil.example.com' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('arrests spikes per identifier', async () => {
    expect((await call('GET', '/orders/spike', { headers: { 'x-client': 'one' } })).status).toBe(200);
    const limited = await call('GET', '/orders/spike', { headers: { 'x-client': 'one' } });
    expect(limited.status).toBe(429);
    expect(limited.json.fault.detail.errorcode).toBe('policies.ratelimit.SpikeArrestViolation');
    expect((await call('GET', '/orders/spike', { headers: { 'x-client': 'two' } })).status).toBe(200);
  });

  it('counts the quota per identifier, takes the count from countRef, and reshapes the violation in a FaultRule', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call('GET', '/orders/quota', { headers: { 'x-client': 'q1' } })).status);
    expect(statuses).toEqual([200, 200, 429]);
    const violation = await call('GET', '/orders/quota', { headers: { 'x-client': 'q1' } });
    expect(violation.status).toBe(429);
    expect(violation.headers.get('x-fault-rule')).toBe('quota-exceeded');
    expect(violation.json).toEqual({ message: 'slow down', client: 'q1' });
    // AlwaysEnforce: the DefaultFaultRule runs after the matching FaultRule too.
    expect(violation.headers.get('x-default-fault')).toBe('QuotaViolation');

    const withRef: number[] = [];
    for (let i = 0; i < 4; i++) withRef.push((await call('GET', '/orders/quota', { headers: { 'x-client': 'q2', 'x-allow': '3' } })).status);
    expect(withRef).toEqual([200, 200, 200, 429]);
  });

  it('decodes Basic credentials and refuses a request without them', async () => {
    const ok = await call('GET', '/orders/basic', { headers: { authorization: `Basic ${Buffer.from('ada:secret').toString('base64')}` } });
    expect(ok.status).toBe(200);
    expect(ok.json.headers['x-basic-user']).toBe('ada');
    expect(ok.json.headers.authorization).toBeUndefined();
    const missing = await call('GET', '/orders/basic');
    expect(missing.status).toBe(401);
    expect(missing.json.fault.detail.errorcode).toBe('steps.basicauthentication.InvalidBasicAuthenticationSource');
  });

  it('puts and gets key value map entries with multi-part keys', async () => {
    const put = await call('POST', '/orders/kvm?k=sky', { headers: { 'x-v': 'blue' } });
    expect(put.headers.get('x-kvm')).toBe('blue');
    const get = await call('GET', '/orders/kvm?k=sky');
    expect(get.headers.get('x-kvm')).toBe('blue');
    const entry = await platform.request('GET', '/v1/organizations/default/apis/orders/keyvaluemaps/orders-kvm/entries/color__sky');
    expect(entry.json).toEqual({ name: 'color__sky', value: 'blue' });
  });

  it('raises faults with the FaultResponse and runs the DefaultFaultRule', async () => {
    const response = await call('GET', '/orders/fail');
    expect(response.status).toBe(404);
    expect(response.json).toEqual({ error: 'no such order', path: '/fail' });
    expect(response.headers.get('x-raised')).toBe('yes');
    expect(response.headers.get('x-default-fault')).toBe('RaiseFault');
  });

  it('verifies API keys against developer apps', async () => {
    const missing = await call('GET', '/orders/secure/x');
    expect(missing.status).toBe(401);
    expect(missing.json.fault.detail.errorcode).toBe('steps.oauth.v2.FailedToResolveAPIKey');
    const wrong = await call('GET', '/orders/secure/x', { headers: { 'x-apikey': 'nope' } });
    expect(wrong.status).toBe(401);
    const good = await call('GET', '/orders/secure/x', { headers: { 'x-apikey': app.consumerKey } });
    expect(good.status).toBe(200);
    expect(good.json.headers['x-app']).toBe(app.appName);
  });

  it('issues tokens on the second proxy endpoint and verifies them on the first', async () => {
    const token = await call('POST', '/orders-auth/token', {
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${app.consumerKey}:${app.consumerSecret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    expect(token.status, token.text).toBe(200);
    expect(token.json.token_type).toMatch(/bearer/i);
    const denied = await call('GET', '/orders/me');
    expect(denied.status).toBe(401);
    const allowed = await call('GET', '/orders/me', { headers: { authorization: `Bearer ${token.json.access_token}` } });
    expect(allowed.status).toBe(200);
    expect(allowed.json.backend).toBe('a');
  });
});

describe('SAP API Management bundles', () => {
  it('imports an APIProvider target and the OpenConnectors policy and calls the connector with its credentials', async () => {
    const provider = await platform.request('POST', '/v1/organizations/default/apiproviders', {
      json: { name: 'oc-bundle', type: 'OpenConnectors', url: `${backendA.url}/elements/api-v2`, organizationSecret: 'org-s', userSecret: 'user-s' },
    });
    expect(provider.status).toBe(201);
    const zipped = bundle('Outlook', {
      policies: {
        'OC-1': xml(`<OpenConnectors async="false" continueOnError="false" enabled="true" name="OC-1" xmlns="http://www.sap.com/apimgmt"/>`),
      },
      proxies: { default: proxyEndpoint({ basePath: '/outlook' }) },
      targets: {
        default: xml(`<TargetEndpoint name="default">
    <PreFlow name="PreFlow"><Request/><Response/></PreFlow>
    <PostFlow name="PostFlow"><Request><Step><Name>OC-1</Name></Step></Request><Response/></PostFlow>
    <HTTPTargetConnection>
        <APIProvider>oc-bundle</APIProvider>
        <Path>/hubs/general</Path>
    </HTTPTargetConnection>
</TargetEndpoint>`),
      },
    });
    await importAndDeploy(zipped, 'Outlook');
    const kvm = await platform.request('POST', '/apiportal/api/1.0/Management.svc/KeyMapEntries', {
      json: { name: 'apim.oc.instance.token', scope: 'APIPROXY', scopeId: 'Outlook', isEncrypted: true, keyMapEntryValues: [{ name: 'default', map_name: 'apim.oc.instance.token', value: 'element-token' }] },
    });
    expect(kvm.status).toBe(201);
    const response = await call('GET', '/outlook/messages');
    expect(response.status).toBe(200);
    expect(response.json.url).toBe('/elements/api-v2/hubs/general/messages');
    expect(response.json.headers.authorization).toBe('User user-s, Organization org-s, Element element-token');
  });
});

describe('round trip', () => {
  it('exports a revision as an Apigee bundle that re-imports to an equal model', async () => {
    const first = await postBundle(ordersBundle(), 'name=roundtrip');
    expect(first.status, first.text).toBe(201);
    const exported = await platform.request('GET', `/v1/organizations/default/apis/roundtrip/revisions/${first.json.revision}?format=bundle`);
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toBe('application/zip');
    const files = unzipSync(new Uint8Array(exported.bytes));
    expect(Object.keys(files).sort()).toEqual(
      expect.arrayContaining([
        'apiproxy/roundtrip.xml',
        'apiproxy/proxies/default.xml',
        'apiproxy/proxies/token.xml',
        'apiproxy/targets/default.xml',
        'apiproxy/targets/backend-b.xml',
        'apiproxy/policies/Quota-1.xml',
        'apiproxy/policies/AM-Order.xml',
      ]),
    );
    expect(strFromU8(files['apiproxy/policies/Quota-1.xml']!)).toContain('<Allow count="2" countRef="request.header.x-allow"/>');
    expect(strFromU8(files['apiproxy/proxies/default.xml']!)).toContain('<BasePath>/orders</BasePath>');

    const second = await postBundle(exported.bytes, 'name=roundtrip');
    expect(second.status, second.text).toBe(201);
    expect(second.json.revision).toBe('2');
    const one = await platform.request('GET', '/v1/organizations/default/apis/roundtrip/revisions/1');
    const two = await platform.request('GET', '/v1/organizations/default/apis/roundtrip/revisions/2');
    expect(two.json.model).toEqual(one.json.model);
    // And once more: the exported bundle is stable.
    const again = await platform.request('GET', '/v1/organizations/default/apis/roundtrip/revisions/2?format=bundle');
    const filesAgain = unzipSync(new Uint8Array(again.bytes));
    for (const [path, content] of Object.entries(files)) {
      if (path === 'apiproxy/roundtrip.xml') continue; // carries the revision number
      expect(strFromU8(filesAgain[path]!), path).toBe(strFromU8(content));
    }
  });

  it('exports a proxy created as JSON as a bundle that imports and runs', async () => {
    const created = await platform.request('POST', '/v1/organizations/default/apis', {
      json: {
        name: 'from-json',
        policies: [
          { name: 'q', type: 'Quota', config: { allow: 1, timeUnit: 'month' } },
          { name: 'rf', type: 'RaiseFault', config: { statusCode: 418, faultResponse: { set: { payload: { content: 'teapot' } } } } },
        ],
        proxyEndpoints: [
          { basePath: '/from-json', preFlow: { request: [{ name: 'q' }, { name: 'rf', condition: 'request.header.x-tea = "yes"' }], response: [] } },
        ],
        targetEndpoints: [{ connection: { url: backendA.url } }],
      },
    });
    expect(created.status, created.text).toBe(201);
    const exported = await platform.request('GET', '/v1/organizations/default/apis/from-json/revisions/1?format=bundle');
    await importAndDeploy(exported.bytes, 'from-json');
    const tea = await call('GET', '/from-json', { headers: { 'x-tea': 'yes' } });
    expect(tea.status).toBe(418);
    expect(tea.text).toBe('teapot');
    expect((await call('GET', '/from-json')).status).toBe(429);
  });
});
