// The Apigee Edge flow condition language, e.g.
//   (proxy.pathsuffix MatchesPath "/orders/**") and (request.verb = "POST")
// A condition is tokenized and parsed (recursive descent) once, into a tree of
// closures; `evaluate` only walks that tree. Patterns (`MatchesPath`,
// `Matches`, `JavaRegex`) must be literals, so they are compiled here too and
// evaluating never builds a RegExp or a pattern program.
//
// Grammar (keywords and operator words are case-insensitive):
//   condition  := or END
//   or         := and (("OR" | "||") and)*
//   and        := not (("AND" | "&&") not)*
//   not        := ("NOT" | "!") not | primary
//   primary    := "(" or ")" | comparison
//   comparison := operand (operator operand)?          -- a bare operand tests truthiness
//   operand    := variable | "string" | 'string' | number | true | false | null
//
// Values, following Apigee's conversion of operands to a common type:
// - An unset variable (lookup gives undefined or null) equals only `null`;
//   any other comparison with it is false, and `!=` is the negation of `=`.
// - When either side is typed as a number (an unquoted number literal, or a
//   variable holding a JS number) and both sides read as numbers, they are
//   compared numerically (`response.status.code >= 500`). Otherwise values are
//   compared as strings, case-sensitively except with `:=`; quoted "400" is a
//   string, so `x = "007"` does not match "7".
// - `true` / `false` compare with booleans and with the strings "true"/"false"
//   in any case.
// - A bare operand is true when it is set and is not false, "" or "false".
import { compilePathPattern, compileWildcardPattern, PatternSyntaxError, type StringMatcher } from './condition-patterns.js';
import { compileJavaRegex } from './java-regex.js';

/** Returns the value of a flow variable; undefined or null when it is not set. */
export type VariableLookup = (name: string) => unknown;

export interface CompiledCondition {
  /** The condition text as given. */
  readonly source: string;
  evaluate(lookup: VariableLookup): boolean;
  /** Distinct variable names the condition reads, in order of first appearance. */
  readonly variables: string[];
}

export class ConditionSyntaxError extends Error {
  /** Zero-based offset in the condition text where the problem was found. */
  readonly position: number;
  /** The condition text that failed to compile. */
  readonly condition: string;

  constructor(message: string, position: number, condition: string) {
    super(message);
    this.name = 'ConditionSyntaxError';
    this.position = position;
    this.condition = condition;
  }
}

/** Longest condition accepted (deployed conditions are a line or two). */
export const MAX_CONDITION_LENGTH = 8192;
/** Deepest nesting of parentheses and NOTs (keeps the parser's recursion bounded). */
export const MAX_CONDITION_NESTING = 64;

type Operator = 'eq' | 'ne' | 'eqi' | 'gt' | 'ge' | 'lt' | 'le' | 'startsWith' | 'matches' | 'matchesPath' | 'javaRegex';

const OPERATOR_WORDS = new Map<string, Operator>([
  ['equals', 'eq'],
  ['is', 'eq'],
  ['notequals', 'ne'],
  ['isnot', 'ne'],
  ['equalscaseinsensitive', 'eqi'],
  ['greaterthan', 'gt'],
  ['greaterthanorequals', 'ge'],
  ['lesserthan', 'lt'],
  ['lesserthanorequals', 'le'],
  ['startswith', 'startsWith'],
  ['matches', 'matches'],
  ['like', 'matches'],
  ['matchespath', 'matchesPath'],
  ['likepath', 'matchesPath'],
  ['javaregex', 'javaRegex'],
]);

const OPERATOR_SYMBOLS = new Map<string, Operator>([
  ['=', 'eq'],
  ['==', 'eq'],
  ['!=', 'ne'],
  [':=', 'eqi'],
  ['>', 'gt'],
  ['>=', 'ge'],
  ['<', 'lt'],
  ['<=', 'le'],
  ['=|', 'startsWith'],
  ['~', 'matches'],
  ['~/', 'matchesPath'],
  ['~~', 'javaRegex'],
]);

const PATTERN_COMPILERS: Partial<Record<Operator, (pattern: string) => StringMatcher>> = {
  matches: compileWildcardPattern,
  matchesPath: compilePathPattern,
  javaRegex: compileJavaRegex,
};

// Longest first, so `~~` is not read as `~` `~`.
const SYMBOLS = ['==', '!=', '>=', '<=', ':=', '~/', '~~', '=|', '&&', '||', '=', '>', '<', '~', '!'];

