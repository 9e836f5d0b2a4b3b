// `JavaRegex` / `~~`: the pattern is written for java.util.regex and must fully
// match the value, like Java's `Matcher.matches()`. The pattern is translated
// to an equivalent JavaScript RegExp once, at compile time:
// - Java-only syntax is rewritten (`\Q..\E`, `\A`, `\z`, `\Z`, `\h`, `\v`, `\R`,
//   `\e`, `\a`, `\x{..}`, octal `\0nn`, POSIX `\p{Alpha}` classes, leading
//   inline flags `(?i)`, `(?s)`, `(?m)`), and `\s` keeps Java's ASCII meaning.
// - Constructs whose meaning differs or that JavaScript lacks are refused with
//   a message: backreferences (Java fails on an unset group where JavaScript
//   matches the empty string), atomic groups, possessive quantifiers, class
//   unions and intersections, inline flags after the start, `\G`, Unicode blocks.
// - Guard against catastrophic backtracking: the pattern length is capped, and
//   a repeated group that itself contains a repetition (star height 2, as in
//   `(a+)+` or `(\w*\s?)*`) is refused; those are the patterns that backtrack
//   exponentially on a near-miss. A repeat of at most 10 (`(\d+\.){3}`) is fine.
import { MAX_PATTERN_LENGTH, PatternSyntaxError, type StringMatcher } from './condition-patterns.js';

/** A repetition above this many times counts as unbounded for the nesting guard. */
const SMALL_REPEAT = 10;

type Range = readonly [number, number];

const JAVA_SPACE: Range[] = [[0x09, 0x0d], [0x20, 0x20]];
const HORIZONTAL_SPACE: Range[] = [
  [0x09, 0x09], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x180e, 0x180e],
  [0x2000, 0x200a], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000],
];
const VERTICAL_SPACE: Range[] = [[0x0a, 0x0d], [0x85, 0x85], [0x2028, 0x2029]];

/** java.util.regex POSIX classes (US-ASCII only, as in Java without UNICODE_CHARACTER_CLASS). */
const POSIX_CLASSES: Record<string, Range[]> = {
  Lower: [[0x61, 0x7a]],
  Upper: [[0x41, 0x5a]],
  ASCII: [[0x00, 0x7f]],
  Alpha: [[0x41, 0x5a], [0x61, 0x7a]],
  Digit: [[0x30, 0x39]],
  Alnum: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]],
  Punct: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]],
  Graph: [[0x21, 0x7e]],
  Print: [[0x20, 0x7e]],
  Blank: [[0x09, 0x09], [0x20, 0x20]],
  Cntrl: [[0x00, 0x1f], [0x7f, 0x7f]],
  XDigit: [[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]],
  Space: JAVA_SPACE,
};

/** Java binary properties and aliases (`\p{IsAlphabetic}`) as JavaScript names. */
const BINARY_PROPERTIES: Record<string, string> = {
  alphabetic: 'Alphabetic',
  ideographic: 'Ideographic',
  letter: 'L',
  lowercase: 'Lowercase',
  uppercase: 'Uppercase',
  titlecase: 'Lt',
  punctuation: 'P',
  control: 'Cc',
  white_space: 'White_Space',
  whitespace: 'White_Space',
  digit: 'Nd',
  hex_digit: 'Hex_Digit',
  hexdigit: 'Hex_Digit',
  join_control: 'Join_Control',
  joincontrol: 'Join_Control',
  noncharacter_code_point: 'Noncharacter_Code_Point',
  noncharactercodepoint: 'Noncharacter_Code_Point',
  assigned: 'Assigned',
  emoji: 'Emoji',
};

const GENERAL_CATEGORY = /^(?:[LMNPSZC][a-z]?|LC|L&)$/;
const SYNTAX_CHARACTERS = new Set('^$\\.*+?()[]{}|/');

const hex = (code: number) => `\\u{${code.toString(16)}}`;

