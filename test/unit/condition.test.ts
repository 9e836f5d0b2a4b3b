import { describe, expect, it } from 'vitest';
import {
  compileCondition,
  ConditionSyntaxError,
  MAX_CONDITION_LENGTH,
  MAX_CONDITION_NESTING,
  type VariableLookup,
} from '../../shared/gateway/language/condition.js';

type Variables = Record<string, unknown>;
type Vector = [condition: string, variables: Variables, expected: boolean];

const lookupIn =
  (variables: Variables): VariableLookup =>
  (name) =>
    Object.hasOwn(variables, name) ? variables[name] : undefined;

const SEED =
  '(proxy.pathsuffix MatchesPath "/OAuthToken" OR proxy.pathsuffix MatchesPath "/OAuthToken/**" OR proxy.pathsuffix MatchesPath "/OAuthToken(**")AND(request.verb = "POST")';

const verb = (value: unknown): Variables => ({ 'request.verb': value });
const status = (value: unknown): Variables => ({ 'response.status.code': value });
const path = (value: string): Variables => ({ 'proxy.pathsuffix': value });
const x = (value: unknown): Variables => ({ x: value });

const vectors: Vector[] = [
  // Equality, every spelling; strings compare case-sensitively.
  ['request.verb = "GET"', verb('GET'), true],
  ['request.verb == "GET"', verb('GET'), true],
  ['request.verb Equals "GET"', verb('GET'), true],
  ['request.verb Is "GET"', verb('GET'), true],
  ["request.verb = 'GET'", verb('GET'), true],
  ['request.verb = "get"', verb('GET'), false],
  ['request.verb = "GET"', verb('POST'), false],
  ['request.verb != "GET"', verb('GET'), false],
  ['request.verb NotEquals "GET"', verb('POST'), true],
  ['request.verb IsNot "GET"', verb('POST'), true],
  ['request.verb := "get"', verb('GET'), true],
  ['request.verb EqualsCaseInsensitive "pOsT"', verb('POST'), true],
  ['request.verb := "gets"', verb('GET'), false],
  // Operator words and keywords in any case.
  ['request.verb equals "GET" and request.verb ISNOT "PUT"', verb('GET'), true],
  ['request.verb eQuAlS "GET"', verb('GET'), true],
  ['request.verb = "PUT" Or request.verb = "GET"', verb('GET'), true],
  // Numbers: numeric when one side is an unquoted number or a JS number.
  ['response.status.code = 404', status('404'), true],
  ['response.status.code = 404.0', status('404'), true],
  ['response.status.code > 399', status('404'), true],
  ['response.status.code GreaterThan 500', status('404'), false],
  ['response.status.code >= 404', status('404'), true],
  ['response.status.code GreaterThanOrEquals 405', status('404'), false],
  ['response.status.code < 500', status(404), true],
  ['response.status.code LesserThan 100', status(404), false],
  ['response.status.code <= 404', status(404), true],
  ['response.status.code LesserThanOrEquals 403', status('404'), false],
  ['response.status.code = "404"', status(404), true],
  ['request.header.content-length > 1000', { 'request.header.content-length': '2048' }, true],
  ['request.header.content-length > 1000', { 'request.header.content-length': '999' }, false],
  ['request.queryparam.n = 7', { 'request.queryparam.n': '007' }, true],
  ['request.queryparam.n = "7"', { 'request.queryparam.n': '007' }, false],
  ['request.queryparam.n = 7', { 'request.queryparam.n': 'seven' }, false],
  ['x = -1.5', x('-1.50'), true],
  ['x < 0', x('-3'), true],
  ['x > 2.5', x(2.75), true],
  ['x = 10', x(10n), true],
  // Strings order lexicographically, like Java's compareTo.
  ['x > "b"', x('c'), true],
  ['x > "100"', x('99'), true],
  ['x <= "abc"', x('abc'), true],
  // Booleans.
  ['flag = true', { flag: true }, true],
  ['flag = TRUE', { flag: 'true' }, true],
  ['flag = true', { flag: 'True' }, true],
  ['flag = false', { flag: 'true' }, false],
  ['flag != false', { flag: 'yes' }, true],
  ['flag = true', { flag: 1 }, false],
  // null and unset variables.
  ['x = null', {}, true],
  ['x = NULL', x(null), true],
  ['x = null', x(''), false],
  ['x != null', x('a'), true],
  ['x != null', {}, false],
  ['x = "a"', {}, false],
  ['x != "a"', {}, true],
  ['x > 1', {}, false],
  ['x < 1', {}, false],
  ['x >= ""', {}, false],
  ['x <= "z"', {}, false],
  ['x := null', {}, true],
  ['x := "a"', {}, false],
  ['x =| "a"', {}, false],
  ['x ~ "*"', {}, false],
  ['x ~/ "/**"', {}, false],
  ['x ~~ ".*"', {}, false],
  ['x = y', {}, true],
  ['x = y', { x: 'a', y: 'a' }, true],
  ['x = y', { x: 'a' }, false],
  ['"GET" = request.verb', verb('GET'), true],
  // Bare operands test truthiness.
  ['x', x('abc'), true],
  ['x', {}, false],
  ['x', x(''), false],
  ['x', x('false'), false],
  ['x', x('FALSE'), false],
  ['x', x(false), false],
  ['x', x(true), true],
  ['x', x(0), true],
  ['true', {}, true],
  ['false', {}, false],
  ['null', {}, false],
  ['"text"', {}, true],
  ['NOT x', {}, true],
  // Other value types: arrays (multi-valued headers) join with ','.
  ['request.header.accept = "a,b"', { 'request.header.accept': ['a', 'b'] }, true],
  ['x = "hi"', x(Buffer.from('hi')), true],
  // StartsWith.
  ['request.path StartsWith "/v1/"', { 'request.path': '/v1/orders' }, true],
  ['request.path =| "/v2"', { 'request.path': '/v1/orders' }, false],
  ['request.path startswith "/V1"', { 'request.path': '/v1' }, false],
  ['response.status.code =| 4', status(404), true],
  // Matches / Like / ~ : wildcard over the whole value.
  ['request.header.user-agent Matches "*Mobile*"', { 'request.header.user-agent': 'Mozilla/5.0 (iPhone; Mobile)' }, true],
  ['x Like "a?c"', x('abc'), true],
  ['x ~ "a?c"', x('abbc'), false],
  ['x ~ "/cat"', x('/cat'), true],
  ['x ~ "/cat"', x('/cats'), false],
  ['x ~ "/c*t"', x('/c/a/t'), true],
  ['x ~ "*.json"', x('data.json'), true],
  ['x ~ "*.JSON"', x('data.json'), false],
  ['x ~ "?"', x('😀'), true],
  // MatchesPath / LikePath / ~/ : path patterns over the whole value.
  ['proxy.pathsuffix MatchesPath "/animals/*"', path('/animals/cat'), true],
  ['proxy.pathsuffix MatchesPath "/animals/*"', path('/animals/cat/tail'), false],
  ['proxy.pathsuffix MatchesPath "/animals/*"', path('/animals/'), false],
  ['proxy.pathsuffix MatchesPath "/animals/**"', path('/animals/cat/tail'), true],
  ['proxy.pathsuffix MatchesPath "/animals/**"', path('/animals'), false],
  ['proxy.pathsuffix MatchesPath "/animals/*/tail"', path('/animals/dog/tail'), true],
  ['proxy.pathsuffix MatchesPath "/animals/*/tail"', path('/animals/dog/big/tail'), false],
  ['proxy.pathsuffix MatchesPath "/animals/**/tail"', path('/animals/tail'), true],
  ['proxy.pathsuffix MatchesPath "/animals/**/tail"', path('/animals/a/b/tail'), true],
  ['proxy.pathsuffix MatchesPath "/animals/**/tail"', path('/animals/a/b/head'), false],
  ['proxy.pathsuffix LikePath "/v?/items"', path('/v1/items'), true],
  ['proxy.pathsuffix LikePath "/v?/items"', path('/v12/items'), false],
  ['proxy.pathsuffix ~/ "/files/*.json"', path('/files/a.json'), true],
  ['proxy.pathsuffix ~/ "/files/*.json"', path('/files/x/a.json'), false],
  ['proxy.pathsuffix MatchesPath "/statuses"', path('/Statuses'), false],
  ['proxy.pathsuffix MatchesPath "/statuses"', path('/statuses/'), false],
  // JavaRegex / ~~ : full match, like Java's matches().
  ['x JavaRegex "^/v[0-9]+/.*$"', x('/v1/a'), true],
  ['x ~~ "/v\\d+"', x('/v12'), true],
  ['x ~~ "/v\\\\d+"', x('/v12'), true],
  ['x ~~ "/v\\d+"', x('/v12/x'), false],
  ['x ~~ "abc"', x('xabcx'), false],
  ['x ~~ "(?i)bearer .+"', x('BEARER abc'), true],
  ['x ~~ "bearer .+"', x('BEARER abc'), false],
  ['x ~~ "[\\p{Alpha}]+"', x('abc'), true],
  ['x ~~ "\\p{Alpha}+"', x('ab1'), false],
  ['x ~~ "\\Qa.b\\E"', x('a.b'), true],
  ['x ~~ "\\Qa.b\\E"', x('axb'), false],
  ['x ~~ "(\\d{1,3}\\.){3}\\d{1,3}"', x('10.0.0.1'), true],
  ['x ~~ "\\s+"', x('\u00a0'), false],
  ['response.status.code ~~ "5\\d\\d"', status(503), true],
  // Precedence: NOT > AND > OR; parentheses override.
  ['a OR b AND c', { a: 't' }, true],
  ['a OR b AND c', { b: 't' }, false],
  ['(a OR b) AND c', { a: 't' }, false],
  ['(a OR b) AND c', { a: 't', c: 't' }, true],
  ['NOT a AND b', { a: 'false', b: 't' }, true],
  ['NOT a OR b', { a: 't' }, false],
  ['NOT (a OR b)', { b: 't' }, false],
  ['!a && b || c', { a: 't', b: 't' }, false],
  ['!a && b || c', { a: 't', c: 't' }, true],
  ['a || b && !c', { b: 't' }, true],
  ['a || b && !c', { b: 't', c: 't' }, false],
  ['not not a', { a: 't' }, true],
  ['NOT a = "1"', { a: '1' }, false],
  ['((a = "1"))', { a: '1' }, true],
  ['a = "1" and b = "2" and c = "3" or d = "4"', { d: '4' }, true],
  ['a = "1" and (b = "2" or c = "3")', { a: '1', c: '3' }, true],
  // Layout: no spaces, newlines and tabs.
  ['(a="1")AND(b="2")', { a: '1', b: '2' }, true],
  ['a\n=\t"1"\r\nAND b="2"', { a: '1', b: '2' }, true],
  ['request.verb="POST"', verb('POST'), true],
  // Quoting and escapes.
  ['x = "say \\"hi\\""', x('say "hi"'), true],
  ["x = 'it\\'s'", x("it's"), true],
  ['x = "a\\\\b"', x('a\\b'), true],
  ['x = "a\\b"', x('a\\b'), true],
  ["x = 'say \"hi\"'", x('say "hi"'), true],
  ['x = ""', x(''), true],
  // Variable names with dots, dashes, underscores and digits.
  ['request.header.x-api-key = "k1"', { 'request.header.x-api-key': 'k1' }, true],
  ['request.queryparam.q = "a b"', { 'request.queryparam.q': 'a b' }, true],
  ['my_var.x-y_z.2nd = "v"', { 'my_var.x-y_z.2nd': 'v' }, true],
  ['matches = "m"', { matches: 'm' }, true],
  // The SAP Open Connectors token flow condition.
  [SEED, { 'proxy.pathsuffix': '/OAuthToken', 'request.verb': 'POST' }, true],
  [SEED, { 'proxy.pathsuffix': '/OAuthToken/token', 'request.verb': 'POST' }, true],
  [SEED, { 'proxy.pathsuffix': "/OAuthToken('x')/y", 'request.verb': 'POST' }, true],
  [SEED, { 'proxy.pathsuffix': '/OAuthToken', 'request.verb': 'GET' }, false],
  [SEED, { 'proxy.pathsuffix': '/OAuthTokenX', 'request.verb': 'POST' }, false],
  [SEED, { 'request.verb': 'POST' }, false],
  [SEED, {}, false],
];

