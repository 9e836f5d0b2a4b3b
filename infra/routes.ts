// Route-level settings checked against the route tables (shared/http/api-routes.ts):
// stage throttles of both planes and the runtime's optional usage plan. Pure
// functions, so the rules are unit-tested without a synth.
import { PLATFORM_ROUTES, RUNTIME_ROUTES, type ApiRoute, type Plane } from '../shared/http/api-routes.js';
import { SettingsError, type Throttle } from './config.js';

export interface MethodThrottle extends Throttle {
  /** CDK methodOptions key: `/*\/*` for the stage default, else `{resource}/{METHOD}` (`//*` for the root). */
  path: string;
  resource: string;
  method: string;
}

function splitKey(key: string): { resource: string; method: string } {
  const slash = key.lastIndexOf('/');
  return { resource: key.slice(0, slash) || '/', method: key.slice(slash + 1).toUpperCase() };
}

/**
 * Turns throttle settings into stage method settings. A key must name a route
 * of this build and one of its declared methods, or `*` for all of them (a
 * route served by ANY takes `*`: API Gateway addresses its methods as one).
 * Default keys for routes this build does not have are skipped; keys the
 * operator set are checked strictly, so a typo fails the synth.
 */
export function methodThrottles(
  throttles: Record<string, Throttle>,
  routes: readonly ApiRoute[],
  strictKeys: readonly string[],
): MethodThrottle[] {
  const strict = new Set(strictKeys);
  const result: MethodThrottle[] = [];
  for (const [key, throttle] of Object.entries(throttles)) {
    if (key === 'default') {
      result.push({ path: '/*/*', resource: '/*', method: '*', ...throttle });
      continue;
    }
    const { resource, method } = splitKey(key);
    const route = routes.find((candidate) => candidate.resource === resource);
    let problem: string | undefined;
    if (!route) problem = `no route ${resource}; routes: ${routes.map((r) => r.resource).join(', ')}`;
    else if (method !== '*' && (method === 'ANY' || !route.methods.includes(method))) {
      problem = `${resource} declares ${route.methods.join(', ')}; use one of ${[...route.methods.filter((m) => m !== 'ANY'), '*'].join(', ')}`;
    }
    if (problem) {
      if (strict.has(key)) throw new SettingsError(`tollgate:throttles.${key}: ${problem}`);
      continue;
    }
    result.push({ path: `${resource}/${method}`, resource, method, ...throttle });
  }
  return result;
}

/** The routes whose methods require an API key under the usage plan; unknown resources are an error. */
export function usagePlanRoutes(resources: readonly string[], routes: readonly ApiRoute[]): ApiRoute[] {
  return resources.map((resource) => {
    const route = routes.find((candidate) => candidate.resource === resource);
    if (!route) throw new SettingsError(`tollgate:usagePlan.resources: no route ${resource}; routes: ${routes.map((r) => r.resource).join(', ')}`);
    return route;
  });
}

/**
 * The throttles of each plane. A key the operator set must name a route of
 * one of them (checked over both); `default` is each API's stage default.
 */
export function planeThrottles(throttles: Record<string, Throttle>, strictKeys: readonly string[]): Record<Plane, MethodThrottle[]> {
  methodThrottles(throttles, [...PLATFORM_ROUTES, ...RUNTIME_ROUTES], strictKeys);
  return { platform: methodThrottles(throttles, PLATFORM_ROUTES, []), runtime: methodThrottles(throttles, RUNTIME_ROUTES, []) };
}

/** HTTP API route settings: each throttle under the route keys (`METHOD /path`) it covers. */
export function routeThrottles(throttles: readonly MethodThrottle[], routes: readonly ApiRoute[]): [string, Throttle][] {
  const result: [string, Throttle][] = [];
  for (const t of throttles) {
    const route = routes.find((candidate) => candidate.resource === t.resource);
    if (!route) continue;
    const methods = t.method === '*' ? route.methods : [t.method];
    for (const method of methods) result.push([`${method} ${t.resource}`, { rateLimit: t.rateLimit, burstLimit: t.burstLimit }]);
  }
  return result;
}
