import { describe, expect, it } from 'vitest';
import {
  compilePathPattern,
  compileWildcardPattern,
  MAX_PATTERN_LENGTH,
  PatternSyntaxError,
} from '../../shared/gateway/language/condition-patterns.js';
import { compileJavaRegex, translateJavaRegex } from '../../shared/gateway/language/java-regex.js';

type MatchVector = [pattern: string, value: string, expected: boolean];

const pathVectors: MatchVector[] = [
  ['/a', '/a', true],
  ['/a', '/a/', false],
  ['/**', '/', true],
  ['/**', '/a/b', true],
  ['/**', '', false],
  ['**', '', true],
  ['**', 'any/thing/at/all', true],
  ['**/x', 'x', true],
  ['**/x', '/x', true],
  ['**/x', 'a/b/x', true],
  ['**/x', 'a/xy', false],
  ['/a/**/b/**/c', '/a/b/c', true],
  ['/a/**/b/**/c', '/a/1/b/2/3/c', true],
  ['/a/**/b/**/c', '/a/1/c', false],
  ['/a/***', '/a/b/c', true],
  ['/a*', '/a', true],
  ['/a*', '/abc', true],
  ['/a*', '/a/b', false],
  ['/*', '/', false],
  ['/*', '/x', true],
  ['/*/*', '/x/y', true],
  ['/*/*', '/x//', false],
  ['/v?/*', '/v2/items', true],
  ['/v?/*', '/v/items', false],
  ['/x?', '/x/', false],
  ['/é/*', '/é/ü', true],
  ['/😀?', '/😀x', true],
  ['/?', '/😀', true],
  ['/OAuthToken(**', "/OAuthToken('id')/sub", true],
  ['/OAuthToken(**', '/OAuthToken', false],
];

const wildcardVectors: MatchVector[] = [
  ['*', '', true],
  ['*', 'a/b/c', true],
  ['a*b*c', 'aXbYc', true],
  ['a*b*c', 'acb', false],
  ['a**c', 'abc', true],
  ['??', '😀😀', true],
  ['?', '', false],
  ['exact', 'exact', true],
  ['exact', 'Exact', false],
  ['*end', 'the end', true],
  ['start*', 'starting', true],
  ['start*', 'restart', false],
];

describe('path patterns (MatchesPath)', () => {
  it.each(pathVectors)('%s ~/ %j is %s', (pattern, value, expected) => {
    expect(compilePathPattern(pattern)(value)).toBe(expected);
  });

  it('stays linear on patterns that make backtracking engines explode', () => {
    const value = '/a'.repeat(5000);
    expect(compilePathPattern('/**/**/**/**/**/**/**/x')(value)).toBe(false);
    expect(compilePathPattern('/**/**/**/**/**/**/**/a')(value)).toBe(true);
  });
});

describe('wildcard patterns (Matches)', () => {
  it.each(wildcardVectors)('%s ~ %j is %s', (pattern, value, expected) => {
    expect(compileWildcardPattern(pattern)(value)).toBe(expected);
  });

  it('stays linear on many stars against a long near-miss', () => {
    const value = 'a'.repeat(20_000);
    expect(compileWildcardPattern('*a*a*a*a*a*a*a*a*a*a*a*a*b')(value)).toBe(false);
    expect(compileWildcardPattern('*a*a*a*a*a*a*a*a*a*a*a*a*a')(value)).toBe(true);
  });

  it('caps the pattern length', () => {
    expect(compileWildcardPattern('a'.repeat(MAX_PATTERN_LENGTH))('a'.repeat(MAX_PATTERN_LENGTH))).toBe(true);
    expect(() => compileWildcardPattern('a'.repeat(MAX_PATTERN_LENGTH + 1))).toThrow(PatternSyntaxError);
    expect(() => compilePathPattern('/'.repeat(MAX_PATTERN_LENGTH + 1))).toThrow(PatternSyntaxError);
  });
});

