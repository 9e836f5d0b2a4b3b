// Why a credential (client secret, API key, access token) was refused. The code
// that checks credentials only says what went wrong; the token endpoint turns
// it into an RFC 6749 error and the proxy runtime into an Apigee fault.

export type CredentialFailure =
  | 'invalid_client'
  | 'invalid_key'
  | 'key_expired'
  | 'key_revoked'
  | 'app_not_approved'
  | 'developer_inactive'
  | 'invalid_token'
  | 'token_expired'
  | 'token_revoked'
  | 'insufficient_scope'
  | 'invalid_scope';

export class CredentialError extends Error {
  constructor(
    readonly reason: CredentialFailure,
    message: string,
  ) {
    super(message);
    this.name = 'CredentialError';
  }
}

export function isCredentialError(error: unknown): error is CredentialError {
  return error instanceof CredentialError;
}
