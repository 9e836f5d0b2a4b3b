// What every connectors route shares: the base path, who is calling, the
// headers Open Connectors sends on every answer and on lists, and the rules that
// tell a platform path from a vendor resource call.
import { readJson } from '../http/body.js';
import { notFound, type ErrorRenderer } from '../http/errors.js';
import type { HttpRequest } from '../http/request.js';
import { json } from '../http/response.js';

export const BASE = '/elements/api-v2';

export function isConnectorsPath(path: string): boolean {
  return path === BASE || path.startsWith(`${BASE}/`);
}

/** Open Connectors' errors: `{"requestId","message","providerMessage"?}`, with Tollgate's stable `code` (and `fields`). */
export const connectorErrors: ErrorRenderer = {
  render(error, requestId) {
    const body: Record<string, unknown> = { requestId, message: error.message, code: error.code };
    if (error.providerMessage !== undefined) body.providerMessage = error.providerMessage;
    if (error.fields?.length) body.fields = error.fields;
    return json(error.status, body, error.headers ?? {});
  },
};

/** Headers browsers may read on a cross-origin answer, as Open Connectors lists them. */
export const EXPOSED_HEADERS =
  'Elements-Returned-Count, Elements-Total-Count, Elements-Request-Id, Elements-Next-Page-Token, Elements-Trace-Id, Elements-Error, Content-Disposition';

/**
 * On every connectors answer, errors included. Any origin may call: the
 * credentials are a header a page must hold itself, never a cookie.
 */
export function connectorHeaders(request: HttpRequest): Record<string, string> {
  return {
    'access-control-allow-origin': '*',
    'access-control-expose-headers': EXPOSED_HEADERS,
    'elements-request-id': request.requestId,
  };
}

/** The CORS preflight answer. */
export const PREFLIGHT_HEADERS = {
  'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
  'access-control-allow-headers': 'Authorization, Content-Type, Accept, Elements-Version',
  'access-control-max-age': '600',
};

/** Count and next-page headers of a list answer. */
export function listHeaders(count: number, next?: string, total?: number): Record<string, string> {
  return {
    'elements-returned-count': String(count),
    ...(total !== undefined ? { 'elements-total-count': String(total) } : {}),
    ...(next ? { 'elements-next-page-token': next } : {}),
  };
}

/** A JSON object body, or `{}` when there is none (Open Connectors' clients send empty PUTs and POSTs). */
export function optionalJson(request: HttpRequest): unknown {
  return request.body.length === 0 ? {} : readJson(request);
}

/**
 * First path segments that only ever name platform resources: an unknown path
 * under them is a 404, never a vendor call.
 */
const PLATFORM_ONLY = new Set(['elements', 'instances', 'docs', 'usage', 'formulas', 'transformations', 'jobs', 'roles']);
/**
 * Platform resources whose names vendors use too (a CRM's accounts, a
 * directory's users): without an `Element` token they are the platform's, with
 * one they are the vendor's, as in Open Connectors.
 */
const SHARED_NAMES = new Set(['accounts', 'users', 'organizations', 'hubs']);

/** Throws the platform's 404 when `/elements/api-v2/{rest}` is an unknown platform path rather than a resource call. */
export function refuseUnknownPlatformPath(request: HttpRequest, rest: string, hasElementToken: boolean): void {
  const segments = rest.split('/').filter(Boolean);
  const first = segments[0] ?? '';
  const hubRoute = first === 'hubs' && (segments.length <= 2 || (segments.length === 3 && segments[2] === 'elements'));
  if (PLATFORM_ONLY.has(first) || hubRoute || (SHARED_NAMES.has(first) && first !== 'hubs' && !hasElementToken)) {
    throw notFound(`No platform resource ${request.method} ${request.path}`, 'not_found');
  }
}
