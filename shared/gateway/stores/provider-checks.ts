// What the console's API provider page asks of a provider: Test Connection
// (can Tollgate reach it with the stored credentials?) and Discover (the
// integration flows of a Cloud Integration tenant, from its documented OData
// API: GET /api/v1/IntegrationRuntimeArtifacts lists deployed artifacts and
// GET /api/v1/ServiceEndpoints?$expand=EntryPoints their endpoint URLs, both in
// OData V2 JSON, `{"d":{"results":[...]}}`). Every call goes through the
// outbound client, so the SSRF guard and timeouts apply.
import { HttpError } from '../../http/errors.js';
import { OutboundError, outboundRequest, type OutboundResponse } from '../../net/outbound.js';
import type { Runtime } from '../../runtime.js';
import { providerAuthorization } from './provider-auth.js';
import { resolveProvider, type ResolvedProvider } from './providers.js';

export interface ConnectionResult {
  ok: boolean;
  /** HTTP status of the last call, when one was answered. */
  status?: number;
  message: string;
}

export interface IntegrationFlow {
  id: string;
  name: string;
  version?: string;
  status?: string;
  deployedBy?: string;
  deployedOn?: string;
  /** Endpoint URLs the flow's HTTPS sender adapters listen on. */
  endpoints: { name: string; url: string; type?: string }[];
}

const TIMEOUT_MS = 10_000;

/** What the provider's proxies send it: the Open Connectors header, or its Basic or Bearer authorization. */
async function headersFor(rt: Runtime, org: string, provider: ResolvedProvider): Promise<Record<string, string>> {
  const { item, secrets } = provider;
  if (item.providerType === 'OpenConnectors') return { authorization: `User ${secrets.userSecret}, Organization ${secrets.organizationSecret}` };
  const authorization = await providerAuthorization(rt, org, item.name);
  return authorization ? { authorization } : {};
}

function join(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}

/** `ownPlatform`: an OpenConnectors provider without a URL of its own calls this Tollgate's connectors API, which the outbound guard otherwise refuses. */
async function get(rt: Runtime, url: string, headers: Record<string, string>, ownPlatform = false): Promise<OutboundResponse> {
  return outboundRequest({ url, method: 'GET', headers: { accept: 'application/json', ...headers }, allowLoopback: rt.config.allowLoopback, timeoutMs: TIMEOUT_MS, ...(ownPlatform ? { ownEndpoint: 'platform' as const } : {}) });
}

function describe(error: unknown): string {
  if (error instanceof OutboundError) return error.message;
  if (error instanceof HttpError) return error.message;
  return 'the call failed';
}

/** Calls the provider the way its proxies will: never throws for a provider that is down, only reports. */
export async function testConnection(rt: Runtime, org: string, name: string): Promise<ConnectionResult> {
  const provider = await resolveProvider(rt, org, name);
  let headers: Record<string, string>;
  try {
    headers = await headersFor(rt, org, provider);
  } catch (error) {
    return { ok: false, message: `Could not get a token from ${provider.item.authentication.tokenUrl}: ${describe(error)}` };
  }
  const url =
    provider.item.providerType === 'CloudIntegration'
      ? join(provider.url, '/api/v1/IntegrationRuntimeArtifacts?$top=1&$format=json')
      : provider.item.providerType === 'OpenConnectors'
        ? join(provider.url, '/instances')
        : provider.url;
  try {
    const response = await get(rt, url, headers, provider.ownPlatform);
    // A provider without credentials is reachable whatever it answers below 500; one with credentials must accept them.
    const sendsCredentials = provider.item.providerType !== 'Internet' || provider.item.authentication.type !== 'None';
    if (sendsCredentials && (response.status === 401 || response.status === 403)) return { ok: false, status: response.status, message: `${new URL(url).host} refused the credentials (${response.status})` };
    if (response.status >= 500) return { ok: false, status: response.status, message: `${new URL(url).host} answered ${response.status}` };
    return { ok: true, status: response.status, message: `Connected to ${new URL(url).host} (${response.status})` };
  } catch (error) {
    return { ok: false, message: `${new URL(url).host} could not be reached: ${describe(error)}` };
  }
}

interface ODataList<T> {
  d?: { results?: T[] };
}

function odata<T>(response: OutboundResponse, what: string): T[] {
  if (response.status !== 200) throw new HttpError(502, 'provider_error', `The Cloud Integration tenant answered ${response.status} to ${what}`);
  try {
    const body = JSON.parse(response.body.toString('utf8')) as ODataList<T>;
    if (!Array.isArray(body.d?.results)) throw new Error('no d.results');
    return body.d.results;
  } catch {
    throw new HttpError(502, 'provider_error', `The Cloud Integration tenant's answer to ${what} is not an OData list`);
  }
}

interface RuntimeArtifact {
  Id: string;
  Version?: string;
  Name?: string;
  Type?: string;
  DeployedBy?: string;
  DeployedOn?: string;
  Status?: string;
}

interface ServiceEndpoint {
  Name?: string;
  Id?: string;
  Title?: string;
  Version?: string;
  EntryPoints?: { results?: { Name?: string; Url?: string; Type?: string }[] };
}

/** The tenant's deployed integration flows with their endpoint URLs. */
export async function discoverIntegrationFlows(rt: Runtime, org: string, name: string): Promise<IntegrationFlow[]> {
  const provider = await resolveProvider(rt, org, name);
  if (provider.item.providerType !== 'CloudIntegration') {
    throw new HttpError(409, 'not_cloud_integration', `API provider ${name} is of type ${provider.item.providerType}; Discover lists the integration flows of a CloudIntegration provider`);
  }
  let headers: Record<string, string>;
  try {
    headers = await headersFor(rt, org, provider);
  } catch (error) {
    throw new HttpError(502, 'provider_error', `Could not get a token for ${name}: ${describe(error)}`);
  }
  const fetchList = async <T>(path: string, what: string): Promise<T[]> => {
    try {
      return odata<T>(await get(rt, join(provider.url, path), headers), what);
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw new HttpError(502, 'provider_error', `The Cloud Integration tenant could not be reached: ${describe(error)}`);
    }
  };
  const [artifacts, endpoints] = await Promise.all([
    fetchList<RuntimeArtifact>('/api/v1/IntegrationRuntimeArtifacts?$format=json', 'IntegrationRuntimeArtifacts'),
    fetchList<ServiceEndpoint>('/api/v1/ServiceEndpoints?$expand=EntryPoints&$format=json', 'ServiceEndpoints'),
  ]);
  return artifacts
    .filter((artifact) => !artifact.Type || artifact.Type === 'INTEGRATION_FLOW')
    .map((artifact) => ({
      id: artifact.Id,
      name: artifact.Name ?? artifact.Id,
      ...(artifact.Version ? { version: artifact.Version } : {}),
      ...(artifact.Status ? { status: artifact.Status } : {}),
      ...(artifact.DeployedBy ? { deployedBy: artifact.DeployedBy } : {}),
      ...(artifact.DeployedOn ? { deployedOn: artifact.DeployedOn } : {}),
      endpoints: endpoints
        .filter((endpoint) => endpoint.Name === artifact.Id || endpoint.Id?.startsWith(`${artifact.Id}$`))
        .flatMap((endpoint) => endpoint.EntryPoints?.results ?? [])
        .filter((entry): entry is { Name?: string; Url: string; Type?: string } => typeof entry.Url === 'string')
        .map((entry) => ({ name: entry.Name ?? artifact.Id, url: entry.Url, ...(entry.Type ? { type: entry.Type } : {}) })),
    }));
}
