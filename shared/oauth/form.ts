// The token endpoints' form: application/x-www-form-urlencoded, small, and
// possibly empty (SAP clients send grant_type in the query string instead).
import { mediaType, type HttpRequest } from '../http/request.js';
import { singleParameter } from './client-auth.js';
import { invalidRequest, oauthError } from './errors.js';

const MAX_FORM_BYTES = 16 * 1024;
const forms = new WeakMap<HttpRequest, URLSearchParams>();

/** The form body, parsed once per request: empty is allowed, anything but a form is not. */
export function readForm(request: HttpRequest): URLSearchParams {
  const parsed = forms.get(request);
  if (parsed) return parsed;
  if (request.body.length > MAX_FORM_BYTES) throw oauthError(413, 'invalid_request', `Request body exceeds ${MAX_FORM_BYTES} bytes`);
  if (request.body.length > 0 && mediaType(request) !== 'application/x-www-form-urlencoded') {
    throw invalidRequest('Content-Type must be application/x-www-form-urlencoded');
  }
  const form = new URLSearchParams(request.body.length ? request.body.toString('utf8') : '');
  forms.set(request, form);
  return form;
}

/** A parameter from the body or the query string; present in both, the two must agree. */
export function bodyOrQuery(form: URLSearchParams, query: URLSearchParams, name: string): string | undefined {
  const inBody = singleParameter(form, name);
  const inQuery = singleParameter(query, name);
  if (inBody !== undefined && inQuery !== undefined && inBody !== inQuery) {
    throw invalidRequest(`Parameter ${name} differs between the body and the query string`);
  }
  return inBody ?? inQuery;
}
