// The JavaScript policy's sandbox: QuickJS compiled to WebAssembly
// (quickjs-emscripten, the asyncify build so that `httpClient` calls can wait
// for their answer). A script sees only what is put into its context: no
// require, no process, no filesystem, no network but the host's httpClient
// (through the SSRF guard), and a fresh context per call, so nothing one
// call leaves behind reaches the next. Each runtime has a memory limit, a
// stack limit and an interrupt handler that stops a script at its CPU-time
// limit (time spent waiting for httpClient does not count).
//
// Formula steps, element hooks and transformation scripts run here too
// (connectors/script-run.ts, which adds Open Connectors' `CE` library over
// the `__hostHelpers` global: HMAC and base64, which the object model lacks).
//
// This module is loaded only when a JavaScript step first runs (the policy
// imports it dynamically), and the WebAssembly module (about 1 MB) is read
// and compiled then, once per container.
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  newQuickJSAsyncWASMModuleFromVariant,
  newVariant,
  RELEASE_ASYNC,
  type QuickJSAsyncContext,
  type QuickJSAsyncRuntime,
  type QuickJSAsyncWASMModule,
  type QuickJSHandle,
} from 'quickjs-emscripten';

/** What a script may do outside itself; the policy implements these over the exchange and its services. */
export interface SandboxHost {
  getVariable(name: string): unknown;
  setVariable(name: string, value: unknown): void;
  removeVariable(name: string): void;
  /** Header or query parameter names of a message (`request`, `response`, a custom one). */
  names(message: string, kind: 'headers' | 'queryparams'): string[];
  print(text: string): void;
  /** Apigee's `context.flow`: PROXY_REQ_FLOW, TARGET_REQ_FLOW, TARGET_RESP_FLOW or PROXY_RESP_FLOW. */
  flow(): string;
  /** An HTTP call (httpClient): JSON in, JSON out. */
  http(request: { url: string; method: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; headers: Record<string, string>; body: string } | { error: string }>;
  hash(algorithm: string, data: string, encoding: 'hex' | 'base64'): string;
}

export interface SandboxRun {
  /** The scripts to run in order (IncludeURL files first, then the main one), with their names for stack traces. */
  scripts: { name: string; code: string }[];
  /** CPU milliseconds the scripts may use in all. */
  timeLimitMs: number;
  /** The policy's `<Properties>`, as the `properties` global. */
  properties: Record<string, string>;
  host: SandboxHost;
}

export type SandboxOutcome = { ok: true } | { ok: false; reason: 'timeout' | 'memory' | 'error'; message: string };

export const MEMORY_LIMIT_BYTES = 32 * 1024 * 1024;
const STACK_LIMIT_BYTES = 512 * 1024;
/** Sandboxes kept per container; a call beyond waits for one (asyncify allows one suspended call per module). */
const MAX_SANDBOXES = 4;

function wasmPath(): string {
  if (process.env.TOLLGATE_QUICKJS_WASM) return process.env.TOLLGATE_QUICKJS_WASM;
  // The Lambda bundle ships the module beside index.js (infra/bundling.ts).
  if (typeof __dirname === 'string' && existsSync(join(__dirname, 'quickjs.wasm'))) return join(__dirname, 'quickjs.wasm');
  return createRequire(import.meta.url).resolve('@jitl/quickjs-wasmfile-release-asyncify/wasm');
}

/** Node's WebAssembly global (its value is not in the ES library types). */
const wasm = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WebAssembly.Module> } }).WebAssembly;

let compiled: Promise<WebAssembly.Module> | undefined;
const compileModule = () => (compiled ??= wasm.compile(readFileSync(wasmPath())));

interface Sandbox {
  module: QuickJSAsyncWASMModule;
  runtime: QuickJSAsyncRuntime;
  /** A fresh context with the object model loaded, made between calls so a call does not wait for it. */
  spare?: QuickJSAsyncContext;
  /** The call the context's host functions answer for. */
  current?: CallState;
}

interface CallState {
  run: SandboxRun;
  /** Milliseconds of CPU time left, and when the script last resumed; only counted while a script runs. */
  budget: number;
  resumedAt: number;
  running: boolean;
  interrupted: boolean;
}

