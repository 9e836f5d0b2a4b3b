import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileWildcardPattern, PatternSyntaxError } from '../../shared/gateway/language/condition-patterns.js';
import { compileCondition, ConditionSyntaxError, type VariableLookup } from '../../shared/gateway/language/condition.js';
import { compileJavaRegex, translateJavaRegex } from '../../shared/gateway/language/java-regex.js';

const VARIABLES = ['a', 'b', 'request.verb', 'request.header.x-api-key', 'proxy.pathsuffix', 'response.status.code', 'my_var.x-1'];

/** Values a flow variable may hold, unset included. */
const variableValue = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', 'true', 'FALSE', '404', '-1.5', '/a/b', 'GET'),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
);

const variableValues = fc.dictionary(fc.constantFrom(...VARIABLES), variableValue);

const lookupIn =
  (values: Record<string, unknown>): VariableLookup =>
  (name) =>
    Object.hasOwn(values, name) ? values[name] : undefined;

const quote = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

// Pieces that condition text is made of, for token soups that are mostly almost-valid.
const FRAGMENTS = [
  '(', ')', 'a', 'request.verb', 'x-y.z', '=', '==', '!=', ':=', '>', '>=', '<', '<=', '=|', '~', '~/', '~~',
  'AND', 'or', 'Not', '&&', '||', '!', '&', '|', ':', 'MatchesPath', 'JavaRegex', 'Matches', 'StartsWith',
  'true', 'null', '42', '-1.5', '1.', '"GET"', "'x'", '"', "'", '\\', '"/a/**"', '"(a+)+"', '"[a-"', '"\\\\1"',
  '"(?i)x"', '"*?"', '.', '..', '#', '\n', '😀',
];

const tokenSoup = fc
  .tuple(fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 24 }), fc.constantFrom('', ' '))
  .map(([parts, separator]) => parts.join(separator));

const REGEXES = ['.*', '[a-z]+\\d*', '(?i)get|post', '/v\\d+/.*', '\\p{Alpha}*', '(\\d+\\.){3}\\d+', '\\Qa.b\\E', 'x{2,3}'];
const patternText = fc
  .array(fc.constantFrom('/', 'a', 'b', '*', '**', '?', '(', '.'), { maxLength: 8 })
  .map((parts) => parts.join(''));

const keyword = (...spellings: string[]) => fc.constantFrom(...spellings);

const operand = fc.oneof(
  fc.constantFrom(...VARIABLES),
  fc.string({ maxLength: 8 }).map(quote),
  fc.integer({ min: -5000, max: 5000 }).map(String),
  fc.tuple(fc.integer({ min: -99, max: 99 }), fc.nat(999)).map(([whole, fraction]) => `${whole}.${fraction}`),
  keyword('true', 'false', 'null', 'TRUE', 'Null'),
);

const comparisonOperator = keyword(
  '=', '==', 'Equals', 'is', '!=', 'NotEquals', 'IsNot', '>', 'GreaterThan', '<', 'LesserThan', '>=',
  'GreaterThanOrEquals', '<=', 'LesserThanOrEquals', ':=', 'EqualsCaseInsensitive', '=|', 'StartsWith',
);

const comparison = fc.oneof(
  fc.tuple(operand, comparisonOperator, operand).map((parts) => parts.join(' ')),
  fc
    .tuple(operand, keyword('MatchesPath', 'LikePath', '~/', 'Matches', 'Like', '~'), patternText)
    .map(([left, operator, pattern]) => `${left} ${operator} ${quote(pattern)}`),
  fc
    .tuple(operand, keyword('JavaRegex', '~~'), fc.constantFrom(...REGEXES))
    .map(([left, operator, pattern]) => `${left} ${operator} ${quote(pattern)}`),
  operand,
);

