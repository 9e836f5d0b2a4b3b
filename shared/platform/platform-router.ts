// Every route the platform function serves. Each capability registers its own
// routes; this file only puts them together, with each group's documentation
// tag and authentication (the OpenAPI document is generated from them).
import * as z from 'zod';
import { lazySchema, Router } from '../http/router.js';
import { ok } from '../http/response.js';
import type { Runtime } from '../runtime.js';
import { registerKvmRoutes } from '../management/kvm-routes.js';
import { registerProviderRoutes } from '../management/provider-routes.js';
import { registerProxyRoutes } from '../management/proxy-routes.js';
import { registerSharedFlowRoutes } from '../management/sharedflow-routes.js';
import { registerOrganizationRoutes } from './organization-routes.js';
import { registerConsumerRoutes } from '../consumers/consumer-routes.js';
import { registerSigningKeyRoutes } from '../oauth/key-routes.js';
import { registerConnectorRoutes } from '../connectors/connector-routes.js';
import { callbackRouter } from '../connectors/callback-routes.js';
import { tokenRouter } from '../oauth/token-service.js';
import { registerOpenApiRoute } from './openapi-route.js';

const health = lazySchema(() => z.object({ status: z.literal('ok') }));

export function platformRouter(): Router<Runtime> {
  const router = new Router<Runtime>({ auth: 'platform', errors: 'platform' });
  router.get(
    '/healthz',
    { tag: 'Health', auth: 'none', operationId: 'getHealth', summary: 'Health check', responses: { 200: { description: 'Up.', schema: health } } },
    async () => ok({ status: 'ok' }, { 'cache-control': 'no-store' }),
  );
  registerOrganizationRoutes(router.group({ tag: 'Organizations' }));
  registerProxyRoutes(router.group({ tag: 'API proxies' }));
  registerSharedFlowRoutes(router.group({ tag: 'Shared flows' }));
  registerKvmRoutes(router.group({ tag: 'Key value maps' }));
  registerProviderRoutes(router.group({ tag: 'API providers' }));
  registerConsumerRoutes(router);
  registerSigningKeyRoutes(router.group({ tag: 'Signing keys' }));
  registerConnectorRoutes(router.group({ tag: 'Instances' }));
  // The whole platform API: this router's routes, the token function's and the callback function's.
  registerOpenApiRoute(router, () => [...router.routes(), ...tokenRouter().routes(), ...callbackRouter().routes()]);
  return router;
}
