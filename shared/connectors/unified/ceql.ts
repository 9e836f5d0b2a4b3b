// CEQL, Open Connectors' query language for unified calls: `where`
// (`AND`, `OR`, `NOT`, parentheses, `=`, `!=`, `<>`, `<`, `>`, `<=`, `>=`,
// `LIKE` with `%` and `_`, `IN (...)`, `IS [NOT] NULL`, backticked field
// names), `fields` (a projection) and `orderBy` (`field asc|desc, ...`).
// A hand-written tokenizer and recursive-descent parser: linear in the input,
// bounded in length, depth and size, and every refusal is a CeqlError naming
// where the text went wrong. Imports nothing, so it can be fuzzed alone.

export type CeqlValue = string | number | boolean | null;
export type ComparisonOperator = '=' | '!=' | '<' | '>' | '<=' | '>=';

interface Node {
  /** The source text of this part, quoted back when it cannot be expressed for a vendor. */
  text: string;
}
export type CeqlExpression =
  | (Node & { kind: 'and'; items: CeqlExpression[] })
  | (Node & { kind: 'or'; items: CeqlExpression[] })
  | (Node & { kind: 'not'; expression: CeqlExpression })
  | (Node & { kind: 'compare'; field: string; operator: ComparisonOperator; value: CeqlValue })
  | (Node & { kind: 'in'; field: string; values: CeqlValue[]; negated: boolean })
  | (Node & { kind: 'null'; field: string; negated: boolean })
  | (Node & { kind: 'like'; field: string; pattern: string; negated: boolean });

export interface OrderTerm {
  field: string;
  direction: 'asc' | 'desc';
}

export class CeqlError extends Error {
  override name = 'CeqlError';
  constructor(
    message: string,
    /** `where`, `fields` or `orderBy`. */
    readonly parameter: string,
    readonly position?: number,
  ) {
    super(position === undefined ? `${parameter}: ${message}` : `${parameter}: ${message} (at character ${position + 1})`);
  }
}

export const CEQL_LIMITS = { length: 4096, depth: 32, terms: 200, inValues: 200, fields: 100 } as const;

type TokenKind = 'field' | 'string' | 'number' | 'word' | 'op' | '(' | ')' | ',' | 'end';
interface Token {
  kind: TokenKind;
  value: string;
  start: number;
  end: number;
}

const FIELD_START = /[A-Za-z_$@]/;
const FIELD_PART = /[A-Za-z0-9_$@.\-:[\]]/;
const NUMBER = /[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'IS', 'NULL', 'LIKE', 'TRUE', 'FALSE']);

function tokenize(text: string, parameter: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (message: string, at = i): never => {
    throw new CeqlError(message, parameter, at);
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"') {
      // A string: the quote doubled or backslash-escaped stands for itself.
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) fail('unterminated string', start);
        const d = text[i]!;
        if (d === '\\' && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
        } else if (d === c && text[i + 1] === c) {
          value += c;
          i += 2;
        } else if (d === c) {
          i++;
          break;
        } else {
          value += d;
          i++;
        }
      }
      tokens.push({ kind: 'string', value, start, end: i });
    } else if (c === '`') {
      const close = text.indexOf('`', i + 1);
      if (close < 0) fail('unterminated backticked field name', start);
      const name = text.slice(i + 1, close);
      if (!name.trim()) fail('empty backticked field name', start);
      i = close + 1;
      tokens.push({ kind: 'field', value: name, start, end: i });
    } else if (/[0-9]/.test(c) || ((c === '-' || c === '+' || c === '.') && /[0-9.]/.test(text[i + 1] ?? ''))) {
      NUMBER.lastIndex = i;
      const raw = NUMBER.exec(text)?.[0] ?? '';
      if (!raw || !Number.isFinite(Number(raw)) || FIELD_PART.test(text[i + raw.length] ?? '')) fail('not a number', start);
      i += raw.length;
      tokens.push({ kind: 'number', value: raw, start, end: i });
    } else if (FIELD_START.test(c)) {
      i++;
      while (i < text.length && FIELD_PART.test(text[i]!)) i++;
      const word = text.slice(start, i);
      tokens.push({ kind: KEYWORDS.has(word.toUpperCase()) ? 'word' : 'field', value: word, start, end: i });
    } else if (c === '(' || c === ')' || c === ',') {
      i++;
      tokens.push({ kind: c, value: c, start, end: i });
    } else if (c === '=' || c === '<' || c === '>' || c === '!') {
      const two = text.slice(i, i + 2);
      const op = two === '!=' || two === '<>' || two === '<=' || two === '>=' ? two : c;
      if (op === '!') fail('"!" must be followed by "="');
      i += op.length;
      tokens.push({ kind: 'op', value: op === '<>' ? '!=' : op, start, end: i });
    } else {
      fail(`unexpected character "${c}"`);
    }
  }
  tokens.push({ kind: 'end', value: '', start: text.length, end: text.length });
  return tokens;
}

