// Outbound HTTP for proxy targets, vendor APIs and token endpoints. Every
// connection goes through an address check made on the resolved IP (so DNS
// tricks cannot reach cloud metadata or, unless allowed, loopback), never
// reaches one of Tollgate's own endpoints (its store, secret store and planes,
// reserved by whoever opens or names them), and every request has a connect
// timeout and an overall timeout.
import { AsyncLocalStorage } from 'node:async_hooks';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import type { TLSSocket } from 'node:tls';
import { TtlCache } from '../cache/ttl-cache.js';

export type OutboundFailure = 'invalid_url' | 'invalid_header' | 'blocked' | 'unreachable' | 'connect_timeout' | 'timeout' | 'reset' | 'too_large';

export class OutboundError extends Error {
  constructor(
    readonly kind: OutboundFailure,
    message: string,
  ) {
    super(message);
    this.name = 'OutboundError';
  }
}

export interface OutboundRequest {
  url: string | URL;
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: Buffer | string;
  /** Time to establish the TCP (and TLS) connection. */
  connectTimeoutMs?: number;
  /** Time for the whole exchange, from start to the last body byte. */
  timeoutMs?: number;
  allowLoopback: boolean;
  /**
   * The one kind of Tollgate's own endpoints this call may reach: `platform`
   * only where Tollgate itself routes a call there (an OpenConnectors provider
   * calling this Tollgate's connectors API), never for a URL a tenant wrote.
   */
  ownEndpoint?: 'platform';
  maxResponseBytes?: number;
  /** Epoch ms the call must end by, besides any deadline `withDeadline` set around it. */
  deadline?: number | undefined;
}

export interface OutboundResponse {
  status: number;
  /** Lower-cased names; repeated headers (set-cookie) as arrays. */
  headers: Record<string, string | string[]>;
  body: Buffer;
}

// Never reachable from a target URL: metadata services, link-local, "this network",
// multicast and reserved ranges. Private RFC 1918 ranges stay allowed: backends in
// a VPC are a legitimate target.
const blocked = new net.BlockList();
blocked.addSubnet('0.0.0.0', 8, 'ipv4');
blocked.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, includes 169.254.169.254 (EC2/ECS metadata)
blocked.addSubnet('100.100.100.200', 32, 'ipv4'); // Alibaba metadata
blocked.addSubnet('192.0.0.0', 24, 'ipv4');
blocked.addSubnet('224.0.0.0', 4, 'ipv4'); // multicast
blocked.addSubnet('240.0.0.0', 4, 'ipv4'); // reserved, broadcast
blocked.addAddress('::', 'ipv6');
blocked.addSubnet('fe80::', 10, 'ipv6'); // link-local
blocked.addSubnet('ff00::', 8, 'ipv6'); // multicast
blocked.addAddress('fd00:ec2::254', 'ipv6'); // EC2 metadata over IPv6

const loopback = new net.BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is checked as the IPv4 address it is. */
function normalize(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, family: 'ipv4' };
  return { address, family: net.isIPv6(address) ? 'ipv6' : 'ipv4' };
}

/** Why an address may not be connected to, or undefined if it may. */
export function addressProblem(address: string, allowLoopback: boolean): string | undefined {
  const { address: ip, family } = normalize(address);
  if (blocked.check(ip, family)) return `address ${ip} is not allowed`;
  if (!allowLoopback && loopback.check(ip, family)) return `loopback address ${ip} is not allowed`;
  return undefined;
}

// Tollgate's own endpoints in this process. An endpoint on this machine (a
// loopback, unspecified or local interface address, or `localhost`) is
// reserved by its port on every local address; one elsewhere (the AWS
// DynamoDB and Secrets Manager endpoints, the API hosts) by its host name.
export type OwnEndpointKind = 'store' | 'secrets' | 'platform' | 'runtime';

interface OwnEndpoint {
  kind: OwnEndpointKind;
  host: string;
  port: number;
  local: boolean;
}

const ownEndpoints = new Set<OwnEndpoint>();

/**
 * Origins whose checks passed, per loopback setting and own-endpoint
 * allowance: a call to a known target origin skips the scheme, host and
 * literal-address checks (credentials in the URL are still refused every
 * time). Cleared whenever Tollgate's own endpoints change; entries expire, so
 * a new interface address of this machine counts within a minute. A name's
 * resolved addresses are checked on every new connection (guardedLookup).
 */
const checkedOrigins = new TtlCache<string, true>({ ttlMs: 60_000, maxEntries: 1024, missTtlMs: 0 });

const bareHost = (host: string) => host.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
const defaultPort = (url: URL) => Number(url.port || (url.protocol === 'https:' ? 443 : 80));
const isLocalName = (host: string) => host === 'localhost' || host.endsWith('.localhost');

/** Loopback, unspecified, or an address of one of this machine's interfaces. */
function isLocalAddress(address: string): boolean {
  const { address: ip, family } = normalize(address);
  if (loopback.check(ip, family) || ip === '0.0.0.0' || ip === '::') return true;
  return Object.values(os.networkInterfaces()).some((list) => list?.some((entry) => normalize(entry.address).address === ip));
}

