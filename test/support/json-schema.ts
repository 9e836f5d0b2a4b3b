// A small JSON Schema (2020-12) validator for the keywords the OpenAPI
// document uses, so tests can check sample bodies against the published
// schemas offline. A validation keyword it does not know fails loudly rather
// than passing silently.

type Schema = boolean | Record<string, unknown>;

/** Keywords that only annotate: they never make a value invalid. */
const ANNOTATIONS = new Set(['description', 'title', 'default', 'examples', 'deprecated', 'readOnly', 'writeOnly', 'contentMediaType', 'contentEncoding', '$comment']);
const KNOWN = new Set([
  '$ref',
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
]);

export class UnknownKeywordError extends Error {}

/** Resolves a local JSON pointer (`#/components/schemas/X`) in `root`. */
export function resolvePointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) throw new Error(`Only local references are supported: ${ref}`);
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    default:
      return typeOf(value) === type;
  }
}

const FORMATS: Record<string, (value: string) => boolean> = {
  uri: (value) => URL.canParse(value),
  email: (value) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value),
};

/** The problems of `value` against `schema` (empty when valid); `root` resolves `$ref`s. */
export function validateJson(schema: Schema, value: unknown, root: unknown, path = '$'): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${path}: no value is allowed here`];
  const problems: string[] = [];
  const fail = (message: string) => problems.push(`${path}: ${message}`);
  for (const keyword of Object.keys(schema)) {
    if (!KNOWN.has(keyword) && !ANNOTATIONS.has(keyword)) throw new UnknownKeywordError(`Unknown JSON Schema keyword ${keyword} at ${path}`);
  }
  const s = schema as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  if (typeof s.$ref === 'string') {
    const target = resolvePointer(root, s.$ref);
    if (target === undefined) fail(`unresolvable $ref ${s.$ref}`);
    else problems.push(...validateJson(target as Schema, value, root, path));
  }
  if (s.type !== undefined) {
    const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
    if (!types.some((type) => hasType(value, type))) {
      fail(`expected ${types.join(' or ')}, got ${typeOf(value)}`);
      return problems;
    }
  }
  if (s.enum && !s.enum.some((option: unknown) => JSON.stringify(option) === JSON.stringify(value))) fail(`must be one of ${JSON.stringify(s.enum)}`);
  if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(value)) fail(`must be ${JSON.stringify(s.const)}`);

  if (typeof value === 'string') {
    const length = [...value].length;
    if (s.minLength !== undefined && length < s.minLength) fail(`shorter than ${s.minLength}`);
    if (s.maxLength !== undefined && length > s.maxLength) fail(`longer than ${s.maxLength}`);
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(value)) fail(`does not match ${s.pattern}`);
    if (s.format !== undefined && FORMATS[s.format] && !FORMATS[s.format]!(value)) fail(`is not a ${s.format}`);
  }
  if (typeof value === 'number') {
    if (s.minimum !== undefined && value < s.minimum) fail(`below ${s.minimum}`);
    if (s.maximum !== undefined && value > s.maximum) fail(`above ${s.maximum}`);
    if (s.exclusiveMinimum !== undefined && value <= s.exclusiveMinimum) fail(`not above ${s.exclusiveMinimum}`);
    if (s.exclusiveMaximum !== undefined && value >= s.exclusiveMaximum) fail(`not below ${s.exclusiveMaximum}`);
  }
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < s.minItems) fail(`fewer than ${s.minItems} items`);
    if (s.maxItems !== undefined && value.length > s.maxItems) fail(`more than ${s.maxItems} items`);
    if (s.items !== undefined) value.forEach((item, i) => problems.push(...validateJson(s.items, item, root, `${path}[${i}]`)));
  }
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    for (const name of s.required ?? []) if (!(name in object)) fail(`${name} is required`);
    const properties: Record<string, Schema> = s.properties ?? {};
    for (const [name, item] of Object.entries(object)) {
      const where = `${path}.${name}`;
      if (s.propertyNames !== undefined) problems.push(...validateJson(s.propertyNames, name, root, `${where} (name)`));
      if (name in properties) problems.push(...validateJson(properties[name]!, item, root, where));
      else if (s.additionalProperties !== undefined) problems.push(...validateJson(s.additionalProperties, item, root, where));
    }
  }
  if (s.allOf) for (const part of s.allOf) problems.push(...validateJson(part, value, root, path));
  if (s.anyOf && !s.anyOf.some((part: Schema) => validateJson(part, value, root, path).length === 0)) fail('matches none of anyOf');
  if (s.oneOf) {
    const matching = s.oneOf.filter((part: Schema) => validateJson(part, value, root, path).length === 0).length;
    if (matching !== 1) fail(`matches ${matching} of oneOf, not exactly one`);
  }
  if (s.not !== undefined && validateJson(s.not, value, root, path).length === 0) fail('matches not');
  return problems;
}
