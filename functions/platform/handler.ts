// Platform function: the management API (Apigee Edge paths), the connectors
// API (Open Connectors paths) and the health check. Connector events it
// records (webhooks) reach the formulas bound to their instance.
import { connectorErrors, connectorHeaders, isConnectorsPath } from '../../shared/connectors/http.js';
import { withFormulaTriggers } from '../../shared/formulas/triggers.js';
import { platformErrors } from '../../shared/http/errors.js';
import { oauthErrors } from '../../shared/oauth/errors.js';
import { isLoginPath } from '../../shared/platform/login-route.js';
import { httpFunction } from '../../shared/http/lambda.js';
import { platformRouter } from '../../shared/platform/platform-router.js';
import { drainOnSigterm, runtime } from '../../shared/runtime.js';

const router = platformRouter();

export const handler = httpFunction({
  name: 'platform',
  // The connectors API answers in Open Connectors' shape, with its headers, errors included.
  // The management login answers as an OAuth token endpoint (RFC 6749's errors).
  errors: (request) => (isConnectorsPath(request.path) ? connectorErrors : isLoginPath(request.path) ? oauthErrors : platformErrors),
  headers: (request) => (isConnectorsPath(request.path) ? connectorHeaders(request) : {}),
  handle: (request) => router.handle(request, withFormulaTriggers(runtime())),
});

// Buffered analytics records (and captured traces) are written before Lambda retires the container.
drainOnSigterm();
