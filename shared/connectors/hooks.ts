// Element hooks, as Open Connectors runs them around a resource call: the
// element's global preRequest hooks, then the resource's, then the vendor
// call, then the resource's postRequest hooks, then the global ones. Each is
// JavaScript in the sandbox (script-run.ts) that sees Open Connectors'
// variables (`request_vendor_parameters`, `request_vendor_headers`,
// `response_body`, `configuration` ...) and passes what it changes to
// `done({...})` (or, on the v1 engine, returns it); `done()` changes nothing.
//
// A preRequest hook may change the vendor call's query, headers, method,
// path (on the base URL's origin only: the instance's credential goes with
// it) and body, or answer itself with `continue: false` (the postRequest
// hooks still run). A postRequest hook may change the answer's body, status
// and headers. The instance credential is put on the call after the hooks,
// so a hook neither sees nor replaces it; `configuration` is the instance's
// configuration with its credential entries masked, as the API shows it. A
// hook that fails fails the call (502).
import { HttpError } from '../http/errors.js';
import { HOP_BY_HOP_HEADERS } from '../net/headers.js';
import type { OutboundResponse } from '../net/outbound.js';
import type { Runtime } from '../runtime.js';
import type { ResolvedElement } from './catalog.js';
import { HTTP_METHODS, type ElementResource } from './element-schema.js';
import { maskedConfiguration, type InstanceItem } from './instances.js';
import { isJsonObject, runConnectorScript } from './script-run.js';
import { parseWhere, type CeqlExpression } from './unified/ceql.js';
import { callWithCredentials, instanceBaseUrl, type VendorCall } from './vendor-call.js';

type Json = Record<string, unknown>;
type Hook = ElementResource['hooks'][number];

/** CPU milliseconds one hook may use. */
export const HOOK_TIME_LIMIT_MS = 1000;

/** The caller's request, as the `request_*` variables show it. */
export interface IncomingCall {
  method: string;
  /** The resource path under `/elements/api-v2`: `/hubs/crm/contacts/7`. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[]>;
  body: Buffer | string | undefined;
}

const PRE_VARIABLES = [
  'request_body', 'request_body_map', 'request_headers', 'request_path', 'request_parameters', 'request_method', 'request_expression',
  'request_vendor_parameters', 'request_vendor_method', 'request_vendor_path', 'request_vendor_headers', 'request_vendor_body', 'request_vendor_body_map', 'request_vendor_url',
  'configuration',
];
const POST_VARIABLES = [
  ...PRE_VARIABLES,
  'response_body', 'response_body_raw', 'response_headers', 'response_status_code', 'response_iserror',
];

// On one line, so that the hook's line numbers in errors are its own.
const prelude = (names: string[]) =>
  `'use strict'; const __input = JSON.parse(context.getVariable('script.input')); let ${names.map((name) => `${name} = __input.${name}`).join(', ')}; ` +
  'let __called = false, __value; const done = (value) => { if (!__called) { __called = true; __value = value; } }; const __returned = (function () { ';
const EPILOGUE = "\n})(); const __answer = __called ? __value : __returned; context.setVariable('script.output', JSON.stringify(__answer === undefined || __answer === null ? {} : __answer));";

const PRE_PRELUDE = prelude(PRE_VARIABLES);
const POST_PRELUDE = prelude(POST_VARIABLES);

/** The hooks around a call of `resource`: the element's, then the resource's before; the resource's, then the element's after. */
function hooksOf(element: ResolvedElement, resource: ElementResource | undefined) {
  const of = (hooks: readonly Hook[], type: Hook['type']) => hooks.filter((hook) => hook.type === type && hook.body.trim() !== '');
  const global = element.definition.hooks;
  const own = resource?.hooks ?? [];
  return { pre: [...of(global, 'preRequest'), ...of(own, 'preRequest')], post: [...of(own, 'postRequest'), ...of(global, 'postRequest')] };
}

/** The vendor call, with the element's hooks around it when it has any (`incoming` is asked for only then). */
export async function callWithHooks(rt: Runtime, element: ResolvedElement, instance: InstanceItem, resource: ElementResource | undefined, incoming: () => IncomingCall, call: VendorCall): Promise<OutboundResponse> {
  const { pre, post } = hooksOf(element, resource);
  if (pre.length === 0 && post.length === 0) return callWithCredentials(rt, element, instance, call);
  const base = new URL(instanceBaseUrl(element, instance));
  // What the caller sent and the instance's configuration are the same for every hook of the call.
  const caller = callerVariables(element, instance, incoming());
  const variables = (vendorCall: VendorCall): Json => ({ ...caller, ...vendorVariables(base, vendorCall) });
  let current: VendorCall = { ...call, url: new URL(call.url), headers: { ...call.headers } };
  let answer: OutboundResponse | undefined;
  for (const hook of pre) {
    const output = await runHook(element, hook, PRE_PRELUDE, variables(current));
    const applied = applyPreRequest(output, current, base, element);
    current = applied.call;
    if (applied.answer) {
      answer = applied.answer;
      break;
    }
  }
  // A postRequest hook reads the body: the vendor answers it uncompressed.
  if (post.length > 0) delete current.headers['accept-encoding'];
  answer ??= await callWithCredentials(rt, element, instance, current);
  for (const hook of post) {
    const output = await runHook(element, hook, POST_PRELUDE, { ...variables(current), ...responseVariables(answer) });
    answer = applyPostRequest(output, answer);
  }
  return answer;
}

async function runHook(element: ResolvedElement, hook: Hook, prelude: string, input: Json): Promise<Json> {
  const run = await runConnectorScript(`${hook.type}-hook.js`, `${prelude}${hook.body}${EPILOGUE}`, input, HOOK_TIME_LIMIT_MS);
  if (!run.ok) throw new HttpError(502, 'hook_failed', `Element ${element.definition.key}'s ${hook.type} hook failed: ${run.message}`);
  return isJsonObject(run.output) ? run.output : {};
}

/** Query parameters or headers as a map: a repeated name as an array. */
function mapOf(entries: Iterable<[string, string | string[]]>): Json {
  const out: Json = {};
  for (const [name, value] of entries) {
    const existing = out[name];
    if (existing === undefined) out[name] = value;
    else out[name] = [...(Array.isArray(existing) ? existing : [existing]), ...(Array.isArray(value) ? value : [value])];
  }
  return out;
}

const text = (body: Buffer | string | undefined) => (body === undefined ? '' : body.toString());

function parsed(body: string): unknown {
  if (body.trim() === '') return null;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return null;
  }
}

