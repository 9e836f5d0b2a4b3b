// A small path router: `:name` captures one segment, a trailing `*name`
// captures the rest. Routes match in registration order. A path that matches
// but not with this method is a 405 with `Allow`.
//
// Each route may carry documentation (summary, tag, body schema, auth). It
// never changes how requests match; the OpenAPI document is generated from it
// (shared/platform/openapi.ts), so the published API cannot drift from the
// routes that actually serve it.
import type * as z from 'zod';
import { methodNotAllowed, notFound } from './errors.js';
import type { HttpRequest } from './request.js';
import type { HttpResponse } from './response.js';

export type RouteHandler<Ctx> = (request: HttpRequest, ctx: Ctx) => Promise<HttpResponse>;

/**
 * Who may call a route: the platform header (`User .., Organization ..`), the
 * platform header with an `Element` instance token, OAuth client credentials
 * (token endpoints), a developer portal session (`Bearer`), or anyone.
 */
export type RouteAuth = 'platform' | 'element' | 'client' | 'developer' | 'none';

/** The wire shape of a route's errors (see ErrorStyle in lambda.ts). */
export type RouteErrors = 'platform' | 'oauth';

/**
 * A schema, or a function that makes it on first use: schemas that exist only
 * for the documentation are built when the document is, not on every cold start.
 */
export type DocSchema = z.ZodType | (() => z.ZodType);

/** Builds a documentation-only schema once, when first asked for. */
export function lazySchema(create: () => z.ZodType): () => z.ZodType {
  let schema: z.ZodType | undefined;
  return () => (schema ??= create());
}

export interface QueryParamDoc {
  description: string;
  required?: boolean;
  /** Allowed values (a string parameter otherwise). */
  enum?: readonly string[];
  /** A schema when the parameter is more than free text or an enum. */
  schema?: DocSchema;
}

export interface ResponseDoc {
  description: string;
  /** The body's schema (JSON unless `type` says otherwise). */
  schema?: DocSchema;
  /** Media type(s) of the body; `application/json` when a schema is given (the schema describes the first). */
  type?: string | readonly string[];
  /** Response headers worth knowing: name -> description. */
  headers?: Record<string, string>;
}

export interface RouteDoc {
  summary?: string;
  description?: string;
  tag?: string;
  auth?: RouteAuth;
  errors?: RouteErrors;
  /** Stable operation id; derived from the method and path when absent. */
  operationId?: string;
  /** The zod schema the handler validates its JSON body with. */
  body?: DocSchema;
  /** Bodies by media type: a schema, or 'binary' for a body taken as is (bytes, or any JSON). */
  bodies?: Record<string, DocSchema | 'binary'>;
  /** The body may be left out. */
  bodyOptional?: boolean;
  query?: Record<string, QueryParamDoc>;
  /** Success (and notable) responses by status; `200 OK` when absent. */
  responses?: Record<number, string | ResponseDoc>;
  /** What a path parameter holds: name -> description. */
  params?: Record<string, string>;
}

/** A registered route as the outside sees it: method (or `ANY`), pattern and documentation. */
export interface RegisteredRoute {
  method: string;
  pattern: string;
  doc: RouteDoc;
}

interface Route<Ctx> extends RegisteredRoute {
  segments: string[];
  handler: RouteHandler<Ctx>;
}

export class Router<Ctx> {
  /**
   * @param defaults documentation every route of this router starts from (tag, auth, error style)
   * @param entries the route list; a group shares its parent's, so order and matching stay one
   */
  constructor(
    private readonly defaults: RouteDoc = {},
    private readonly entries: Route<Ctx>[] = [],
  ) {}

  /**
   * The same router with more documentation defaults: what a group registers is
   * matched exactly as if it were registered on this router.
   */
  group(defaults: RouteDoc): Router<Ctx> {
    return new Router<Ctx>({ ...this.defaults, ...defaults }, this.entries);
  }

