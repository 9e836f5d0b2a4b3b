// Client authentication at the token, introspection and revocation endpoints:
// `client_secret_basic` (RFC 6749 section 2.3.1: id and secret are
// form-urlencoded before base64) and `client_secret_post`. Many clients put the
// raw id and secret in the Basic header instead (RFC 2617 style, as SAP's own
// endpoint expects); when the decoded and the raw reading differ, both are
// tried, the RFC reading first.
import { basicToken, readClientSecretBasic, type ClientCredentials } from '../http/basic-auth.js';
import type { HttpRequest } from '../http/request.js';
import { invalidClient, invalidRequest } from './errors.js';

export interface ClientAuthentication {
  method: 'client_secret_basic' | 'client_secret_post';
  /** Readings of the presented credentials to try in order. */
  candidates: ClientCredentials[];
}

/** A request parameter that may appear at most once (RFC 6749 section 3.1). */
export function singleParameter(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw invalidRequest(`Parameter ${name} must not be repeated`);
  return values[0];
}


/** Reads the client's credentials from the Authorization header or the form body; exactly one method is allowed. */
export function readClientAuthentication(request: HttpRequest, form: URLSearchParams): ClientAuthentication {
  const headers = request.multiHeaders.authorization ?? [];
  if (headers.length > 1) throw invalidRequest('Only one Authorization header is allowed');
  const bodyId = singleParameter(form, 'client_id');
  const bodySecret = singleParameter(form, 'client_secret');
  const header = headers[0];
  if (header !== undefined && header.trim() !== '') {
    const token = basicToken(header);
    if (token === undefined) throw invalidClient('Unsupported client authentication scheme; use Basic or client_secret_post');
    if (bodySecret !== undefined) {
      throw invalidRequest('The client must use only one authentication method: Basic or client_secret_post, not both');
    }
    const candidates = readClientSecretBasic(token);
    if (!candidates) throw invalidClient('Malformed Basic credentials');
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
