// What trace data never shows, for any caller: credentials by name
// (Authorization and API-key headers, token and secret query parameters,
// `private.*` variables and the variables that hold tokens, secrets and
// consumer keys) and, wherever else they appear (a body, a URL, a header a
// policy copied them into), the values those names held and the values of
// encrypted key value maps. Masked values read `*****`, as Apigee shows them.

export const MASK = '*****';

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'apikey', 'x-apikey', 'api-key']);
const SECRET_PARAMS = new Set([
  'client_id',
  'client_secret',
  'apikey',
  'api_key',
  'access_token',
  'refresh_token',
  'id_token',
  'token',
  'code',
  'code_verifier',
  'password',
  'assertion',
]);
/** Variable names (or their last part) that hold credentials. */
const SECRET_VARIABLE = /(^private\.)|(^|\.)(client_id|client_secret|consumer_?key|consumer_?secret|apikey|api_key|access_token|refresh_token|id_token|token|password|secret|authorization|assertion)$/i;
const SECRET_VARIABLE_PART = /\.(header\.(authorization|proxy-authorization|cookie|x-api-key|apikey)|queryparam\.(client_id|client_secret|apikey|api_key|access_token|token|code|password)|formparam\.(client_id|client_secret|password|code|refresh_token|assertion))(\.|$)/i;

/** Values shorter than this are not hunted down elsewhere (they would mask ordinary text). */
const MIN_SECRET_LENGTH = 6;

export const isSecretHeader = (name: string) => SECRET_HEADERS.has(name.toLowerCase());
export const isSecretParam = (name: string) => SECRET_PARAMS.has(name.toLowerCase());
export const isSecretVariable = (name: string) => SECRET_VARIABLE.test(name) || SECRET_VARIABLE_PART.test(name);

/**
 * Per transaction: collects the secret values seen under secret names and
 * replaces them anywhere in captured text. Secret values known to the
 * container (decrypted KVM entries) come in through `known`.
 */
export class Masker {
  private readonly secrets = new Set<string>();

  constructor(known: Iterable<string> = []) {
    for (const value of known) this.remember(value);
  }

  /** Remembers a credential value (and, for `Basic`/`Bearer` values, their parts). */
  remember(value: unknown): void {
    if (typeof value !== 'string' && typeof value !== 'number') return;
    const text = String(value).trim();
    if (text.length < MIN_SECRET_LENGTH) return;
    this.secrets.add(text);
    const scheme = /^(Basic|Bearer|Element|User|Organization)\s+(.+)$/i.exec(text);
    if (scheme) this.remember(scheme[2]);
    for (const part of text.split(',')) {
      const inner = /^\s*(User|Organization|Element)\s+(\S+)\s*$/i.exec(part);
      if (inner) this.remember(inner[2]);
    }
    if (scheme && scheme[1]!.toLowerCase() === 'basic') {
      const decoded = Buffer.from(scheme[2]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        this.remember(decodeForm(decoded.slice(0, colon)));
        this.remember(decodeForm(decoded.slice(colon + 1)));
      }
    }
  }

  /** Text with every remembered secret replaced. */
  text(value: string): string {
    let out = value;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
    for (const secret of this.secrets) {
      const encoded = encodeURIComponent(secret);
      if (out.includes(encoded)) out = out.split(encoded).join(MASK);
    }
    return out;
  }

  /** A variable's value as trace shows it. */
  variable(name: string, value: unknown): string {
    if (isSecretVariable(name)) {
      this.remember(value);
      return MASK;
    }
    return this.text(value === undefined || value === null ? '' : String(value));
  }

  header(name: string, value: string): string {
    if (isSecretHeader(name)) {
      this.remember(value);
      return MASK;
    }
    return this.text(value);
  }

  /** A URL or path with secret query parameters masked. */
  uri(uri: string): string {
    const question = uri.indexOf('?');
    if (question === -1) return this.text(uri);
    const query = new URLSearchParams(uri.slice(question + 1));
    const parts: string[] = [];
    for (const [name, value] of query) {
      if (isSecretParam(name)) this.remember(value);
      parts.push(`${encodeURIComponent(name)}=${isSecretParam(name) ? MASK : encodeURIComponent(value)}`);
    }
    return this.text(`${uri.slice(0, question)}?${parts.join('&')}`);
  }

  /** Learns the secrets of a query string before anything else is masked. */
  rememberQuery(query: URLSearchParams): void {
    for (const [name, value] of query) if (isSecretParam(name)) this.remember(value);
  }

  rememberHeaders(headers: Iterable<[string, string[]]>): void {
    for (const [name, values] of headers) if (isSecretHeader(name)) for (const value of values) this.remember(value);
  }

  /** A body: form fields with secret names masked, then every known secret. */
  body(content: string, contentType: string | undefined): string {
    if (/application\/x-www-form-urlencoded/i.test(contentType ?? '')) {
      const form = new URLSearchParams(content);
      for (const [name, value] of form) if (isSecretParam(name)) this.remember(value);
    }
    if (/json/i.test(contentType ?? '') || /^\s*[{[]/.test(content)) {
      for (const match of content.matchAll(/"(access_token|refresh_token|id_token|client_secret|client_id|password|token|apikey|api_key)"\s*:\s*"([^"]*)"/gi)) this.remember(match[2]);
    }
    return this.text(content);
  }
}

function decodeForm(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/**
 * Values this container decrypted from encrypted key value maps (bounded,
 * most recent kept): trace masks them wherever they appear.
 */
export class SensitiveValues {
  private readonly values = new Set<string>();

  constructor(private readonly max = 10_000) {}

  add(value: string): void {
    if (value.length < MIN_SECRET_LENGTH || this.values.has(value)) return;
    if (this.values.size >= this.max) this.values.delete(this.values.values().next().value!);
    this.values.add(value);
  }

  list(): Iterable<string> {
    return this.values;
  }
}
