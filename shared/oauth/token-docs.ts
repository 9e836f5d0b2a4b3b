// What the token endpoints read and answer, for the API description only: they
// parse their forms themselves, with RFC 6749's rules (one value per parameter,
// body or query for grant_type and scope, credentials never in the query).
// Built with the document, so they cost the token function's cold start nothing.
import * as z from 'zod';
import { lazySchema, type DocSchema } from '../http/router.js';

const clientCredentialsFields = () => ({
  client_id: z.string().optional().describe('client_secret_post: the app\'s consumer key. Leave out with HTTP Basic.'),
  client_secret: z.string().optional().describe('client_secret_post: the app\'s consumer secret. Leave out with HTTP Basic.'),
});
export const tokenRequest = lazySchema(() =>
  z.object({
    grant_type: z.literal('client_credentials').describe('Also accepted in the query string (SAP clients send it there).'),
    scope: z.string().optional().describe('Space-separated subset of the scopes of the app\'s products; blank or absent: all of them.'),
    ...clientCredentialsFields(),
  }),
);
export const tokenResponse = lazySchema(() =>
  z.object({
    access_token: z.string().describe('ES256-signed JWT; `kid` in its header names the key in the JWKS.'),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().describe('Seconds; 3600 unless the app\'s products say otherwise.'),
    scope: z.string(),
  }),
);
export const tokenOperand = lazySchema(() =>
  z.object({
    token: z.string().describe('The access token.'),
    token_type_hint: z.string().optional().describe('Ignored: only access tokens exist.'),
    ...clientCredentialsFields(),
  }),
);
export const introspection = lazySchema(() =>
  z
    .object({
      active: z.boolean(),
      token_type: z.literal('Bearer').optional(),
      client_id: z.string().optional(),
      scope: z.string().optional(),
      exp: z.number().int().optional(),
      iat: z.number().int().optional(),
      iss: z.string().optional(),
      jti: z.string().optional(),
    })
    .catchall(z.unknown())
    .describe('RFC 7662 response; only `{"active":false}` for expired, revoked, forged or other organizations\' tokens.'),
);
export const jwks = lazySchema(() =>
  z
    .object({ keys: z.array(z.record(z.string(), z.unknown())) })
    .describe('RFC 7517 JWK Set of the public signing keys, retired ones included until their tokens expire.'),
);
export const formBody = (schema: DocSchema) => ({ 'application/x-www-form-urlencoded': schema });

