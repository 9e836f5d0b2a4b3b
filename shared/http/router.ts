// A small path router: `:name` captures one segment, a trailing `*name`
// captures the rest. Routes match in registration order. A path that matches
// but not with this method is a 405 with `Allow`.
//
// The router enforces who may call each route. Every route declares a scheme
// (`RouteDoc.auth`); before the handler runs, the router asks the scheme's
// authenticator for the caller's principal (401 with a challenge if there is
// none), narrows it to the `{org}` of the path (403 for an organization the
// caller does not belong to) and checks the role against what the route needs
// (`RouteDoc.access`, by default read for GET and HEAD, write otherwise). The
// handler receives the checked principal. The OpenAPI document is generated
// from the same declarations (shared/platform/openapi.ts), so what it says and
// what is enforced cannot drift apart.
import type * as z from 'zod';
import { forbidden, methodNotAllowed, notFound } from './errors.js';
import type { HttpRequest } from './request.js';
import type { HttpResponse } from './response.js';

/**
 * Who may call a route:
 * - `management`: the platform header, `Basic` with a management user's email
 *   and password, or `Bearer` with a management access token;
 * - `platform`: the platform header (`User .., Organization ..`);
 * - `element`: the platform header with an `Element <token>` part;
 * - `client`: OAuth client credentials (client_secret_basic or client_secret_post);
 * - `developer`: a developer portal session (`Bearer`), for that developer's own data;
 * - `none`: anyone.
 */
export type RouteAuth = 'management' | 'platform' | 'element' | 'client' | 'developer' | 'none';

/**
 * A caller's role in an organization: `orgadmin` may do everything, `readonly`
 * only read (never a secret value), `connectoruser` (an Open Connectors account
 * user) only what routes open to it with `userAccess`.
 */
export type Role = 'orgadmin' | 'readonly' | 'connectoruser';

/** What a route needs of the caller's role: reading, writing, or reading a secret value (orgadmin only). */
export type Access = 'read' | 'write' | 'secret';

/** How the caller proved who it is. */
export type AuthMethod = 'platform' | 'basic' | 'bearer' | 'client' | 'developer' | 'none';

/** What the router knows of every principal; authenticators return richer ones. */
export interface RoutePrincipal {
  via: AuthMethod;
  /** The organization the request acts in: the path's `{org}`, or the caller's only one ('' where none applies). */
  organization: string;
  /** The caller's role in `organization`, once the router has checked it. */
  role?: Role;
  /** Every organization the caller belongs to, with its role there. */
  roles: Readonly<Record<string, Role>>;
}

export type RouteHandler<Ctx, P extends RoutePrincipal = RoutePrincipal> = (request: HttpRequest, ctx: Ctx, principal: P) => Promise<HttpResponse>;

/** Verifies a scheme's credentials and returns the principal; throws a 401 with `WWW-Authenticate` when they are missing or wrong. */
export type Authenticator<Ctx, P extends RoutePrincipal> = (request: HttpRequest, ctx: Ctx) => Promise<P>;

export interface RouterOptions<Ctx, P extends RoutePrincipal> {
  /** The authenticator of each scheme this router's routes use (`none` needs none). */
  authenticators?: Partial<Record<Exclude<RouteAuth, 'none'>, Authenticator<Ctx, P>>>;
}

/** The principal of `none` routes. */
export const ANONYMOUS: RoutePrincipal = Object.freeze({ via: 'none', organization: '', roles: Object.freeze({}) });

/** The wire shape of a route's errors: the ErrorRenderer the function renders them with. */
export type RouteErrors = 'platform' | 'connectors' | 'oauth';

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
  /** Who may call the route (required: a route without one is refused at registration). */
  auth?: RouteAuth;
  /** What the route needs of the caller's role; `read` for GET and HEAD, `write` otherwise. */
  access?: Access;
  /**
   * Whether the `connectoruser` role may call the route (never, when absent):
   * `read` for a read that shows no secret value (the element catalog), `own`
   * for a route whose handler limits the caller to what it owns (its instances,
   * itself).
   */
  userAccess?: 'read' | 'own';
  /**
   * `organization` (default): the request acts in one organization, the path's
   * `{org}` or the caller's only one. `global`: it acts in none (management
   * users); the handler decides from the principal's roles.
   */
  scope?: 'organization' | 'global';
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
  /** Other patterns that reach this route through the router's aliases. */
  aliases: string[];
}

interface Route<Ctx, P extends RoutePrincipal> {
  method: string;
  pattern: string;
  doc: RouteDoc;
  segments: string[];
  handler: RouteHandler<Ctx, P>;
}

