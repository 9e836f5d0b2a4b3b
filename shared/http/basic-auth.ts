// The HTTP Basic scheme (RFC 7617) and OAuth 2.0's `client_secret_basic`
// (RFC 6749 section 2.3.1: the client id and secret are
// application/x-www-form-urlencoded before they are joined and base64
// encoded), written and read in this one place: the token service, the
// OAuthV2 and BasicAuthentication policies, target endpoints, API providers
// and connector vendors all go through it.

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface BasicCredentials {
  user: string;
  password: string;
}

/** Longest credentials token accepted (the part after `Basic `). */
const MAX_TOKEN_LENGTH = 4096;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `application/x-www-form-urlencoded` encoding of one value (RFC 6749 appendix B). */
export function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

/** `application/x-www-form-urlencoded` decoding of one component; undefined if malformed. */
export function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** `Basic base64(user:password)` (RFC 7617, UTF-8). */
export function basicAuthorization(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** The Authorization value with which an OAuth client authenticates by `client_secret_basic`. */
export function clientSecretBasic(client: ClientCredentials): string {
  return basicAuthorization(formEncode(client.clientId), formEncode(client.clientSecret));
}

/**
 * The credentials token after `Basic ` decoded to user and password (the
 * password may hold colons, the user may be empty); undefined when it is not
 * base64 of UTF-8 text with a colon.
 */
export function decodeBasic(token: string): BasicCredentials | undefined {
  const value = token.trim();
  if (!value || value.length > MAX_TOKEN_LENGTH || !BASE64.test(value)) return undefined;
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(value, 'base64'));
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The credentials token of an `Authorization: Basic <token>` value; undefined for any other scheme. */
export function basicToken(header: string): string | undefined {
  const match = /^basic(?:\s+(.*))?$/is.exec(header.trim());
  return match ? (match[1] ?? '') : undefined;
}

/**
 * The readings of `client_secret_basic` credentials to try, in order: the RFC
 * 6749 one (form-decoded), then the raw one when it differs (many clients,
 * SAP's among them, send the id and secret unencoded, RFC 2617 style).
 * Undefined when the token is malformed or names no client.
 */
export function readClientSecretBasic(token: string): ClientCredentials[] | undefined {
  const basic = decodeBasic(token);
  if (!basic || basic.user === '') return undefined;
  const candidates: ClientCredentials[] = [];
  const id = formDecode(basic.user);
  const secret = formDecode(basic.password);
  if (id !== undefined && secret !== undefined) candidates.push({ clientId: id, clientSecret: secret });
  if (id !== basic.user || secret !== basic.password) candidates.push({ clientId: basic.user, clientSecret: basic.password });
  return candidates;
}
