// Proxy runtime function: every path outside the reserved platform prefixes.
import { httpFunction } from '../../shared/http/lambda.js';
import { handleProxyRequest } from '../../shared/gateway/runtime.js';
import { runtime } from '../../shared/runtime.js';

export const handler = httpFunction({
  name: 'proxy',
  errorStyle: 'fault',
  securityHeaders: false,
  handle: (request, context) => handleProxyRequest(runtime(), request, context),
});
