// A Thompson NFA run by state-set simulation, the matching engine behind the
// condition operators' patterns. Matching is O(value length x states) for any
// pattern: there is no backtracking, so no pattern can make it explode. A
// scanner runs the same program unanchored over the whole value, in either
// direction, and marks every position where a match ends: how lookarounds are
// answered for all positions at once, in linear time too.
// Like RE2, the simulation caches what it computes as a lazy DFA: each set of
// states it meets gets an id and, per ASCII character, the set it leads to, so
// a long value costs one table lookup per character once its sets are known.
// A step whose closure meets assertions depends on their answers at the new
// position: with up to MAX_KEYED_ASSERTIONS assertions in the program, those
// answers are part of the cache key; with more, such a step is not cached.
// The cache is dropped when it outgrows MAX_DFA_SLOTS.
// A program owns its work buffers, so matching allocates nothing (except a
// one-character string when a non-ASCII character meets a character set).
// Matching is synchronous and never re-enters, so sharing the buffers is safe.

/** A compiled pattern: true when the whole value matches. */
export type StringMatcher = (value: string) => boolean;
/** Whether one code point belongs to a character set. */
export type CodePointTest = (code: number) => boolean;
/** A zero-width assertion at `index` (between characters) in `value`. */
export type PositionTest = (value: string, index: number) => boolean;
/**
 * Sets `ends[i]` to 1 for every position i where a match that started at any
 * earlier position ends (forward), or, `backward`, where a match read from
 * right to left from any later position ends.
 */
export type Scanner = (value: string, ends: Uint8Array, backward: boolean) => void;

// State kinds.
const CHAR = 0; // consumes the code point `arg`
const ANY = 1; // consumes any code point
const ANY_BUT_SLASH = 2; // consumes any code point but '/'
const SET = 3; // consumes a code point accepted by sets[arg]
const SPLIT = 4; // no input: continues at `next`, and at `alt` unless it is -1 (then it is a jump)
const ASSERT = 5; // no input: continues at `next` when assertions[arg] holds here
const MATCH = 6;

const SLASH = 0x2f;

/** Cached successor slots per program and mode before the cache starts over. */
const MAX_DFA_SLOTS = 1 << 18;
/** Programs with at most this many assertions key cached steps by their answers. */
const MAX_KEYED_ASSERTIONS = 4;
const UNKNOWN = -1;

/** How the program runs: anchored at the start, or scanning (restarting at every position) either way. */
const ANCHORED = 0;
const SCAN_FORWARD = 1;
const SCAN_BACKWARD = 2;

/** The cached sets of one mode: their states, whether they accept, and their known ASCII successors. */
class DfaCache {
  constructor(private readonly slots: number) {}

  readonly ids = new Map<string, number>();
  readonly lists: Int32Array[] = [];
  readonly accepting: boolean[] = [];
  readonly successors: Int32Array[] = [];
  /** Counts the times the cache started over: an id from before names nothing. */
  epoch = 0;

  intern(list: Int32Array, length: number, accepting: boolean): number {
    const states = list.slice(0, length).sort();
    const key = states.join(',');
    let id = this.ids.get(key);
    if (id === undefined) {
      if ((this.lists.length + 1) * this.slots > MAX_DFA_SLOTS) this.clear();
      id = this.lists.length;
      this.ids.set(key, id);
      this.lists.push(states);
      this.accepting.push(accepting);
      this.successors.push(new Int32Array(this.slots).fill(UNKNOWN));
    }
    return id;
  }

