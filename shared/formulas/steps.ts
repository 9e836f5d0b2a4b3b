// What each step type does with its resolved properties. A step answers with
// its outcome (success or failure, which picks `onSuccess` or `onFailure`)
// and what it adds to the context under `steps.{name}`, in Open Connectors'
// shape: requests give `request` and `response` (`code`, `headers`, `body`),
// scripts what they pass to `done`, filters `{ continue }`, loops
// `{ index, entry }`. Control steps (loop, retry, sub-formula) are the
// executor's: they move the execution, not data.
import { callInstance } from '../connectors/resource-proxy.js';
import { runConnectorScript } from '../connectors/script-run.js';
import { vendorRequest } from '../connectors/vendor-http.js';
import { isHttpError } from '../http/errors.js';
import type { HttpResponse } from '../http/response.js';
import type { Runtime } from '../runtime.js';
import type { FormulaContext } from './references.js';

export interface StepOutcome {
  ok: boolean;
  output: unknown;
  /** Why the step failed, for the execution's error when nothing handles the failure. */
  error?: string;
}

/** CPU time a script or filter step may use; the memory limit is the sandbox's (32 MiB). */
export const SCRIPT_TIME_LIMIT_MS = 1000;
/** The most a response body in the context may hold; larger ones are cut and flagged. */
const MAX_CONTEXT_BODY_BYTES = 256 * 1024;

const record = (value: unknown): Record<string, unknown> => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {});

function stringRecord(value: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(record(value)).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}

function queryOf(value: unknown): URLSearchParams {
  const query = new URLSearchParams();
  for (const [name, entry] of Object.entries(stringRecord(value))) query.append(name, entry);
  return query;
}

function bodyOf(value: unknown): Buffer | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
}

function parsedBody(body: Buffer | string | undefined, contentType: string | undefined): unknown {
  if (body === undefined || body.length === 0) return undefined;
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  if (bytes.length > MAX_CONTEXT_BODY_BYTES) return { truncated: true, bytes: bytes.length };
  const text = bytes.toString('utf8');
  if (contentType === undefined || /json/i.test(contentType)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** `acceptableStatusCodes` as Open Connectors writes it: `200-299,404`. Default: 2xx. */
export function acceptable(status: number, codes: unknown): boolean {
  if (typeof codes !== 'string' || !codes.trim()) return status >= 200 && status < 300;
  return codes.split(',').some((part) => {
    const [from, to] = part.trim().split('-').map(Number);
    return to === undefined ? status === from : status >= from! && status <= to;
  });
}

type Headers = Record<string, string | string[]>;

/** Headers as the context keeps them: one value each, repeated ones joined. */
const joinedHeaders = (headers: Headers): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]));

/** A resource call's answer with all of its headers, single and repeated. */
const callResponse = (response: HttpResponse) => ({ status: response.status, headers: { ...response.headers, ...response.multiHeaders } as Headers, body: response.body });

function responseOutcome(request: unknown, response: { status: number; headers: Headers; body?: Buffer | string }, codes: unknown): StepOutcome {
  const contentType = response.headers['content-type'];
  const headers = joinedHeaders(response.headers);
  const output = { request, response: { code: response.status, headers, body: parsedBody(response.body, Array.isArray(contentType) ? contentType[0] : contentType) } };
  const ok = acceptable(response.status, codes);
  return { ok, output, ...(ok ? {} : { error: `The request answered ${response.status}` }) };
}

function failure(error: unknown, request: unknown): StepOutcome {
  if (isHttpError(error)) return { ok: false, output: { request, response: { code: error.status, body: { code: error.code, message: error.message } } }, error: error.message };
  throw error;
}

/** A resource path with its `{name}` placeholders filled from `path` (Open Connectors' path parameters). */
function apiPath(api: unknown, values: unknown): string {
  const params = stringRecord(values);
  return String(api ?? '').replace(/\{([^}/]+)\}/g, (match, name: string) => (params[name] !== undefined ? encodeURIComponent(params[name]) : match));
}

const instanceIdOf = (value: unknown): number | undefined => {
  const id = Number(value);
  return Number.isInteger(id) && id > 0 ? id : undefined;
};

