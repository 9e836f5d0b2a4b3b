// Calls to vendors (token endpoints and APIs) go through the guarded outbound
// client; its failures become clear platform errors: 502 for a refused or
// broken exchange, 503 when the vendor cannot be reached, 504 on timeout.
import { HttpError } from '../http/errors.js';
import { OutboundError, outboundRequest, type OutboundRequest, type OutboundResponse } from '../net/outbound.js';
import type { Runtime } from '../runtime.js';

export function outboundFailure(error: OutboundError, what: string): HttpError {
  switch (error.kind) {
    case 'timeout':
      return new HttpError(504, 'vendor_timeout', `${what} did not answer in time`, { cause: error });
    case 'connect_timeout':
    case 'unreachable':
      return new HttpError(503, 'vendor_unreachable', `${what} is unreachable`, { cause: error });
    case 'blocked':
    case 'invalid_url':
      return new HttpError(502, 'vendor_url_not_allowed', `${what} URL is not allowed: ${error.message}`, { cause: error });
    case 'invalid_header':
      return new HttpError(502, 'vendor_request_invalid', `${what} could not be called: a request header is not valid HTTP`, { cause: error });
    case 'too_large':
      return new HttpError(502, 'vendor_response_too_large', `${what} answered with a response that is too large`, { cause: error });
    default:
      return new HttpError(502, 'vendor_connection_failed', `${what} closed the connection`, { cause: error });
  }
}

export async function vendorRequest(
  rt: Runtime,
  request: Omit<OutboundRequest, 'allowLoopback'>,
  what: string,
): Promise<OutboundResponse> {
  try {
    return await outboundRequest({ ...request, allowLoopback: rt.config.allowLoopback });
  } catch (error) {
    if (error instanceof OutboundError) throw outboundFailure(error, what);
    throw error;
  }
}

/** The first value of a response header. */
export function headerValue(response: OutboundResponse, name: string): string | undefined {
  const value = response.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Vendor-supplied text made safe to quote in an error: printable, bounded. */
export function vendorText(value: unknown, max = 300): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  const cleaned = value.replace(/[^\x20-\x7e]/g, ' ').trim();
  return cleaned.length > max ? `${cleaned.slice(0, max)}...` : cleaned;
}
