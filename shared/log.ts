// The one logger. Powertools writes structured JSON to stdout (CloudWatch on AWS).
// Rule for every call site: log what happened, never a secret, token, body or
// Authorization header; values that could carry one go through `redact`.
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'tollgate',
  logLevel: (process.env.LOG_LEVEL || process.env.POWERTOOLS_LOG_LEVEL || 'INFO') as 'INFO',
});

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
