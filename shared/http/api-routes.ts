// The two planes' API Gateway routes and which function serves each. The CDK
// stack builds both APIs from these tables and the local servers route by
// them, so both always agree.
//
// - The platform API: management, token service, connectors, hosted OAuth
//   callback, health check, and the console, portal and reference pages. More specific routes come first, as API Gateway
//   prefers them over greedy `{proxy+}` matches.
// - The runtime API: every path, to the proxy function. No path is reserved:
//   a deployed proxy may use `/v1/...`, `/oauth` or `/`.

export type FunctionName = 'platform' | 'proxy' | 'token' | 'callback' | 'web';
export type Plane = 'platform' | 'runtime';

export interface ApiRoute {
  resource: string;
  /** HTTP methods, or `ANY`. */
  methods: string[];
  function: FunctionName;
}

export const PLATFORM_ROUTES: readonly ApiRoute[] = [
  { resource: '/healthz', methods: ['GET', 'HEAD'], function: 'platform' },
  { resource: '/v1/{proxy+}', methods: ['ANY'], function: 'platform' },
  { resource: '/apiportal/{proxy+}', methods: ['ANY'], function: 'platform' },
  { resource: '/elements/api-v2/oauth/callback', methods: ['GET', 'ANY'], function: 'callback' },
  { resource: '/elements/{proxy+}', methods: ['ANY'], function: 'platform' },
  { resource: '/oauth/token', methods: ['POST', 'ANY'], function: 'token' },
  // Management login for Apigee's tools (their SSO token endpoint's shape): the platform function has the users.
  { resource: '/login/oauth/token', methods: ['POST', 'ANY'], function: 'platform' },
  { resource: '/oauth/{proxy+}', methods: ['ANY'], function: 'token' },
  { resource: '/.well-known/{proxy+}', methods: ['ANY'], function: 'token' },
  { resource: '/console', methods: ['GET', 'HEAD'], function: 'web' },
  { resource: '/console/{proxy+}', methods: ['GET', 'HEAD'], function: 'web' },
  { resource: '/portal', methods: ['GET', 'HEAD'], function: 'web' },
  { resource: '/portal/{proxy+}', methods: ['GET', 'HEAD'], function: 'web' },
  { resource: '/docs', methods: ['GET', 'HEAD'], function: 'web' },
  { resource: '/', methods: ['GET', 'HEAD'], function: 'web' },
];

export const RUNTIME_ROUTES: readonly ApiRoute[] = [
  { resource: '/{proxy+}', methods: ['ANY'], function: 'proxy' },
  { resource: '/', methods: ['ANY'], function: 'proxy' },
];

/** The environments the runtime serves, each its own stage (locally: its own port, in this order). */
export const RUNTIME_ENVIRONMENTS = ['prod', 'test'] as const;

export const PLANE_ROUTES: Record<Plane, readonly ApiRoute[]> = { platform: PLATFORM_ROUTES, runtime: RUNTIME_ROUTES };

/** The functions of a plane, in route order. */
export function planeFunctions(plane: Plane): FunctionName[] {
  return [...new Set(PLANE_ROUTES[plane].map((route) => route.function))];
}

export interface ResourceMatch {
  route: ApiRoute;
  pathParameters: Record<string, string> | null;
}

/** A route's resource split once: its literal segments and the name of a trailing greedy `{name+}`, if any. */
interface ResourcePattern {
  literals: string[];
  greedy?: string;
  anyMethod: boolean;
}

const patterns = new WeakMap<ApiRoute, ResourcePattern>();

function patternOf(route: ApiRoute): ResourcePattern {
  let pattern = patterns.get(route);
  if (!pattern) {
    const parts = route.resource.split('/').filter(Boolean);
    const greedy = /^\{(.+)\+\}$/.exec(parts.at(-1) ?? '')?.[1];
    pattern = { literals: greedy ? parts.slice(0, -1) : parts, greedy, anyMethod: route.methods.includes('ANY') };
    patterns.set(route, pattern);
  }
  return pattern;
}

/**
 * Matches a raw request path (and, when given, its method) to its route, as
 * API Gateway does: a route serves the methods it declares, or all with ANY;
 * undefined if none serves it (API Gateway's 404). A greedy `{proxy+}` takes
 * one segment or more, as they came.
 */
export function matchResource(routes: readonly ApiRoute[], path: string, method?: string): ResourceMatch | undefined {
  const segments = path.split('/').filter(Boolean);
  const verb = method?.toUpperCase();
  for (const route of routes) {
    const { literals, greedy, anyMethod } = patternOf(route);
    if (verb !== undefined && !anyMethod && !route.methods.includes(verb)) continue;
    if (greedy ? segments.length <= literals.length : segments.length !== literals.length) continue;
    if (!literals.every((literal, i) => segments[i] === literal)) continue;
    const pathParameters = greedy ? { [greedy]: path.split('/').slice(literals.length + 1).join('/') } : null;
    return { route, pathParameters };
  }
  return undefined;
}
