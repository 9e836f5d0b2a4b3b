// Wildcard and path patterns of the Apigee condition language (`Matches`,
// `MatchesPath`). They are compiled into a small Thompson NFA and run by
// simulation, not turned into a RegExp: a backtracking engine on `*a*a*a*b`
// is polynomial in the value length with the number of stars as exponent, the
// simulation is linear in (value length x pattern length) whatever the pattern.
// Each compiled matcher owns its work buffers, so matching allocates nothing.

/** Thrown for a pattern that cannot be compiled; `offset` is inside the pattern. */
export class PatternSyntaxError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'PatternSyntaxError';
    this.offset = offset;
  }
}

/** A compiled pattern: true when the whole value matches. */
export type StringMatcher = (value: string) => boolean;

/** Longest pattern accepted by any condition operator. */
export const MAX_PATTERN_LENGTH = 1000;

const SLASH = 0x2f;
const STAR = 0x2a;
const QUESTION = 0x3f;

// NFA state kinds.
const CHAR = 0; // consumes exactly `code`
const ANY = 1; // consumes any one character
const ANY_BUT_SLASH = 2; // consumes any one character except '/'
const SPLIT = 3; // no input: continues at `next` and at `alt`
const MATCH = 4;

class ProgramBuilder {
  readonly kinds: number[] = [];
  readonly codes: number[] = [];
  readonly next: number[] = [];
  readonly alt: number[] = [];

  get size(): number {
    return this.kinds.length;
  }

  /** Adds a state whose successor defaults to the state added after it. */
  add(kind: number, code = 0): number {
    const index = this.kinds.length;
    this.kinds.push(kind);
    this.codes.push(code);
    this.next.push(index + 1);
    this.alt.push(-1);
    return index;
  }

  char(code: number): void {
    this.add(CHAR, code);
  }

  one(kind: typeof ANY | typeof ANY_BUT_SLASH): void {
    this.add(kind);
  }

  /** Zero or more characters of `kind`. */
  loop(kind: typeof ANY | typeof ANY_BUT_SLASH): void {
    const split = this.add(SPLIT);
    const step = this.add(kind);
    this.next[step] = split;
    this.alt[split] = step + 1;
  }

  /** Zero or more path segments, each followed by '/': `(?:[^/]*\/)*`. */
  directories(): void {
    const outer = this.add(SPLIT);
    const inner = this.add(SPLIT);
    const step = this.add(ANY_BUT_SLASH);
    const slash = this.add(CHAR, SLASH);
    const exit = slash + 1;
    this.alt[outer] = exit;
    this.next[inner] = step;
    this.alt[inner] = slash;
    this.next[step] = inner;
    this.next[slash] = outer;
  }

  build(): StringMatcher {
    this.add(MATCH);
    return new GlobProgram(this).matcher();
  }
}

class GlobProgram {
  private readonly kinds: Uint8Array;
  private readonly codes: Int32Array;
  private readonly next: Int32Array;
  private readonly alt: Int32Array;
  private current: Int32Array;
  private following: Int32Array;
  private readonly stack: Int32Array;
  private readonly marks: Uint32Array;
  private generation = 0;

  constructor(builder: ProgramBuilder) {
    const size = builder.size;
    this.kinds = Uint8Array.from(builder.kinds);
    this.codes = Int32Array.from(builder.codes);
    this.next = Int32Array.from(builder.next);
    this.alt = Int32Array.from(builder.alt);
    this.current = new Int32Array(size);
    this.following = new Int32Array(size);
    // Each state is pushed at most twice per closure (once per incoming edge kind).
    this.stack = new Int32Array(size * 2 + 2);
    this.marks = new Uint32Array(size);
  }

  matcher(): StringMatcher {
    return (value) => this.run(value);
  }

  private nextGeneration(): number {
    if (this.generation === 0xffffffff) {
      this.marks.fill(0);
      this.generation = 0;
    }
    return ++this.generation;
  }

  /** Adds `state` and everything reachable from it without input to `list`. */
  private close(list: Int32Array, length: number, state: number, generation: number): number {
    const { stack, marks, kinds, next, alt } = this;
    let top = 0;
    stack[top++] = state;
    while (top > 0) {
      const s = stack[--top]!;
      if (marks[s] === generation) continue;
      marks[s] = generation;
      if (kinds[s] === SPLIT) {
        stack[top++] = alt[s]!;
        stack[top++] = next[s]!;
      } else {
        list[length++] = s;
      }
    }
    return length;
  }

  private run(value: string): boolean {
    const { kinds, codes, next } = this;
    let length = this.close(this.current, 0, 0, this.nextGeneration());
    for (let i = 0; i < value.length && length > 0; ) {
      const code = value.codePointAt(i)!;
      i += code > 0xffff ? 2 : 1;
      const generation = this.nextGeneration();
      const current = this.current;
      const following = this.following;
      let nextLength = 0;
      for (let k = 0; k < length; k++) {
        const s = current[k]!;
        const kind = kinds[s];
        if (kind === ANY || (kind === ANY_BUT_SLASH && code !== SLASH) || (kind === CHAR && codes[s] === code)) {
          nextLength = this.close(following, nextLength, next[s]!, generation);
        }
      }
      this.current = following;
      this.following = current;
      length = nextLength;
    }
    for (let k = 0; k < length; k++) if (kinds[this.current[k]!] === MATCH) return true;
    return false;
  }
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

/**
 * `Matches` / `Like` / `~`: `*` is any run of characters (also empty), `?` is
 * exactly one character, everything else is literal; the whole value must match.
 */
export function compileWildcardPattern(pattern: string): StringMatcher {
  checkLength(pattern);
  if (!pattern.includes('*') && !pattern.includes('?')) return literalMatcher(pattern);
  const program = new ProgramBuilder();
  for (let i = 0; i < pattern.length; ) {
    const code = pattern.codePointAt(i)!;
    if (code === STAR) {
      program.loop(ANY);
      while (pattern.charCodeAt(i) === STAR) i++;
      continue;
    }
    if (code === QUESTION) program.one(ANY);
    else program.char(code);
    i += code > 0xffff ? 2 : 1;
  }
  return program.build();
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
  const program = new ProgramBuilder();
  for (let i = 0; i < pattern.length; ) {
    const code = pattern.codePointAt(i)!;
    if (code === STAR) {
      let end = i;
      while (pattern.charCodeAt(end) === STAR) end++;
      const segmentStart = i === 0 || pattern.charCodeAt(i - 1) === SLASH;
      const segmentEnd = end === pattern.length || pattern.charCodeAt(end) === SLASH;
      if (end - i >= 2) {
        if (segmentStart && pattern.charCodeAt(end) === SLASH) {
          program.directories();
          end++; // the directories loop consumed the '/' after `**`
        } else {
          program.loop(ANY);
        }
      } else if (segmentStart && segmentEnd) {
        program.one(ANY_BUT_SLASH);
        program.loop(ANY_BUT_SLASH);
      } else {
        program.loop(ANY_BUT_SLASH);
      }
      i = end;
      continue;
    }
    if (code === QUESTION) program.one(ANY_BUT_SLASH);
    else program.char(code);
    i += code > 0xffff ? 2 : 1;
  }
  return program.build();
}
