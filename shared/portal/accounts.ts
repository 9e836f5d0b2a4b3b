// Developer accounts of the developer portal: a developer (the Apigee
// consumer record) with a password, hashed with scrypt, and portal sessions:
// random bearer tokens stored only as their SHA-256, valid 8 hours, scoped to
// that one developer. Nothing here grants management access: the management
// API never accepts these tokens, and portal routes only ever read the
// session's own developer and apps.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { HttpError, unprocessable } from '../http/errors.js';
import type { HttpRequest } from '../http/request.js';
import type { Principal } from '../auth/principal.js';
import type { Runtime } from '../runtime.js';
import { developerAccountKeys, developerInvitationKeys, developerSessionKeys } from '../store/keys.js';
import type { StoredItem } from '../store/table.js';
import { sha256Hex } from '../crypto/compare.js';
import { createDeveloper, findDeveloper, type StoredDeveloper } from '../consumers/developers.js';

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

/** scrypt parameters (RFC 7914): N=2^15, r=8, p=1, about 32 MiB and tens of milliseconds per hash. */
const SCRYPT = { N: 32768, r: 8, p: 1, keylen: 32, maxmem: 64 * 1024 * 1024 };
export const SESSION_SECONDS = 8 * 3600;
const INVITATION_SECONDS = 7 * 24 * 3600;
const TOKEN_PREFIX = 'tgdev_';
export const MIN_PASSWORD = 10;

interface AccountItem extends StoredItem {
  type: 'developer-account';
  organization: string;
  email: string;
  developerId: string;
  passwordHash: string;
}

interface SessionItem extends StoredItem {
  type: 'developer-session';
  organization: string;
  email: string;
  developerId: string;
  expiresAt: number;
}

interface InvitationItem extends StoredItem {
  type: 'developer-invitation';
  organization: string;
  email: string;
  expiresAt: number;
}

export interface DeveloperSession {
  organization: string;
  email: string;
  developerId: string;
}

const nowSecondsOf = () => Math.floor(Date.now() / 1000);

const accountKeys = developerAccountKeys;
const sessionKeys = (token: string) => developerSessionKeys(sha256Hex(token));
const invitationKeys = (token: string) => developerInvitationKeys(sha256Hex(token));
const nowSeconds = () => Math.floor(Date.now() / 1000);

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password.normalize('NFKC'), salt, SCRYPT.keylen, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(password.normalize('NFKC'), Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem });
  return timingSafeEqual(actual, expected);
}

/** Hashed once, so an unknown email costs as much as a wrong password. */
let decoyHash: Promise<string> | undefined;

export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD || password.length > 256) {
    throw unprocessable('The password is not acceptable', [{ path: 'password', message: `must be ${MIN_PASSWORD} to 256 characters` }]);
  }
}

async function createAccount(rt: Runtime, developer: StoredDeveloper, password: string): Promise<void> {
  checkPassword(password);
  await rt.table.create<AccountItem>(
    { ...accountKeys(developer.organization, developer.email), type: 'developer-account', organization: developer.organization, email: developer.email, developerId: developer.developerId, passwordHash: await hashPassword(password) },
    `An account for ${developer.email} exists already; sign in`,
  );
}

/** Self sign-up: a new developer and their account. An email the organization already knows needs an invitation. */
export async function signUp(rt: Runtime, org: string, input: { email: string; firstName: string; lastName: string; password: string }): Promise<StoredDeveloper> {
  checkPassword(input.password);
  if (await findDeveloper(rt, org, input.email)) {
    throw new HttpError(409, 'already_exists', `${input.email} is registered already: sign in, or ask the API team for an invitation`, { fields: [{ path: 'email', message: 'is registered already' }] });
  }
  const developer = await createDeveloper(rt, org, { email: input.email, firstName: input.firstName, lastName: input.lastName, userName: input.email, attributes: [] });
  await createAccount(rt, developer, input.password);
  return developer;
}

