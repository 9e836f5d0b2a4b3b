// The pieces of bundle import and export on their own: the XML reader and
// writer, the zip reader's limits, and every policy's XML mapping, which must
// read back to the same settings it was written from.
import fc from 'fast-check';
import { zipSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { policyXml } from '../../shared/bundles/export.js';
import { bundleToModel, compact } from '../../shared/bundles/import.js';
import { decodeEntities, el, parseXml, renderXml } from '../../shared/bundles/xml.js';
import { readZip, writeZip, ZipError, type ZipLimits } from '../../shared/bundles/zip.js';
import { policyCodec, supportedPolicyTypes } from '../../shared/gateway/policies/index.js';
import { bundle, proxyEndpoint } from '../support/bundles.js';

describe('XML reader', () => {
  it('gives XPath-like locations and lines, decodes the predefined entities and keeps CDATA literal', () => {
    const { root, document } = parseXml(
      'policies/x.xml',
      '<?xml version="1.0"?>\r\n<A name="a&amp;b">\r\n  <B>one</B>\r\n  <B>t&lt;w&#111;&#x21;</B>\r\n  <C><![CDATA[<raw>&amp;]]></C>\r\n</A>',
    );
    expect(document.problems).toEqual([]);
    expect(root!.attr('name')).toBe('a&b');
    const [first, second] = root!.all('B');
    expect(first!.xpath).toBe('/A/B[1]');
    expect(second!.xpath).toBe('/A/B[2]');
    expect(second!.line).toBe(4);
    expect(second!.text()).toBe('t<wo!');
    expect(root!.child('C')!.text()).toBe('<raw>&amp;');
  });

  it('reports what was never read, and malformed values where they are', () => {
    const { root, document } = parseXml('p.xml', '<Q><Allow count="x"/><Known>true</Known><Extra><Deep/></Extra></Q>');
    root!.child('Allow')!.int('count');
    root!.child('Known')!.bool();
    expect(document.problems.map((p) => `${p.xpath} ${p.kind}`)).toEqual(['/Q/Allow/@count invalid']);
  });

  it('refuses DOCTYPE, entity declarations, malformed documents and deep nesting', () => {
    for (const text of ['<!DOCTYPE a><a/>', '<!doctype a [<!ENTITY x "y">]><a>&x;</a>', '<a><b></a>', '<a/><b/>', `${'<a>'.repeat(100)}${'</a>'.repeat(100)}`, '']) {
      const { root, document } = parseXml('x.xml', text);
      expect(root, text.slice(0, 30)).toBeUndefined();
      expect(document.problems.length, text.slice(0, 30)).toBeGreaterThan(0);
    }
  });

  it('leaves unknown entities alone and decodes only valid character references', () => {
    expect(decodeEntities('&xxe; &amp; &#0; &#x110000; &#65;')).toBe('&xxe; & &#0; &#x110000; A');
  });

  it('writes text, attributes and markup that read back unchanged', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (text, attribute) => {
        // XML 1.0 cannot carry most control characters; bundles never need them.
        // eslint-disable-next-line no-control-regex
        const clean = (value: string) => value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '').replace(/[\ud800-\udfff]/g, '');
        const xml = renderXml(el('A', { v: clean(attribute) }, [el('B', {}, clean(text))]));
        const { root, document } = parseXml('x.xml', xml);
        expect(document.problems).toEqual([]);
        expect(root!.attr('v')).toBe(clean(attribute));
        expect(root!.child('B')!.text()).toBe(clean(text).trim());
      }),
    );
  });
});