class Parser {
  private index = 0;
  private terms = 0;

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
    private readonly parameter: string,
  ) {}

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private next(): Token {
    return this.tokens[this.index++]!;
  }

  private isWord(word: string, token = this.peek()): boolean {
    return token.kind === 'word' && token.value.toUpperCase() === word;
  }

  private fail(message: string, token = this.peek()): never {
    throw new CeqlError(message, this.parameter, token.start);
  }

  private describe(token: Token): string {
    return token.kind === 'end' ? 'the end' : `"${this.text.slice(token.start, token.end)}"`;
  }

  parse(): CeqlExpression {
    const expression = this.or(0);
    if (this.peek().kind !== 'end') this.fail(`expected AND, OR or the end, found ${this.describe(this.peek())}`);
    return expression;
  }

  private slice(from: Token): string {
    return this.text.slice(from.start, this.tokens[this.index - 1]!.end);
  }

  private or(depth: number): CeqlExpression {
    return this.chain('OR', depth, () => this.and(depth));
  }

  private and(depth: number): CeqlExpression {
    return this.chain('AND', depth, () => this.unary(depth));
  }

  private chain(word: 'AND' | 'OR', depth: number, operand: () => CeqlExpression): CeqlExpression {
    const first = this.peek();
    const items = [operand()];
    while (this.isWord(word)) {
      this.next();
      items.push(operand());
    }
    if (items.length === 1) return items[0]!;
    // a AND (b AND c) is one list: flatten nested lists of the same kind.
    const flat = items.flatMap((item) => (item.kind === word.toLowerCase() ? (item as { items: CeqlExpression[] }).items : [item]));
    return { kind: word === 'AND' ? 'and' : 'or', items: flat, text: this.slice(first) };
  }

  private unary(depth: number): CeqlExpression {
    if (depth >= CEQL_LIMITS.depth) this.fail(`nested more than ${CEQL_LIMITS.depth} levels deep`);
    const first = this.peek();
    if (this.isWord('NOT')) {
      this.next();
      const expression = this.unary(depth + 1);
      return { kind: 'not', expression, text: this.slice(first) };
    }
    if (first.kind === '(') {
      this.next();
      const inner = this.or(depth + 1);
      if (this.peek().kind !== ')') this.fail(`expected ")", found ${this.describe(this.peek())}`);
      this.next();
      return inner;
    }
    return this.comparison();
  }

  private comparison(): CeqlExpression {
    if (++this.terms > CEQL_LIMITS.terms) this.fail(`more than ${CEQL_LIMITS.terms} conditions`);
    const first = this.next();
    if (first.kind !== 'field') this.fail(`expected a field name, found ${this.describe(first)}`, first);
    const field = first.value;
    const token = this.peek();
    if (token.kind === 'op') {
      this.next();
      const value = this.value();
      return { kind: 'compare', field, operator: token.value as ComparisonOperator, value, text: this.slice(first) };
    }
    if (this.isWord('IS')) {
      this.next();
      const negated = this.isWord('NOT');
      if (negated) this.next();
      if (!this.isWord('NULL')) this.fail(`expected NULL after IS${negated ? ' NOT' : ''}`);
      this.next();
      return { kind: 'null', field, negated, text: this.slice(first) };
    }
    const negated = this.isWord('NOT');
    if (negated) this.next();
    if (this.isWord('LIKE')) {
      this.next();
      const pattern = this.next();
      if (pattern.kind !== 'string') this.fail('LIKE needs a quoted pattern', pattern);
      return { kind: 'like', field, pattern: pattern.value, negated, text: this.slice(first) };
    }
    if (this.isWord('IN')) {
      this.next();
      if (this.peek().kind !== '(') this.fail('IN needs a list in parentheses');
      this.next();
      const values = [this.value()];
      while (this.peek().kind === ',') {
        this.next();
        values.push(this.value());
        if (values.length > CEQL_LIMITS.inValues) this.fail(`more than ${CEQL_LIMITS.inValues} values in IN`);
      }
      if (this.peek().kind !== ')') this.fail(`expected "," or ")", found ${this.describe(this.peek())}`);
      this.next();
      return { kind: 'in', field, values, negated, text: this.slice(first) };
    }
    return this.fail(`expected an operator (=, !=, <, >, <=, >=, LIKE, IN, IS NULL) after ${field}, found ${this.describe(token)}`, token);
  }

  private value(): CeqlValue {
    const token = this.next();
    if (token.kind === 'string') return token.value;
    if (token.kind === 'number') return Number(token.value);
    if (this.isWord('TRUE', token)) return true;
    if (this.isWord('FALSE', token)) return false;
    if (this.isWord('NULL', token)) return null;
    return this.fail(`expected a value (a quoted string, a number, true, false or null), found ${this.describe(token)}`, token);
  }
}

