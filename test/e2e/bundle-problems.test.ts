// What the bundle import refuses and how it says so: unsupported policies and
// elements listed all at once with file, XPath, line and policy name; with
// ?allowUnsupported=true, kept policies whose steps fault (fail closed); validate-only; upload forms; and hostile
// zips and XML (bombs, traversal, entities) refused without a crash, fuzzed.
import fc from 'fast-check';
import { strFromU8, unzipSync, zipSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../support/backend.js';
import { bundle, proxyEndpoint, targetEndpoint, zip } from '../support/bundles.js';
import type { TestPlatform } from '../support/platform.js';
import { usePlatformAndBackend } from '../support/suite.js';

let platform: TestPlatform;
let backend: Backend;

usePlatformAndBackend((started) => ({ platform, backend } = started));

const post = (body: Buffer | string, query: string, contentType = 'application/zip') =>
  platform.request('POST', `/v1/organizations/default/apis?${query.includes('action=') ? '' : 'action=import&'}${query}`, { body, headers: { 'content-type': contentType } });

interface Field {
  path: string;
  message: string;
  file: string;
  xpath: string;
  line?: number;
  policy?: string;
  kind: string;
}

const fieldAt = (fields: Field[], path: string) => {
  const found = fields.find((field) => field.path === path);
  expect(found, `${path} in ${JSON.stringify(fields, null, 1)}`).toBeDefined();
  return found!;
};

// Policy types Tollgate does not run: Java and Python code.
const JAVA_CALLOUT = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<JavaCallout async="false" continueOnError="false" enabled="true" name="JS-1">
    <DisplayName>JS-1</DisplayName>
    <ClassName>com.example.AddHeader</ClassName>
    <ResourceURL>java://add-header.jar</ResourceURL>
</JavaCallout>
`;

const PYTHON_SCRIPT = `<PythonScript name="SC-1">
    <ResourceURL>py://callout.py</ResourceURL>
</PythonScript>`;

describe('problems', () => {
  it('lists every problem at once with file, location, line and policy', async () => {
    const zipped = bundle('broken', {
      policies: {
        'JS-1': JAVA_CALLOUT,
        'SC-1': PYTHON_SCRIPT,
        'ML-1': '<Ldap name="ML-1"><LdapResource>corp</LdapResource></Ldap>',
        'Quota-1': `<Quota name="Quota-1">
    <Allow count="lots"/>
    <Interval>1</Interval>
    <TimeUnit>fortnight</TimeUnit>
</Quota>`,
        'Quota-2': '<Quota name="Quota-2"><Allow><Class ref="request.header.plan"><Allow class="gold" count="5"/></Class></Allow></Quota>',
        'AM-1': `<AssignMessage name="AM-1">
    <Set>
        <Trailers>x</Trailers>
    </Set>
</AssignMessage>`,
        'AM-ok': '<AssignMessage name="AM-ok"><Set><Headers><Header name="x">1</Header></Headers></Set></AssignMessage>',
      },
      proxies: {
        default: proxyEndpoint({
          basePath: '/broken',
          request: ['JS-1', 'SC-1', 'ML-1', 'Quota-1', 'Quota-2', 'AM-1', 'Nope'],
          flows: '<Flow name="bad"><Request><Step><Name>AM-ok</Name></Step></Request><Condition>request.verb = </Condition></Flow>',
          routeRules: '<RouteRule name="r"><TargetEndpoint>missing</TargetEndpoint></RouteRule>',
        }),
      },
      targets: {
        default: targetEndpoint(backend.url, {
          extra: '<LoadBalancer><Server name="s1"/></LoadBalancer>',
        }),
      },
    });
    const response = await post(zipped, 'name=broken');
    expect(response.status).toBe(422);
    expect(response.json.error.code).toBe('validation_failed');
    const fields = response.json.error.fields as Field[];

    const js = fieldAt(fields, 'policies/JS-1.xml: /JavaCallout');
    expect(js).toMatchObject({ file: 'policies/JS-1.xml', xpath: '/JavaCallout', line: 2, policy: 'JS-1', kind: 'unsupported' });
    expect(js.message).toContain('policy type JavaCallout is not supported');
    expect(fieldAt(fields, 'policies/SC-1.xml: /PythonScript').policy).toBe('SC-1');
    expect(fieldAt(fields, 'policies/ML-1.xml: /Ldap').kind).toBe('unsupported');
    const count = fieldAt(fields, 'policies/Quota-1.xml: /Quota/Allow/@count');
    expect(count).toMatchObject({ line: 2, policy: 'Quota-1', kind: 'invalid' });
    expect(count.message).toContain('whole number');
    expect(fieldAt(fields, 'policies/Quota-1.xml: /Quota/TimeUnit')).toMatchObject({ line: 4 });
    expect(fieldAt(fields, 'policies/Quota-2.xml: /Quota/Allow/Class').message).toContain('unsupported element <Class>');
    expect(fieldAt(fields, 'policies/AM-1.xml: /AssignMessage/Set/Trailers')).toMatchObject({ line: 3, kind: 'unsupported' });
    expect(fieldAt(fields, 'proxies/default.xml: /ProxyEndpoint/PreFlow/Request/Step[7]/Name').message).toContain('no policy named "Nope"');
    expect(fieldAt(fields, 'proxies/default.xml: /ProxyEndpoint/Flows/Flow/Condition').message).toContain('invalid condition');
    expect(fieldAt(fields, 'proxies/default.xml: /ProxyEndpoint/RouteRule/TargetEndpoint').message).toContain('no target endpoint named "missing"');
    expect(fieldAt(fields, 'targets/default.xml: /TargetEndpoint/LoadBalancer').kind).toBe('unsupported');
    expect(fields.some((field) => field.path.includes('AM-ok'))).toBe(false);
    expect(response.json.error.message).toMatch(/^Bundle has \d+ problems: /);
    expect((await platform.request('GET', '/v1/organizations/default/apis/broken')).status).toBe(404);
  });

  it('imports unsupported policies with allowUnsupported=true, faults their steps (fail closed) and exports them unchanged', async () => {
    const zipped = bundle('keeping', {
      policies: {
        'JS-1': JAVA_CALLOUT,
        'SC-1': PYTHON_SCRIPT.replace('<PythonScript name="SC-1">', '<PythonScript name="SC-1" continueOnError="true">'),
        'Quota-2': '<Quota name="Quota-2"><Allow><Class ref="request.header.plan"/></Allow></Quota>',
        'AM-1': '<AssignMessage name="AM-1"><Set><Headers><Header name="x-ran">AM-1</Header></Headers></Set></AssignMessage>',
      },
      proxies: {
        default: proxyEndpoint({
          basePath: '/keeping',
          request: [['JS-1', 'request.header.run-java = "yes"'], 'SC-1', ['Quota-2', 'request.header.run-quota = "yes"'], 'AM-1'],
        }),
      },
      targets: { default: targetEndpoint(backend.url) },
      resources: { 'java/add-header.jar': 'not really a jar' },
    });
    expect((await post(zipped, 'name=keeping')).status).toBe(422);
    const imported = await post(zipped, 'name=keeping&allowUnsupported=true');
    expect(imported.status, imported.text).toBe(201);
    expect(imported.json.unsupportedPolicies).toEqual([
      { name: 'JS-1', type: 'JavaCallout', reason: '/JavaCallout: policy type JavaCallout is not supported by Tollgate' },
      { name: 'SC-1', type: 'PythonScript', reason: '/PythonScript: policy type PythonScript is not supported by Tollgate' },
      { name: 'Quota-2', type: 'Quota', reason: '/Quota/Allow/Class: unsupported element <Class>' },
    ]);
    expect(imported.json.resources).toEqual(['java/add-header.jar']);

    const revision = await platform.request('GET', '/v1/organizations/default/apis/keeping/revisions/1');
    expect(revision.json.unsupportedPolicies.map((p: { name: string }) => p.name).sort()).toEqual(['JS-1', 'Quota-2', 'SC-1']);
    expect(revision.json.model.policies.find((p: { name: string }) => p.name === 'JS-1').sourceXml).toBe(JAVA_CALLOUT);

    const deployed = await platform.request('POST', '/v1/organizations/default/environments/prod/apis/keeping/revisions/1/deployments');
    expect(deployed.status).toBe(200);
    const before = backend.requests.length;
    // SC-1 cannot run either, but says continueOnError: its step is passed over with SC-1.failed set.
    const called = await platform.proxy('GET', '/keeping/x', { auth: false });
    expect(called.status).toBe(200);
    expect(called.json.headers['x-ran']).toBe('AM-1');
    // A step that cannot run answers a fault and the backend is never called.
    for (const header of ['run-java', 'run-quota']) {
      const refused = await platform.proxy('GET', '/keeping/x', { auth: false, headers: { [header]: 'yes' } });
      expect(refused.status).toBe(500);
      expect(refused.json.fault.detail.errorcode).toBe('messaging.runtime.PolicyNotSupported');
    }
    expect(backend.requests.length).toBe(before + 1);

    const exported = await platform.request('GET', '/v1/organizations/default/apis/keeping/revisions/1?format=bundle');
    const files = unzipSync(new Uint8Array(exported.bytes));
    expect(strFromU8(files['apiproxy/policies/JS-1.xml']!)).toBe(JAVA_CALLOUT);
    expect(strFromU8(files['apiproxy/resources/java/add-header.jar']!)).toBe('not really a jar');
    expect(strFromU8(files['apiproxy/keeping.xml']!)).toContain('<Resource>java://add-header.jar</Resource>');
    const again = await post(exported.bytes, 'name=keeping&allowUnsupported=true');
    expect(again.status).toBe(201);
    const second = await platform.request('GET', '/v1/organizations/default/apis/keeping/revisions/2');
    expect(second.json.model).toEqual(revision.json.model);
  });

  it('still refuses invalid bundles with allowUnsupported=true', async () => {
    const zipped = bundle('invalid', {
      policies: { 'JS-1': JAVA_CALLOUT },
      proxies: { default: proxyEndpoint({ basePath: '/invalid', request: [['JS-1', 'request.verb ==== "GET"']] }) },
      targets: { default: targetEndpoint(backend.url) },
    });
    const response = await post(zipped, 'name=invalid&allowUnsupported=true');
    expect(response.status).toBe(422);
    expect(fieldAt(response.json.error.fields, 'proxies/default.xml: /ProxyEndpoint/PreFlow/Request/Step/Condition').message).toContain('invalid condition');
  });

  it('validates without storing with action=validate', async () => {
    const zipped = bundle('checked', { proxies: { default: proxyEndpoint({ basePath: '/checked' }) }, targets: { default: targetEndpoint(backend.url) } });
    const response = await post(zipped, 'name=checked&action=validate');
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ name: 'checked', validated: true, basepaths: ['/checked'] });
    expect((await platform.request('GET', '/v1/organizations/default/apis/checked')).status).toBe(404);
    const broken = bundle('checked', { proxies: { default: proxyEndpoint({ basePath: '/checked', request: ['Nope'] }) } });
    expect((await post(broken, 'name=checked&action=validate')).status).toBe(422);
  });
});

describe('uploads', () => {
  const simple = () => bundle('uploaded', { proxies: { default: proxyEndpoint({ basePath: '/uploaded' }) }, targets: { default: targetEndpoint(backend.url) } });

  it('takes a multipart form field "file", as Apigee tools send it', async () => {
    const boundary = '----tollgate-test-boundary';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="uploaded.zip"\r\nContent-Type: application/zip\r\n\r\n`),
      simple(),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const response = await post(body, 'name=uploaded', `multipart/form-data; boundary=${boundary}`);
    expect(response.status, response.text).toBe(201);
    expect(response.json.name).toBe('uploaded');
    const without = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--${boundary}--\r\n`);
    expect((await post(without, 'name=uploaded', `multipart/form-data; boundary=${boundary}`)).status).toBe(400);
  });

  it('takes the name from the descriptor, and refuses wrong media types, empty bodies and bad names', async () => {
    const named = await post(simple(), 'action=validate', 'application/octet-stream');
    expect(named.status).toBe(200);
    expect(named.json.name).toBe('uploaded');
    expect((await post(simple(), 'name=x', 'text/plain')).status).toBe(415);
    expect((await post(Buffer.alloc(0), 'name=x')).status).toBe(400);
    const badName = await post(simple(), 'name=../x');
    expect(badName.status).toBe(422);
    const unknownAction = await platform.request('POST', '/v1/organizations/default/apis?action=explode', { body: simple(), headers: { 'content-type': 'application/zip' } });
    expect(unknownAction.status).toBe(400);
    const foreign = await platform.addOrganization('other-import');
    const forbidden = await platform.request('POST', '/v1/organizations/default/apis?action=import&name=x', {
      body: simple(),
      headers: { 'content-type': 'application/zip' },
      auth: foreign,
    });
    expect(forbidden.status).toBe(403);
  });
});

/** Rewrites fields of every central directory entry of a zip fflate wrote. */
function patchCentral(zipped: Buffer, patch: (entry: number, data: Buffer, index: number) => void): Buffer {
  const data = Buffer.from(zipped);
  let eocd = data.length - 22;
  while (data.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  const count = data.readUInt16LE(eocd + 10);
  let offset = data.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    patch(offset, data, i);
    offset += 46 + data.readUInt16LE(offset + 28) + data.readUInt16LE(offset + 30) + data.readUInt16LE(offset + 32);
  }
  return data;
}

describe('hostile zips', () => {
  const proxyXml = proxyEndpoint({ basePath: '/hostile' });

  it('refuses a zip bomb by compression ratio before inflating it', async () => {
    const zipped = zip({ 'apiproxy/proxies/default.xml': proxyXml, 'apiproxy/resources/bomb/zeros.bin': new Uint8Array(1_500_000) }, 9);
    expect(zipped.length).toBeLessThan(10_000);
    const response = await post(zipped, 'name=bomb');
    expect(response.status).toBe(413);
    expect(response.json.error.message).toContain('compression ratio');
  });

  it('refuses a zip whose entries add up to too much', async () => {
    const files: Record<string, string> = { 'apiproxy/proxies/default.xml': proxyXml };
    for (let i = 0; i < 12; i++) files[`apiproxy/resources/big/${i}.txt`] = 'x';
    // Declared sizes (1.9 MB each, 25:1) are what the limits are checked against.
    const zipped = patchCentral(zip(files, 6), (entry, data) => {
      if (data.readUInt32LE(entry + 24) !== 1) return;
      data.writeUInt32LE(1_900_000, entry + 24);
      data.writeUInt32LE(76_000, entry + 20);
    });
    const response = await post(zipped, 'name=big');
    expect(response.status).toBe(413);
    expect(response.json.error.message).toContain('expands to more than');
  });

  it('refuses too many entries, one oversized entry and a lying size', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 1001; i++) many[`apiproxy/resources/many/${i}.txt`] = '';
    const tooMany = await post(zip(many), 'name=many');
    expect(tooMany.status).toBe(413);
    expect(tooMany.json.error.message).toContain('entries');

    const oversized = patchCentral(zip({ 'apiproxy/resources/a/b.txt': 'x' }, 0), (entry, data) => {
      data.writeUInt32LE(3_000_000, entry + 24);
      data.writeUInt32LE(3_000_000, entry + 20);
    });
    expect((await post(oversized, 'name=oversized')).status).toBe(413);

    // Declares 10 bytes, inflates to 100,000: inflation stops at the declared size.
    const lying = patchCentral(zip({ 'apiproxy/resources/a/b.txt': 'y'.repeat(100_000) }, 9), (entry, data) => data.writeUInt32LE(10, entry + 24));
    const lied = await post(lying, 'name=lying');
    expect(lied.status).toBe(400);
    expect(lied.json.error.message).toContain('declared size');
  });

  it('refuses path traversal, absolute names, backslashes and symbolic links', async () => {
    const cases: [string, Uint8Array][] = [
      ['apiproxy/../../etc/passwd', strToU8('x')],
      ['/etc/passwd', strToU8('x')],
      ['C:/Windows/win.ini', strToU8('x')],
      ['apiproxy\\proxies\\default.xml', strToU8(proxyXml)],
      ['apiproxy/proxies/./default.xml', strToU8(proxyXml)],
    ];
    for (const [name, content] of cases) {
      const response = await post(Buffer.from(zipSync({ 'apiproxy/proxies/default.xml': strToU8(proxyXml), [name]: content })), 'name=traversal');
      expect(response.status, name).toBe(422);
      expect(response.json.error.fields[0].path).toBe(name);
    }
    const link = Buffer.from(zipSync({ 'apiproxy/proxies/default.xml': strToU8(proxyXml), 'apiproxy/resources/jsc/link.js': [strToU8('/etc/passwd'), { os: 3, attrs: (0o120777 << 16) >>> 0 }] }));
    const linked = await post(link, 'name=linked');
    expect(linked.status).toBe(422);
    expect(linked.json.error.message).toContain('symbolic link');
  });

  it('refuses what is not a zip at all, and files outside apiproxy/', async () => {
    expect((await post(Buffer.from('PK\u0003\u0004 not really'), 'name=x')).status).toBe(400);
    expect((await post(Buffer.from('hello'), 'name=x')).status).toBe(400);
    const outside = await post(zip({ 'apiproxy/proxies/default.xml': proxyXml, 'evil.sh': 'rm -rf /' }), 'name=outside');
    expect(outside.status).toBe(422);
    expect(fieldAt(outside.json.error.fields, 'evil.sh: /').message).toContain('outside the apiproxy/ folder');
    const empty = await post(zip({ 'readme.txt': 'hi' }), 'name=empty');
    expect(empty.status).toBe(422);
  });
});

describe('hostile XML', () => {
  const withPolicy = (policyXml: string) =>
    bundle('xml', {
      policies: { 'AM-1': policyXml },
      proxies: { default: proxyEndpoint({ basePath: '/xml', request: ['AM-1'] }) },
      targets: { default: targetEndpoint(backend.url) },
    });

  it('refuses a billion laughs, external entities and any DOCTYPE without expanding anything', async () => {
    const lol = Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`).join('\n');
    const laughs = `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol0 "lol">\n${lol}\n]>\n<AssignMessage name="AM-1"><Set><Payload>&lol9;</Payload></Set></AssignMessage>`;
    const xxe = `<?xml version="1.0"?>\n<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<AssignMessage name="AM-1"><Set><Payload>&xxe;</Payload></Set></AssignMessage>`;
    const parameterEntity = `<!DOCTYPE foo [<!ENTITY % remote SYSTEM "http://127.0.0.1:1/evil.dtd"> %remote;]><AssignMessage name="AM-1"/>`;
    for (const [label, policy] of [['billion laughs', laughs], ['external entity', xxe], ['parameter entity', parameterEntity]] as const) {
      const started = Date.now();
      const response = await post(withPolicy(policy), 'name=xml');
      expect(response.status, label).toBe(422);
      const field = fieldAt(response.json.error.fields, 'policies/AM-1.xml: /');
      expect(field.message, label).toContain('DOCTYPE');
      expect(response.text).not.toContain('root:');
      expect(Date.now() - started, label).toBeLessThan(20_000);
    }
  });

  it('leaves undeclared entities unexpanded and refuses deep nesting and malformed XML', async () => {
    const literal = await post(
      withPolicy('<AssignMessage name="AM-1"><Set><Headers><Header name="x-e">&xxe;&amp;&#65;</Header></Headers></Set></AssignMessage>'),
      'name=literal&action=validate',
    );
    expect(literal.status).toBe(200);
    const deep = `<AssignMessage name="AM-1">${'<a>'.repeat(500)}${'</a>'.repeat(500)}</AssignMessage>`;
    const nested = await post(withPolicy(deep), 'name=deep');
    expect(nested.status).toBe(422);
    const malformed = await post(withPolicy('<AssignMessage name="AM-1"><Set></AssignMessage>'), 'name=malformed');
    expect(malformed.status).toBe(422);
    expect(fieldAt(malformed.json.error.fields, 'policies/AM-1.xml: /').message).toContain('malformed XML');
    expect((await platform.request('GET', '/healthz')).status).toBe(200);
  });
});