function renderRanges(ranges: readonly Range[]): string {
  return ranges.map(([from, to]) => (from === to ? hex(from) : `${hex(from)}-${hex(to)}`)).join('');
}

function complement(ranges: readonly Range[]): Range[] {
  const result: Range[] = [];
  let next = 0;
  for (const [from, to] of ranges) {
    if (from > next) result.push([next, from - 1]);
    next = to + 1;
  }
  if (next <= 0x10ffff) result.push([next, 0x10ffff]);
  return result;
}

/** Outside a class: a bracketed set; inside one: the bare ranges (complemented when negated). */
function rangeClass(ranges: readonly Range[], negated: boolean, inClass: boolean): string {
  if (inClass) return renderRanges(negated ? complement(ranges) : ranges);
  return `[${negated ? '^' : ''}${renderRanges(ranges)}]`;
}

function literal(code: number, inClass: boolean): string {
  const char = String.fromCodePoint(code);
  if (inClass) return char === '\\' || char === ']' || char === '[' || char === '^' || char === '-' ? `\\${char}` : char;
  return SYNTAX_CHARACTERS.has(char) ? `\\${char}` : char;
}

interface GroupFrame {
  /** Contains a repetition of more than SMALL_REPEAT (directly or nested). */
  repeats: boolean;
}

type LastAtom = { kind: 'none' } | { kind: 'atom' } | { kind: 'group'; repeats: boolean };

const NONE: LastAtom = { kind: 'none' };
const ATOM: LastAtom = { kind: 'atom' };

export interface TranslatedRegex {
  source: string;
  flags: string;
}

class Translator {
  private i = 0;
  private out = '';
  private flags = '';
  private readonly groups: GroupFrame[] = [{ repeats: false }];
  private last: LastAtom = NONE;

  constructor(private readonly pattern: string) {}

  private fail(message: string, offset = this.i): never {
    throw new PatternSyntaxError(message, offset);
  }

  translate(): TranslatedRegex {
    const p = this.pattern;
    if (p.length > MAX_PATTERN_LENGTH) this.fail(`regular expression is longer than ${MAX_PATTERN_LENGTH} characters`, MAX_PATTERN_LENGTH);
    this.leadingFlags();
    while (this.i < p.length) {
      const c = p[this.i]!;
      switch (c) {
        case '\\':
          this.escape(false);
          break;
        case '[':
          this.characterClass();
          break;
        case '(':
          this.openGroup();
          break;
        case ')':
          this.closeGroup();
          break;
        case '*':
        case '+':
        case '?':
          this.quantifier(c === '?' ? 1 : Infinity, 1);
          break;
        case '{':
          this.braceQuantifier();
          break;
        case '|':
        case '^':
        case '$':
          this.out += c;
          this.last = NONE;
          this.i++;
          break;
        case '.':
          this.out += c;
          this.last = ATOM;
          this.i++;
          break;
        default: {
          const code = p.codePointAt(this.i)!;
          this.out += literal(code, false);
          this.last = ATOM;
          this.i += code > 0xffff ? 2 : 1;
        }
      }
    }
    if (this.groups.length > 1) this.fail("unclosed group: expected ')'", p.length);
    return { source: this.out, flags: this.flags };
  }

  /** `(?i)`, `(?is)`, ... at the very start become RegExp flags. */
  private leadingFlags(): void {
    const p = this.pattern;
    for (;;) {
      const match = /^\(\?([a-zA-Z-]*)\)/.exec(p.slice(this.i, this.i + 16));
      if (!match) return;
      for (const flag of match[1]!) {
        if (flag === 'i' || flag === 's' || flag === 'm') {
          if (!this.flags.includes(flag)) this.flags += flag;
        } else if (flag !== 'u') {
          this.fail(`inline flag '${flag}' is not supported; use (?i), (?s), (?m) or (?u)`, this.i);
        }
      }
      this.i += match[0].length;
    }
  }

