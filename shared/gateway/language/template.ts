// Apigee message templates: `{variable.name}` replaced by the variable's value.
// Only brace pairs around a plain variable name are templates, so JSON payloads
// keep their own braces. `prefix`/`suffix` follow AssignMessage's
// variablePrefix/variableSuffix for payloads that need other delimiters.

const NAME = '[A-Za-z_][A-Za-z0-9_.\\-]*';
const cache = new Map<string, RegExp>();

function patternFor(prefix: string, suffix: string): RegExp {
  const key = `${prefix}\u0000${suffix}`;
  let pattern = cache.get(key);
  if (!pattern) {
    const escape = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    pattern = new RegExp(`${escape(prefix)}(${NAME})${escape(suffix)}`, 'g');
    cache.set(key, pattern);
  }
  return pattern;
}

export function hasTemplate(text: string, prefix = '{', suffix = '}'): boolean {
  const pattern = patternFor(prefix, suffix);
  pattern.lastIndex = 0;
  return pattern.test(text);
}

export function renderTemplate(
  text: string,
  lookup: (name: string) => unknown,
  prefix = '{',
  suffix = '}',
): string {
  if (!text.includes(prefix)) return text;
  return text.replace(patternFor(prefix, suffix), (_match, name: string) => stringify(lookup(name)));
}

export function stringify(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
