// Proxy runtime function: every path of the runtime plane, per environment (the stage's `environment` variable).
import { faultErrors } from '../../shared/gateway/engine/faults.js';
import { httpFunction } from '../../shared/http/lambda.js';
import { handleProxyRequest } from '../../shared/gateway/engine/proxy-request.js';
import { environmentOf, proxyHost } from '../../shared/gateway/host/proxy-host.js';
import { runtime } from '../../shared/runtime.js';

export const handler = httpFunction({
  name: 'proxy',
  errors: faultErrors,
  securityHeaders: false,
  handle: (request) => {
    const rt = runtime();
    return handleProxyRequest(proxyHost(rt, environmentOf(rt, request)), request);
  },
});
