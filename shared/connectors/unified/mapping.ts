// Field mappings between an object's records and the vendor's, both ways:
// an element's canonical objects and an organization's common resources
// (`vdr`) use the same transformation shape. Paths are dotted
// (`properties.firstname`, `emails.0.address`); a field may be removed or
// passed through per direction, and unmapped vendor fields pass through when
// the transformation says so.
import type { Transformation, TransformationField } from '../element-schema.js';

type Json = Record<string, unknown>;

const UNSAFE = new Set(['__proto__', 'constructor', 'prototype']);

export function splitPath(path: string): string[] {
  return path.split('.').filter((part) => part.length > 0);
}

export function readPath(record: unknown, path: string): unknown {
  // A key that itself has dots (Graph's `@odata.nextLink`) is read as it is.
  if (record !== null && typeof record === 'object' && !UNSAFE.has(path) && Object.hasOwn(record, path)) return (record as Json)[path];
  let value: unknown = record;
  for (const part of splitPath(path)) {
    if (value === null || typeof value !== 'object' || UNSAFE.has(part)) return undefined;
    // `-1` is an array's last item (Stripe's cursor is the last record's id).
    if (Array.isArray(value) && /^-\d+$/.test(part)) value = value.at(Number(part));
    else value = Object.hasOwn(value, part) ? (value as Json)[part] : undefined;
  }
  return value;
}

export function writePath(record: Json, path: string, value: unknown): void {
  const parts = splitPath(path);
  if (parts.some((part) => UNSAFE.has(part)) || parts.length === 0) return;
  let target: Json = record;
  for (const [index, part] of parts.entries()) {
    if (index === parts.length - 1) {
      target[part] = value;
      return;
    }
    const next = target[part];
    if (next === null || typeof next !== 'object') {
      const created: Json = /^\d+$/.test(parts[index + 1]!) ? ([] as unknown as Json) : {};
      target[part] = created;
      target = created;
    } else target = next as Json;
  }
}

function deletePath(record: Json, path: string): void {
  const parts = splitPath(path);
  const last = parts.pop();
  const parent = parts.length ? readPath(record, parts.join('.')) : record;
  if (last !== undefined && parent !== null && typeof parent === 'object') delete (parent as Json)[last];
}

type Direction = 'fromVendor' | 'toVendor';

function configured(field: Pick<TransformationField, 'configuration'>, type: 'remove' | 'passThrough' | 'inherit', direction: Direction): boolean | undefined {
  const entry = field.configuration.find((config) => config.type === type);
  return entry ? entry.properties[direction] !== false : undefined;
}

/** A date as ISO 8601: epoch seconds or milliseconds become ISO text, anything else stays. */
function toDate(value: unknown, vendorType: string | undefined): unknown {
  if (typeof value === 'number' && Number.isFinite(value)) {
    const ms = vendorType === 'epochMillis' || value > 1e11 ? value : value * 1000;
    const date = new Date(ms);
    return Number.isNaN(date.getTime()) ? value : date.toISOString();
  }
  // Date-times in any ISO 8601 form (Salesforce's `+0000`) as one: UTC with milliseconds. Plain dates stay.
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) {
    // Without a zone designator vendors mean UTC (WooCommerce's `*_gmt`, Xero's date strings).
    const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(value) ? value : `${value}Z`;
    const ms = Date.parse(zoned.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    return Number.isNaN(ms) ? value : new Date(ms).toISOString();
  }
  return value;
}

function fromVendorValue(value: unknown, field: TransformationField): unknown {
  if (value === null || value === undefined) return value;
  switch (field.type) {
    case 'string':
      return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
    case 'number':
      return typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
    case 'boolean':
      return value === 'true' ? true : value === 'false' ? false : value;
    case 'date':
      return toDate(value, field.vendorType);
    default:
      return value;
  }
}

function toVendorValue(value: unknown, field: TransformationField): unknown {
  if (value === null || value === undefined) return value;
  const vendorType = field.vendorType;
  if (field.type === 'date' && typeof value === 'string' && (vendorType === 'epochSeconds' || vendorType === 'epochMillis')) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return vendorType === 'epochSeconds' ? Math.floor(ms / 1000) : ms;
  }
  if (vendorType === 'string' && (typeof value === 'number' || typeof value === 'boolean')) return String(value);
  if (vendorType === 'number' && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  if (vendorType === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

/** Whether unmapped vendor fields pass through (the transformation's `passThrough`). */
function passesThrough(transformation: Pick<Transformation, 'configuration'>, direction: Direction): boolean {
  return configured(transformation, 'passThrough', direction) === true;
}

/** A vendor record as the object's record. */
export function fromVendor(transformation: Transformation, vendor: unknown): Json {
  if (vendor === null || typeof vendor !== 'object' || Array.isArray(vendor)) return {};
  const out: Json = passesThrough(transformation, 'fromVendor') ? structuredClone(vendor as Json) : {};
  if (passesThrough(transformation, 'fromVendor')) for (const field of transformation.fields) if (field.vendorPath && field.vendorPath !== field.path) deletePath(out, field.vendorPath);
  for (const field of transformation.fields) {
    if (configured(field, 'remove', 'fromVendor') || configured(field, 'passThrough', 'fromVendor') === false) continue;
    const value = readPath(vendor, field.vendorPath ?? field.path);
    // Nulls are left out, as Open Connectors' `filter.response.nulls` does by default.
    if (value !== undefined && value !== null) writePath(out, field.path, fromVendorValue(value, field));
  }
  return out;
}

/** The object's record (a request body) as the vendor's. */
export function toVendor(transformation: Transformation, record: unknown): Json {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return {};
  const out: Json = {};
  const mapped = new Set<string>();
  for (const field of transformation.fields) {
    mapped.add(splitPath(field.path)[0] ?? field.path);
    if (configured(field, 'remove', 'toVendor') || configured(field, 'passThrough', 'toVendor') === false) continue;
    const value = readPath(record, field.path);
    if (value !== undefined) writePath(out, field.vendorPath ?? field.path, toVendorValue(value, field));
  }
  if (passesThrough(transformation, 'toVendor')) {
    for (const [key, value] of Object.entries(record as Json)) if (!mapped.has(key) && !UNSAFE.has(key) && !(key in out)) out[key] = value;
  }
  return out;
}

/** The vendor path of an object field, for queries; undefined when the field is not mapped. */
export function vendorFieldOf(transformation: Transformation, path: string): TransformationField | undefined {
  return transformation.fields.find((field) => field.path === path && !configured(field, 'remove', 'fromVendor'));
}

/** Whether an instance-level transformation adds to the one above it rather than replacing it. */
export function inherits(transformation: Pick<Transformation, 'configuration'>): boolean {
  return configured(transformation, 'inherit', 'fromVendor') === true;
}

/** An inheriting transformation over its parent: the parent's fields, each path overridden by the child's; the child's script, else the parent's. */
export function mergeTransformations(parent: Transformation, child: Transformation): Transformation {
  const paths = new Set(child.fields.map((field) => field.path));
  const script = child.script ?? parent.script;
  return {
    vendorName: child.vendorName,
    fields: [...parent.fields.filter((field) => !paths.has(field.path)), ...child.fields],
    configuration: [...parent.configuration.filter((config) => config.type !== 'inherit'), ...child.configuration],
    ...(script ? { script } : {}),
  };
}

/** Keeps only the given fields (CEQL `fields`), each at its path. */
export function project(record: Json, fields: string[]): Json {
  const out: Json = {};
  for (const field of fields) {
    const value = readPath(record, field);
    if (value !== undefined) writePath(out, field, value);
  }
  return out;
}
