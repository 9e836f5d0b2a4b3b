// A loopback SAP Cloud Integration tenant in the shape SAP documents: the
// management host's OData API (GET /api/v1/IntegrationRuntimeArtifacts and
// GET /api/v1/ServiceEndpoints?$expand=EntryPoints, OData V2 JSON
// `{"d":{"results":[...]}}`) behind OAuth 2.0 client credentials of the
// `api` plan, and one integration flow's HTTPS endpoint behind the client
// credentials of the `integration-flow` plan. Both token endpoints take the
// client id and secret as HTTP Basic, as SAP's do.
import { randomBytes } from 'node:crypto';
import { sendJson, startVendor, type VendorServer } from './vendor.js';

export const MANAGEMENT_CLIENT = { id: 'sb-api-plan-client', secret: 'api-plan-secret-4f1c' };
export const RUNTIME_CLIENT = { id: 'sb-iflow-plan-client', secret: 'iflow-plan-secret-9a7e' };
export const IFLOW = { id: 'API_Connectivity_Test', name: 'API Connectivity Test', path: '/http/api_connectivity_test' };
export const IFLOW_ANSWER = 'Hello world from IFlow';

export interface CloudIntegrationTenant {
  url: string;
  /** Token URLs of the api plan (management) and the integration-flow plan (runtime). */
  managementTokenUrl: string;
  runtimeTokenUrl: string;
  server: VendorServer;
  close(): Promise<void>;
}

export async function startCloudIntegration(): Promise<CloudIntegrationTenant> {
  const tokens = new Map<string, 'management' | 'runtime'>();
  const box: { url?: string } = {};
  const server = await startVendor((request, res) => {
    const issue = (client: { id: string; secret: string }, audience: 'management' | 'runtime') => {
      const basic = /^Basic (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      const [id, secret] = basic ? Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent) : [];
      if (id !== client.id || secret !== client.secret || !/grant_type=client_credentials/.test(request.body.toString())) {
        sendJson(res, 401, { error: 'invalid_client', error_description: 'Bad credentials' });
        return;
      }
      const token = randomBytes(24).toString('hex');
      tokens.set(token, audience);
      sendJson(res, 200, { access_token: token, token_type: 'bearer', expires_in: 4199, scope: 'uaa.resource', jti: randomBytes(8).toString('hex') });
    };
    const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (request.method === 'POST' && request.path === '/oauth/token') return issue(MANAGEMENT_CLIENT, 'management');
    if (request.method === 'POST' && request.path === '/runtime/oauth/token') return issue(RUNTIME_CLIENT, 'runtime');
    if (request.path.startsWith('/api/v1/')) {
      if (!bearer || tokens.get(bearer) !== 'management') return sendJson(res, 401, { error: { code: 'Unauthorized', message: { lang: 'en', value: 'Unauthorized' } } });
      if (request.path === '/api/v1/IntegrationRuntimeArtifacts') {
        return sendJson(res, 200, {
          d: {
            results: [
              { __metadata: { id: `${box.url}/api/v1/IntegrationRuntimeArtifacts('${IFLOW.id}')`, type: 'com.sap.hci.api.IntegrationRuntimeArtifact' }, Id: IFLOW.id, Version: '1.0.0', Name: IFLOW.name, Type: 'INTEGRATION_FLOW', DeployedBy: 'integration.developer@example.com', DeployedOn: '/Date(1700000000000)/', Status: 'STARTED' },
              { __metadata: { id: `${box.url}/api/v1/IntegrationRuntimeArtifacts('Shared_Mappings')`, type: 'com.sap.hci.api.IntegrationRuntimeArtifact' }, Id: 'Shared_Mappings', Version: '1.0.2', Name: 'Shared Mappings', Type: 'VALUE_MAPPING', DeployedBy: 'integration.developer@example.com', DeployedOn: '/Date(1700000000000)/', Status: 'STARTED' },
            ],
          },
        });
      }
      if (request.path === '/api/v1/ServiceEndpoints' && request.query.get('$expand') === 'EntryPoints') {
        return sendJson(res, 200, {
          d: {
            results: [
              {
                Name: IFLOW.id,
                Id: `${IFLOW.id}$endpointAddress=api_connectivity_test`,
                Title: IFLOW.name,
                Version: '1.0.0',
                Summary: '',
                Description: '',
                LastUpdated: '/Date(1700000000000)/',
                Protocol: 'REST',
                EntryPoints: { results: [{ Name: IFLOW.id, Url: `${box.url}${IFLOW.path}`, Type: 'PROD', AdditionalInformation: '' }] },
              },
            ],
          },
        });
      }
      return sendJson(res, 404, { error: { code: 'Not Found', message: { lang: 'en', value: 'Not found' } } });
    }
    if (request.path === IFLOW.path) {
      if (!bearer || tokens.get(bearer) !== 'runtime') return sendJson(res, 401, { error: 'unauthorized' });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(IFLOW_ANSWER);
      return;
    }
    sendJson(res, 404, { error: 'not found' });
  });
  box.url = server.url;
  return {
    url: server.url,
    managementTokenUrl: `${server.url}/oauth/token`,
    runtimeTokenUrl: `${server.url}/runtime/oauth/token`,
    server,
    close: () => server.close(),
  };
}
