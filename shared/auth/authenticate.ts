// The platform function's authentication schemes, as the router runs them:
//   management  the platform header, Basic (management user's email and
//               password) or Bearer (management access token)
//   platform    the platform header
//   element     the platform header with its Element part
// Each returns the caller's principal or throws a 401 with `WWW-Authenticate`.
// User results are cached briefly per container (successes and failures, so
// a repeated wrong password costs one scrypt, not one per request); any change
// to users, roles or user secrets in this container clears those caches.
import { TtlCache } from '../cache/ttl-cache.js';
import { sha256Hex } from '../crypto/compare.js';
import { decodeBasic } from '../http/basic-auth.js';
import type { HttpRequest } from '../http/request.js';
import type { RouterOptions } from '../http/router.js';
import type { Runtime } from '../runtime.js';
import { bootstrap } from './bootstrap.js';
import { verifyManagementToken } from './management-tokens.js';
import { platformAuthenticator, unauthorized } from './platform.js';
import { MANAGEMENT_CHALLENGE, PLATFORM_CHALLENGE, type Principal } from './principal.js';
import { checkPassword, type UserWithRoles } from './users.js';

const CACHE_TTL_MS = 30_000;
const MAX_HEADER_LENGTH = 4096;
const BEARER_CHALLENGE = 'Bearer realm="tollgate"';

function userCache(rt: Runtime): TtlCache<string, UserWithRoles | null> {
  return rt.service('auth.management-users', () => new TtlCache<string, UserWithRoles | null>({ ttlMs: CACHE_TTL_MS }));
}

function tokenCache(rt: Runtime): TtlCache<string, { found: UserWithRoles; expiresAt: number } | null> {
  return rt.service('auth.management-tokens', () => new TtlCache<string, { found: UserWithRoles; expiresAt: number } | null>({ ttlMs: CACHE_TTL_MS }));
}

/** Forgets cached user authentications (passwords, tokens, user secrets): after a user, role, password or secret change. */
export function forgetUserAuthentications(rt: Runtime): void {
  userCache(rt).clear();
  tokenCache(rt).clear();
  platformAuthenticator(rt).invalidate();
}

function userPrincipal(found: UserWithRoles, via: 'basic' | 'bearer'): Principal {
  return { via, organization: '', roles: found.roles, user: found.user.email };
}

async function basicUser(rt: Runtime, value: string): Promise<Principal> {
  const basic = decodeBasic(value);
  const credentials = basic && basic.user !== '' ? { email: basic.user, password: basic.password } : undefined;
  if (!credentials) throw unauthorized('Malformed Basic credentials; expected base64(email:password)', MANAGEMENT_CHALLENGE);
  const key = sha256Hex(`basic\n${credentials.email.toLowerCase()}\n${credentials.password}`);
  const found = await userCache(rt).get(key, async () => {
    await bootstrap(rt);
    return (await checkPassword(rt, credentials.email, credentials.password)) ?? null;
  });
  if (!found) throw unauthorized('Invalid email or password', MANAGEMENT_CHALLENGE);
  return userPrincipal(found, 'basic');
}

async function bearerUser(rt: Runtime, token: string): Promise<Principal> {
  const challenge = `${BEARER_CHALLENGE}, error="invalid_token"`;
  const verified = await tokenCache(rt).get(
    sha256Hex(`bearer\n${token}`),
    async () => (await verifyManagementToken(rt, token)) ?? null,
    // A token is never taken from the cache past its own expiry.
    (value) => (value ? Math.max(0, Math.min(CACHE_TTL_MS, value.expiresAt - Date.now())) : CACHE_TTL_MS),
  );
  const found = verified?.found;
  if (!found) throw unauthorized('Invalid or expired management access token', challenge, 'invalid_token');
  return userPrincipal(found, 'bearer');
}

/** The management scheme: platform header, Basic or Bearer. */
export async function authenticateManagement(request: HttpRequest, rt: Runtime): Promise<Principal> {
  const header = request.headers.authorization?.trim();
  if (!header) {
    throw unauthorized('Authorization header is required: Basic (management user), Bearer (management token) or User <secret>, Organization <secret>', MANAGEMENT_CHALLENGE);
  }
  if (header.length > MAX_HEADER_LENGTH) throw unauthorized('Authorization header is too long', MANAGEMENT_CHALLENGE);
  const space = header.search(/\s/);
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const rest = space < 0 ? '' : header.slice(space + 1).trim();
  if (scheme === 'basic') return basicUser(rt, rest);
  if (scheme === 'bearer') return bearerUser(rt, rest);
  if (scheme === 'user' || scheme === 'organization' || scheme === 'element') return platformAuthenticator(rt).authenticate(request, MANAGEMENT_CHALLENGE);
  throw unauthorized('Unsupported authorization scheme; use Basic, Bearer or User <secret>, Organization <secret>', MANAGEMENT_CHALLENGE);
}

/** The element scheme: the platform header with the instance token. */
async function authenticateElement(request: HttpRequest, rt: Runtime): Promise<Principal> {
  const principal = await platformAuthenticator(rt).authenticate(request);
  if (!principal.element) {
    throw unauthorized(
      'Resource calls need the instance token: Authorization: User <secret>, Organization <secret>, Element <instance token>',
      PLATFORM_CHALLENGE,
      'element_token_required',
    );
  }
  return principal;
}

export const platformAuthenticators: NonNullable<RouterOptions<Runtime, Principal>['authenticators']> = {
  management: authenticateManagement,
  platform: (request, rt) => platformAuthenticator(rt).authenticate(request),
  element: authenticateElement,
};
