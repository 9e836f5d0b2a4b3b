// The connectors API on Open Connectors paths (`/elements/api-v2/...`): the
// element catalog and its parts, instances, hubs and docs, and, for every other
// path, resource calls through the instance named by the `Element` token. An
// unknown path under a platform resource is a 404, never a vendor call.
import type { HttpRequest } from '../http/request.js';
import type { PlatformRouter } from '../auth/principal.js';
import type { RouteDoc } from '../http/router.js';
import { registerAccountRoutes } from './account-routes.js';
import { registerElementRoutes } from './element-routes.js';
import { registerHubRoutes } from './hub-routes.js';
import { BASE, PREFLIGHT_HEADERS, refuseUnknownPlatformPath } from './http.js';
import { registerInstanceRoutes } from './instance-routes.js';
import { registerEventRoutes } from './events/event-routes.js';
import { proxyResourceCall } from './resource-proxy.js';
import { registerUnifiedRoutes } from './unified/unified-routes.js';

const RESOURCE_CALL_DOC: RouteDoc = {
  tag: 'Resource calls',
  // The handler asks for the Element part itself, so that an unknown platform path is a 404 without one.
  auth: 'platform',
  // Account users call through their own instances; the handler refuses anyone else's.
  userAccess: 'own',
  operationId: 'callResource',
  summary: 'Call the vendor API through an instance',
  description:
    'Any other path under `/elements/api-v2` is a call of the vendor API through the instance of `Element <token>`: a path that matches one of the element\'s resources goes to its ' +
    '`vendorPath` with its `vendorMethod`, any other to the same path under the base URL (`base.url`), with the instance\'s vendor credential ' +
    '(OAuth tokens refreshed before they expire). A `/hubs/{hub}` prefix is ignored. Query and body pass through; the vendor\'s answer comes back ' +
    'with `Elements-Element-Instance-Id`. Unknown paths under platform resources (`elements`, `instances`, `docs`, ...; `accounts`, `users`, ' +
    '`organizations` without an Element token) are 404.',
  params: { path: 'The vendor resource path, e.g. `contacts/123`: one or more segments, `/` included.' },
  bodies: { 'application/json': 'binary', 'application/octet-stream': 'binary' },
  bodyOptional: true,
  responses: { 200: { description: 'The vendor\'s response, passed through (any status).', type: 'application/json' } },
};

export function registerConnectorRoutes(router: PlatformRouter): void {
  registerElementRoutes(router);
  // Before the instance routes: /instances/events is not an instance id.
  registerEventRoutes(router);
  registerUnifiedRoutes(router);
  registerInstanceRoutes(router);
  registerHubRoutes(router.group({ tag: 'Hubs' }));
  registerAccountRoutes(router);

  // Browsers ask before cross-origin calls with an Authorization header.
  router.on('OPTIONS', `${BASE}/*path`, { tag: 'CORS', auth: 'none', operationId: 'preflight', summary: 'CORS preflight of the connectors API', responses: { 204: 'Allowed.' } }, async () => ({
    status: 204,
    headers: PREFLIGHT_HEADERS,
  }));
  // Everything else under /elements/api-v2 is a vendor resource call.
  router.on('ANY', `${BASE}/*path`, RESOURCE_CALL_DOC, async (request: HttpRequest, rt, principal) => {
    refuseUnknownPlatformPath(request, request.params.path ?? '', principal.element !== undefined);
    return proxyResourceCall(rt, request, principal);
  });
}
