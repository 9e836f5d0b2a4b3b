// A real OAuth 2.0 authorization server for tests: oidc-provider on a loopback
// port, with PKCE required, rotating refresh tokens, a short access-token
// lifetime the test can change, and login and consent finished
// programmatically (the `interactions.url` handler answers them at once, or
// denies when told to). Every request to the token endpoint is recorded, so a
// test can count refreshes exactly. `authorize` plays the browser: it follows
// the redirects with a cookie jar until the provider sends it elsewhere.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type ClientMetadata } from 'oidc-provider';

export interface TokenEndpointRequest {
  grantType: string | undefined;
  clientAuth: 'basic' | 'post' | 'none';
  status: number;
}

export interface AuthorizationServerOptions {
  clients: ClientMetadata[];
  accountId?: string;
}

export interface AuthorizationServer {
  issuer: string;
  provider: Provider;
  tokenRequests: TokenEndpointRequest[];
  /** Every access and refresh token value the provider issued. */
  issuedTokens: string[];
  /** Grant ids by client id, as consented. */
  grants: Map<string, string>;
  /** Access token lifetime in seconds for tokens issued from now on. */
  accessTokenTtl: number;
  /** What the user answers on the next consent. */
  decision: 'grant' | 'deny';
  refreshCount(): number;
  /** Follows the authorization URL like a browser; resolves with the first URL outside the provider. */
  authorize(authorizationUrl: string): Promise<URL>;
  close(): Promise<void>;
}

export async function startAuthorizationServer(options: AuthorizationServerOptions): Promise<AuthorizationServer> {
  // The issuer needs the port, so the server listens before the provider exists.
  const box: { provider?: Provider } = {};
  const server = createServer((req, res) => {
    const provider = box.provider;
    if (!provider) {
      res.writeHead(503).end();
      return;
    }
    if (req.url?.startsWith('/interaction/')) {
      interaction(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      });
      return;
    }
    provider.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const state: AuthorizationServer = {
    issuer,
    provider: undefined as unknown as Provider,
    tokenRequests: [],
    issuedTokens: [],
    grants: new Map(),
    accessTokenTtl: 3600,
    decision: 'grant',
    refreshCount: () => state.tokenRequests.filter((entry) => entry.grantType === 'refresh_token').length,
    authorize,
    close,
  };

  const provider = new Provider(issuer, {
    clients: options.clients,
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      introspection: { enabled: true },
      revocation: { enabled: true },
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    ttl: {
      AccessToken: () => state.accessTokenTtl,
      AuthorizationCode: 60,
      RefreshToken: 3600,
      Grant: 3600,
      Session: 3600,
      Interaction: 600,
      IdToken: 600,
    },
    scopes: ['openid', 'offline_access'],
    cookies: { keys: ['test-cookie-signing-key-0123456789'] },
  });
  state.provider = provider;
  box.provider = provider;

  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && ctx.method === 'POST') {
      const body = (ctx.oidc?.body ?? {}) as Record<string, unknown>;
      state.tokenRequests.push({
        grantType: typeof body.grant_type === 'string' ? body.grant_type : undefined,
        clientAuth: ctx.get('authorization') ? 'basic' : typeof body.client_secret === 'string' ? 'post' : 'none',
        status: ctx.status,
      });
    }
  });
  provider.on('access_token.saved', (token: { jti: string }) => state.issuedTokens.push(token.jti));
  provider.on('refresh_token.saved', (token: { jti: string }) => state.issuedTokens.push(token.jti));

  async function interaction(req: IncomingMessage, res: ServerResponse) {
    const details = await provider.interactionDetails(req, res);
    if (state.decision === 'deny') {
      await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The user denied access' }, { mergeWithLastSubmission: false });
      return;
    }
    if (details.prompt.name === 'login') {
      await provider.interactionFinished(req, res, { login: { accountId: options.accountId ?? 'user-1' } }, { mergeWithLastSubmission: false });
      return;
    }
    const clientId = String(details.params.client_id);
    const grant = details.grantId
      ? (await provider.Grant.find(details.grantId))!
      : new provider.Grant({ accountId: details.session!.accountId, clientId });
    const missing = details.prompt.details.missingOIDCScope as string[] | undefined;
    if (missing?.length) grant.addOIDCScope(missing.join(' '));
    const grantId = await grant.save();
    state.grants.set(clientId, grantId);
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  const cookies = new Map<string, string>();
  async function authorize(authorizationUrl: string): Promise<URL> {
    let url = new URL(authorizationUrl);
    for (let hop = 0; hop < 10; hop++) {
      if (url.origin !== issuer) return url;
      const response = await fetch(url, {
        redirect: 'manual',
        headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
      });
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const index = pair!.indexOf('=');
        const name = pair!.slice(0, index);
        const value = pair!.slice(index + 1);
        if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') cookies.delete(name);
        else cookies.set(name, value);
      }
      const location = response.headers.get('location');
      await response.arrayBuffer();
      if (!location || response.status < 300 || response.status >= 400) {
        throw new Error(`Authorization server answered ${response.status} without a redirect at ${url.pathname}`);
      }
      url = new URL(location, url);
    }
    throw new Error('Too many redirects at the authorization server');
  }

  async function close() {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  return state;
}

/** The `authentication` of an Open Connectors element whose vendor is this server (PKCE, refresh, consent every time). */
export function elementAuthentication(as: AuthorizationServer, clientAuth: 'client_secret_basic' | 'client_secret_post'): Record<string, unknown> {
  return {
    type: 'oauth2',
    authorizationUrl: `${as.issuer}/auth`,
    tokenUrl: `${as.issuer}/token`,
    scopes: ['openid', 'offline_access'],
    pkce: true,
    clientAuth,
    refresh: true,
    authorizationParams: { prompt: 'consent' },
    issuer: as.issuer,
  };
}