  on(method: string, pattern: string, handler: RouteHandler<Ctx>): this;
  on(method: string, pattern: string, doc: RouteDoc, handler: RouteHandler<Ctx>): this;
  on(method: string, pattern: string, docOrHandler: RouteDoc | RouteHandler<Ctx>, maybeHandler?: RouteHandler<Ctx>): this {
    const handler = typeof docOrHandler === 'function' ? docOrHandler : maybeHandler;
    if (!handler) throw new TypeError(`Route ${method} ${pattern} has no handler`);
    const doc = typeof docOrHandler === 'function' ? {} : docOrHandler;
    this.entries.push({
      method: method.toUpperCase(),
      pattern,
      doc: { ...this.defaults, ...doc },
      segments: split(pattern),
      handler,
    });
    return this;
  }

  get(pattern: string, handler: RouteHandler<Ctx>): this;
  get(pattern: string, doc: RouteDoc, handler: RouteHandler<Ctx>): this;
  get(pattern: string, a: RouteDoc | RouteHandler<Ctx>, b?: RouteHandler<Ctx>) {
    return this.on('GET', pattern, a as RouteDoc, b as RouteHandler<Ctx>);
  }
  post(pattern: string, handler: RouteHandler<Ctx>): this;
  post(pattern: string, doc: RouteDoc, handler: RouteHandler<Ctx>): this;
  post(pattern: string, a: RouteDoc | RouteHandler<Ctx>, b?: RouteHandler<Ctx>) {
    return this.on('POST', pattern, a as RouteDoc, b as RouteHandler<Ctx>);
  }
  put(pattern: string, handler: RouteHandler<Ctx>): this;
  put(pattern: string, doc: RouteDoc, handler: RouteHandler<Ctx>): this;
  put(pattern: string, a: RouteDoc | RouteHandler<Ctx>, b?: RouteHandler<Ctx>) {
    return this.on('PUT', pattern, a as RouteDoc, b as RouteHandler<Ctx>);
  }
  patch(pattern: string, handler: RouteHandler<Ctx>): this;
  patch(pattern: string, doc: RouteDoc, handler: RouteHandler<Ctx>): this;
  patch(pattern: string, a: RouteDoc | RouteHandler<Ctx>, b?: RouteHandler<Ctx>) {
    return this.on('PATCH', pattern, a as RouteDoc, b as RouteHandler<Ctx>);
  }
  delete(pattern: string, handler: RouteHandler<Ctx>): this;
  delete(pattern: string, doc: RouteDoc, handler: RouteHandler<Ctx>): this;
  delete(pattern: string, a: RouteDoc | RouteHandler<Ctx>, b?: RouteHandler<Ctx>) {
    return this.on('DELETE', pattern, a as RouteDoc, b as RouteHandler<Ctx>);
  }

  /** Every registered route, in matching order (groups included). */
  routes(): RegisteredRoute[] {
    return this.entries.map(({ method, pattern, doc }) => ({ method, pattern, doc: { ...doc } }));
  }

  /** Finds the handler, fills `request.params`, and runs it. */
  async handle(request: HttpRequest, ctx: Ctx): Promise<HttpResponse> {
    const segments = split(request.path);
    const allowed = new Set<string>();
    for (const route of this.entries) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      if (route.method === request.method || (route.method === 'GET' && request.method === 'HEAD') || route.method === 'ANY') {
        request.params = params;
        return route.handler(request, ctx);
      }
      allowed.add(route.method);
    }
    if (allowed.size > 0) throw methodNotAllowed([...allowed]);
    throw notFound(`No route for ${request.method} ${request.path}`);
  }
}

function split(path: string): string[] {
  return path.split('/').filter((segment) => segment.length > 0);
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i]!;
    if (expected.startsWith('*')) {
      const rest = actual.slice(i);
      if (rest.length === 0) return undefined;
      params[expected.slice(1) || 'rest'] = rest.map(decode).join('/');
      return params;
    }
    const segment = actual[i];
    if (segment === undefined) return undefined;
    if (expected.startsWith(':')) params[expected.slice(1)] = decode(segment);
    else if (expected !== segment) return undefined;
  }
  return pattern.length === actual.length ? params : undefined;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
