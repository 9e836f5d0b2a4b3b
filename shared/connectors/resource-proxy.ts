// Resource calls: `/elements/api-v2/{path}` with `Element <instance token>`
// goes to the element's base URL with the instance's vendor credential.
// Method, query, body (binary too) and end-to-end headers pass through both
// ways; vendor errors keep their status and body. An OAuth instance whose
// token the vendor rejects is refreshed and the call retried, once.
import { basicAuthorization } from '../http/basic-auth.js';
import { HttpError, forbidden, unauthorized } from '../http/errors.js';
import type { HttpRequest } from '../http/request.js';
import type { HttpResponse } from '../http/response.js';
import { HOP_BY_HOP_HEADERS } from '../net/headers.js';
import type { OutboundResponse } from '../net/outbound.js';
import type { Runtime } from '../runtime.js';
import { findElement, type ResolvedElement } from './catalog.js';
import { baseUrlOf, fillTemplate, normalizeResourcePath, placeholders, TemplateError, type ElementResource } from './element-schema.js';
import type { Principal } from '../auth/principal.js';
import { canUseInstance } from './instance-access.js';
import { findInstanceByToken, type InstanceItem, type VendorCredentials } from './instances.js';
import { credentialsAfterRejection, credentialsForCall, instanceInvalid } from './token-lifecycle.js';
import { vendorRequest } from './vendor-http.js';

export const RESOURCE_PREFIX = '/elements/api-v2/';

const DROPPED_REQUEST = new Set(['authorization', 'cookie', 'forwarded', 'via', 'x-real-ip', 'x-request-id']);
const DROPPED_REQUEST_PREFIXES = ['x-forwarded-', 'x-amz', 'x-amzn-', 'cloudfront-'];
// Vendor cookies would be set on Tollgate's domain; vendor security headers are Tollgate's to set.
const DROPPED_RESPONSE = new Set(['set-cookie', 'set-cookie2', 'strict-transport-security', 'alt-svc']);

/** Re-encodes a decoded path segment: RFC 3986 pchar stays, everything else is percent-encoded. */
export function encodePathSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/%(21|24|26|27|28|29|2A|2B|2C|3B|3D|3A|40)/gi, (match) => decodeURIComponent(match));
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function pathSegments(path: string): string[] {
  return path.split('/').filter((segment) => segment.length > 0);
}

/**
 * The element resource a call addresses: same method, and the path matches the
 * resource's path segment by segment (`{name}` takes any one segment). A
 * `/hubs/{hub}` prefix is ignored on both sides, as Open Connectors does.
 */
export function findResource(resources: readonly ElementResource[], method: string, segments: string[]): { resource: ElementResource; params: Record<string, string> } | undefined {
  const actual = segments;
  for (const resource of resources) {
    if (resource.method !== method) continue;
    const expected = pathSegments(normalizeResourcePath(resource.path));
    if (expected.length !== actual.length) continue;
    const params: Record<string, string> = {};
    const matches = expected.every((part, i) => {
      const name = /^\{(.+)\}$/.exec(part)?.[1];
      if (name) params[name] = actual[i]!;
      return name !== undefined || part === actual[i];
    });
    if (matches) return { resource, params };
  }
  return undefined;
}

interface VendorTarget {
  url: URL;
  method: string;
}

function vendorTarget(element: ResolvedElement, instance: InstanceItem, request: HttpRequest, rest: string): VendorTarget {
  let base: string;
  try {
    base = fillTemplate(baseUrlOf(element.definition) ?? '', instance.configuration);
  } catch (error) {
    if (error instanceof TemplateError) {
      throw new HttpError(502, 'element_misconfigured', `Element ${element.definition.key} base URL cannot be built: ${error.message}`);
    }
    throw error;
  }
  // API Gateway hands over a decoded path, the local server a raw one: decode (idempotent for
  // ordinary segments), then encode once for the vendor.
  let segments = pathSegments(rest).map(safeDecode);
  // Open Connectors ignores the hub a call names: /hubs/crm/contacts is /contacts.
  if (segments[0] === 'hubs' && segments.length > 2) segments = segments.slice(2);
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    throw new HttpError(400, 'invalid_path', 'Resource paths must not contain . or .. segments');
  }
  let method = request.method;
  let trailingSlash = rest.endsWith('/') && segments.length > 0;
  const found = findResource(element.definition.resources, request.method === 'HEAD' ? 'GET' : request.method, segments);
  if (found) {
    // The resource's vendor path, its {name} parameters filled from the call's path.
    const vendorPath = pathSegments(found.resource.vendorPath).map((part) => part.replace(/\{([^}]+)\}/g, (_m, name: string) => found.params[name] ?? ''));
    if (placeholders(found.resource.vendorPath).every((name) => found.params[name] !== undefined)) {
      segments = vendorPath;
      method = request.method === 'HEAD' ? 'HEAD' : found.resource.vendorMethod;
      trailingSlash = found.resource.vendorPath.endsWith('/') && segments.length > 0;
    }
  }
  const url = new URL(base);
  const basePath = url.pathname.replace(/\/+$/, '');
  url.pathname = `${basePath}/${segments.map(encodePathSegment).join('/')}${trailingSlash ? '/' : ''}`;
  const query = new URLSearchParams(url.search);
  for (const [name, value] of request.query) query.append(name, value);
  url.search = query.toString();
  return { url, method };
}