describe('condition vectors', () => {
  it('has a broad table', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(80);
  });

  it.each(vectors)('%s with %o is %s', (condition, variables, expected) => {
    expect(compileCondition(condition).evaluate(lookupIn(variables))).toBe(expected);
  });
});

type ErrorVector = [condition: string, position: number, message: string];

const deepParens = '('.repeat(MAX_CONDITION_NESTING + 1) + 'a' + ')'.repeat(MAX_CONDITION_NESTING + 1);

const syntaxErrors: ErrorVector[] = [
  ['', 0, 'Expected a condition but found end of condition'],
  ['   ', 3, 'Expected a condition'],
  ['a =', 3, "Expected an operand (a variable, a quoted string, a number, true, false or null) after '='"],
  ['= "a"', 0, 'Expected an operand'],
  ['(a = "b"', 8, "Expected AND, OR or ')' to close the '(' at position 0 but found end of condition"],
  ['((a) OR (b = "c"', 16, "')' to close the '(' at position 8"],
  ['a = "b")', 7, "Expected AND, OR or end of condition but found ')'"],
  ['a = "b" c', 8, "Expected AND, OR or end of condition but found 'c'"],
  ['a b', 2, "Expected a comparison operator, AND, OR or end of condition but found 'b'"],
  ['(a) = "b"', 4, "Expected AND, OR or end of condition but found '='"],
  ['"abc', 0, 'Unterminated string starting at position 0: expected a closing "'],
  ["a = 'abc", 4, "expected a closing '"],
  ['a = "abc\\"', 4, 'Unterminated string'],
  ['a & b', 2, "Unexpected '&' at position 2: expected '&&'"],
  ['a | b', 2, "expected '||'"],
  ['a : "b"', 2, "expected ':='"],
  ['a # b', 2, 'Unexpected character "#" at position 2'],
  ['a AND', 5, "after 'AND' but found end of condition"],
  ['OR a', 0, "Expected an operand (a variable, a quoted string, a number, true, false or null) but found 'OR'"],
  ['a = = b', 4, "after '=' but found '='"],
  ['a = "b" = "c"', 8, 'Expected AND, OR or end of condition'],
  ['a = and', 4, "after '=' but found 'and'"],
  ['NOT', 3, "after 'NOT'"],
  ['()', 1, "after '(' but found ')'"],
  ['a.', 2, "Malformed variable name 'a.' at position 0"],
  ['a..b = 1', 2, "expected a name part after the '.' at position 1"],
  ['12ab = 1', 0, 'Malformed number at position 0'],
  ['x = 1.2.3', 4, 'Malformed number'],
  ['x MatchesPath y', 14, "Expected a quoted pattern after 'MatchesPath' (patterns must be literals) but found 'y'"],
  ['x ~~ true', 5, "a quoted pattern after '~~'"],
  ['x ~ null', 4, "a quoted pattern after '~'"],
  ['x ~~ "(?=a)(a++)"', 14, "Invalid pattern for '~~' at position 14: possessive quantifiers"],
  ['x ~~ "(?:a{1000}){1000}"', 6, 'too complex'],
  ['x ~~ "a{2}{3}"', 10, "nothing to repeat before '{'"],
  ['x ~~ "(a"', 8, "unclosed group: expected ')'"],
  ['x ~~ "(a)\\1"', 9, 'backreferences'],
  ['x ~~ "(?<n>a)\\k<n>"', 13, 'backreferences'],
  ['x ~~ "(?>a)"', 6, 'atomic groups'],
  ['x ~~ "a*+"', 8, 'possessive quantifiers'],
  ['x ~~ "a(?i)b"', 7, 'inline flags are only supported at the start'],
  ['x ~~ "(?x)a"', 6, "inline flag 'x' is not supported"],
  ['x ~~ "[a[b]]"', 8, 'nested character classes'],
  ['x ~~ "[a&&b]"', 8, 'intersection'],
  ['x ~~ "*a"', 6, 'nothing to repeat'],
  ['x ~~ "a{2,1}"', 7, 'maximum below its minimum'],
  ['x ~~ "\\p{InGreek}"', 6, 'Unicode block'],
  ['x ~~ "\\y"', 6, 'unknown escape \\y'],
  ['x ~~ "\\p{NoSuchScript}"', 6, 'invalid regular expression'],
  [`x ~~ "${'a'.repeat(1001)}"`, 1006, 'longer than 1000 characters'],
  [`x ~/ "${'a'.repeat(1001)}"`, 1006, 'longer than 1000 characters'],
  [`x ~ "${'a'.repeat(1001)}"`, 1005, 'longer than 1000 characters'],
  [deepParens, MAX_CONDITION_NESTING, 'Too deeply nested'],
  ['NOT '.repeat(MAX_CONDITION_NESTING + 1) + 'a', MAX_CONDITION_NESTING * 4, 'Too deeply nested'],
  ['a'.repeat(MAX_CONDITION_LENGTH + 1), MAX_CONDITION_LENGTH, `longer than ${MAX_CONDITION_LENGTH} characters`],
];

