// `JavaRegex` / `~~`: the pattern is written for java.util.regex and must fully
// match the value, like Java's `Matcher.matches()`. A condition only needs a
// yes/no answer, never captured groups, so the pattern is parsed once and
// compiled into the NFA of nfa.ts: linear time on any value, for any pattern,
// so a deployed condition cannot be turned into a backtracking bomb. A pattern
// simple enough that backtracking is linear too (no branches that start alike,
// at most one quantifier with a choice, like `/v\d+/items/[0-9a-f]{8}`) runs
// on a JavaScript RegExp instead, which is faster there.
//
// Java syntax is read as Java reads it: `\Q..\E`, `\A`, `\z`, `\Z`, `$` (end or
// before a final line terminator), `\h`, `\v`, `\R`, `\e`, `\a`, `\x{..}`,
// octal `\0nn`, `\cX`, POSIX `\p{Alpha}` classes (ASCII), Unicode `\p{..}`
// names, `\s` as ASCII whitespace, `\b` on Unicode letters and digits, and
// leading inline flags `(?i)`, `(?s)`, `(?m)`, `(?u)`. Case-insensitive
// matching uses Unicode case folding.
//
// Refused, with a message: backreferences (Java fails on an unset group where
// JavaScript matches the empty string, and no linear engine can do them),
// atomic groups, possessive quantifiers, class unions and intersections,
// inline flags after the start, `\G`, and Unicode blocks.
//
// Lookarounds run on the NFA too: before the match, each one is answered for
// every position of the value by one unanchored scan of its body (a lookahead
// reads its reversed body from right to left, a lookbehind its body from left
// to right, inner lookarounds first), and the pattern reads those answers as
// zero-width assertions. So `(?!.*<script).*` on a 400 KB body is linear too.
import { MAX_PATTERN_LENGTH, PatternSyntaxError } from './condition-patterns.js';
import { codePointBefore, NfaBuilder, type CodePointTest, type PositionTest, type Scanner, type StringMatcher } from './nfa.js';

/** Largest NFA a pattern may expand to (bounded repeats like `a{1000}` multiply). */
export const MAX_REGEX_STATES = 5000;

type AssertKind = 'inputStart' | 'inputEnd' | 'endBeforeTerminator' | 'lineStart' | 'lineEnd' | 'wordBoundary' | 'notWordBoundary';

type Node =
  | { type: 'char'; code: number }
  /** One character out of a set; `source` is a standalone JavaScript atom (`[a-z]`, `\d`, `.`, `\p{L}`). */
  | { type: 'set'; source: string }
  | { type: 'assert'; kind: AssertKind }
  | { type: 'group'; alternatives: Node[][]; at: number }
  | { type: 'look'; prefix: '?=' | '?!' | '?<=' | '?<!'; alternatives: Node[][]; at: number }
  | { type: 'repeat'; node: Node; min: number; max: number; lazy: boolean; at: number };

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
const CONTROL_ESCAPES: Record<string, number> = { t: 0x09, n: 0x0a, r: 0x0d, f: 0x0c };
const LINE_TERMINATORS = '[\\n\\r\\u0085\\u2028\\u2029]';
/** Java's \b: a boundary between a letter, digit or '_' and anything else. */
const WORD_CHAR = '[\\p{L}\\p{Nd}_]';

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

/** A character as JavaScript source, escaped where it would mean syntax. */
function literal(code: number, inClass: boolean): string {
  const char = String.fromCodePoint(code);
  if (inClass) return char === '\\' || char === ']' || char === '[' || char === '^' || char === '-' ? `\\${char}` : char;
  return SYNTAX_CHARACTERS.has(char) ? `\\${char}` : char;
}

/** What an escape stands for: a character, a set (with its forms outside and inside a class), an assertion, or nodes. */
type Escape =
  | { kind: 'char'; code: number }
  | { kind: 'set'; source: string; inClass: string }
  | { kind: 'assert'; assert: AssertKind }
  | { kind: 'nodes'; nodes: Node[]; inClass?: string };

const rangeSource = (ranges: readonly Range[], negated: boolean) => `[${negated ? '^' : ''}${renderRanges(ranges)}]`;

const rangeSet = (ranges: readonly Range[], negated: boolean): Escape => ({
  kind: 'set',
  source: rangeSource(ranges, negated),
  inClass: renderRanges(negated ? complement(ranges) : ranges),
});

