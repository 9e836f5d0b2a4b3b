// One API call travelling through a proxy: the request, the response, custom
// messages, and the flow variables policies read and write. Built-in variables
// (request.*, response.*, proxy.*, target.*, ...) are computed from the
// messages on read; everything else is a plain variable.
import { randomUUID } from 'node:crypto';
import { faultBody, type Fault } from './faults.js';
import { Message } from './message.js';
import type { ExchangeObserver } from './observer.js';

export interface ExchangeContext {
  organization: string;
  environment: string;
  apiName: string;
  revision: number;
  proxyEndpoint: string;
  basePath: string;
  clientIp: string;
  messageId?: string;
  /** Epoch ms the exchange's outbound calls (target, callouts) must end by. */
  deadline?: number | undefined;
  /** The revision's property sets by `{set}.{key}` (`propertyset.{set}.{key}`). */
  propertySets?: ReadonlyMap<string, string>;
}

type Phase = 'request' | 'response';

export class Exchange {
  readonly request: Message;
  response: Message;
  /** Messages created by AssignMessage's AssignTo. */
  readonly messages = new Map<string, Message>();
  private readonly variables = new Map<string, unknown>();
  readonly context: ExchangeContext;
  readonly messageId: string;
  readonly startedAt = Date.now();
  /** Monotonic start (performance.now()), for latencies. */
  readonly receivedAt = performance.now();
  /** The target call's start and end (performance.now()) and status, once it happened. */
  targetSentAt: number | undefined;
  targetReceivedAt: number | undefined;
  targetStatus: number | undefined;
  /** Whoever watches this exchange (analytics, trace); set by the host. */
  observer: ExchangeObserver | undefined;
  phase: Phase = 'request';
  /** The target URL the call will go to (`target.url`); set by routing, writable by policies. */
  targetUrl: string | undefined;
  targetName: string | undefined;
  /** Set while fault handling runs. */
  fault: Fault | undefined;
  /** True once the response came from the target (or a policy produced one). */
  hasResponse = false;
  currentFlow = '';
  /** API provider of the routed target endpoint, if it uses one. */
  targetProvider: string | undefined;
  /**
   * Set by a policy that has produced the complete response during the request
   * flow (CORS preflight): remaining request steps and the target are skipped.
   */
  skipToResponse = false;
  /** Callbacks that adjust the final response, whatever path produced it (CORS headers). */
  readonly responseHooks: ((response: Message) => void)[] = [];
  /**
   * The custom dimensions of this call's analytics record, by name
   * (StatisticsCollector writes them): the one place the analytics record
   * takes them from.
   */
  readonly statistics = new Map<string, string | number | boolean>();

  /** The request as it arrived, before policies changed it (what analytics records). */
  readonly received: { verb: string; path: string; size: number };

  constructor(request: Message, context: ExchangeContext) {
    this.request = request;
    this.received = { verb: request.verb, path: request.path, size: request.body.length };
    this.response = new Message({ status: 200 });
    this.context = context;
    this.messageId = context.messageId ?? randomUUID();
  }

  get clientIp(): string {
    return this.context.clientIp;
  }

  /** The part of the path after the base path (`proxy.pathsuffix`). */
  get pathSuffix(): string {
    const { basePath } = this.context;
    const path = this.request.path;
    if (basePath === '/') return path === '/' ? '' : path;
    return path.startsWith(basePath) ? path.slice(basePath.length) : path;
  }

  /** The message `message.*` refers to in the current phase. */
  get message(): Message {
    return this.phase === 'request' ? this.request : this.response;
  }

  /** A message by name; none names `message`, the current phase's one (Apigee's default `<Source>`). */
  messageByName(name: string | undefined): Message | undefined {
    if (!name || name === 'message') return this.message;
    if (name === 'request') return this.request;
    if (name === 'response') return this.response;
    return this.messages.get(name);
  }

  get(name: string): unknown {
    const value = this.peek(name);
    this.observer?.variableRead?.(name, value);
    return value;
  }

  /** A variable's value without telling the observer: for analytics and trace themselves. */
  peek(name: string): unknown {
    const custom = this.variables.get(name);
    if (custom !== undefined) return custom;
    const dot = name.indexOf('.');
    const head = dot === -1 ? name : name.slice(0, dot);
    const rest = dot === -1 ? '' : name.slice(dot + 1);
    switch (head) {
      case 'request':
        return messageVariable(this.request, rest, true);
      case 'response':
        return this.hasResponse || this.phase === 'response' ? messageVariable(this.response, rest, false) : undefined;
      case 'message':
        return messageVariable(this.message, rest, this.phase === 'request');
      case 'proxy':
        return this.proxyVariable(rest);
      case 'apiproxy':
        if (rest === 'name') return this.context.apiName;
        if (rest === 'revision') return String(this.context.revision);
        return undefined;
      case 'target':
        if (rest === 'url') return this.targetUrl;
        if (rest === 'name') return this.targetName;
        return undefined;
      case 'client':
        if (rest === 'ip') return this.context.clientIp;
        return undefined;
      case 'messageid':
        return this.messageId;
      case 'system':
        if (rest === 'timestamp') return Date.now();
        if (rest === 'time') return new Date().toUTCString();
        if (rest === 'uuid') return randomUUID();
        return undefined;
      case 'organization':
        return rest === 'name' ? this.context.organization : undefined;
      case 'environment':
        return rest === 'name' ? this.context.environment : undefined;
      case 'fault':
        return rest === 'name' ? this.fault?.faultName : undefined;
      case 'error':
        return this.errorVariable(rest);
      case 'current':
        return rest === 'flow.name' ? this.currentFlow : undefined;
      case 'propertyset':
        return this.context.propertySets?.get(rest);
      default: {
        // A message a policy made (AssignMessage's AssignTo, ServiceCallout's request and response).
        const custom = this.messages.get(head);
        return custom && rest ? messageVariable(custom, rest, undefined) : undefined;
      }
    }
  }

