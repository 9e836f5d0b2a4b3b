// A call of a canonical object or a common resource (`GET /hubs/crm/contacts`
// with `where`, `fields`, `orderBy`, `pageSize`, `nextPage`): the element
// resource it maps to is called with the vendor's own query and paging, the
// vendor's records come back mapped through the chain of transformations,
// request bodies go the other way. Vendor errors come back in Open
// Connectors' shape with normalized statuses; a vendor's rate limit answers
// 429 with its Retry-After.
import { HttpError } from '../../http/errors.js';
import type { HttpRequest } from '../../http/request.js';
import { json, type HttpResponse } from '../../http/response.js';
import type { OutboundResponse } from '../../net/outbound.js';
import type { Runtime } from '../../runtime.js';
import type { ResolvedElement } from '../catalog.js';
import type { ElementResource, Transformation } from '../element-schema.js';
import type { InstanceItem } from '../instances.js';
import { listHeaders } from '../http.js';
import { headerValue, vendorText } from '../vendor-http.js';
import { callWithHooks } from '../hooks.js';
import { findResource, forwardedHeaders, instanceBaseUrl, resourceVendorSegments, vendorUrl } from '../vendor-call.js';
import { CeqlError, matches, parseFields, parseOrderBy, parseWhere, renameFields, type CeqlExpression, type OrderTerm } from './ceql.js';
import { instanceMappings } from './definitions.js';
import { fromVendor, project, readPath, toVendor, vendorFieldOf, writePath } from './mapping.js';
import { resolveObject, type UnifiedObject } from './objects.js';
import { DEFAULT_PAGE_SIZE, effectivePagination, MAX_PAGE_SIZE, nextPageState, pageRecords, pageRequest, pageTotal, vendorPageSize, type PageState } from './paging.js';
import { translateQuery } from './query.js';
import { runTransformationScript } from './transformation-script.js';

type Json = Record<string, unknown>;

/** Vendor pages one call reads at most while it filters after the vendor. */
export const MAX_VENDOR_PAGES = 10;
const MAX_BODY = 100_000;

/** The mapped answer, or undefined when the path is no canonical or common object of the instance. */
export async function unifiedCall(rt: Runtime, request: HttpRequest, element: ResolvedElement, instance: InstanceItem, segments: string[]): Promise<HttpResponse | undefined> {
  const name = segments[0];
  if (!name || segments.length > 2) return undefined;
  // A body that is not JSON (a multipart form, a file's bytes) is no record: it goes to the vendor as it is (a documents hub upload).
  const contentType = request.headers['content-type'];
  if (request.body.length > 0 && contentType !== undefined && !/\bjson\b/i.test(contentType)) return undefined;
  const definition = element.definition;
  const mappings = await instanceMappings(rt, instance);
  const object = resolveObject(definition, mappings, name);
  if (!object) return undefined;
  const call = new UnifiedCall(rt, request, element, instance, object);
  const answer = segments.length === 1 && request.method === 'GET' ? await call.list() : await call.one(segments[1]);
  answer.headers = { ...answer.headers, 'elements-element-instance-id': String(instance.id) };
  return answer;
}

