// JavaScript: Apigee's object model in the QuickJS sandbox, IncludeURL and
// inline sources, properties, crypto, httpClient through the real outbound
// client; and the sandbox's walls: no filesystem, network, process or other
// calls' data; an endless loop stops at its time limit and the next call runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { javascript } from '../../../shared/gateway/policies/javascript.js';
import { HeaderMap, Message } from '../../../shared/gateway/engine/message.js';
import { startBackend, type Backend } from '../../support/backend.js';
import { exchangeFor, LoopbackHttp, MemoryLog, runPolicy, xmlProblems, xmlRoundTrip } from '../../support/policy-context.js';

let backend: Backend;
beforeAll(async () => {
  backend = await startBackend((request, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ got: request.url, header: request.headers['x-from-js'] ?? null }));
  });
});
afterAll(() => backend.close());

const services = () => ({ http: new LoopbackHttp(), log: new MemoryLog() });
const run = (code: string, options: { exchange?: ReturnType<typeof exchangeFor>; timeLimitMs?: number; resources?: Record<string, string>; includeUrls?: string[]; properties?: Record<string, string> } = {}) =>
  runPolicy(
    javascript,
    { resourceUrl: 'jsc://main.js', timeLimitMs: options.timeLimitMs ?? 1000, includeUrls: options.includeUrls ?? [], properties: options.properties ?? {} },
    { exchange: options.exchange ?? exchangeFor({ headers: { 'x-in': 'hello' } }), services: services(), resources: { 'jsc/main.js': code, ...options.resources }, name: 'JS-1' },
  );

describe('JavaScript XML', () => {
  it('reads ResourceURL, IncludeURL, Properties, Source and timeLimit', () => {
    expect(xmlRoundTrip(javascript, '<Properties><Property name="greeting">hi</Property></Properties><IncludeURL>jsc://lib.js</IncludeURL><ResourceURL>jsc://main.js</ResourceURL>', ' timeLimit="500"')).toEqual({
      resourceUrl: 'jsc://main.js',
      includeUrls: ['jsc://lib.js'],
      timeLimitMs: 500,
      properties: { greeting: 'hi' },
    });
    expect(xmlRoundTrip(javascript, '<Source><![CDATA[context.setVariable("a", 1 < 2);]]></Source>')).toMatchObject({ source: 'context.setVariable("a", 1 < 2);' });
    expect(xmlProblems(javascript, '<ResourceURL>http://x/y.js</ResourceURL>')).toEqual(['schema: resourceUrl']);
  });

  it('refuses a resource the bundle does not have, at deployment', () => {
    expect(() => javascript.prepare!(javascript.schema.parse({ resourceUrl: 'jsc://missing.js' }), { resources: new Map() } as never)).toThrow('resource jsc://missing.js is not in the bundle');
  });
});