const idle: Sandbox[] = [];
const waiting: ((sandbox: Sandbox) => void)[] = [];
let created = 0;

async function newSandbox(): Promise<Sandbox> {
  const module = await newQuickJSAsyncWASMModuleFromVariant(newVariant(RELEASE_ASYNC, { wasmModule: await compileModule() }));
  const sandbox: Sandbox = { module, runtime: undefined as unknown as QuickJSAsyncRuntime };
  sandbox.runtime = freshRuntime(sandbox);
  return sandbox;
}

function freshRuntime(sandbox: Sandbox): QuickJSAsyncRuntime {
  const runtime = sandbox.module.newRuntime();
  runtime.setMemoryLimit(MEMORY_LIMIT_BYTES);
  runtime.setMaxStackSize(STACK_LIMIT_BYTES);
  // CPU time: the clock runs while a script runs, not while the host answers an httpClient call.
  runtime.setInterruptHandler(() => {
    const call = sandbox.current;
    if (!call?.running) return false;
    if (Date.now() - call.resumedAt > call.budget) call.interrupted = true;
    return call.interrupted;
  });
  return runtime;
}

async function acquire(): Promise<Sandbox> {
  const ready = idle.pop();
  if (ready) return ready;
  if (created < MAX_SANDBOXES) {
    created++;
    try {
      return await newSandbox();
    } catch (error) {
      created--;
      throw error;
    }
  }
  return new Promise((resolve) => waiting.push(resolve));
}

function release(sandbox: Sandbox): void {
  sandbox.current = undefined;
  const next = waiting.shift();
  if (next) {
    next(sandbox);
    return;
  }
  idle.push(sandbox);
  // The next call's context is made now, off the path of that call.
  setImmediate(() => {
    if (idle.includes(sandbox) && !sandbox.spare) {
      try {
        sandbox.spare = newContext(sandbox);
      } catch {
        sandbox.spare = undefined;
      }
    }
  });
}

/** Loads and compiles QuickJS ahead of the first call (a deployment with a JavaScript step warms it). */
export function warmSandbox(): void {
  void compileModule().catch(() => undefined);
}

