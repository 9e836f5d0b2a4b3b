// Management access tokens (`POST /v1/users/{email}/tokens`): opaque random
// tokens, stored only as their SHA-256 under MTOKEN#{hash} with the user they
// belong to and an expiry. Opaque rather than a JWT on purpose: a management
// token must stop working the moment its user is deleted (one read tells), it
// can never be mistaken for a proxy access token (no JWT verifier accepts it),
// and it needs no signing key. 256 random bits make the plain hash enough.
import { safeEqual, sha256Hex } from '../crypto/compare.js';
import { randomSecret } from '../crypto/random.js';
import type { Runtime } from '../runtime.js';
import { managementRefreshKeys, managementTokenKeys } from '../store/keys.js';
import type { StoredItem } from '../store/table.js';
import { findUser, type UserItem, type UserWithRoles } from './users.js';

export const MANAGEMENT_TOKEN_LIFETIME_SECONDS = 1800;
/** Every management token starts with this, so tools and secret scanners can tell what it is. */
export const MANAGEMENT_TOKEN_PREFIX = 'tgm_';
const TOKEN = /^tgm_[A-Za-z0-9_-]{43}$/;

interface TokenItem extends StoredItem {
  type: 'management-token';
  email: string;
  userId: string;
}

const tokenKeys = (token: string) => managementTokenKeys(sha256Hex(token));

export interface IssuedManagementToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export async function issueManagementToken(rt: Runtime, user: UserItem): Promise<IssuedManagementToken> {
  const token = `${MANAGEMENT_TOKEN_PREFIX}${randomSecret(32)}`;
  await rt.table.create({
    ...tokenKeys(token),
    type: 'management-token',
    email: user.email,
    userId: user.userId,
    expiresAt: Math.floor(Date.now() / 1000) + MANAGEMENT_TOKEN_LIFETIME_SECONDS,
  });
  return { access_token: token, token_type: 'Bearer', expires_in: MANAGEMENT_TOKEN_LIFETIME_SECONDS };
}

/** Apigee's tools' login client: public values, the same in every installation of the tools. */
const APIGEE_TOOLS_CLIENT = { id: 'edgecli', secret: 'edgeclisecret' };

/** Whether a login's Basic client is Apigee's tools' (both parts compared in full, whatever the first says). */
export function isApigeeToolsClient(id: string, secret: string): boolean {
  const idMatches = safeEqual(id, APIGEE_TOOLS_CLIENT.id);
  const secretMatches = safeEqual(secret, APIGEE_TOOLS_CLIENT.secret);
  return idMatches && secretMatches;
}

/** How long a login's refresh token may be used (once). */
export const MANAGEMENT_REFRESH_LIFETIME_SECONDS = 86_400;
export const MANAGEMENT_REFRESH_PREFIX = 'tgr_';
const REFRESH = /^tgr_[A-Za-z0-9_-]{43}$/;

interface RefreshItem extends StoredItem {
  type: 'management-refresh';
  email: string;
  userId: string;
}

const refreshKeys = (token: string) => managementRefreshKeys(sha256Hex(token));

/** What a login answers, in the shape of Apigee's SSO token endpoint: a management token and a refresh token. */
export interface ManagementLogin extends IssuedManagementToken {
  refresh_token: string;
}

/** A management token with a refresh token that gets the next one (`POST /login/oauth/token`). */
export async function issueManagementLogin(rt: Runtime, user: UserItem): Promise<ManagementLogin> {
  const issued = await issueManagementToken(rt, user);
  const refresh = `${MANAGEMENT_REFRESH_PREFIX}${randomSecret(32)}`;
  await rt.table.create({
    ...refreshKeys(refresh),
    type: 'management-refresh',
    email: user.email,
    userId: user.userId,
    expiresAt: Math.floor(Date.now() / 1000) + MANAGEMENT_REFRESH_LIFETIME_SECONDS,
  });
  return { ...issued, refresh_token: refresh };
}

/**
 * Uses a refresh token up: it is deleted as it is read, so it works once
 * (a second use, or a stolen copy used after its owner, finds nothing).
 * The user it names, if that user still exists; else undefined.
 */
export async function redeemManagementRefresh(rt: Runtime, token: string): Promise<UserWithRoles | undefined> {
  if (!REFRESH.test(token)) return undefined;
  const item = await rt.table.delete<RefreshItem>(refreshKeys(token));
  if (!item?.expiresAt || item.expiresAt <= Date.now() / 1000) return undefined;
  const found = await findUser(rt, item.email);
  return found && found.user.userId === item.userId ? found : undefined;
}

/** The live user the token belongs to and when the token expires (epoch ms); undefined for an unknown, expired or orphaned token. */
export async function verifyManagementToken(rt: Runtime, token: string): Promise<{ found: UserWithRoles; expiresAt: number } | undefined> {
  if (!TOKEN.test(token)) return undefined;
  const item = await rt.table.get<TokenItem>(tokenKeys(token), { consistent: true });
  if (!item?.expiresAt) return undefined;
  const found = await findUser(rt, item.email);
  return found && found.user.userId === item.userId ? { found, expiresAt: item.expiresAt * 1000 } : undefined;
}
