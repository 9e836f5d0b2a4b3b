// A call of the vendor's API with an instance's credential: the instance's
// base URL, a call's path as the element's resource maps it, the credential
// (OAuth 2.0 bearer, OAuth 1.0a signature, Basic, API key or the element's
// custom headers), refreshed before it expires and once after the vendor
// rejects it. Used by raw resource calls and unified calls alike.
import type { Principal } from '../auth/principal.js';
import { basicAuthorization } from '../http/basic-auth.js';
import { HttpError, forbidden, unauthorized } from '../http/errors.js';
import type { HttpRequest } from '../http/request.js';
import { HOP_BY_HOP_HEADERS } from '../net/headers.js';
import type { OutboundResponse } from '../net/outbound.js';
import type { Runtime } from '../runtime.js';
import { findElement, type ResolvedElement } from './catalog.js';
import { baseUrlOf, fillTemplate, normalizeResourcePath, placeholders, TemplateError, type ElementResource } from './element-schema.js';
import { canUseInstance } from './instance-access.js';
import { findInstanceByToken, type InstanceItem, type VendorCredentials } from './instances.js';
import { credentialsAfterRejection, credentialsForCall, instanceInvalid } from './token-lifecycle.js';
import { authorizationHeader } from './oauth1.js';
import { vendorRequest } from './vendor-http.js';

const DROPPED_REQUEST = new Set(['authorization', 'cookie', 'forwarded', 'via', 'x-real-ip', 'x-request-id']);
const DROPPED_REQUEST_PREFIXES = ['x-forwarded-', 'x-amz', 'x-amzn-', 'cloudfront-'];

/** The request's own end-to-end headers, without its credentials and the platform's hop headers. */
export function forwardedHeaders(request: HttpRequest): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, values] of Object.entries(request.multiHeaders)) {
    if (HOP_BY_HOP_HEADERS.has(name) || DROPPED_REQUEST.has(name) || DROPPED_REQUEST_PREFIXES.some((prefix) => name.startsWith(prefix))) continue;
    headers[name] = values.length === 1 ? values[0]! : values;
  }
  return headers;
}

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

/** The instance's vendor base URL: the element's `base.url` with the instance's values. */
export function instanceBaseUrl(element: ResolvedElement, instance: InstanceItem): string {
  try {
    return fillTemplate(baseUrlOf(element.definition) ?? '', instance.configuration);
  } catch (error) {
    if (error instanceof TemplateError) {
      throw new HttpError(502, 'element_misconfigured', `Element ${element.definition.key} base URL cannot be built: ${error.message}`);
    }
    throw error;
  }
}

/** A call's path segments under `/elements/api-v2`, decoded once, without a `/hubs/{hub}` prefix. */
export function callSegments(rest: string): string[] {
  // API Gateway hands over a decoded path, the local server a raw one: decode (idempotent for
  // ordinary segments), then encode once for the vendor.
  let segments = pathSegments(rest).map(safeDecode);
  // Open Connectors ignores the hub a call names: /hubs/crm/contacts is /contacts.
  if (segments[0] === 'hubs' && segments.length > 2) segments = segments.slice(2);
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    throw new HttpError(400, 'invalid_path', 'Resource paths must not contain . or .. segments');
  }
  return segments;
}

/** The vendor URL of `segments` under the base URL, with the query. */
export function vendorUrl(base: string, segments: string[], trailingSlash: boolean, query: Iterable<[string, string]>): URL {
  const url = new URL(base);
  const basePath = url.pathname.replace(/\/+$/, '');
  url.pathname = `${basePath}/${segments.map(encodePathSegment).join('/')}${trailingSlash ? '/' : ''}`;
  const params = new URLSearchParams(url.search);
  for (const [name, value] of query) params.append(name, value);
  url.search = params.toString();
  return url;
}

/** The vendor path of a matched resource, its `{name}` parameters filled; undefined when one is missing. */
export function resourceVendorSegments(resource: ElementResource, params: Record<string, string>): string[] | undefined {
  if (!placeholders(resource.vendorPath).every((name) => params[name] !== undefined)) return undefined;
  return pathSegments(resource.vendorPath).map((part) => part.replace(/\{([^}]+)\}/g, (_m, name: string) => params[name] ?? ''));
}

/** Values for custom authentication templates: the instance's configuration and its secret entries. */
function templateValues(instance: InstanceItem, credentials: VendorCredentials): Record<string, string> {
  return { ...instance.configuration, ...credentials.secrets };
}