/** The vendor's error in Open Connectors' shape: 4xx statuses a client can act on, 429 with Retry-After, 502 for the rest. */
export function vendorError(element: ResolvedElement, response: OutboundResponse): HttpError {
  const text = response.body.toString('utf8');
  let said: string | undefined;
  try {
    const body = JSON.parse(text) as unknown;
    const pick = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
    const first = Array.isArray(body) ? (body[0] as Json | undefined) : (body as Json | undefined);
    said = pick(first?.message) ?? pick(first?.error_description) ?? pick((first?.error as Json | undefined)?.message) ?? pick(first?.error) ?? pick(first?.detail) ?? pick(first?.description);
  } catch {
    said = text;
  }
  const providerMessage = vendorText(said ?? text, 1000) ?? `HTTP ${response.status}`;
  const status = response.status;
  const name = element.definition.name;
  const retryHeader = element.definition.rateLimit?.retryAfterHeader ?? 'Retry-After';
  const retryAfter = headerValue(response, retryHeader) ?? headerValue(response, 'retry-after');
  const limited = status === 429 || (status === 403 && /REQUEST_LIMIT_EXCEEDED|rate limit/i.test(text));
  if (limited) {
    const seconds = retryAfter && /^\d{1,6}$/.test(retryAfter.trim()) ? retryAfter.trim() : '60';
    return new HttpError(429, 'vendor_rate_limited', `${name} is rate limiting this instance; retry after ${seconds} seconds`, { providerMessage, headers: { 'retry-after': seconds } });
  }
  const normalized = [400, 401, 403, 404, 405, 406, 409, 415].includes(status) ? status : status >= 400 && status < 500 ? 400 : 502;
  return new HttpError(normalized, 'vendor_error', `${name} answered HTTP ${status}`, { providerMessage });
}