  set(name: string, value: unknown): void {
    this.observer?.variableSet?.(name, value);
    const text = value === undefined || value === null ? '' : String(value);
    const dot = name.indexOf('.');
    const head = dot === -1 ? name : name.slice(0, dot);
    const rest = dot === -1 ? '' : name.slice(dot + 1);
    const target = head === 'request' ? this.request : head === 'response' ? this.response : head === 'message' ? this.message : rest ? this.messages.get(head) : undefined;
    if (target && setMessageVariable(target, rest, text)) {
      if (target === this.response) this.hasResponse = true;
      return;
    }
    if (name === 'target.url') {
      this.targetUrl = text;
      return;
    }
    this.variables.set(name, value);
  }

  private proxyVariable(rest: string): unknown {
    switch (rest) {
      case 'basepath':
        return this.context.basePath;
      case 'pathsuffix':
        return this.pathSuffix;
      case 'name':
        return this.context.proxyEndpoint;
      case 'url':
        return this.request.uri;
      default:
        return undefined;
    }
  }

  private errorVariable(rest: string): unknown {
    const fault = this.fault;
    if (!fault) return undefined;
    switch (rest) {
      case 'message':
        return fault.message;
      case 'status.code':
        return fault.status;
      case 'content':
        return faultBody(fault);
      case 'code':
        return fault.errorCode;
      case 'state':
        return this.phase === 'request' ? 'PROXY_REQ_FLOW' : 'PROXY_RESP_FLOW';
      default:
        return undefined;
    }
  }
}

/** A message's variables; `isRequest` undefined (a custom message) exposes both the request and the response ones. */
function messageVariable(message: Message, rest: string, isRequest: boolean | undefined): unknown {
  const request = isRequest !== false;
  const response = isRequest !== true;
  if (rest === 'content') return message.content;
  if (rest === 'verb') return request ? message.verb : undefined;
  if (rest === 'uri') return request ? message.uri : undefined;
  if (rest === 'path') return request ? message.path : undefined;
  if (rest === 'querystring') return request ? message.querystring : undefined;
  if (rest === 'status.code') return response ? message.status : undefined;
  if (rest === 'reason.phrase') return response ? message.reasonPhrase : undefined;
  if (rest === 'headers.names') return message.headers.names().join(',');
  if (rest === 'headers.count') return message.headers.names().length;
  if (rest === 'queryparams.names') return [...new Set(message.query.keys())].join(',');
  if (rest === 'queryparams.count') return new Set(message.query.keys()).size;
  if (rest.startsWith('header.')) return multiValue(rest.slice(7), (n) => message.headers.getAll(n));
  if (rest.startsWith('queryparam.')) return multiValue(rest.slice(11), (n) => message.query.getAll(n));
  if (rest.startsWith('formparam.')) return multiValue(rest.slice(10), (n) => message.formParams().getAll(n));
  return undefined;
}

/** `header.X` (first value), `header.X.values`, `header.X.values.string`, `header.X.values.count`, `header.X.N` (1-based). */
function multiValue(spec: string, read: (name: string) => string[]): unknown {
  let match = /^(.*)\.values\.count$/.exec(spec);
  if (match) return read(match[1]!).length;
  match = /^(.*)\.values(?:\.string)?$/.exec(spec);
  if (match) {
    const values = read(match[1]!);
    return values.length ? values.join(',') : undefined;
  }
  const direct = read(spec);
  if (direct.length) return direct[0];
  match = /^(.*)\.(\d+)$/.exec(spec);
  if (match) return read(match[1]!)[Number(match[2]) - 1];
  return undefined;
}

function setMessageVariable(message: Message, rest: string, value: string): boolean {
  if (rest === 'content') {
    message.content = value;
    return true;
  }
  if (rest === 'verb') {
    message.verb = value.toUpperCase();
    return true;
  }
  if (rest === 'path') {
    message.path = value;
    return true;
  }
  if (rest === 'status.code') {
    message.status = Number(value) || message.status;
    return true;
  }
  if (rest === 'reason.phrase') {
    message.reasonPhrase = value;
    return true;
  }
  if (rest.startsWith('header.')) {
    message.headers.set(rest.slice(7), value);
    return true;
  }
  if (rest.startsWith('queryparam.')) {
    message.query.set(rest.slice(11), value);
    return true;
  }
  return false;
}
