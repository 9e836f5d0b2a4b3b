// Every route the platform function serves. Each capability registers its own
// routes; this file only puts them together, with each group's documentation
// tag and authentication scheme, which the router enforces (the OpenAPI
// document is generated from the same declarations).
import * as z from 'zod';
import { platformAuthenticators } from '../auth/authenticate.js';
import type { PlatformRouter, Principal } from '../auth/principal.js';
import { lazySchema, Router } from '../http/router.js';
import { ok } from '../http/response.js';
import type { Runtime } from '../runtime.js';
import { registerAnalyticsRoutes } from '../management/analytics-routes.js';
import { registerDeploymentRoutes } from '../management/deployment-routes.js';
import { registerKvmRoutes } from '../management/kvm-routes.js';
import { registerProviderRoutes } from '../management/provider-routes.js';
import { registerProxyRoutes } from '../management/proxy-routes.js';
import { registerSharedFlowRoutes } from '../management/sharedflow-routes.js';
import { registerVirtualHostRoutes } from '../management/virtualhost-routes.js';
import { registerOrganizationRoutes } from './organization-routes.js';
import { registerConsumerRoutes } from '../consumers/consumer-routes.js';
import { registerSigningKeyRoutes } from '../oauth/key-routes.js';
import { registerConnectorRoutes } from '../connectors/connector-routes.js';
import { registerFormulaRoutes } from '../formulas/routes.js';
import { registerUsageRoutes } from '../connectors/usage-routes.js';
import { callbackRouter } from '../connectors/callback-routes.js';
import { tokenRouter } from '../oauth/token-routes.js';
import { registerOpenApiRoute } from './openapi-route.js';
import { authenticateDeveloper } from '../portal/accounts.js';
import { registerPortalRoutes } from '../portal/routes.js';
import { registerLoginRoute } from './login-route.js';
import { registerUserRoutes } from './user-routes.js';

const health = lazySchema(() => z.object({ status: z.literal('ok') }));

export function platformRouter(): PlatformRouter {
  const router = new Router<Runtime, Principal>({ auth: 'management', errors: 'platform' }, { authenticators: { ...platformAuthenticators, developer: authenticateDeveloper } });
  // The short forms apigeetool builds: /v1/o/{org}/... and .../e/{env}/...
  router.alias('/v1/o/:org', '/v1/organizations/:org').alias('/v1/organizations/:org/e/:env', '/v1/organizations/:org/environments/:env');
  router.get(
    '/healthz',
    { tag: 'Health', auth: 'none', operationId: 'getHealth', summary: 'Health check', responses: { 200: { description: 'Up.', schema: health } } },
    async () => ok({ status: 'ok' }, { 'cache-control': 'no-store' }),
  );
  registerOrganizationRoutes(router.group({ tag: 'Organizations' }));
  registerProxyRoutes(router.group({ tag: 'API proxies' }));
  registerSharedFlowRoutes(router.group({ tag: 'Shared flows' }));
  registerDeploymentRoutes(router);
  registerVirtualHostRoutes(router);
  registerKvmRoutes(router.group({ tag: 'Key value maps' }));
  registerProviderRoutes(router.group({ tag: 'API providers' }));
  registerConsumerRoutes(router);
  registerPortalRoutes(router.group({ tag: 'Developer portal' }));
  registerSigningKeyRoutes(router.group({ tag: 'Signing keys' }));
  registerUserRoutes(router);
  registerLoginRoute(router);
  registerAnalyticsRoutes(router);
  // The whole platform API: this router's routes, the token function's and the callback function's.
  // Registered before the connectors routes, whose resource calls take every other path under /elements/api-v2.
  registerOpenApiRoute(router, () => [...router.routes(), ...tokenRouter().routes(), ...callbackRouter().routes()]);
  registerUsageRoutes(router);
  // Account users read the catalog; routes that act on what they own say so themselves.
  // Formulas before the connectors routes, whose resource calls take every other path; they are the organization's (no account users).
  registerFormulaRoutes(router.group({ tag: 'Formulas', auth: 'platform', errors: 'connectors' }));
  registerConnectorRoutes(router.group({ tag: 'Instances', auth: 'platform', errors: 'connectors', userAccess: 'read' }));
  return router;
}
