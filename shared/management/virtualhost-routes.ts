// Virtual hosts on Apigee Edge paths:
//   /v1/organizations/{org}/environments/{env}/virtualhosts[/{name}]
// `default` and `secure` exist in every environment: the environment's runtime
// base URL. An organization adds its own with host aliases (shared/gateway/virtual-hosts.ts).
import type { PlatformRouter } from '../auth/principal.js';
import { jsonBody } from '../http/body.js';
import { notFound, unprocessable } from '../http/errors.js';
import { created, ok } from '../http/response.js';
import type { Runtime } from '../runtime.js';
import { assertEnvironment, listDeployments } from '../gateway/stores/deployments.js';
import {
  createVirtualHost,
  deleteVirtualHost,
  getVirtualHost,
  hostKey,
  isSharedVirtualHost,
  listVirtualHosts,
  replaceVirtualHost,
  SHARED_VIRTUAL_HOSTS,
  virtualHostInput,
  type VirtualHostItem,
} from '../gateway/stores/virtual-hosts.js';

const BASE = '/v1/organizations/:org/environments/:env/virtualhosts';

/** A built-in virtual host as Apigee shows one: the host name of the environment's runtime URL as its alias and its port, when known. */
function sharedView(rt: Runtime, env: string, name: string) {
  const url = rt.config.runtimeUrls[env];
  const parsed = url ? new URL(url) : undefined;
  return {
    name,
    hostAliases: parsed ? [parsed.hostname] : [],
    port: parsed ? parsed.port || (parsed.protocol === 'https:' ? '443' : '80') : '443',
    ...(url ? { baseUrl: url } : {}),
  };
}

const view = (item: VirtualHostItem) => ({ name: item.name, hostAliases: item.hostAliases, port: item.port });

export function registerVirtualHostRoutes(router: PlatformRouter): void {
  router.get(BASE, { tag: 'Environments', operationId: 'listVirtualHosts', summary: 'List the virtual hosts of an environment' }, async (request, rt, { organization }) => {
    await assertEnvironment(rt, organization, request.params.env!);
    const own = await listVirtualHosts(rt, organization, request.params.env!);
    return ok([...SHARED_VIRTUAL_HOSTS, ...own.map((item) => item.name)]);
  });
  router.post(
    BASE,
    {
      tag: 'Environments',
      operationId: 'createVirtualHost',
      summary: 'Create a virtual host',
      description: 'Apigee\'s payload (`name`, `hostAliases`, `port`). A host alias belongs to one virtual host of one organization per environment (409 otherwise).',
      body: virtualHostInput,
      responses: { 201: 'The virtual host.' },
    },
    async (request, rt, { organization }) => {
      await assertEnvironment(rt, organization, request.params.env!);
      return created(view(await createVirtualHost(rt, organization, request.params.env!, jsonBody(request, virtualHostInput))));
    },
  );
  router.get(`${BASE}/:name`, { tag: 'Environments', operationId: 'getVirtualHost', summary: 'Get a virtual host' }, async (request, rt, { organization }) => {
    const env = request.params.env!;
    await assertEnvironment(rt, organization, env);
    if (isSharedVirtualHost(request.params.name!)) return ok(sharedView(rt, env, request.params.name!));
    const item = await getVirtualHost(rt, organization, env, request.params.name!);
    if (!item) throw notFound(`Virtual host ${request.params.name} not found in environment ${env}`, 'virtualhost_not_found');
    return ok(view(item));
  });
  router.put(
    `${BASE}/:name`,
    { tag: 'Environments', operationId: 'replaceVirtualHost', summary: 'Replace a virtual host\'s host aliases and port', body: virtualHostInput },
    async (request, rt, { organization }) => {
      const env = request.params.env!;
      await assertEnvironment(rt, organization, env);
      const input = jsonBody(request, virtualHostInput);
      if (input.name !== request.params.name) throw unprocessable('The name in the body does not match the path', [{ path: 'name', message: `must be ${request.params.name}` }]);
      return ok(view(await replaceVirtualHost(rt, organization, env, input)));
    },
  );
  router.delete(
    `${BASE}/:name`,
    { tag: 'Environments', operationId: 'deleteVirtualHost', summary: 'Delete a virtual host', description: 'Refused (409) while a deployment answers on it.' },
    async (request, rt, { organization }) => {
      const env = request.params.env!;
      await assertEnvironment(rt, organization, env);
      const key = hostKey(organization, request.params.name!);
      const inUse = (await listDeployments(rt, organization, env)).some((deployment) => deployment.claims?.some((claim) => claim.host === key));
      return ok(view(await deleteVirtualHost(rt, organization, env, request.params.name!, inUse)));
    },
  );
}
