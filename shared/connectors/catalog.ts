// The element catalog: built-in vendor definitions (JSON files shipped with the
// code, read and validated on first use) plus each organization's private custom elements,
// stored under the organization's partition.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { conflict, forbidden, notFound } from '../http/errors.js';
import { validate } from '../http/body.js';
import type { Runtime } from '../runtime.js';
import type { StoredItem } from '../store/table.js';
import { TtlCache } from '../cache/ttl-cache.js';
import { baseUrlOf, elementSchemaWith, type ElementDefinition } from './element-schema.js';
import { fromLegacyElement, isLegacyElement, legacyElementSchema } from './legacy-element.js';
import { counterKeys, elementKeys, orgPartition, SORT_PREFIX } from '../store/keys.js';

/**
 * Where the built-in element files are: beside the Lambda bundle as
 * `elements/` (infra/bundling.ts BUNDLE_ASSETS), else next to this module.
 * They are read on first use, not compiled into the bundle: a cold start of a
 * route that never touches the catalog does not parse a quarter megabyte of JSON.
 */
function elementsFolder(): string {
  if (typeof __dirname === 'string' && existsSync(join(__dirname, 'elements'))) return join(__dirname, 'elements');
  return fileURLToPath(new URL('./elements/', import.meta.url));
}

let files: Record<string, unknown> | undefined;

/** The JSON files as shipped, by file name; exported so a test can validate each one by name. */
export function builtinElementFiles(): Record<string, unknown> {
  if (files) return files;
  const folder = elementsFolder();
  const names = readdirSync(folder).filter((name) => name.endsWith('.json')).sort();
  files = Object.fromEntries(names.map((name) => [name, JSON.parse(readFileSync(join(folder, name), 'utf8')) as unknown]));
  return files;
}

/** Custom element ids start here, above every built-in id. */
export const CUSTOM_ELEMENT_ID_BASE = 1000;
const CACHE_TTL_MS = 5_000;

function loadBuiltins(): Map<string, ElementDefinition> {
  const byKey = new Map<string, ElementDefinition>();
  const ids = new Set<number>();
  for (const [file, json] of Object.entries(builtinElementFiles())) {
    const element = parseElement(json, 0, `Built-in element ${file}`);
    if (element.id === undefined || element.id >= CUSTOM_ELEMENT_ID_BASE) throw new Error(`Built-in element ${file} needs an id below ${CUSTOM_ELEMENT_ID_BASE}`);
    if (byKey.has(element.key) || ids.has(element.id)) throw new Error(`Built-in element ${file} repeats a key or id`);
    byKey.set(element.key, element);
    ids.add(element.id);
  }
  return byKey;
}

// Pure data shipped with the code, identical in every runtime: safe at module scope.
// Read and validated on first use rather than at import, so a cold start of a
// route that never touches the catalog does not pay for it.
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

/**
 * A posted definition as the model: Open Connectors' element JSON, or
 * Tollgate's first format, which is validated as before and converted.
 * Parts without an id are numbered after `sequence`.
 */
export function parseElement(body: unknown, sequence = 0, what?: string): ElementDefinition & { sequence: number } {
  const input = isLegacyElement(body) ? fromLegacyElement(validate(legacyElementSchema, body, what)) : body;
  return validate(elementSchemaWith(sequence), input, what);
}

