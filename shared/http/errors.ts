// One error type for every handler. Each function family formats it in its own
// wire shape (platform JSON, RFC 6749 token errors, Apigee faults), but the
// code that detects a problem only says what went wrong. Each shape has one
// renderer, kept by its owner: the platform's here, RFC 6749's in
// oauth/errors.ts, Apigee's fault in gateway/engine/faults.ts.
import { json, type HttpResponse } from './response.js';

export interface FieldProblem {
  /** Dotted path of the offending field, e.g. `credentials.0.expiresAt`. */
  path: string;
  message: string;
}

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields?: FieldProblem[];
  readonly headers?: Record<string, string>;
  /** What a vendor said, for errors that come from one (Open Connectors' `providerMessage`). */
  readonly providerMessage?: string;

  constructor(
    status: number,
    code: string,
    message: string,
    extra: { fields?: FieldProblem[]; headers?: Record<string, string>; providerMessage?: string; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    if (extra.fields) this.fields = extra.fields;
    if (extra.headers) this.headers = extra.headers;
    if (extra.providerMessage !== undefined) this.providerMessage = extra.providerMessage;
  }
}

export const badRequest = (message: string, code = 'bad_request') => new HttpError(400, code, message);
export const unauthorized = (message = 'Missing or invalid credentials', code = 'unauthorized') =>
  new HttpError(401, code, message);
export const forbidden = (message: string, code = 'forbidden') => new HttpError(403, code, message);
export const notFound = (message = 'Not found', code = 'not_found') => new HttpError(404, code, message);
export const conflict = (message: string, code = 'conflict') => new HttpError(409, code, message);
export const payloadTooLarge = (message: string) => new HttpError(413, 'payload_too_large', message);
export const unsupportedMediaType = (message: string) => new HttpError(415, 'unsupported_media_type', message);
export const unprocessable = (message: string, fields: FieldProblem[] = []) =>
  new HttpError(422, 'validation_failed', message, { fields });
export const methodNotAllowed = (allowed: string[]) =>
  new HttpError(405, 'method_not_allowed', `Method not allowed; use ${allowed.join(', ')}`, {
    headers: { allow: allowed.join(', ') },
  });
export const serviceUnavailable = (message: string, code = 'service_unavailable') =>
  new HttpError(503, code, message);

export function isHttpError(error: unknown): error is HttpError {
  return error instanceof HttpError;
}

/** How one family of functions writes an error on the wire. */
export interface ErrorRenderer {
  /** The code of the 503 for an unavailable dependency, where the style has its own. */
  unavailableCode?: string;
  /** The code of a 500 for an unexpected error, where the style has its own. */
  internalCode?: string;
  render(error: HttpError, requestId: string): HttpResponse;
}

/** Platform and management errors: `{"error":{"code","message","fields"},"requestId"}`. */
export const platformErrors: ErrorRenderer = {
  render(error, requestId) {
    const body: Record<string, unknown> = { code: error.code, message: error.message };
    if (error.fields?.length) body.fields = error.fields;
    return json(error.status, { error: body, requestId }, error.headers ?? {});
  },
};
