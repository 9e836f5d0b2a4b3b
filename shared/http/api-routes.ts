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

/**
 * Matches a raw request path (and, when given, its method) to its route, as
 * API Gateway does: a route serves the methods it declares, or all with ANY;
 * undefined if none serves it (API Gateway's 404).
 */
export function matchResource(routes: readonly ApiRoute[], path: string, method?: string): ResourceMatch | undefined {
  const segments = path.split('/').filter(Boolean);
  for (const route of routes) {
    if (method !== undefined && !route.methods.includes('ANY') && !route.methods.includes(method.toUpperCase())) continue;
    const pattern = route.resource.split('/').filter(Boolean);
    const params: Record<string, string> = {};
    let matched = true;
    for (let i = 0; i < pattern.length; i++) {
      const part = pattern[i]!;
      const greedy = /^\{(.+)\+\}$/.exec(part);
      if (greedy) {
        const rest = path.split('/').slice(i + 1).join('/');
        if (segments.length <= i) matched = false;
        else params[greedy[1]!] = rest;
        break;
      }
      if (segments[i] !== part) {
        matched = false;
        break;
      }
      if (i === pattern.length - 1 && segments.length !== pattern.length) matched = false;
    }
    if (pattern.length === 0 && segments.length > 0) matched = false;
    if (matched) return { route, pathParameters: Object.keys(params).length ? params : null };
  }
  return undefined;
}
