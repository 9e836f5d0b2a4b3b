// The token function: the token service's routes (token-routes.ts) with CORS
// on every answer, preflights included (cors.ts), and every error in RFC 6749
// section 5.2's shape.
import { describeError, logger } from '../log.js';
import { HttpError, isHttpError } from '../http/errors.js';
import { errorResponse } from '../http/lambda.js';
import { unavailableError } from '../http/unavailable.js';
import type { HttpRequest } from '../http/request.js';
import type { HttpResponse } from '../http/response.js';
import type { Runtime } from '../runtime.js';
import { preflight, RESPONSE_HEADERS } from './cors.js';
import { isCredentialError } from '../credentials/errors.js';
import { credentialToOAuthError, OAUTH_ERROR_CODES, oauthErrors } from './errors.js';
import { tokenRouter, type TokenRouter } from './token-routes.js';

/** The error codes RFC 6749, 7009 and 7662 define; anything else is reported as invalid_request or server_error. */
const OAUTH_CODES = new Set<string>(OAUTH_ERROR_CODES);

/** Any error as an RFC 6749 section 5.2 error: stable codes, no internals. */
function toOAuthError(error: unknown): HttpError {
  if (isCredentialError(error)) return credentialToOAuthError(error);
  if (isHttpError(error)) {
    if (OAUTH_CODES.has(error.code)) return error;
    const code = error.status >= 500 ? 'server_error' : 'invalid_request';
    return new HttpError(error.status, code, error.message, error.headers ? { headers: error.headers } : {});
  }
  const unavailable = unavailableError(error);
  if (unavailable) {
    logger.warn('dependency unavailable', { error: describeError(error) });
    return new HttpError(503, 'temporarily_unavailable', unavailable.message, unavailable.headers ? { headers: unavailable.headers } : {});
  }
  logger.error('unhandled error', { error: describeError(error) });
  return new HttpError(500, 'server_error', 'Internal error');
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
