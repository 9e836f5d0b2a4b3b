// Resource calls: `/elements/api-v2/{path}` with `Element <instance token>`
// goes to the element's base URL with the instance's vendor credential.
// Method, query, body (binary too) and end-to-end headers pass through both
// ways; vendor errors keep their status and body. An OAuth instance whose
// token the vendor rejects is refreshed and the call retried, once.
import { analyticsRecorder } from '../analytics/recorder.js';
import type { HttpRequest } from '../http/request.js';
import { forbidden, HttpError, isHttpError } from '../http/errors.js';
import type { HttpResponse } from '../http/response.js';
import { HOP_BY_HOP_HEADERS } from '../net/headers.js';
import type { OutboundResponse } from '../net/outbound.js';
import type { Principal } from '../auth/principal.js';
import type { Runtime } from '../runtime.js';
import { findElement, type ResolvedElement } from './catalog.js';
import type { ElementResource } from './element-schema.js';
import { callWithHooks } from './hooks.js';
import { getInstance, type InstanceItem } from './instances.js';
import { instanceInvalid } from './token-lifecycle.js';
import { unifiedCall } from './unified/unified-call.js';
import { callableInstance, callSegments, callWithCredentials, findResource, forwardedHeaders, instanceBaseUrl, resourceVendorSegments, vendorUrl } from './vendor-call.js';

export { encodePathSegment, findResource } from './vendor-call.js';

export const RESOURCE_PREFIX = '/elements/api-v2/';

// Vendor cookies would be set on Tollgate's domain; vendor security headers are Tollgate's to set.
const DROPPED_RESPONSE = new Set(['set-cookie', 'set-cookie2', 'strict-transport-security', 'alt-svc']);

interface VendorTarget {
  url: URL;
  method: string;
  /** The element resource the call matched, if any (its hooks run around the call). */
  resource?: ElementResource;
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
  return { url: vendorUrl(base, segments, trailingSlash, request.query), method, ...(found ? { resource: found.resource } : {}) };
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
  return recordedCall(rt, request, principal.organization, instance, element, rest);
}

/** One call through an instance that the platform makes itself (a formula's element request step), not a caller. */
export interface InstanceCall {
  method: string;
  /** The resource path as a caller would give it under `/elements/api-v2`: `/hubs/crm/contacts/123`. */
  path: string;
  query?: URLSearchParams;
  headers?: Record<string, string>;
  body?: Buffer;
  requestId: string;
}

/** A resource call through an instance of the organization, by the instance's id: canonical objects, CEQL and vendor paths alike. */
export async function callInstance(rt: Runtime, org: string, instanceId: number, call: InstanceCall): Promise<HttpResponse> {
  const instance = await getInstance(rt, org, instanceId, true);
  if (!instance) throw new HttpError(404, 'instance_not_found', `Instance ${instanceId} not found`);
  if (instance.disabled) throw forbidden(`Instance ${instance.id} is disabled`, 'instance_disabled');
  if (!instance.valid) throw instanceInvalid(instance);
  const element = await findElement(rt, org, instance.elementKey);
  if (!element) throw new HttpError(409, 'element_not_found', `Element ${instance.elementKey} of instance ${instance.id} no longer exists`);
  const rest = call.path.replace(/^\/+/, '');
  if (!rest) throw new HttpError(404, 'not_found', 'Name a resource: /hubs/{hub}/{resource}');
  const headers = Object.fromEntries(Object.entries(call.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  const request: HttpRequest = {
    method: call.method.toUpperCase(),
    path: `${RESOURCE_PREFIX}${rest}`,
    params: {},
    query: call.query ?? new URLSearchParams(),
    headers,
    multiHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    body: call.body ?? Buffer.alloc(0),
    requestId: call.requestId,
    sourceIp: '',
    receivedAt: Date.now(),
  };
  return recordedCall(rt, request, org, instance, element, rest);
}

/** What an observer learns of each resource call that reached an instance (element request triggers). */
export interface ResourceCallObservation {
  organization: string;
  instance: InstanceItem;
  request: HttpRequest;
  /** The vendor path as called, without the `/elements/api-v2/` prefix. */
  path: string;
  response: HttpResponse;
}

export type ResourceCallObserver = (rt: Runtime, observation: ResourceCallObservation) => void;

/** Observers of completed resource calls in this process; each is told after the answer is ready and cannot change it. */
const observers = new Set<ResourceCallObserver>();

export function observeResourceCalls(observer: ResourceCallObserver): void {
  observers.add(observer);
}

async function recordedCall(rt: Runtime, request: HttpRequest, organization: string, instance: InstanceItem, element: ResolvedElement, rest: string): Promise<HttpResponse> {
  // Every call that reached an instance is a usage record (written in the background).
  const startedAt = Date.now();
  const started = performance.now();
  let status = 500;
  try {
    const response = await forward(rt, request, instance, element, rest);
    status = response.status;
    for (const observe of observers) observe(rt, { organization, instance, request, path: rest, response });
    return response;
  } catch (error) {
    if (isHttpError(error)) status = error.status;
    throw error;
  } finally {
    analyticsRecorder(rt).recordConnectorCall({
      timestamp: startedAt,
      request_id: request.requestId || `${startedAt}-${instance.id}`,
      organization,
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
  const { url, method, resource } = vendorTarget(element, instance, request, rest);
  const headers = forwardedHeaders(request);
  const incoming = () => ({ method: request.method, path: `/${rest}`, query: request.query, headers, body: request.body });
  const vendor = await callWithHooks(rt, element, instance, resource, incoming, { url, method, headers, body: request.body });
  const response = responseFrom(vendor);
  response.headers = { ...response.headers, 'elements-element-instance-id': String(instance.id) };
  return response;
}