// ---------------------------------------------------------------------------
// Tokens

type TokenKind = 'word' | 'string' | 'number' | 'symbol' | 'open' | 'close' | 'end';

interface Token {
  kind: TokenKind;
  /** The source text of the token. */
  text: string;
  /** Decoded content for strings; the source text otherwise. */
  value: string;
  start: number;
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isLetter = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isWordStart = (c: number) => isLetter(c) || c === 0x5f; // _
const isWordPart = (c: number) => isWordStart(c) || isDigit(c) || c === 0x2d || c === 0x2e; // - .
const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

const LONE_SYMBOL_HINTS: Record<string, string> = { '&': "'&&'", '|': "'||'", ':': "':='" };

class Tokenizer {
  private i = 0;
  readonly tokens: Token[] = [];

  constructor(private readonly source: string) {}

  private fail(message: string, position: number): never {
    throw new ConditionSyntaxError(message, position, this.source);
  }

  run(): Token[] {
    const s = this.source;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (isSpace(c)) {
        this.i++;
      } else if (c === 0x28 || c === 0x29) {
        this.push(c === 0x28 ? 'open' : 'close', this.i, this.i + 1);
      } else if (c === 0x22 || c === 0x27) {
        this.string(c);
      } else if (isDigit(c) || (c === 0x2d && isDigit(s.charCodeAt(this.i + 1)))) {
        this.number();
      } else if (isWordStart(c)) {
        this.word();
      } else {
        this.symbol();
      }
    }
    this.tokens.push({ kind: 'end', text: '', value: '', start: s.length });
    return this.tokens;
  }

  private push(kind: TokenKind, start: number, end: number, value?: string): void {
    const text = this.source.slice(start, end);
    this.tokens.push({ kind, text, value: value ?? text, start });
    this.i = end;
  }

  /** Quoted with " or '. A backslash escapes the quote or a backslash; before any other character it is kept, so `"\d+"` reaches a regex as `\d+`. */
  private string(quote: number): void {
    const s = this.source;
    const start = this.i;
    let value = '';
    let i = start + 1;
    let chunk = i;
    for (;;) {
      if (i >= s.length) {
        this.fail(`Unterminated string starting at position ${start}: expected a closing ${String.fromCharCode(quote)}`, start);
      }
      const c = s.charCodeAt(i);
      if (c === quote) break;
      if (c === 0x5c && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d === 0x5c || d === 0x22 || d === 0x27) {
          value += s.slice(chunk, i) + s[i + 1];
          i += 2;
          chunk = i;
          continue;
        }
      }
      i++;
    }
    value += s.slice(chunk, i);
    this.push('string', start, i + 1, value);
  }

  private number(): void {
    const s = this.source;
    const start = this.i;
    let i = s.charCodeAt(start) === 0x2d ? start + 1 : start;
    while (isDigit(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) === 0x2e && isDigit(s.charCodeAt(i + 1))) {
      i += 2;
      while (isDigit(s.charCodeAt(i))) i++;
    }
    if (i < s.length && isWordPart(s.charCodeAt(i))) {
      this.fail(`Malformed number at position ${start}: expected digits with an optional decimal part, like 42 or 1.5 (quote other values)`, start);
    }
    this.push('number', start, i);
  }

  private word(): void {
    const s = this.source;
    const start = this.i;
    let i = start;
    while (i < s.length && isWordPart(s.charCodeAt(i))) {
      if (s.charCodeAt(i) === 0x2e) {
        const next = s.charCodeAt(i + 1);
        if (!(isWordStart(next) || isDigit(next) || next === 0x2d)) {
          this.fail(`Malformed variable name '${s.slice(start, i + 1)}' at position ${start}: expected a name part after the '.' at position ${i}`, i + 1);
        }
      }
      i++;
    }
    this.push('word', start, i);
  }

  private symbol(): void {
    const s = this.source;
    const start = this.i;
    for (const symbol of SYMBOLS) {
      if (s.startsWith(symbol, start)) {
        this.push('symbol', start, start + symbol.length);
        return;
      }
    }
    const char = String.fromCodePoint(s.codePointAt(start)!);
    const hint = LONE_SYMBOL_HINTS[char];
    if (hint) this.fail(`Unexpected '${char}' at position ${start}: expected ${hint}`, start);
    this.fail(
      `Unexpected character ${JSON.stringify(char)} at position ${start}: expected a variable name, a quoted string, a number, an operator, AND, OR, NOT or a parenthesis`,
      start,
    );
  }
}

