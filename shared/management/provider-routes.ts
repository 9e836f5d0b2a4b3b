// API providers (SAP API Management) on `/v1/organizations/{org}/apiproviders`.
import type { PlatformRouter } from '../auth/principal.js';
import { jsonBody } from '../http/body.js';
import { badRequest } from '../http/errors.js';
import { created, ok } from '../http/response.js';
import { createProvider, deleteProvider, getProvider, listProviders, presentProvider, ProviderInputSchema, updateProvider } from '../gateway/stores/providers.js';

const BASE = '/v1/organizations/:org/apiproviders';

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
}