/** A path prefix that stands for another (`/v1/o/:org` for `/v1/organizations/:org`). */
interface Alias {
  from: string[];
  to: string[];
}

interface Shared<Ctx, P extends RoutePrincipal> {
  entries: Route<Ctx, P>[];
  aliases: Alias[];
  authenticators: NonNullable<RouterOptions<Ctx, P>['authenticators']>;
}

export class Router<Ctx, P extends RoutePrincipal = RoutePrincipal> {
  private readonly shared: Shared<Ctx, P>;

  /**
   * @param defaults documentation every route of this router starts from (tag, auth, error style)
   * @param options the authenticators of the schemes the routes use
   */
  constructor(
    private readonly defaults: RouteDoc = {},
    options: RouterOptions<Ctx, P> | Shared<Ctx, P> = {},
  ) {
    this.shared = 'entries' in options ? options : { entries: [], aliases: [], authenticators: options.authenticators ?? {} };
  }

  /**
   * The same router with more documentation defaults: what a group registers is
   * matched exactly as if it were registered on this router.
   */
  group(defaults: RouteDoc): Router<Ctx, P> {
    return new Router<Ctx, P>({ ...this.defaults, ...defaults }, this.shared);
  }

  /**
   * Serves the routes under `to` also under `from` (same parameters), as one
   * route each: `alias('/v1/o/:org', '/v1/organizations/:org')`. Aliases apply
   * in the order given, each at most once, before matching.
   */
  alias(from: string, to: string): this {
    this.shared.aliases.push({ from: split(from), to: split(to) });
    return this;
  }

  on(method: string, pattern: string, handler: RouteHandler<Ctx, P>): this;
  on(method: string, pattern: string, doc: RouteDoc, handler: RouteHandler<Ctx, P>): this;
  on(method: string, pattern: string, docOrHandler: RouteDoc | RouteHandler<Ctx, P>, maybeHandler?: RouteHandler<Ctx, P>): this {
    const handler = typeof docOrHandler === 'function' ? docOrHandler : maybeHandler;
    if (!handler) throw new TypeError(`Route ${method} ${pattern} has no handler`);
    const doc = { ...this.defaults, ...(typeof docOrHandler === 'function' ? {} : docOrHandler) };
    // Fail closed: a route must say who may call it, and its scheme must be one this router can check.
    if (!doc.auth) throw new TypeError(`Route ${method} ${pattern} declares no auth`);
    if (doc.auth !== 'none' && !this.shared.authenticators[doc.auth]) {
      throw new TypeError(`Route ${method} ${pattern} needs the ${doc.auth} scheme, which this router has no authenticator for`);
    }
    this.shared.entries.push({ method: method.toUpperCase(), pattern, doc, segments: split(pattern), handler });
    return this;
  }

  get(pattern: string, handler: RouteHandler<Ctx, P>): this;
  get(pattern: string, doc: RouteDoc, handler: RouteHandler<Ctx, P>): this;
  get(pattern: string, a: RouteDoc | RouteHandler<Ctx, P>, b?: RouteHandler<Ctx, P>) {
    return this.on('GET', pattern, a as RouteDoc, b as RouteHandler<Ctx, P>);
  }
  post(pattern: string, handler: RouteHandler<Ctx, P>): this;
  post(pattern: string, doc: RouteDoc, handler: RouteHandler<Ctx, P>): this;
  post(pattern: string, a: RouteDoc | RouteHandler<Ctx, P>, b?: RouteHandler<Ctx, P>) {
    return this.on('POST', pattern, a as RouteDoc, b as RouteHandler<Ctx, P>);
  }
  put(pattern: string, handler: RouteHandler<Ctx, P>): this;
  put(pattern: string, doc: RouteDoc, handler: RouteHandler<Ctx, P>): this;
  put(pattern: string, a: RouteDoc | RouteHandler<Ctx, P>, b?: RouteHandler<Ctx, P>) {
    return this.on('PUT', pattern, a as RouteDoc, b as RouteHandler<Ctx, P>);
  }
  patch(pattern: string, handler: RouteHandler<Ctx, P>): this;
  patch(pattern: string, doc: RouteDoc, handler: RouteHandler<Ctx, P>): this;
  patch(pattern: string, a: RouteDoc | RouteHandler<Ctx, P>, b?: RouteHandler<Ctx, P>) {
    return this.on('PATCH', pattern, a as RouteDoc, b as RouteHandler<Ctx, P>);
  }
  delete(pattern: string, handler: RouteHandler<Ctx, P>): this;
  delete(pattern: string, doc: RouteDoc, handler: RouteHandler<Ctx, P>): this;
  delete(pattern: string, a: RouteDoc | RouteHandler<Ctx, P>, b?: RouteHandler<Ctx, P>) {
    return this.on('DELETE', pattern, a as RouteDoc, b as RouteHandler<Ctx, P>);
  }

