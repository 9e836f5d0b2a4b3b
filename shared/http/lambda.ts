// The middy stack every HTTP function shares: Lambda context in the logs,
// request parsing, error formatting in the function's wire shape, request ids,
// security headers, and one line per request: the access-log fields with the
// EMF metrics record in it (or either alone, as configured). What is off costs
// nothing: with the log level above INFO no access line is built, and with
// logging SILENT the Lambda context is not even attached to the logger.
import middy from '@middy/core';
import httpSecurityHeaders from '@middy/http-security-headers';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { describeError, logger, writeAccessLine } from '../log.js';
import { withDeadline } from '../net/outbound.js';
import { HttpError, isHttpError, platformErrors, type ErrorRenderer } from './errors.js';
import { RequestMetrics } from './metrics.js';
import { requestFromEvent, type HttpRequest } from './request.js';
import { toProxyResult, type HttpResponse } from './response.js';
import { dependencyUnavailable } from './unavailable.js';

export interface HttpFunctionOptions {
  name: string;
  handle: (request: HttpRequest, context: Context) => Promise<HttpResponse>;
  /**
   * Writes errors in the function's wire shape (platform JSON, Open Connectors', RFC 6749 section 5.2, or
   * Apigee fault); a function picks one per request where a function serves two APIs (the platform's).
   */
  errors: ErrorRenderer | ((request: HttpRequest) => ErrorRenderer);
  /** Headers every response to a request carries, errors included (an API's CORS and request id headers). */
  headers?: (request: HttpRequest) => Record<string, string>;
  /** Browser-hardening headers; off for the proxy runtime, which must pass backend responses through. */
  securityHeaders?: boolean;
  /** The error for a body over MAX_REQUEST_BODY_BYTES (the proxy runtime answers Apigee's). */
  bodyTooLarge?: () => HttpError;
  /**
   * How the request's deadline reaches its outbound calls: `ambient` (the
   * default) sets it around the handler with `withDeadline`, for functions
   * whose calls start deep in shared code; `explicit` leaves it in
   * `request.deadline` alone, for a function that passes it to each call
   * itself and so spares every promise the ambient context's cost.
   */
  deadline?: 'ambient' | 'explicit';
}

/** The platform's answer to a body over the limit. */
export const requestTooLarge = () => new HttpError(413, 'payload_too_large', `The request body exceeds ${MAX_REQUEST_BODY_BYTES} bytes`);

/** A path as the access log shows it: consumer keys (`.../keys/{key}`, which are API keys) masked. */
export function logPath(path: string | undefined): string | undefined {
  return path?.replace(/\/keys\/(?!create(?:\/|$))[^/]+/g, '/keys/*****');
}

/**
 * The largest request body a function takes: base64-encoded in the Lambda
 * event (about 5.6 MB) it stays under Lambda's 6 MB invocation limit, so a
 * larger one is answered 413 in the function's own shape, not by API Gateway.
 */
export const MAX_REQUEST_BODY_BYTES = 4 * 1024 * 1024;
/** Time kept back from the function's remaining time for answering: outbound calls end before it. */
export const RESPONSE_MARGIN_MS = 1_000;

/** Any error as the renderer's response: a dependency failure as a retryable 503, anything unknown as a bare 500. */
export function errorResponse(error: unknown, renderer: ErrorRenderer, requestId: string): HttpResponse {
  if (isHttpError(error)) return renderer.render(error, requestId);
  // DynamoDB or Secrets Manager throttling, failing or out of reach: the client may retry.
  const unavailable = dependencyUnavailable(error, renderer.unavailableCode);
  if (unavailable) return renderer.render(unavailable, requestId);
  logger.error('unhandled error', { error: describeError(error) });
  return renderer.render(new HttpError(500, renderer.internalCode ?? 'internal_error', 'Internal error'), requestId);
}

/** Whether the logger writes INFO lines: decided once per function, as the level comes from the environment. */
const writesInfo = () => ['TRACE', 'DEBUG', 'INFO'].includes(logger.getLevelName());

export function httpFunction(options: HttpFunctionOptions) {
  const metrics = new RequestMetrics(options.name);
  const accessLog = writesInfo();
  const explicitDeadline = options.deadline === 'explicit';
  const run = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    const started = performance.now();
    const requestId = event.requestContext?.requestId || context.awsRequestId;
    let request: HttpRequest | undefined;
    let response: HttpResponse;
    try {
      request = requestFromEvent(event);
      request.requestId = requestId;
      if (request.body.length > MAX_REQUEST_BODY_BYTES) throw (options.bodyTooLarge ?? requestTooLarge)();
      // Every outbound call of the request ends in time for Tollgate, not API Gateway, to answer.
      const handling = request;
      handling.deadline = Date.now() + context.getRemainingTimeInMillis() - RESPONSE_MARGIN_MS;
      const handle = () => options.handle(handling, context);
      response = await (explicitDeadline ? handle() : withDeadline(handling.deadline, handle));
    } catch (error) {
      const renderer = typeof options.errors === 'function' ? (request ? options.errors(request) : platformErrors) : options.errors;
      response = errorResponse(error, renderer, requestId);
    }
    response.headers = { ...response.headers, ...(request && options.headers ? options.headers(request) : {}), 'x-request-id': requestId };
    if (request?.method === 'HEAD') delete response.body;
    const ms = Math.round((performance.now() - started) * 100) / 100;
    if (accessLog) {
      const fields = { fn: options.name, method: event.httpMethod, path: logPath(request?.path ?? event.path), status: response.status, ms };
      // The logger writes `service` itself, the same name the metrics use as a dimension.
      const { service: _service, ...emf } = metrics.take(response.status, ms) ?? {};
      writeAccessLine(context, { ...fields, ...emf });
    } else metrics.record(response.status, ms);
    return toProxyResult(response);
  };
  // Never the event: it carries Authorization headers and bodies (POWERTOOLS_LOGGER_LOG_EVENT cannot turn it on).
  // No early-timeout timer per invocation: the request's deadline already ends every outbound call a
  // second before the function's time runs out, and answers Tollgate's 504 in the function's shape.
  const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>(run, { timeoutEarlyInMillis: 0 });
  if (logger.getLevelName() !== 'SILENT') handler.use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }));
  if (options.securityHeaders !== false) handler.use(httpSecurityHeaders({ poweredBy: false, reportingEndpoints: false } as Parameters<typeof httpSecurityHeaders>[0]));
  return handler;
}
