// Unit tests for the gateway's small parts: JSONPath, message templates, the
// JSON threat scanner, flow variables, and the proxy model's compiler.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileProxy, normalizeBasePath, ProxyValidationError } from '../../shared/gateway/engine/compile.js';
import { Exchange } from '../../shared/gateway/engine/exchange.js';
import { compileJsonPath } from '../../shared/gateway/language/jsonpath.js';
import { HeaderMap, Message } from '../../shared/gateway/engine/message.js';
import { ProxyModelSchema } from '../../shared/gateway/engine/model.js';
import { scanJson } from '../../shared/gateway/policies/json-threat-protection.js';
import { hasTemplate, renderTemplate } from '../../shared/gateway/language/template.js';
import { policies } from '../../shared/gateway/policies/index.js';

describe('JSONPath subset', () => {
  const doc = { a: { b: [{ c: 1 }, { c: 2 }], 'd e': 'x' }, list: [10, 20, 30] };
  it.each([
    ['$.a.b[0].c', [1]],
    ['$.a.b[*].c', [1, 2]],
    ["$.a['d e']", ['x']],
    ['$.list[-1]', [30]],
    ['$..c', [1, 2]],
    ['$.missing', []],
    ['$.list[9]', []],
    ['$', [doc]],
  ])('%s', (path, expected) => {
    expect(compileJsonPath(path)(doc)).toEqual(expected);
  });
  it('refuses unsupported syntax', () => {
    expect(() => compileJsonPath('a.b')).toThrow();
    expect(() => compileJsonPath('$[?(@.x)]')).toThrow();
  });
});

describe('message templates', () => {
  const lookup = (name: string) => ({ 'a.b': 'B', n: 3, o: { x: 1 } } as Record<string, unknown>)[name];
  it('replaces variables and keeps JSON braces', () => {
    expect(renderTemplate('x {a.b} {n} {missing}.', lookup)).toBe('x B 3 .');
    expect(renderTemplate('{"k": "{a.b}"}', lookup)).toBe('{"k": "B"}');
    expect(renderTemplate('{o}', lookup)).toBe('{"x":1}');
    expect(renderTemplate('@a.b#', lookup, '@', '#')).toBe('B');
  });

  it('reads a backslash before a brace as a literal brace', () => {
    expect(renderTemplate('\\{"error": \\{"message": "{a.b}"}}', lookup)).toBe('{"error": {"message": "B"}}');
    expect(renderTemplate('\\{a.b}', lookup)).toBe('{a.b}');
    expect(hasTemplate('\\{"k": 1}')).toBe(true);
  });
});

describe('JSON threat scanner', () => {
  const none = {};
  it('measures depth, counts and lengths', () => {
    expect(scanJson('{"a":{"b":1}}', { containerDepth: 1 })).toMatch(/depth/);
    expect(scanJson('{"a":{"b":1}}', { containerDepth: 2 })).toBeUndefined();
    expect(scanJson('[1,2,3]', { arrayElementCount: 2 })).toMatch(/array/);
    expect(scanJson('[[],[]]', { arrayElementCount: 2 })).toBeUndefined();
    expect(scanJson('{"abc":1}', { objectEntryNameLength: 2 })).toMatch(/name length/);
    expect(scanJson('{"a":"xyz"}', { stringValueLength: 2 })).toMatch(/string/);
    expect(scanJson('{"a":"x\\"y"}', { stringValueLength: 4 })).toBeUndefined();
    expect(scanJson('{"a":1', none)).toBe('invalid');
    expect(scanJson('[}', none)).toBe('invalid');
  });
  it('accepts every valid JSON document when unlimited, and never throws', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(scanJson(text, none)).toBeUndefined();
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string(), (text) => {
        scanJson(text, { containerDepth: 3, arrayElementCount: 2 });
      }),
      { numRuns: 500 },
    );
  });
});

