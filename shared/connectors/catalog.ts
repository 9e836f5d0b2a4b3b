// The element catalog: built-in vendor definitions (JSON files bundled with the
// code, validated on first use) plus each organization's private custom elements,
// stored under the organization's partition.
import { conflict, forbidden, notFound } from '../http/errors.js';
import { validate } from '../http/body.js';
import type { Runtime } from '../runtime.js';
import type { StoredItem } from '../store/table.js';
import { TtlCache } from '../cache/ttl-cache.js';
import { elementSchema, type ElementDefinition } from './element-schema.js';
import box from './elements/box.json' with { type: 'json' };
import dropbox from './elements/dropbox.json' with { type: 'json' };
import github from './elements/github.json' with { type: 'json' };
import googleDrive from './elements/google-drive.json' with { type: 'json' };
import hubspot from './elements/hubspot.json' with { type: 'json' };
import microsoftOutlook from './elements/microsoft-outlook.json' with { type: 'json' };
import salesforce from './elements/salesforce.json' with { type: 'json' };
import servicenow from './elements/servicenow.json' with { type: 'json' };
import shopify from './elements/shopify.json' with { type: 'json' };
import slack from './elements/slack.json' with { type: 'json' };
import stripe from './elements/stripe.json' with { type: 'json' };
import zendesk from './elements/zendesk.json' with { type: 'json' };
import { counterKeys, elementKeys, orgPartition, SORT_PREFIX } from '../store/keys.js';

/** The JSON files as shipped; exported so a test can validate each one by name. */
export const BUILTIN_ELEMENT_FILES: Record<string, unknown> = {
  'box.json': box,
  'dropbox.json': dropbox,
  'github.json': github,
  'google-drive.json': googleDrive,
  'hubspot.json': hubspot,
  'microsoft-outlook.json': microsoftOutlook,
  'salesforce.json': salesforce,
  'servicenow.json': servicenow,
  'shopify.json': shopify,
  'slack.json': slack,
  'stripe.json': stripe,
  'zendesk.json': zendesk,
};

/** Custom element ids start here, above every built-in id. */
export const CUSTOM_ELEMENT_ID_BASE = 1000;
const CACHE_TTL_MS = 5_000;

function loadBuiltins(): Map<string, ElementDefinition> {
  const byKey = new Map<string, ElementDefinition>();
  const ids = new Set<number>();
  for (const [file, json] of Object.entries(BUILTIN_ELEMENT_FILES)) {
    const element = validate(elementSchema, json, `Built-in element ${file}`);
    if (element.id === undefined || element.id >= CUSTOM_ELEMENT_ID_BASE) throw new Error(`Built-in element ${file} needs an id below ${CUSTOM_ELEMENT_ID_BASE}`);
    if (byKey.has(element.key) || ids.has(element.id)) throw new Error(`Built-in element ${file} repeats a key or id`);
    byKey.set(element.key, element);
    ids.add(element.id);
  }
  return byKey;
}

// Pure data from the bundle, identical in every runtime: safe at module scope.
// Validated on first use rather than at import, so a cold start of a route
// that never touches the catalog does not pay for it (about 20 ms).
let builtins: Map<string, ElementDefinition> | undefined;
const BUILTINS = {
  get map(): Map<string, ElementDefinition> {
    builtins ??= loadBuiltins();
    return builtins;
  },
};

export interface ResolvedElement {
  definition: ElementDefinition & { id: number };
  /** True for an organization's custom element. */
  private: boolean;
}

export interface ElementItem extends StoredItem {
  type: 'connectorElement';
  definition: ElementDefinition & { id: number };
}


function elementCache(rt: Runtime): TtlCache<string, ResolvedElement | undefined> {
  return rt.service('connectors.element-cache', () => new TtlCache<string, ResolvedElement | undefined>({ ttlMs: CACHE_TTL_MS, maxEntries: 5_000 }));
}

export function builtinElements(): ResolvedElement[] {
  return [...BUILTINS.map.values()].map((definition) => ({ definition: definition as ElementDefinition & { id: number }, private: false }));
}

export function isBuiltinKey(key: string): boolean {
  return BUILTINS.map.has(key);
}

async function customElements(rt: Runtime, org: string): Promise<ElementItem[]> {
  return rt.table.queryAll<ElementItem>(orgPartition(org), { prefix: SORT_PREFIX.element });
}

/** Every element the organization can use: the built-ins, then its own. */
export async function listElements(rt: Runtime, org: string): Promise<ResolvedElement[]> {
  const custom = await customElements(rt, org);
  return [...builtinElements(), ...custom.map((item) => ({ definition: item.definition, private: true }))];
}

