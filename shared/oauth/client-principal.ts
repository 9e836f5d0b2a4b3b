// The `client` scheme of the token endpoints, as the router runs it: the app's
// consumer key and secret by client_secret_basic or client_secret_post. Each
// reading of the presented credentials (client-auth.ts) is tried in turn;
// the result is the authenticated, usable client.
import type { HttpRequest } from '../http/request.js';
import type { RoutePrincipal } from '../http/router.js';
import type { Consumer } from '../consumers/consumer-cache.js';
import { checkConsumerUsable } from '../consumers/lookup.js';
import type { Runtime } from '../runtime.js';
import { readClientAuthentication } from './client-auth.js';
import { CredentialError, isCredentialError } from '../credentials/errors.js';
import { readForm } from './form.js';
import { authenticateClient } from './issue.js';

export interface ClientPrincipal extends RoutePrincipal {
  via: 'client';
  /** The app credential that authenticated. */
  client: Consumer;
}

export async function authenticateClientRequest(request: HttpRequest, rt: Runtime): Promise<ClientPrincipal> {
  const { candidates } = readClientAuthentication(request, readForm(request));
  let failure: unknown;
  for (const { clientId, clientSecret } of candidates) {
    try {
      const client = await authenticateClient(rt, clientId, clientSecret);
      checkConsumerUsable(client);
      return { via: 'client', organization: client.organization, roles: {}, client };
    } catch (error) {
      if (!(isCredentialError(error) && error.reason === 'invalid_client')) throw error;
      failure = error;
    }
  }
  throw failure ?? new CredentialError('invalid_client', 'Client authentication failed');
}
