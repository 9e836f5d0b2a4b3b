// Token function: the OAuth 2.0 token service (/oauth/*) and its discovery
// documents (/.well-known/*).
import { httpFunction } from '../../shared/http/lambda.js';
import { tokenService } from '../../shared/oauth/token-service.js';
import { runtime } from '../../shared/runtime.js';

const serve = tokenService();

export const handler = httpFunction({
  name: 'token',
  errorStyle: 'oauth',
  handle: (request) => serve(request, runtime()),
});