export async function createCustomElement(rt: Runtime, org: string, body: unknown): Promise<ResolvedElement> {
  const parsed = parseElement(body);
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

/** A free key for a copy of `key`: `key-copy`, then `key-copy-2` ... */
async function freeKey(rt: Runtime, org: string, key: string): Promise<string> {
  const stem = `${key.slice(0, 55)}-copy`;
  for (let n = 1; n <= 50; n++) {
    const candidate = n === 1 ? stem : `${stem}-${n}`;
    if (!isBuiltinKey(candidate) && !(await rt.table.get<ElementItem>(elementKeys(org, candidate)))) return candidate;
  }
  throw conflict(`No free key left for another copy of "${key}"`, 'element_exists');
}

/** A private copy of any element the organization can see, to change freely (Open Connectors' clone). */
export async function cloneElement(rt: Runtime, org: string, keyOrId: string): Promise<ResolvedElement> {
  const source = await requireElement(rt, org, keyOrId);
  const { id: _id, sequence: _sequence, ...definition } = source.definition;
  const key = await freeKey(rt, org, definition.key);
  return createCustomElement(rt, org, { ...definition, key, name: `${definition.name} (copy)`, active: true });
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
  const parsed = parseElement(withKey(body, item.definition.key), item.definition.sequence ?? 0);
  if (parsed.key !== item.definition.key) throw keyChangeRefused(item.definition.key);
  const definition = { ...parsed, id: item.definition.id };
  await rt.table.replace<ElementItem>({ ...item, definition }, item.version);
  elementCache(rt).delete(`${org}\n${item.definition.key}`);
  return { definition, private: true };
}

/** A replacement without a key keeps the element's key (Open Connectors derives it only on create). */
function withKey(body: unknown, key: string): unknown {
  return body !== null && typeof body === 'object' && !Array.isArray(body) && !('key' in body) ? { ...body, key } : body;
}

/**
 * Changes part of a custom element (a resource, a hook, its configuration ...).
 * `change` edits a copy of the definition and returns what the caller answers
 * with; `nextId` numbers new parts. The result is validated as a whole, so a
 * part can never leave the element inconsistent.
 */
export async function changeCustomElement<T>(
  rt: Runtime,
  org: string,
  keyOrId: string,
  change: (definition: ElementDefinition & { id: number }, nextId: () => number) => T,
): Promise<{ element: ResolvedElement; result: T }> {
  const item = await requireCustom(rt, org, keyOrId);
  const draft = structuredClone(item.definition);
  let sequence = draft.sequence ?? 0;
  const result = change(draft, () => ++sequence);
  const parsed = parseElement(draft, sequence);
  const definition = { ...parsed, id: item.definition.id };
  await rt.table.replace<ElementItem>({ ...item, definition }, item.version);
  elementCache(rt).delete(`${org}\n${item.definition.key}`);
  return { element: { definition, private: true }, result };
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

/** The element's objects as Open Connectors lists them: declared objects, then the first segment of each resource path. */
export interface ElementObjectEntry {
  name: string;
  vendorName: string;
  type: 'vendor';
  path?: string;
  methods: string[];
}

export function elementObjects(definition: ElementDefinition): ElementObjectEntry[] {
  const byName = new Map<string, { vendorName: string; path?: string; methods: Set<string> }>();
  for (const object of definition.objects) byName.set(object.name, { vendorName: object.vendorName ?? object.name, methods: new Set() });
  for (const resource of definition.resources) {
    const segments = resource.path.replace(/^\/hubs\/[^/]+/, '').split('/').filter(Boolean);
    const name = segments[0];
    if (!name || name.startsWith('{')) continue;
    const entry = byName.get(name) ?? { vendorName: resource.object?.name ?? name, methods: new Set<string>() };
    entry.methods.add(resource.method);
    if (segments.length === 1) entry.path ??= resource.vendorPath;
    byName.set(name, entry);
  }
  return [...byName].map(([name, entry]) => ({ name, vendorName: entry.vendorName, type: 'vendor' as const, ...(entry.path ? { path: entry.path } : {}), methods: [...entry.methods] }));
}

/** The catalog entry as the API shows it: Open Connectors' element JSON (definitions carry no secrets). */
export function elementView(element: ResolvedElement): Record<string, unknown> {
  const { sequence: _sequence, ...definition } = element.definition;
  const auth = definition.authentication.type;
  return {
    ...definition,
    private: element.private,
    deleted: false,
    typeOauth: auth === 'oauth2' || auth === 'oauth1',
    trialAccount: false,
    cloneable: true,
    extendable: element.private,
    transformationsEnabled: false,
    bulkDownloadEnabled: false,
    bulkUploadEnabled: false,
    authenticationType: auth,
    ...(definition.protocolType === 'http' ? { baseUrl: baseUrlOf(definition) } : {}),
    configuration: definition.configuration.map(({ secret: _secret, ...entry }) => entry),
  };
}
