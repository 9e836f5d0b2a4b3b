// Request body helpers: JSON and form bodies checked for media type and size,
// then validated with zod into 422 errors that name each offending field.
import type * as z from 'zod';
import { badRequest, payloadTooLarge, unprocessable, unsupportedMediaType, type FieldProblem } from './errors.js';
import { mediaType, type HttpRequest } from './request.js';

export const MAX_JSON_BYTES = 1024 * 1024;

export function zodProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }));
}

/** Validates any value against a schema, throwing 422 with field paths. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what = 'Request body'): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const fields = zodProblems(result.error);
    throw unprocessable(`${what} is invalid: ${fields.map((f) => `${f.path}: ${f.message}`).join('; ')}`, fields);
  }
  return result.data;
}

export function isJsonMediaType(type: string): boolean {
  return type === 'application/json' || type.endsWith('+json');
}

/** Parses a JSON body (415 if not JSON, 400 if malformed, 413 if too large) without validating it. */
export function readJson(request: HttpRequest, maxBytes = MAX_JSON_BYTES): unknown {
  if (request.body.length > maxBytes) throw payloadTooLarge(`Body exceeds ${maxBytes} bytes`);
  const type = mediaType(request);
  if (!isJsonMediaType(type)) throw unsupportedMediaType('Content-Type must be application/json');
  if (request.body.length === 0) throw badRequest('Request body is empty; a JSON document is required', 'malformed_json');
  try {
    return JSON.parse(request.body.toString('utf8'));
  } catch {
    throw badRequest('Request body is not valid JSON', 'malformed_json');
  }
}

/** Parses and validates a JSON body. */
export function jsonBody<S extends z.ZodType>(request: HttpRequest, schema: S): z.output<S> {
  return validate(schema, readJson(request));
}

/** Parses an `application/x-www-form-urlencoded` body (empty when there is none). */
export function formBody(request: HttpRequest, maxBytes = 64 * 1024): URLSearchParams {
  if (request.body.length > maxBytes) throw payloadTooLarge(`Body exceeds ${maxBytes} bytes`);
  if (request.body.length === 0) return new URLSearchParams();
  if (mediaType(request) !== 'application/x-www-form-urlencoded') {
    throw unsupportedMediaType('Content-Type must be application/x-www-form-urlencoded');
  }
  return new URLSearchParams(request.body.toString('utf8'));
}
