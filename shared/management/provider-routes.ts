// API providers (SAP API Management) on `/v1/organizations/{org}/apiproviders`.
import * as z from 'zod';
import type { PlatformRouter } from '../auth/principal.js';
import { jsonBody } from '../http/body.js';
import { badRequest } from '../http/errors.js';
import { created, ok } from '../http/response.js';
import { lazySchema } from '../http/router.js';
import { discoverIntegrationFlows, testConnection } from '../gateway/stores/provider-checks.js';
import { createProvider, deleteProvider, getProvider, listProviders, presentProvider, ProviderInputSchema, updateProvider } from '../gateway/stores/providers.js';

const BASE = '/v1/organizations/:org/apiproviders';

const connectionResult = lazySchema(() => z.object({ ok: z.boolean(), status: z.number().int().optional(), message: z.string() }));
const integrationFlows = lazySchema(() =>
  z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      version: z.string().optional(),
      status: z.string().optional(),
      deployedBy: z.string().optional(),
      deployedOn: z.string().optional(),
      endpoints: z.array(z.object({ name: z.string(), url: z.string(), type: z.string().optional() })),
    }),
  ),
);

export function registerProviderRoutes(router: PlatformRouter): void {
  router.get(BASE, { operationId: 'listApiProviders', summary: 'List API providers', query: { expand: { description: '`true` for details (secrets masked) instead of names.', enum: ['true', 'false'] } } }, async (request, rt, { organization }) => {
    const providers = await listProviders(rt, organization);
    return ok(request.query.get('expand') === 'true' ? providers.map(presentProvider) : providers.map((p) => p.name));
  });

  router.post(BASE, { operationId: 'createApiProvider', summary: 'Create an API provider', description: 'Secrets (OpenConnectors organization and user secret, OAuth client secret, Basic password) go to the secret store and read back as `*****`.', body: ProviderInputSchema, responses: { 201: 'The provider, secrets masked.' } }, async (request, rt, { organization }) => {
    const input = jsonBody(request, ProviderInputSchema);
    return created(presentProvider(await createProvider(rt, organization, input)));
  });

  router.get(`${BASE}/:name`, { operationId: 'getApiProvider', summary: 'Get an API provider (secrets masked)' }, async (request, rt, { organization }) => {
    return ok(presentProvider(await getProvider(rt, organization, request.params.name!)));
  });

  router.put(`${BASE}/:name`, { operationId: 'replaceApiProvider', summary: 'Replace an API provider', body: ProviderInputSchema }, async (request, rt, { organization }) => {
    const input = jsonBody(request, ProviderInputSchema);
    if (input.name !== request.params.name) throw badRequest('Provider name in the body differs from the path');
    return ok(presentProvider(await updateProvider(rt, organization, input)));
  });

  router.delete(`${BASE}/:name`, { operationId: 'deleteApiProvider', summary: 'Delete an API provider and its secrets' }, async (request, rt, { organization }) => {
    await deleteProvider(rt, organization, request.params.name!);
    return ok({ name: request.params.name });
  });

  router.post(
    `${BASE}/:name/connection`,
    {
      operationId: 'testApiProviderConnection',
      summary: 'Test Connection: call the provider with its stored credentials',
      description:
        'Internet: a GET of its URL; CloudIntegration: a client credentials token, then `GET /api/v1/IntegrationRuntimeArtifacts?$top=1`; OpenConnectors: `GET {url}/instances`. ' +
        'Always 200 for an existing provider: `ok` says whether the provider answered and accepted the credentials. It reveals nothing, so `readonly` users may test too.',
      access: 'read',
      bodyOptional: true,
      responses: { 200: { description: 'The result, for people in `message`.', schema: connectionResult } },
    },
    async (request, rt, { organization }) => ok(await testConnection(rt, organization, request.params.name!), { 'cache-control': 'no-store' }),
  );

  router.get(
    `${BASE}/:name/integrationflows`,
    {
      operationId: 'discoverIntegrationFlows',
      summary: 'Discover: the integration flows a CloudIntegration provider\'s tenant runs',
      description:
        'Read from the tenant\'s OData API (`/api/v1/IntegrationRuntimeArtifacts` and `/api/v1/ServiceEndpoints?$expand=EntryPoints`) with the provider\'s client credentials. 409 for other provider types; 502 when the tenant fails.',
      responses: { 200: { description: 'Deployed integration flows with their endpoint URLs.', schema: integrationFlows } },
    },
    async (request, rt, { organization }) => ok(await discoverIntegrationFlows(rt, organization, request.params.name!), { 'cache-control': 'no-store' }),
  );
}
