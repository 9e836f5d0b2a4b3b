// The context a policy runs in, for one policy's spec: a real Exchange (the
// engine's own implementation of PolicyExchange), in-memory implementations of
// the services policies declare (policies/services.ts), and the XML codec
// round trip through the bundle parser. Nothing here stands in for the
// engine: a policy is run exactly as the flow runs it, minus the flow.
import { compact } from '../../shared/bundles/import.js';
import { parseXml, renderXml, reportUnread, el } from '../../shared/bundles/xml.js';
import { CredentialError, type CredentialFailure } from '../../shared/credentials/errors.js';
import { Exchange, type ExchangeContext } from '../../shared/gateway/engine/exchange.js';
import { isFault, type Fault } from '../../shared/gateway/engine/faults.js';
import { HeaderMap, Message } from '../../shared/gateway/engine/message.js';
import type { Deployment } from '../../shared/gateway/engine/policy.js';
import type { Policy, ServiceName } from '../../shared/gateway/policies/define-policy.js';
import { policyCodec } from '../../shared/gateway/policies/index.js';
import { OutboundError, outboundRequest } from '../../shared/net/outbound.js';
import { sendSyslog } from '../../shared/net/syslog.js';
import {
  OutboundCallError,
  type CacheService,
  type HttpService,
  type LogService,
  type OutboundHttpRequest,
  type OutboundHttpResponse,
} from '../../shared/gateway/policies/services.js';
import type {
  ConsumerService,
  CounterService,
  IssuedAccessToken,
  KvmScopeName,
  KvmService,
  PolicyServices,
  ProductView,
  ProviderService,
  ProviderView,
  ResourceRequest,
  TokenService,
  VerifiedAccessToken,
  VerifiedKey,
} from '../../shared/gateway/policies/services.js';

export const DEPLOYMENT: Deployment = { organization: 'acme', environment: 'prod', apiName: 'orders', revision: 1 };

export interface RequestInit {
  verb?: string;
  path?: string;
  headers?: Record<string, string | string[]>;
  query?: Record<string, string> | string;
  body?: string | Buffer;
}

/** An exchange for a request to the `orders` proxy at base path `/orders`. */
export function exchangeFor(request: RequestInit = {}, context: Partial<ExchangeContext> = {}): Exchange {
  const message = new Message({
    verb: request.verb ?? 'GET',
    path: request.path ?? '/orders',
    headers: new HeaderMap(request.headers),
    query: new URLSearchParams(request.query),
    body: typeof request.body === 'string' ? Buffer.from(request.body) : request.body ?? Buffer.alloc(0),
  });
  return new Exchange(message, {
    organization: DEPLOYMENT.organization,
    environment: DEPLOYMENT.environment,
    apiName: DEPLOYMENT.apiName,
    revision: DEPLOYMENT.revision,
    proxyEndpoint: 'default',
    basePath: '/orders',
    clientIp: '203.0.113.7',
    messageId: 'message-1',
    ...context,
  });
}

export interface RunOptions<Needs extends ServiceName> {
  exchange?: Exchange;
  services?: Pick<PolicyServices, Needs>;
  name?: string;
  /** Prepared state to reuse (a second call of the same deployed policy). */
  prepared?: unknown;
  /** The revision's resource files by path (`jsc/a.js`). */
  resources?: Record<string, string>;
}

export interface Run {
  exchange: Exchange;
  /** The fault the policy raised, if it raised one. */
  fault?: Fault;
  prepared: unknown;
}

/** Validates `config` with the policy's schema, prepares it and runs it once, as the flow does. */
export async function runPolicy<Config, Prepared, Needs extends ServiceName>(
  policy: Policy<Config, Prepared, Needs>,
  input: unknown,
  options: RunOptions<Needs> = {},
): Promise<Run> {
  const identity = { name: options.name ?? `${policy.type}-1`, type: policy.type, continueOnError: false };
  const config = policy.schema.parse(input);
  const prepared = (options.prepared as Prepared | undefined) ?? (policy.prepare?.(config, { policy: identity, deployment: DEPLOYMENT, resources: new Map(Object.entries(options.resources ?? {})) }) as Prepared);
  const exchange = options.exchange ?? exchangeFor();
  try {
    await policy.execute({
      policy: identity,
      config,
      prepared,
      exchange,
      deployment: DEPLOYMENT,
      services: (options.services ?? {}) as Pick<PolicyServices, Needs>,
    });
    return { exchange, prepared };
  } catch (error) {
    if (!isFault(error)) throw error;
    assertDeclared(policy, error);
    return { exchange, fault: error, prepared };
  }
}

/**
 * A policy raises only the faults its table declares, with the declared code
 * and status (the table docs/faults.md lists); RaiseFault's are the proxy's own.
 */