describe('flow variables', () => {
  const exchange = () =>
    new Exchange(
      new Message({
        verb: 'POST',
        path: '/shop/v1/items/7',
        query: new URLSearchParams('q=a&q=b&x=1'),
        headers: new HeaderMap({ 'Content-Type': 'application/x-www-form-urlencoded', 'X-Multi': ['one', 'two'] }),
        body: Buffer.from('a=1&b=two'),
      }),
      { organization: 'o', environment: 'prod', apiName: 'shop', revision: 3, proxyEndpoint: 'default', basePath: '/shop/v1', clientIp: '10.0.0.1' },
    );

  it('resolves request, proxy and context variables', () => {
    const ex = exchange();
    expect(ex.get('request.verb')).toBe('POST');
    expect(ex.get('request.uri')).toBe('/shop/v1/items/7?q=a&q=b&x=1');
    expect(ex.get('request.path')).toBe('/shop/v1/items/7');
    expect(ex.get('request.querystring')).toBe('q=a&q=b&x=1');
    expect(ex.get('request.queryparam.q')).toBe('a');
    expect(ex.get('request.queryparam.q.values.count')).toBe(2);
    expect(ex.get('request.header.x-multi')).toBe('one');
    expect(ex.get('request.header.X-Multi.values')).toBe('one,two');
    expect(ex.get('request.header.x-multi.values.string')).toBe('one,two');
    expect(ex.get('request.header.x-multi.2')).toBe('two');
    expect(ex.get('request.formparam.b')).toBe('two');
    expect(ex.get('proxy.basepath')).toBe('/shop/v1');
    expect(ex.get('proxy.pathsuffix')).toBe('/items/7');
    expect(ex.get('apiproxy.name')).toBe('shop');
    expect(ex.get('apiproxy.revision')).toBe('3');
    expect(ex.get('client.ip')).toBe('10.0.0.1');
    expect(ex.get('environment.name')).toBe('prod');
    expect(ex.get('organization.name')).toBe('o');
    expect(ex.get('response.status.code')).toBeUndefined();
    expect(ex.get('request.header.absent')).toBeUndefined();
  });

  it('writes message variables into the message and others into the variable map', () => {
    const ex = exchange();
    ex.set('request.header.x-new', 'v');
    ex.set('request.queryparam.x', '2');
    ex.set('target.url', 'http://backend');
    ex.set('custom.thing', 'c');
    expect(ex.request.headers.get('X-New')).toBe('v');
    expect(ex.request.query.get('x')).toBe('2');
    expect(ex.targetUrl).toBe('http://backend');
    expect(ex.get('custom.thing')).toBe('c');
    ex.phase = 'response';
    ex.set('message.status.code', 418);
    expect(ex.response.status).toBe(418);
    expect(ex.get('message.status.code')).toBe(418);
  });

  it('takes the current phase\'s message for a policy without a Source', () => {
    const ex = exchange();
    expect(ex.messageByName(undefined)).toBe(ex.request);
    ex.phase = 'response';
    expect(ex.messageByName(undefined)).toBe(ex.response);
    expect(ex.messageByName('message')).toBe(ex.response);
    expect(ex.messageByName('request')).toBe(ex.request);
    expect(ex.messageByName('nothing')).toBeUndefined();
  });
});

describe('proxy compiler', () => {
  const deployment = { organization: 'o', environment: 'prod', apiName: 'p', revision: 1 };
  it('normalizes base paths', () => {
    expect(normalizeBasePath('shop/v1/')).toBe('/shop/v1');
    expect(normalizeBasePath('/')).toBe('/');
    expect(normalizeBasePath('//a//b')).toBe('/a/b');
  });

  it('routes a proxy without route rules to its only target', () => {
    const model = ProxyModelSchema.parse({ name: 'p', proxyEndpoints: [{ basePath: '/p' }], targetEndpoints: [{ connection: { url: 'http://x' } }] });
    const compiled = compileProxy(model, deployment, policies);
    expect(compiled.proxyEndpoints[0]!.routeRules).toEqual([{ name: 'default', targetEndpoint: 'default' }]);
  });

  it('reports route rules to unknown targets and keeps imported-unsupported policies as skipped', () => {
    const model = ProxyModelSchema.parse({
      name: 'p',
      policies: [{ name: 'js', type: 'JavaScript', unsupported: 'JavaScript policies are not supported' }],
      proxyEndpoints: [{ basePath: '/p', preFlow: { request: [{ name: 'js' }], response: [] }, routeRules: [{ name: 'r', targetEndpoint: 'nope' }] }],
    });
    try {
      compileProxy(model, deployment, policies);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ProxyValidationError);
      expect((error as ProxyValidationError).problems).toEqual([
        { path: 'proxyEndpoints.0.routeRules.0.targetEndpoint', message: 'no target endpoint named "nope"' },
      ]);
    }
  });

  it('refuses a model with neither url nor provider on a target', () => {
    const result = ProxyModelSchema.safeParse({ name: 'p', proxyEndpoints: [{ basePath: '/p' }], targetEndpoints: [{ connection: {} }] });
    expect(result.success).toBe(false);
  });
});
