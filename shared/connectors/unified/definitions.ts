// Common resources (object definitions: a name and typed fields) and their
// transformations onto an element's objects, at organization level (per
// element) and instance level (over the organization's: replacing it, or
// adding to it with `inherit`). A transformation's `vendorName` is the
// element's object it reads and writes (a canonical object or a vendor
// resource). Read on every unified call, so cached per container for a few
// seconds and dropped in this container on every change.
import * as z from 'zod';
import { TtlCache } from '../../cache/ttl-cache.js';
import { conflict, notFound } from '../../http/errors.js';
import type { Runtime } from '../../runtime.js';
import type { StoredItem } from '../../store/table.js';
import {
  objectDefinitionKeys,
  objectDefinitionsPrefix,
  orgPartition,
  SORT_PREFIX,
  transformationKeys,
  transformationsPrefix,
  type MappingLevel,
} from '../../store/keys.js';
import { transformationSchema, type Transformation } from '../element-schema.js';
import { inherits, mergeTransformations } from './mapping.js';

export const OBJECT_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,99}$/;

export const objectDefinitionSchema = z.object({
  fields: z
    .array(
      z.object({
        path: z.string().trim().min(1).max(200),
        type: z.enum(['string', 'number', 'boolean', 'date', 'object', 'array', 'unknown']).default('string'),
      }),
    )
    .max(500)
    .default([]),
});
export type ObjectDefinition = z.output<typeof objectDefinitionSchema>;
export { transformationSchema };

export interface ObjectDefinitionItem extends StoredItem {
  type: 'objectDefinition';
  name: string;
  level: MappingLevel;
  definition: ObjectDefinition;
}

export interface TransformationItem extends StoredItem {
  type: 'transformation';
  name: string;
  level: MappingLevel;
  elementKey: string;
  transformation: Transformation;
}

export const levelOf = (instanceId?: number): MappingLevel => (instanceId === undefined ? 'org' : `instance:${instanceId}`);
export const levelName = (level: MappingLevel) => (level === 'org' ? 'organization' : 'instance');

// Object definitions.

export async function listObjectDefinitions(rt: Runtime, org: string, level: MappingLevel): Promise<ObjectDefinitionItem[]> {
  return rt.table.queryAll<ObjectDefinitionItem>(orgPartition(org), { prefix: objectDefinitionsPrefix(level) });
}

export async function getObjectDefinition(rt: Runtime, org: string, level: MappingLevel, name: string): Promise<ObjectDefinitionItem | undefined> {
  const item = await rt.table.get<ObjectDefinitionItem>(objectDefinitionKeys(org, level, name), { consistent: true });
  return item?.type === 'objectDefinition' ? item : undefined;
}

export async function requireObjectDefinition(rt: Runtime, org: string, level: MappingLevel, name: string): Promise<ObjectDefinitionItem> {
  const item = await getObjectDefinition(rt, org, level, name);
  if (!item) throw notFound(`No ${levelName(level)}-level object definition ${name}`, 'object_definition_not_found');
  return item;
}

export async function saveObjectDefinition(rt: Runtime, org: string, level: MappingLevel, name: string, definition: ObjectDefinition, mode: 'create' | 'replace'): Promise<ObjectDefinitionItem> {
  const keys = objectDefinitionKeys(org, level, name);
  const item = { ...keys, type: 'objectDefinition' as const, name, level, definition };
  let saved: ObjectDefinitionItem;
  if (mode === 'create') saved = await rt.table.create<ObjectDefinitionItem>(item, `Object definition ${name} already exists`);
  else {
    const current = await requireObjectDefinition(rt, org, level, name);
    saved = await rt.table.replace<ObjectDefinitionItem>({ ...current, definition }, current.version);
  }
  forgetMappings(rt, org);
  return saved;
}

export async function deleteObjectDefinition(rt: Runtime, org: string, level: MappingLevel, name: string): Promise<void> {
  await requireObjectDefinition(rt, org, level, name);
  const prefix = level === 'org' ? `${SORT_PREFIX.transformation}org#` : transformationsPrefix(level, '');
  const users = (await rt.table.queryAll<TransformationItem>(orgPartition(org), { prefix })).filter((item) => item.type === 'transformation' && item.name === name);
  if (users.length) {
    const elements = [...new Set(users.map((item) => item.elementKey))].join(', ');
    throw conflict(`Object definition ${name} still has transformations (${elements}); delete them first`, 'object_definition_in_use');
  }
  await rt.table.delete(objectDefinitionKeys(org, level, name));
  forgetMappings(rt, org);
}

// Transformations.

export async function listTransformations(rt: Runtime, org: string, level: MappingLevel, elementKey: string): Promise<TransformationItem[]> {
  const items = await rt.table.queryAll<TransformationItem>(orgPartition(org), { prefix: transformationsPrefix(level, elementKey) });
  return items.filter((item) => item.type === 'transformation');
}