function assertDeclared(policy: { type: string; faults?: Policy['faults'] }, fault: Fault): void {
  if (!policy.faults) return;
  const declared = policy.faults[fault.faultName];
  if (!declared) throw new Error(`${policy.type} raised ${fault.faultName}, which its fault table does not declare`);
  if (declared[0] !== fault.errorCode) throw new Error(`${policy.type} raised ${fault.faultName} with code ${fault.errorCode}, declared ${declared[0]}`);
  if (declared[1] !== fault.status && policy.type !== 'RaiseFault') throw new Error(`${policy.type} raised ${fault.faultName} with status ${fault.status}, declared ${declared[1]}`);
}

/**
 * Reads `<Type name="P-1"{attributes}>{body}</Type>` with the policy's XML
 * codec (every element must be understood), writes the settings back and
 * reads them again: both readings must be the same settings.
 */
export function xmlRoundTrip<Config>(policy: Policy<Config, unknown, ServiceName>, body: string, attributes = ''): Config {
  const read = (xml: string): Config => {
    const { root, document } = parseXml(`policies/${policy.type}.xml`, xml);
    if (!root) throw new Error(`unreadable: ${JSON.stringify(document.problems)}`);
    const raw = policyCodec(policy.type)!.fromXml(root);
    reportUnread(root);
    if (document.problems.length) throw new Error(`problems: ${JSON.stringify(document.problems)}`);
    return policy.schema.parse(compact(raw));
  };
  const first = read(`<${policy.type} name="P-1"${attributes}>${body}</${policy.type}>`);
  const written = policyCodec(policy.type)!.toXml(first);
  const second = read(renderXml(el(policy.type, { name: 'P-1', ...written.attributes }, written.children)));
  if (JSON.stringify(compact(second)) !== JSON.stringify(compact(first))) {
    throw new Error(`read back differently:\n${JSON.stringify(first)}\n${JSON.stringify(second)}`);
  }
  return first;
}

/** The problems the codec reports for `body` (an invalid or unsupported setting) by XPath, then the schema's. */
export function xmlProblems<Config>(policy: Policy<Config, unknown, ServiceName>, body: string, attributes = ''): string[] {
  const { root, document } = parseXml(`policies/${policy.type}.xml`, `<${policy.type} name="P-1"${attributes}>${body}</${policy.type}>`);
  const problems: string[] = [];
  if (root) {
    const raw = policyCodec(policy.type)!.fromXml(root);
    reportUnread(root);
    const parsed = policy.schema.safeParse(compact(raw));
    if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => `schema: ${issue.path.join('.')}`));
  }
  return [...document.problems.map((problem) => `${problem.xpath} ${problem.kind}`), ...problems];
}

// ---------------------------------------------------------------------------
// In-memory services

/** Key value maps in memory; a map exists once something was put in it (or it was created). */
export class MemoryKvm implements KvmService {
  readonly maps = new Map<string, Map<string, string>>();

  static mapKey(scope: KvmScopeName, map: string): string {
    return `${scope}/${map}`;
  }

  createMap(scope: KvmScopeName, map: string, entries: Record<string, string> = {}): this {
    this.maps.set(MemoryKvm.mapKey(scope, map), new Map(Object.entries(entries)));
    return this;
  }

  async get(scope: KvmScopeName, map: string, key: string): Promise<string | undefined> {
    return this.maps.get(MemoryKvm.mapKey(scope, map))?.get(key);
  }

  async put(scope: KvmScopeName, map: string, key: string, value: string): Promise<void> {
    const name = MemoryKvm.mapKey(scope, map);
    if (!this.maps.has(name)) this.maps.set(name, new Map());
    this.maps.get(name)!.set(key, value);
  }

  async delete(scope: KvmScopeName, map: string, key: string): Promise<void> {
    this.maps.get(MemoryKvm.mapKey(scope, map))?.delete(key);
  }
}

export class MemoryCounters implements CounterService {
  readonly counts = new Map<string, { count: number; expiresAt: number }>();

  async increment(counter: string, by: number, expiresAt: number): Promise<number> {
    const count = (this.counts.get(counter)?.count ?? 0) + by;
    this.counts.set(counter, { count, expiresAt });
    return count;
  }
}

export class MemoryProviders implements ProviderService {
  constructor(private readonly providers: Record<string, ProviderView>) {}

  async get(name: string): Promise<ProviderView> {
    const provider = this.providers[name];
    if (!provider) throw new Error(`API provider ${name} does not exist`);
    return provider;
  }
}

export interface MemoryKey extends VerifiedKey {
  /** Why the key is refused, when it is. */
  refused?: CredentialFailure;
}

/** Apps by API key, and the products of the organization that cover this proxy. */
export class MemoryConsumers implements ConsumerService {
  constructor(
    private readonly keys: Record<string, MemoryKey> = {},
    private readonly products: Record<string, ProductView> = {},
  ) {}