// The Apigee object model, written in JavaScript inside the sandbox over a few host functions.
const PRELUDE = `(() => {
  'use strict';
  const host = globalThis.__host;
  delete globalThis.__host;
  const headerProxy = (message) => new Proxy({}, {
    get: (_t, name) => typeof name === 'string' ? host.get(message + '.header.' + name) : undefined,
    set: (_t, name, value) => { host.set(message + '.header.' + String(name), Array.isArray(value) ? value.join(',') : String(value)); return true; },
    deleteProperty: (_t, name) => { host.remove(message + '.header.' + String(name)); return true; },
    has: (_t, name) => host.get(message + '.header.' + String(name)) !== undefined,
    ownKeys: () => host.names(message, 'headers'),
    getOwnPropertyDescriptor: (_t, name) => { const value = host.get(message + '.header.' + String(name)); return value === undefined ? undefined : { value, enumerable: true, configurable: true, writable: true }; },
  });
  const queryProxy = (message) => new Proxy({}, {
    get: (_t, name) => typeof name === 'string' ? host.get(message + '.queryparam.' + name) : undefined,
    set: (_t, name, value) => { host.set(message + '.queryparam.' + String(name), String(value)); return true; },
    deleteProperty: (_t, name) => { host.remove(message + '.queryparam.' + String(name)); return true; },
    has: (_t, name) => host.get(message + '.queryparam.' + String(name)) !== undefined,
    ownKeys: () => host.names(message, 'queryparams'),
    getOwnPropertyDescriptor: (_t, name) => { const value = host.get(message + '.queryparam.' + String(name)); return value === undefined ? undefined : { value, enumerable: true, configurable: true, writable: true }; },
  });
  const messageObject = (message, isRequest) => {
    const content = () => { const value = host.get(message + '.content'); return value === undefined || value === null ? '' : String(value); };
    const body = {
      get asJSON() { try { return JSON.parse(content()); } catch (e) { return undefined; } },
      get asForm() { const form = {}; for (const pair of content().split('&')) { if (!pair) continue; const i = pair.indexOf('='); const k = decodeURIComponent((i < 0 ? pair : pair.slice(0, i)).replace(/\\+/g, ' ')); const v = i < 0 ? '' : decodeURIComponent(pair.slice(i + 1).replace(/\\+/g, ' ')); (form[k] = form[k] || []).push(v); } return form; },
      toString: content,
    };
    const object = {
      headers: headerProxy(message),
      get content() { return content(); },
      set content(value) { host.set(message + '.content', typeof value === 'string' ? value : JSON.stringify(value)); },
      get body() { return body; },
      set body(value) { host.set(message + '.content', typeof value === 'string' ? value : JSON.stringify(value)); },
    };
    if (isRequest) {
      Object.defineProperties(object, {
        method: { get: () => host.get(message + '.verb'), set: (value) => host.set(message + '.verb', String(value)), enumerable: true },
        url: { get: () => { const hostHeader = host.get(message + '.header.host'); const uri = host.get(message + '.uri') || ''; return hostHeader ? 'https://' + hostHeader + uri : uri; }, set: (value) => host.set('target.url', String(value)), enumerable: true },
        path: { get: () => host.get(message + '.path'), enumerable: true },
        queryParams: { get: () => queryProxy(message), enumerable: true },
      });
    } else {
      const status = { get code() { return host.get(message + '.status.code'); }, set code(value) { host.set(message + '.status.code', String(value)); },
        get message() { return host.get(message + '.reason.phrase'); }, set message(value) { host.set(message + '.reason.phrase', String(value)); },
        toString() { return String(host.get(message + '.status.code')); }, valueOf() { return Number(host.get(message + '.status.code')); } };
      Object.defineProperty(object, 'status', { get: () => status, set: (value) => host.set(message + '.status.code', String(value)), enumerable: true });
    }
    return object;
  };
  const request = messageObject('request', true);
  const response = messageObject('response', false);
  const session = Object.create(null);
  // An object set as a variable stays itself for this script, as in Apigee (the flow sees its JSON).
  const objects = new Map();
  const context = {
    getVariable: (name) => objects.has(String(name)) ? objects.get(String(name)) : host.get(String(name)),
    setVariable: (name, value) => {
      if (value !== null && (typeof value === 'object' || typeof value === 'function')) objects.set(String(name), value);
      else objects.delete(String(name));
      host.set(String(name), value);
    },
    removeVariable: (name) => { objects.delete(String(name)); host.remove(String(name)); },
    get flow() { return host.flow(); },
    session,
    proxyRequest: request,
    targetRequest: request,
    proxyResponse: response,
    targetResponse: response,
  };
  const makeHash = (algorithm) => {
    let data = '';
    return {
      update(value) { data += String(value); return this; },
      digest() { return host.hash(algorithm, data, 'hex'); },
      digest64() { return host.hash(algorithm, data, 'base64'); },
    };
  };
  const crypto = {
    getMD5: () => makeHash('md5'), getSHA1: () => makeHash('sha1'), getSHA224: () => makeHash('sha224'),
    getSHA256: () => makeHash('sha256'), getSHA384: () => makeHash('sha384'), getSHA512: () => makeHash('sha512'),
    getHash: (name) => makeHash(String(name).toLowerCase().replace('-', '')),
  };
  function Request(url, method, headers, body) {
    this.url = url; this.method = method || 'GET'; this.headers = headers || {}; this.body = body;
  }
  const exchangeOf = (request, callback) => {
    const headers = {};
    for (const key of Object.keys(request.headers || {})) headers[key] = String(request.headers[key]);
    const answer = host.http(JSON.stringify({ url: String(request.url), method: String(request.method || 'GET').toUpperCase(), headers, body: request.body === undefined || request.body === null ? undefined : typeof request.body === 'string' ? request.body : JSON.stringify(request.body) }));
    const parsed = JSON.parse(answer);
    const response = parsed.error ? undefined : {
      status: { code: parsed.status, toString() { return String(parsed.status); } },
      statusCode: parsed.status,
      headers: parsed.headers,
      content: parsed.body,
      get body() { return { asJSON: (() => { try { return JSON.parse(parsed.body); } catch (e) { return undefined; } })(), toString: () => parsed.body }; },
    };
    const exchange = {
      waitForComplete() { return exchange; },
      isComplete: () => true,
      isSuccess: () => !parsed.error,
      isError: () => Boolean(parsed.error),
      getResponse: () => response,
      getError: () => parsed.error,
    };
    if (typeof callback === 'function') callback(response, parsed.error);
    return exchange;
  };
  const httpClient = {
    send: (request, callback) => exchangeOf(request, callback),
    get: (url, callback) => exchangeOf({ url, method: 'GET' }, callback),
  };
  const print = (...args) => host.print(args.map((arg) => typeof arg === 'string' ? arg : JSON.stringify(arg)).join(' '));
  Object.defineProperty(globalThis, 'properties', { get: () => JSON.parse(host.properties()), configurable: true });
  // Pure helpers the object model lacks (connector scripts build Open Connectors' CE library on them).
  const helpers = Object.freeze({ hmac: (algorithm, encoding, secret, value) => host.hmac(String(algorithm), String(encoding), String(secret), String(value)), base64: (value) => host.base64(String(value)) });
  // Writable, so that a script's own global of that name simply replaces it.
  Object.defineProperty(globalThis, '__hostHelpers', { value: helpers, writable: true, configurable: true });
  Object.assign(globalThis, { context, request, response, crypto, httpClient, Request, print });
})();`;