/** The vendor path under the base URL's path: what `request_vendor_path` shows and takes. */
function vendorPath(url: URL, base: URL): string {
  const basePath = base.pathname.replace(/\/+$/, '');
  return url.pathname.startsWith(basePath) ? url.pathname.slice(basePath.length) || '/' : url.pathname;
}

/** The instance's configuration, its credential entries (client ids, event secrets) masked as the API shows them. */
function hookConfiguration(instance: InstanceItem, element: ResolvedElement): Json {
  const masked = maskedConfiguration(instance, element);
  return Object.fromEntries(Object.keys(instance.configuration).map((key) => [key, masked[key]]));
}

function callerVariables(element: ResolvedElement, instance: InstanceItem, incoming: IncomingCall): Json {
  const body = text(incoming.body);
  return {
    request_body: body,
    request_body_map: parsed(body),
    request_headers: mapOf(Object.entries(incoming.headers)),
    request_path: incoming.path,
    request_parameters: mapOf(incoming.query),
    request_method: incoming.method,
    request_expression: expressionOf(incoming.query.get('where')),
    configuration: hookConfiguration(instance, element),
  };
}

function vendorVariables(base: URL, call: VendorCall): Json {
  const vendorBody = text(call.body);
  return {
    request_vendor_parameters: mapOf(call.url.searchParams),
    request_vendor_method: call.method,
    request_vendor_path: vendorPath(call.url, base),
    request_vendor_headers: mapOf(Object.entries(call.headers)),
    request_vendor_body: vendorBody,
    request_vendor_body_map: parsed(vendorBody),
    request_vendor_url: `${call.url.origin}${call.url.pathname}`,
  };
}

/**
 * The CEQL `where` as Open Connectors hands it to hooks: a list of
 * `{attribute, operator, value}`, one per term of an AND chain; null without a
 * `where`, or when it does not parse or says OR or NOT.
 */
function expressionOf(where: string | null): Json[] | null {
  if (where === null || where.trim() === '') return null;
  let expression: CeqlExpression;
  try {
    expression = parseWhere(where);
  } catch {
    return null;
  }
  const terms: Json[] = [];
  const visit = (node: CeqlExpression): boolean => {
    switch (node.kind) {
      case 'and':
        return node.items.every(visit);
      case 'compare':
        terms.push({ attribute: node.field, operator: node.operator, value: node.value });
        return true;
      case 'in':
        terms.push({ attribute: node.field, operator: node.negated ? 'NOT IN' : 'IN', value: node.values });
        return true;
      case 'like':
        terms.push({ attribute: node.field, operator: node.negated ? 'NOT LIKE' : 'LIKE', value: node.pattern });
        return true;
      case 'null':
        terms.push({ attribute: node.field, operator: node.negated ? 'IS NOT NULL' : 'IS NULL', value: null });
        return true;
      default:
        return false;
    }
  };
  return visit(expression) ? terms : null;
}

