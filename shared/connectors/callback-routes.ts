// The callback function's routes: the redirect URI Tollgate hosts for
// connector OAuth (hosted mode of GET /elements/api-v2/elements/{key}/oauth/url).
import * as z from 'zod';
import { lazySchema, Router } from '../http/router.js';
import type { Runtime } from '../runtime.js';
import { CALLBACK_PATH, handleOAuthCallback } from './hosted-oauth.js';

/** The authorization response (RFC 6749 4.1.2 and 4.1.2.1, RFC 9207 `iss`): in the query, or a form body with response_mode=form_post. */
const authorizationResponse = lazySchema(() =>
  z.object({
    state: z.string().describe('The state Tollgate sent to the vendor.'),
    code: z.string().optional().describe('The authorization code.'),
    error: z.string().optional().describe('The vendor\'s refusal, e.g. `access_denied`.'),
    error_description: z.string().optional(),
    iss: z.string().optional().describe('The authorization server\'s issuer (RFC 9207); checked when the element names one.'),
  }),
);

const callbackDoc = {
  responses: {
    302: {
      description:
        'Back to the application\'s `returnUrl` with `instanceId` and `state`, or with `error`, `error_description` and `state` when the ' +
        'vendor refused or the code exchange failed.',
      headers: { Location: 'The application\'s returnUrl with the result in the query.' },
    },
    400: {
      description: 'No usable state (unknown, expired or already used): an `Error` JSON body, or a small HTML page when the browser accepts text/html.',
      type: 'text/html',
    },
  },
} as const;

export function callbackRouter(): Router<Runtime> {
  const router = new Router<Runtime>({ tag: 'Hosted OAuth', auth: 'none', errors: 'connectors' });
  router.get(
    CALLBACK_PATH,
    {
      ...callbackDoc,
      operationId: 'completeConnectorAuthorization',
      summary: 'Vendor OAuth redirect URI (hosted mode)',
      description:
        'The vendor sends the browser here after consent. Tollgate claims the single-use state, exchanges the code (with the PKCE ' +
        'verifier), creates or re-authenticates the instance and redirects to the application.',
      query: {
        state: { description: 'The state Tollgate sent to the vendor.', required: true },
        code: { description: 'The authorization code.' },
        error: { description: 'The vendor\'s refusal, e.g. `access_denied`.' },
        error_description: { description: 'The vendor\'s explanation of the refusal.' },
        iss: { description: 'The authorization server\'s issuer (RFC 9207).' },
      },
    },
    (request, rt) => handleOAuthCallback(rt, request),
  );
  router.post(
    CALLBACK_PATH,
    {
      ...callbackDoc,
      operationId: 'completeConnectorAuthorizationFormPost',
      summary: 'Vendor OAuth redirect URI, response_mode=form_post',
      description: 'The same as the GET form, with the authorization response in a form body.',
      bodies: { 'application/x-www-form-urlencoded': authorizationResponse },
    },
    (request, rt) => handleOAuthCallback(rt, request),
  );
  return router;
}
