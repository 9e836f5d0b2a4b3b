// The one normal form of a request path on the runtime plane: routing,
// `proxy.pathsuffix`, `request.path` and the path sent to the target all use
// it, so a condition sees what the backend will be asked for and
// `//admin`, `/%61dmin`, `/admin;v=1` or `/x/../admin` cannot slip past a
// `MatchesPath "/admin/**"` guard.
//
// - Percent-encoded unreserved characters are decoded (`%61` is `a`, RFC 3986
//   section 6.2.2.2); other escapes stay encoded with upper-case hex, so
//   `%2F` remains data inside a segment, never a separator.
// - Matrix parameters (`;v=1` up to the next `/`) are dropped: servlet
//   containers and many frameworks route `/admin;v=1/x` as `/admin/x`.
// - Empty segments are collapsed (`//` is `/`), and dot-segments are removed
//   (RFC 3986 section 5.2.4), also once decoded (`%2e%2e`).
// - A trailing slash is kept (`/admin/` is not `/admin`).

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

function normalizeEscapes(segment: string): string {
  return segment.replace(/%([0-9A-Fa-f]{2})/g, (escape, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}

export function normalizePath(path: string): string {
  const segments: string[] = [];
  const parts = path.split('/');
  for (const [index, raw] of parts.entries()) {
    const segment = normalizeEscapes(raw.split(';', 1)[0]!);
    const last = index === parts.length - 1;
    if (segment === '..') segments.pop();
    else if (segment !== '.' && segment !== '') segments.push(segment);
    // `/a/..`, `/a/.` and `/a/` end in a directory: keep the trailing slash.
    if (last && index > 0 && (segment === '' || segment === '.' || segment === '..') && segments.length > 0) segments.push('');
  }
  return `/${segments.join('/')}`;
}