/** An invitation for a developer the API team created: single use, 7 days. */
export async function invite(rt: Runtime, developer: StoredDeveloper): Promise<{ token: string; expiresAt: number }> {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const expiresAt = nowSeconds() + INVITATION_SECONDS;
  await rt.table.create<InvitationItem>({ ...invitationKeys(token), type: 'developer-invitation', organization: developer.organization, email: developer.email, expiresAt });
  return { token, expiresAt };
}

export async function acceptInvitation(rt: Runtime, org: string, token: string, password: string): Promise<StoredDeveloper> {
  checkPassword(password);
  const invitation = await rt.table.delete<InvitationItem>(invitationKeys(token));
  if (!invitation || invitation.organization !== org || invitation.expiresAt <= nowSeconds()) {
    throw new HttpError(400, 'invalid_invitation', 'The invitation is unknown, used or expired; ask the API team for a new one');
  }
  const developer = await findDeveloper(rt, org, invitation.email);
  if (!developer) throw new HttpError(400, 'invalid_invitation', 'The invited developer no longer exists');
  await createAccount(rt, developer, password);
  return developer;
}

const invalidCredentials = () => new HttpError(401, 'invalid_credentials', 'Wrong email or password');

export async function signIn(rt: Runtime, org: string, email: string, password: string): Promise<{ token: string; expiresIn: number }> {
  const account = await rt.table.get<AccountItem>(accountKeys(org, email));
  if (!account) {
    decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
    await verifyPassword(password, await decoyHash);
    throw invalidCredentials();
  }
  if (!(await verifyPassword(password, account.passwordHash))) throw invalidCredentials();
  const developer = await findDeveloper(rt, org, account.email);
  if (!developer || developer.developerId !== account.developerId) throw invalidCredentials();
  if (developer.status !== 'active') throw new HttpError(403, 'developer_inactive', 'This developer account is inactive; contact the API team');
  return startSession(rt, developer);
}

export async function startSession(rt: Runtime, developer: StoredDeveloper): Promise<{ token: string; expiresIn: number }> {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  await rt.table.create<SessionItem>({
    ...sessionKeys(token),
    type: 'developer-session',
    organization: developer.organization,
    email: developer.email,
    developerId: developer.developerId,
    expiresAt: nowSeconds() + SESSION_SECONDS,
  });
  return { token, expiresIn: SESSION_SECONDS };
}

const unauthorized = (message: string) => new HttpError(401, 'unauthorized', message, { headers: { 'www-authenticate': 'Bearer realm="tollgate-portal"' } });

function bearerOf(request: HttpRequest): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  return match?.[1]?.startsWith(TOKEN_PREFIX) ? match[1] : undefined;
}

/**
 * The `developer` scheme of the platform router: a portal session's bearer
 * token. The principal has no management role anywhere (`roles` is empty), so
 * no management route accepts it; portal routes read `developer` only.
 */
export async function authenticateDeveloper(request: HttpRequest, rt: Runtime): Promise<Principal> {
  const token = bearerOf(request);
  if (!token) throw unauthorized('Sign in to the developer portal: Authorization: Bearer <portal session token>');
  const session = await rt.table.get<SessionItem>(sessionKeys(token));
  if (!session || session.expiresAt <= nowSecondsOf()) throw unauthorized('The portal session expired; sign in again');
  return { via: 'developer', organization: session.organization, roles: {}, developer: { email: session.email, developerId: session.developerId } };
}

/** The principal's developer, in the organization of the path only: another organization's portal is not found. */
export function developerIn(principal: Principal, org: string): DeveloperSession {
  if (!principal.developer || principal.organization !== org) throw new HttpError(404, 'not_found', `Organization ${org} has no portal for this developer`);
  return { organization: principal.organization, ...principal.developer };
}

/** The developer when the request carries a session (the product catalog shows more to signed-in developers). */
export async function optionalDeveloper(rt: Runtime, request: HttpRequest, org: string): Promise<DeveloperSession | undefined> {
  return request.headers.authorization ? developerIn(await authenticateDeveloper(request, rt), org) : undefined;
}

export async function signOut(rt: Runtime, request: HttpRequest): Promise<void> {
  const token = bearerOf(request);
  if (token) await rt.table.delete(sessionKeys(token));
}
