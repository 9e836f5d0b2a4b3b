// Proxy runtime function: every path outside the reserved platform prefixes.
import { faultErrors } from '../../shared/gateway/engine/faults.js';
import { httpFunction } from '../../shared/http/lambda.js';
import { handleProxyRequest } from '../../shared/gateway/engine/proxy-request.js';
import { proxyHost } from '../../shared/gateway/host/proxy-host.js';
import { runtime } from '../../shared/runtime.js';

export const handler = httpFunction({
  name: 'proxy',
  errors: faultErrors,
  securityHeaders: false,
  handle: (request) => handleProxyRequest(proxyHost(runtime()), request),
});