const { expression } = fc.letrec<{ expression: string; not: string; and: string; or: string; group: string }>((tie) => ({
  expression: fc.oneof({ depthSize: 'small', withCrossShrink: true }, comparison, tie('not'), tie('and'), tie('or'), tie('group')),
  not: fc.tuple(keyword('NOT ', 'not ', '!'), tie('expression')).map(([not, inner]) => `${not}(${inner})`),
  and: fc.tuple(tie('expression'), keyword(' AND ', ' and ', ' && ', '&&'), tie('expression')).map((parts) => parts.join('')),
  or: fc.tuple(tie('expression'), keyword(' OR ', ' or ', ' || ', '||'), tie('expression')).map((parts) => parts.join('')),
  group: tie('expression').map((inner) => `(${inner})`),
}));

describe('condition properties', () => {
  it('random text either compiles or throws ConditionSyntaxError with a position inside it', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 120 }), tokenSoup), variableValues, (source, values) => {
        let compiled;
        try {
          compiled = compileCondition(source);
        } catch (error) {
          expect(error).toBeInstanceOf(ConditionSyntaxError);
          const position = (error as ConditionSyntaxError).position;
          expect(position).toBeGreaterThanOrEqual(0);
          expect(position).toBeLessThanOrEqual(source.length);
          return;
        }
        expect(typeof compiled.evaluate(lookupIn(values))).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
  });

  it('generated well-formed conditions compile and evaluate to a boolean', () => {
    fc.assert(
      fc.property(expression, variableValues, (source, values) => {
        const condition = compileCondition(source);
        expect(typeof condition.evaluate(lookupIn(values))).toBe('boolean');
        for (const name of condition.variables) expect(VARIABLES).toContain(name);
      }),
      { numRuns: 1500 },
    );
  });

  type Tree = { kind: 'atom'; index: number; compare: boolean } | { kind: 'not'; inner: Tree } | { kind: 'and' | 'or'; left: Tree; right: Tree };

  const tree = fc.letrec<{ tree: Tree }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.record({ kind: fc.constant('atom' as const), index: fc.nat(3), compare: fc.boolean() }),
      fc.record({ kind: fc.constant('not' as const), inner: tie('tree') }),
      fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), left: tie('tree'), right: tie('tree') }),
    ),
  })).tree;

  const PRECEDENCE = { or: 1, and: 2, not: 3, atom: 4 } as const;
  const SPELLINGS = { and: [' AND ', ' and ', '&&'], or: [' OR ', ' Or ', '||'], not: ['NOT ', 'not ', '!'] } as const;

  /** Prints with only the parentheses the precedence NOT > AND > OR requires. */
  function print(node: Tree, parent: number, pick: number): string {
    let text: string;
    switch (node.kind) {
      case 'atom':
        text = node.compare ? `p${node.index} = "true"` : `p${node.index}`;
        break;
      case 'not':
        text = SPELLINGS.not[pick % 3] + print(node.inner, PRECEDENCE.not, pick + 1);
        break;
      default:
        text =
          print(node.left, PRECEDENCE[node.kind], pick + 1) +
          SPELLINGS[node.kind][pick % 3] +
          print(node.right, PRECEDENCE[node.kind] + 1, pick + 2);
    }
    return PRECEDENCE[node.kind] < parent ? `(${text})` : text;
  }

  function reference(node: Tree, values: boolean[]): boolean {
    switch (node.kind) {
      case 'atom':
        return values[node.index]!;
      case 'not':
        return !reference(node.inner, values);
      case 'and':
        return reference(node.left, values) && reference(node.right, values);
      case 'or':
        return reference(node.left, values) || reference(node.right, values);
    }
  }

  it('NOT binds tighter than AND, AND tighter than OR', () => {
    fc.assert(
      fc.property(tree, fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.nat(2), (node, values, pick) => {
        const source = print(node, 0, pick);
        const lookup: VariableLookup = (name) => String(values[Number(name.slice(1))]);
        expect(compileCondition(source).evaluate(lookup)).toBe(reference(node, values));
      }),
      { numRuns: 1500 },
    );
  });

  it('!= is the negation of = for any pair of values, set or not', () => {
    const equal = compileCondition('a = b');
    const different = compileCondition('a != b');
    fc.assert(
      fc.property(variableValues, (values) => {
        const lookup = lookupIn(values);
        expect(different.evaluate(lookup)).toBe(!equal.evaluate(lookup));
      }),
    );
  });

  it('a quoted literal round-trips any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        const lookup: VariableLookup = () => text;
        expect(compileCondition(`x = ${quote(text)}`).evaluate(lookup)).toBe(true);
        // Like Java's equalsIgnoreCase, case folding that changes the length ("ﬀ" -> "FF") is not a match.
        const upper = text.toUpperCase();
        expect(compileCondition(`x := ${quote(upper)}`).evaluate(lookup)).toBe(upper.length === text.length);
        expect(compileCondition(`x =| ${quote(text.slice(0, 3))}`).evaluate(lookup)).toBe(true);
      }),
    );
  });

  it('unquoted numbers compare numerically with numeric strings', () => {
    const number = fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((n) => Math.round(n * 100) / 100));
    fc.assert(
      fc.property(number, number, (value, literal) => {
        const text = literal.toFixed(2);
        const lookup: VariableLookup = () => String(value);
        const expected = Number(text);
        expect(compileCondition(`x > ${text}`).evaluate(lookup)).toBe(value > expected);
        expect(compileCondition(`x <= ${text}`).evaluate(lookup)).toBe(value <= expected);
        expect(compileCondition(`x = ${text}`).evaluate(lookup)).toBe(value === expected);
      }),
    );
  });

  it('both JavaRegex engines accept exactly what a backtracking RegExp of the same pattern accepts', () => {
    const regexPart = fc.constantFrom(
      'a', 'b', 'A', '.', '\\d', '\\w', '\\s', '\\S', '[ab]', '[^a]', '[a-c\\d]', '(', ')', '(?:', '|', '*', '+', '?', '*?',
      '{2}', '{0,2}', '{1,}', '^', '$', '\\b', '\\B', '\\A', '\\z', '\\Z', '\\n', '\\R', 'é', '😀', '\\p{L}', '\\Qa.\\E',
    );
    const pattern = fc.tuple(fc.constantFrom('', '(?i)', '(?s)', '(?m)'), fc.array(regexPart, { maxLength: 10 })).map(([flags, parts]) => flags + parts.join(''));
    const input = fc.array(fc.constantFrom('a', 'b', 'A', '1', ' ', '\n', '\r', 'é', 'É', '😀', '_'), { maxLength: 8 }).map((chars) => chars.join(''));
    let compared = 0;
    fc.assert(
      fc.property(pattern, fc.array(input, { minLength: 1, maxLength: 6 }), (source, values) => {
        let linear;
        let auto;
        try {
          linear = compileJavaRegex(source, 'linear');
          auto = compileJavaRegex(source);
        } catch (error) {
          expect(error).toBeInstanceOf(PatternSyntaxError);
          return;
        }
        const { source: translated, flags } = translateJavaRegex(source);
        const backtracking = new RegExp(`^(?:${translated})$`, `${flags}u`);
        for (const value of values) {
          const expected = backtracking.test(value);
          expect(linear(value), `${source} on ${JSON.stringify(value)}`).toBe(expected);
          expect(auto(value), `${source} on ${JSON.stringify(value)}`).toBe(expected);
        }
        compared++;
      }),
      { numRuns: 4000 },
    );
    expect(compared).toBeGreaterThan(1000);
  });

  it('the wildcard matcher agrees with a regular expression of the same wildcard', () => {
    const wildcard = fc.array(fc.constantFrom('a', 'b', '*', '?', '😀', '/'), { maxLength: 8 }).map((parts) => parts.join(''));
    const value = fc.array(fc.constantFrom('a', 'b', '😀', '/', 'c'), { maxLength: 10 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(wildcard, fc.array(value, { minLength: 1, maxLength: 5 }), (pattern, values) => {
        const matcher = compileWildcardPattern(pattern);
        const source = [...pattern].map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[$()*+.?[\\\]^{|}/]/g, '\\$&'))).join('');
        const reference = new RegExp(`^${source}$`, 'su');
        for (const text of values) expect(matcher(text), `${pattern} on ${text}`).toBe(reference.test(text));
      }),
      { numRuns: 3000 },
    );
  });
});
