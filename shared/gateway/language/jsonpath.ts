// The JSONPath subset Apigee policies use: `$`, `.name`, `['name']`, `[n]`,
// `[*]`, `.*`, recursive descent `..name`, and `.[n]` as Jayway JsonPath (Apigee's)
// reads it. Compiled once per deployment.

type Segment = { kind: 'child'; name: string } | { kind: 'index'; index: number } | { kind: 'wildcard' } | { kind: 'descend'; name: string | '*' };

export class JsonPathError extends Error {}

export function compileJsonPath(path: string): (value: unknown) => unknown[] {
  const segments = parse(path.trim());
  return (root) => {
    let current: unknown[] = [root];
    for (const segment of segments) current = current.flatMap((node) => step(node, segment));
    return current;
  };
}

function step(node: unknown, segment: Segment): unknown[] {
  if (segment.kind === 'child') {
    return node !== null && typeof node === 'object' && !Array.isArray(node) && Object.hasOwn(node, segment.name)
      ? [(node as Record<string, unknown>)[segment.name]]
      : [];
  }
  if (segment.kind === 'index') {
    if (!Array.isArray(node)) return [];
    const index = segment.index < 0 ? node.length + segment.index : segment.index;
    return index >= 0 && index < node.length ? [node[index]] : [];
  }
  if (segment.kind === 'wildcard') {
    if (Array.isArray(node)) return node;
    return node !== null && typeof node === 'object' ? Object.values(node) : [];
  }
  const found: unknown[] = [];
  const visit = (value: unknown, depth: number) => {
    if (depth > 64 || value === null || typeof value !== 'object') return;
    if (!Array.isArray(value)) {
      for (const [key, child] of Object.entries(value)) {
        if (segment.name === '*' || key === segment.name) found.push(child);
      }
    } else if (segment.name === '*') found.push(...value);
    for (const child of Array.isArray(value) ? value : Object.values(value)) visit(child, depth + 1);
  };
  visit(node, 0);
  return found;
}

function parse(path: string): Segment[] {
  if (!path.startsWith('$')) throw new JsonPathError(`JSONPath must start with $: ${path}`);
  const segments: Segment[] = [];
  let i = 1;
  const name = () => {
    const match = /^[A-Za-z0-9_$@-]+/.exec(path.slice(i));
    if (!match) throw new JsonPathError(`Expected a name at ${i} in ${path}`);
    i += match[0].length;
    return match[0];
  };
  while (i < path.length) {
    if (path.startsWith('..', i)) {
      i += 2;
      if (path[i] === '*') {
        i++;
        segments.push({ kind: 'descend', name: '*' });
      } else segments.push({ kind: 'descend', name: name() });
    } else if (path[i] === '.' && path[i + 1] === '[') {
      // `$.[0].x` and `$.['a']`: a dot before a bracket selector, as Jayway JsonPath (Apigee's) accepts.
      i++;
    } else if (path[i] === '.') {
      i++;
      if (path[i] === '*') {
        i++;
        segments.push({ kind: 'wildcard' });
      } else segments.push({ kind: 'child', name: name() });
    } else if (path[i] === '[') {
      const close = path.indexOf(']', i);
      if (close === -1) throw new JsonPathError(`Unclosed [ in ${path}`);
      const inner = path.slice(i + 1, close).trim();
      i = close + 1;
      if (inner === '*') segments.push({ kind: 'wildcard' });
      else if (/^-?\d+$/.test(inner)) segments.push({ kind: 'index', index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) segments.push({ kind: 'child', name: inner.slice(1, -1) });
      else throw new JsonPathError(`Unsupported selector [${inner}] in ${path}`);
    } else throw new JsonPathError(`Unexpected character ${path[i]} at ${i} in ${path}`);
  }
  return segments;
}