  /** Every registered route, in matching order (groups included), with the alias patterns that reach it. */
  routes(): RegisteredRoute[] {
    return this.shared.entries.map(({ method, pattern, doc, segments }) => ({
      method,
      pattern,
      doc: { ...doc },
      aliases: this.shared.aliases
        .filter((alias) => covers(alias.to, segments))
        .map((alias) => `/${[...alias.from, ...segments.slice(alias.to.length)].join('/')}`),
    }));
  }

  /** Finds the route, authenticates and authorizes the caller, fills `request.params`, and runs the handler. */
  async handle(request: HttpRequest, ctx: Ctx): Promise<HttpResponse> {
    const segments = this.canonical(split(request.path));
    const allowed = new Set<string>();
    for (const route of this.shared.entries) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      if (route.method === request.method || (route.method === 'GET' && request.method === 'HEAD') || route.method === 'ANY') {
        request.params = params;
        const principal = await this.principal(route, request, ctx);
        return route.handler(request, ctx, principal);
      }
      allowed.add(route.method);
    }
    if (allowed.size > 0) throw methodNotAllowed([...allowed]);
    throw notFound(`No route for ${request.method} ${request.path}`);
  }

  /** The path's segments with each alias prefix replaced by what it stands for. */
  private canonical(segments: string[]): string[] {
    let path = segments;
    for (const alias of this.shared.aliases) {
      if (!matchPrefix(alias.from, path)) continue;
      // Parameters keep their raw (still encoded) segment; only literals change.
      const named = new Map(alias.from.map((part, i) => [part, path[i]!] as const));
      path = [...alias.to.map((part) => (part.startsWith(':') ? named.get(part) ?? '' : part)), ...path.slice(alias.from.length)];
    }
    return path;
  }

  private async principal(route: Route<Ctx, P>, request: HttpRequest, ctx: Ctx): Promise<P> {
    const { auth, scope } = route.doc;
    if (auth === 'none' || !auth) return ANONYMOUS as P;
    const principal = await this.shared.authenticators[auth]!(request, ctx);
    if (auth === 'client' || scope === 'global') return principal;
    return authorize(principal, request, route.doc.access ?? defaultAccess(request.method), route.doc.userAccess);
  }
}

function defaultAccess(method: string): Access {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? 'read' : 'write';
}

/**
 * Narrows a principal to the organization the request acts in and checks its
 * role there. Another organization is 403, as is a readonly caller writing or
 * reading a secret value, and a connector user on a route not open to it.
 */
export function authorize<P extends RoutePrincipal>(principal: P, request: Pick<HttpRequest, 'params'>, access: Access, userAccess?: RouteDoc['userAccess']): P {
  const memberships = Object.keys(principal.roles);
  const organization = request.params.org ?? (memberships.length === 1 ? memberships[0]! : undefined);
  if (organization === undefined) {
    throw forbidden('These credentials belong to several organizations; use the /v1/organizations/{org} path of the one meant');
  }
  const role = Object.hasOwn(principal.roles, organization) ? principal.roles[organization] : undefined;
  if (!role) throw forbidden(`Organization "${organization}" is not accessible with these credentials`);
  if (role === 'readonly' && access !== 'read') {
    throw forbidden(access === 'secret' ? 'The readonly role cannot read secret values' : 'The readonly role can only read', 'insufficient_role');
  }
  if (role === 'connectoruser' && !(userAccess === 'own' || (userAccess === 'read' && access === 'read'))) {
    throw forbidden('An account user may only read the element catalog and manage its own instances', 'insufficient_role');
  }
  return { ...principal, organization, role };
}

/** Whether a route's pattern lies under an alias target (parameters match by position). */
function covers(prefix: string[], segments: string[]): boolean {
  return prefix.length <= segments.length && prefix.every((part, i) => (part.startsWith(':') ? segments[i]!.startsWith(':') : part === segments[i]));
}

function matchPrefix(pattern: string[], actual: string[]): boolean {
  return pattern.length <= actual.length && pattern.every((part, i) => part.startsWith(':') || part === actual[i]);
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
