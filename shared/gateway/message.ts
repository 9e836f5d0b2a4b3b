// An HTTP message as policies see it: request or response, with case-insensitive
// multi-value headers, query parameters, and a byte body.

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

  set(name: string, value: string | string[]): void {
    this.entries.set(name.toLowerCase(), { name, values: Array.isArray(value) ? [...value] : [value] });
  }

  add(name: string, value: string): void {
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
