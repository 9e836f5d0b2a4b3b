// Entry of the proxy runtime: the runtime plane, which serves deployed proxies
// only and reserves no path. The request's host and path select one
// deployment of the host's environment (virtual host, longest base path);
// then the exchange is built, the flows run, and the final response message
// becomes the HTTP response. Where deployments, providers and the policies'
// services come from is the host's business (gateway/host/).
import { isUtf8 } from 'node:buffer';
import { HttpError } from '../../http/errors.js';
import type { HttpRequest } from '../../http/request.js';
import type { HttpResponse } from '../../http/response.js';
import type { CompiledProxy } from './compile.js';
import { Exchange } from './exchange.js';
import { isFault } from './faults.js';
import { faultResponse, runPostClientFlow, runProxyEndpoint, type FlowServices } from './flow.js';
import { HeaderMap, Message, wireHeaderValue } from './message.js';
import { normalizePath } from './path.js';
import type { ExchangeObserver } from './observer.js';

/** A base path claimed by a deployment. */
export interface DeployedRoute {
  organization: string;
  api: string;
  revision: number;
  proxyEndpoint: string;
  /** The base path it serves: the deployment's and the proxy endpoint's together. */
  basePath: string;
}

/** Everything the engine needs from the container it runs in. */
export interface ProxyHost extends FlowServices {
  /** The environment this runtime serves. */
  environment: string;
  /** The deployed proxy on the virtual host `host` names whose base path is the longest prefix of `path`. */
  match(host: string | undefined, path: string): Promise<{ route: DeployedRoute; proxy: CompiledProxy } | undefined>;
  /**
   * Who watches a new exchange (analytics, a trace session), if anyone; asked
   * once per exchange before its flows run. Must answer without I/O.
   */
  observe?(exchange: Exchange): ExchangeObserver | undefined;
}

export async function handleProxyRequest(host: ProxyHost, request: HttpRequest): Promise<HttpResponse> {
  // Routing, conditions and the target all see the same normalized path.
  const path = normalizePath(request.path);
  const match = await host.match(request.headers.host, path);
  if (!match) {
    throw new HttpError(
      404,
      'messaging.adaptors.http.flow.ApplicationNotFound',
      `Unable to identify proxy for host: ${host.environment} and url: ${path}`,
    );
  }
  const { route, proxy } = match;
  const endpoint = proxy.proxyEndpoints.find((candidate) => candidate.name === route.proxyEndpoint) ?? proxy.proxyEndpoints[0]!;

  const headers = new HeaderMap();
  try {
    for (const [name, values] of Object.entries(request.multiHeaders)) headers.set(name, values);
  } catch (error) {
    // A header no HTTP parser should have let through: refused like any other invalid header.
    if (isFault(error)) return toHttpResponse(faultResponse(error));
    throw error;
  }
  const message = new Message({
    headers,
    query: new URLSearchParams(request.query),
    verb: request.method,
    path,
    body: request.body,
  });
  const exchange = new Exchange(message, {
    organization: route.organization,
    environment: host.environment,
    apiName: route.api,
    revision: route.revision,
    proxyEndpoint: endpoint.name,
    // The base path the request came in on: the deployment's and the endpoint's together.
    basePath: route.basePath,
    clientIp: request.sourceIp,
    messageId: request.requestId,
    deadline: request.deadline,
    propertySets: proxy.propertySets,
  });

  const observer = host.observe?.(exchange);
  if (observer) {
    exchange.observer = observer;
    observer.message?.('proxyRequest', message);
  }
  await runProxyEndpoint(proxy, endpoint, exchange, host);
  for (const hook of exchange.responseHooks) hook(exchange.response);
  observer?.message?.('proxyResponse', exchange.response);
  if (endpoint.postClientFlow) {
    // What PostClientFlow does cannot reach the client: it works on a copy.
    const response = exchange.response;
    exchange.response = response.clone();
    await runPostClientFlow(proxy, endpoint, exchange, host);
    exchange.response = response;
  }
  const result = toHttpResponse(exchange.response);
  observer?.completed?.(exchange);
  return result;
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i;

function toHttpResponse(message: Message): HttpResponse {
  const headers: Record<string, string> = {};
  const multiHeaders: Record<string, string[]> = {};
  for (const [name, values] of message.headers.list()) {
    const lower = name.toLowerCase();
    if (lower === 'content-length' || lower === 'transfer-encoding' || lower === 'connection') continue;
    if (values.length === 1) headers[lower] = wireHeaderValue(values[0]!);
    else multiHeaders[lower] = values.map(wireHeaderValue);
  }
  const type = message.headers.get('content-type') ?? '';
  // Text stays text; anything else goes back byte-exact (base64 through API Gateway).
  const body = TEXT_TYPES.test(type) && isUtf8(message.body) ? message.body.toString('utf8') : message.body;
  return { status: message.status, headers, multiHeaders, body };
}

