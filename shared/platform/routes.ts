// Every route the platform function serves. Each capability registers its own
// routes; this file only puts them together.
import { Router } from '../http/router.js';
import { ok } from '../http/response.js';
import type { Runtime } from '../runtime.js';
import { registerKvmRoutes } from '../management/kvm-routes.js';
import { registerProviderRoutes } from '../management/provider-routes.js';
import { registerProxyRoutes } from '../management/proxy-routes.js';
import { registerOrganizationRoutes } from './organization-routes.js';
import { registerConsumerRoutes } from '../consumers/routes.js';
import { registerSigningKeyRoutes } from '../oauth/key-routes.js';
import { registerConnectorRoutes } from '../connectors/routes.js';

export function platformRouter(): Router<Runtime> {
  const router = new Router<Runtime>();
  router.get('/healthz', async () => ok({ status: 'ok' }, { 'cache-control': 'no-store' }));
  registerOrganizationRoutes(router);
  registerProxyRoutes(router);
  registerKvmRoutes(router);
  registerProviderRoutes(router);
  registerConsumerRoutes(router);
  registerSigningKeyRoutes(router);
  registerConnectorRoutes(router);
  return router;
}