  async verifyApiKey(key: string, _request: ResourceRequest): Promise<VerifiedKey> {
    const found = this.keys[key];
    if (!found) throw new CredentialError('invalid_key', 'Invalid API key');
    if (found.refused) throw new CredentialError(found.refused, `refused: ${found.refused}`);
    const { refused: _refused, ...verified } = found;
    return verified;
  }

  async productFor(names: string[], _request: ResourceRequest): Promise<ProductView | undefined> {
    return names.map((name) => this.products[name]).find((product) => product !== undefined);
  }
}

export interface MemoryClient {
  secret: string;
  appName: string;
  scopes: string[];
  products: string[];
  developerEmail?: string;
}

/** A token service in memory: clients by id, opaque tokens, scopes checked as the real one does. */
export class MemoryTokens implements TokenService {
  readonly issued = new Map<string, VerifiedAccessToken & { revoked?: boolean; expired?: boolean }>();

  constructor(private readonly clients: Record<string, MemoryClient> = {}) {}

  async issue(request: { clientId: string; clientSecret: string; scope?: string | undefined }): Promise<IssuedAccessToken> {
    const client = this.clients[request.clientId];
    if (!client || client.secret !== request.clientSecret) throw new CredentialError('invalid_client', 'Client authentication failed');
    const wanted = request.scope?.trim() ? request.scope.split(' ').filter(Boolean) : client.scopes;
    const refused = wanted.filter((scope) => !client.scopes.includes(scope));
    if (refused.length) throw new CredentialError('invalid_scope', `Requested scope exceeds the client's: ${refused.join(' ')}`);
    const token = `token-${this.issued.size + 1}`;
    const claims = {
      client_id: request.clientId,
      scope: wanted.join(' '),
      api_products: client.products,
      app_name: client.appName,
      developer_email: client.developerEmail,
      iat: 1_700_000_000,
      exp: Math.floor(Date.now() / 1000) + 3600,
      organization: DEPLOYMENT.organization,
    };
    this.issued.set(token, claims);
    return {
      access_token: token,
      token_type: 'Bearer',
      expires_in: 3600,
      scope: claims.scope,
      claims: { client_id: request.clientId, iat: 1_700_000_000, app_name: client.appName, api_products: client.products, organization: DEPLOYMENT.organization },
    };
  }

  async verify(token: string): Promise<VerifiedAccessToken> {
    const claims = this.issued.get(token);
    if (!claims) throw new CredentialError('invalid_token', 'Invalid access token');
    if (claims.revoked) throw new CredentialError('token_revoked', 'The access token has been revoked');
    if (claims.expired) throw new CredentialError('token_expired', 'The access token has expired');
    return claims;
  }
}

/** The http service over the real outbound client and its SSRF guard, loopback allowed (as in local mode); calls are recorded. */
export class LoopbackHttp implements HttpService {
  readonly calls: OutboundHttpRequest[] = [];

  constructor(private readonly allowLoopback = true) {}

  async request(request: OutboundHttpRequest): Promise<OutboundHttpResponse> {
    this.calls.push(request);
    try {
      return await outboundRequest({ ...request, allowLoopback: this.allowLoopback });
    } catch (error) {
      throw error instanceof OutboundError ? new OutboundCallError(error.kind, error.message) : error;
    }
  }
}

/** Log lines kept in memory; syslog messages sent for real (loopback allowed). */
export class MemoryLog implements LogService {
  readonly lines: Record<string, unknown>[] = [];

  write(entry: Record<string, unknown>): void {
    this.lines.push(entry);
  }

  async syslog(target: { host: string; port: number; protocol: 'UDP' | 'TCP'; tls: boolean }, message: string): Promise<void> {
    try {
      await sendSyslog({ ...target, allowLoopback: true, timeoutMs: 2_000 }, message);
    } catch (error) {
      throw error instanceof OutboundError ? new OutboundCallError(error.kind, error.message) : error;
    }
  }
}

/** Environment caches in memory, with their TTLs (the host's is the table with a per-container copy). */
export class MemoryCache implements CacheService {
  readonly entries = new Map<string, { value: string; ttlSeconds: number }>();

  async get(cache: string, key: string): Promise<string | undefined> {
    return this.entries.get(`${cache}/${key}`)?.value;
  }

  async put(cache: string, key: string, value: string, ttlSeconds: number): Promise<void> {
    this.entries.set(`${cache}/${key}`, { value, ttlSeconds });
  }

  async delete(cache: string, key: string, options: { children?: boolean } = {}): Promise<void> {
    for (const name of [...this.entries.keys()]) if (name === `${cache}/${key}` || (options.children && name.startsWith(`${cache}/${key}`))) this.entries.delete(name);
  }
}