describe('condition syntax errors', () => {
  it.each(syntaxErrors)('%j fails at %i', (condition, position, message) => {
    let thrown: unknown;
    try {
      compileCondition(condition);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConditionSyntaxError);
    const error = thrown as ConditionSyntaxError;
    expect(error.name).toBe('ConditionSyntaxError');
    expect(error.condition).toBe(condition);
    expect(error.message).toContain(message);
    expect(error.position).toBe(position);
  });

  it('accepts nesting up to the limit', () => {
    const limit = '('.repeat(MAX_CONDITION_NESTING) + 'a' + ')'.repeat(MAX_CONDITION_NESTING);
    expect(compileCondition(limit).evaluate(lookupIn({ a: 'yes' }))).toBe(true);
  });
});

describe('compiled condition', () => {
  it('keeps its source and lists the variables it reads, once each, in order', () => {
    const source = 'request.verb = "GET" AND (request.header.x-api-key OR request.verb != other) AND NOT null';
    const condition = compileCondition(source);
    expect(condition.source).toBe(source);
    expect(condition.variables).toEqual(['request.verb', 'request.header.x-api-key', 'other']);
    expect(Object.isFrozen(condition.variables)).toBe(true);
  });

  it('lists no variables for a constant condition', () => {
    expect(compileCondition('"a" = "a" AND true').variables).toEqual([]);
  });

  it('short-circuits AND and OR, reading only the variables it needs', () => {
    const read: string[] = [];
    const lookup: VariableLookup = (name) => {
      read.push(name);
      return name === 'a' ? '1' : undefined;
    };
    expect(compileCondition('a = "1" OR b = "2" OR c = "3"').evaluate(lookup)).toBe(true);
    expect(read).toEqual(['a']);
    read.length = 0;
    expect(compileCondition('a = "2" AND b = "2"').evaluate(lookup)).toBe(false);
    expect(read).toEqual(['a']);
  });

  it('is reusable: evaluating one compiled condition against many requests', () => {
    const condition = compileCondition('proxy.pathsuffix MatchesPath "/orders/*" AND request.verb = "GET"');
    const results = ['/orders/1', '/orders', '/orders/2', '/orders/1/items'].map((suffix) =>
      condition.evaluate(lookupIn({ 'proxy.pathsuffix': suffix, 'request.verb': 'GET' })),
    );
    expect(results).toEqual([true, false, true, false]);
  });

  it('evaluates without constructing any RegExp', () => {
    const OriginalRegExp = globalThis.RegExp;
    let constructed = 0;
    const counting = new Proxy(OriginalRegExp, {
      construct(target, args, newTarget) {
        constructed++;
        return Reflect.construct(target, args, newTarget) as object;
      },
      apply(target, thisArg, args) {
        constructed++;
        return Reflect.apply(target, thisArg, args) as unknown;
      },
    });
    globalThis.RegExp = counting;
    try {
      const condition = compileCondition(
        'x ~~ "(?i)[a-z]+\\d*" OR x ~/ "/a/**/b" OR x ~ "*.json" OR x =| "/v1" OR x := "ABC" OR x > 10',
      );
      const compiledWith = constructed;
      const lookups = ['abc12', '/a/x/b', 'f.json', '/v1/x', 'abc', '11', '#', '9'].map((value) => lookupIn({ x: value }));
      const results = lookups.map((lookup) => condition.evaluate(lookup));
      expect(results).toEqual([true, true, true, true, true, true, false, false]);
      expect(compiledWith).toBeGreaterThan(0);
      expect(constructed).toBe(compiledWith);
    } finally {
      globalThis.RegExp = OriginalRegExp;
    }
  });

  it('passes the lookup error through unchanged', () => {
    const failure = new Error('variable store unavailable');
    const condition = compileCondition('a = "1"');
    expect(() =>
      condition.evaluate(() => {
        throw failure;
      }),
    ).toThrow(failure);
  });
});