// ---------------------------------------------------------------------------
// Values

type Predicate = (lookup: VariableLookup) => boolean;
type Getter = (lookup: VariableLookup) => unknown;

/** An unquoted number literal: compares numerically, and as its own text otherwise. */
class NumberLiteral {
  constructor(
    readonly text: string,
    readonly value: number,
  ) {}
}

type LiteralValue = string | boolean | null | NumberLiteral;

type Operand =
  | { kind: 'variable'; name: string; token: Token }
  | { kind: 'literal'; value: LiteralValue; token: Token };

const NUMERIC_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function scalarText(value: unknown): string | null {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      break;
  }
  if (value === null || typeof value !== 'object') return null;
  if (value instanceof NumberLiteral) return value.text;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  try {
    return String(value);
  } catch {
    return null;
  }
}

/** The string form of a value; arrays (multi-valued headers) join with ','. */
function toText(value: unknown): string | null {
  if (Array.isArray(value)) return value.map((item) => (Array.isArray(item) ? '' : (scalarText(item) ?? ''))).join(',');
  return scalarText(value);
}

function isNumberTyped(value: unknown): boolean {
  return typeof value === 'number' || typeof value === 'bigint' || value instanceof NumberLiteral;
}

/** The numeric reading of a value, NaN when it has none. */
function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof NumberLiteral) return value.value;
  if (typeof value === 'string' && NUMERIC_TEXT.test(value)) return Number(value);
  return Number.NaN;
}

function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && (value.length === 4 || value.length === 5)) {
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return undefined;
}

const isUnset = (value: unknown) => value === undefined || value === null;

function valuesEqual(a: unknown, b: unknown, ignoreCase: boolean): boolean {
  if (isUnset(a) || isUnset(b)) return isUnset(a) && isUnset(b);
  if (typeof a === 'boolean' || typeof b === 'boolean') {
    const x = toBoolean(a);
    return x !== undefined && x === toBoolean(b);
  }
  if (isNumberTyped(a) || isNumberTyped(b)) {
    const x = toNumber(a);
    const y = toNumber(b);
    if (!Number.isNaN(x) && !Number.isNaN(y)) return x === y;
  }
  const s = toText(a);
  const t = toText(b);
  if (s === null || t === null) return false;
  if (s === t) return true;
  return ignoreCase && s.length === t.length && (s.toLowerCase() === t.toLowerCase() || s.toUpperCase() === t.toUpperCase());
}

/** Sign of a - b, or undefined when either side is unset. */
function compareValues(a: unknown, b: unknown): number | undefined {
  if (isUnset(a) || isUnset(b)) return undefined;
  if (isNumberTyped(a) || isNumberTyped(b)) {
    const x = toNumber(a);
    const y = toNumber(b);
    if (!Number.isNaN(x) && !Number.isNaN(y)) return x < y ? -1 : x > y ? 1 : 0;
  }
  const s = toText(a);
  const t = toText(b);
  if (s === null || t === null) return undefined;
  return s < t ? -1 : s > t ? 1 : 0;
}

function isTruthy(value: unknown): boolean {
  if (isUnset(value)) return false;
  if (typeof value === 'boolean') return value;
  const text = toText(value);
  if (text === null || text.length === 0) return false;
  return !(text.length === 5 && text.toLowerCase() === 'false');
}

function getter(operand: Operand): Getter {
  if (operand.kind === 'variable') {
    const name = operand.name;
    return (lookup) => lookup(name);
  }
  const value = operand.value;
  return () => value;
}

function allOf(parts: Predicate[]): Predicate {
  if (parts.length === 2) {
    const [a, b] = parts as [Predicate, Predicate];
    return (lookup) => a(lookup) && b(lookup);
  }
  return (lookup) => {
    for (let i = 0; i < parts.length; i++) if (!parts[i]!(lookup)) return false;
    return true;
  };
}

function anyOf(parts: Predicate[]): Predicate {
  if (parts.length === 2) {
    const [a, b] = parts as [Predicate, Predicate];
    return (lookup) => a(lookup) || b(lookup);
  }
  return (lookup) => {
    for (let i = 0; i < parts.length; i++) if (parts[i]!(lookup)) return true;
    return false;
  };
}