/** Parses a `where` expression; throws CeqlError on any problem. */
export function parseWhere(text: string): CeqlExpression {
  if (text.length > CEQL_LIMITS.length) throw new CeqlError(`longer than ${CEQL_LIMITS.length} characters`, 'where');
  if (!text.trim()) throw new CeqlError('is empty', 'where');
  return new Parser(text, tokenize(text, 'where'), 'where').parse();
}

function fieldList(text: string, parameter: string): { field: string; rest: Token[] }[] {
  if (text.length > CEQL_LIMITS.length) throw new CeqlError(`longer than ${CEQL_LIMITS.length} characters`, parameter);
  const tokens = tokenize(text, parameter);
  const items: { field: string; rest: Token[] }[] = [];
  let current: Token[] = [];
  for (const token of tokens) {
    if (token.kind === ',' || token.kind === 'end') {
      const [first, ...rest] = current;
      if (!first) throw new CeqlError('expected a field name', parameter, token.start);
      if (first.kind !== 'field') throw new CeqlError(`expected a field name, found "${first.value}"`, parameter, first.start);
      items.push({ field: first.value, rest });
      current = [];
    } else current.push(token);
  }
  if (items.length > CEQL_LIMITS.fields) throw new CeqlError(`more than ${CEQL_LIMITS.fields} fields`, parameter);
  return items;
}

/** `fields=a,b.c,\`d e\``: the fields to return. */
export function parseFields(text: string): string[] {
  return fieldList(text, 'fields').map(({ field, rest }) => {
    if (rest.length) throw new CeqlError(`unexpected "${rest[0]!.value}" after ${field}`, 'fields', rest[0]!.start);
    return field;
  });
}

/** `orderBy=lastName asc, createdDate desc`. */
export function parseOrderBy(text: string): OrderTerm[] {
  return fieldList(text, 'orderBy').map(({ field, rest }) => {
    const [direction, extra] = rest;
    const word = direction?.value.toLowerCase();
    if (direction && (direction.kind !== 'field' || (word !== 'asc' && word !== 'desc'))) {
      throw new CeqlError(`expected asc or desc after ${field}, found "${direction.value}"`, 'orderBy', direction.start);
    }
    if (extra) throw new CeqlError(`unexpected "${extra.value}" after ${field} ${direction!.value}`, 'orderBy', extra.start);
    return { field, direction: word === 'desc' ? 'desc' : 'asc' };
  });
}

