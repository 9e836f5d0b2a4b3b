// JavaScript (Apigee's `<Javascript>`): runs a script of the bundle
// (`jsc://` resources, IncludeURL files first) or written inline, in the
// QuickJS sandbox of javascript-sandbox.ts with Apigee's object model:
// `context` (getVariable, setVariable, removeVariable, proxyRequest,
// targetRequest, targetResponse, proxyResponse, session, flow), `request`,
// `response`, `properties`, `print`, `crypto` hashes and `httpClient`
// (through the SSRF guard). `timeLimit` is the scripts' CPU time in
// milliseconds; past it, or on any error, the step faults.
import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { PolicyExchange } from '../engine/policy.js';
import { stringify } from '../language/template.js';
import { defineFaults, raise } from './common.js';
import { definePolicy, policyXml } from './define-policy.js';
import { el, optional } from './xml-model.js';
import { OutboundCallError, type HttpService, type LogService } from './services.js';
import type { SandboxHost } from './javascript-sandbox.js';

export const JAVASCRIPT_FAULTS = defineFaults({
  ScriptExecutionFailed: ['steps.javascript.ScriptExecutionFailed', 500],
});

const ResourceUrl = z.lazy(() => z.string().regex(/^jsc:\/\/[^\s]+$/, 'must be a jsc:// resource, e.g. jsc://script.js'));

const schema = z.lazy(() => z
  .object({
    resourceUrl: ResourceUrl.optional(),
    /** Inline code (`<Source>`), when there is no resourceUrl. */
    source: z.string().optional(),
    includeUrls: z.array(ResourceUrl).default([]),
    /** CPU milliseconds the scripts may use. */
    timeLimitMs: z.number().int().min(1).max(30_000).default(200),
    properties: z.record(z.string(), z.string()).default({}),
  })
  .refine((config) => Boolean(config.resourceUrl) !== (config.source !== undefined), { message: 'exactly one of a ResourceURL or a Source is required' }));

/** `jsc://lib/a.js` -> the resource path `jsc/lib/a.js`. */
const resourcePath = (url: string) => `jsc/${url.slice('jsc://'.length)}`;

/** Longest an httpClient call may take. */
const HTTP_CLIENT_TIMEOUT_MS = 10_000;

/** Apigee's `context.flow`, as far as the exchange tells: routed to a target or not, request or response. */
function flowOf(exchange: PolicyExchange): string {
  const routed = exchange.get('target.name') !== undefined;
  if (exchange.phase === 'request') return routed ? 'TARGET_REQ_FLOW' : 'PROXY_REQ_FLOW';
  return routed && exchange.get('current.flow.name') !== 'PostClientFlow' ? 'TARGET_RESP_FLOW' : 'PROXY_RESP_FLOW';
}

function hostFor(exchange: PolicyExchange, policyName: string, prints: string[], http: HttpService): SandboxHost {
  return {
    getVariable: (name) => {
      const value = exchange.get(name);
      return value === undefined || value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : stringify(value);
    },
    setVariable: (name, value) => exchange.set(name, value),
    removeVariable: (name) => {
      const match = /^([^.]+)\.(header|queryparam)\.(.+)$/.exec(name);
      const message = match ? exchange.messageByName(match[1]) : undefined;
      if (match && message) {
        if (match[2] === 'header') message.headers.delete(match[3]!);
        else message.query.delete(match[3]!);
        return;
      }
      exchange.set(name, undefined);
    },
    names: (name, kind) => {
      const message = exchange.messageByName(name);
      if (!message) return [];
      return kind === 'headers' ? message.headers.names() : [...new Set(message.query.keys())];
    },
    print: (text) => {
      if (prints.length < 100) prints.push(text.slice(0, 2000));
    },
    flow: () => flowOf(exchange),
    hash: (algorithm, data, encoding) => createHash(algorithm).update(data).digest(encoding),
    http: async (request) => {
      try {
        const answer = await http.request({
          url: request.url,
          method: request.method,
          headers: request.headers,
          ...(request.body === undefined ? {} : { body: Buffer.from(request.body) }),
          timeoutMs: HTTP_CLIENT_TIMEOUT_MS,
          maxResponseBytes: 5 * 1024 * 1024,
        });
        const headers = Object.fromEntries(Object.entries(answer.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : value]));
        return { status: answer.status, headers, body: answer.body.toString('utf8') };
      } catch (error) {
        if (error instanceof OutboundCallError) return { error: `${policyName}: ${error.message}` };
        throw error;
      }
    },
  };
}

function writePrints(log: LogService, policyName: string, prints: string[]): void {
  if (prints.length > 0) log.write({ policy: policyName, print: prints });
}

export const javascript = definePolicy({
  type: 'Javascript',
  schema,
  faults: JAVASCRIPT_FAULTS,
  prepare: (config, { resources }) => {
    const load = (url: string) => {
      const code = resources.get(resourcePath(url));
      if (code === undefined) throw new Error(`resource ${url} is not in the bundle (expected resources/${resourcePath(url)})`);
      return { name: url.slice('jsc://'.length), code };
    };
    const scripts = [...config.includeUrls.map(load), config.resourceUrl ? load(config.resourceUrl) : { name: 'inline.js', code: config.source! }];
    // Start loading QuickJS now, so the first call does not wait for all of it.
    void import('./javascript-sandbox.js').then((sandbox) => sandbox.warmSandbox()).catch(() => undefined);
    return { scripts };
  },
  services: ['http', 'log'],
  execute: async ({ config, prepared, exchange, policy, services: { http, log } }) => {
    const { runInSandbox } = await import('./javascript-sandbox.js');
    const prints: string[] = [];
    const outcome = await runInSandbox({
      scripts: prepared.scripts,
      timeLimitMs: config.timeLimitMs,
      properties: config.properties,
      host: hostFor(exchange, policy.name, prints, http),
    });
    writePrints(log, policy.name, prints);
    if (!outcome.ok) throw raise(JAVASCRIPT_FAULTS, 'ScriptExecutionFailed', `Execution of ${policy.name} failed with error: ${outcome.message}`);
  },
});

export const javascriptXml = /* @__PURE__ */ policyXml(javascript, {
  fromXml: (root) => {
    const properties = root.child('Properties');
    return {
      resourceUrl: root.childText('ResourceURL') || undefined,
      source: root.child('Source') ? root.child('Source')!.parts.join('') : undefined,
      includeUrls: root.all('IncludeURL').map((include) => include.text()),
      timeLimitMs: root.int('timeLimit'),
      properties: Object.fromEntries((properties?.all('Property') ?? []).map((property) => [property.attr('name') ?? '', property.text()])),
    };
  },
  toXml: (config) => ({
    attributes: { timeLimit: config.timeLimitMs },
    children: [
      Object.keys(config.properties).length ? el('Properties', {}, Object.entries(config.properties).map(([name, value]) => el('Property', { name }, value))) : undefined,
      ...config.includeUrls.map((url) => el('IncludeURL', {}, url)),
      optional('ResourceURL', config.resourceUrl),
      config.source === undefined ? undefined : el('Source', {}, config.source),
    ].filter((node) => node !== undefined),
  }),
});