describe('zip reader', () => {
  const limits: ZipLimits = { maxZipBytes: 100_000, maxEntries: 5, maxEntryBytes: 10_000, maxTotalBytes: 20_000, maxRatio: 10, ratioFloorBytes: 1_000 };
  const status = (fn: () => unknown) => {
    try {
      fn();
      return 'ok';
    } catch (error) {
      if (error instanceof ZipError) return error.status;
      throw error;
    }
  };

  it('reads what writeZip wrote, byte for byte', () => {
    const files = new Map<string, Uint8Array | string>([
      ['apiproxy/a.xml', '<a/>'],
      ['apiproxy/resources/bin/x', new Uint8Array([0, 255, 1, 254])],
    ]);
    const read = readZip(writeZip(files), limits);
    expect(Buffer.from(read.get('apiproxy/a.xml')!).toString()).toBe('<a/>');
    expect([...read.get('apiproxy/resources/bin/x')!]).toEqual([0, 255, 1, 254]);
    expect(writeZip(files).equals(writeZip(files))).toBe(true);
  });

  it('applies every limit before inflating', () => {
    const many = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`f${i}`, strToU8('x')]));
    expect(status(() => readZip(Buffer.from(zipSync(many)), limits))).toBe(413);
    expect(status(() => readZip(Buffer.from(zipSync({ big: strToU8('y'.repeat(10_001)) }, { level: 0 })), limits))).toBe(413);
    expect(status(() => readZip(Buffer.from(zipSync({ ratio: new Uint8Array(5_000) }, { level: 9 })), limits))).toBe(413);
    const total = Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`t${i}`, strToU8(String(i).repeat(8_000))]));
    expect(status(() => readZip(Buffer.from(zipSync(total, { level: 0 })), limits))).toBe(413);
    expect(status(() => readZip(Buffer.alloc(100_001), limits))).toBe(413);
  });

  it('catches corrupt data and a failing CRC', () => {
    const good = Buffer.from(zipSync({ a: strToU8('hello world') }, { level: 0 }));
    const corrupt = Buffer.from(good);
    corrupt[good.indexOf('hello')] = 'j'.charCodeAt(0);
    expect(status(() => readZip(corrupt, limits))).toBe(400);
    expect(status(() => readZip(good.subarray(0, good.length - 5), limits))).toBe(400);
  });
});

/** A policy's root as Apigee writes it around the given body. */
const policyFile = (type: string, body: string, attributes = '') => `<${type} async="false" continueOnError="false" enabled="true" name="P-1"${attributes}>${body}</${type}>`;

