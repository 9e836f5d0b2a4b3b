// A Thompson NFA run by state-set simulation, the matching engine behind the
// condition operators' patterns. Matching is O(value length x states) for any
// pattern: there is no backtracking, so no pattern can make it explode.
// A program owns its work buffers, so matching allocates nothing (except a
// one-character string when a non-ASCII character meets a character set).
// Matching is synchronous and never re-enters, so sharing the buffers is safe.

/** A compiled pattern: true when the whole value matches. */
export type StringMatcher = (value: string) => boolean;
/** Whether one code point belongs to a character set. */
export type CodePointTest = (code: number) => boolean;
/** A zero-width assertion at `index` (between characters) in `value`. */
export type PositionTest = (value: string, index: number) => boolean;

// State kinds.
const CHAR = 0; // consumes the code point `arg`
const ANY = 1; // consumes any code point
const ANY_BUT_SLASH = 2; // consumes any code point but '/'
const SET = 3; // consumes a code point accepted by sets[arg]
const SPLIT = 4; // no input: continues at `next`, and at `alt` unless it is -1 (then it is a jump)
const ASSERT = 5; // no input: continues at `next` when assertions[arg] holds here
const MATCH = 6;

const SLASH = 0x2f;

export class NfaBuilder {
  private readonly kinds: number[] = [];
  private readonly args: number[] = [];
  private readonly nexts: number[] = [];
  private readonly alts: number[] = [];
  private readonly sets: CodePointTest[] = [];
  private readonly assertions: PositionTest[] = [];

  /** The index the next added state will get. */
  get size(): number {
    return this.kinds.length;
  }

  /** Adds a state whose successor defaults to the state added after it. */
  private add(kind: number, arg = 0): number {
    const index = this.kinds.length;
    this.kinds.push(kind);
    this.args.push(arg);
    this.nexts.push(index + 1);
    this.alts.push(-1);
    return index;
  }

  char(code: number): number {
    return this.add(CHAR, code);
  }

  any(): number {
    return this.add(ANY);
  }

  anyButSlash(): number {
    return this.add(ANY_BUT_SLASH);
  }

  set(test: CodePointTest): number {
    this.sets.push(test);
    return this.add(SET, this.sets.length - 1);
  }

  assertion(test: PositionTest): number {
    this.assertions.push(test);
    return this.add(ASSERT, this.assertions.length - 1);
  }

  /** A fork (after setAlt) or, left alone, a jump to `next`. */
  split(): number {
    return this.add(SPLIT);
  }

  setNext(state: number, target: number): void {
    this.nexts[state] = target;
  }

  setAlt(state: number, target: number): void {
    this.alts[state] = target;
  }

  build(): StringMatcher {
    this.add(MATCH);
    const program = new NfaProgram(this.kinds, this.args, this.nexts, this.alts, this.sets, this.assertions);
    return (value) => program.run(value);
  }
}

class NfaProgram {
  private readonly kinds: Uint8Array;
  private readonly args: Int32Array;
  private readonly next: Int32Array;
  private readonly alt: Int32Array;
  private current: Int32Array;
  private following: Int32Array;
  private readonly stack: Int32Array;
  private readonly marks: Uint32Array;
  private generation = 0;

  constructor(
    kinds: number[],
    args: number[],
    next: number[],
    alt: number[],
    private readonly sets: CodePointTest[],
    private readonly assertions: PositionTest[],
  ) {
    const size = kinds.length;
    this.kinds = Uint8Array.from(kinds);
    this.args = Int32Array.from(args);
    this.next = Int32Array.from(next);
    this.alt = Int32Array.from(alt);
    this.current = new Int32Array(size);
    this.following = new Int32Array(size);
    // Every push comes from the initial state or from a first visit of a SPLIT (two) or ASSERT (one).
    this.stack = new Int32Array(size * 2 + 1);
    this.marks = new Uint32Array(size);
  }

  private nextGeneration(): number {
    if (this.generation === 0xffffffff) {
      this.marks.fill(0);
      this.generation = 0;
    }
    return ++this.generation;
  }

  /** Adds `state` and the consuming states reachable from it without input at `index` to `list`. */
  private close(list: Int32Array, length: number, state: number, generation: number, value: string, index: number): number {
    const { stack, marks, kinds, next, alt } = this;
    let top = 0;
    stack[top++] = state;
    while (top > 0) {
      const s = stack[--top]!;
      if (marks[s] === generation) continue;
      marks[s] = generation;
      const kind = kinds[s];
      if (kind === SPLIT) {
        if (alt[s]! >= 0) stack[top++] = alt[s]!;
        stack[top++] = next[s]!;
      } else if (kind === ASSERT) {
        if (this.assertions[this.args[s]!]!(value, index)) stack[top++] = next[s]!;
      } else {
        list[length++] = s;
      }
    }
    return length;
  }

  run(value: string): boolean {
    const { kinds, args, next, sets } = this;
    let length = this.close(this.current, 0, 0, this.nextGeneration(), value, 0);
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
        const accepts =
          kind === ANY ||
          (kind === CHAR && args[s] === code) ||
          (kind === ANY_BUT_SLASH && code !== SLASH) ||
          (kind === SET && sets[args[s]!]!(code));
        if (accepts) nextLength = this.close(following, nextLength, next[s]!, generation, value, i);
      }
      this.current = following;
      this.following = current;
      length = nextLength;
    }
    for (let k = 0; k < length; k++) if (kinds[this.current[k]!] === MATCH) return true;
    return false;
  }
}