  private openGroup(): void {
    const p = this.pattern;
    const start = this.i;
    if (p[start + 1] !== '?') {
      this.out += '(';
      this.i++;
    } else {
      const rest = p.slice(start + 2, start + 3);
      const two = p.slice(start + 2, start + 4);
      if (rest === ':' || rest === '=' || rest === '!') {
        this.out += `(?${rest}`;
        this.i += 3;
      } else if (two === '<=' || two === '<!') {
        this.out += `(?${two}`;
        this.i += 4;
      } else if (rest === '<') {
        const name = /^<([a-zA-Z][a-zA-Z0-9]*)>/.exec(p.slice(start + 2, start + 40));
        if (!name) this.fail('malformed group name: expected (?<name>...) with a letter followed by letters or digits', start);
        this.out += `(?<${name[1]}>`;
        this.i += 2 + name[0].length;
      } else if (rest === '>') {
        this.fail('atomic groups (?>...) are not supported', start);
      } else {
        this.fail('inline flags are only supported at the start of the pattern, as (?i), (?s) or (?m)', start);
      }
    }
    this.groups.push({ repeats: false });
    this.last = NONE;
  }

  private closeGroup(): void {
    if (this.groups.length === 1) this.fail("unmatched ')'");
    const frame = this.groups.pop()!;
    if (frame.repeats) this.groups[this.groups.length - 1]!.repeats = true;
    this.out += ')';
    this.i++;
    this.last = { kind: 'group', repeats: frame.repeats };
  }

  private braceQuantifier(): void {
    const match = /^\{(\d{1,6})(,(\d{0,6}))?\}/.exec(this.pattern.slice(this.i, this.i + 16));
    if (!match) this.fail("malformed repetition: expected {n}, {n,} or {n,m}; write \\{ for a literal '{'");
    const min = Number(match[1]);
    const max = match[2] === undefined ? min : match[3] === '' ? Infinity : Number(match[3]);
    if (max < min) this.fail(`malformed repetition: ${match[0]} has its maximum below its minimum`);
    this.quantifier(max, match[0].length);
  }

  private quantifier(max: number, length: number): void {
    const start = this.i;
    if (this.last.kind === 'none') this.fail(`nothing to repeat before '${this.pattern[start]}'`, start);
    const repeated = this.last;
    this.out += this.pattern.slice(start, start + length);
    this.i += length;
    const suffix = this.pattern[this.i];
    if (suffix === '+') this.fail('possessive quantifiers (*+, ++, ?+) are not supported');
    if (suffix === '?') {
      this.out += '?';
      this.i++;
    }
    const large = max > SMALL_REPEAT;
    if (repeated.kind === 'group' && repeated.repeats && large) {
      this.fail('nested repetition like (a+)+ can take exponential time; repeat the group at most 10 times or rewrite it without nesting', start);
    }
    if (large || (repeated.kind === 'group' && repeated.repeats)) this.groups[this.groups.length - 1]!.repeats = true;
    this.last = NONE;
  }

  private characterClass(): void {
    const p = this.pattern;
    const open = this.i;
    this.i++;
    this.out += '[';
    if (p[this.i] === '^') {
      this.out += '^';
      this.i++;
    }
    let first = true;
    for (;;) {
      if (this.i >= p.length) this.fail("unclosed character class: expected ']'", open);
      const c = p[this.i]!;
      if (c === ']' && !first) {
        this.out += ']';
        this.i++;
        break;
      }
      if (c === '[') this.fail('nested character classes ([a[b]]) are not supported');
      if (c === '&' && p[this.i + 1] === '&') this.fail('character class intersection (&&) is not supported');
      if (c === '\\') {
        this.escape(true);
      } else if (c === '-') {
        this.out += '-';
        this.i++;
      } else {
        const code = p.codePointAt(this.i)!;
        this.out += literal(code, true);
        this.i += code > 0xffff ? 2 : 1;
      }
      first = false;
    }
    this.last = ATOM;
  }

