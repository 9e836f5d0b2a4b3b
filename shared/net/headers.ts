// Headers that belong to one connection (RFC 9110 section 7.6.1), plus the
// framing and host headers the outbound client sets itself: never forwarded
// by the proxy runtime or the connectors resource proxy.
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'host',
]);

/** The header names a `Connection` header lists, which are hop-by-hop too. */
export function connectionTokens(connection: string | undefined): Set<string> {
  return new Set(
    (connection ?? '')
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter(Boolean),
  );
}