const regexVectors: MatchVector[] = [
  ['\\A\\d+\\z', '123', true],
  ['abc\\Z', 'abc', true],
  ['abc\\Z\\n', 'abc\n', true],
  ['\\h+', ' \t\u00a0', true],
  ['\\H', ' ', false],
  ['\\v', '\u2028', true],
  ['\\R', '\r\n', true],
  ['\\e\\a', '\x1b\x07', true],
  ['\\x{1F600}', '😀', true],
  ['\\x41\\u0042\\0103', 'ABC', true],
  ['\\cA', '\x01', true],
  ['\\p{Lu}+', 'ÀB', true],
  ['\\p{Lu}+', 'Àb', false],
  ['\\p{IsLatin}+', 'abc', true],
  ['\\p{IsAlphabetic}', 'é', true],
  ['\\p{script=Greek}', 'λ', true],
  ['\\p{gc=Nd}+', '42', true],
  ['\\pL\\PL', 'x1', true],
  ['[\\P{Digit}]+', 'ab', true],
  ['[\\P{Digit}]+', 'a1', false],
  ['\\P{Alpha}', '1', true],
  ['\\p{Punct}+', '!?.', true],
  ['\\s', '\u00a0', false],
  ['\\S', '\u00a0', true],
  ['[\\S]', '\u00a0', true],
  ['[\\s]', '\u00a0', false],
  ['.', '\n', false],
  ['(?s).', '\n', true],
  ['(?m)a$\\nb', 'a\nb', true],
  ['(?i)abc', 'ABC', true],
  ['(?iu)(?s)a.c', 'A\nC', true],
  ['\\Qa+b\\E+', 'a+bbb', true],
  ['\\Q(x)', '(x)', true],
  ['\\.\\-\\/\\#\\ \\"', '.-/# "', true],
  [']}', ']}', true],
  ['[]a]+', ']a', true],
  ['[a-]+', 'a-', true],
  ['[\\-\\]\\\\]+', '-]\\', true],
  ['(?<year>\\d{4})-(?<month>\\d{2})', '2024-01', true],
  ['a(?<=a)b', 'ab', true],
  ['(?!x).*', 'abc', true],
  ['(?!x).*', 'xbc', false],
  ['(\\d+\\.){3}\\d+', '1.22.333.4', true],
  ['(?:a|b)*', 'abab', true],
  ['(GET|POST|PUT)*', 'GETPUTPOST', true],
  ['(foo|bar|)+', 'foobar', true],
  ['(a|aa){3}', 'aaaa', true],
  ['(?=a)(a|b)*', 'ab', true],
  ['(?=a)(GET|POST|PUT)*|x', 'x', true],
  ['(?!.*admin).*', '/v1/users', true],
  ['(?!.*admin).*', '/v1/admin/users', false],
  ['.*(?<!\\.json)', 'a.xml', true],
  ['.*(?<!\\.json)', 'a.json', false],
  ['(?=1)(\\d+\\.){2}', '1.22.', true],
  ['(a+)+b', 'aaab', true],
  ['(?:/[^/]+)*', '/a/bc/d', true],
  ['(?:/[^/]+)*', '/a//d', false],
  ['(a|aa)*', 'aaaaa', true],
  ['(?:a{0,3}){2}', 'aaaaaa', true],
  ['(?:a{0,3}){2}', 'aaaaaaa', false],
  ['\\bfoo\\b.*', 'foo bar', true],
  ['.*\\bfoo', 'xfoo', false],
  ['.*\\Bfoo', 'xfoo', true],
  ['é\\b', 'é', true],
  ['(?i)é', 'É', true],
  ['(?i)[a-c]+x', 'ABCX', true],
  ['(?m)^a$', 'a', true],
  ['(?m)a$\\r\\n^b', 'a\r\nb', true],
  ['a$\\n', 'a\n', true],
  ['a$.', 'ab', false],
  ['a|b|', '', true],
  ['()', '', true],
  ['(?:)*a', 'a', true],
  ['x{2,}', 'xxx', true],
  ['x{2}', 'xxx', false],
  ['a+?b', 'aab', true],
  ['a\\bb', 'ab', false],
  ['\\d+\\E', '12', true],
];

type RejectVector = [pattern: string, offset: number, message: string];