  private emitAtom(text: string, isAssertion = false): void {
    this.out += text;
    this.last = isAssertion ? NONE : ATOM;
  }

  /** Handles the escape at `this.i` (a backslash), inside or outside a class. */
  private escape(inClass: boolean): void {
    const p = this.pattern;
    const start = this.i;
    if (start + 1 >= p.length) this.fail('pattern ends with a lone backslash', start);
    const d = p[start + 1]!;
    this.i += 2;
    const classOnly = (what: string) => {
      if (inClass) this.fail(`${what} cannot be used inside a character class`, start);
    };
    switch (d) {
      case 'd': case 'D': case 'w': case 'W':
        this.emitAtom(`\\${d}`);
        return;
      case 's': case 'S':
        this.emitAtom(rangeClass(JAVA_SPACE, d === 'S', inClass));
        return;
      case 'h': case 'H':
        this.emitAtom(rangeClass(HORIZONTAL_SPACE, d === 'H', inClass));
        return;
      case 'v': case 'V':
        this.emitAtom(rangeClass(VERTICAL_SPACE, d === 'V', inClass));
        return;
      case 'R':
        classOnly('\\R');
        this.emitAtom('(?:\\r\\n|[\\n\\x0B\\f\\r\\u0085\\u2028\\u2029])');
        return;
      case 't': case 'n': case 'r': case 'f':
        this.emitAtom(`\\${d}`);
        return;
      case 'a':
        this.emitAtom(hex(0x07));
        return;
      case 'e':
        this.emitAtom(hex(0x1b));
        return;
      case 'b': case 'B':
        classOnly(`\\${d}`);
        this.emitAtom(`\\${d}`, true);
        return;
      case 'A':
        classOnly('\\A');
        this.emitAtom('(?<![\\s\\S])', true);
        return;
      case 'z':
        classOnly('\\z');
        this.emitAtom('(?![\\s\\S])', true);
        return;
      case 'Z':
        classOnly('\\Z');
        this.emitAtom('(?=(?:\\r\\n|[\\n\\r\\u0085\\u2028\\u2029])?(?![\\s\\S]))', true);
        return;
      case 'G':
        this.fail('\\G is not supported', start);
        break;
      case 'k':
        this.fail('backreferences (\\k<name>) are not supported', start);
        break;
      case 'Q': {
        const end = p.indexOf('\\E', this.i);
        const quoted = p.slice(this.i, end === -1 ? p.length : end);
        this.i = end === -1 ? p.length : end + 2;
        let text = '';
        for (const char of quoted) text += literal(char.codePointAt(0)!, inClass);
        // Unwrapped, so a following quantifier repeats the last character, as in Java.
        if (quoted.length > 0) this.emitAtom(text);
        return;
      }
      case 'E':
        return; // a stray \E ends nothing, as in Java
      case 'x': {
        const braced = /^\{([0-9a-fA-F]{1,6})\}/.exec(p.slice(this.i, this.i + 8));
        const plain = /^[0-9a-fA-F]{2}/.exec(p.slice(this.i, this.i + 2));
        const digits = braced?.[1] ?? plain?.[0];
        if (digits === undefined) this.fail('malformed \\x escape: expected \\xhh or \\x{h...h}', start);
        const code = parseInt(digits, 16);
        if (code > 0x10ffff) this.fail('\\x{...} is above U+10FFFF', start);
        this.i += (braced ?? plain)![0].length;
        this.emitAtom(hex(code));
        return;
      }
      case 'u': {
        const digits = /^[0-9a-fA-F]{4}/.exec(p.slice(this.i, this.i + 4));
        if (!digits) this.fail('malformed \\u escape: expected four hex digits', start);
        this.i += 4;
        this.emitAtom(hex(parseInt(digits[0], 16)));
        return;
      }
      case '0': {
        const octal = /^(?:[0-3][0-7]{2}|[0-7]{1,2})/.exec(p.slice(this.i, this.i + 3));
        if (!octal) this.fail('malformed octal escape: expected \\0 followed by octal digits', start);
        this.i += octal[0].length;
        this.emitAtom(hex(parseInt(octal[0], 8)));
        return;
      }
      case 'c': {
        if (this.i >= p.length) this.fail('malformed \\c escape: expected a control character letter', start);
        const code = p.charCodeAt(this.i) ^ 64;
        this.i++;
        this.emitAtom(hex(code));
        return;
      }
      case 'p': case 'P':
        this.emitAtom(this.property(d === 'P', inClass, start));
        return;
      default:
        break;
    }
    if (d >= '1' && d <= '9') this.fail('backreferences (\\1 ... \\9) are not supported', start);
    if (/[a-zA-Z]/.test(d)) this.fail(`unknown escape \\${d}`, start);
    const code = p.codePointAt(start + 1)!;
    if (code > 0xffff) this.i++;
    this.emitAtom(literal(code, inClass));
  }