/** Apigee XML for each supported policy type, using its elements and attributes. */
const SAMPLES: Record<string, string[]> = {
  SpikeArrest: [
    policyFile('SpikeArrest', '<Identifier ref="client_id"/><MessageWeight ref="request.header.weight"/><Rate ref="verifyapikey.V.rate">30ps</Rate><UseEffectiveCount>true</UseEffectiveCount>'),
    policyFile('SpikeArrest', '<Rate>12pm</Rate>'),
  ],
  Quota: [
    policyFile('Quota', '<Allow count="10" countRef="request.header.allow"/><Interval ref="request.header.interval">2</Interval><TimeUnit ref="request.header.unit">day</TimeUnit><StartTime>2021-3-4 05:06:07</StartTime><Identifier ref="client_id"/><MessageWeight ref="w"/><Distributed>true</Distributed><Synchronous>false</Synchronous>', ' type="calendar"'),
    policyFile('Quota', '<UseQuotaConfigInAPIProduct stepName="VA-1"><DefaultConfig><Allow>5</Allow><Interval>1</Interval><TimeUnit>month</TimeUnit></DefaultConfig></UseQuotaConfigInAPIProduct>', ' type="flexi"'),
    policyFile('Quota', '<Allow count="3"/><Interval>1</Interval><TimeUnit>week</TimeUnit>'),
  ],
  AssignMessage: [
    policyFile(
      'AssignMessage',
      `<AssignTo createNew="true" transport="http" type="request">calloutRequest</AssignTo>
       <Copy source="request"><Headers/><QueryParams><QueryParam name="q"/></QueryParams><Payload>true</Payload><Verb>true</Verb><Path>true</Path></Copy>
       <Remove><Headers><Header name="h"/></Headers><FormParams/><Payload>true</Payload></Remove>
       <Add><Headers><Header name="a">{x}</Header></Headers><QueryParams><QueryParam name="b">2</QueryParam></QueryParams><FormParams><FormParam name="c">3</FormParam></FormParams></Add>
       <Set><Headers><Header name="d">4</Header></Headers><Payload contentType="application/json" variablePrefix="@" variableSuffix="#">{"a":"@x#"}</Payload><Verb>POST</Verb><Path>/p</Path><StatusCode>201</StatusCode><ReasonPhrase>Made</ReasonPhrase></Set>
       <AssignVariable><Name>v</Name><Value>lit</Value><Ref>request.header.v</Ref><Template>t-{x}</Template></AssignVariable>
       <Add><Headers><Header name="again">1</Header></Headers></Add>
       <IgnoreUnresolvedVariables>false</IgnoreUnresolvedVariables>`,
    ),
    policyFile('AssignMessage', '<Set><Payload><![CDATA[<xml attr="1">&amp;</xml>]]></Payload></Set>'),
  ],
  ExtractVariables: [
    policyFile(
      'ExtractVariables',
      `<Source clearPayload="false">response</Source><VariablePrefix>p</VariablePrefix><IgnoreUnresolvedVariables>false</IgnoreUnresolvedVariables>
       <URIPath><Pattern ignoreCase="true">/a/{x}</Pattern><Pattern>/b/{y}</Pattern></URIPath>
       <QueryParam name="q"><Pattern>{q}</Pattern></QueryParam><Header name="h"><Pattern ignoreCase="true">Bearer {t}</Pattern></Header>
       <FormParam name="f"><Pattern>{f}</Pattern></FormParam><Variable name="request.content"><Pattern>{all}</Pattern></Variable>
       <JSONPayload><Variable name="n" type="integer"><JSONPath>$.n</JSONPath></Variable><Variable name="o" type="nodeset"><JSONPath>$.o</JSONPath></Variable><Variable name="s"><JSONPath>$.s</JSONPath></Variable></JSONPayload>`,
    ),
  ],
  RaiseFault: [
    policyFile(
      'RaiseFault',
      '<IgnoreUnresolvedVariables>true</IgnoreUnresolvedVariables><ShortFaultReason>false</ShortFaultReason><FaultResponse><AssignVariable><Name>f</Name><Value>1</Value></AssignVariable><Set><Payload contentType="text/plain">no</Payload><StatusCode>403</StatusCode></Set><Remove><Headers/></Remove></FaultResponse>',
    ),
  ],
  BasicAuthentication: [
    policyFile('BasicAuthentication', '<Operation>Encode</Operation><IgnoreUnresolvedVariables>true</IgnoreUnresolvedVariables><User ref="u"/><Password ref="p"/><AssignTo createNew="true">request.header.Authorization</AssignTo>'),
    policyFile('BasicAuthentication', '<Operation>Decode</Operation><User ref="u"/><Password ref="p"/><Source>request.header.X-Auth</Source>'),
  ],
  KeyValueMapOperations: [
    policyFile(
      'KeyValueMapOperations',
      '<ExpiryTimeInSecs>60</ExpiryTimeInSecs><Scope>organization</Scope><Get assignTo="a" index="2"><Key><Parameter>k</Parameter><Parameter ref="r"/></Key></Get><Put override="true"><Key><Parameter>k</Parameter></Key><Value>v1</Value><Value ref="v2"/></Put><Delete><Key><Parameter ref="d"/></Key></Delete>',
      ' mapIdentifier="m"',
    ),
  ],
  CORS: [
    policyFile(
      'CORS',
      '<AllowOrigins>{request.header.origin}</AllowOrigins><AllowMethods>GET</AllowMethods><AllowHeaders>x</AllowHeaders><ExposeHeaders>y</ExposeHeaders><MaxAge>-1</MaxAge><AllowCredentials>true</AllowCredentials><GeneratePreflightResponse>false</GeneratePreflightResponse><IgnoreUnresolvedVariables>false</IgnoreUnresolvedVariables>',
    ),
  ],
  JSONThreatProtection: [
    policyFile('JSONThreatProtection', '<ArrayElementCount>1</ArrayElementCount><ContainerDepth>2</ContainerDepth><ObjectEntryCount>3</ObjectEntryCount><ObjectEntryNameLength>4</ObjectEntryNameLength><Source>response</Source><StringValueLength>5</StringValueLength>'),
  ],
  OpenConnectors: [policyFile('OpenConnectors', '<APIProvider>oc</APIProvider><InstanceTokenMap>m</InstanceTokenMap><InstanceTokenKey>k</InstanceTokenKey><ExpiryTimeInSecs>10</ExpiryTimeInSecs>')],
  VerifyAPIKey: [policyFile('VerifyAPIKey', '<APIKey ref="request.queryparam.apikey"/>')],
  OAuthV2: [
    policyFile('OAuthV2', '<Operation>VerifyAccessToken</Operation><AccessToken>request.header.token</AccessToken><AccessTokenPrefix>Bearer</AccessTokenPrefix><Scope>read write</Scope>'),
    policyFile('OAuthV2', '<Operation>GenerateAccessToken</Operation><ExpiresIn>3600000</ExpiresIn><SupportedGrantTypes><GrantType>client_credentials</GrantType></SupportedGrantTypes><GrantType>request.formparam.grant_type</GrantType><GenerateResponse enabled="false"/>'),
  ],
  ServiceCallout: [policyFile('ServiceCallout', '<Request variable="r"><Set><Verb>POST</Verb></Set></Request><Response>out</Response><Timeout>3000</Timeout><HTTPTargetConnection><URL>https://svc.example/x</URL></HTTPTargetConnection>')],
  XMLToJSON: [policyFile('XMLToJSON', '<Format>yahoo</Format><Options><TextNodeName>TEXT</TextNodeName></Options><OutputVariable>response</OutputVariable><Source>response</Source>')],
  JSONToXML: [policyFile('JSONToXML', '<Options><ObjectRootElementName>Root</ObjectRootElementName></Options><OutputVariable>request</OutputVariable><Source>request</Source>')],
  AccessControl: [policyFile('AccessControl', '<IPRules noRuleMatchAction="ALLOW"><MatchRule action="DENY"><SourceAddress mask="24">10.0.0.0</SourceAddress></MatchRule></IPRules>')],
  RegularExpressionProtection: [policyFile('RegularExpressionProtection', '<Source>request</Source><QueryParam name="q"><Pattern>[\\s]*(?i)((delete)|(exec))</Pattern></QueryParam>')],
  StatisticsCollector: [policyFile('StatisticsCollector', '<Statistics><Statistic name="id" ref="product.id" type="string">0</Statistic></Statistics>')],
  MessageLogging: [policyFile('MessageLogging', '<Syslog><Message>{request.uri}</Message><Host>logs.example.com</Host><Port>514</Port><Protocol>UDP</Protocol></Syslog>')],
  Javascript: [policyFile('Javascript', '<Source>context.setVariable("a", "b")</Source>', ' timeLimit="100"')],
  ResponseCache: [policyFile('ResponseCache', '<CacheKey><KeyFragment ref="request.uri"/></CacheKey><ExpirySettings><TimeoutInSeconds>60</TimeoutInSeconds></ExpirySettings>')],
  PopulateCache: [policyFile('PopulateCache', '<CacheKey><KeyFragment ref="k"/></CacheKey><Source>v</Source>')],
  LookupCache: [policyFile('LookupCache', '<CacheKey><KeyFragment ref="k"/></CacheKey><AssignTo>v</AssignTo>')],
  InvalidateCache: [policyFile('InvalidateCache', '<CacheKey><KeyFragment ref="k"/></CacheKey><PurgeChildEntries>true</PurgeChildEntries>')],
  GenerateJWT: [policyFile('GenerateJWT', '<Algorithm>HS256</Algorithm><SecretKey><Value ref="private.key"/></SecretKey><ExpiresIn>1h</ExpiresIn><OutputVariable>jwt</OutputVariable>')],
  VerifyJWT: [policyFile('VerifyJWT', '<Algorithm>RS256</Algorithm><PublicKey><JWKS uri="https://idp.example/jwks"/></PublicKey><Audience>a</Audience>')],
  DecodeJWT: [policyFile('DecodeJWT', '<Source>jwt</Source>')],
  FlowCallout: [policyFile('FlowCallout', '<SharedFlowBundle>SF-1</SharedFlowBundle>')],
  OASValidation: [policyFile('OASValidation', '<OASResource>oas://spec.yaml</OASResource>')],
};

