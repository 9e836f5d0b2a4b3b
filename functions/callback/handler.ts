// Callback function: the hosted OAuth redirect URI of connector instances. It
// answers browsers: a redirect back to the application, or a small error page.
import { handleOAuthCallback } from '../../shared/connectors/hosted-oauth.js';
import { httpFunction } from '../../shared/http/lambda.js';
import { runtime } from '../../shared/runtime.js';

export const handler = httpFunction({
  name: 'callback',
  errorStyle: 'platform',
  handle: (request) => handleOAuthCallback(runtime(), request),
});
