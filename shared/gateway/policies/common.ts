// Small pieces several policies share: reading `ref` attributes, message
// templates, Apigee time units, and the `{name, value}` pairs of AssignMessage.
import * as z from 'zod';
import type { Exchange } from '../exchange.js';
import { Fault } from '../faults.js';
import { renderTemplate, stringify } from '../template.js';

/** A value given literally, by variable reference, or both (the reference wins when set). */
export const ValueSchema = z.object({
  value: z.string().optional(),
  ref: z.string().optional(),
});
export type Value = z.infer<typeof ValueSchema>;

export const NameValueSchema = z.object({ name: z.string().min(1), value: z.string().default('') });
export type NameValue = z.infer<typeof NameValueSchema>;

export function resolveValue(exchange: Exchange, value: Value | undefined): string | undefined {
  if (!value) return undefined;
  if (value.ref) {
    const resolved = exchange.get(value.ref);
    if (resolved !== undefined && resolved !== null && resolved !== '') return stringify(resolved);
  }
  return value.value === undefined ? undefined : render(exchange, value.value);
}

export function render(exchange: Exchange, template: string, prefix = '{', suffix = '}'): string {
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
