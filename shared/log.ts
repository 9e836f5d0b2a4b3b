// The one logger. Powertools writes structured JSON to stdout (CloudWatch on AWS).
// Rule for every call site: log what happened, never a secret, token, body or
// Authorization header; values that could carry one go through `redact`.
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

const SERVICE = process.env.POWERTOOLS_SERVICE_NAME || 'tollgate';

export const logger = new Logger({
  serviceName: SERVICE,
  logLevel: (process.env.LOG_LEVEL || process.env.POWERTOOLS_LOG_LEVEL || 'INFO') as 'INFO',
});

/**
 * Whether the access line can be written directly: Powertools' plain format
 * (no POWERTOOLS_DEV indentation, timestamps in UTC, no log sampling, as in
 * Lambda by default). Otherwise the line goes through `logger`.
 */
const DIRECT =
  !/^(1|true|yes|on)$/i.test(process.env.POWERTOOLS_DEV ?? '') &&
  (!process.env.TZ || process.env.TZ.includes('UTC')) &&
  !process.env.POWERTOOLS_LOGGER_SAMPLE_RATE;
/** As Powertools decides it: only an on-demand container has a cold start, on its first invocation. */
let coldStart = process.env.AWS_LAMBDA_INITIALIZATION_TYPE?.trim() === 'on-demand';

/** The Root part of the invocation's X-Ray trace header, as Powertools writes it. */
function xrayTraceId(): string | undefined {
  const header = process.env._X_AMZN_TRACE_ID;
  if (!header) return undefined;
  const start = header.indexOf('Root=');
  if (start < 0) return undefined;
  const end = header.indexOf(';', start);
  return header.slice(start + 5, end < 0 ? undefined : end);
}

/**
 * The one INFO line every invocation writes (the access-log fields, with the
 * EMF metrics record in it), in exactly the shape Powertools' formatter gives
 * `logger.info('request', fields)` with the Lambda context injected: the same
 * keys in the same order, then the fields. It is built with one
 * JSON.stringify and written with one stdout write; through the Logger (a log
 * item, its attribute layers, a Console) the line cost more than the rest of
 * a proxy invocation (bench:gateway, bench:token). Every other line goes
 * through `logger`. The fields must be plain values: no secret, no body.
 */
export function writeAccessLine(context: Context, fields: Record<string, unknown>): void {
  const cold = coldStart;
  coldStart = false;
  if (!DIRECT) {
    logger.info('request', fields);
    return;
  }
  const line = {
    level: 'INFO',
    message: 'request',
    timestamp: new Date().toISOString(),
    service: SERVICE,
    cold_start: cold,
    function_arn: context.invokedFunctionArn,
    function_memory_size: context.memoryLimitInMB,
    function_name: context.functionName,
    function_request_id: context.awsRequestId,
    sampling_rate: 0,
    xray_trace_id: xrayTraceId(),
    ...fields,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const SENSITIVE_KEY = /secret|token|password|authorization|credential|apikey|api_key|code_verifier|private|cookie/i;

/** Copies a plain object, replacing values under sensitive-looking keys. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    out[key] = SENSITIVE_KEY.test(key) ? '[redacted]' : redact(item, depth + 1);
  }
  return out;
}

/** The error's name and message only: messages we raise never carry secrets; stacks stay out of responses. */
export function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}
