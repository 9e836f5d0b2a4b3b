// Hubs (Open Connectors' groups of elements by kind: crm, documents ...) and
// the docs of the connectors API. Built-in hubs are fixed; an organization
// may add its own, which its custom elements can name.
import * as z from 'zod';
import { validate, readJson } from '../http/body.js';
import { conflict, forbidden, notFound } from '../http/errors.js';
import { ok } from '../http/response.js';
import type { PlatformRouter } from '../auth/principal.js';
import type { Runtime } from '../runtime.js';
import { hubKeys, orgPartition, SORT_PREFIX } from '../store/keys.js';
import type { StoredItem } from '../store/table.js';
import { elementView, listElements, type ResolvedElement } from './catalog.js';
import { HUB } from './element-schema.js';
import { BASE, listHeaders } from './http.js';

const hubSchema = z.lazy(() => z.object({
  key: z.string().regex(HUB, 'must be lower-case letters, digits and -, starting with a letter'),
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).default(''),
  videoLink: z.string().max(2048).optional(),
  active: z.boolean().default(true),
}));
type Hub = z.output<typeof hubSchema>;

const BUILTIN_HUBS: Hub[] = [
  ['crm', 'CRM', 'Customer relationship management: accounts, contacts, leads, opportunities'],
  ['documents', 'Documents', 'Files and folders in cloud storage'],
  ['helpdesk', 'Helpdesk', 'Tickets, incidents and the people who raise them'],
  ['messaging', 'Messaging', 'Channels, conversations and messages'],
  ['marketing', 'Marketing', 'Campaigns, lists and contacts'],
  ['ecommerce', 'eCommerce', 'Products, orders and customers'],
  ['payment', 'Payment', 'Customers, charges, invoices and subscriptions'],
  ['finance', 'Finance', 'Accounting: ledgers, invoices, payments'],
  ['general', 'General', 'Everything else'],
].map(([key, name, description]) => ({ key: key!, name: name!, description: description!, active: true }));

interface HubItem extends StoredItem {
  type: 'connectorHub';
  hub: Hub;
}

async function hubsOf(rt: Runtime, org: string): Promise<{ hub: Hub; private: boolean }[]> {
  const own = await rt.table.queryAll<HubItem>(orgPartition(org), { prefix: SORT_PREFIX.hub });
  return [...BUILTIN_HUBS.map((hub) => ({ hub, private: false })), ...own.map((item) => ({ hub: item.hub, private: true }))];
}

function hubView(entry: { hub: Hub; private: boolean }, elements?: ResolvedElement[]): Record<string, unknown> {
  const mine = elements?.filter((element) => element.definition.hub === entry.hub.key);
  return {
    ...entry.hub,
    private: entry.private,
    ...(mine
      ? {
          elements: mine.map((element) => ({ id: element.definition.id, key: element.definition.key, name: element.definition.name })),
          // The resources the hub's elements offer, each path once.
          resources: [...new Map(mine.flatMap((element) => element.definition.resources).map((resource) => [`${resource.method} ${resource.path}`, { method: resource.method, path: resource.path }])).values()],
        }
      : {}),
  };
}

async function requireHub(rt: Runtime, org: string, key: string): Promise<{ hub: Hub; private: boolean }> {
  const found = (await hubsOf(rt, org)).find((entry) => entry.hub.key === key);
  if (!found) throw notFound(`Hub ${key} not found`);
  return found;
}

export function registerHubRoutes(router: PlatformRouter): void {
  router.get(`${BASE}/hubs`, { operationId: 'listHubs', summary: 'List the hubs', query: { hydrate: { description: '`true` adds each hub\'s elements and their resources.' } } }, async (request, rt, { organization: org }) => {
    const elements = request.query.get('hydrate') === 'true' ? await listElements(rt, org) : undefined;
    const hubs = (await hubsOf(rt, org)).map((entry) => hubView(entry, elements));
    return ok(hubs, listHeaders(hubs.length));
  });
  router.post(`${BASE}/hubs`, { operationId: 'createHub', summary: 'Add a hub of the organization', body: hubSchema }, async (request, rt, { organization: org }) => {
    const hub = validate(hubSchema, readJson(request));
    if (BUILTIN_HUBS.some((builtin) => builtin.key === hub.key)) throw conflict(`Hub ${hub.key} is built in`, 'hub_exists');
    await rt.table.create<HubItem>({ ...hubKeys(org, hub.key), type: 'connectorHub', hub }, `Hub ${hub.key} already exists`);
    return ok(hubView({ hub, private: true }));
  });
  router.get(`${BASE}/hubs/:hub`, { operationId: 'getHub', summary: 'Get a hub with its elements and resources' }, async (request, rt, { organization: org }) => {
    return ok(hubView(await requireHub(rt, org, request.params.hub!), await listElements(rt, org)));
  });
  router.delete(`${BASE}/hubs/:hub`, { operationId: 'deleteHub', summary: 'Delete a hub of the organization', description: 'Built-in hubs stay (403).' }, async (request, rt, { organization: org }) => {
    const found = await requireHub(rt, org, request.params.hub!);
    if (!found.private) throw forbidden(`Hub ${found.hub.key} is built in and cannot be deleted`, 'hub_read_only');
    await rt.table.delete(hubKeys(org, found.hub.key));
    return ok(hubView(found));
  });
  router.get(`${BASE}/hubs/:hub/elements`, { operationId: 'listHubElements', summary: 'List the elements of a hub' }, async (request, rt, { organization: org }) => {
    const { hub } = await requireHub(rt, org, request.params.hub!);
    const elements = (await listElements(rt, org)).filter((element) => element.definition.hub === hub.key).map(elementView);
    return ok(elements, listHeaders(elements.length));
  });
}