/** Finds an element by key (or numeric id); custom elements are cached briefly per container. */
export async function findElement(rt: Runtime, org: string, keyOrId: string): Promise<ResolvedElement | undefined> {
  const builtin = BUILTINS.map.get(keyOrId);
  if (builtin) return { definition: builtin as ElementDefinition & { id: number }, private: false };
  if (/^\d{1,10}$/.test(keyOrId)) {
    const id = Number(keyOrId);
    if (id < CUSTOM_ELEMENT_ID_BASE) {
      const byId = [...BUILTINS.map.values()].find((element) => element.id === id);
      return byId ? { definition: byId as ElementDefinition & { id: number }, private: false } : undefined;
    }
    const found = (await customElements(rt, org)).find((item) => item.definition.id === id);
    return found ? { definition: found.definition, private: true } : undefined;
  }
  const cacheKey = `${org}\n${keyOrId}`;
  return elementCache(rt).get(cacheKey, async () => {
    const item = await rt.table.get<ElementItem>(elementKeys(org, keyOrId));
    return item ? { definition: item.definition, private: true } : undefined;
  });
}

export async function requireElement(rt: Runtime, org: string, keyOrId: string): Promise<ResolvedElement> {
  const element = await findElement(rt, org, keyOrId);
  if (!element) throw notFound(`Element "${keyOrId}" not found`, 'element_not_found');
  return element;
}

export async function createCustomElement(rt: Runtime, org: string, body: unknown): Promise<ResolvedElement> {
  const parsed = validate(elementSchema, body);
  if (isBuiltinKey(parsed.key)) throw conflict(`"${parsed.key}" is the key of a built-in element; choose another key`, 'element_exists');
  const existing = await rt.table.get<ElementItem>(elementKeys(org, parsed.key));
  if (existing) throw conflict(`Element "${parsed.key}" already exists`, 'element_exists');
  const id = CUSTOM_ELEMENT_ID_BASE + (await rt.table.increment(counterKeys(org, 'element'), 'value', 1));
  const definition = { ...parsed, id };
  await rt.table.create<ElementItem>(
    { ...elementKeys(org, parsed.key), type: 'connectorElement', definition },
    `Element "${parsed.key}" already exists`,
  );
  elementCache(rt).delete(`${org}\n${parsed.key}`);
  return { definition, private: true };
}

async function requireCustom(rt: Runtime, org: string, keyOrId: string): Promise<ElementItem> {
  const element = await findElement(rt, org, keyOrId);
  if (!element) throw notFound(`Element "${keyOrId}" not found`, 'element_not_found');
  if (!element.private) throw forbidden(`"${element.definition.key}" is a built-in element and cannot be changed`, 'element_read_only');
  const item = await rt.table.get<ElementItem>(elementKeys(org, element.definition.key), { consistent: true });
  if (!item) throw notFound(`Element "${keyOrId}" not found`, 'element_not_found');
  return item;
}

export async function replaceCustomElement(rt: Runtime, org: string, keyOrId: string, body: unknown): Promise<ResolvedElement> {
  const item = await requireCustom(rt, org, keyOrId);
  const parsed = validate(elementSchema, body);
  if (parsed.key !== item.definition.key) {
    throw keyChangeRefused(item.definition.key);
  }
  const definition = { ...parsed, id: item.definition.id };
  await rt.table.replace<ElementItem>({ ...item, definition }, item.version);
  elementCache(rt).delete(`${org}\n${item.definition.key}`);
  return { definition, private: true };
}

function keyChangeRefused(key: string) {
  return conflict(`The element key cannot change (it is "${key}"); create a new element instead`, 'element_key_immutable');
}

/** Deletes a custom element; `inUse` tells whether instances still use it. */
export async function deleteCustomElement(
  rt: Runtime,
  org: string,
  keyOrId: string,
  inUse: (key: string) => Promise<number>,
): Promise<void> {
  const item = await requireCustom(rt, org, keyOrId);
  const count = await inUse(item.definition.key);
  if (count > 0) throw conflict(`Element "${item.definition.key}" still has ${count} instance(s); delete them first`, 'element_in_use');
  await rt.table.delete(elementKeys(org, item.definition.key));
  elementCache(rt).delete(`${org}\n${item.definition.key}`);
}

/** The catalog entry as the API shows it (definitions carry no secrets). */
export function elementView(element: ResolvedElement): Record<string, unknown> {
  const { definition } = element;
  return {
    id: definition.id,
    key: definition.key,
    name: definition.name,
    ...(definition.description ? { description: definition.description } : {}),
    private: element.private,
    active: true,
    authenticationType: definition.authentication.type,
    baseUrl: definition.baseUrl,
    ...(definition.docsUrl ? { docsUrl: definition.docsUrl } : {}),
    authentication: definition.authentication,
    configuration: definition.configuration,
    resources: definition.resources,
    ...(definition.rateLimit ? { rateLimit: definition.rateLimit } : {}),
    ...(definition.pagination ? { pagination: definition.pagination } : {}),
    timeoutMs: definition.timeoutMs,
  };
}
