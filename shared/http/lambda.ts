// The middy stack every HTTP function shares: Lambda context in the logs,
// request parsing, error formatting in the function's wire shape, request ids,
// security headers, one access-log line and one metrics record per request.
import middy from '@middy/core';
import httpSecurityHeaders from '@middy/http-security-headers';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { describeError, logger } from '../log.js';
import { HttpError, isHttpError } from './errors.js';
import { RequestMetrics } from './metrics.js';
import { requestFromEvent, type HttpRequest } from './request.js';
import { json, toProxyResult, type HttpResponse } from './response.js';
import { unavailableError } from './unavailable.js';

/** Wire shape of errors: platform JSON, Open Connectors' (connectors API), RFC 6749 section 5.2, or Apigee fault. */
export type ErrorStyle = 'platform' | 'connectors' | 'oauth' | 'fault';

export interface HttpFunctionOptions {
  name: string;
  handle: (request: HttpRequest, context: Context) => Promise<HttpResponse>;
  /** One style, or one per request (a function serving two APIs); `platform` when the request cannot be read. */
  errorStyle: ErrorStyle | ((request: HttpRequest) => ErrorStyle);
  /** Headers every response to this request carries, errors included (CORS, request ids of an API's own). */
  headers?: (request: HttpRequest) => Record<string, string>;
  /** Browser-hardening headers; off for the proxy runtime, which must pass backend responses through. */
  securityHeaders?: boolean;
}

/** The error code of a 503 for a dependency failure, where a style has its own (RFC 6749, Apigee). */
const UNAVAILABLE_CODES: Partial<Record<ErrorStyle, string>> = {
  oauth: 'temporarily_unavailable',
  fault: 'messaging.runtime.ServiceUnavailable',
};

function withCode(error: HttpError, code: string): HttpError {
  return new HttpError(error.status, code, error.message, error.headers ? { headers: error.headers } : {});
}

export function errorResponse(error: unknown, style: ErrorStyle, requestId: string): HttpResponse {
  if (!isHttpError(error)) {
    // DynamoDB or Secrets Manager throttling, failing or out of reach: the client may retry.
    const unavailable = unavailableError(error);
    if (unavailable) {
      logger.warn('dependency unavailable', { error: describeError(error) });
      return errorResponse(UNAVAILABLE_CODES[style] ? withCode(unavailable, UNAVAILABLE_CODES[style]) : unavailable, style, requestId);
    }
    logger.error('unhandled error', { error: describeError(error) });
    return errorResponse(new HttpError(500, 'internal_error', 'Internal error'), style, requestId);
  }
  const extraHeaders = error.headers ?? {};
  if (style === 'oauth') {
    return json(error.status, { error: error.code, error_description: error.message }, {
      'cache-control': 'no-store',
      ...extraHeaders,
    });
  }
  if (style === 'connectors') {
    const body: Record<string, unknown> = { requestId, message: error.message, code: error.code };
    if (error.providerMessage !== undefined) body.providerMessage = error.providerMessage;
    if (error.fields?.length) body.fields = error.fields;
    return json(error.status, body, extraHeaders);
  }
  if (style === 'fault') {
    return json(error.status, { fault: { faultstring: error.message, detail: { errorcode: error.code } } }, extraHeaders);
  }
  const body: Record<string, unknown> = { code: error.code, message: error.message };
  if (error.fields?.length) body.fields = error.fields;
  return json(error.status, { error: body, requestId }, extraHeaders);
}

export function httpFunction(options: HttpFunctionOptions) {
  const metrics = new RequestMetrics(options.name);
  const run = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    const started = performance.now();
    const requestId = event.requestContext?.requestId || context.awsRequestId;
    let request: HttpRequest | undefined;
    let response: HttpResponse;
    try {
      request = requestFromEvent(event);
      request.requestId = requestId;
      response = await options.handle(request, context);
    } catch (error) {
      const style = typeof options.errorStyle === 'function' ? (request ? options.errorStyle(request) : 'platform') : options.errorStyle;
      response = errorResponse(error, style, requestId);
    }
    response.headers = { ...response.headers, ...(request && options.headers ? options.headers(request) : {}), 'x-request-id': requestId };
    if (request?.method === 'HEAD') delete response.body;
    const ms = Math.round((performance.now() - started) * 100) / 100;
    logger.info('request', {
      fn: options.name,
      method: event.httpMethod,
      path: request?.path ?? event.path,
      status: response.status,
      ms,
    });
    metrics.record(response.status, ms);
    return toProxyResult(response);
  };
  // Never the event: it carries Authorization headers and bodies (POWERTOOLS_LOGGER_LOG_EVENT cannot turn it on).
  const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>(run).use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }));
  if (options.securityHeaders !== false) handler.use(httpSecurityHeaders({ poweredBy: false, reportingEndpoints: false } as Parameters<typeof httpSecurityHeaders>[0]));
  return handler;
}