function headerName(headers: Record<string, string | string[]>, name: string): string {
  const lower = name.toLowerCase();
  delete headers[lower];
  return lower;
}

/** The form parameters of a body, which OAuth 1.0a signs (RFC 5849 3.4.1.3.1). */
function formParameters(headers: Record<string, string | string[]>, body: Buffer | string | undefined): [string, string][] {
  const type = headers['content-type'];
  if (body === undefined || !String(Array.isArray(type) ? type[0] : (type ?? '')).toLowerCase().startsWith('application/x-www-form-urlencoded')) return [];
  return [...new URLSearchParams(body.toString())];
}

/** Puts the vendor credential on the outgoing request. */
function authorize(element: ResolvedElement, instance: InstanceItem, credentials: VendorCredentials, call: VendorCall, headers: Record<string, string | string[]>, url: URL): void {
  const auth = element.definition.authentication;
  switch (auth.type) {
    case 'oauth2': {
      // Token types other than DPoP and MAC are bearer tokens (Slack calls its own `bot` and `user`).
      const scheme = credentials.tokenType && /^(dpop|mac)$/i.test(credentials.tokenType) ? credentials.tokenType : 'Bearer';
      headers.authorization = `${scheme} ${credentials.accessToken ?? ''}`;
      return;
    }
    case 'oauth1':
      headers.authorization = authorizationHeader(
        auth,
        { consumerKey: credentials.clientId ?? '', consumerSecret: credentials.clientSecret ?? '', token: credentials.accessToken ?? '', tokenSecret: credentials.tokenSecret ?? '' },
        { method: call.method, url, form: formParameters(headers, call.body) },
      );
      return;
    case 'basic':
      headers.authorization = basicAuthorization(credentials.username ?? '', credentials.password ?? '');
      return;
    case 'custom': {
      const values = templateValues(instance, credentials);
      try {
        for (const [name, template] of Object.entries(auth.headers)) headers[headerName(headers, name)] = fillTemplate(template, values);
        for (const [name, template] of Object.entries(auth.query)) url.searchParams.set(name, fillTemplate(template, values));
      } catch (error) {
        if (error instanceof TemplateError) throw new HttpError(502, 'element_misconfigured', `Element ${element.definition.key} custom authentication cannot be built: ${error.message}`);
        throw error;
      }
      return;
    }
    default:
      if (auth.in === 'header') headers[headerName(headers, auth.name)] = `${auth.prefix}${credentials.apiKey ?? ''}`;
      else url.searchParams.set(auth.name, credentials.apiKey ?? '');
  }
}

/** One request to the vendor, with the instance's credential put on it. */
export interface VendorCall {
  url: URL;
  method: string;
  headers: Record<string, string | string[]>;
  body?: Buffer | string;
}

function sendCall(rt: Runtime, element: ResolvedElement, instance: InstanceItem, credentials: VendorCredentials, call: VendorCall): Promise<OutboundResponse> {
  const url = new URL(call.url);
  const headers = { ...call.headers };
  authorize(element, instance, credentials, call, headers, url);
  const hasBody = call.body !== undefined && call.body.length > 0 && call.method !== 'GET' && call.method !== 'HEAD';
  return vendorRequest(
    rt,
    { url, method: call.method, headers, ...(hasBody ? { body: call.body! } : {}), timeoutMs: element.definition.timeoutMs },
    `The ${element.definition.name} API`,
  );
}

/**
 * Sends a call with the instance's credential, refreshed first when it is
 * about to expire; an OAuth token the vendor rejects is refreshed and the
 * call retried, once.
 */
export async function callWithCredentials(rt: Runtime, element: ResolvedElement, instance: InstanceItem, call: VendorCall): Promise<OutboundResponse> {
  const usable = await credentialsForCall(rt, instance, element);
  const first = await sendCall(rt, element, usable.item, usable.credentials, call);
  if (first.status !== 401 || usable.refreshed) return first;
  // The vendor rejected a token we believed valid: refresh once and retry once.
  const renewed = await credentialsAfterRejection(rt, usable.item, element, usable.credentials);
  if (!renewed) return first;
  return sendCall(rt, element, renewed.item, renewed.credentials, call);
}

/** The instance an Element token names, usable by this caller, with its element. */
export async function callableInstance(rt: Runtime, principal: Principal): Promise<{ instance: InstanceItem; element: ResolvedElement }> {
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
  return { instance, element };
}