// ---------------------------------------------------------------------------
// Parser

const OPERAND_EXPECTED = 'an operand (a variable, a quoted string, a number, true, false or null)';

function describe(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'end of condition';
    case 'string':
      return `the string ${token.text.length > 40 ? `${token.text.slice(0, 37)}...` : token.text}`;
    default:
      return `'${token.text}'`;
  }
}

function isWord(token: Token, word: string): boolean {
  return token.kind === 'word' && token.text.length === word.length && token.text.toLowerCase() === word;
}

const isAnd = (t: Token) => isWord(t, 'and') || (t.kind === 'symbol' && t.text === '&&');
const isOr = (t: Token) => isWord(t, 'or') || (t.kind === 'symbol' && t.text === '||');
const isNot = (t: Token) => isWord(t, 'not') || (t.kind === 'symbol' && t.text === '!');

function operatorOf(token: Token): Operator | undefined {
  if (token.kind === 'symbol') return OPERATOR_SYMBOLS.get(token.text);
  if (token.kind === 'word') return OPERATOR_WORDS.get(token.text.toLowerCase());
  return undefined;
}

class Parser {
  private index = 0;
  private depth = 0;
  /** Open parentheses, innermost last, for "expected ')'" messages. */
  private readonly openParens: number[] = [];
  /** Whether the last thing parsed was an operand without operator (so an operator may follow). */
  private lastWasBareOperand = false;
  readonly variables: string[] = [];

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private advance(): Token {
    const token = this.tokens[this.index]!;
    if (token.kind !== 'end') this.index++;
    return token;
  }

  private fail(message: string, position: number): never {
    throw new ConditionSyntaxError(message, position, this.source);
  }

  private expected(what: string, token: Token): never {
    this.fail(`Expected ${what} but found ${describe(token)} (position ${token.start})`, token.start);
  }

  private enter(token: Token): void {
    if (++this.depth > MAX_CONDITION_NESTING) {
      this.fail(`Too deeply nested at position ${token.start}: at most ${MAX_CONDITION_NESTING} levels of parentheses and NOT`, token.start);
    }
  }

  /** What may follow a complete operand or comparison at this point. */
  private continuation(): string {
    const operator = this.lastWasBareOperand ? 'a comparison operator, ' : '';
    const open = this.openParens[this.openParens.length - 1];
    const close = open === undefined ? 'end of condition' : `')' to close the '(' at position ${open}`;
    return `${operator}AND, OR or ${close}`;
  }

  parse(): Predicate {
    const first = this.peek();
    if (first.kind === 'end') this.expected('a condition', first);
    const predicate = this.or();
    const rest = this.peek();
    if (rest.kind !== 'end') this.expected(this.continuation(), rest);
    return predicate;
  }

  private or(): Predicate {
    const first = this.and();
    if (!isOr(this.peek())) return first;
    const parts = [first];
    while (isOr(this.peek())) {
      this.advance();
      parts.push(this.and());
    }
    return anyOf(parts);
  }

  private and(): Predicate {
    const first = this.not();
    if (!isAnd(this.peek())) return first;
    const parts = [first];
    while (isAnd(this.peek())) {
      this.advance();
      parts.push(this.not());
    }
    return allOf(parts);
  }

  private not(): Predicate {
    const token = this.peek();
    if (!isNot(token)) return this.primary();
    this.advance();
    this.enter(token);
    const inner = this.not();
    this.depth--;
    return (lookup) => !inner(lookup);
  }

  private primary(): Predicate {
    const token = this.peek();
    if (token.kind !== 'open') return this.comparison();
    this.advance();
    this.enter(token);
    this.openParens.push(token.start);
    const inner = this.or();
    const close = this.peek();
    if (close.kind !== 'close') this.expected(this.continuation(), close);
    this.advance();
    this.openParens.pop();
    this.depth--;
    this.lastWasBareOperand = false;
    return inner;
  }

  private comparison(): Predicate {
    const left = this.operand();
    const operatorToken = this.peek();
    const operator = operatorOf(operatorToken);
    if (operator === undefined) {
      this.lastWasBareOperand = true;
      const get = getter(left);
      return (lookup) => isTruthy(get(lookup));
    }
    this.advance();
    const right = this.operand();
    this.lastWasBareOperand = false;
    return this.compare(operator, operatorToken, left, right);
  }

