// Every pattern that request or tenant data reaches runs in linear time: the
// inputs an assessment used to stall the process (ExtractVariables URIPath
// with lazy groups, an element field `pattern` with nested repetition, a
// JavaRegex lookaround on a large body) answer at once, with Apigee's results.
// How fast is measured in bench/patterns.ts; here the inputs are large enough
// that a backtracking engine would not finish within the test timeout.
import { describe, expect, it } from 'vitest';
import { compileExtractionPattern } from '../../shared/gateway/language/extraction-pattern.js';
import { compileJavaRegex } from '../../shared/gateway/language/java-regex.js';
import { fieldMatches } from '../../shared/connectors/element-schema.js';
import { extractVariables } from '../../shared/gateway/policies/extract-variables.js';
import { exchangeFor, runPolicy } from '../support/policy-context.js';

describe('ExtractVariables URIPath patterns run in linear time', () => {
  it('answers /{a}/{b}/{c}/status against 20,000 slashes without backtracking', async () => {
    const exchange = exchangeFor({ path: '/'.repeat(20_000) });
    await runPolicy(extractVariables, { uriPath: [{ pattern: '/{a}/{b}/{c}/status' }], ignoreUnresolvedVariables: true }, { exchange });
    expect(exchange.get('a')).toBeUndefined();
    const matched = exchangeFor({ path: `${'/'.repeat(20_000)}x/status` });
    await runPolicy(extractVariables, { uriPath: [{ pattern: '/{a}/{b}/{c}/status' }] }, { exchange: matched });
    // Lazy, leftmost: the first two take nothing, the last takes the rest.
    expect([matched.get('a'), matched.get('b')]).toEqual(['', '']);
    expect(matched.get('c')).toBe(`${'/'.repeat(19_997)}x`);
  });

  it('captures as Apigee does: each {var} the shortest text that lets the rest match, * one segment, ** anything', () => {
    const cases: [string, string, Record<string, string> | undefined][] = [
      ['/a/{x}/b/{y}', '/a/1/b/2', { x: '1', y: '2' }],
      ['/a/{x}', '/a/1/2/3', { x: '1/2/3' }],
      ['/{x}/{y}', '/p/q/r', { x: 'p', y: 'q/r' }],
      ['/a/*/{x}', '/a/seg/v', { x: 'v' }],
      ['/a/*/{x}', '/a/s/e/v', { x: 'e/v' }],
      ['/**/{x}', '/a/b/c', { x: 'c' }],
      ['Bearer {t}', 'Bearer abc.def', { t: 'abc.def' }],
      ['{a}-{b}', 'x-y-z', { a: 'x', b: 'y-z' }],
      ['/a/{x}', '/b/1', undefined],
      ['/a/{x}/end', '/a/1/2', undefined],
    ];
    for (const [pattern, value, expected] of cases) {
      const reference = new RegExp(`^${pattern.split(/(\{[^{}]+\}|\*\*|\*)/).map((part) => (part.startsWith('{') ? '(.*?)' : part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')}$`, 's');
      const linear = compileExtractionPattern(pattern, false).match(value);
      expect(linear, `${pattern} on ${value}`).toEqual(expected);
      const backtracking = reference.exec(value);
      expect(backtracking ? Object.fromEntries(linear ? Object.keys(linear).map((name, i) => [name, backtracking[i + 1]]) : []) : undefined).toEqual(expected);
    }
    expect(compileExtractionPattern('/A/{x}', true).match('/a/V')).toEqual({ x: 'V' });
  });
});

describe('an element configuration pattern runs in linear time', () => {
  it('answers ^(a+)+$ against 50,000 a and a b without backtracking', () => {
    expect(fieldMatches('^(a+)+$', `${'a'.repeat(50_000)}b`)).toBe(false);
    expect(fieldMatches('^(a+)+$', 'aaaa')).toBe(true);
    expect(fieldMatches('[a-z]+\\.example', 'my.example.com')).toBe(true); // a search, as RegExp.test is
  });
});

describe('a JavaRegex lookaround runs in linear time or is refused with a reason', () => {
  it('matches a lookahead pattern against a 420 KB body without backtracking', () => {
    const matcher = compileJavaRegex('(?s)(?!.*<script).*admin.*');
    const body = 'x'.repeat(420 * 1024);
    expect(matcher(body)).toBe(false);
    expect(matcher(`${body}admin`)).toBe(true);
    expect(matcher(`<script>${body}admin`)).toBe(false);
    const lookbehind = compileJavaRegex('.*(?<=/v[0-9])/items');
    expect(lookbehind(`${'/v'.repeat(200_000)}1/items`)).toBe(true);
    expect(lookbehind(`${'/v'.repeat(200_000)}x/items`)).toBe(false);
  });

  it('answers lookarounds with nested repetition and ambiguous branches, once refused, in linear time', () => {
    const nested = compileJavaRegex('(?=(a|aa)+b).*');
    expect(nested(`${'a'.repeat(100_000)}c`)).toBe(false);
    expect(nested(`${'a'.repeat(100_000)}b`)).toBe(true);
    const inner = compileJavaRegex('.*(?<=(?<!x)y)z');
    expect([inner('ayz'), inner('xyz')]).toEqual([true, false]);
  });
});