function toHandle(vm: QuickJSAsyncContext, value: unknown): QuickJSHandle {
  if (value === undefined) return vm.undefined;
  if (value === null) return vm.null;
  if (typeof value === 'string') return vm.newString(value);
  if (typeof value === 'number') return vm.newNumber(value);
  if (typeof value === 'boolean') return value ? vm.true : vm.false;
  if (Buffer.isBuffer(value)) return vm.newString(value.toString('utf8'));
  return vm.newString(typeof value === 'object' ? JSON.stringify(value) : String(value));
}

const HMAC_ALGORITHMS = new Set(['md5', 'sha1', 'sha256', 'sha384', 'sha512']);
const HMAC_ENCODINGS = new Set(['hex', 'base64', 'base64url']);

/** A new context with the host functions (answering for `sandbox.current`) and the object model. */
function newContext(sandbox: Sandbox): QuickJSAsyncContext {
  const vm = sandbox.runtime.newContext();
  const call = () => sandbox.current!;
  const host = () => call().run.host;
  const hostObject = vm.newObject();
  const define = (name: string, handle: QuickJSHandle) => {
    vm.setProp(hostObject, name, handle);
    handle.dispose();
  };
  define('get', vm.newFunction('get', (name) => toHandle(vm, host().getVariable(vm.getString(name)))));
  define('set', vm.newFunction('set', (name, value) => {
    const dumped: unknown = vm.dump(value);
    host().setVariable(vm.getString(name), dumped !== null && typeof dumped === 'object' ? JSON.stringify(dumped) : dumped);
    return vm.undefined;
  }));
  define('remove', vm.newFunction('remove', (name) => {
    host().removeVariable(vm.getString(name));
    return vm.undefined;
  }));
  define('names', vm.newFunction('names', (message, kind) => {
    const list = host().names(vm.getString(message), vm.getString(kind) === 'headers' ? 'headers' : 'queryparams');
    const array = vm.newArray();
    list.forEach((name, i) => {
      const item = vm.newString(name);
      vm.setProp(array, i, item);
      item.dispose();
    });
    return array;
  }));
  define('flow', vm.newFunction('flow', () => vm.newString(host().flow())));
  define('properties', vm.newFunction('properties', () => vm.newString(JSON.stringify(call().run.properties))));
  define('print', vm.newFunction('print', (text) => {
    host().print(vm.getString(text));
    return vm.undefined;
  }));
  define('hash', vm.newFunction('hash', (algorithm, data, encoding) => {
    try {
      return vm.newString(host().hash(vm.getString(algorithm), vm.getString(data), vm.getString(encoding) === 'base64' ? 'base64' : 'hex'));
    } catch {
      return { error: vm.newError(`unknown hash algorithm ${vm.getString(algorithm)}`) };
    }
  }));
  define('base64', vm.newFunction('base64', (text) => vm.newString(Buffer.from(vm.getString(text), 'utf8').toString('base64'))));
  define('hmac', vm.newFunction('hmac', (algorithm, encoding, secret, data) => {
    const name = vm.getString(algorithm).toLowerCase();
    const output = vm.getString(encoding);
    if (!HMAC_ALGORITHMS.has(name) || !HMAC_ENCODINGS.has(output)) return { error: vm.newError(`hmac takes ${[...HMAC_ALGORITHMS].join(', ')} and ${[...HMAC_ENCODINGS].join(', ')}`) };
    return vm.newString(createHmac(name, vm.getString(secret)).update(vm.getString(data), 'utf8').digest(output as 'hex' | 'base64'));
  }));
  define('http', vm.newAsyncifiedFunction('http', async (requestJson) => {
    const request = JSON.parse(vm.getString(requestJson)) as Parameters<SandboxHost['http']>[0];
    const state = call();
    state.budget -= Date.now() - state.resumedAt;
    state.running = false;
    try {
      return vm.newString(JSON.stringify(await state.run.host.http(request)));
    } finally {
      state.running = true;
      state.resumedAt = Date.now();
    }
  }));
  vm.setProp(vm.global, '__host', hostObject);
  hostObject.dispose();
  const prelude = vm.evalCode(PRELUDE, 'apigee-object-model.js');
  if (prelude.error) {
    const message = JSON.stringify(vm.dump(prelude.error));
    prelude.error.dispose();
    vm.dispose();
    throw new Error(`the object model failed to load: ${message}`);
  }
  prelude.value.dispose();
  return vm;
}

