// `GET /v1/organizations/{org}`: the caller's organization, Apigee Edge style.
import { authenticateForOrg } from '../auth/platform.js';
import { getOrganization } from '../auth/organizations.js';
import { notFound } from '../http/errors.js';
import { ok } from '../http/response.js';
import type { Router } from '../http/router.js';
import type { Runtime } from '../runtime.js';

export function registerOrganizationRoutes(router: Router<Runtime>): void {
  router.get('/v1/organizations/:org', async (request, rt) => {
    const { organization } = await authenticateForOrg(rt, request, request.params.org);
    const org = await getOrganization(rt, organization);
    if (!org) throw notFound(`Organization ${organization} not found`);
    return ok({
      name: org.name,
      type: 'paid',
      environments: org.environments,
      createdAt: Date.parse(org.createdAt),
      lastModifiedAt: Date.parse(org.updatedAt),
      properties: { property: [{ name: 'allowedRedirectOrigins', value: org.allowedRedirectOrigins.join(',') }] },
    });
  });
}
