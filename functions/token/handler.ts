// Token function: the OAuth 2.0 token service (/oauth/*) and its discovery
// documents (/.well-known/*).
import { httpFunction } from '../../shared/http/lambda.js';
import { oauthErrors } from '../../shared/oauth/errors.js';
import { tokenService } from '../../shared/oauth/token-service.js';
import { runtime } from '../../shared/runtime.js';

const serve = tokenService();

export const handler = httpFunction({
  name: 'token',
  errors: oauthErrors,
  // JSON for cross-origin API clients: the token service sets its own small
  // header set (CORS, nosniff, no-store) instead of the HTML-oriented helmet
  // defaults, which cost a measurable share of a warm token request.
  securityHeaders: false,
  // The token service makes no outbound call.
  deadline: 'explicit',
  handle: (request) => serve(request, runtime()),
});
