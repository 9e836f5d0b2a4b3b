// Apigee extraction patterns (ExtractVariables `<Pattern>`): literal text,
// `{name}` capturing any text (the shortest that lets the rest match, as
// Apigee's lazy groups do), `*` one path segment's characters and `**` any
// text (both as long as the rest allows). Matched without backtracking: a
// right-to-left pass marks, for each piece of the pattern and each position,
// whether the rest of the pattern can match from there; a left-to-right pass
// then gives every wildcard its preferred length among those that work. That
// is the answer a backtracking engine finds, in O(value x pattern) time
// instead of O(value^groups).

/** The captured values by name, or undefined when the value does not match. */
export interface ExtractionPattern {
  readonly names: readonly string[];
  match(value: string): Record<string, string> | undefined;
}

type Piece = { kind: 'literal'; text: string } | { kind: 'capture'; name: string } | { kind: 'segment' } | { kind: 'any' };

/** Most wildcards one pattern may have (each keeps one byte per value character while matching). */
export const MAX_EXTRACTION_WILDCARDS = 64;

const SLASH = 0x2f;

function parse(pattern: string): Piece[] {
  const pieces: Piece[] = [];
  for (const part of pattern.split(/(\{[^{}]+\}|\*\*|\*)/)) {
    if (!part) continue;
    if (part.startsWith('{')) pieces.push({ kind: 'capture', name: part.slice(1, -1) });
    else if (part === '**') pieces.push({ kind: 'any' });
    else if (part === '*') pieces.push({ kind: 'segment' });
    else pieces.push({ kind: 'literal', text: part });
  }
  return pieces;
}

export function compileExtractionPattern(pattern: string, ignoreCase: boolean): ExtractionPattern {
  const pieces = parse(pattern).map((piece) => (ignoreCase && piece.kind === 'literal' ? { ...piece, text: piece.text.toLowerCase() } : piece));
  const wildcards = pieces.filter((piece) => piece.kind !== 'literal').length;
  if (wildcards > MAX_EXTRACTION_WILDCARDS) throw new Error(`pattern has more than ${MAX_EXTRACTION_WILDCARDS} wildcards`);
  const names = pieces.flatMap((piece) => (piece.kind === 'capture' ? [piece.name] : []));

  return {
    names,
    match(original) {
      const lowered = ignoreCase ? original.toLowerCase() : original;
      // Case folding that changes the length (rare) falls back to comparing piece by piece.
      const value = lowered.length === original.length ? lowered : original;
      const literalAt = (text: string, at: number) =>
        value === original && ignoreCase ? original.slice(at, at + text.length).toLowerCase() === text : value.startsWith(text, at);
      const n = value.length;
      // rest[k][i]: pieces k.. match value[i..].
      const rest: Uint8Array[] = new Array<Uint8Array>(pieces.length + 1);
      rest[pieces.length] = new Uint8Array(n + 1);
      rest[pieces.length]![n] = 1;
      for (let k = pieces.length - 1; k >= 0; k--) {
        const piece = pieces[k]!;
        const after = rest[k + 1]!;
        const here = new Uint8Array(n + 1);
        if (piece.kind === 'literal') {
          const length = piece.text.length;
          for (let i = 0; i + length <= n; i++) if (after[i + length] && literalAt(piece.text, i)) here[i] = 1;
        } else {
          // A wildcard matches from i when the rest matches at some j >= i (no '/' in between for `*`).
          let reachable = 0;
          for (let i = n; i >= 0; i--) {
            if (piece.kind === 'segment' && i < n && value.charCodeAt(i) === SLASH) reachable = 0;
            if (after[i]) reachable = 1;
            here[i] = reachable;
          }
        }
        rest[k] = here;
      }
      if (!rest[0]![0]) return undefined;

      const captured: Record<string, string> = {};
      let at = 0;
      pieces.forEach((piece, k) => {
        const after = rest[k + 1]!;
        if (piece.kind === 'literal') {
          at += piece.text.length;
          return;
        }
        let end: number;
        if (piece.kind === 'capture') {
          end = at;
          while (!after[end]) end++; // the shortest
        } else {
          let limit = n;
          if (piece.kind === 'segment') {
            const slash = value.indexOf('/', at);
            if (slash !== -1) limit = slash;
          }
          end = limit;
          while (!after[end]) end--; // the longest
        }
        if (piece.kind === 'capture') captured[piece.name] = original.slice(at, end);
        at = end;
      });
      return captured;
    },
  };
}
