// Apigee message templates: `{variable.name}` replaced by the variable's
// value, and Apigee's template functions (`{toLowerCase(var)}`,
// `{jsonPath($.a.b,var)}`, `{timeFormatUTCMs('yyyy-MM-dd',system.timestamp)}`,
// `{sha256Hex(var)}` ...). Only brace pairs around a variable name or a known
// function call are templates, so JSON payloads keep their own braces.
// `prefix`/`suffix` follow AssignMessage's variablePrefix/variableSuffix; a
// backslash before the prefix (`\{`) makes it a literal brace.
// A template is parsed once and cached; rendering is a walk over its parts.
import { createHash, createHmac, randomInt, randomUUID } from 'node:crypto';
import { compileJsonPath } from './jsonpath.js';
import { evaluateXPath, parseXmlPayload, xpathString } from './xml.js';

export type TemplateLookup = (name: string) => unknown;

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const CALL = /^([A-Za-z][A-Za-z0-9]*)\(([\s\S]*)\)$/;

type Arg = { kind: 'literal'; value: string } | { kind: 'variable'; name: string };
type Part = string | { variable: string } | { fn: TemplateFunction; args: Arg[]; raw?: string };
type TemplateFunction = (args: string[], raw: string | undefined) => string;

export function stringify(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

// ---------------------------------------------------------------------------
// Functions

const digest = (algorithm: string, encoding: 'hex' | 'base64') => (args: string[]) => createHash(algorithm).update(args[0] ?? '').digest(encoding);

const hmac = (algorithm: string) => (args: string[]) => {
  const [key = '', value = '', keyEncoding = 'utf8', outputEncoding = 'base64'] = args;
  const keyBytes = Buffer.from(key, keyEncoding === 'base64' || keyEncoding === 'hex' ? keyEncoding : 'utf8');
  return createHmac(algorithm, keyBytes).update(value).digest(outputEncoding === 'hex' || outputEncoding === 'base16' ? 'hex' : 'base64');
};

const JSON_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const escapeJson = (text: string) =>
  // eslint-disable-next-line no-control-regex -- JSON escapes exactly the control characters
  text.replace(/["\\\u0000-\u001f\u2028\u2029]/g, (c) => JSON_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);

const number = (text: string | undefined, fallback: number) => {
  const value = Number(text);
  return text !== undefined && text !== '' && Number.isFinite(value) ? value : fallback;
};

const FUNCTIONS: Record<string, TemplateFunction> = {
  escapeJSON: ([value = '']) => escapeJson(value),
  escapeXML: ([value = '']) => escapeXml(value),
  escapeXML11: ([value = '']) => escapeXml(value),
  encodeHTML: ([value = '']) => escapeXml(value),
  toLowerCase: ([value = '']) => value.toLowerCase(),
  toUpperCase: ([value = '']) => value.toUpperCase(),
  substring: ([value = '', start, end]) => {
    const from = Math.max(0, Math.trunc(number(start, 0)));
    return end === undefined ? value.slice(from) : value.slice(from, Math.max(from, Math.trunc(number(end, value.length))));
  },
  firstnonnull: (args) => args.find((arg) => arg !== '') ?? '',
  encodeBase64: ([value = '']) => Buffer.from(value, 'utf8').toString('base64'),
  decodeBase64: ([value = '']) => Buffer.from(value, 'base64').toString('utf8'),
  createUuid: () => randomUUID(),
  randomLong: ([min, max]) => {
    const low = Math.trunc(number(min, 0));
    const high = Math.trunc(number(max, Number.MAX_SAFE_INTEGER - 1));
    return String(high > low ? randomInt(low, high) : low);
  },
  md5Hex: digest('md5', 'hex'),
  sha1Hex: digest('sha1', 'hex'),
  sha256Hex: digest('sha256', 'hex'),
  sha384Hex: digest('sha384', 'hex'),
  sha512Hex: digest('sha512', 'hex'),
  md5Base64: digest('md5', 'base64'),
  sha1Base64: digest('sha1', 'base64'),
  sha256Base64: digest('sha256', 'base64'),
  sha384Base64: digest('sha384', 'base64'),
  sha512Base64: digest('sha512', 'base64'),
  hmacMd5: hmac('md5'),
  hmacSha1: hmac('sha1'),
  hmacSha224: hmac('sha224'),
  hmacSha256: hmac('sha256'),
  hmacSha384: hmac('sha384'),
  hmacSha512: hmac('sha512'),
  timeFormat: ([format = '', seconds]) => formatTime(format, number(seconds, Date.now() / 1000) * 1000),
  timeFormatMs: ([format = '', millis]) => formatTime(format, number(millis, Date.now())),
  timeFormatUTC: ([format = '', seconds]) => formatTime(format, number(seconds, Date.now() / 1000) * 1000),
  timeFormatUTCMs: ([format = '', millis]) => formatTime(format, number(millis, Date.now())),
  jsonPath: ([json = '', wantArray], raw) => {
    let document: unknown;
    try {
      document = JSON.parse(json);
    } catch {
      return '';
    }
    const found = compiledJsonPath(raw!)(document);
    if (found.length === 0) return '';
    const value = found.length === 1 && wantArray !== 'true' ? found[0] : found;
    return typeof value === 'object' && value !== null ? JSON.stringify(value) : stringify(value);
  },
  xPath: ([xml = '', ...rest], raw) => {
    const namespaces: Record<string, string> = {};
    for (const arg of rest) {
      const colon = arg.indexOf(':');
      if (colon > 0 && !/^(string|boolean|number|nodeset)$/.test(arg)) namespaces[arg.slice(0, colon)] = arg.slice(colon + 1);
    }
    try {
      return xpathString(evaluateXPath(raw!, parseXmlPayload(xml), namespaces)) ?? '';
    } catch {
      return '';
    }
  },
};

/** Functions whose first argument is an expression written in place (not a variable). */
const RAW_FIRST = new Set(['jsonPath', 'xPath']);

const jsonPaths = new Map<string, (value: unknown) => unknown[]>();
function compiledJsonPath(path: string): (value: unknown) => unknown[] {
  let select = jsonPaths.get(path);
  if (!select) {
    try {
      select = compileJsonPath(path);
    } catch {
      select = () => [];
    }
    if (jsonPaths.size > 1000) jsonPaths.clear();
    jsonPaths.set(path, select);
  }
  return select;
}

// ---------------------------------------------------------------------------
// java.text.SimpleDateFormat, in UTC (the runtime's clock zone)

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export function formatTime(format: string, epochMillis: number): string {
  const date = new Date(epochMillis);
  if (Number.isNaN(date.getTime())) return '';
  let out = '';
  for (let i = 0; i < format.length; ) {
    const c = format[i]!;
    if (c === "'") {
      const end = format.indexOf("'", i + 1);
      const literal = end === -1 ? format.slice(i + 1) : format.slice(i + 1, end);
      out += literal === '' ? "'" : literal;
      i = end === -1 ? format.length : end + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(c)) {
      out += c;
      i++;
      continue;
    }
    let n = 1;
    while (format[i + n] === c) n++;
    i += n;
    const pad = (value: number, width = n) => String(value).padStart(width, '0');
    const hours = date.getUTCHours();
    switch (c) {
      case 'y':
        out += n === 2 ? pad(date.getUTCFullYear() % 100, 2) : pad(date.getUTCFullYear());
        break;
      case 'M':
        out += n >= 4 ? MONTHS[date.getUTCMonth()]! : n === 3 ? MONTHS[date.getUTCMonth()]!.slice(0, 3) : pad(date.getUTCMonth() + 1);
        break;
      case 'd':
        out += pad(date.getUTCDate());
        break;
      case 'H':
        out += pad(hours);
        break;
      case 'h':
        out += pad(hours % 12 || 12);
        break;
      case 'm':
        out += pad(date.getUTCMinutes());
        break;
      case 's':
        out += pad(date.getUTCSeconds());
        break;
      case 'S':
        out += pad(date.getUTCMilliseconds(), 3).slice(0, Math.max(n, 3));
        break;
      case 'E':
        out += n >= 4 ? DAYS[date.getUTCDay()]! : DAYS[date.getUTCDay()]!.slice(0, 3);
        break;
      case 'a':
        out += hours < 12 ? 'AM' : 'PM';
        break;
      case 'z':
        out += n >= 4 ? 'Coordinated Universal Time' : 'UTC';
        break;
      case 'Z':
        out += '+0000';
        break;
      case 'X':
        out += 'Z';
        break;
      default:
        out += c.repeat(n);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Parsing

/** Splits on commas outside quotes, parentheses and brackets. */
function splitArgs(text: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let quote = '';
  let current = '';
  for (const c of text) {
    if (quote) {
      if (c === quote) quote = '';
      current += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      current += c;
    } else if (c === '(' || c === '[') {
      depth++;
      current += c;
    } else if (c === ')' || c === ']') {
      depth--;
      current += c;
    } else if (c === ',' && depth === 0) {
      args.push(current.trim());
      current = '';
    } else current += c;
  }
  if (current.trim() !== '' || args.length > 0) args.push(current.trim());
  return args;
}

function argOf(text: string): Arg {
  const quoted = /^'([\s\S]*)'$|^"([\s\S]*)"$/.exec(text);
  if (quoted) return { kind: 'literal', value: quoted[1] ?? quoted[2] ?? '' };
  if (/^-?\d+(\.\d+)?$/.test(text) || text === 'true' || text === 'false') return { kind: 'literal', value: text };
  return NAME.test(text) ? { kind: 'variable', name: text } : { kind: 'literal', value: text };
}

/** What `{...}` holds, if it is a template: a variable or a known function call. */
function expression(inner: string): Exclude<Part, string> | undefined {
  if (NAME.test(inner)) return { variable: inner };
  const call = CALL.exec(inner.trim());
  if (!call) return undefined;
  const fn = FUNCTIONS[call[1]!];
  if (!fn) return undefined;
  const args = splitArgs(call[2]!);
  if (RAW_FIRST.has(call[1]!)) {
    const [raw, ...rest] = args;
    if (!raw) return undefined;
    return { fn, raw, args: rest.map(argOf) };
  }
  return { fn, args: args.map(argOf) };
}

function parse(text: string, prefix: string, suffix: string): Part[] {
  const parts: Part[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf(prefix, i);
    if (start === -1) break;
    // `\{` is a literal brace (Apigee's escape), never the start of a template.
    if (text[start - 1] === '\\') {
      literal += text.slice(i, start - 1) + prefix;
      i = start + prefix.length;
      continue;
    }
    // The matching suffix: outside quotes, and (for `{`/`}`) at the same nesting.
    let end = -1;
    let quote = '';
    let depth = 0;
    for (let j = start + prefix.length; j < text.length; j++) {
      const c = text[j]!;
      if (quote) {
        if (c === quote) quote = '';
      } else if (c === "'" || c === '"') {
        // Quotes only matter inside a function call's parentheses.
        if (depth > 0) quote = c;
      } else if (c === '(') depth++;
      else if (c === ')') depth--;
      else if (text.startsWith(suffix, j) && depth <= 0) {
        end = j;
        break;
      } else if (text.startsWith(prefix, j) && depth <= 0) break;
    }
    const inner = end === -1 ? undefined : text.slice(start + prefix.length, end);
    const part = inner === undefined ? undefined : expression(inner);
    if (!part) {
      literal += text.slice(i, start + prefix.length);
      i = start + prefix.length;
      continue;
    }
    literal += text.slice(i, start);
    if (literal) parts.push(literal);
    literal = '';
    parts.push(part);
    i = end + suffix.length;
  }
  literal += text.slice(i);
  if (literal) parts.push(literal);
  return parts;
}

const templates = new Map<string, Part[]>();
const MAX_CACHED = 5000;

function compiled(text: string, prefix: string, suffix: string): Part[] {
  const key = `${prefix}\u0000${suffix}\u0000${text}`;
  let parts = templates.get(key);
  if (!parts) {
    parts = parse(text, prefix, suffix);
    if (templates.size >= MAX_CACHED) templates.delete(templates.keys().next().value!);
    templates.set(key, parts);
  }
  return parts;
}

export function hasTemplate(text: string, prefix = '{', suffix = '}'): boolean {
  return text.includes(prefix) && (text.includes(`\\${prefix}`) || compiled(text, prefix, suffix).some((part) => typeof part !== 'string'));
}

export function renderTemplate(text: string, lookup: TemplateLookup, prefix = '{', suffix = '}'): string {
  if (!text.includes(prefix)) return text;
  let out = '';
  for (const part of compiled(text, prefix, suffix)) {
    if (typeof part === 'string') out += part;
    else if ('variable' in part) out += stringify(lookup(part.variable));
    else out += part.fn(part.args.map((arg) => (arg.kind === 'literal' ? arg.value : stringify(lookup(arg.name)))), part.raw);
  }
  return out;
}