/** A call through a connector instance: `api` is the resource path (`/hubs/crm/contacts`), canonical objects included. */
export async function elementRequest(rt: Runtime, org: string, properties: Record<string, unknown>, requestId: string): Promise<StepOutcome> {
  const instanceId = instanceIdOf(properties.elementInstanceId);
  const method = String(properties.method ?? 'GET').toUpperCase();
  const path = apiPath(properties.api, properties.path);
  const request = { method, api: path, query: record(properties.query), body: properties.body };
  if (!instanceId) return { ok: false, output: { request }, error: `elementInstanceId ${String(properties.elementInstanceId)} is not an instance id` };
  const body = bodyOf(properties.body);
  const headers = { ...(body ? { 'content-type': 'application/json' } : {}), ...stringRecord(properties.headers) };
  let response: HttpResponse;
  try {
    response = await callInstance(rt, org, instanceId, { method, path, query: queryOf(properties.query), headers, ...(body ? { body } : {}), requestId });
  } catch (error) {
    return failure(error, request);
  }
  return responseOutcome(request, callResponse(response), properties.acceptableStatusCodes);
}

/** The file's name for a multipart upload: the download's Content-Disposition, else the upload's `path` query, else `file`. */
function fileNameOf(download: HttpResponse, uploadQuery: Record<string, string>): string {
  const disposition = download.headers?.['content-disposition'] ?? '';
  const named = /filename\*=UTF-8''([^;]+)|filename="?([^";]+)"?/i.exec(disposition);
  if (named) return decodeURIComponent(named[1] ?? named[2]!);
  return uploadQuery.path?.split('/').filter(Boolean).at(-1) ?? 'file';
}

/** The upload's body: the downloaded bytes as they are, or as one part of a multipart form when `uploadFormDataName` or `uploadFormData` is given. */
async function uploadBodyOf(bytes: Buffer, contentType: string, fileName: string, properties: Record<string, unknown>): Promise<{ body: Buffer; contentType: string }> {
  const fields = stringRecord(properties.uploadFormData);
  const part = typeof properties.uploadFormDataName === 'string' && properties.uploadFormDataName ? properties.uploadFormDataName : undefined;
  if (!part && Object.keys(fields).length === 0) return { body: bytes, contentType };
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append(part ?? 'file', new Blob([bytes], { type: contentType }), fileName);
  // The platform's own encoder (RFC 7578), boundary and all.
  const encoded = new Response(form);
  return { body: Buffer.from(await encoded.arrayBuffer()), contentType: encoded.headers.get('content-type')! };
}

/**
 * A stream step (`elementRequestStream`): downloads a file through one
 * connector instance and uploads it through another. The file's bytes go
 * from the one response to the other request and never into the context,
 * which keeps both requests and responses (the upload's body included), and
 * the size. A file is held in memory while it moves, up to the outbound
 * response limit (10 MiB).
 */
export async function elementRequestStream(rt: Runtime, org: string, properties: Record<string, unknown>, requestId: string): Promise<StepOutcome> {
  const side = (prefix: 'download' | 'upload', method: string) => ({
    instanceId: instanceIdOf(properties[`${prefix}ElementInstanceId`]),
    request: {
      method: String(properties[`${prefix}Method`] ?? method).toUpperCase(),
      api: apiPath(properties[`${prefix}Api`], properties[`${prefix}Path`]),
      query: stringRecord(properties[`${prefix}Query`]),
      headers: stringRecord(properties[`${prefix}Headers`]),
    },
  });
  const download = side('download', 'GET');
  const upload = side('upload', 'POST');
  const output: { download: Record<string, unknown>; upload: Record<string, unknown>; bytes?: number } = { download: { request: download.request }, upload: { request: upload.request } };
  for (const [name, { instanceId }] of [['download', download], ['upload', upload]] as const) {
    if (!instanceId) return { ok: false, output, error: `${name}ElementInstanceId ${String(properties[`${name}ElementInstanceId`])} is not an instance id` };
  }
  // A refused call (instance disabled, vendor unreachable) is that side's response.
  const refused = (error: unknown, at: Record<string, unknown>): StepOutcome => {
    const outcome = failure(error, at.request);
    at.response = (outcome.output as { response: unknown }).response;
    return { ok: false, output, ...(outcome.error ? { error: outcome.error } : {}) };
  };
  let got: HttpResponse;
  try {
    got = await callInstance(rt, org, download.instanceId!, { method: download.request.method, path: download.request.api, query: queryOf(download.request.query), headers: download.request.headers, requestId: `${requestId}:download` });
  } catch (error) {
    return refused(error, output.download);
  }
  output.download.response = { code: got.status, headers: joinedHeaders(callResponse(got).headers) };
  if (!acceptable(got.status, properties.downloadAcceptableStatusCodes)) return { ok: false, output, error: `The download answered ${got.status}` };
  const bytes = Buffer.isBuffer(got.body) ? got.body : Buffer.from(got.body ?? '');
  output.bytes = bytes.length;
  const { body, contentType } = await uploadBodyOf(bytes, got.headers?.['content-type'] ?? 'application/octet-stream', fileNameOf(got, upload.request.query), properties);
  let put: HttpResponse;
  try {
    put = await callInstance(rt, org, upload.instanceId!, {
      method: upload.request.method,
      path: upload.request.api,
      query: queryOf(upload.request.query),
      headers: { ...upload.request.headers, 'content-type': contentType },
      body,
      requestId: `${requestId}:upload`,
    });
  } catch (error) {
    return refused(error, output.upload);
  }
  const uploaded = responseOutcome(upload.request, callResponse(put), properties.acceptableStatusCodes);
  output.upload = uploaded.output as Record<string, unknown>;
  return { ...uploaded, output, ...(uploaded.ok ? {} : { error: `The upload answered ${put.status}` }) };
}

