// A vendor for connector browser tests: oidc-provider as the authorization
// server (PKCE, consent finished at once) and a loopback resource server that
// accepts only bearer tokens the provider says are active (introspection).
import { elementAuthentication, startAuthorizationServer, type AuthorizationServer } from './oauth-server.js';
import { sendJson, startVendor, type VendorServer } from './vendor.js';

export const HOSTED_CLIENT = { id: 'console-hosted-client', secret: 'console hosted secret/+&=' };
const RS_CLIENT = { id: 'resource-server', secret: 'resource-server-secret-0123' };

export interface OAuthVendor {
  as: AuthorizationServer;
  api: VendorServer;
  /** A custom element (Open Connectors JSON) for this vendor. */
  element(key: string): Record<string, unknown>;
  close(): Promise<void>;
}

export async function startOAuthVendor(platformUrl: string): Promise<OAuthVendor> {
  const box: { as?: AuthorizationServer } = {};
  const api = await startVendor(async (request, res) => {
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const introspection = bearer
      ? ((await (
          await fetch(`${box.as!.issuer}/token/introspection`, {
            method: 'POST',
            headers: { authorization: `Basic ${Buffer.from(`${RS_CLIENT.id}:${RS_CLIENT.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ token: bearer }),
          })
        ).json()) as { active: boolean; sub?: string })
      : { active: false };
    if (!introspection.active) {
      sendJson(res, 401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
      return;
    }
    sendJson(res, 200, { sub: introspection.sub, path: request.path, method: request.method });
  });
  const as = await startAuthorizationServer({
    clients: [
      {
        client_id: HOSTED_CLIENT.id,
        client_secret: HOSTED_CLIENT.secret,
        redirect_uris: [`${platformUrl}/elements/api-v2/oauth/callback`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      { client_id: RS_CLIENT.id, client_secret: RS_CLIENT.secret, redirect_uris: [], grant_types: [], response_types: [], token_endpoint_auth_method: 'client_secret_basic' },
    ],
  });
  box.as = as;
  return {
    as,
    api,
    element: (key) => ({
      key,
      name: 'Acme CRM',
      description: 'A CRM on a real OAuth 2.0 server (oidc-provider) for the console tests.',
      baseUrl: `${api.url}/api`,
      authentication: elementAuthentication(as, 'client_secret_basic'),
      resources: [
        { name: 'me', path: '/me', methods: ['GET'], description: 'The signed-in account' },
        { name: 'contacts', path: '/contacts', methods: ['GET', 'POST'] },
      ],
    }),
    async close() {
      await as.close();
      await api.close();
    },
  };
}