function parseBody(response: OutboundResponse): unknown {
  if (response.body.length === 0) return undefined;
  try {
    return JSON.parse(response.body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

const reversed = (chain: Transformation[]) => [...chain].reverse();

class UnifiedCall {
  constructor(
    private readonly rt: Runtime,
    private readonly request: HttpRequest,
    private readonly element: ResolvedElement,
    private readonly instance: InstanceItem,
    private readonly object: UnifiedObject,
  ) {}

  private get definition() {
    return this.element.definition;
  }

  /** Records of the vendor's, as the caller sees them: each transformation's mappings, then its script. */
  private async out(vendor: unknown[]): Promise<Json[]> {
    let records = vendor;
    for (const transformation of this.object.chain) records = await this.mapped(transformation, records, true);
    return records as Json[];
  }

  /** A caller's record (a body), as the vendor takes it. */
  private async in(record: unknown): Promise<Json> {
    let records: unknown[] = [record];
    for (const transformation of reversed(this.object.chain)) records = await this.mapped(transformation, records, false);
    return records[0] as Json;
  }

  private async mapped(transformation: Transformation, records: unknown[], outward: boolean): Promise<Json[]> {
    const mapped = records.map((record) => (outward ? fromVendor(transformation, record) : toVendor(transformation, record)));
    if (!transformation.script) return mapped;
    const items = records.map((original, index) => ({ original, transformed: mapped[index]! }));
    return runTransformationScript(transformation.script.body, items, outward, { organization: this.instance.organization, element: this.definition.key, object: this.object.name });
  }

  /** The vendor field a caller's field reads, through every mapping; a 400 when it maps to none. */
  private vendorField(field: string): string {
    let path = field;
    for (const transformation of reversed(this.object.chain)) {
      const mapped = vendorFieldOf(transformation, path);
      if (!mapped) throw new HttpError(400, 'query_not_supported', `\`${field}\` is not a field of ${this.object.name}`);
      path = mapped.vendorPath ?? mapped.path;
    }
    return path;
  }

  private vendorType(vendorPath: string): string | undefined {
    const inner = this.object.chain[0];
    const field = inner?.fields.find((candidate) => (candidate.vendorPath ?? candidate.path) === vendorPath);
    return field?.vendorType ?? field?.type;
  }

  private resource(method: string, id?: string): { resource: ElementResource; params: Record<string, string> } {
    const withId = id !== undefined;
    const segments = withId ? [this.object.resource, id] : [this.object.resource];
    const found = findResource(this.definition.resources, method, segments);
    if (!found) {
      const allowed = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((candidate) => findResource(this.definition.resources, candidate, segments));
      throw new HttpError(405, 'method_not_allowed', `${this.object.name}${withId ? '/{id}' : ''} does not offer ${method}; it offers ${allowed.join(', ') || 'nothing'}`, { headers: { allow: allowed.join(', ') } });
    }
    return found;
  }

  private async send(resource: ElementResource, url: URL, method: string, headers: Record<string, string>, body?: string): Promise<{ response: OutboundResponse; body: unknown }> {
    const request = this.request;
    // Built only for an element with hooks.
    const incoming = () => ({ method: request.method, path: request.path.replace(/^\/elements\/api-v2/, ''), query: request.query, headers: forwardedHeaders(request), body: request.body });
    const response = await callWithHooks(this.rt, this.element, this.instance, resource, incoming, {
      url,
      method,
      headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body } : {}),
    });
    if (response.status >= 400) throw vendorError(this.element, response);
    return { response, body: parseBody(response) };
  }

  private ceql(): { where?: CeqlExpression; fields?: string[]; orderBy: OrderTerm[]; pageSize: number; token?: string } {
    const query = this.request.query;
    const pageSizeText = query.get('pageSize');
    if (pageSizeText !== null && !/^\d{1,4}$/.test(pageSizeText)) throw new HttpError(400, 'invalid_query', `pageSize must be 1-${MAX_PAGE_SIZE}`);
    const pageSize = pageSizeText === null ? DEFAULT_PAGE_SIZE : Math.min(MAX_PAGE_SIZE, Math.max(1, Number(pageSizeText)));
    try {
      const where = query.get('where');
      const fields = query.get('fields');
      const orderBy = query.get('orderBy');
      return {
        ...(where !== null && where.trim() !== '' ? { where: parseWhere(where) } : {}),
        ...(fields !== null && fields.trim() !== '' ? { fields: parseFields(fields) } : {}),
        orderBy: orderBy !== null && orderBy.trim() !== '' ? parseOrderBy(orderBy) : [],
        pageSize,
        ...(query.get('nextPage') ? { token: query.get('nextPage')! } : {}),
      };
    } catch (error) {
      if (error instanceof CeqlError) throw new HttpError(400, 'invalid_query', `Invalid CEQL in ${error.message}`);
      throw error;
    }
  }

  async list(): Promise<HttpResponse> {
    const { where, fields, orderBy, pageSize, token } = this.ceql();
    const { resource, params } = this.resource('GET');
    const pagination = effectivePagination(this.definition.pagination, resource.pagination, resource.rootKey);
    const vendorWhere = where ? renameFields(where, (field) => this.vendorField(field)) : undefined;
    const vendorOrder = orderBy.map((term) => ({ ...term, field: this.vendorField(term.field) }));
    const selectFields = this.object.chain[0]!.fields.map((field) => field.vendorPath ?? field.path);
    const query = translateQuery(this.definition.query, vendorWhere, vendorOrder, {
      element: this.definition.name,
      typeOf: (field) => this.vendorType(field),
      selectFields,
      vendorObject: this.object.chain[0]!.vendorName,
    });
    const filtering = query.residual !== undefined;
    const base = instanceBaseUrl(this.element, this.instance);
    const segments = query.vendorPath ? query.vendorPath.split('/').filter(Boolean) : resourceVendorSegments(resource, params)!;
    const fingerprint = JSON.stringify([this.object.name, where?.text ?? '', orderBy]);
    const envelope = await this.rt.dataKey();
    const context = `paging:${this.instance.organization}:${this.instance.id}`;

    let state: PageState = { kind: 'first' };
    let skip = 0;
    let size = vendorPageSize(pagination, filtering ? MAX_PAGE_SIZE : pageSize);
    if (token) {
      let saved: { f: string; s: PageState; k: number; v: number };
      try {
        saved = JSON.parse(envelope.decryptText(token, context)) as typeof saved;
      } catch {
        throw new HttpError(400, 'invalid_next_page', 'nextPage is not a token this instance handed out');
      }
      if (saved.f !== fingerprint) throw new HttpError(400, 'invalid_next_page', 'nextPage belongs to another query: send the same where and orderBy as for the first page');
      ({ s: state, k: skip, v: size } = saved);
    }
    const seal = (s: PageState, k: number) => envelope.encrypt(JSON.stringify({ f: fingerprint, s, k, v: size }), context);

    const records: Json[] = [];
    let next: string | undefined;
    let total: number | undefined;
    for (let calls = 0; ; calls++) {
      if (calls === MAX_VENDOR_PAGES) {
        next = seal(state, 0);
        break;
      }
      const page = pageRequest(pagination, state, size);
      const url = page.url ? new URL(page.url) : vendorUrl(base, segments, false, [...Object.entries(query.params), ...Object.entries(page.params)]);
      const { response, body } = await this.send(resource, url, 'GET', page.headers);
      const found = pageRecords(pagination, body);
      if (!found) throw new HttpError(502, 'vendor_unexpected_response', `${this.definition.name} answered without a list of ${this.object.vendorName} records`);
      if (!filtering && calls === 0) total = pageTotal(pagination, { body, headers: response.headers });
      const following = nextPageState(pagination, state, { body, headers: response.headers }, found.length, size, base);
      const mapped = await this.out(found.slice(skip));
      let index = skip;
      for (; index < found.length && records.length < pageSize; index++) {
        const record = mapped[index - skip]!;
        if (!where || !filtering || matches(where, (field) => readPath(record, field))) records.push(record);
      }
      skip = 0;
      if (records.length >= pageSize) {
        next = index < found.length ? seal(state, index) : following ? seal(following, 0) : undefined;
        break;
      }
      if (!following) break;
      state = following;
    }
    const shown = fields ? records.map((record) => project(record, fields)) : records;
    return json(200, shown, listHeaders(shown.length, next, total));
  }

  async one(id: string | undefined): Promise<HttpResponse> {
    const method = this.request.method === 'HEAD' ? 'GET' : this.request.method;
    if (id === undefined && method !== 'POST') throw new HttpError(405, 'method_not_allowed', `${this.object.name} takes GET and POST; name a record for ${method}`, { headers: { allow: 'GET, POST' } });
    const { resource, params } = this.resource(method, id);
    const segments = resourceVendorSegments(resource, params);
    if (!segments) throw new HttpError(502, 'element_misconfigured', `Element ${this.definition.key} resource ${resource.path} has a vendor path it cannot fill`);
    let body: string | undefined;
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
      if (this.request.body.length > MAX_BODY) throw new HttpError(413, 'payload_too_large', 'The record is too large');
      let record: unknown;
      try {
        record = JSON.parse(this.request.body.toString('utf8') || '{}');
      } catch {
        throw new HttpError(400, 'invalid_json', 'The body must be a JSON object');
      }
      if (record === null || typeof record !== 'object' || Array.isArray(record)) throw new HttpError(400, 'invalid_json', 'The body must be a JSON object');
      const vendor = await this.in(record);
      const wrapped: Json = {};
      if (resource.requestRootKey) writePath(wrapped, resource.requestRootKey, vendor);
      body = JSON.stringify(resource.requestRootKey ? wrapped : vendor);
    }
    const base = instanceBaseUrl(this.element, this.instance);
    const { response, body: answer } = await this.send(resource, vendorUrl(base, segments, false, []), resource.vendorMethod, {}, body);
    if (method === 'DELETE' || answer === undefined) return { status: response.status === 204 ? 200 : response.status, headers: {}, body: '' };
    const fields = this.request.query.get('fields');
    const vendorRecord = resource.rootKey ? readPath(answer, resource.rootKey) : answer;
    let record = (await this.out([vendorRecord]))[0]!;
    try {
      if (fields) record = project(record, parseFields(fields));
    } catch (error) {
      if (error instanceof CeqlError) throw new HttpError(400, 'invalid_query', `Invalid CEQL in ${error.message}`);
      throw error;
    }
    return json(response.status, record);
  }
}