/** Runs a script in a fresh context of a pooled sandbox; never throws for what the script does. */
export async function runInSandbox(run: SandboxRun): Promise<SandboxOutcome> {
  const sandbox = await acquire();
  const state: CallState = { run, budget: run.timeLimitMs, resumedAt: Date.now(), running: false, interrupted: false };
  sandbox.current = state;
  let broken = false;
  let vm: QuickJSAsyncContext | undefined;
  try {
    vm = sandbox.spare ?? newContext(sandbox);
    sandbox.spare = undefined;
    for (const script of run.scripts) {
      state.resumedAt = Date.now();
      state.running = true;
      const result = await vm.evalCodeAsync(script.code, script.name);
      state.running = false;
      if (result.error) {
        const error = vm.dump(result.error) as { name?: string; message?: string; stack?: string } | string;
        result.error.dispose();
        if (state.interrupted) return { ok: false, reason: 'timeout', message: `Javascript runtime exceeded limit of ${run.timeLimitMs}ms` };
        const text = typeof error === 'string' ? error : `${error.name ?? 'Error'}: ${error.message ?? ''}`;
        if (/out of memory/i.test(text)) {
          broken = true;
          return { ok: false, reason: 'memory', message: 'Javascript runtime exceeded its memory limit' };
        }
        const line = typeof error === 'object' ? /:(\d+)(?::\d+)?\)?\s*$/m.exec(error.stack ?? '')?.[1] : undefined;
        return { ok: false, reason: 'error', message: `Javascript runtime error: "${text}"${line ? ` (${script.name}#${line})` : ''}` };
      }
      result.value.dispose();
    }
    return { ok: true };
  } catch (error) {
    broken = true;
    return { ok: false, reason: 'error', message: error instanceof Error ? error.message : String(error) };
  } finally {
    state.running = false;
    try {
      vm?.dispose();
    } catch {
      broken = true;
    }
    if (broken || state.interrupted) {
      // A script stopped half way may leave the runtime's heap in any state: the next call gets a new one.
      try {
        sandbox.spare?.dispose();
        sandbox.spare = undefined;
        sandbox.runtime.dispose();
      } catch {
        // the whole runtime goes
      }
      sandbox.runtime = freshRuntime(sandbox);
    }
    release(sandbox);
  }
}
