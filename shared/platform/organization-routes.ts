// `GET /v1/organizations/{org}`: the caller's organization, Apigee Edge style.
// `POST /v1/organizations/{org}` updates its settings (Apigee's properties list).
import * as z from 'zod';
import type { PlatformRouter } from '../auth/principal.js';
import { getOrganization, orgKeys, type Organization } from '../auth/organizations.js';
import { formatOriginPattern, parseOriginPattern } from '../connectors/redirect-origins.js';
import { jsonBody } from '../http/body.js';
import { notFound, unprocessable } from '../http/errors.js';
import { ok } from '../http/response.js';

/**
 * What Tollgate is, as Apigee's organization properties say it; clients read
 * them to pick an API (apigee-edge-js updates KVMs entry by entry when
 * `features.isCpsEnabled` is true). Read-only: an update may repeat them, not change them.
 */
const FEATURE_PROPERTIES: Readonly<Record<string, string>> = {
  'features.isCpsEnabled': 'true',
};

function organizationView(org: Organization) {
  return {
    name: org.name,
    type: 'paid',
    environments: org.environments,
    createdAt: Date.parse(org.createdAt),
    lastModifiedAt: Date.parse(org.updatedAt),
    properties: {
      property: [
        { name: 'allowedRedirectOrigins', value: org.allowedRedirectOrigins.join(',') },
        ...Object.entries(FEATURE_PROPERTIES).map(([name, value]) => ({ name, value })),
      ],
    },
  };
}

const organizationUpdate = z.lazy(() => z.object({
  properties: z.object({
    property: z.array(z.object({ name: z.string().min(1).max(200), value: z.string().max(8192) })).max(50),
  }),
}));

/** Known organization properties and how each value is checked. */
function allowedRedirectOrigins(value: string, index: number): string[] {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const problems = entries.filter((entry) => !parseOriginPattern(entry));
  if (problems.length || entries.length > 50) {
    throw unprocessable(`allowedRedirectOrigins must be up to 50 comma-separated origins (scheme://host[:port|:*]); invalid: ${problems.join(', ')}`, [
      { path: `properties.property.${index}.value`, message: 'must be comma-separated origins like https://app.example.com or http://localhost:*' },
    ]);
  }
  return [...new Set(entries.map((entry) => formatOriginPattern(parseOriginPattern(entry)!)))];
}

export function registerOrganizationRoutes(router: PlatformRouter): void {
  router.get('/v1/organizations/:org', { operationId: 'getOrganization', summary: 'Get the caller\'s organization' }, async (request, rt, { organization }) => {
    const org = await getOrganization(rt, organization);
    if (!org) throw notFound(`Organization ${organization} not found`);
    return ok(organizationView(org));
  });

  const updateDoc = {
    operationId: 'updateOrganization',
    summary: 'Update organization properties',
    description:
      'Known property: `allowedRedirectOrigins`, the comma-separated origins hosted connector OAuth may return browsers to. ' +
      'The read-only `features.*` properties may be sent back unchanged, as Apigee clients do.',
    body: organizationUpdate,
  };
  router.post('/v1/organizations/:org', updateDoc, async (request, rt, { organization }) => {
    const update = jsonBody(request, organizationUpdate);
    let origins: string[] | undefined;
    update.properties.property.forEach((property, index) => {
      if (property.name === 'allowedRedirectOrigins') origins = allowedRedirectOrigins(property.value, index);
      else if (Object.hasOwn(FEATURE_PROPERTIES, property.name)) {
        // Clients post every property back when they change one.
        if (property.value !== FEATURE_PROPERTIES[property.name]) {
          throw unprocessable(`${property.name} is read-only`, [{ path: `properties.property.${index}.value`, message: `must be ${FEATURE_PROPERTIES[property.name]}` }]);
        }
      } else {
        throw unprocessable(`Unknown organization property ${property.name}`, [
          { path: `properties.property.${index}.name`, message: 'unknown property; known: allowedRedirectOrigins' },
        ]);
      }
    });
    const updated = await rt.table.modify<Organization>(orgKeys(organization), (current) => ({
      ...current,
      ...(origins !== undefined ? { allowedRedirectOrigins: origins } : {}),
    }));
    return ok(organizationView(updated));
  });
}
