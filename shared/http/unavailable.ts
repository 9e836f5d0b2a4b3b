// Failures of the services a request depends on (DynamoDB, Secrets Manager)
// that mean "try again shortly", not "this request is wrong" and not "Tollgate
// is broken": throttling, the service's own errors, timeouts and connections
// that fail. Every function answers them with 503 and Retry-After instead of a
// 500, in its own wire shape. Recognized by shape (the AWS SDK's `$metadata`,
// error names and Node's network error codes), so no AWS type leaks in here.
import { describeError, logger } from '../log.js';
import { HttpError } from './errors.js';

/** Error names AWS services use for throttling and for their own transient failures. */
const TRANSIENT_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'TransactionConflictException',
  'InternalServerError',
  'InternalFailure',
  'InternalServiceError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** Node and smithy network failures: the service could not be reached or the connection broke. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);

/** Seconds a client should wait before retrying. */
export const RETRY_AFTER_SECONDS = 1;
export const UNAVAILABLE_MESSAGE = 'The service is temporarily unavailable; retry shortly';

interface ServiceErrorShape {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $metadata?: unknown;
  $retryable?: unknown;
}

/** True when the error says a dependency is throttling, failing or unreachable right now. */
export function isDependencyUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const shape = error as ServiceErrorShape;
  if (typeof shape.name === 'string' && TRANSIENT_NAMES.has(shape.name)) return true;
  if (typeof shape.code === 'string' && NETWORK_CODES.has(shape.code)) return true;
  // An AWS SDK service error the service itself blames on its side, or marks retryable.
  if (shape.$metadata !== undefined && (shape.$fault === 'server' || shape.$retryable !== undefined)) return true;
  return false;
}

/** The 503 to answer with when `error` is a dependency failure (in a style's own code); undefined for anything else. */
export function unavailableError(error: unknown, code = 'service_unavailable'): HttpError | undefined {
  if (!isDependencyUnavailable(error)) return undefined;
  return new HttpError(503, code, UNAVAILABLE_MESSAGE, {
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
    cause: error,
  });
}

/** Like `unavailableError`, and says so in the log (a warning: the client may retry). */
export function dependencyUnavailable(error: unknown, code?: string, context: Record<string, unknown> = {}): HttpError | undefined {
  const unavailable = unavailableError(error, code);
  if (unavailable) logger.warn('dependency unavailable', { ...context, error: describeError(error) });
  return unavailable;
}
