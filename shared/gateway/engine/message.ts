// An HTTP message as policies see it: request or response, with case-insensitive
// multi-value headers, query parameters, and a byte body.
import { Fault } from './faults.js';

// RFC 9110: a field name is a token; a field value never holds CR, LF, NUL or
// other control characters (HTAB aside). Policies build headers from request
// data (query parameters, path segments, JSON bodies), so a value decoded from
// `%0D%0A` must stop here: it would split the header at the backend or client.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
}

function checkHeader(name: string, values: string[]): void {
  if (!HEADER_NAME.test(name)) {
    throw new Fault('InvalidHeaderName', 'protocol.http.InvalidHeaderName', 400, 'A header name is not a valid HTTP header name');
  }
  if (values.some(hasControlCharacter)) {
    throw new Fault(
      'HeaderWithInvalidChar',
      'protocol.http.HeaderWithInvalidChar',
      400,
      `The value of header ${name} contains characters HTTP does not allow (control characters such as CR or LF)`,
    );
  }
}

/**
 * A header value as it goes on the wire: HTTP/1.1 carries bytes, and Node
 * writes header strings as Latin-1, so characters beyond it are sent as their
 * UTF-8 bytes (what clients and backends decode) instead of being refused.
 */
export function wireHeaderValue(value: string): string {
  return /[\u0100-\uffff]/.test(value) ? Buffer.from(value, 'utf8').toString('latin1') : value;
}

export class HeaderMap {
  private readonly entries = new Map<string, { name: string; values: string[] }>();

  constructor(init?: Record<string, string | string[] | undefined>) {
    if (init) for (const [name, value] of Object.entries(init)) if (value !== undefined) this.set(name, value);
  }

  get(name: string): string | undefined {
    return this.entries.get(name.toLowerCase())?.values[0];
  }

  getAll(name: string): string[] {
    return [...(this.entries.get(name.toLowerCase())?.values ?? [])];
  }

  has(name: string): boolean {
    return this.entries.has(name.toLowerCase());
  }

  /** Sets a header; a Fault (400) if the name or a value is not valid HTTP. */
  set(name: string, value: string | string[]): void {
    const values = Array.isArray(value) ? [...value] : [value];
    checkHeader(name, values);
    this.entries.set(name.toLowerCase(), { name, values });
  }

  add(name: string, value: string): void {
    checkHeader(name, [value]);
    const entry = this.entries.get(name.toLowerCase());
    if (entry) entry.values.push(value);
    else this.set(name, value);
  }

  delete(name: string): void {
    this.entries.delete(name.toLowerCase());
  }

  clear(): void {
    this.entries.clear();
  }

  names(): string[] {
    return [...this.entries.values()].map((entry) => entry.name);
  }

  /** Every header as [name, values] with the spelling it was set with. */
  list(): [string, string[]][] {
    return [...this.entries.values()].map((entry) => [entry.name, [...entry.values]]);
  }

  clone(): HeaderMap {
    const copy = new HeaderMap();
    for (const [name, values] of this.list()) copy.set(name, values);
    return copy;
  }
}

export class Message {
  headers: HeaderMap;
  query: URLSearchParams;
  /** Request only. */
  verb: string;
  /** Request only: the full request path (base path included), no query string. */
  path: string;
  /** Response only. */
  status: number;
  reasonPhrase: string;
  body: Buffer;

  constructor(init: Partial<Pick<Message, 'headers' | 'query' | 'verb' | 'path' | 'status' | 'reasonPhrase' | 'body'>> = {}) {
    this.headers = init.headers ?? new HeaderMap();
    this.query = init.query ?? new URLSearchParams();
    this.verb = init.verb ?? 'GET';
    this.path = init.path ?? '/';
    this.status = init.status ?? 200;
    this.reasonPhrase = init.reasonPhrase ?? '';
    this.body = init.body ?? Buffer.alloc(0);
  }

  get content(): string {
    return this.body.toString('utf8');
  }

  set content(value: string) {
    this.body = Buffer.from(value, 'utf8');
  }

  get querystring(): string {
    return this.query.toString();
  }

  /** Path plus query string, as Apigee's `request.uri`. */
  get uri(): string {
    const query = this.querystring;
    return query ? `${this.path}?${query}` : this.path;
  }

  /** Form parameters of an `application/x-www-form-urlencoded` body. */
  formParams(): URLSearchParams {
    const type = (this.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    return type === 'application/x-www-form-urlencoded' ? new URLSearchParams(this.content) : new URLSearchParams();
  }

  clone(): Message {
    return new Message({
      headers: this.headers.clone(),
      query: new URLSearchParams(this.query),
      verb: this.verb,
      path: this.path,
      status: this.status,
      reasonPhrase: this.reasonPhrase,
      body: Buffer.from(this.body),
    });
  }
}