const regexRejections: RejectVector[] = [
  [`(?:a{100}){100}`, 0, 'too complex'],
  ['a++', 2, 'possessive'],
  ['a?+', 2, 'possessive'],
  ['(?>a)', 0, 'atomic'],
  ['(a)\\1', 3, 'backreferences'],
  ['\\G', 0, '\\G'],
  ['\\p{javaLowerCase}', 0, 'java.lang.Character'],
  ['\\p{block=Greek}', 0, 'block'],
  ['(?-i)a', 0, "inline flag '-'"],
  ['(?<1a>x)', 0, 'malformed group name'],
  ['\\x{110000}', 0, 'above U+10FFFF'],
  ['\\xZZ', 0, 'malformed \\x'],
  ['\\u12', 0, 'malformed \\u'],
  ['\\0', 0, 'malformed octal'],
  ['\\c', 0, 'malformed \\c'],
  ['a\\', 1, 'lone backslash'],
  ['[a', 0, 'unclosed character class'],
  [')', 0, "unmatched ')'"],
  ['[\\b]', 1, 'inside a character class'],
  ['[\\A]', 1, 'inside a character class'],
  ['x{,2}', 1, 'malformed repetition'],
  ['a**', 2, 'nothing to repeat'],
  ['\\p{Nope!}', 0, 'unknown property'],
  ['\\p{IsConstructor}', 0, 'invalid regular expression'],
];

describe('JavaRegex translation', () => {
  it('runs patterns that explode in backtracking engines in linear time', () => {
    const near = 'a'.repeat(5000) + '!';
    expect(compileJavaRegex('(a+)+b')(near)).toBe(false);
    expect(compileJavaRegex('(a|aa)*b')(near)).toBe(false);
    expect(compileJavaRegex('\\w{0,10}a*a*a+a*')(near)).toBe(false);
    expect(compileJavaRegex('(.*a){12}')(near)).toBe(false);
    expect(compileJavaRegex('(.*a){12}')(near.slice(0, -1))).toBe(true);
  });

  // Once refused (a backtracking engine explodes on them), now answered on the NFA, lookarounds included.
  const formerlyRefused = ['(?=a)(a+)+', '(?!b)(a{1,20}){2,}', '((a+)b)*(?<=b)', '(?=.)(\\w*\\s?)*', '(?=a)(a|aa)*', '(?=a)(?:\\w|\\d)+', '(?=x)(x|y|xy){5}', '(?i)(?=g)(get|GETS)+', '(?=a)(ab|a)*', '(?=a)(a?b|c)*', '(?=a)(a?b)*', '(?=a).*a.*b.*', '(?!x)(?:a.?){3}', '.*(?=(a|aa)+b).*', '.*(?<=(a|aa)+b).*'];
  it.each(formerlyRefused)('answers %s as the RegExp does, and in linear time on long values', (pattern) => {
    const { source, flags } = translateJavaRegex(pattern);
    const reference = new RegExp(`^(?:${source})$`, `${flags}u`);
    for (const value of ['', 'a', 'ab', 'aab', 'ba', 'abab', 'xy', 'xyxy', 'GET', 'getgets', 'a b', 'aaab', 'aabab', 'c', 'acb']) {
      expect(compileJavaRegex(pattern)(value), JSON.stringify(value)).toBe(reference.test(value));
    }
    compileJavaRegex(pattern)(`${'a'.repeat(50_000)}!`);
  });

  it.each(regexVectors)('%s matches %j: %s', (pattern, value, expected) => {
    expect(compileJavaRegex(pattern)(value)).toBe(expected);
  });

  it.each(regexRejections)('refuses %s at offset %i', (pattern, offset, message) => {
    let thrown: unknown;
    try {
      compileJavaRegex(pattern);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PatternSyntaxError);
    expect((thrown as PatternSyntaxError).message).toContain(message);
    expect((thrown as PatternSyntaxError).offset).toBe(offset);
  });

  it('turns leading inline flags into RegExp flags and keeps Java whitespace ASCII', () => {
    expect(translateJavaRegex('(?is)a\\s')).toEqual({ source: 'a[\\u{9}-\\u{d}\\u{20}]', flags: 'is' });
  });

  it('matches the whole value, also under the multiline flag', () => {
    const matcher = compileJavaRegex('(?m)^a$');
    expect(matcher('a')).toBe(true);
    expect(matcher('a\nb')).toBe(false);
    expect(matcher('b\na')).toBe(false);
  });

  it('reuses one RegExp across calls without leaking lastIndex state', () => {
    const matcher = compileJavaRegex('ab');
    expect([matcher('ab'), matcher('ab'), matcher('xab'), matcher('ab')]).toEqual([true, true, false, true]);
  });

  it('caps the pattern length', () => {
    expect(compileJavaRegex('a'.repeat(MAX_PATTERN_LENGTH))('a'.repeat(MAX_PATTERN_LENGTH))).toBe(true);
    expect(() => compileJavaRegex('a'.repeat(MAX_PATTERN_LENGTH + 1))).toThrow(/longer than 1000 characters/);
  });
});
