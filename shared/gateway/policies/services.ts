// The services a policy can declare, like the modules of Kong's PDK. The host
// (gateway/host/) implements them over the stores, the consumers and the
// token service, bound to one deployment: a policy sees its own organization's
// keys, maps and counters and nothing else. Tests implement them in memory.
import type { PolicyExchange } from '../engine/policy.js';

/** Key value map scopes as a policy names them; the host adds the environment and the proxy. */
export type KvmScopeName = 'organization' | 'environment' | 'apiproxy';

export interface KvmService {
  /** A value, cached in this container for up to `ttlSeconds`; undefined when the map or the key is absent. */
  get(scope: KvmScopeName, map: string, key: string, ttlSeconds: number): Promise<string | undefined>;
  /** Writes a value (last writer wins), creating an unencrypted map when there is none. */
  put(scope: KvmScopeName, map: string, key: string, value: string): Promise<void>;
  /** Removes a key; an absent one is no error. */
  delete(scope: KvmScopeName, map: string, key: string): Promise<void>;
}

export interface ProviderView {
  type: 'Internet' | 'OpenConnectors' | 'CloudIntegration';
  /** The Open Connectors secrets of an OpenConnectors provider. */
  organizationSecret?: string;
  userSecret?: string;
}

export interface ProviderService {
  /** An API provider of the organization; fails when there is none. */
  get(name: string): Promise<ProviderView>;
}

export interface CounterService {
  /**
   * Adds `by` to a counter of this proxy, shared by every container, and
   * returns the new count: exact under any concurrency. The counter is
   * forgotten after `expiresAt` (epoch seconds).
   */
  increment(counter: string, by: number, expiresAt: number): Promise<number>;
}

export interface ProductView {
  name: string;
  /** The quota that applies to the request: its operation's under an operation group, else the product's. */
  quota?: { limit: number; interval: number; timeUnit: string };
  attributes?: Record<string, string>;
}

/** The resource a key or token is used for: the product must cover it (proxies, environments, API resources, operations). */
export interface ResourceRequest {
  /** `proxy.pathsuffix`. */
  pathSuffix: string;
  verb: string;
}

export interface VerifiedKey {
  consumerKey: string;
  /** The app's consumer secret (Apigee's `verifyapikey.{policy}.client_secret`); absent for old credentials. */
  consumerSecret?: string;
  app: { appId: string; name: string; attributes?: Record<string, string> };
  developer: { email: string; developerId: string };
  /** The first approved product of the key that covers this request. */
  product?: ProductView;
}

export interface ConsumerService {
  /** The app behind an API key of this organization; throws a CredentialError (another organization's key is `invalid_key`). */
  verifyApiKey(key: string, request: ResourceRequest): Promise<VerifiedKey>;
  /** The first of these products that covers this request to this proxy in this environment. */
  productFor(names: string[], request: ResourceRequest): Promise<ProductView | undefined>;
}

export interface IssuedAccessToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  claims: { client_id: string; iat: number; app_name?: string; api_products: string[]; organization: string };
}

export interface VerifiedAccessToken {
  client_id: string;
  scope: string;
  api_products: string[];
  app_name?: string;
  developer_email?: string;
  /** Epoch seconds. */
  iat: number;
  exp: number;
  organization: string;
}

export interface TokenService {
  /** A client-credentials token for a client of this organization; throws a CredentialError. */
  issue(request: { clientId: string; clientSecret: string; scope?: string | undefined }): Promise<IssuedAccessToken>;
  /** The claims of a valid, unrevoked token of this organization (scopes are the policy's to check); throws a CredentialError. */
  verify(token: string): Promise<VerifiedAccessToken>;
}

/** Why an outbound call failed (the host maps the SSRF guard's and the transport's refusals here). */
export type OutboundFailureKind = 'invalid_url' | 'invalid_header' | 'blocked' | 'unreachable' | 'connect_timeout' | 'timeout' | 'reset' | 'too_large';

export class OutboundCallError extends Error {
  constructor(
    readonly kind: OutboundFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'OutboundCallError';
  }
}

export interface OutboundHttpRequest {
  url: string;
  method: string;
  headers: Record<string, string | string[]>;
  body?: Buffer;
  /** Time for the whole call; the host caps it. */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  maxResponseBytes?: number;
}

export interface OutboundHttpResponse {
  status: number;
  /** Lower-cased names. */
  headers: Record<string, string | string[]>;
  body: Buffer;
}

export interface HttpService {
  /**
   * An outbound HTTP call through the SSRF guard (scheme, resolved address,
   * loopback only where allowed), with timeouts; an OutboundCallError when refused or failed.
   */
  request(request: OutboundHttpRequest): Promise<OutboundHttpResponse>;
}

export interface LogService {
  /** One structured log line of the proxy (MessageLogging): never carries the call's credentials by itself. */
  write(entry: Record<string, unknown>): void;
  /** A syslog message to host:port over UDP or TCP (TLS with `tls`), through the SSRF guard; resolves once sent. */
  syslog(target: { host: string; port: number; protocol: 'UDP' | 'TCP'; tls: boolean }, message: string): Promise<void>;
}

export interface CacheService {
  /** A live entry of the environment's named cache; undefined when absent or expired. */
  get(cache: string, key: string): Promise<string | undefined>;
  /** Stores an entry for `ttlSeconds` (every container sees it; each keeps its own copy a few seconds at most). */
  put(cache: string, key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Removes an entry, and with `children` every entry whose key starts with it. */
  delete(cache: string, key: string, options?: { children?: boolean }): Promise<void>;
}

export interface SharedFlowService {
  /** Runs the shared flow of that name deployed in this environment on the exchange; false when none is deployed. */
  run(name: string, exchange: PolicyExchange): Promise<boolean>;
}

export interface PolicyServices {
  kvm: KvmService;
  cache: CacheService;
  sharedFlows: SharedFlowService;
  providers: ProviderService;
  counters: CounterService;
  consumers: ConsumerService;
  tokens: TokenService;
  http: HttpService;
  log: LogService;
}