  private operand(): Operand {
    const token = this.peek();
    const previous = this.index > 0 ? this.tokens[this.index - 1] : undefined;
    const what = previous ? `${OPERAND_EXPECTED} after '${previous.text}'` : OPERAND_EXPECTED;
    switch (token.kind) {
      case 'string':
        this.advance();
        return { kind: 'literal', value: token.value, token };
      case 'number':
        this.advance();
        return { kind: 'literal', value: new NumberLiteral(token.text, Number(token.text)), token };
      case 'word': {
        const lower = token.text.toLowerCase();
        if (lower === 'and' || lower === 'or' || lower === 'not') this.expected(what, token);
        this.advance();
        if (lower === 'true' || lower === 'false') return { kind: 'literal', value: lower === 'true', token };
        if (lower === 'null') return { kind: 'literal', value: null, token };
        if (!this.variables.includes(token.text)) this.variables.push(token.text);
        return { kind: 'variable', name: token.text, token };
      }
      default:
        return this.expected(what, token);
    }
  }

  private compare(operator: Operator, operatorToken: Token, left: Operand, right: Operand): Predicate {
    const getLeft = getter(left);
    const compilePattern = PATTERN_COMPILERS[operator];
    if (compilePattern) {
      const matches = this.pattern(compilePattern, operatorToken, right);
      return (lookup) => {
        const text = toText(getLeft(lookup));
        return text !== null && matches(text);
      };
    }
    const getRight = getter(right);
    switch (operator) {
      case 'eq':
        return (lookup) => valuesEqual(getLeft(lookup), getRight(lookup), false);
      case 'ne':
        return (lookup) => !valuesEqual(getLeft(lookup), getRight(lookup), false);
      case 'eqi':
        return (lookup) => valuesEqual(getLeft(lookup), getRight(lookup), true);
      case 'gt':
        return (lookup) => (compareValues(getLeft(lookup), getRight(lookup)) ?? 0) > 0;
      case 'ge': {
        return (lookup) => {
          const sign = compareValues(getLeft(lookup), getRight(lookup));
          return sign !== undefined && sign >= 0;
        };
      }
      case 'lt':
        return (lookup) => (compareValues(getLeft(lookup), getRight(lookup)) ?? 0) < 0;
      case 'le':
        return (lookup) => {
          const sign = compareValues(getLeft(lookup), getRight(lookup));
          return sign !== undefined && sign <= 0;
        };
      case 'startsWith':
        return (lookup) => {
          const text = toText(getLeft(lookup));
          const prefix = toText(getRight(lookup));
          return text !== null && prefix !== null && text.startsWith(prefix);
        };
      default:
        return this.fail(`Unsupported operator '${operatorToken.text}'`, operatorToken.start);
    }
  }

  /** Compiles the literal pattern on the right of a pattern operator, once. */
  private pattern(compile: (pattern: string) => StringMatcher, operatorToken: Token, right: Operand): StringMatcher {
    const token = right.token;
    if (right.kind !== 'literal' || !(typeof right.value === 'string' || right.value instanceof NumberLiteral)) {
      this.expected(`a quoted pattern after '${operatorToken.text}' (patterns must be literals)`, token);
    }
    const pattern = typeof right.value === 'string' ? right.value : right.value.text;
    try {
      return compile(pattern);
    } catch (error) {
      if (!(error instanceof PatternSyntaxError)) throw error;
      // Point into the string when its text maps one-to-one onto the pattern (no escapes).
      const verbatim = token.kind === 'string' && token.text.length === pattern.length + 2;
      const position = verbatim ? token.start + 1 + Math.min(error.offset, pattern.length) : token.start;
      return this.fail(`Invalid pattern for '${operatorToken.text}' at position ${position}: ${error.message}`, position);
    }
  }
}

/** Parses and compiles a condition; throws ConditionSyntaxError when it is not valid. */
export function compileCondition(source: string): CompiledCondition {
  if (source.length > MAX_CONDITION_LENGTH) {
    throw new ConditionSyntaxError(`Condition is longer than ${MAX_CONDITION_LENGTH} characters`, MAX_CONDITION_LENGTH, source);
  }
  const tokens = new Tokenizer(source).run();
  const parser = new Parser(source, tokens);
  const predicate = parser.parse();
  const variables = Object.freeze([...parser.variables]) as string[];
  return Object.freeze({
    source,
    variables,
    evaluate: (lookup: VariableLookup) => predicate(lookup),
  });
}
