// CORS of the token service: any origin, no credentials mode (client secrets
// are not cookies), preflights answered; plus the few security headers that
// matter for JSON answers.
import type { HttpRequest } from '../http/request.js';
import type { HttpResponse } from '../http/response.js';

/** On every answer of the token service. */
export const RESPONSE_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'www-authenticate, x-request-id',
  'x-content-type-options': 'nosniff',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'referrer-policy': 'no-referrer',
};
const DEFAULT_ALLOWED_HEADERS = 'authorization, content-type, accept';
const HEADER_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;

export function preflight(request: HttpRequest): HttpResponse {
  const requested = request.headers['access-control-request-headers']?.trim() ?? '';
  const allowHeaders = requested && requested.length <= 1024 && HEADER_LIST.test(requested) ? requested : DEFAULT_ALLOWED_HEADERS;
  return {
    status: 204,
    headers: {
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': allowHeaders,
      'access-control-max-age': '600',
      vary: 'access-control-request-headers',
    },
  };
}
