// The API Gateway resources and which function serves each. The CDK stack
// builds the REST API from this table and the local server routes by it, so
// both always agree. More specific resources come first, as API Gateway
// prefers them over greedy `{proxy+}` matches.

export type FunctionName = 'platform' | 'proxy' | 'token' | 'callback' | 'web';

export interface ApiRoute {
  resource: string;
  /** HTTP methods, or `ANY`. */
  methods: string[];
  function: FunctionName;
}

/** Top-level path prefixes owned by the platform; everything else is proxy traffic. */
export const RESERVED_PREFIXES = ['/v1', '/oauth', '/.well-known', '/elements', '/apiportal', '/healthz', '/console', '/portal', '/docs'] as const;

export const API_ROUTES: ApiRoute[] = [
  { resource: '/healthz', methods: ['GET'], function: 'platform' },
  { resource: '/v1/{proxy+}', methods: ['ANY'], function: 'platform' },
  { resource: '/apiportal/{proxy+}', methods: ['ANY'], function: 'platform' },
  { resource: '/elements/api-v2/oauth/callback', methods: ['GET', 'ANY'], function: 'callback' },
  { resource: '/elements/{proxy+}', methods: ['ANY'], function: 'platform' },
  { resource: '/oauth/token', methods: ['POST', 'ANY'], function: 'token' },
  { resource: '/oauth/{proxy+}', methods: ['ANY'], function: 'token' },
  { resource: '/.well-known/{proxy+}', methods: ['ANY'], function: 'token' },
  { resource: '/console', methods: ['GET'], function: 'web' },
  { resource: '/console/{proxy+}', methods: ['GET'], function: 'web' },
  { resource: '/portal', methods: ['GET'], function: 'web' },
  { resource: '/portal/{proxy+}', methods: ['GET'], function: 'web' },
  { resource: '/docs', methods: ['GET'], function: 'web' },
  { resource: '/{proxy+}', methods: ['ANY'], function: 'proxy' },
  { resource: '/', methods: ['ANY'], function: 'proxy' },
];

export function isReservedPath(path: string): boolean {
  return RESERVED_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

export interface ResourceMatch {
  route: ApiRoute;
  pathParameters: Record<string, string> | null;
}

/** Matches a raw request path to its resource, as API Gateway does. */
export function matchResource(path: string): ResourceMatch | undefined {
  const segments = path.split('/').filter(Boolean);
  for (const route of API_ROUTES) {
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
