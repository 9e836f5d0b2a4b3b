// The objects an instance offers, of three kinds (seed 001's list): `vendor`
// (a resource of the element, called as it is), `ceCanonical` (the element's
// own mapping onto its hub's object) and `vdr` (a common resource of the
// organization, mapped by a transformation onto one of the element's
// objects). A call of a canonical or common object resolves to the element
// resource it reads and writes and the chain of mappings from the vendor's
// record out to the caller's.
import type { ElementDefinition, Transformation } from '../element-schema.js';
import { normalizeResourcePath } from '../element-schema.js';
import type { InstanceMappings } from './definitions.js';

export type ObjectType = 'vendor' | 'ceCanonical' | 'vdr';

export interface ObjectListEntry {
  name: string;
  vendorName: string;
  type: ObjectType;
}

export interface UnifiedObject {
  name: string;
  type: 'ceCanonical' | 'vdr';
  vendorName: string;
  /** The first path segment of the element resources it calls (`contacts` of `/contacts/{id}`). */
  resource: string;
  /** Mappings from the vendor's record outward: the canonical one, then the common resource's. */
  chain: Transformation[];
}

export const firstSegment = (path: string): string => normalizeResourcePath(path).split('/').filter(Boolean)[0] ?? '';

/** The resource segment of a vendor object: a resource path segment, or the `object.name` of a resource. */
function resourceSegment(definition: ElementDefinition, ...names: string[]): string | undefined {
  for (const name of names) {
    const found = definition.resources.find((resource) => firstSegment(resource.path) === name) ?? definition.resources.find((resource) => resource.object?.name === name);
    if (found) return firstSegment(found.path);
  }
  return undefined;
}

function canonical(definition: ElementDefinition, name: string): UnifiedObject | undefined {
  const transformation = definition.transformations[name];
  if (!transformation) return undefined;
  const resource = resourceSegment(definition, transformation.vendorName, name);
  return resource ? { name, type: 'ceCanonical', vendorName: transformation.vendorName, resource, chain: [transformation] } : undefined;
}

/** The unified object `name` of an instance, or undefined when it is a vendor path. */
export function resolveObject(definition: ElementDefinition, mappings: InstanceMappings, name: string): UnifiedObject | undefined {
  const common = mappings.transformations.find((entry) => entry.name === name);
  if (common) {
    const vendorName = common.transformation.vendorName;
    const inner = canonical(definition, vendorName);
    if (inner) return { name, type: 'vdr', vendorName, resource: inner.resource, chain: [...inner.chain, common.transformation] };
    const resource = resourceSegment(definition, vendorName);
    if (resource) return { name, type: 'vdr', vendorName, resource, chain: [common.transformation] };
  }
  return canonical(definition, name);
}

/** Every object of an instance (or, without mappings, of the element): canonical, vendor, then common resources. */
export function objectList(definition: ElementDefinition, vendorObjects: { name: string; vendorName: string }[], mappings?: InstanceMappings): ObjectListEntry[] {
  const canonicalNames = new Set(Object.keys(definition.transformations));
  const entries: ObjectListEntry[] = Object.entries(definition.transformations).map(([name, transformation]) => ({ name, vendorName: transformation.vendorName, type: 'ceCanonical' }));
  for (const object of vendorObjects) if (!canonicalNames.has(object.name)) entries.push({ ...object, type: 'vendor' });
  for (const entry of mappings?.transformations ?? []) {
    if (!resolveObject(definition, mappings!, entry.name)) continue;
    const index = entries.findIndex((existing) => existing.name === entry.name);
    const vdr: ObjectListEntry = { name: entry.name, vendorName: entry.transformation.vendorName, type: 'vdr' };
    if (index >= 0) entries[index] = vdr;
    else entries.push(vdr);
  }
  return entries;
}
