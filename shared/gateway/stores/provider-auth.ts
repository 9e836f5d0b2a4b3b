// What calls to an API provider carry: `Basic` with its user and password, or
// a `Bearer` token it fetched with the OAuth 2.0 client credentials grant
// (CloudIntegration), cached per container until 60 s before it expires.
// Concurrent calls share one fetch; a changed or re-created provider (a new
// record version or write time) fetches a new token.
import { TtlCache } from '../../cache/ttl-cache.js';
import { basicAuthorization } from '../../http/basic-auth.js';
import { badRequest } from '../../http/errors.js';
import type { Runtime } from '../../runtime.js';
import { requestClientCredentialsToken, type AccessToken } from './client-credentials.js';
import { resolveProvider, type ResolvedProvider } from './providers.js';

/** A target token is used until this long before it expires. */
const TOKEN_EXPIRY_MARGIN_MS = 60_000;

function tokenCache(rt: Runtime): TtlCache<string, AccessToken> {
  return rt.service('gateway.provider-tokens', () => new TtlCache<string, AccessToken>({ ttlMs: 0, maxEntries: 1_000 }));
}

/** The Authorization value for calls to the provider, if it has one; an OutboundError when its token cannot be fetched. */
export async function providerAuthorization(rt: Runtime, org: string, name: string, deadline?: number): Promise<string | undefined> {
  const provider = await resolveProvider(rt, org, name);
  const auth = provider.item.authentication;
  if (auth.type === 'OAuth2ClientCredentials') return `Bearer ${(await targetToken(rt, org, provider, deadline)).value}`;
  if (auth.type === 'Basic' && auth.username && provider.secrets.password) return basicAuthorization(auth.username, provider.secrets.password);
  return undefined;
}

/** The cached token, or one fetched by `deadline` (the caller's that starts the fetch; concurrent callers share it). */
function targetToken(rt: Runtime, org: string, provider: ResolvedProvider, deadline: number | undefined): Promise<AccessToken> {
  const { item, secrets } = provider;
  const auth = item.authentication;
  return tokenCache(rt).get(
    `${org}\n${item.name}\n${item.version}\n${item.updatedAt}`,
    async () => {
      if (!auth.tokenUrl || !auth.clientId || !secrets.clientSecret) throw badRequest('Provider has no client credentials');
      return requestClientCredentialsToken(
        auth.tokenUrl,
        { clientId: auth.clientId, clientSecret: secrets.clientSecret },
        { scope: auth.scope, allowLoopback: rt.config.allowLoopback, deadline },
      );
    },
    (token) => token.expiresAt - TOKEN_EXPIRY_MARGIN_MS - Date.now(),
  );
}