function responseVariables(response: OutboundResponse): Json {
  const raw = response.body.toString('utf8');
  const body = parsed(raw);
  return {
    response_body: body ?? raw,
    response_body_raw: raw,
    response_headers: mapOf(Object.entries(response.headers)),
    response_status_code: response.status,
    response_iserror: response.status < 200 || response.status > 207,
  };
}

const failed = (element: ResolvedElement, message: string) => new HttpError(502, 'hook_failed', `Element ${element.definition.key}'s preRequest hook ${message}`);

/** Values of a returned map as header or query values: text, a list of texts; null and undefined left out. */
function values(map: Json): [string, string[]][] {
  return Object.entries(map)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([name, value]) => [name, (Array.isArray(value) ? value : [value]).map((item) => (typeof item === 'string' ? item : JSON.stringify(item)))]);
}

const bodyText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

function applyPreRequest(output: Json, call: VendorCall, base: URL, element: ResolvedElement): { call: VendorCall; answer?: OutboundResponse } {
  const next: VendorCall = { ...call, url: new URL(call.url), headers: { ...call.headers } };
  const path = output.request_vendor_path;
  if (typeof path === 'string' && path !== '') {
    if (/^https?:\/\//i.test(path)) {
      let url: URL;
      try {
        url = new URL(path);
      } catch {
        throw failed(element, `set request_vendor_path to a URL that does not parse`);
      }
      // The instance's credential goes with the call: only to the base URL's origin.
      if (url.origin !== base.origin) throw failed(element, `may set request_vendor_path only to a URL on ${base.origin}`);
      next.url = url;
    } else {
      const [pathPart, query] = path.split('?', 2) as [string, string | undefined];
      next.url.pathname = `${base.pathname.replace(/\/+$/, '')}/${pathPart.replace(/^\/+/, '')}`;
      if (query !== undefined) next.url.search = query;
    }
  }
  if (isJsonObject(output.request_vendor_parameters)) {
    const search = new URLSearchParams();
    for (const [name, list] of values(output.request_vendor_parameters)) for (const value of list) search.append(name, value);
    next.url.search = search.toString();
  }
  if (isJsonObject(output.request_vendor_headers)) next.headers = headersOf(output.request_vendor_headers);
  if (typeof output.request_vendor_method === 'string') {
    const method = output.request_vendor_method.toUpperCase();
    if (!(HTTP_METHODS as readonly string[]).includes(method)) throw failed(element, `set request_vendor_method to ${method.slice(0, 20)}, which is no HTTP method`);
    next.method = method;
  }
  if (output.request_vendor_body !== undefined && output.request_vendor_body !== null) {
    next.body = bodyText(output.request_vendor_body);
    if (typeof output.request_vendor_body !== 'string' && next.headers['content-type'] === undefined) next.headers['content-type'] = 'application/json';
  }
  if (output.continue !== false) return { call: next };
  // The hook answers for the vendor.
  const status = statusOf(output.response_status_code) ?? 200;
  const answer: OutboundResponse = { status, headers: {}, body: Buffer.alloc(0) };
  setBody(answer, output.response_body, output.response_error_message);
  return { call: next, answer };
}

// Headers a hook may not set: Node frames the message itself.
const FRAMING = new Set([...HOP_BY_HOP_HEADERS, 'content-length', 'host']);

function headersOf(map: Json): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, list] of values(map)) {
    const lower = name.toLowerCase();
    if (!FRAMING.has(lower)) headers[lower] = list.length === 1 ? list[0]! : list;
  }
  return headers;
}

/** A hook's `response_body` (JSON, or text as it is) or `response_error_message` as the answer's body. */
function setBody(response: OutboundResponse, body: unknown, errorMessage: unknown): void {
  if (body !== undefined) {
    response.body = Buffer.from(bodyText(body));
    if (typeof body !== 'string') response.headers['content-type'] = 'application/json';
    else response.headers['content-type'] ??= 'text/plain; charset=utf-8';
  } else if (typeof errorMessage === 'string') {
    response.body = Buffer.from(JSON.stringify({ message: errorMessage }));
    response.headers['content-type'] = 'application/json';
  }
}

function statusOf(value: unknown): number | undefined {
  const status = typeof value === 'string' && /^\d{3}$/.test(value) ? Number(value) : value;
  return typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599 ? status : undefined;
}

function applyPostRequest(output: Json, response: OutboundResponse): OutboundResponse {
  const next: OutboundResponse = { ...response, headers: isJsonObject(output.response_headers) ? headersOf(output.response_headers) : { ...response.headers } };
  next.status = statusOf(output.response_status_code) ?? next.status;
  setBody(next, output.response_body, output.response_error_message);
  delete next.headers['content-length'];
  return next;
}
