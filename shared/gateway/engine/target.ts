// The backend call: target URL resolution (direct URL or API provider), the
// outbound request (hop-by-hop headers dropped, X-Forwarded-* set, provider
// auth applied, timeouts from the TargetEndpoint), and the mapping of transport
// failures and error statuses to Apigee faults.
import { connectionTokens, HOP_BY_HOP_HEADERS } from '../../net/headers.js';
import { OutboundError, outboundRequest } from '../../net/outbound.js';
import type { CompiledTargetEndpoint } from './compile.js';
import type { Exchange } from './exchange.js';
import { Fault } from './faults.js';
import { HeaderMap, Message, wireHeaderValue } from './message.js';

/** What target calls need from outside the engine: the API providers and the outbound policy. */
export interface TargetBackends {
  /** Loopback targets are allowed (local mode and tests only). */
  allowLoopback: boolean;
  /**
   * The base URL of an API provider of the organization; `ownPlatform` when it
   * is this Tollgate's own connectors API, which Tollgate routes itself.
   */
  providerUrl(organization: string, provider: string): Promise<{ url: string; ownPlatform: boolean }>;
  /**
   * The Authorization value calls to the provider carry, if it has one; an
   * OutboundError when it needs a token it cannot get (fetched by `deadline`, epoch ms).
   */
  providerAuthorization(organization: string, provider: string, deadline?: number): Promise<string | undefined>;
}

/**
 * The largest target response the proxy returns: base64-encoded in the Lambda
 * result it stays under Lambda's 6 MB response limit; a larger one is Apigee's
 * ResponseTooLarge fault (502), not API Gateway's error.
 */
export const MAX_TARGET_RESPONSE_BYTES = 4 * 1024 * 1024;

function joinUrl(base: string, path: string | undefined): string {
  if (!path) return base;
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** The target endpoint's URL: its own at once, or its API provider's (read from the store) joined with its path. */
export function resolveTargetUrl(backends: TargetBackends, exchange: Exchange, target: CompiledTargetEndpoint): string | Promise<string> {
  const { connection } = target;
  if (connection.url) return connection.url;
  return backends.providerUrl(exchange.context.organization, connection.provider!).then((provider) => joinUrl(provider.url, connection.path));
}

/** Headers that go to the target: the request's, minus hop-by-hop ones, plus X-Forwarded-*. */
function outgoingHeaders(exchange: Exchange, url: URL): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  const listed = connectionTokens(exchange.request.headers.get('connection'));
  for (const [name, values] of exchange.request.headers.list()) {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP_HEADERS.has(lower) || listed.has(lower)) continue;
    if (lower.startsWith('x-forwarded-')) continue;
    headers[name] = values.map(wireHeaderValue);
  }
  // API Gateway has already appended the client's address: add it only where it is missing.
  const forwardedFor = exchange.request.headers.get('x-forwarded-for');
  const clientIp = exchange.context.clientIp;
  const lastHop = forwardedFor?.split(',').at(-1)?.trim();
  headers['X-Forwarded-For'] = [!forwardedFor ? clientIp : lastHop === clientIp ? forwardedFor : `${forwardedFor}, ${clientIp}`];
  headers['X-Forwarded-Proto'] = [exchange.request.headers.get('x-forwarded-proto') ?? 'https'];
  const host = exchange.request.headers.get('host');
  if (host) headers['X-Forwarded-Host'] = [host];
  headers.Host = url.host;
  return headers;
}

function faultFor(error: OutboundError): Fault {
  switch (error.kind) {
    case 'timeout':
    case 'connect_timeout':
      return new Fault('GatewayTimeout', 'messaging.adaptors.http.flow.GatewayTimeout', 504, 'Gateway Timeout');
    case 'reset':
      return new Fault('UnexpectedEOFAtTarget', 'messaging.adaptors.http.UnexpectedEOFAtTarget', 502, 'Unexpected EOF at target');
    case 'too_large':
      return new Fault('ResponseTooLarge', 'protocol.http.TooBigBody', 502, 'Target response is too large');
    case 'invalid_header':
      return new Fault('InvalidTargetRequest', 'messaging.adaptors.http.flow.InvalidTargetRequest', 502, 'The request to the target could not be sent: a header is not valid HTTP');
    case 'blocked':
    case 'invalid_url':
      // Not a passing failure (no 503 to retry): the gateway refuses the address.
      return new Fault('TargetNotAllowed', 'messaging.adaptors.http.flow.TargetNotAllowed', 502, `The target is not allowed: ${error.message}`);
    default:
      return new Fault('ServiceUnavailable', 'messaging.adaptors.http.flow.ServiceUnavailable', 503, 'The Service is temporarily unavailable');
  }
}

