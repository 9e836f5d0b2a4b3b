// The token function: the token service's routes (token-routes.ts) with CORS
// on every answer, preflights included (cors.ts), and every error in RFC 6749
// section 5.2's shape.
import { HttpError, isHttpError } from '../http/errors.js';
import { errorResponse } from '../http/lambda.js';
import type { HttpRequest } from '../http/request.js';
import type { HttpResponse } from '../http/response.js';
import type { Runtime } from '../runtime.js';
import { preflight, RESPONSE_HEADERS } from './cors.js';
import { isCredentialError } from '../credentials/errors.js';
import { credentialToOAuthError, OAUTH_ERROR_CODES, oauthErrors } from './errors.js';
import { tokenRouter, type TokenRouter } from './token-routes.js';

/** The error codes RFC 6749, 7009 and 7662 define; anything else is reported as invalid_request or server_error. */
const OAUTH_CODES = new Set<string>(OAUTH_ERROR_CODES);

/** Token-service errors with RFC 6749 section 5.2 codes; other errors are left to errorResponse. */
function toOAuthError(error: unknown): unknown {
  if (isCredentialError(error)) return credentialToOAuthError(error);
  if (isHttpError(error)) {
    if (OAUTH_CODES.has(error.code)) return error;
    const code = error.status >= 500 ? 'server_error' : 'invalid_request';
    return new HttpError(error.status, code, error.message, error.headers ? { headers: error.headers } : {});
  }
  // A dependency failure becomes 503 temporarily_unavailable, anything else 500, in errorResponse.
  return error;
}

export function tokenService(router: TokenRouter = tokenRouter()) {
  return async (request: HttpRequest, rt: Runtime): Promise<HttpResponse> => {
    let response: HttpResponse;
    if (request.method === 'OPTIONS') response = preflight(request);
    else {
      try {
        response = await router.handle(request, rt);
      } catch (error) {
        response = errorResponse(toOAuthError(error), oauthErrors, request.requestId);
      }
    }
    response.headers = { ...response.headers, ...RESPONSE_HEADERS };
    return response;
  };
}
