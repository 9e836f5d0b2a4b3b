// Resource calls: `/elements/api-v2/{path}` with `Element <instance token>`
// goes to the element's base URL with the instance's vendor credential.
// Method, query, body (binary too) and end-to-end headers pass through both
// ways; vendor errors keep their status and body. An OAuth instance whose
// token the vendor rejects is refreshed and the call retried, once.
import { analyticsRecorder } from '../analytics/recorder.js';
import type { HttpRequest } from '../http/request.js';
import { HttpError, isHttpError } from '../http/errors.js';
import type { HttpResponse } from '../http/response.js';
import { HOP_BY_HOP_HEADERS } from '../net/headers.js';
import type { OutboundResponse } from '../net/outbound.js';
import type { Principal } from '../auth/principal.js';
import type { Runtime } from '../runtime.js';
import type { ResolvedElement } from './catalog.js';
import type { InstanceItem } from './instances.js';
import { unifiedCall } from './unified/unified-call.js';
import { callableInstance, callSegments, callWithCredentials, findResource, instanceBaseUrl, resourceVendorSegments, vendorUrl } from './vendor-call.js';

export { encodePathSegment, findResource } from './vendor-call.js';

export const RESOURCE_PREFIX = '/elements/api-v2/';

const DROPPED_REQUEST = new Set(['authorization', 'cookie', 'forwarded', 'via', 'x-real-ip', 'x-request-id']);
const DROPPED_REQUEST_PREFIXES = ['x-forwarded-', 'x-amz', 'x-amzn-', 'cloudfront-'];
// Vendor cookies would be set on Tollgate's domain; vendor security headers are Tollgate's to set.
const DROPPED_RESPONSE = new Set(['set-cookie', 'set-cookie2', 'strict-transport-security', 'alt-svc']);

interface VendorTarget {
  url: URL;
  method: string;
}

function vendorTarget(element: ResolvedElement, instance: InstanceItem, request: HttpRequest, rest: string): VendorTarget {
  const base = instanceBaseUrl(element, instance);
  let segments = callSegments(rest);
  let method = request.method;
  let trailingSlash = rest.endsWith('/') && segments.length > 0;
  const found = findResource(element.definition.resources, request.method === 'HEAD' ? 'GET' : request.method, segments);
  const vendorSegments = found && resourceVendorSegments(found.resource, found.params);
  if (found && vendorSegments) {
    // The resource's vendor path, its {name} parameters filled from the call's path.
    segments = vendorSegments;
    method = request.method === 'HEAD' ? 'HEAD' : found.resource.vendorMethod;
    trailingSlash = found.resource.vendorPath.endsWith('/') && segments.length > 0;
  }
  return { url: vendorUrl(base, segments, trailingSlash, request.query), method };
}

/** The request's own end-to-end headers, without its credentials and the platform's hop headers. */
export function forwardedHeaders(request: HttpRequest): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, values] of Object.entries(request.multiHeaders)) {
    if (HOP_BY_HOP_HEADERS.has(name) || DROPPED_REQUEST.has(name) || DROPPED_REQUEST_PREFIXES.some((prefix) => name.startsWith(prefix))) continue;
    headers[name] = values.length === 1 ? values[0]! : values;
  }
  return headers;
}

/** The vendor's answer as it goes back: its headers without cookies and the vendor's own security headers. */
export function responseFrom(vendor: OutboundResponse): HttpResponse {
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

/**
 * A call of the vendor's API on the platform's own behalf (event polls and
 * webhook subscriptions): `url` under the instance's base URL (or a full URL
 * on its origin), with the instance's credential, refreshed first when about
 * to expire and once after a vendor 401.
 */
export function callVendorApi(
  rt: Runtime,
  element: ResolvedElement,
  instance: InstanceItem,
  call: { method: string; url: URL; headers?: Record<string, string>; body?: Buffer | string },
): Promise<OutboundResponse> {
  const headers: Record<string, string | string[]> = { accept: 'application/json', ...call.headers };
  return callWithCredentials(rt, element, instance, { url: call.url, method: call.method, headers, ...(call.body !== undefined ? { body: call.body } : {}) });
}

/**
 * A path under `/elements/api-v2` (a hub prefix ignored) as the vendor URL a
 * GET resource call would reach: the element resource's vendor path when one
 * matches, else the same path under the base URL; the query is kept.
 */
export function vendorUrlOf(element: ResolvedElement, instance: InstanceItem, pathAndQuery: string): URL {
  const [path, query = ''] = pathAndQuery.split('?', 2) as [string, string | undefined];
  const request = { method: 'GET', query: new URLSearchParams(query) } as HttpRequest;
  return vendorTarget(element, instance, request, path.replace(/^\/+/, '')).url;
}

/** Serves one resource call for an authenticated organization. */
export async function proxyResourceCall(rt: Runtime, request: HttpRequest, principal: Principal): Promise<HttpResponse> {
  const { instance, element } = await callableInstance(rt, principal);
  const rest = request.path.startsWith(RESOURCE_PREFIX) ? request.path.slice(RESOURCE_PREFIX.length) : '';
  if (!rest.replace(/\//g, '')) throw new HttpError(404, 'not_found', 'Name a resource: /elements/api-v2/{resource}');

  // Every call that reached an instance is a usage record (written in the background).
  const startedAt = Date.now();
  const started = performance.now();
  let status = 500;
  try {
    const response = await forward(rt, request, instance, element, rest);
    status = response.status;
    return response;
  } catch (error) {
    if (isHttpError(error)) status = error.status;
    throw error;
  } finally {
    analyticsRecorder(rt).recordConnectorCall({
      timestamp: startedAt,
      request_id: request.requestId || `${startedAt}-${instance.id}`,
      organization: principal.organization,
      element_key: element.definition.key,
      element_name: element.definition.name,
      instance_id: instance.id,
      instance_tags: instance.tags ?? [],
      request_verb: request.method,
      request_uri: `/${rest.replace(/^\/+/, '')}`,
      response_status_code: status,
      total_response_time: Math.round((performance.now() - started) * 1000) / 1000,
      client_ip: request.sourceIp,
    });
  }
}

async function forward(rt: Runtime, request: HttpRequest, instance: InstanceItem, element: ResolvedElement, rest: string): Promise<HttpResponse> {
  // Canonical objects and common resources: mapped records, CEQL and paging (unified/unified-call.ts).
  const unified = await unifiedCall(rt, request, element, instance, callSegments(rest));
  if (unified) return unified;

  // Everything else goes to the vendor as it is.
  const { url, method } = vendorTarget(element, instance, request, rest);
  const vendor = await callWithCredentials(rt, element, instance, { url, method, headers: forwardedHeaders(request), body: request.body });
  const response = responseFrom(vendor);
  response.headers = { ...response.headers, 'elements-element-instance-id': String(instance.id) };
  return response;
}
