// Proxy runtime function: every path of the runtime plane, per environment (the stage's `environment` variable).
import { faultErrors } from '../../shared/gateway/engine/faults.js';
import { HttpError } from '../../shared/http/errors.js';
import { httpFunction, MAX_REQUEST_BODY_BYTES } from '../../shared/http/lambda.js';
import { handleProxyRequest } from '../../shared/gateway/engine/proxy-request.js';
import { environmentOf, proxyHost } from '../../shared/gateway/host/proxy-host.js';
import { drainOnSigterm, runtime } from '../../shared/runtime.js';

/** Apigee faults: also how the local runtime plane refuses what never reaches the function. */
export const errors = faultErrors;

/** Apigee's answer to a request body it will not buffer. */
export const requestTooLarge = () => new HttpError(413, 'protocol.http.TooBigBody', `Request payload exceeds ${MAX_REQUEST_BODY_BYTES} bytes`);

export const handler = httpFunction({
  name: 'proxy',
  errors,
  securityHeaders: false,
  bodyTooLarge: requestTooLarge,
  // The engine hands the request's deadline to the target and every policy callout.
  deadline: 'explicit',
  handle: (request) => {
    const rt = runtime();
    return handleProxyRequest(proxyHost(rt, environmentOf(rt, request)), request);
  },
});

// Buffered analytics records (and captured traces) are written before Lambda retires the container.
drainOnSigterm();
