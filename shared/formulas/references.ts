// `${steps.x.response.body}`, `${config.y}`, `${trigger.event}`, `${info.z}`:
// a step's properties name parts of the execution's context, as Open
// Connectors resolves them. A property that is one reference alone takes the
// referenced value as it is (an object stays an object); references inside a
// longer text are put in as text (objects as JSON). Unknown names resolve to
// nothing (an empty text inside a longer one). One pass, linear in the text.

export interface FormulaContext {
  steps: Record<string, unknown>;
  config: Record<string, unknown>;
  trigger: Record<string, unknown>;
  info: Record<string, unknown>;
}

const REFERENCE = /\$\{([^{}]*)\}/g;
const ROOTS = new Set(['steps', 'config', 'trigger', 'info']);

/** The value at a dotted path (`steps.get-contact.response.body.id`, `steps.list.response.body.0`). */
export function lookup(context: FormulaContext, path: string): unknown {
  const parts = path.trim().split('.');
  // `${crm}` is the variable crm, as in Open Connectors' instance id properties.
  if (parts.length === 1 && !ROOTS.has(parts[0]!)) parts.unshift('config');
  let value: unknown = context;
  for (const part of parts) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

const asText = (value: unknown) => (value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value));

/** Resolves the references in one value: strings, and the strings inside arrays and objects. */
export function resolve(value: unknown, context: FormulaContext): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{([^{}]*)\}$/.exec(value);
    if (whole) return lookup(context, whole[1]!);
    return value.replace(REFERENCE, (_match, path: string) => asText(lookup(context, path)));
  }
  if (Array.isArray(value)) return value.map((entry) => resolve(entry, context));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, resolve(entry, context)]));
  return value;
}
