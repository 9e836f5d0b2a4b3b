// Wildcard and path patterns of the Apigee condition language (`Matches`,
// `MatchesPath`). They are compiled into an NFA (see nfa.ts), not turned into
// a RegExp: a backtracking engine on `*a*a*a*b` is polynomial in the value
// length with the number of stars as exponent, the NFA is linear.
import { NfaBuilder, type StringMatcher } from './nfa.js';

export type { StringMatcher } from './nfa.js';

/** Thrown for a pattern that cannot be compiled; `offset` is inside the pattern. */
export class PatternSyntaxError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'PatternSyntaxError';
    this.offset = offset;
  }
}

/** Longest pattern accepted by any condition operator. */
export const MAX_PATTERN_LENGTH = 1000;

const SLASH = 0x2f;
const STAR = 0x2a;
const QUESTION = 0x3f;

/** Zero or more characters (any, or any but '/'). */
function loop(program: NfaBuilder, exceptSlash: boolean): void {
  const split = program.split();
  const step = exceptSlash ? program.anyButSlash() : program.any();
  program.setNext(step, split);
  program.setAlt(split, step + 1);
}

/** Zero or more path segments, each followed by '/': `(?:[^/]*\/)*`. */
function directories(program: NfaBuilder): void {
  const outer = program.split();
  const inner = program.split();
  const step = program.anyButSlash();
  const slash = program.char(SLASH);
  program.setAlt(outer, slash + 1);
  program.setNext(inner, step);
  program.setAlt(inner, slash);
  program.setNext(step, inner);
  program.setNext(slash, outer);
}

function checkLength(pattern: string): void {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new PatternSyntaxError(`pattern is longer than ${MAX_PATTERN_LENGTH} characters`, MAX_PATTERN_LENGTH);
  }
}

/** A pattern without wildcards is a plain comparison. */
function literalMatcher(pattern: string): StringMatcher {
  return (value) => value === pattern;
}

/** Length in UTF-16 units of the code point at `index`. */
function width(value: string, index: number): number {
  const code = value.charCodeAt(index);
  if (code >= 0xd800 && code <= 0xdbff) {
    const low = value.charCodeAt(index + 1);
    if (low >= 0xdc00 && low <= 0xdfff) return 2;
  }
  return 1;
}

/**
 * `Matches` / `Like` / `~`: `*` is any run of characters (also empty), `?` is
 * exactly one character, everything else is literal; the whole value must match.
 * Only `*` and `?` exist, so the classic two-pointer match is enough: on a
 * mismatch only the last `*` needs to take one more character. Worst case
 * O(value x pattern), no allocation.
 */
export function compileWildcardPattern(pattern: string): StringMatcher {
  checkLength(pattern);
  if (!pattern.includes('*') && !pattern.includes('?')) return literalMatcher(pattern);
  return (value) => {
    let p = 0;
    let v = 0;
    let starP = -1; // pattern index after the last '*' seen
    let starV = 0; // value index that '*' currently extends to
    while (v < value.length) {
      if (p < pattern.length) {
        const code = pattern.charCodeAt(p);
        if (code === STAR) {
          starP = ++p;
          starV = v;
          continue;
        }
        if (code === QUESTION) {
          v += width(value, v);
          p++;
          continue;
        }
        if (code === value.charCodeAt(v)) {
          p++;
          v++;
          continue;
        }
      }
      if (starP < 0) return false;
      starV += width(value, starV);
      v = starV;
      p = starP;
    }
    while (pattern.charCodeAt(p) === STAR) p++;
    return p === pattern.length;
  };
}

/**
 * `MatchesPath` / `LikePath` / `~/`, matched against the whole value:
 * - `*` standing for a whole segment matches exactly one non-empty segment;
 *   inside a segment (`/v1*`) it matches any characters but '/'.
 * - `**` standing for a whole segment and followed by '/' (`/a/**\/b`) matches
 *   zero or more whole segments; anywhere else (`/a/**`, `/a(**`) it matches
 *   any characters including '/'. So `/a/**` needs the slash after `/a`.
 * - `?` matches one character other than '/'.
 */
export function compilePathPattern(pattern: string): StringMatcher {
  checkLength(pattern);
  if (!pattern.includes('*') && !pattern.includes('?')) return literalMatcher(pattern);
  const program = new NfaBuilder();
  for (let i = 0; i < pattern.length; ) {
    const code = pattern.codePointAt(i)!;
    if (code === STAR) {
      let end = i;
      while (pattern.charCodeAt(end) === STAR) end++;
      const segmentStart = i === 0 || pattern.charCodeAt(i - 1) === SLASH;
      const segmentEnd = end === pattern.length || pattern.charCodeAt(end) === SLASH;
      if (end - i >= 2) {
        if (segmentStart && pattern.charCodeAt(end) === SLASH) {
          directories(program);
          end++; // the directories loop consumed the '/' after `**`
        } else {
          loop(program, false);
        }
      } else if (segmentStart && segmentEnd) {
        program.anyButSlash();
        loop(program, true);
      } else {
        loop(program, true);
      }
      i = end;
      continue;
    }
    if (code === QUESTION) program.anyButSlash();
    else program.char(code);
    i += code > 0xffff ? 2 : 1;
  }
  return program.build();
}
