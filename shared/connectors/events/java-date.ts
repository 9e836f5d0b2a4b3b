// Dates as Open Connectors' poller configurations write them: Java date
// patterns (`yyyy-MM-dd'T'HH:mm:ss.SSSXXX`, java.time.format.DateTimeFormatter /
// java.text.SimpleDateFormat letters) for reading a record's created and
// updated dates, and `${gmtDate:pattern}`, `${date:pattern}`, `${epoch}` and
// `${epoch:s}` in a poll URL for the time the previous poll reached.
// A pattern is compiled once into a regular expression of fixed-width or
// bounded parts only (no nested quantifiers): matching is linear in the value.

type Field = 'year' | 'year2' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'fraction' | 'offset';

interface Token {
  field?: Field;
  /** Letters as written (`yyyy`, `SSS`, `XXX`), or the literal text. */
  text: string;
}

export class DatePatternError extends Error {
  override name = 'DatePatternError';
}

const FIELDS: Record<string, (count: number) => Field> = {
  y: (count) => (count === 2 ? 'year2' : 'year'),
  M: () => 'month',
  d: () => 'day',
  H: () => 'hour',
  m: () => 'minute',
  s: () => 'second',
  S: () => 'fraction',
  X: () => 'offset',
  Z: () => 'offset',
};

function tokenize(pattern: string): Token[] {
  if (pattern.length === 0 || pattern.length > 100) throw new DatePatternError('a date pattern has 1 to 100 characters');
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; ) {
    const char = pattern[i]!;
    if (char === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end < 0) throw new DatePatternError(`unclosed quote in ${pattern}`);
      tokens.push({ text: end === i + 1 ? "'" : pattern.slice(i + 1, end) });
      i = end + 1;
    } else if (/[A-Za-z]/.test(char)) {
      let end = i;
      while (pattern[end] === char) end++;
      const count = end - i;
      const field = FIELDS[char];
      if (!field || (char === 'M' && count > 2) || (char === 'S' && count > 9) || (char === 'X' && count > 3) || (char === 'y' && count === 3)) {
        throw new DatePatternError(`${pattern.slice(i, end)} is not a supported date pattern letter (y, M, d, H, m, s, S, X, Z and quoted text are)`);
      }
      tokens.push({ field: field(count), text: pattern.slice(i, end) });
      i = end;
    } else {
      tokens.push({ text: char });
      i++;
    }
  }
  return tokens;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function source(token: Token): string {
  switch (token.field) {
    case undefined:
      return escape(token.text);
    case 'year':
      return '(\\d{4})';
    case 'year2':
      return '(\\d{2})';
    case 'fraction':
      return `(\\d{1,${Math.max(token.text.length, 9)}})`;
    case 'offset':
      return '(Z|[+-]\\d{2}(?::?\\d{2})?)';
    default:
      return token.text.length === 1 ? '(\\d{1,2})' : '(\\d{2})';
  }
}

export interface DatePattern {
  /** Epoch milliseconds of a value in this pattern; `offsetMinutes` applies when the pattern has no offset. */
  parse(value: string, offsetMinutes?: number): number | undefined;
  format(epochMs: number, offsetMinutes?: number): string;
}

function offsetOf(text: string): number {
  if (text === 'Z') return 0;
  const sign = text.startsWith('-') ? -1 : 1;
  const digits = text.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
}

const two = (value: number) => String(value).padStart(2, '0');

function formatOffset(minutes: number, letters: string): string {
  if (minutes === 0 && letters.startsWith('X')) return 'Z';
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  const hours = two(Math.floor(abs / 60));
  const rest = two(abs % 60);
  if (letters === 'X') return `${sign}${hours}${rest === '00' ? '' : rest}`;
  if (letters === 'XX' || letters.startsWith('Z')) return `${sign}${hours}${rest}`;
  return `${sign}${hours}:${rest}`;
}

const cache = new Map<string, DatePattern>();

