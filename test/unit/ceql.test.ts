// CEQL: vectors of valid and invalid queries (the AST and the error each
// gives), evaluation against records, LIKE without backtracking, and
// fast-check: whatever the text, the parser answers with a tree or a
// CeqlError, never anything else.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CeqlError, likeMatches, matches, parseFields, parseOrderBy, parseWhere, type CeqlExpression } from '../../shared/connectors/unified/ceql.js';

/** The tree without source texts, for short expectations. */
function shape(expression: CeqlExpression): unknown {
  const { text: _text, ...rest } = expression as CeqlExpression & Record<string, unknown>;
  if (expression.kind === 'and' || expression.kind === 'or') return { kind: expression.kind, items: expression.items.map(shape) };
  if (expression.kind === 'not') return { kind: 'not', expression: shape(expression.expression) };
  return rest;
}

const VALID: [string, unknown][] = [
  ["lastName = 'Lovelace'", { kind: 'compare', field: 'lastName', operator: '=', value: 'Lovelace' }],
  ['age>=36', { kind: 'compare', field: 'age', operator: '>=', value: 36 }],
  ['age <> -1.5e2', { kind: 'compare', field: 'age', operator: '!=', value: -150 }],
  ["`first name` != 'it''s'", { kind: 'compare', field: 'first name', operator: '!=', value: "it's" }],
  ["name = 'back\\'slash'", { kind: 'compare', field: 'name', operator: '=', value: "back'slash" }],
  ['active = TRUE', { kind: 'compare', field: 'active', operator: '=', value: true }],
  ['address.city IS NULL', { kind: 'null', field: 'address.city', negated: false }],
  ['email is not null', { kind: 'null', field: 'email', negated: true }],
  ["email LIKE '%@example.com'", { kind: 'like', field: 'email', pattern: '%@example.com', negated: false }],
  ["email not like 'a_c%'", { kind: 'like', field: 'email', pattern: 'a_c%', negated: true }],
  ["status IN ('open', 'new', 3)", { kind: 'in', field: 'status', values: ['open', 'new', 3], negated: false }],
  ['id NOT IN (1,2)', { kind: 'in', field: 'id', values: [1, 2], negated: true }],
  [
    "a = 1 AND b = 2 OR c = 3",
    { kind: 'or', items: [{ kind: 'and', items: [{ kind: 'compare', field: 'a', operator: '=', value: 1 }, { kind: 'compare', field: 'b', operator: '=', value: 2 }] }, { kind: 'compare', field: 'c', operator: '=', value: 3 }] },
  ],
  [
    'a = 1 and (b = 2 or c = 3) and d < 4',
    {
      kind: 'and',
      items: [
        { kind: 'compare', field: 'a', operator: '=', value: 1 },
        { kind: 'or', items: [{ kind: 'compare', field: 'b', operator: '=', value: 2 }, { kind: 'compare', field: 'c', operator: '=', value: 3 }] },
        { kind: 'compare', field: 'd', operator: '<', value: 4 },
      ],
    },
  ],
  ["NOT (x = 'y')", { kind: 'not', expression: { kind: 'compare', field: 'x', operator: '=', value: 'y' } }],
  ['`order` = null', { kind: 'compare', field: 'order', operator: '=', value: null }],
];

const INVALID: [string, RegExp][] = [
  ['', /where: is empty/],
  ["name = 'open", /unterminated string \(at character 8\)/],
  ['name', /expected an operator .* found the end/],
  ['name == 1', /expected a value .* found "="/],
  ['= 1', /expected a field name, found "="/],
  ['a = 1 AND', /expected a field name, found the end/],
  ['a = 1 b = 2', /expected AND, OR or the end, found "b"/],
  ['(a = 1', /expected "\)", found the end/],
  ['a IN 1', /IN needs a list in parentheses/],
  ['a IN (1 2)', /expected "," or "\)"/],
  ['a LIKE 5', /LIKE needs a quoted pattern/],
  ['a IS 5', /expected NULL after IS/],
  ['a ! 1', /"!" must be followed by "="/],
  ['a = 1; drop', /unexpected character ";"/],
  ['`unclosed = 1', /unterminated backticked field name/],
  ['a = 12abc', /not a number/],
  [`${'('.repeat(40)}a = 1${')'.repeat(40)}`, /nested more than 32 levels deep/],
  [Array.from({ length: 201 }, (_, i) => `f${i} = 1`).join(' OR '), /more than 200 conditions/],
  ['x'.repeat(5000), /longer than 4096 characters/],
];

