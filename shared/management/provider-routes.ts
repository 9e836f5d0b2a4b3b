// API providers (SAP API Management) on `/v1/organizations/{org}/apiproviders`.
import { authenticateForOrg } from '../auth/platform.js';
import { jsonBody } from '../http/body.js';
import { badRequest } from '../http/errors.js';
import { created, ok } from '../http/response.js';
import type { Router } from '../http/router.js';
import type { Runtime } from '../runtime.js';
import { createProvider, deleteProvider, getProvider, listProviders, presentProvider, ProviderInputSchema, updateProvider } from '../gateway/providers.js';

const BASE = '/v1/organizations/:org/apiproviders';

export function registerProviderRoutes(router: Router<Runtime>): void {
  router.get(BASE, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const providers = await listProviders(rt, organization);
    return ok(request.query.get('expand') === 'true' ? providers.map(presentProvider) : providers.map((p) => p.name));
  });

  router.post(BASE, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const input = jsonBody(request, ProviderInputSchema);
    return created(presentProvider(await createProvider(rt, organization, input)));
  });

  router.get(`${BASE}/:name`, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    return ok(presentProvider(await getProvider(rt, organization, request.params.name!)));
  });

  router.put(`${BASE}/:name`, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const input = jsonBody(request, ProviderInputSchema);
    if (input.name !== request.params.name) throw badRequest('Provider name in the body differs from the path');
    return ok(presentProvider(await updateProvider(rt, organization, input)));
  });

  router.delete(`${BASE}/:name`, async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    await deleteProvider(rt, organization, request.params.name!);
    return ok({ name: request.params.name });
  });
}