/** Compiles a Java date pattern; throws DatePatternError for letters it does not support. */
export function datePattern(pattern: string): DatePattern {
  const cached = cache.get(pattern);
  if (cached) return cached;
  const tokens = tokenize(pattern);
  const fields = tokens.filter((token) => token.field);
  const regex = new RegExp(`^${tokens.map(source).join('')}$`);
  const compiled: DatePattern = {
    parse(value, offsetMinutes = 0) {
      if (value.length > 100) return undefined;
      const match = regex.exec(value.trim());
      if (!match) return undefined;
      const parts: Partial<Record<Field, string>> = {};
      fields.forEach((token, i) => (parts[token.field!] = match[i + 1]));
      const year = parts.year !== undefined ? Number(parts.year) : parts.year2 !== undefined ? 2000 + Number(parts.year2) : 1970;
      const fraction = parts.fraction !== undefined ? Number(`0.${parts.fraction}`) * 1000 : 0;
      const utc = Date.UTC(year, Number(parts.month ?? '1') - 1, Number(parts.day ?? '1'), Number(parts.hour ?? '0'), Number(parts.minute ?? '0'), Number(parts.second ?? '0'), Math.floor(fraction));
      const offset = parts.offset !== undefined ? offsetOf(parts.offset) : offsetMinutes;
      const epoch = utc - offset * 60_000;
      return Number.isFinite(epoch) ? epoch : undefined;
    },
    format(epochMs, offsetMinutes = 0) {
      const local = new Date(epochMs + offsetMinutes * 60_000);
      return tokens
        .map((token) => {
          const width = token.text.length;
          switch (token.field) {
            case undefined:
              return token.text;
            case 'year':
              return String(local.getUTCFullYear()).padStart(4, '0');
            case 'year2':
              return two(local.getUTCFullYear() % 100);
            case 'month':
              return String(local.getUTCMonth() + 1).padStart(width, '0');
            case 'day':
              return String(local.getUTCDate()).padStart(width, '0');
            case 'hour':
              return String(local.getUTCHours()).padStart(width, '0');
            case 'minute':
              return String(local.getUTCMinutes()).padStart(width, '0');
            case 'second':
              return String(local.getUTCSeconds()).padStart(width, '0');
            case 'fraction':
              return String(local.getUTCMilliseconds()).padStart(3, '0').padEnd(width, '0').slice(0, width);
            default:
              return formatOffset(offsetMinutes, token.text);
          }
        })
        .join('');
    },
  };
  if (cache.size < 500) cache.set(pattern, compiled);
  return compiled;
}

/** `GMT`, `UTC`, `Z`, `+02:00`, `-0500` as minutes east of UTC; undefined for anything else. */
export function timezoneOffset(zone: string | undefined): number | undefined {
  if (zone === undefined || /^(GMT|UTC|Z)$/i.test(zone)) return 0;
  const match = /^(?:GMT|UTC)?([+-])(\d{2}):?(\d{2})$/i.exec(zone);
  if (!match) return undefined;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
}

/**
 * A record's date: a number (epoch seconds or milliseconds), a value in
 * `pattern`, or, without one, ISO 8601. Undefined when it cannot be read.
 */
export function readDate(value: unknown, pattern?: string, zone?: string): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e11 ? value * 1000 : value;
  if (typeof value !== 'string' || value.length === 0 || value.length > 100) return undefined;
  if (/^\d{9,13}$/.test(value)) return readDate(Number(value));
  if (pattern) {
    const parsed = datePattern(pattern).parse(value, timezoneOffset(zone) ?? 0);
    if (parsed !== undefined) return parsed;
  }
  const iso = Date.parse(value);
  return Number.isNaN(iso) ? undefined : iso;
}

const TEMPLATE = /\$\{(gmtDate|date|epoch)(?::([^}]{1,100}))?\}/g;

/** Checks the `${...}` placeholders of a poll URL; returns a problem or undefined. */
export function templateProblem(url: string): string | undefined {
  for (const match of url.matchAll(/\$\{([^}]*)\}/g)) {
    const [name, pattern] = [match[1]!.split(':')[0], match[1]!.slice(match[1]!.indexOf(':') + 1)];
    if (name === 'epoch') {
      if (match[1] !== 'epoch' && pattern !== 's' && pattern !== 'ms') return `\${${match[1]}}: epoch takes :s or :ms`;
    } else if (name === 'gmtDate' || name === 'date') {
      if (!match[1]!.includes(':')) return `\${${match[1]}} needs a pattern, e.g. \${gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}`;
      try {
        datePattern(pattern);
      } catch (error) {
        return `\${${match[1]}}: ${(error as Error).message}`;
      }
    } else return `\${${match[1]}} is not a poll URL placeholder (gmtDate, date, epoch)`;
  }
  return undefined;
}

/** Fills a poll URL's placeholders with `since` (epoch ms), in UTC. */
export function fillPollTemplate(url: string, since: number): string {
  return url.replace(TEMPLATE, (_match, name: string, pattern: string | undefined) => {
    if (name === 'epoch') return pattern === 's' ? String(Math.floor(since / 1000)) : String(since);
    return datePattern(pattern!).format(since, 0);
  });
}