  /** `\p{...}` / `\pL`, Java names mapped to JavaScript Unicode property escapes. */
  private property(negated: boolean, inClass: boolean, start: number): string {
    const p = this.pattern;
    let name: string;
    if (p[this.i] === '{') {
      const end = p.indexOf('}', this.i);
      if (end === -1) this.fail("malformed property escape: expected '}'", start);
      name = p.slice(this.i + 1, end);
      this.i = end + 1;
    } else {
      if (this.i >= p.length) this.fail('malformed property escape: expected a name', start);
      name = p[this.i]!;
      this.i++;
    }
    const posix = Object.hasOwn(POSIX_CLASSES, name) ? POSIX_CLASSES[name] : undefined;
    if (posix) return rangeClass(posix, negated, inClass);
    const js = this.unicodeProperty(name, start);
    return `\\${negated ? 'P' : 'p'}{${js}}`;
  }

  private unicodeProperty(name: string, start: number): string {
    const keyed = /^(general_category|gc|script|sc|block|blk)=(.+)$/i.exec(name);
    if (keyed) {
      const key = keyed[1]!.toLowerCase();
      if (key === 'block' || key === 'blk') this.fail('Unicode block properties are not supported', start);
      return `${key === 'general_category' || key === 'gc' ? 'General_Category' : 'Script'}=${keyed[2]}`;
    }
    if (/^In/.test(name)) this.fail('Unicode block properties (\\p{InBlock}) are not supported', start);
    if (/^java/.test(name)) this.fail('java.lang.Character properties (\\p{javaX}) are not supported', start);
    const bare = name.startsWith('Is') ? name.slice(2) : name;
    if (GENERAL_CATEGORY.test(bare)) return bare === 'L&' ? 'LC' : bare;
    const binary = BINARY_PROPERTIES[bare.toLowerCase()];
    if (binary) return binary;
    if (/^[A-Za-z_]+$/.test(bare)) return `Script=${bare}`;
    return this.fail(`unknown property \\p{${name}}`, start);
  }
}

/** Translates a java.util.regex pattern to a JavaScript source and flags (without anchoring). */
export function translateJavaRegex(pattern: string): TranslatedRegex {
  return new Translator(pattern).translate();
}

/**
 * Compiles a java.util.regex pattern for full-string matching. The RegExp is
 * created here, once; the matcher reuses it (sticky flag, lastIndex reset).
 */
export function compileJavaRegex(pattern: string): StringMatcher {
  const { source, flags } = translateJavaRegex(pattern);
  let regex: RegExp;
  try {
    regex = new RegExp(`(?:${source})(?![\\s\\S])`, `${flags}uy`);
  } catch (error) {
    const detail = error instanceof Error ? error.message.replace(/^.*: /, '') : String(error);
    throw new PatternSyntaxError(`invalid regular expression: ${detail}`, 0);
  }
  return (value) => {
    regex.lastIndex = 0;
    return regex.test(value);
  };
}
