// Allowed redirect origins: where a hosted OAuth callback may send the browser
// back to. Entries are `scheme://host[:port]`; `:*` allows any port of that
// host (handy for `http://localhost:*`). Anything else is refused, so the
// callback can never be used as an open redirect.

export interface OriginPattern {
  protocol: 'http:' | 'https:';
  hostname: string;
  /** Explicit port, '' for the scheme's default, or '*' for any. */
  port: string;
}

/** Parses one allowed-origin entry; undefined when it is not a plain origin. */
export function parseOriginPattern(entry: string): OriginPattern | undefined {
  const text = entry.trim();
  const match = /^(https?):\/\/([^/?#@\s]+?)(?::(\*|\d{1,5}))?$/i.exec(text);
  if (!match) return undefined;
  const protocol = `${match[1]!.toLowerCase()}:` as 'http:' | 'https:';
  const portText = match[3];
  let url: URL;
  try {
    url = new URL(`${protocol}//${match[2]}${portText && portText !== '*' ? `:${portText}` : ''}`);
  } catch {
    return undefined;
  }
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return undefined;
  // Host names, IPv4 and bracketed IPv6 only: no wildcards or other patterns.
  if (!/^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])$/.test(url.hostname)) return undefined;
  if (portText && portText !== '*' && Number(portText) > 65535) return undefined;
  return { protocol, hostname: url.hostname, port: portText === '*' ? '*' : url.port };
}

/** Canonical text of an entry (lower-cased host, default port dropped). */
export function formatOriginPattern(pattern: OriginPattern): string {
  return `${pattern.protocol}//${pattern.hostname}${pattern.port ? `:${pattern.port}` : ''}`;
}

/** True when `url` is an absolute http(s) URL without credentials whose origin an entry allows. */
export function isAllowedRedirect(url: string, allowed: string[]): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return false;
  if (target.username || target.password) return false;
  return allowed.some((entry) => {
    const pattern = parseOriginPattern(entry);
    if (!pattern) return false;
    if (pattern.protocol !== target.protocol || pattern.hostname !== target.hostname) return false;
    return pattern.port === '*' || pattern.port === target.port;
  });
}
