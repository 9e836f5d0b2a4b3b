// Faults: what a policy, the router or the target call raises to leave the
// normal flow. The client sees Apigee's fault JSON unless a FaultRule or
// RaiseFault shapes the response.
import type { ErrorRenderer } from '../../http/errors.js';
import { json } from '../../http/response.js';
import type { Message } from './message.js';

export class Fault extends Error {
  /** `fault.name`, e.g. `SpikeArrestViolation`. */
  readonly faultName: string;
  /** Apigee error code, e.g. `policies.ratelimit.SpikeArrestViolation`. */
  readonly errorCode: string;
  readonly status: number;
  /** Headers to add to the default fault response (e.g. WWW-Authenticate). */
  readonly headers: Record<string, string>;
  /** A complete response prepared by RaiseFault; sent instead of the fault JSON. */
  response?: Message;
  /** The policy that raised it, if any. */
  policyName?: string;

  constructor(
    faultName: string,
    errorCode: string,
    status: number,
    message: string,
    options: { headers?: Record<string, string>; policyName?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'Fault';
    this.faultName = faultName;
    this.errorCode = errorCode;
    this.status = status;
    this.headers = options.headers ?? {};
    if (options.policyName) this.policyName = options.policyName;
  }
}

export function isFault(error: unknown): error is Fault {
  return error instanceof Fault;
}

/** Apigee's fault JSON: `{"fault":{"faultstring","detail":{"errorcode"}}}`. */
function faultJson(message: string, errorCode: string) {
  return { fault: { faultstring: message, detail: { errorcode: errorCode } } };
}

/** Apigee's default fault body. */
export function faultBody(fault: Pick<Fault, 'message' | 'errorCode'>): string {
  return JSON.stringify(faultJson(fault.message, fault.errorCode));
}

/** Errors of the proxy function outside any flow (no proxy for the path, a failing store) as Apigee faults. */
export const faultErrors: ErrorRenderer = {
  unavailableCode: 'messaging.runtime.ServiceUnavailable',
  render: (error) => json(error.status, faultJson(error.message, error.code), error.headers ?? {}),
};