const plainSet = (source: string): Escape => ({ kind: 'set', source, inClass: source });

class RegexParser {
  private i = 0;
  flags = '';
  hasLookaround = false;

  constructor(private readonly pattern: string) {}

  private fail(message: string, offset = this.i): never {
    throw new PatternSyntaxError(message, offset);
  }

  parse(): Node[][] {
    const p = this.pattern;
    if (p.length > MAX_PATTERN_LENGTH) this.fail(`regular expression is longer than ${MAX_PATTERN_LENGTH} characters`, MAX_PATTERN_LENGTH);
    this.leadingFlags();
    const alternatives = this.alternatives();
    if (this.i < p.length) this.fail("unmatched ')'");
    return alternatives;
  }

  /** `(?i)`, `(?is)`, ... at the very start become flags of the whole pattern. */
  private leadingFlags(): void {
    for (;;) {
      const match = /^\(\?([a-zA-Z-]*)\)/.exec(this.pattern.slice(this.i, this.i + 16));
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

  private alternatives(): Node[][] {
    const alternatives = [this.sequence()];
    while (this.pattern[this.i] === '|') {
      this.i++;
      alternatives.push(this.sequence());
    }
    return alternatives;
  }

  private sequence(): Node[] {
    const p = this.pattern;
    const nodes: Node[] = [];
    while (this.i < p.length && p[this.i] !== '|' && p[this.i] !== ')') {
      const c = p[this.i]!;
      if (c === '*' || c === '+' || c === '?' || c === '{') {
        const last = nodes.at(-1);
        if (last === undefined || last.type === 'assert' || last.type === 'look' || last.type === 'repeat') {
          this.fail(`nothing to repeat before '${c}'`);
        }
        nodes[nodes.length - 1] = this.quantifier(last);
      } else {
        nodes.push(...this.atom());
      }
    }
    return nodes;
  }

  private quantifier(node: Node): Node {
    const p = this.pattern;
    const at = this.i;
    let min: number;
    let max: number;
    const c = p[at];
    if (c === '{') {
      const match = /^\{(\d{1,6})(,(\d{0,6}))?\}/.exec(p.slice(at, at + 16));
      if (!match) this.fail("malformed repetition: expected {n}, {n,} or {n,m}; write \\{ for a literal '{'");
      min = Number(match[1]);
      max = match[2] === undefined ? min : match[3] === '' ? Infinity : Number(match[3]);
      if (max < min) this.fail(`malformed repetition: ${match[0]} has its maximum below its minimum`);
      this.i += match[0].length;
    } else {
      min = c === '+' ? 1 : 0;
      max = c === '?' ? 1 : Infinity;
      this.i++;
    }
    if (p[this.i] === '+') this.fail('possessive quantifiers (*+, ++, ?+) are not supported');
    const lazy = p[this.i] === '?';
    if (lazy) this.i++;
    return { type: 'repeat', node, min, max, lazy, at };
  }

  private atom(): Node[] {
    const p = this.pattern;
    const c = p[this.i]!;
    switch (c) {
      case '(':
        return [this.group()];
      case '[':
        return [{ type: 'set', source: this.characterClass() }];
      case '\\': {
        const escape = this.escape();
        switch (escape.kind) {
          case 'char':
            return [{ type: 'char', code: escape.code }];
          case 'set':
            return [{ type: 'set', source: escape.source }];
          case 'assert':
            return [{ type: 'assert', kind: escape.assert }];
          default:
            return escape.nodes;
        }
      }
      case '.':
        this.i++;
        return [{ type: 'set', source: '.' }];
      case '^':
        this.i++;
        return [{ type: 'assert', kind: this.flags.includes('m') ? 'lineStart' : 'inputStart' }];
      case '$':
        this.i++;
        return [{ type: 'assert', kind: this.flags.includes('m') ? 'lineEnd' : 'endBeforeTerminator' }];
      default: {
        const code = p.codePointAt(this.i)!;
        this.i += code > 0xffff ? 2 : 1;
        return [{ type: 'char', code }];
      }
    }
  }

  private group(): Node {
    const p = this.pattern;
    const start = this.i;
    let prefix: '?=' | '?!' | '?<=' | '?<!' | undefined;
    if (p[start + 1] !== '?') {
      this.i++;
    } else {
      const one = p.slice(start + 2, start + 3);
      const two = p.slice(start + 2, start + 4);
      if (one === ':') {
        this.i += 3;
      } else if (one === '=' || one === '!') {
        prefix = one === '=' ? '?=' : '?!';
        this.i += 3;
      } else if (two === '<=' || two === '<!') {
        prefix = two === '<=' ? '?<=' : '?<!';
        this.i += 4;
      } else if (one === '<') {
        const name = /^<[a-zA-Z][a-zA-Z0-9]*>/.exec(p.slice(start + 2, start + 40));
        if (!name) this.fail('malformed group name: expected (?<name>...) with a letter followed by letters or digits', start);
        this.i += 2 + name[0].length;
      } else if (one === '>') {
        this.fail('atomic groups (?>...) are not supported', start);
      } else {
        this.fail('inline flags are only supported at the start of the pattern, as (?i), (?s) or (?m)', start);
      }
    }
    const alternatives = this.alternatives();
    if (p[this.i] !== ')') this.fail("unclosed group: expected ')'", p.length);
    this.i++;
    if (prefix === undefined) return { type: 'group', alternatives, at: start };
    this.hasLookaround = true;
    return { type: 'look', prefix, alternatives, at: start };
  }

  /** Reads `[...]` and returns it as a JavaScript class. */
  private characterClass(): string {
    const p = this.pattern;
    const open = this.i;
    let source = '[';
    this.i++;
    if (p[this.i] === '^') {
      source += '^';
      this.i++;
    }
    let first = true;
    for (;;) {
      if (this.i >= p.length) this.fail("unclosed character class: expected ']'", open);
      const c = p[this.i]!;
      if (c === ']' && !first) {
        this.i++;
        return `${source}]`;
      }
      if (c === '[') this.fail('nested character classes ([a[b]]) are not supported');
      if (c === '&' && p[this.i + 1] === '&') this.fail('character class intersection (&&) is not supported');
      if (c === '\\') {
        const start = this.i;
        const escape = this.escape();
        if (escape.kind === 'char') source += literal(escape.code, true);
        else if (escape.kind === 'set') source += escape.inClass;
        else if (escape.kind === 'nodes' && escape.inClass !== undefined) source += escape.inClass;
        else this.fail(`${p.slice(start, this.i)} cannot be used inside a character class`, start);
      } else if (c === '-') {
        source += '-';
        this.i++;
      } else {
        const code = p.codePointAt(this.i)!;
        source += literal(code, true);
        this.i += code > 0xffff ? 2 : 1;
      }
      first = false;
    }
  }

  /** Reads the escape at `this.i` (a backslash). */
  private escape(): Escape {
    const p = this.pattern;
    const start = this.i;
    if (start + 1 >= p.length) this.fail('pattern ends with a lone backslash', start);
    const d = p[start + 1]!;
    this.i += 2;
    switch (d) {
      case 'd': case 'D': case 'w': case 'W':
        return plainSet(`\\${d}`);
      case 's': case 'S':
        return rangeSet(JAVA_SPACE, d === 'S');
      case 'h': case 'H':
        return rangeSet(HORIZONTAL_SPACE, d === 'H');
      case 'v': case 'V':
        return rangeSet(VERTICAL_SPACE, d === 'V');
      case 'R':
        return {
          kind: 'nodes',
          nodes: [
            {
              type: 'group',
              at: start,
              alternatives: [[{ type: 'char', code: 0x0d }, { type: 'char', code: 0x0a }], [{ type: 'set', source: rangeSource(VERTICAL_SPACE, false) }]],
            },
          ],
        };
      case 't': case 'n': case 'r': case 'f':
        return { kind: 'char', code: CONTROL_ESCAPES[d]! };
      case 'a':
        return { kind: 'char', code: 0x07 };
      case 'e':
        return { kind: 'char', code: 0x1b };
      case 'b':
        return { kind: 'assert', assert: 'wordBoundary' };
      case 'B':
        return { kind: 'assert', assert: 'notWordBoundary' };
      case 'A':
        return { kind: 'assert', assert: 'inputStart' };
      case 'z':
        return { kind: 'assert', assert: 'inputEnd' };
      case 'Z':
        return { kind: 'assert', assert: 'endBeforeTerminator' };
      case 'G':
        return this.fail('\\G is not supported', start);
      case 'k':
        return this.fail('backreferences (\\k<name>) are not supported', start);
      case 'Q': {
        const end = p.indexOf('\\E', this.i);
        const quoted = p.slice(this.i, end === -1 ? p.length : end);
        this.i = end === -1 ? p.length : end + 2;
        // Separate characters, so a following quantifier repeats the last one, as in Java.
        const codes = [...quoted].map((char) => char.codePointAt(0)!);
        return {
          kind: 'nodes',
          nodes: codes.map((code) => ({ type: 'char', code })),
          inClass: codes.map((code) => literal(code, true)).join(''),
        };
      }
      case 'E':
        return { kind: 'nodes', nodes: [], inClass: '' }; // a stray \E ends nothing, as in Java
      case 'x': {
        const braced = /^\{([0-9a-fA-F]{1,6})\}/.exec(p.slice(this.i, this.i + 8));
        const plain = /^[0-9a-fA-F]{2}/.exec(p.slice(this.i, this.i + 2));
        const digits = braced?.[1] ?? plain?.[0];
        if (digits === undefined) this.fail('malformed \\x escape: expected \\xhh or \\x{h...h}', start);
        const code = parseInt(digits, 16);
        if (code > 0x10ffff) this.fail('\\x{...} is above U+10FFFF', start);
        this.i += (braced ?? plain)![0].length;
        return { kind: 'char', code };
      }
      case 'u': {
        const digits = /^[0-9a-fA-F]{4}/.exec(p.slice(this.i, this.i + 4));
        if (!digits) this.fail('malformed \\u escape: expected four hex digits', start);
        this.i += 4;
        return { kind: 'char', code: parseInt(digits[0], 16) };
      }
      case '0': {
        const octal = /^(?:[0-3][0-7]{2}|[0-7]{1,2})/.exec(p.slice(this.i, this.i + 3));
        if (!octal) this.fail('malformed octal escape: expected \\0 followed by octal digits', start);
        this.i += octal[0].length;
        return { kind: 'char', code: parseInt(octal[0], 8) };
      }
      case 'c': {
        if (this.i >= p.length) this.fail('malformed \\c escape: expected a control character letter', start);
        const code = p.charCodeAt(this.i) ^ 64;
        this.i++;
        return { kind: 'char', code };
      }
      case 'p': case 'P':
        return this.property(d === 'P', start);
      default:
        break;
    }
    if (d >= '1' && d <= '9') this.fail('backreferences (\\1 ... \\9) are not supported', start);
    if (/[a-zA-Z]/.test(d)) this.fail(`unknown escape \\${d}`, start);
    const code = p.codePointAt(start + 1)!;
    if (code > 0xffff) this.i++;
    return { kind: 'char', code };
  }

  /** `\p{...}` / `\pL`, Java names mapped to JavaScript Unicode property escapes. */
  private property(negated: boolean, start: number): Escape {
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
    if (posix) return rangeSet(posix, negated);
    return plainSet(`\\${negated ? 'P' : 'p'}{${this.unicodeProperty(name, start)}}`);
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
    const key = bare.toLowerCase();
    if (Object.hasOwn(BINARY_PROPERTIES, key)) return BINARY_PROPERTIES[key]!;
    if (/^[A-Za-z_]+$/.test(bare)) return `Script=${bare}`;
    return this.fail(`unknown property \\p{${name}}`, start);
  }
}

// ---------------------------------------------------------------------------
// Assertions, with Java's meaning, for both engines.

const isLineTerminator = (code: number) => code === 0x0a || code === 0x0d || code === 0x85 || code === 0x2028 || code === 0x2029;
const WORD_REGEX = new RegExp(`^${WORD_CHAR}$`, 'u');
const isWordCode = (code: number) =>
  code < 0x80 ? (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f : WORD_REGEX.test(String.fromCodePoint(code));


const wordBefore = (value: string, index: number) => index > 0 && isWordCode(codePointBefore(value, index));
const wordAfter = (value: string, index: number) => index < value.length && isWordCode(value.codePointAt(index)!);

const ASSERTION_TESTS: Record<AssertKind, PositionTest> = {
  inputStart: (_value, index) => index === 0,
  inputEnd: (value, index) => index === value.length,
  endBeforeTerminator: (value, index) => {
    const rest = value.length - index;
    if (rest === 0) return true;
    if (rest === 1) return isLineTerminator(value.charCodeAt(index));
    return rest === 2 && value.charCodeAt(index) === 0x0d && value.charCodeAt(index + 1) === 0x0a;
  },
  // After a line terminator, but not inside \r\n, and not at the very end.
  lineStart: (value, index) =>
    index === 0 ||
    (index < value.length &&
      isLineTerminator(value.charCodeAt(index - 1)) &&
      !(value.charCodeAt(index - 1) === 0x0d && value.charCodeAt(index) === 0x0a)),
  lineEnd: (value, index) =>
    index === value.length ||
    (isLineTerminator(value.charCodeAt(index)) && !(value.charCodeAt(index) === 0x0a && value.charCodeAt(index - 1) === 0x0d)),
  wordBoundary: (value, index) => wordBefore(value, index) !== wordAfter(value, index),
  notWordBoundary: (value, index) => wordBefore(value, index) === wordAfter(value, index),
};

const ASSERTION_SOURCES: Record<AssertKind, string> = {
  inputStart: '(?<![\\s\\S])',
  inputEnd: '(?![\\s\\S])',
  endBeforeTerminator: `(?=(?:\\r\\n|${LINE_TERMINATORS})?(?![\\s\\S]))`,
  lineStart: `(?:(?<![\\s\\S])|(?<=[\\n\\u0085\\u2028\\u2029]|\\r(?!\\n))(?=[\\s\\S]))`,
  lineEnd: `(?:(?![\\s\\S])|(?=${LINE_TERMINATORS})(?<!\\r(?=\\n)))`,
  wordBoundary: `(?:(?<=${WORD_CHAR})(?!${WORD_CHAR})|(?<!${WORD_CHAR})(?=${WORD_CHAR}))`,
  notWordBoundary: `(?:(?<=${WORD_CHAR})(?=${WORD_CHAR})|(?<!${WORD_CHAR})(?!${WORD_CHAR}))`,
};

// ---------------------------------------------------------------------------
// NFA compilation

function estimateStates(alternatives: Node[][]): number {
  let total = 2 * alternatives.length;
  for (const sequence of alternatives) for (const node of sequence) total += estimateNode(node);
  return total;
}

function estimateNode(node: Node): number {
  switch (node.type) {
    case 'group':
    case 'look':
      return estimateStates(node.alternatives);
    case 'repeat': {
      const inner = estimateNode(node.node);
      const copies = node.max === Infinity ? node.min + 1 : node.max;
      return inner * copies + 2 * (copies + 1);
    }
    default:
      return 1;
  }
}

/** A lookaround's answer for every position of the value being matched, filled before the match. */
interface LookTable {
  fill(value: string): void;
}

/** The same pattern read from right to left (lookarounds inside keep their own direction). */
function reversed(alternatives: Node[][]): Node[][] {
  return alternatives.map((sequence) => sequence.map(reversedNode).reverse());
}

function reversedNode(node: Node): Node {
  if (node.type === 'group') return { ...node, alternatives: reversed(node.alternatives) };
  if (node.type === 'repeat') return { ...node, node: reversedNode(node.node) };
  return node;
}

class NfaCompiler {
  private readonly program = new NfaBuilder();
  private readonly setTests = new Map<string, CodePointTest>();

  /** `looks` is shared with the compilers of lookaround bodies: inner ones are added, and filled, first. */
  constructor(
    private readonly flags: string,
    private readonly looks: LookTable[] = [],
  ) {}

  compile(alternatives: Node[][]): StringMatcher {
    this.alternatives(alternatives);
    const match = this.program.build();
    const looks = this.looks;
    if (looks.length === 0) return match;
    return (value) => {
      for (const look of looks) look.fill(value);
      return match(value);
    };
  }

  private scanner(alternatives: Node[][]): Scanner {
    this.alternatives(alternatives);
    return this.program.buildScanner();
  }

  /** A lookaround as an assertion reading the positions its body's scan marked. */
  private lookaround(node: Extract<Node, { type: 'look' }>): PositionTest {
    const ahead = node.prefix === '?=' || node.prefix === '?!';
    const negative = node.prefix === '?!' || node.prefix === '?<!';
    // A lookahead holds at i when the body matches from i onwards: its reversed body, scanned from the end, ends at i.
    const scan = new NfaCompiler(this.flags, this.looks).scanner(ahead ? reversed(node.alternatives) : node.alternatives);
    let ends = new Uint8Array(1);
    this.looks.push({
      fill: (value) => {
        ends = new Uint8Array(value.length + 1);
        scan(value, ends, ahead);
      },
    });
    return negative ? (_value, index) => ends[index] !== 1 : (_value, index) => ends[index] === 1;
  }

  /** A code point test for a one-character JavaScript atom; ASCII answers are precomputed. */
  private setTest(source: string): CodePointTest {
    let test = this.setTests.get(source);
    if (!test) {
      const regex = new RegExp(`^(?:${source})$`, `${this.flags.replace('m', '')}u`);
      const ascii = new Uint8Array(128);
      for (let code = 0; code < 128; code++) ascii[code] = regex.test(String.fromCharCode(code)) ? 1 : 0;
      test = (code) => (code < 128 ? ascii[code] === 1 : regex.test(String.fromCodePoint(code)));
      this.setTests.set(source, test);
    }
    return test;
  }

  private alternatives(alternatives: Node[][]): void {
    const program = this.program;
    const jumps: number[] = [];
    alternatives.forEach((sequence, index) => {
      const last = index === alternatives.length - 1;
      const fork = last ? -1 : program.split();
      for (const node of sequence) this.node(node);
      if (!last) {
        jumps.push(program.split());
        program.setAlt(fork, program.size);
      }
    });
    for (const jump of jumps) program.setNext(jump, program.size);
  }

  private node(node: Node): void {
    const program = this.program;
    switch (node.type) {
      case 'char':
        if (this.flags.includes('i')) program.set(this.setTest(literal(node.code, false)));
        else program.char(node.code);
        return;
      case 'set':
        program.set(this.setTest(node.source));
        return;
      case 'assert':
        program.assertion(ASSERTION_TESTS[node.kind]);
        return;
      case 'group':
        this.alternatives(node.alternatives);
        return;
      case 'look':
        program.assertion(this.lookaround(node));
        return;
      case 'repeat': {
        for (let k = 0; k < node.min; k++) this.node(node.node);
        if (node.max === Infinity) {
          const loop = program.split();
          this.node(node.node);
          const back = program.split();
          program.setNext(back, loop);
          program.setAlt(loop, program.size);
        } else {
          for (let k = node.min; k < node.max; k++) {
            const skip = program.split();
            this.node(node.node);
            program.setAlt(skip, program.size);
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// RegExp (patterns simple enough that backtracking is linear)

function quantifierSource(min: number, max: number): string {
  if (min === 0 && max === Infinity) return '*';
  if (min === 1 && max === Infinity) return '+';
  if (min === 0 && max === 1) return '?';
  if (min === max) return `{${min}}`;
  return max === Infinity ? `{${min},}` : `{${min},${max}}`;
}

function toSource(alternatives: Node[][]): string {
  return alternatives.map((sequence) => sequence.map(nodeSource).join('')).join('|');
}

function nodeSource(node: Node): string {
  switch (node.type) {
    case 'char':
      return literal(node.code, false);
    case 'set':
      return node.source;
    case 'assert':
      return ASSERTION_SOURCES[node.kind];
    case 'group':
      return `(?:${toSource(node.alternatives)})`;
    case 'look':
      return `(${node.prefix}${toSource(node.alternatives)})`;
    case 'repeat':
      return nodeSource(node.node) + quantifierSource(node.min, node.max) + (node.lazy ? '?' : '');
  }
}

const WILD = '\u0000wild';

/** The first character a branch can start with (WILD when not a fixed one), and its text when it is all literal. */
function branchStart(sequence: Node[], ignoreCase: boolean): { first: string | null; literal: string | null } {
  const text = (code: number) => (ignoreCase ? String.fromCodePoint(code).toLowerCase() : String.fromCodePoint(code));
  const pure = sequence.every((node) => node.type === 'char');
  const literalText = pure ? sequence.map((node) => text((node as { code: number }).code)).join('') : null;
  const head = sequence[0];
  if (head === undefined) return { first: null, literal: literalText };
  if (head.type === 'char') return { first: text(head.code), literal: literalText };
  if (head.type === 'repeat' && head.min > 0 && head.node.type === 'char') return { first: text(head.node.code), literal: null };
  return { first: WILD, literal: null };
}

function ambiguous(alternatives: Node[][], ignoreCase: boolean): boolean {
  const starts = alternatives.map((sequence) => branchStart(sequence, ignoreCase));
  for (let i = 0; i < starts.length; i++) {
    for (let j = i + 1; j < starts.length; j++) {
      const a = starts[i]!;
      const b = starts[j]!;
      if (a.first === null || b.first === null) continue;
      if (a.first === WILD || b.first === WILD) return true;
      if (a.literal !== null && b.literal !== null) {
        if (a.literal.startsWith(b.literal) || b.literal.startsWith(a.literal)) return true;
      } else if (a.first === b.first) {
        return true;
      }
    }
  }
  return false;
}

interface Shape {
  /**
   * Choice points a match can meet: quantifiers that leave a choice (`*`, `+`,
   * `?`, `{1,3}`; not `{3}`), counted once per copy a repeat makes, so
   * `(.*a){12}` has 12; Infinity for a choice inside an unbounded repeat.
   */
  choices: number;
  /** Some group has branches that can start alike. */
  ambiguous: boolean;
}

/** Measures what makes backtracking expensive. */
function backtrackingShape(alternatives: Node[][], ignoreCase: boolean): Shape {
  let isAmbiguous = false;
  const branches = (list: Node[][]): number => {
    if (list.length > 1 && ambiguous(list, ignoreCase)) isAmbiguous = true;
    let total = 0;
    for (const sequence of list) for (const node of sequence) total += choicesIn(node);
    return total;
  };
  const choicesIn = (node: Node): number => {
    switch (node.type) {
      case 'group':
      case 'look':
        return branches(node.alternatives);
      case 'repeat': {
        const inner = choicesIn(node.node);
        const copies = inner === 0 ? 0 : inner * node.max;
        return copies + (node.min === node.max ? 0 : 1);
      }
      default:
        return 0;
    }
  };
  return { choices: branches(alternatives), ambiguous: isAmbiguous };
}

function compileRegExp(alternatives: Node[][], flags: string): StringMatcher {
  let regex: RegExp;
  try {
    // Sticky from index 0 plus end-of-input: the whole value, like Java's matches().
    regex = new RegExp(`(?:${toSource(alternatives)})(?![\\s\\S])`, `${flags.replace('m', '')}uy`);
  } catch (error) {
    const detail = error instanceof Error ? error.message.replace(/^.*: /, '') : String(error);
    throw new PatternSyntaxError(`invalid regular expression: ${detail}`, 0);
  }
  return (value) => {
    regex.lastIndex = 0;
    return regex.test(value);
  };
}

/** Translates a java.util.regex pattern to JavaScript source and flags (anchoring not included). */
export function translateJavaRegex(pattern: string): { source: string; flags: string } {
  const parser = new RegexParser(pattern);
  const alternatives = parser.parse();
  return { source: toSource(alternatives), flags: parser.flags.replace('m', '') };
}

/**
 * Compiles a java.util.regex pattern for full-value matching; all the work
 * happens here, once. `engine: 'linear'` forces the NFA (the default picks the
 * faster engine that is still linear).
 */
export function compileJavaRegex(pattern: string, engine: 'auto' | 'linear' = 'auto'): StringMatcher {
  const parser = new RegexParser(pattern);
  const alternatives = parser.parse();
  const flags = parser.flags;
  const shape = backtrackingShape(alternatives, flags.includes('i'));
  if (estimateStates(alternatives) > MAX_REGEX_STATES) {
    throw new PatternSyntaxError(`regular expression is too complex: it expands to more than ${MAX_REGEX_STATES} states`, 0);
  }
  // Building the RegExp also validates what JavaScript checks (class ranges, property names).
  const regex = compileRegExp(alternatives, flags);
  // Sticky at index 0 with at most one choice point, unambiguous branches and no lookaround, backtracking is linear.
  const regexIsLinear = engine === 'auto' && !parser.hasLookaround && shape.choices <= 1 && !shape.ambiguous;
  return regexIsLinear ? regex : new NfaCompiler(flags).compile(alternatives);
}
