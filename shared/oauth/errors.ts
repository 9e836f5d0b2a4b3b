// The token service's errors: RFC 6749 section 5.2 (and RFC 7009, 7662) codes,
// their wire shape, and the mapping of a refused credential onto them.
import type { CredentialError } from '../credentials/errors.js';
import { HttpError, type ErrorRenderer } from '../http/errors.js';
import { json } from '../http/response.js';

/** The error codes RFC 6749, 7009 and 7662 define. */
export const OAUTH_ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'unsupported_token_type',
  'server_error',
  'temporarily_unavailable',
] as const;

/** RFC 6749 section 5.2's error body, never cached. */
export const oauthErrors: ErrorRenderer = {
  unavailableCode: 'temporarily_unavailable',
  internalCode: 'server_error',
  render: (error) =>
    json(error.status, { error: error.code, error_description: error.message }, { 'cache-control': 'no-store', ...error.headers }),
};

/** The challenge RFC 6749 section 5.2 asks for with a 401 `invalid_client`. */
export const BASIC_CHALLENGE = 'Basic realm="tollgate", charset="UTF-8"';

/** An RFC 6749 section 5.2 error for the token, introspection and revocation endpoints. */
export function oauthError(status: number, code: string, description: string, headers?: Record<string, string>): HttpError {
  return new HttpError(status, code, description, headers ? { headers } : {});
}

export const invalidRequest = (description: string) => oauthError(400, 'invalid_request', description);

export const invalidClient = (description = 'Client authentication failed') =>
  oauthError(401, 'invalid_client', description, { 'www-authenticate': BASIC_CHALLENGE });

/** Maps a refused credential to the token endpoint's RFC 6749 error. */
export function credentialToOAuthError(error: CredentialError): HttpError {
  switch (error.reason) {
    case 'invalid_scope':
      return oauthError(400, 'invalid_scope', error.message);
    case 'invalid_token':
    case 'token_expired':
    case 'token_revoked':
    case 'insufficient_scope':
      return oauthError(400, 'invalid_request', error.message);
    default:
      // Unknown, revoked or expired keys, unapproved apps and inactive developers
      // all mean the client cannot authenticate.
      return invalidClient(error.message);
  }
}
