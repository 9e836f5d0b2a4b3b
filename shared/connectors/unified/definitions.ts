// Common resources (object definitions: a name and typed fields) and their
// transformations onto an element's objects, at organization level (per
// element), account level (per element, over the organization's) and
// instance level (over its account's and the organization's): each level
// replaces the one above, or adds to it with `inherit`. A transformation's `vendorName` is the
// element's object it reads and writes (a canonical object or a vendor
// resource). Read on every unified call, so cached per container for a few
// seconds and dropped in this container on every change.
import * as z from 'zod';
import { TtlCache } from '../../cache/ttl-cache.js';
import { badRequest, conflict, notFound } from '../../http/errors.js';
import type { Runtime } from '../../runtime.js';
import type { StoredItem } from '../../store/table.js';
import { accountOf } from '../instance-access.js';
import type { InstanceItem } from '../instances.js';
import {
  levelTransformationsPrefix,
  objectDefinitionKeys,
  objectDefinitionsPrefix,
  orgPartition,
  transformationKeys,
  transformationsPrefix,
  type MappingLevel,
} from '../../store/keys.js';
import { transformationSchema, type Transformation } from '../element-schema.js';
import { inherits, mergeTransformations } from './mapping.js';

export const OBJECT_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,99}$/;

export const objectDefinitionSchema = z.lazy(() => z.object({
  fields: z
    .array(
      z.object({
        path: z.string().trim().min(1).max(200),
        type: z.enum(['string', 'number', 'boolean', 'date', 'object', 'array', 'unknown']).default('string'),
      }),
    )
    .max(500)
    .default([]),
}));
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

export const instanceLevel = (instanceId: number): MappingLevel => `instance:${instanceId}`;
export const accountLevel = (accountId: number): MappingLevel => `account:${accountId}`;
export const levelName = (level: MappingLevel) => (level === 'org' ? 'organization' : level.startsWith('account:') ? 'account' : 'instance');

/** The levels an instance's mappings come from, outermost first: the organization, the instance's account, the instance. */
export async function instanceLevels(rt: Runtime, item: Pick<InstanceItem, 'id' | 'organization' | 'owner'>): Promise<MappingLevel[]> {
  return ['org', accountLevel(await accountOf(rt, item)), instanceLevel(item.id)];
}

/** The levels above and at an account's: the organization, the account. */
export const accountLevels = (accountId: number): MappingLevel[] => ['org', accountLevel(accountId)];

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

/** Refuses (409) while transformations of this level map any of the names. */
async function refuseWhileMapped(rt: Runtime, org: string, level: MappingLevel, names: string[]): Promise<void> {
  const users = (await rt.table.queryAll<TransformationItem>(orgPartition(org), { prefix: levelTransformationsPrefix(level) })).filter((item) => item.type === 'transformation' && names.includes(item.name));
  if (users.length) {
    const mapped = [...new Set(users.map((item) => `${item.name} (${item.elementKey})`))].join(', ');
    throw conflict(`Object definitions still have transformations: ${mapped}; delete them first`, 'object_definition_in_use');
  }
}

export async function deleteObjectDefinition(rt: Runtime, org: string, level: MappingLevel, name: string): Promise<void> {
  await requireObjectDefinition(rt, org, level, name);
  await refuseWhileMapped(rt, org, level, [name]);
  await rt.table.delete(objectDefinitionKeys(org, level, name));
  forgetMappings(rt, org);
}

/** Deletes every definition of the level, none while any of them is mapped. */
export async function deleteObjectDefinitions(rt: Runtime, org: string, level: MappingLevel): Promise<void> {
  const items = await listObjectDefinitions(rt, org, level);
  await refuseWhileMapped(rt, org, level, items.map((item) => item.name));
  for (const item of items) await rt.table.delete(objectDefinitionKeys(org, level, item.name));
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

/** The object's definition at the innermost of the levels that has one. */
export async function definitionFor(rt: Runtime, org: string, levels: MappingLevel[], name: string): Promise<ObjectDefinitionItem | undefined> {
  for (const level of [...levels].reverse()) {
    const found = await getObjectDefinition(rt, org, level, name);
    if (found) return found;
  }
  return undefined;
}

/** Saves the transformation at the last of `levels` (outermost first); the object must be defined at one of them. */
export async function saveTransformation(
  rt: Runtime,
  org: string,
  levels: MappingLevel[],
  elementKey: string,
  name: string,
  transformation: Transformation,
  mode: 'create' | 'replace',
): Promise<TransformationItem> {
  const level = levels.at(-1)!;
  if (!(await definitionFor(rt, org, levels, name))) throw notFound(`Define the object ${name} first: POST /organizations/objects/${name}/definitions`, 'object_definition_not_found');
  const keys = transformationKeys(org, level, elementKey, name);
  let saved: TransformationItem;
  if (mode === 'create') {
    saved = await rt.table.create<TransformationItem>({ ...keys, type: 'transformation', name, level, elementKey, transformation }, `Transformation ${name} for ${elementKey} already exists`);
  } else {
    const current = await requireTransformation(rt, org, level, elementKey, name);
    // As Open Connectors: a script on the v2 engine does not go back to v1.
    if (current.transformation.script && !current.transformation.isLegacy && transformation.isLegacy) {
      throw badRequest(`Transformation ${name} runs its script on the v2 engine; it cannot go back to v1 (isLegacy)`, 'script_engine_downgrade');
    }
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
  const level = instanceLevel(instanceId);
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

function levelsOf(item: TransformationItem): Map<string, MappingLevel> {
  return new Map(item.transformation.fields.map((field) => [field.path, item.level]));
}

/** Folds one object's transformations, outermost level first: each replaces the one above, or adds to it with `inherit`. */
function effective(items: TransformationItem[]): EffectiveTransformation | undefined {
  let current: EffectiveTransformation | undefined;
  for (const item of items) {
    current =
      current && inherits(item.transformation)
        ? { name: item.name, level: item.level, transformation: mergeTransformations(current.transformation, item.transformation), fieldLevels: new Map([...current.fieldLevels, ...levelsOf(item)]) }
        : { name: item.name, level: item.level, transformation: item.transformation, fieldLevels: levelsOf(item) };
  }
  return current;
}

/** The effective transformation of one object over levels (each level's transformations, outermost first). */
export function effectiveTransformation(levels: TransformationItem[][], name: string): EffectiveTransformation | undefined {
  return effective(levels.flatMap((items) => items.filter((item) => item.name === name)));
}

/** The effective transformations of an element over `levels`, outermost first. */
export async function effectiveTransformations(rt: Runtime, org: string, levels: MappingLevel[], elementKey: string): Promise<EffectiveTransformation[]> {
  const perLevel = await Promise.all(levels.map((level) => listTransformations(rt, org, level, elementKey)));
  const names = [...new Set(perLevel.flat().map((item) => item.name))];
  return names.map((name) => effectiveTransformation(perLevel, name)!);
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

/** The common resources of an instance, each with its effective transformation (instance over account over organization). */
export async function instanceMappings(rt: Runtime, item: Pick<InstanceItem, 'id' | 'organization' | 'owner' | 'elementKey'>): Promise<InstanceMappings> {
  const levels = await instanceLevels(rt, item);
  return mappingCache(rt).get(`${item.organization}\n${item.elementKey}\n${levels.join('\n')}`, async () => ({
    transformations: await effectiveTransformations(rt, item.organization, levels, item.elementKey),
  }));
}
