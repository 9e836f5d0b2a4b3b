// Small pieces several policies share: reading `ref` attributes, message
// templates, Apigee time units, and the `{name, value}` pairs of AssignMessage.
import * as z from 'zod';
import { el, type XmlElement, type XmlNode } from './xml-model.js';
import type { PolicyExchange } from '../engine/policy.js';
import { Fault } from '../engine/faults.js';
import { renderTemplate, stringify } from '../language/template.js';

/** A value given literally, by variable reference, or both (the reference wins when set). */
export const ValueSchema = z.lazy(() => z.object({
  value: z.string().optional(),
  ref: z.string().optional(),
}));
export type Value = z.infer<typeof ValueSchema>;

export const NameValueSchema = z.lazy(() => z.object({ name: z.string().min(1), value: z.string().default('') }));
export type NameValue = z.infer<typeof NameValueSchema>;

export function resolveValue(exchange: PolicyExchange, value: Value | undefined): string | undefined {
  if (!value) return undefined;
  if (value.ref) {
    const resolved = exchange.get(value.ref);
    if (resolved !== undefined && resolved !== null && resolved !== '') return stringify(resolved);
  }
  return value.value === undefined ? undefined : render(exchange, value.value);
}

export function render(exchange: PolicyExchange, template: string, prefix = '{', suffix = '}'): string {
  return renderTemplate(template, (name) => exchange.get(name), prefix, suffix);
}

export const TIME_UNITS = ['second', 'minute', 'hour', 'day', 'week', 'month'] as const;
export type TimeUnit = (typeof TIME_UNITS)[number];

export const UNIT_MS: Record<Exclude<TimeUnit, 'month'>, number> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
};

/** A fault raised by a policy, with the policy-namespaced error code Apigee uses. */
export function policyFault(faultName: string, errorCode: string, status: number, message: string, headers?: Record<string, string>): Fault {
  return new Fault(faultName, errorCode, status, message, headers ? { headers } : {});
}

/**
 * A policy's runtime faults as Apigee documents them: `fault.name` -> [error
 * code, HTTP status]. Each policy declares its table beside its definition;
 * docs/faults.md lists them all and a test keeps the two equal.
 */
export type FaultTable = Readonly<Record<string, readonly [code: string, status: number]>>;

export const defineFaults = <const T extends FaultTable>(table: T): T => table;

/** Raises the fault `name` of a policy's table. */
export function raise<T extends FaultTable>(table: T, name: keyof T & string, message: string, headers?: Record<string, string>): Fault {
  const [code, status] = table[name]!;
  return policyFault(name, code, status, message, headers);
}

// ---------------------------------------------------------------------------
// Apigee XML helpers

/** `<Identifier ref="var">literal</Identifier>` -> `{ ref, value }` (undefined when absent or empty). */
export function valueFromXml(element: XmlElement | undefined): Value | undefined {
  if (!element) return undefined;
  const ref = element.attr('ref')?.trim() || undefined;
  const value = element.text() || undefined;
  if (ref === undefined && value === undefined) return undefined;
  return { ...(value === undefined ? {} : { value }), ...(ref === undefined ? {} : { ref }) };
}

export function valueToXml(name: string, value: Value | undefined): XmlNode | undefined {
  if (!value || (value.ref === undefined && value.value === undefined)) return undefined;
  return el(name, { ref: value.ref }, value.value ?? '');
}

/** `<Headers><Header name="a">v</Header></Headers>` -> `[{ name, value }]`; undefined when empty. */
export function nameValuesFromXml(container: XmlElement | undefined, childName: string): NameValue[] | undefined {
  if (!container) return undefined;
  const pairs = container.all(childName).flatMap((child) => {
    const name = child.attr('name');
    if (!name) {
      child.report('the name attribute is required', { attribute: 'name' });
      return [];
    }
    return [{ name, value: child.text() }];
  });
  return pairs.length ? pairs : undefined;
}

export function nameValuesToXml(containerName: string, childName: string, pairs: NameValue[] | undefined): XmlNode | undefined {
  if (!pairs?.length) return undefined;
  return el(containerName, {}, pairs.map(({ name, value }) => el(childName, { name }, value)));
}

/** Text of an optional child element, undefined when absent or empty. */
export function textOf(parent: XmlElement, name: string): string | undefined {
  return parent.childText(name) || undefined;
}