  private clear(): void {
    this.epoch++;
    this.ids.clear();
    this.lists.length = 0;
    this.accepting.length = 0;
    this.successors.length = 0;
  }
}

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
    const program = this.program();
    return (value) => program.run(value);
  }

  buildScanner(): Scanner {
    const program = this.program();
    return (value, ends, backward) => program.scan(value, ends, backward);
  }

  private program(): NfaProgram {
    this.add(MATCH);
    return new NfaProgram(this.kinds, this.args, this.nexts, this.alts, this.sets, this.assertions);
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
  /** Set by `close` when it tested an assertion: the step depends on the position. */
  private tested = false;
  /** Whether cached steps are keyed by the assertions' answers (few assertions) or skip them. */
  private readonly keyed: boolean;
  private readonly caches: DfaCache[];

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
    this.keyed = assertions.length <= MAX_KEYED_ASSERTIONS;
    const slots = this.keyed ? 128 << assertions.length : 128;
    this.caches = [new DfaCache(slots), new DfaCache(slots), new DfaCache(slots)];
  }

  /** The cache slot of a step: the ASCII code and, when keyed, every assertion's answer at `index`. */
  private slot(code: number, value: string, index: number): number {
    if (!this.keyed) return code;
    const assertions = this.assertions;
    let bits = 0;
    for (let k = 0; k < assertions.length; k++) if (assertions[k]!(value, index)) bits |= 1 << k;
    return code | (bits << 7);
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
        this.tested = true;
        if (this.assertions[this.args[s]!]!(value, index)) stack[top++] = next[s]!;
      } else {
        list[length++] = s;
      }
    }
    return length;
  }

  /** Consumes `code` from every state of the current list; the successors (closed at `index`) become the current list. */
  private advance(length: number, code: number, value: string, index: number, restart: boolean): number {
    const { kinds, args, next, sets } = this;
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
      if (accepts) nextLength = this.close(following, nextLength, next[s]!, generation, value, index);
    }
    if (restart) nextLength = this.close(following, nextLength, 0, generation, value, index);
    this.current = following;
    this.following = current;
    return nextLength;
  }

  private matches(length: number): boolean {
    for (let k = 0; k < length; k++) if (this.kinds[this.current[k]!] === MATCH) return true;
    return false;
  }

  run(value: string): boolean {
    return this.simulate(value, ANCHORED, undefined);
  }

  scan(value: string, ends: Uint8Array, backward: boolean): void {
    this.simulate(value, backward ? SCAN_BACKWARD : SCAN_FORWARD, ends);
  }

  /**
   * Runs the program over `value`: anchored (true when the whole value
   * matches), or scanning and marking every position where a match ends.
   * `state` is the current set's id in the cache, or UNKNOWN while the
   * current set is only in `this.current`.
   */
  private simulate(value: string, mode: number, ends: Uint8Array | undefined): boolean {
    const cache = this.caches[mode]!;
    const backward = mode === SCAN_BACKWARD;
    const restart = mode !== ANCHORED;
    let index = backward ? value.length : 0;
    this.tested = false;
    let length = this.close(this.current, 0, 0, this.nextGeneration(), value, index);
    let state = cache.intern(this.current, length, this.matches(length));
    for (;;) {
      if (ends && (state === UNKNOWN ? this.matches(length) : cache.accepting[state])) ends[index] = 1;
      if (backward ? index === 0 : index >= value.length) break;
      if (!restart && (state === UNKNOWN ? length : cache.lists[state]!.length) === 0) return false;
      const unit = value.charCodeAt(backward ? index - 1 : index);
      const code = unit < 0xd800 || unit > 0xdfff ? unit : backward ? codePointBefore(value, index) : value.codePointAt(index)!;
      index += (backward ? -1 : 1) * (code > 0xffff ? 2 : 1);
      const slot = code >= 128 ? -1 : this.assertions.length === 0 ? code : this.slot(code, value, index);
      if (state !== UNKNOWN && slot >= 0) {
        const known = cache.successors[state]![slot]!;
        if (known !== UNKNOWN) {
          state = known;
          continue;
        }
      }
      if (state !== UNKNOWN) {
        const list = cache.lists[state]!;
        this.current.set(list);
        length = list.length;
      }
      this.tested = false;
      length = this.advance(length, code, value, index, restart);
      const from = state;
      state = UNKNOWN;
      if (slot >= 0 && (this.keyed || !this.tested)) {
        const epoch = cache.epoch;
        state = cache.intern(this.current, length, this.matches(length));
        if (from !== UNKNOWN && cache.epoch === epoch) cache.successors[from]![slot] = state;
      }
    }
    return state === UNKNOWN ? this.matches(length) : cache.accepting[state]!;
  }
}

/** The code point that ends at `index` (a lone surrogate stands for itself). */
export function codePointBefore(value: string, index: number): number {
  const low = value.charCodeAt(index - 1);
  if (low >= 0xdc00 && low <= 0xdfff && index >= 2) {
    const high = value.charCodeAt(index - 2);
    if (high >= 0xd800 && high <= 0xdbff) return (high - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
  }
  return low;
}
