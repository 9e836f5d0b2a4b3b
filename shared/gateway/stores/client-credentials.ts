// The OAuth 2.0 client credentials grant (RFC 6749 section 4.4) against a
// provider's token URL, with client_secret_basic authentication: how a
// CloudIntegration provider's target token is fetched.
import { clientSecretBasic, type ClientCredentials } from '../../http/basic-auth.js';
import { OutboundError, outboundRequest } from '../../net/outbound.js';

export interface AccessToken {
  value: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** Lifetime assumed when the token endpoint gives none. */
const DEFAULT_LIFETIME_SECONDS = 300;

/** A token, or an OutboundError when the endpoint cannot be reached or refuses. */
export async function requestClientCredentialsToken(
  tokenUrl: string,
  client: ClientCredentials,
  options: { scope?: string | undefined; allowLoopback: boolean; deadline?: number | undefined },
): Promise<AccessToken> {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (options.scope) form.set('scope', options.scope);
  const response = await outboundRequest({
    url: tokenUrl,
    method: 'POST',
    headers: { authorization: clientSecretBasic(client), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
    allowLoopback: options.allowLoopback,
    timeoutMs: 10_000,
    deadline: options.deadline,
  });
  let parsed: { access_token?: unknown; expires_in?: unknown } = {};
  try {
    parsed = JSON.parse(response.body.toString('utf8')) as typeof parsed;
  } catch {
    // handled below
  }
  if (response.status !== 200 || typeof parsed.access_token !== 'string') {
    throw new OutboundError('unreachable', `Provider token endpoint answered ${response.status}`);
  }
  const lifetime = Number(parsed.expires_in) > 0 ? Number(parsed.expires_in) : DEFAULT_LIFETIME_SECONDS;
  return { value: parsed.access_token, expiresAt: Date.now() + lifetime * 1000 };
}