/** The fields an expression names, each once. */
export function fieldsOf(expression: CeqlExpression): string[] {
  const names = new Set<string>();
  const visit = (node: CeqlExpression): void => {
    if (node.kind === 'and' || node.kind === 'or') node.items.forEach(visit);
    else if (node.kind === 'not') visit(node.expression);
    else names.add(node.field);
  };
  visit(expression);
  return [...names];
}

/** Rewrites every field name (to the vendor's, through a mapping); `rename` may throw. */
export function renameFields(expression: CeqlExpression, rename: (field: string) => string): CeqlExpression {
  if (expression.kind === 'and' || expression.kind === 'or') return { ...expression, items: expression.items.map((item) => renameFields(item, rename)) };
  if (expression.kind === 'not') return { ...expression, expression: renameFields(expression.expression, rename) };
  return { ...expression, field: rename(expression.field) };
}

// Evaluation, for filtering records after the vendor call.

/** `%` any run of characters, `_` exactly one; case-insensitive. Greedy two-pointer matching: O(n*m) at worst, never exponential. */
export function likeMatches(value: string, pattern: string): boolean {
  const text = value.toLowerCase();
  const glob = pattern.toLowerCase();
  let t = 0;
  let g = 0;
  let starG = -1;
  let starT = 0;
  while (t < text.length) {
    if (g < glob.length && (glob[g] === '_' || (glob[g] !== '%' && glob[g] === text[t]))) {
      t++;
      g++;
    } else if (g < glob.length && glob[g] === '%') {
      starG = g++;
      starT = t;
    } else if (starG >= 0) {
      g = starG + 1;
      t = ++starT;
    } else return false;
  }
  while (g < glob.length && glob[g] === '%') g++;
  return g === glob.length;
}

function scalar(value: unknown): CeqlValue | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return undefined;
}

/** -1, 0, 1, or undefined when the two cannot be ordered (a string against a number that is not one). */
export function compareValues(a: CeqlValue, b: CeqlValue): number | undefined {
  if (a === null || b === null) return a === b ? 0 : undefined;
  if (typeof a === 'number' || typeof b === 'number') {
    const x = typeof a === 'number' ? a : typeof a === 'string' && a.trim() !== '' ? Number(a) : NaN;
    const y = typeof b === 'number' ? b : typeof b === 'string' && b.trim() !== '' ? Number(b) : NaN;
    if (Number.isNaN(x) || Number.isNaN(y)) return undefined;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'boolean' || typeof b === 'boolean') {
    const x = typeof a === 'boolean' ? a : a === 'true' ? true : a === 'false' ? false : undefined;
    const y = typeof b === 'boolean' ? b : b === 'true' ? true : b === 'false' ? false : undefined;
    return x === undefined || y === undefined ? undefined : x === y ? 0 : x ? 1 : -1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether a record matches; `read` gives a field's value (a dotted path). */
export function matches(expression: CeqlExpression, read: (field: string) => unknown): boolean {
  switch (expression.kind) {
    case 'and':
      return expression.items.every((item) => matches(item, read));
    case 'or':
      return expression.items.some((item) => matches(item, read));
    case 'not':
      return !matches(expression.expression, read);
    case 'null': {
      const value = read(expression.field);
      return (value === null || value === undefined) !== expression.negated;
    }
    case 'like': {
      const value = scalar(read(expression.field));
      return value !== null && value !== undefined && likeMatches(String(value), expression.pattern) !== expression.negated;
    }
    case 'in': {
      const value = scalar(read(expression.field));
      if (value === undefined) return false;
      return expression.values.some((candidate) => compareValues(value, candidate) === 0) !== expression.negated;
    }
    case 'compare': {
      const value = scalar(read(expression.field));
      if (value === undefined) return false;
      const order = compareValues(value, expression.value);
      if (expression.operator === '!=') return order !== 0;
      if (order === undefined) return false;
      switch (expression.operator) {
        case '=':
          return order === 0;
        case '<':
          return order < 0;
        case '>':
          return order > 0;
        case '<=':
          return order <= 0;
        default:
          return order >= 0;
      }
    }
  }
}