export async function getTransformation(rt: Runtime, org: string, level: MappingLevel, elementKey: string, name: string): Promise<TransformationItem | undefined> {
  const item = await rt.table.get<TransformationItem>(transformationKeys(org, level, elementKey, name), { consistent: true });
  return item?.type === 'transformation' ? item : undefined;
}

export async function requireTransformation(rt: Runtime, org: string, level: MappingLevel, elementKey: string, name: string): Promise<TransformationItem> {
  const item = await getTransformation(rt, org, level, elementKey, name);
  if (!item) throw notFound(`No ${levelName(level)}-level transformation of ${name} for ${elementKey}`, 'transformation_not_found');
  return item;
}

export async function saveTransformation(
  rt: Runtime,
  org: string,
  level: MappingLevel,
  elementKey: string,
  name: string,
  transformation: Transformation,
  mode: 'create' | 'replace',
): Promise<TransformationItem> {
  // The object must be defined at this level or above.
  const defined = (await getObjectDefinition(rt, org, level, name)) ?? (level === 'org' ? undefined : await getObjectDefinition(rt, org, 'org', name));
  if (!defined) throw notFound(`Define the object ${name} first: POST /organizations/objects/${name}/definitions`, 'object_definition_not_found');
  const keys = transformationKeys(org, level, elementKey, name);
  let saved: TransformationItem;
  if (mode === 'create') {
    saved = await rt.table.create<TransformationItem>({ ...keys, type: 'transformation', name, level, elementKey, transformation }, `Transformation ${name} for ${elementKey} already exists`);
  } else {
    const current = await requireTransformation(rt, org, level, elementKey, name);
    saved = await rt.table.replace<TransformationItem>({ ...current, transformation }, current.version);
  }
  forgetMappings(rt, org);
  return saved;
}

export async function deleteTransformation(rt: Runtime, org: string, level: MappingLevel, elementKey: string, name: string): Promise<void> {
  await requireTransformation(rt, org, level, elementKey, name);
  await rt.table.delete(transformationKeys(org, level, elementKey, name));
  forgetMappings(rt, org);
}

/** Removes an instance's own definitions and transformations with it. */
export async function deleteInstanceMappings(rt: Runtime, org: string, instanceId: number): Promise<void> {
  const level = levelOf(instanceId);
  const items = [
    ...(await rt.table.queryAll<StoredItem>(orgPartition(org), { prefix: objectDefinitionsPrefix(level) })),
    ...(await rt.table.queryAll<StoredItem>(orgPartition(org), { prefix: transformationsPrefix(level, '') })),
  ];
  for (const item of items) await rt.table.delete({ pk: item.pk, sk: item.sk });
  forgetMappings(rt, org);
}

// What a unified call reads: the effective transformations of one instance.

export interface EffectiveTransformation {
  name: string;
  level: MappingLevel;
  transformation: Transformation;
  /** The level each field comes from. */
  fieldLevels: Map<string, MappingLevel>;
}

function effective(orgItem: TransformationItem | undefined, instanceItem: TransformationItem | undefined): EffectiveTransformation | undefined {
  const levels = (item: TransformationItem) => new Map(item.transformation.fields.map((field) => [field.path, item.level]));
  if (instanceItem && orgItem && inherits(instanceItem.transformation)) {
    return {
      name: instanceItem.name,
      level: instanceItem.level,
      transformation: mergeTransformations(orgItem.transformation, instanceItem.transformation),
      fieldLevels: new Map([...levels(orgItem), ...levels(instanceItem)]),
    };
  }
  const item = instanceItem ?? orgItem;
  return item ? { name: item.name, level: item.level, transformation: item.transformation, fieldLevels: levels(item) } : undefined;
}

/** The effective transformation of one object, and of all, for an instance (instance level over organization level). */
export function effectiveTransformation(org: TransformationItem[], instance: TransformationItem[], name: string): EffectiveTransformation | undefined {
  return effective(
    org.find((item) => item.name === name),
    instance.find((item) => item.name === name),
  );
}

export interface InstanceMappings {
  transformations: EffectiveTransformation[];
}

function mappingCache(rt: Runtime): TtlCache<string, InstanceMappings> {
  return rt.service('connectors.mappings', () => new TtlCache<string, InstanceMappings>({ ttlMs: 5_000, maxEntries: 5_000 }));
}

function forgetMappings(rt: Runtime, org: string): void {
  mappingCache(rt).deleteWhere((_value, key) => key.startsWith(`${org}\n`));
}

/** The common resources of an instance, each with its effective transformation. */
export async function instanceMappings(rt: Runtime, org: string, elementKey: string, instanceId: number): Promise<InstanceMappings> {
  return mappingCache(rt).get(`${org}\n${elementKey}\n${instanceId}`, async () => {
    const [orgItems, instanceItems] = await Promise.all([listTransformations(rt, org, 'org', elementKey), listTransformations(rt, org, levelOf(instanceId), elementKey)]);
    const names = [...new Set([...orgItems, ...instanceItems].map((item) => item.name))];
    return { transformations: names.map((name) => effectiveTransformation(orgItems, instanceItems, name)!).filter(Boolean) };
  });
}