describe('fuzzing the import route', () => {
  const valid = bundle('fuzzed', {
    policies: { 'AM-1': '<AssignMessage name="AM-1"><Set><Headers><Header name="x">1</Header></Headers></Set></AssignMessage>' },
    proxies: { default: proxyEndpoint({ basePath: '/fuzzed', request: ['AM-1'] }) },
    targets: { default: targetEndpoint('http://127.0.0.1:9/backend') },
  });
  const allowed = [200, 201, 400, 413, 415, 422];
  /** An answer the import gave on purpose: an expected status, and never the catch-all for an exception it did not foresee. */
  const expectHandled = (response: { status: number; text: string; json: { error?: { message?: string } } }) => {
    expect(allowed, response.text).toContain(response.status);
    expect(response.json?.error?.message, response.text).not.toBe('The bundle could not be read');
  };

  it('never answers 500 to random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), fc.constantFrom('application/zip', 'application/octet-stream'), async (bytes, type) => {
        const response = await post(Buffer.from(bytes), 'name=fuzzed&action=validate', type);
        expectHandled(response);
      }),
      { numRuns: 150 },
    );
  });

  it('never answers 500 to mutated and truncated bundles', async () => {
    const mutation = fc.record({
      flips: fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      truncate: fc.option(fc.nat({ max: valid.length }), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(mutation, async ({ flips, truncate }) => {
        const mutated = Buffer.from(valid);
        for (const [index, value] of flips) mutated[index] = value;
        const body = truncate === undefined ? mutated : mutated.subarray(0, truncate);
        const response = await post(body, 'name=fuzzed&action=validate');
        expectHandled(response);
      }),
      { numRuns: 200 },
    );
  });

  it('never answers 500 to random XML in a valid zip', async () => {
    const xmlish = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc
        .array(fc.constantFrom('<AssignMessage name="AM-1">', '</AssignMessage>', '<Set>', '</Set>', '<Headers>', '<Header name="x">', '</Header>', '&amp;', '<![CDATA[', ']]>', '<!--', '-->', '<?x?>', '{a}', '"', "'", '<Copy/>', '<Remove/>', '<AssignVariable>', '<Name>', '</Name>'), { maxLength: 30 })
        .map((parts) => parts.join('')),
    );
    await fc.assert(
      fc.asyncProperty(xmlish, async (policyXml) => {
        const zipped = bundle('fuzzed', { policies: { 'AM-1': policyXml }, proxies: { default: proxyEndpoint({ basePath: '/fuzzed', request: ['AM-1'] }) } });
        const response = await post(zipped, 'name=fuzzed&action=validate');
        expectHandled(response);
      }),
      { numRuns: 150 },
    );
  });
});
