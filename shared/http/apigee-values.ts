// How Apigee's clients write scalars: booleans as "true"/"false" and numbers as
// strings (`"encrypted": "true"`, `"quota": "100"`, `override=true` in a form).
// Every management schema and command parameter reads them through these, so
// the JSON and the string forms are accepted alike.
import * as z from 'zod';
import { badRequest } from './errors.js';

/** A boolean, or Apigee's string form of one ("true"/"false", any case). */
export const booleanLike = z.lazy(() => z.union([
  z.boolean(),
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false'], 'must be true or false'))
    .transform((value) => value === 'true'),
]));

/** An integer, or its string form (`"100"`). */
export const numberLike = z.lazy(() => z.union([z.number(), z.string().trim().regex(/^-?\d+$/, 'must be an integer').transform(Number)]));

/** A `true`/`false` command or query parameter; `fallback` when absent or empty. */
export function booleanParam(params: URLSearchParams, name: string, fallback: boolean): boolean {
  const value = params.get(name);
  if (value === null || value.trim() === '') return fallback;
  const parsed = booleanLike.safeParse(value);
  if (!parsed.success) throw badRequest(`${name} must be true or false`, 'invalid_parameter');
  return parsed.data;
}

/** A non-negative integer command or query parameter (negative values count as 0, as Apigee's `delay`); undefined when absent. */
export function secondsParam(params: URLSearchParams, name: string): number | undefined {
  const value = params.get(name);
  if (value === null || value.trim() === '') return undefined;
  if (!/^-?\d{1,9}$/.test(value.trim())) throw badRequest(`${name} must be a whole number of seconds`, 'invalid_parameter');
  return Math.max(0, Number(value));
}
