// Entry of the proxy runtime: finds the deployed proxy for a request path.
import type { Context } from 'aws-lambda';
import { isReservedPath } from '../http/api-routes.js';
import { HttpError } from '../http/errors.js';
import { errorResponse } from '../http/lambda.js';
import type { HttpRequest } from '../http/request.js';
import type { HttpResponse } from '../http/response.js';
import type { Runtime } from '../runtime.js';

export async function handleProxyRequest(rt: Runtime, request: HttpRequest, _context: Context): Promise<HttpResponse> {
  if (isReservedPath(request.path)) {
    // A reserved prefix that no platform route serves (for example `/v1` alone).
    return errorResponse(new HttpError(404, 'not_found', `No route for ${request.method} ${request.path}`), 'platform', request.requestId);
  }
  throw new HttpError(
    404,
    'messaging.adaptors.http.flow.ApplicationNotFound',
    `Unable to identify proxy for host: ${rt.config.runtimeEnvironment} and url: ${request.path}`,
  );
}