describe('CEQL where', () => {
  it.each(VALID)('parses %s', (text, expected) => {
    expect(shape(parseWhere(text))).toEqual(expected);
  });

  it.each(INVALID)('refuses %j', (text, message) => {
    expect(() => parseWhere(text)).toThrow(CeqlError);
    expect(() => parseWhere(text)).toThrow(message);
  });

  it('keeps the source text of each part for error messages', () => {
    const tree = parseWhere("a = 1 AND email LIKE '%x'");
    expect(tree.kind === 'and' && tree.items.map((item) => item.text)).toEqual(['a = 1', "email LIKE '%x'"]);
  });

  it('evaluates against records', () => {
    const record: Record<string, unknown> = { name: 'Ada', age: 36, email: 'ada@example.com', tags: null, nested: { city: 'London' }, score: '7' };
    const read = (field: string) => field.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], record);
    const truth = (where: string) => matches(parseWhere(where), read);
    expect(truth("name = 'Ada' AND age > 30")).toBe(true);
    expect(truth("name = 'ada'")).toBe(false);
    expect(truth("email LIKE '%@EXAMPLE.com'")).toBe(true);
    expect(truth("nested.city IN ('Paris', 'London')")).toBe(true);
    expect(truth('tags IS NULL AND missing IS NULL')).toBe(true);
    expect(truth('score >= 7 AND score < 8')).toBe(true);
    expect(truth("age > 'abc'")).toBe(false);
    expect(truth("age != 'abc'")).toBe(true);
    expect(truth("NOT (name = 'Ada') OR age <= 36")).toBe(true);
    expect(truth('nested = 1')).toBe(false);
  });
});

describe('CEQL fields and orderBy', () => {
  it('parses field lists', () => {
    expect(parseFields('id, name,`first name`, address.city')).toEqual(['id', 'name', 'first name', 'address.city']);
    expect(parseOrderBy('lastName, createdDate desc, `a b` ASC')).toEqual([
      { field: 'lastName', direction: 'asc' },
      { field: 'createdDate', direction: 'desc' },
      { field: 'a b', direction: 'asc' },
    ]);
  });

  it.each([
    ['fields', ',a', /expected a field name/],
    ['fields', 'a b', /unexpected "b" after a/],
    ['orderBy', 'a sideways', /expected asc or desc after a, found "sideways"/],
    ['orderBy', 'a asc b', /unexpected "b" after a asc/],
  ])('%s refuses %j', (parameter, text, message) => {
    const parse = parameter === 'fields' ? parseFields : parseOrderBy;
    expect(() => parse(text)).toThrow(CeqlError);
    expect(() => parse(text)).toThrow(message);
  });
});

describe('LIKE matching', () => {
  it.each([
    ['abc', 'a%', true],
    ['abc', '%c', true],
    ['abc', 'a_c', true],
    ['abc', '%b%', true],
    ['abc', 'a%d', false],
    ['', '%', true],
    ['ab', 'a__', false],
    ['aaa', '%%a', true],
  ])('%s LIKE %s is %s', (value, pattern, expected) => {
    expect(likeMatches(value, pattern)).toBe(expected);
  });

  it('stays fast on patterns that make backtracking matchers explode', () => {
    expect(likeMatches('a'.repeat(5000), `${'%a'.repeat(50)}b`)).toBe(false);
  });
});

describe('CEQL fuzzing', () => {
  const pieces = fc.constantFrom('a', 'b.c', '`x y`', '=', '!=', '<', '>=', 'AND', 'OR', 'NOT', 'IN', 'IS', 'NULL', 'LIKE', '(', ')', ',', "'s'", "'", '1', '-2.5', 'true', '%', '`', '\\', ' ');
  const soup = fc.oneof(fc.string({ maxLength: 60 }), fc.array(pieces, { maxLength: 20 }).map((parts) => parts.join(' ')));

  it('answers every text with a tree or a CeqlError', () => {
    fc.assert(
      fc.property(soup, (text) => {
        for (const parse of [parseWhere, parseFields, parseOrderBy]) {
          try {
            parse(text);
          } catch (error) {
            if (!(error instanceof CeqlError)) throw error;
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips generated comparisons', () => {
    const field = fc.constantFrom('name', 'age', 'address.city', 'x_1');
    const value = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.string({ maxLength: 8 }));
    const quote = (v: string | number) => (typeof v === 'number' ? String(v) : `'${v.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`);
    fc.assert(
      fc.property(field, fc.constantFrom('=', '!=', '<', '>', '<=', '>='), value, (name, operator, v) => {
        expect(shape(parseWhere(`${name} ${operator} ${quote(v)}`))).toEqual({ kind: 'compare', field: name, operator, value: v });
      }),
    );
  });
});