/** Apigee's `success.codes`: `1xx,2xx,3xx,404`: classes and single codes. */
export function isSuccessCode(list: string, status: number): boolean {
  return list.split(',').some((entry) => {
    const code = entry.trim().toLowerCase();
    return /^\dxx$/.test(code) ? Math.floor(status / 100) === Number(code[0]) : code === String(status);
  });
}

function flagOff(value: unknown): boolean {
  return String(value).toLowerCase() === 'false';
}

export async function callTarget(backends: TargetBackends, exchange: Exchange, target: CompiledTargetEndpoint | undefined, baseUrl: string): Promise<void> {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Fault('InvalidTargetUrl', 'messaging.adaptors.http.flow.InvalidTargetUrl', 500, 'The target URL is not valid');
  }
  // Apigee appends the proxy path suffix and query string unless told not to.
  if (!flagOff(exchange.get('target.copy.pathsuffix'))) {
    const suffix = exchange.pathSuffix;
    if (suffix) url.pathname = url.pathname.replace(/\/+$/, '') + suffix;
  }
  if (!flagOff(exchange.get('target.copy.queryparams'))) {
    for (const [name, value] of exchange.request.query) url.searchParams.append(name, value);
  }

  const headers = outgoingHeaders(exchange, url);
  let ownEndpoint: 'platform' | undefined;
  if (target?.connection.provider) {
    let authorization: string | undefined;
    try {
      authorization = await backends.providerAuthorization(exchange.context.organization, target.connection.provider, exchange.context.deadline);
      // Tollgate's own connectors API only as the provider routes there, not at a URL a policy set.
      const provider = await backends.providerUrl(exchange.context.organization, target.connection.provider);
      if (provider.ownPlatform && url.href.startsWith(provider.url.replace(/\/*$/, '/'))) ownEndpoint = 'platform';
    } catch (error) {
      throw error instanceof OutboundError ? faultFor(error) : error;
    }
    if (authorization) headers.Authorization = [authorization];
  }

  const connection = target?.connection;
  const body = exchange.request.body.length > 0 ? exchange.request.body : undefined;
  exchange.observer?.message?.('targetRequest', { url: url.toString(), verb: exchange.request.verb, headers, body: body ?? Buffer.alloc(0) });
  exchange.targetSentAt = performance.now();
  let response;
  try {
    response = await outboundRequest({
      url,
      method: exchange.request.verb,
      headers,
      body,
      connectTimeoutMs: connection?.connectTimeoutMs ?? 3_000,
      // Cut to the function's remaining time by the request's deadline (http/lambda.ts).
      timeoutMs: connection?.readTimeoutMs ?? 25_000,
      deadline: exchange.context.deadline,
      maxResponseBytes: MAX_TARGET_RESPONSE_BYTES,
      allowLoopback: backends.allowLoopback,
      ...(ownEndpoint ? { ownEndpoint } : {}),
    });
  } catch (error) {
    exchange.targetReceivedAt = performance.now();
    if (error instanceof OutboundError) throw faultFor(error);
    throw error;
  }
  exchange.targetReceivedAt = performance.now();
  exchange.targetStatus = response.status;

  const responseHeaders = new HeaderMap();
  for (const [name, value] of Object.entries(response.headers)) {
    if (HOP_BY_HOP_HEADERS.has(name)) continue;
    responseHeaders.set(name, value);
  }
  exchange.response = new Message({ status: response.status, headers: responseHeaders, body: response.body });
  exchange.hasResponse = true;
  exchange.phase = 'response';
  exchange.observer?.message?.('targetResponse', exchange.response);

  // Apigee treats 4xx/5xx target responses as faults (fault rules can react);
  // by default the client still receives the target's response unchanged.
  const successCodes = target?.connection.properties['success.codes'];
  const isSuccess = successCodes ? isSuccessCode(successCodes, response.status) : response.status < 400;
  if (!isSuccess) {
    const fault = new Fault('ErrorResponseCode', 'messaging.adaptors.http.flow.ErrorResponseCode', response.status, `Received ${response.status} Response Code`);
    fault.response = exchange.response;
    throw fault;
  }
}