/** A plain HTTP call through the outbound guard (no private metadata addresses, no Tollgate endpoints). */
export async function httpRequest(rt: Runtime, properties: Record<string, unknown>): Promise<StepOutcome> {
  const method = String(properties.method ?? 'GET').toUpperCase();
  const body = bodyOf(properties.body);
  const request = { method, url: String(properties.url), headers: stringRecord(properties.headers), query: record(properties.query), body: properties.body };
  let url: URL;
  try {
    url = new URL(request.url);
    for (const [name, value] of queryOf(properties.query)) url.searchParams.append(name, value);
  } catch {
    return { ok: false, output: { request }, error: `${request.url} is not a URL` };
  }
  const headers = { ...(body ? { 'content-type': 'application/json' } : {}), ...request.headers };
  try {
    const response = await vendorRequest(rt, { url, method, headers, ...(body && method !== 'GET' && method !== 'HEAD' ? { body } : {}), timeoutMs: 30_000 }, 'The HTTP request');
    return responseOutcome(request, response, properties.acceptableStatusCodes);
  } catch (error) {
    return failure(error, request);
  }
}

// Scripts see `steps`, `config`, `trigger` and `info` as plain objects and answer with `done(value)`
// (or `return value`); `console.log` goes to the step's log. All on the first line, so that the
// line numbers of errors are the script's own.
const SCRIPT_PRELUDE =
  "const __c = JSON.parse(context.getVariable('script.input')); const steps = __c.steps, config = __c.config, trigger = __c.trigger, info = __c.info; " +
  "let __done = false; const done = (value) => { if (!__done) { __done = true; context.setVariable('script.output', JSON.stringify(value === undefined ? null : value)); } }; " +
  'const console = { log: (...args) => print(...args), error: (...args) => print(...args) }; ';

/** Runs a script or filter step in the JavaScript policy's sandbox: CPU and memory limits, no filesystem or network, the CE library. */
export async function script(kind: 'script' | 'filter', properties: Record<string, unknown>, context: FormulaContext): Promise<StepOutcome> {
  const logs: string[] = [];
  const code = `${SCRIPT_PRELUDE}const __r = (function () { ${String(properties.body)}\n})(); if (!__done && __r !== undefined) done(__r);`;
  const outcome = await runConnectorScript(kind, code, context, SCRIPT_TIME_LIMIT_MS, (text) => {
    if (logs.length < 100) logs.push(text.slice(0, 2000));
  });
  const log = logs.length ? { log: logs } : {};
  if (!outcome.ok) return { ok: false, output: { error: outcome.message, ...log }, error: outcome.message };
  const value = outcome.output;
  if (kind === 'filter') {
    if (typeof value !== 'boolean') return { ok: false, output: { error: 'A filter must call done(true) or done(false)', ...log }, error: 'A filter must call done(true) or done(false)' };
    return { ok: value, output: { continue: value, ...log } };
  }
  return { ok: true, output: value === undefined || value === null || typeof value !== 'object' ? { result: value ?? null, ...log } : { ...(value as object), ...log } };
}