/** Imports one policy file through the bundle importer. */
function importPolicy(xml: string) {
  const result = bundleToModel(
    readZip(
      bundle('p', {
        policies: { 'P-1': xml },
        proxies: { default: proxyEndpoint({ basePath: '/p', request: ['P-1'], routeRules: '<RouteRule name="none"/>' }) },
        resources: { 'oas/spec.yaml': 'openapi: 3.0.3\npaths: {}\n' },
      }),
    ),
  );
  expect(result.problems).toEqual([]);
  return result.model!.policies[0]!;
}

describe('policy XML mappings', () => {
  it('exist for every supported policy type', () => {
    for (const type of supportedPolicyTypes()) {
      expect(policyCodec(type), type).toBeDefined();
      expect(SAMPLES[type], `a sample for ${type}`).toBeDefined();
    }
  });

  for (const [type, samples] of Object.entries(SAMPLES)) {
    it(`${type}: imports Apigee XML, writes it back, and reads the same settings again`, () => {
      for (const sample of samples) {
        const first = importPolicy(sample);
        expect(first.type).toBe(type);
        expect(first.unsupported).toBeUndefined();
        const written = policyXml(first);
        const second = importPolicy(written);
        expect(second, written).toEqual(first);
      }
    });
  }

  it('reads settings, not just shapes', () => {
    expect(importPolicy(SAMPLES.Quota![0]!).config).toMatchObject({
      type: 'calendar',
      allow: 10,
      allowRef: 'request.header.allow',
      interval: 2,
      intervalRef: 'request.header.interval',
      timeUnit: 'day',
      timeUnitRef: 'request.header.unit',
      startTime: '2021-03-04T05:06:07Z',
      identifier: { ref: 'client_id' },
    });
    expect(importPolicy(SAMPLES.Quota![1]!).config).toMatchObject({ allow: 5, timeUnit: 'month', useQuotaConfigInAPIProduct: { stepName: 'VA-1' } });
    const assign = importPolicy(SAMPLES.AssignMessage![0]!).config as { actions: Record<string, unknown>[]; assignTo: unknown };
    expect(assign.actions.map((action) => Object.keys(action)[0])).toEqual(['copy', 'remove', 'add', 'set', 'assignVariable', 'add']);
    expect(assign.assignTo).toEqual({ name: 'calloutRequest', createNew: true, type: 'request' });
    expect(assign.actions[0]).toEqual({ copy: { source: 'request', headers: true, queryParams: ['q'], payload: true, verb: true, path: true } });
    const kvm = importPolicy(SAMPLES.KeyValueMapOperations![0]!).config as { operations: unknown[] };
    expect(kvm.operations).toEqual([
      { op: 'get', key: { parameters: [{ value: 'k' }, { ref: 'r' }] }, assignTo: 'a', index: 2 },
      { op: 'put', key: { parameters: [{ value: 'k' }] }, values: [{ value: 'v1' }, { ref: 'v2' }], override: true },
      { op: 'delete', key: { parameters: [{ ref: 'd' }] } },
    ]);
    const policy = importPolicy(policyFile('CORS', '').replace('enabled="true"', 'enabled="false"').replace('continueOnError="false"', 'continueOnError="true"').replace('async="false"', 'async="true"'));
    expect(policy).toMatchObject({ enabled: false, continueOnError: true, async: true });
    expect(importPolicy(SAMPLES.AssignMessage![1]!).config).toMatchObject({ actions: [{ set: { payload: { content: '<xml attr="1">&amp;</xml>' } } }] });
  });

  it('accepts the empty elements older Edge exports carry, and refuses them when they hold something', () => {
    const edgeStyle = (stepFaultRules: string) =>
      readZip(
        bundle('edge', {
          policies: {
            'AM-1': '<AssignMessage async="false" continueOnError="false" enabled="true" name="AM-1"><DisplayName>AM 1</DisplayName><FaultRules/><Properties/><Set><Headers><Header name="a">1</Header></Headers></Set></AssignMessage>',
          },
          proxies: {
            default: proxyEndpoint({ basePath: '/edge' }).replace(
              '<Request></Request>',
              `<Request><Step>${stepFaultRules}<Name>AM-1</Name></Step></Request>`,
            ),
          },
          targets: {
            default: `<TargetEndpoint name="default"><Description/><FaultRules/><PreFlow name="PreFlow"><Request/><Response/></PreFlow><Flows/><PostFlow name="PostFlow"><Request/><Response/></PostFlow>
              <HTTPTargetConnection><Properties/><SSLInfo><Enabled>true</Enabled><ClientAuthEnabled>false</ClientAuthEnabled><IgnoreValidationErrors>false</IgnoreValidationErrors></SSLInfo><URL>https://backend.example.com/v1</URL></HTTPTargetConnection></TargetEndpoint>`,
          },
        }),
      );
    const accepted = bundleToModel(edgeStyle('<FaultRules/>'));
    expect(accepted.problems).toEqual([]);
    expect(accepted.model!.policies[0]!.displayName).toBe('AM 1');
    expect(accepted.model!.proxyEndpoints[0]!.preFlow.request).toEqual([{ name: 'AM-1' }]);
    const refused = bundleToModel(edgeStyle('<FaultRules><FaultRule name="x"/></FaultRules>'));
    expect(refused.problems.map((p) => [p.path, p.kind])).toEqual([['proxies/default.xml: /ProxyEndpoint/PreFlow/Request/Step/FaultRules', 'unsupported']]);
  });

  it('compacts undefined values away', () => {
    expect(compact({ a: undefined, b: [{ c: undefined, d: 1 }], e: { f: undefined } })).toEqual({ b: [{ d: 1 }], e: {} });
  });
});
