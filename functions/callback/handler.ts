// Callback function: the hosted OAuth redirect URI of connector instances. It
// answers browsers: a redirect back to the application, or a small error page.
import { callbackRouter } from '../../shared/connectors/callback-routes.js';
import { connectorErrors, connectorHeaders } from '../../shared/connectors/http.js';
import { httpFunction } from '../../shared/http/lambda.js';
import { runtime } from '../../shared/runtime.js';

const router = callbackRouter();

export const handler = httpFunction({
  name: 'callback',
  errors: connectorErrors,
  headers: connectorHeaders,
  handle: (request) => router.handle(request, runtime()),
});
