// Management tokens: opaque random tokens, stored only as their SHA-256 with
// the user they belong to and an expiry. Two kinds:
// - access tokens (`tgm_`, 30 minutes) from `POST /v1/users/{email}/tokens`
//   or the login, sent as `Bearer` to the management API;
// - refresh tokens (`tgr_`, 24 hours) from the login (`POST /login/oauth/token`),
//   each good for one use, which answers the next pair.
// Opaque rather than a JWT on purpose: a management token must stop working
// the moment its user is deleted (one read tells), it can never be mistaken
// for a proxy access token (no JWT verifier accepts it), and it needs no
// signing key. 256 random bits make the plain hash enough.
import { safeEqual, sha256Hex } from '../crypto/compare.js';
import { randomSecret } from '../crypto/random.js';
import type { Runtime } from '../runtime.js';
import { managementRefreshKeys, managementTokenKeys } from '../store/keys.js';
import type { Keys, StoredItem } from '../store/table.js';
import { findUser, type UserItem, type UserWithRoles } from './users.js';

export const MANAGEMENT_TOKEN_LIFETIME_SECONDS = 1800;
/** Every management token starts with this, so tools and secret scanners can tell what it is. */
export const MANAGEMENT_TOKEN_PREFIX = 'tgm_';
/** How long a login's refresh token may be used (once). */
export const MANAGEMENT_REFRESH_LIFETIME_SECONDS = 86_400;
export const MANAGEMENT_REFRESH_PREFIX = 'tgr_';

interface TokenKind {
  type: 'management-token' | 'management-refresh';
  prefix: string;
  pattern: RegExp;
  lifetimeSeconds: number;
  keys: (tokenHash: string) => Keys;
}

const ACCESS: TokenKind = { type: 'management-token', prefix: MANAGEMENT_TOKEN_PREFIX, pattern: /^tgm_[A-Za-z0-9_-]{43}$/, lifetimeSeconds: MANAGEMENT_TOKEN_LIFETIME_SECONDS, keys: managementTokenKeys };
const REFRESH: TokenKind = { type: 'management-refresh', prefix: MANAGEMENT_REFRESH_PREFIX, pattern: /^tgr_[A-Za-z0-9_-]{43}$/, lifetimeSeconds: MANAGEMENT_REFRESH_LIFETIME_SECONDS, keys: managementRefreshKeys };

interface TokenItem extends StoredItem {
  type: TokenKind['type'];
  email: string;
  userId: string;
}

const keysOf = (kind: TokenKind, token: string) => kind.keys(sha256Hex(token));

async function mint(rt: Runtime, kind: TokenKind, user: UserItem): Promise<string> {
  const token = `${kind.prefix}${randomSecret(32)}`;
  await rt.table.create({ ...keysOf(kind, token), type: kind.type, email: user.email, userId: user.userId, expiresAt: Math.floor(Date.now() / 1000) + kind.lifetimeSeconds });
  return token;
}

/** The user a stored token names, if it is still that user (not deleted, nor deleted and made again). */
async function ownerOf(rt: Runtime, item: TokenItem | undefined): Promise<UserWithRoles | undefined> {
  if (!item?.expiresAt || item.expiresAt <= Date.now() / 1000) return undefined;
  const found = await findUser(rt, item.email);
  return found && found.user.userId === item.userId ? found : undefined;
}

export interface IssuedManagementToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export async function issueManagementToken(rt: Runtime, user: UserItem): Promise<IssuedManagementToken> {
  return { access_token: await mint(rt, ACCESS, user), token_type: 'Bearer', expires_in: ACCESS.lifetimeSeconds };
}

/** The live user the token belongs to and when the token expires (epoch ms); undefined for an unknown, expired or orphaned token. */
export async function verifyManagementToken(rt: Runtime, token: string): Promise<{ found: UserWithRoles; expiresAt: number } | undefined> {
  if (!ACCESS.pattern.test(token)) return undefined;
  const item = await rt.table.get<TokenItem>(keysOf(ACCESS, token), { consistent: true });
  const found = await ownerOf(rt, item);
  return found && { found, expiresAt: item!.expiresAt! * 1000 };
}

/** Apigee's tools' login client: public values, the same in every installation of the tools. */
const APIGEE_TOOLS_CLIENT = { id: 'edgecli', secret: 'edgeclisecret' };

/** Whether a login's Basic client is Apigee's tools' (both parts compared in full, whatever the first says). */
export function isApigeeToolsClient(id: string, secret: string): boolean {
  const idMatches = safeEqual(id, APIGEE_TOOLS_CLIENT.id);
  const secretMatches = safeEqual(secret, APIGEE_TOOLS_CLIENT.secret);
  return idMatches && secretMatches;
}

/** What a login answers, in the shape of Apigee's SSO token endpoint: a management token and a refresh token. */
export interface ManagementLogin extends IssuedManagementToken {
  refresh_token: string;
}

/** A management token with a refresh token that gets the next one (`POST /login/oauth/token`). */
export async function issueManagementLogin(rt: Runtime, user: UserItem): Promise<ManagementLogin> {
  return { ...(await issueManagementToken(rt, user)), refresh_token: await mint(rt, REFRESH, user) };
}

/**
 * Uses a refresh token up: it is deleted as it is read, so it works once
 * (a second use, or a stolen copy used after its owner, finds nothing).
 * The user it names, if that user still exists; else undefined.
 */
export async function redeemManagementRefresh(rt: Runtime, token: string): Promise<UserWithRoles | undefined> {
  if (!REFRESH.pattern.test(token)) return undefined;
  return ownerOf(rt, await rt.table.delete<TokenItem>(keysOf(REFRESH, token)));
}
