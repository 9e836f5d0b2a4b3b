// What the load benchmarks configure in a fresh Tollgate through its
// management API, as a user would: an API product, a developer and an app, an
// encrypted KVM, and two proxies to the given backend deployed to prod:
//   /load  SpikeArrest (high rate) + OAuthV2 VerifyAccessToken + KVM Get + AssignMessage
//   /plain no policies
// Returns the admin credentials, the app's Basic credentials and a token.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from './processes.js';

export interface GatewaySetup {
  /** The organization administrator's Authorization header. */
  auth: string;
  /** `Basic` credentials of the app (client_secret_basic). */
  basic: string;
  accessToken: string;
}

export const TOKEN_FORM = 'grant_type=client_credentials';

export async function setUpGateway(url: string, dataDir: string, backend: string): Promise<GatewaySetup> {
  const stored = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as Record<string, string>;
  const auth = `User ${stored['orgs/default/user-secret']}, Organization ${stored['orgs/default/organization-secret']}`;
  const org = `${url}/v1/organizations/default`;
  const headers = { authorization: auth };

  await request(`${org}/apiproducts`, { method: 'POST', headers, json: { name: 'load', scopes: ['read'] } });
  await request(`${org}/developers`, { method: 'POST', headers, json: { email: 'load@example.com', firstName: 'Load', lastName: 'Test', userName: 'load' } });
  const app = await request(`${org}/developers/load@example.com/apps`, { method: 'POST', headers, json: { name: 'load', apiProducts: ['load'] } });
  const { consumerKey, consumerSecret } = app.json.credentials[0] as { consumerKey: string; consumerSecret: string };
  const basic = `Basic ${Buffer.from(`${consumerKey}:${consumerSecret}`).toString('base64')}`;
  await request(`${org}/environments/prod/keyvaluemaps`, { method: 'POST', headers, json: { name: 'load-settings', encrypted: true, entry: [{ name: 'backend-key', value: 'k-123' }] } });
  const proxies = [
    {
      name: 'load',
      policies: [
        { name: 'spike', type: 'SpikeArrest', config: { rate: '100000ps', useEffectiveCount: true } },
        { name: 'verify', type: 'OAuthV2', config: { operation: 'VerifyAccessToken' } },
        { name: 'settings', type: 'KeyValueMapOperations', config: { mapIdentifier: 'load-settings', operations: [{ op: 'get', key: { parameters: [{ value: 'backend-key' }] }, assignTo: 'private.key' }] } },
        { name: 'prepare', type: 'AssignMessage', config: { set: { headers: [{ name: 'x-api-key', value: '{private.key}' }, { name: 'x-client', value: '{client_id}' }] }, remove: { headers: ['authorization'] } } },
      ],
      proxyEndpoints: [{ basePath: '/load', preFlow: { request: [{ name: 'spike' }, { name: 'verify' }, { name: 'settings' }, { name: 'prepare' }], response: [] } }],
      targetEndpoints: [{ name: 'default', connection: { url: backend } }],
    },
    { name: 'plain', policies: [], proxyEndpoints: [{ basePath: '/plain' }], targetEndpoints: [{ name: 'default', connection: { url: backend } }] },
  ];
  for (const proxy of proxies) {
    const created = await request(`${org}/apis`, { method: 'POST', headers, json: proxy });
    await request(`${org}/environments/prod/apis/${proxy.name}/revisions/${created.json.revision}/deployments`, { method: 'POST', headers });
  }
  const token = await request(`${url}/oauth/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: TOKEN_FORM });
  return { auth, basic, accessToken: token.json.access_token as string };
}
