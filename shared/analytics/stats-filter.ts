// Apigee's analytics `filter`: comparisons of a dimension with a value,
// combined with `and`/`or` and parentheses, as the Analytics reference has it:
//   (response_status_code ge 500)
//   (apiproxy in 'orders','billing') and (developer_app notin 'test')
//   (proxy_pathsuffix like '/orders%') or (client_id isnull)
// Operators: eq ne gt lt ge le in notin like, not like, isnull notnull.
// Strings take single quotes (`\'` escapes one), numbers are bare. A
// dimension without a value in a row compares as absent: only `isnull` and
// `ne`/`notin` hold for it. Matching is linear in the filter and the value.
import { badRequest } from '../http/errors.js';

export type Comparison =
  | { op: 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'like' | 'notlike'; dimension: string; value: string }
  | { op: 'in' | 'notin'; dimension: string; values: string[] }
  | { op: 'isnull' | 'notnull'; dimension: string };

export interface Junction {
  op: 'and' | 'or';
  left: FilterNode;
  right: FilterNode;
}

export type FilterNode = Junction | Comparison;

export const isJunction = (node: FilterNode): node is Junction => node.op === 'and' || node.op === 'or';

export const MAX_FILTER_LENGTH = 2048;

type Token = { kind: 'word' | 'string' | 'number' | '(' | ')' | ','; text: string; at: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: c, text: c, at: i });
      i++;
    } else if (c === "'" || c === '"') {
      let text = '';
      let j = i + 1;
      for (; j < source.length && source[j] !== c; j++) {
        if (source[j] === '\\' && j + 1 < source.length) j++;
        text += source[j];
      }
      if (j >= source.length) throw filterError('a quoted value is not closed', i);
      tokens.push({ kind: 'string', text, at: i });
      i = j + 1;
    } else {
      const match = /^[A-Za-z0-9_.\-:/%*@+]+/.exec(source.slice(i, i + 512));
      if (!match) throw filterError(`unexpected "${c}"`, i);
      const text = match[0];
      tokens.push({ kind: /^-?\d+(\.\d+)?$/.test(text) ? 'number' : 'word', text, at: i });
      i += text.length;
    }
  }
  return tokens;
}

function filterError(message: string, at: number) {
  return badRequest(`Invalid filter: ${message} (at character ${at + 1})`, 'invalid_filter');
}

const COMPARISONS = new Set(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'like']);

export function parseFilter(source: string): FilterNode {
  if (source.length > MAX_FILTER_LENGTH) throw badRequest(`filter may be at most ${MAX_FILTER_LENGTH} characters`, 'invalid_filter');
  const tokens = tokenize(source);
  let position = 0;
  let depth = 0;
  const peek = () => tokens[position];
  const next = () => tokens[position++];
  const word = (token: Token | undefined) => (token?.kind === 'word' ? token.text.toLowerCase() : undefined);
  const end = () => (tokens.length ? tokens[tokens.length - 1]!.at + tokens[tokens.length - 1]!.text.length : 0);

  const value = (): string => {
    const token = next();
    if (!token || (token.kind !== 'string' && token.kind !== 'number' && token.kind !== 'word')) throw filterError('a value is expected', token?.at ?? end());
    return token.text;
  };

  const comparison = (): Comparison => {
    const name = next();
    if (!name || name.kind !== 'word') throw filterError('a dimension name is expected', name?.at ?? end());
    const dimension = name.text;
    const operator = next();
    let op = word(operator);
    if (!op) throw filterError(`an operator is expected after ${dimension}`, operator?.at ?? end());
    if (op === 'not') {
      if (word(next()) !== 'like') throw filterError('"not" must be followed by "like"', operator!.at);
      op = 'notlike';
    }
    if (op === 'isnull' || op === 'notnull') return { op, dimension };
    if (op === 'in' || op === 'notin') {
      const values = [value()];
      while (peek()?.kind === ',') {
        next();
        values.push(value());
      }
      return { op, dimension, values };
    }
    if (op !== 'notlike' && !COMPARISONS.has(op)) throw filterError(`unknown operator "${operator!.text}"`, operator!.at);
    return { op: op as 'eq', dimension, value: value() };
  };

  const factor = (): FilterNode => {
    if (peek()?.kind === '(') {
      const open = next()!;
      if (++depth > 32) throw filterError('too deeply nested', open.at);
      const inner = expression();
      if (next()?.kind !== ')') throw filterError('a ")" is missing', open.at);
      depth--;
      return inner;
    }
    return comparison();
  };

  const term = (): FilterNode => {
    let left = factor();
    while (word(peek()) === 'and') {
      next();
      left = { op: 'and', left, right: factor() };
    }
    return left;
  };

  const expression = (): FilterNode => {
    let left = term();
    while (word(peek()) === 'or') {
      next();
      left = { op: 'or', left, right: term() };
    }
    return left;
  };

  if (tokens.length === 0) throw filterError('it is empty', 0);
  const tree = expression();
  if (position < tokens.length) throw filterError(`unexpected "${tokens[position]!.text}"`, tokens[position]!.at);
  return tree;
}

/** Every dimension a filter names. */
export function filterDimensions(node: FilterNode): string[] {
  if (isJunction(node)) return [...new Set([...filterDimensions(node.left), ...filterDimensions(node.right)])];
  return [node.dimension];
}

/** SQL LIKE (`%` any run, `_` one character), greedy with one backtrack point: O(value x pattern), no regex. */
export function like(value: string, pattern: string): boolean {
  let v = 0;
  let p = 0;
  let star = -1;
  let mark = 0;
  while (v < value.length) {
    if (p < pattern.length && (pattern[p] === '_' || pattern[p] === value[v])) {
      v++;
      p++;
    } else if (p < pattern.length && pattern[p] === '%') {
      star = p++;
      mark = v;
    } else if (star !== -1) {
      p = star + 1;
      v = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === '%') p++;
  return p === pattern.length;
}

function compare(actual: string, expected: string): number {
  const a = Number(actual);
  const b = Number(expected);
  if (actual !== '' && expected !== '' && Number.isFinite(a) && Number.isFinite(b)) return a - b;
  return actual < expected ? -1 : actual > expected ? 1 : 0;
}

export function matchesFilter(node: FilterNode, values: Readonly<Record<string, string>>): boolean {
  if (isJunction(node)) return node.op === 'and' ? matchesFilter(node.left, values) && matchesFilter(node.right, values) : matchesFilter(node.left, values) || matchesFilter(node.right, values);
  const actual = values[node.dimension];
  switch (node.op) {
    case 'isnull':
      return actual === undefined;
    case 'notnull':
      return actual !== undefined;
    case 'in':
      return actual !== undefined && node.values.some((value) => compare(actual, value) === 0);
    case 'notin':
      return actual === undefined || node.values.every((value) => compare(actual, value) !== 0);
    case 'ne':
      return actual === undefined || compare(actual, node.value) !== 0;
    default:
      break;
  }
  if (actual === undefined) return false;
  switch (node.op) {
    case 'eq':
      return compare(actual, node.value) === 0;
    case 'gt':
      return compare(actual, node.value) > 0;
    case 'lt':
      return compare(actual, node.value) < 0;
    case 'ge':
      return compare(actual, node.value) >= 0;
    case 'le':
      return compare(actual, node.value) <= 0;
    case 'like':
      return like(actual, node.value);
    case 'notlike':
      return !like(actual, node.value);
  }
}