/**
 * Marks a URL as one of Tollgate's own endpoints until the returned function
 * is called: no outbound call reaches it (`platform` only through
 * `ownEndpoint: 'platform'`).
 */
export function reserveOwnEndpoint(kind: OwnEndpointKind, value: string): () => void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return () => {}; // nothing can connect to what is not a URL
  }
  const host = bareHost(url.hostname);
  const entry: OwnEndpoint = { kind, host, port: defaultPort(url), local: isLocalName(host) || (net.isIP(host) !== 0 && isLocalAddress(host)) };
  ownEndpoints.add(entry);
  checkedOrigins.clear();
  return () => {
    ownEndpoints.delete(entry);
    checkedOrigins.clear();
  };
}

/** Why a host (and, once resolved, an address) on a port is one of Tollgate's own endpoints, or undefined. */
function ownEndpointProblem(host: string, port: number, address: string | undefined, allowed: OwnEndpointKind | undefined): string | undefined {
  if (ownEndpoints.size === 0) return undefined;
  let local: boolean | undefined;
  for (const entry of ownEndpoints) {
    if (entry.kind === allowed) continue;
    const hit = entry.local
      ? entry.port === port && (isLocalName(host) || (local ??= address !== undefined && isLocalAddress(address)))
      : entry.host === host;
    if (hit) return `${host}:${port} is Tollgate's own ${entry.kind} endpoint`;
  }
  return undefined;
}

/** Validates scheme and (for literal IPs) address before any connection is made; a URL object is checked, not copied. */
export function checkUrl(value: string | URL, allowLoopback: boolean, ownEndpoint?: OwnEndpointKind): URL {
  let url: URL;
  try {
    url = value instanceof URL ? value : new URL(value);
  } catch {
    throw new OutboundError('invalid_url', 'Target URL is not a valid absolute URL');
  }
  if (url.username || url.password) throw new OutboundError('invalid_url', 'Target URL must not carry credentials');
  const verdict = `${allowLoopback ? 'loopback' : 'public'} ${ownEndpoint ?? '-'} ${url.origin}`;
  if (checkedOrigins.peek(verdict)) return url;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OutboundError('invalid_url', `Target URL scheme ${url.protocol} is not allowed`);
  }
  const host = bareHost(url.hostname);
  if (net.isIP(host)) {
    const problem = addressProblem(host, allowLoopback);
    if (problem) throw new OutboundError('blocked', `Target ${problem}`);
  } else if (!allowLoopback && isLocalName(host)) {
    throw new OutboundError('blocked', 'Target host localhost is not allowed');
  }
  const own = ownEndpointProblem(host, defaultPort(url), net.isIP(host) ? host : undefined, ownEndpoint);
  if (own) throw new OutboundError('blocked', `Target ${own}`);
  checkedOrigins.set(verdict, true);
  return url;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/** One guarded lookup per loopback setting, port and own-endpoint allowance, shared by every call. */
const lookups = new Map<string, ReturnType<typeof makeGuardedLookup>>();

function guardedLookup(allowLoopback: boolean, port: number, ownEndpoint: OwnEndpointKind | undefined) {
  const key = `${allowLoopback ? 1 : 0}:${port}:${ownEndpoint ?? ''}`;
  let lookup = lookups.get(key);
  if (!lookup) {
    if (lookups.size >= 1024) lookups.clear();
    lookups.set(key, (lookup = makeGuardedLookup(allowLoopback, port, ownEndpoint)));
  }
  return lookup;
}

function makeGuardedLookup(allowLoopback: boolean, port: number, ownEndpoint: OwnEndpointKind | undefined) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const host = bareHost(hostname);
      const allowed = addresses.filter(
        (entry) => !addressProblem(entry.address, allowLoopback) && !ownEndpointProblem(host, port, entry.address, ownEndpoint),
      );
      if (allowed.length === 0) {
        const refusal = Object.assign(new Error(`Target host ${hostname} resolves only to addresses that are not allowed`), {
          code: 'ETOLLGATEBLOCKED',
        });
        return callback(refusal, []);
      }
      if (options.all) return callback(null, allowed);
      return callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 256, keepAliveMsecs: 1000 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 256, keepAliveMsecs: 1000 }),
};

/**
 * The first header Node refused to send (it throws instead), named only by a
 * safe spelling: values can hold credentials and are never quoted. Asked only
 * once Node has refused: Node validates every header itself.
 */
function invalidHeader(headers: Record<string, string | string[]>): string | undefined {
  for (const [name, value] of Object.entries(headers)) {
    try {
      http.validateHeaderName(name);
      for (const item of Array.isArray(value) ? value : [value]) http.validateHeaderValue(name, item);
    } catch {
      return /^[A-Za-z0-9-]{1,64}$/.test(name) ? name : '(invalid name)';
    }
  }
  return undefined;
}

