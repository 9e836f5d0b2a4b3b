// A small path router: `:name` captures one segment, a trailing `*name`
// captures the rest. Routes match in registration order. A path that matches
// but not with this method is a 405 with `Allow`.
import { methodNotAllowed, notFound } from './errors.js';
import type { HttpRequest } from './request.js';
import type { HttpResponse } from './response.js';

export type RouteHandler<Ctx> = (request: HttpRequest, ctx: Ctx) => Promise<HttpResponse>;

interface Route<Ctx> {
  method: string;
  segments: string[];
  handler: RouteHandler<Ctx>;
}

export class Router<Ctx> {
  private readonly routes: Route<Ctx>[] = [];

  on(method: string, pattern: string, handler: RouteHandler<Ctx>): this {
    this.routes.push({ method: method.toUpperCase(), segments: split(pattern), handler });
    return this;
  }

  get(pattern: string, handler: RouteHandler<Ctx>) {
    return this.on('GET', pattern, handler);
  }
  post(pattern: string, handler: RouteHandler<Ctx>) {
    return this.on('POST', pattern, handler);
  }
  put(pattern: string, handler: RouteHandler<Ctx>) {
    return this.on('PUT', pattern, handler);
  }
  patch(pattern: string, handler: RouteHandler<Ctx>) {
    return this.on('PATCH', pattern, handler);
  }
  delete(pattern: string, handler: RouteHandler<Ctx>) {
    return this.on('DELETE', pattern, handler);
  }

  /** Finds the handler, fills `request.params`, and runs it. */
  async handle(request: HttpRequest, ctx: Ctx): Promise<HttpResponse> {
    const segments = split(request.path);
    const allowed = new Set<string>();
    for (const route of this.routes) {
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