function forwardedHeaders(request: HttpRequest): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, values] of Object.entries(request.multiHeaders)) {
    if (HOP_BY_HOP_HEADERS.has(name) || DROPPED_REQUEST.has(name) || DROPPED_REQUEST_PREFIXES.some((prefix) => name.startsWith(prefix))) continue;
    headers[name] = values.length === 1 ? values[0]! : values;
  }
  return headers;
}

/** Puts the vendor credential on the outgoing request. */
function authorize(element: ResolvedElement, credentials: VendorCredentials, headers: Record<string, string | string[]>, url: URL): void {
  const auth = element.definition.authentication;
  if (auth.type === 'oauth2') {
    const scheme = !credentials.tokenType || /^bearer$/i.test(credentials.tokenType) ? 'Bearer' : credentials.tokenType;
    headers.authorization = `${scheme} ${credentials.accessToken ?? ''}`;
  } else if (auth.type === 'basic') {
    headers.authorization = basicAuthorization(credentials.username ?? '', credentials.password ?? '');
  } else if (auth.type !== 'apiKey') {
    throw new HttpError(501, 'authentication_not_supported', `Element ${element.definition.key} uses ${auth.type} authentication, which Tollgate cannot call yet`);
  } else if (auth.in === 'header') {
    delete headers[auth.name.toLowerCase()];
    headers[auth.name.toLowerCase()] = `${auth.prefix}${credentials.apiKey ?? ''}`;
  } else {
    url.searchParams.set(auth.name, credentials.apiKey ?? '');
  }
}

function responseFrom(vendor: OutboundResponse): HttpResponse {
  const headers: Record<string, string> = {};
  const multiHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(vendor.headers)) {
    if (HOP_BY_HOP_HEADERS.has(name) || DROPPED_RESPONSE.has(name)) continue;
    if (Array.isArray(value)) {
      if (value.length === 1) headers[name] = value[0]!;
      else multiHeaders[name] = value;
    } else headers[name] = value;
  }
  return {
    status: vendor.status,
    headers,
    ...(Object.keys(multiHeaders).length ? { multiHeaders } : {}),
    body: vendor.body,
  };
}

async function callVendor(
  rt: Runtime,
  request: HttpRequest,
  element: ResolvedElement,
  instance: InstanceItem,
  credentials: VendorCredentials,
  rest: string,
): Promise<OutboundResponse> {
  const { url, method } = vendorTarget(element, instance, request, rest);
  const headers = forwardedHeaders(request);
  authorize(element, credentials, headers, url);
  const hasBody = request.body.length > 0 && method !== 'GET' && method !== 'HEAD';
  return vendorRequest(
    rt,
    {
      url,
      method,
      headers,
      ...(hasBody ? { body: request.body } : {}),
      timeoutMs: element.definition.timeoutMs,
    },
    `The ${element.definition.name} API`,
  );
}

/** Serves one resource call for an authenticated organization. */
export async function proxyResourceCall(rt: Runtime, request: HttpRequest, principal: Principal): Promise<HttpResponse> {
  if (!principal.element) {
    throw unauthorized('Resource calls need the instance token: Authorization: User <secret>, Organization <secret>, Element <instance token>', 'element_token_required');
  }
  const instance = await findInstanceByToken(rt, principal.organization, principal.element);
  // Another user's instance answers like an unknown token: its owner and administrators use it, no one else.
  if (!instance || !(await canUseInstance(rt, principal, instance))) throw unauthorized('The Element instance token is not valid for this organization', 'invalid_instance_token');
  if (instance.disabled) throw forbidden(`Instance ${instance.id} is disabled; enable it with PUT /elements/api-v2/instances/${instance.id}/enabled`, 'instance_disabled');
  if (!instance.valid) throw instanceInvalid(instance);
  const element = await findElement(rt, principal.organization, instance.elementKey);
  if (!element) throw new HttpError(409, 'element_not_found', `Element ${instance.elementKey} of instance ${instance.id} no longer exists`);

  const rest = request.path.startsWith(RESOURCE_PREFIX) ? request.path.slice(RESOURCE_PREFIX.length) : '';
  if (!rest.replace(/\//g, '')) throw new HttpError(404, 'not_found', 'Name a resource: /elements/api-v2/{resource}');

  const answer = (vendor: OutboundResponse) => {
    const response = responseFrom(vendor);
    response.headers = { ...response.headers, 'elements-element-instance-id': String(instance.id) };
    return response;
  };
  const usable = await credentialsForCall(rt, instance, element);
  const first = await callVendor(rt, request, element, usable.item, usable.credentials, rest);
  if (first.status !== 401 || usable.refreshed) return answer(first);
  // The vendor rejected a token we believed valid: refresh once and retry once.
  const renewed = await credentialsAfterRejection(rt, usable.item, element, usable.credentials);
  if (!renewed) return answer(first);
  return answer(await callVendor(rt, request, element, renewed.item, renewed.credentials, rest));
}