const deadlines = new AsyncLocalStorage<number>();
/** Calls of `withDeadline` not yet settled: the storage is disabled when none is. */
let ambientRuns = 0;

/**
 * Runs `work` with a deadline (epoch ms) no outbound call made inside it may
 * pass: each one's timeouts are cut to the time left (a Lambda function's
 * remaining time, so the client gets Tollgate's 504, not API Gateway's).
 * While any such call runs, Node tracks every promise of the process for the
 * storage; so the storage is disabled again when the last one settles, and
 * the hot paths (proxy, token) pass `deadline` to each call instead.
 */
export async function withDeadline<T>(deadline: number, work: () => Promise<T>): Promise<T> {
  const outer = deadlines.getStore();
  ambientRuns++;
  try {
    return await deadlines.run(outer === undefined ? deadline : Math.min(outer, deadline), work);
  } finally {
    if (--ambientRuns === 0) deadlines.disable();
  }
}

/** The earlier of an explicit deadline and the ambient one, if any. */
function deadlineOf(request: OutboundRequest): number | undefined {
  const ambient = deadlines.getStore();
  if (request.deadline === undefined) return ambient;
  return ambient === undefined ? request.deadline : Math.min(ambient, request.deadline);
}

export async function outboundRequest(request: OutboundRequest): Promise<OutboundResponse> {
  const url = checkUrl(request.url, request.allowLoopback, request.ownEndpoint);
  const isHttps = url.protocol === 'https:';
  const deadline = deadlineOf(request);
  const left = deadline === undefined ? Infinity : deadline - Date.now();
  if (left <= 0) throw new OutboundError('timeout', 'No time is left to call the target');
  const connectTimeout = Math.min(request.connectTimeoutMs ?? 3_000, left);
  const overallTimeout = Math.min(request.timeoutMs ?? 30_000, left);
  const maxBytes = request.maxResponseBytes ?? 10 * 1024 * 1024;
  const body = typeof request.body === 'string' ? Buffer.from(request.body) : request.body;

  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: OutboundError) => {
      if (settled) return;
      settled = true;
      clearTimeout(overall);
      clearTimeout(connecting);
      outgoing.destroy();
      reject(error);
    };
    const headers: Record<string, string | string[]> = { ...request.headers };
    if (body && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-length')) {
      headers['content-length'] = String(body.length);
    }
    let outgoing: http.ClientRequest;
    try {
      const port = defaultPort(url);
      outgoing = (isHttps ? https : http).request({
        protocol: url.protocol,
        hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
        port,
        path: `${url.pathname}${url.search}`,
        method: request.method ?? 'GET',
        headers,
        agent: isHttps ? agents.https : agents.http,
        lookup: guardedLookup(request.allowLoopback, port, request.ownEndpoint) as unknown as typeof dns.lookup,
      });
    } catch (error) {
      const invalid = invalidHeader(headers);
      if (!invalid) throw error;
      reject(new OutboundError('invalid_header', `Header ${invalid} is not valid HTTP (control characters or characters beyond Latin-1)`));
      return;
    }
    const overall = setTimeout(
      () => fail(new OutboundError('timeout', `Target did not answer within ${overallTimeout} ms`)),
      overallTimeout,
    );
    let connecting: NodeJS.Timeout | undefined;
    outgoing.on('socket', (socket) => {
      const connected = isHttps ? (socket as TLSSocket).encrypted && !socket.connecting : !socket.connecting;
      if (connected) return; // a reused keep-alive socket
      connecting = setTimeout(
        () => fail(new OutboundError('connect_timeout', `Could not connect within ${connectTimeout} ms`)),
        connectTimeout,
      );
      socket.once(isHttps ? 'secureConnect' : 'connect', () => clearTimeout(connecting));
    });
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ETOLLGATEBLOCKED') return fail(new OutboundError('blocked', error.message));
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') {
        return fail(new OutboundError('reset', 'The connection to the target was reset'));
      }
      return fail(new OutboundError('unreachable', `Target is unreachable (${error.code ?? 'error'})`));
    });
    outgoing.on('response', (incoming) => {
      const chunks: Buffer[] = [];
      let size = 0;
      incoming.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          fail(new OutboundError('too_large', `Target response exceeds ${maxBytes} bytes`));
          incoming.destroy();
          return;
        }
        chunks.push(chunk);
      });
      incoming.on('aborted', () => fail(new OutboundError('reset', 'The target closed the connection mid-response')));
      incoming.on('error', () => fail(new OutboundError('reset', 'The target closed the connection mid-response')));
      incoming.on('end', () => {
        if (settled) return;
        if (!incoming.complete) {
          fail(new OutboundError('reset', 'The target closed the connection mid-response'));
          return;
        }
        settled = true;
        clearTimeout(overall);
        const responseHeaders: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(incoming.headers)) {
          if (value !== undefined) responseHeaders[name] = value;
        }
        resolve({ status: incoming.statusCode ?? 502, headers: responseHeaders, body: Buffer.concat(chunks) });
      });
    });
    outgoing.end(body);
  });
}