describe('JavaScript object model', () => {
  it('reads and writes variables, headers, query parameters and content through context', async () => {
    const exchange = exchangeFor({ verb: 'POST', headers: { 'x-in': 'hello', 'content-type': 'application/json', host: 'api.example.com' }, query: { q: 'shoes' }, body: '{"n":2}' });
    const { fault } = await run(
      `var req = context.proxyRequest;
       context.setVariable('seen.header', req.headers['x-in']);
       context.setVariable('seen.query', req.queryParams.q);
       context.setVariable('seen.method', req.method);
       context.setVariable('seen.url', req.url);
       context.setVariable('seen.n', req.body.asJSON.n * 21);
       req.headers['x-added'] = 'yes';
       delete req.headers['x-in'];
       context.targetRequest.content = JSON.stringify({ replaced: true });
       context.setVariable('seen.names', Object.keys(req.headers).sort().join(','));`,
      { exchange },
    );
    expect(fault).toBeUndefined();
    expect(['seen.header', 'seen.query', 'seen.method', 'seen.url', 'seen.n'].map((name) => exchange.get(name))).toEqual(['hello', 'shoes', 'POST', 'https://api.example.com/orders?q=shoes', 42]);
    expect(exchange.request.headers.get('x-added')).toBe('yes');
    expect(exchange.request.headers.has('x-in')).toBe(false);
    expect(exchange.request.content).toBe('{"replaced":true}');
    expect(exchange.get('seen.names')).toBe('content-type,host,x-added');
  });

  it('sets the response status, headers and body, runs IncludeURL first and sees properties', async () => {
    const exchange = exchangeFor();
    exchange.response = new Message({ status: 200, headers: new HeaderMap({ 'content-type': 'text/plain' }), body: Buffer.from('backend') });
    exchange.phase = 'response';
    exchange.hasResponse = true;
    const { fault } = await run(
      `var r = context.proxyResponse; r.status.code = 201; r.headers['x-greeting'] = shout(properties.greeting); r.content = r.content + '!';
       context.setVariable('flow', context.flow);`,
      { exchange, includeUrls: ['jsc://lib.js'], resources: { 'jsc/lib.js': 'function shout(s) { return s.toUpperCase(); }' }, properties: { greeting: 'hi' } },
    );
    expect(fault).toBeUndefined();
    expect([exchange.response.status, exchange.response.headers.get('x-greeting'), exchange.response.content, exchange.get('flow')]).toEqual([201, 'HI', 'backend!', 'PROXY_RESP_FLOW']);
  });

  it('hashes with crypto and prints to the log', async () => {
    const exchange = exchangeFor();
    const log = new MemoryLog();
    const { fault } = await runPolicy(
      javascript,
      { source: "var h = crypto.getSHA256(); h.update('abc'); context.setVariable('hex', h.digest()); context.setVariable('b64', crypto.getMD5().update('abc').digest64()); print('done', {a: 1});" },
      { exchange, services: { http: new LoopbackHttp(), log }, name: 'JS-2' },
    );
    expect(fault).toBeUndefined();
    expect(exchange.get('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(exchange.get('b64')).toBe('kAFQmDzST7DWlj99KOF/cg==');
    expect(log.lines).toEqual([{ policy: 'JS-2', print: ['done {"a":1}'] }]);
  });

  it('calls out with httpClient through the guard, and waits for the answer', async () => {
    const exchange = exchangeFor();
    exchange.set('backend', backend.url);
    const { fault } = await run(
      `var ex = httpClient.send(new Request(context.getVariable('backend') + '/lookup?id=7', 'GET', { 'x-from-js': 'yes' }));
       ex.waitForComplete();
       if (ex.isSuccess()) context.setVariable('answer', ex.getResponse().content);
       var blocked = httpClient.get('http://169.254.169.254/latest/meta-data');
       blocked.waitForComplete();
       context.setVariable('blocked', blocked.isError() + ' ' + blocked.getError());`,
      { exchange },
    );
    expect(fault).toBeUndefined();
    expect(JSON.parse(String(exchange.get('answer')))).toEqual({ got: '/lookup?id=7', header: 'yes' });
    expect(exchange.get('blocked')).toContain('true JS-1: Target address 169.254.169.254 is not allowed');
  });

  it('keeps an object set as a variable itself for the script, and its JSON for the flow', async () => {
    const exchange = exchangeFor();
    exchange.set('backend', backend.url);
    const { fault } = await run(
      `context.setVariable('pending', httpClient.get(context.getVariable('backend') + '/kept'));
       var pending = context.getVariable('pending');
       pending.waitForComplete();
       context.setVariable('status', pending.getResponse().status.code);
       context.setVariable('plain', { a: 1 });`,
      { exchange },
    );
    expect(fault).toBeUndefined();
    expect(exchange.get('status')).toBe(200);
    expect(exchange.get('plain')).toBe('{"a":1}');
  });
});

describe('JavaScript sandbox', () => {
  it('has no filesystem, network, process or module loader', async () => {
    const exchange = exchangeFor();
    const { fault } = await run(
      `context.setVariable('reach', [typeof require, typeof process, typeof fetch, typeof XMLHttpRequest, typeof Deno, typeof std, typeof os, typeof globalThis.__host].join(','));
       var denied = []; try { new Function('return process')(); } catch (e) { denied.push(e.name); }
       context.setVariable('denied', denied.join(','));`,
      { exchange },
    );
    expect(fault).toBeUndefined();
    expect(exchange.get('reach')).toBe('undefined,undefined,undefined,undefined,undefined,undefined,undefined,undefined');
    expect(exchange.get('denied')).toBe('ReferenceError');
  });

  it("keeps nothing from one call to the next, so no call sees another's data", async () => {
    const first = exchangeFor({ headers: { authorization: 'Bearer secret-of-call-1' } });
    await run("globalThis.leak = context.getVariable('request.header.authorization'); Object.prototype.polluted = 'yes';", { exchange: first });
    const second = exchangeFor();
    const { fault } = await run("context.setVariable('leak', String(globalThis.leak) + ' ' + String(({}).polluted));", { exchange: second });
    expect(fault).toBeUndefined();
    expect(second.get('leak')).toBe('undefined undefined');
  });

  it('stops an endless loop at its time limit with a fault, and the next call runs', async () => {
    const { fault } = await run('while (true) {}', { timeLimitMs: 50 });
    expect(fault).toMatchObject({ status: 500, errorCode: 'steps.javascript.ScriptExecutionFailed', message: 'Execution of JS-1 failed with error: Javascript runtime exceeded limit of 50ms' });
    const exchange = exchangeFor();
    expect((await run("context.setVariable('after', 'ran')", { exchange })).fault).toBeUndefined();
    expect(exchange.get('after')).toBe('ran');
  });

  it('stops a script that takes more memory than allowed', async () => {
    const { fault } = await run("var kept = []; while (true) kept.push(new ArrayBuffer(8 * 1024 * 1024));", { timeLimitMs: 10_000 });
    expect(fault?.message).toMatch(/memory/i);
    expect((await run('1 + 1')).fault).toBeUndefined();
  });

  it("reports a script's error with its line", async () => {
    const { fault } = await run('var a = 1;\nnull.x;');
    expect(fault?.message).toMatch(/^Execution of JS-1 failed with error: Javascript runtime error: "TypeError: cannot read property 'x' of null" \(main\.js#2\)$/);
  });
});
