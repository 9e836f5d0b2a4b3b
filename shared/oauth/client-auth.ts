// Client authentication at the token, introspection and revocation endpoints:
// `client_secret_basic` (RFC 6749 section 2.3.1: id and secret are
// form-urlencoded before base64) and `client_secret_post`. Many clients put the
// raw id and secret in the Basic header instead (RFC 2617 style, as SAP's own
// endpoint expects); when the decoded and the raw reading differ, both are
// tried, the RFC reading first.
import type { HttpRequest } from '../http/request.js';
import { invalidClient, invalidRequest } from './errors.js';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface ClientAuthentication {
  method: 'client_secret_basic' | 'client_secret_post';
  /** Readings of the presented credentials to try in order. */
  candidates: ClientCredentials[];
}

const MAX_HEADER_LENGTH = 4096;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A request parameter that may appear at most once (RFC 6749 section 3.1). */
export function singleParameter(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw invalidRequest(`Parameter ${name} must not be repeated`);
  return values[0];
}

/** application/x-www-form-urlencoded decoding of one component; undefined if malformed. */
export function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function basicCandidates(encoded: string): ClientCredentials[] {
  const value = encoded.trim();
  if (!value || value.length > MAX_HEADER_LENGTH || !BASE64.test(value)) throw invalidClient('Malformed Basic credentials');
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(value, 'base64'));
  } catch {
    throw invalidClient('Malformed Basic credentials');
  }
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw invalidClient('Malformed Basic credentials');
  const rawId = decoded.slice(0, colon);
  const rawSecret = decoded.slice(colon + 1);
  const candidates: ClientCredentials[] = [];
  const id = formDecode(rawId);
  const secret = formDecode(rawSecret);
  if (id !== undefined && secret !== undefined) candidates.push({ clientId: id, clientSecret: secret });
  if (id !== rawId || secret !== rawSecret) candidates.push({ clientId: rawId, clientSecret: rawSecret });
  return candidates;
}

/** Reads the client's credentials from the Authorization header or the form body; exactly one method is allowed. */
export function readClientAuthentication(request: HttpRequest, form: URLSearchParams): ClientAuthentication {
  const headers = request.multiHeaders.authorization ?? [];
  if (headers.length > 1) throw invalidRequest('Only one Authorization header is allowed');
  const bodyId = singleParameter(form, 'client_id');
  const bodySecret = singleParameter(form, 'client_secret');
  const header = headers[0];
  if (header !== undefined && header.trim() !== '') {
    const match = /^basic(?:\s+(.*))?$/is.exec(header.trim());
    if (!match) throw invalidClient('Unsupported client authentication scheme; use Basic or client_secret_post');
    if (bodySecret !== undefined) {
      throw invalidRequest('The client must use only one authentication method: Basic or client_secret_post, not both');
    }
    const candidates = basicCandidates(match[1] ?? '');
    if (bodyId !== undefined) {
      // Some clients repeat client_id in the body with Basic; it must name the same client.
      const same = candidates.filter((candidate) => candidate.clientId === bodyId);
      if (!same.length) throw invalidRequest('client_id in the body does not match the Authorization header');
      return { method: 'client_secret_basic', candidates: same };
    }
    return { method: 'client_secret_basic', candidates };
  }
  if (bodyId !== undefined || bodySecret !== undefined) {
    if (!bodyId || !bodySecret) throw invalidClient('Both client_id and client_secret are required');
    return { method: 'client_secret_post', candidates: [{ clientId: bodyId, clientSecret: bodySecret }] };
  }
  throw invalidClient('Client authentication is required (HTTP Basic or client_secret_post)');
}
