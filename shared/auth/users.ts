// Management users: people (and tools such as apigeetool) that call the
// management API with `Basic` email and password, or with a management access
// token. A user is global; membership is per organization, one role each:
//   USER#{email} / #USER        the user (names, scrypt hash, a random userId)
//   USER#{email} / ROLE#{org}   a role in one organization (GSI1: USERROLES#{org} / {role}#{email})
// so one query of the user's partition yields the user and every role.
import * as z from 'zod';
import { randomId } from '../crypto/random.js';
import { HttpError, notFound } from '../http/errors.js';
import type { Role } from '../http/router.js';
import type { Runtime } from '../runtime.js';
import { orgMembersLookup, userKeys, userPartition, userRoleKeys } from '../store/keys.js';
import type { StoredItem } from '../store/table.js';
import { hashPassword, MAX_PASSWORD_LENGTH, verifyNothing, verifyPassword } from './passwords.js';

export const ROLES = ['orgadmin', 'readonly', 'connectoruser'] as const satisfies readonly Role[];

export interface UserItem extends StoredItem {
  type: 'user';
  /** Lower-cased; the key. */
  email: string;
  /** As it was given. */
  emailId: string;
  firstName: string;
  lastName: string;
  /** Empty for a user made without a password (an Open Connectors account user that only calls with its user secret). */
  passwordHash: string;
  /** New for every creation: tokens of a deleted user never work for one created later under the same email. */
  userId: string;
}

export interface UserRoleItem extends StoredItem {
  type: 'userrole';
  email: string;
  organization: string;
  role: Role;
}

export interface UserWithRoles {
  user: UserItem;
  roles: Record<string, Role>;
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}$/;

export const emailSchema = z.string().trim().max(254).regex(EMAIL, 'must be an email address');
export const passwordSchema = z
  .string()
  .min(12, 'must be at least 12 characters')
  .max(MAX_PASSWORD_LENGTH);
export const roleSchema = z.enum(ROLES);

/** Apigee's `POST /v1/users` payload. */
export const userInput = z.lazy(() => z.object({
  emailId: emailSchema,
  firstName: z.string().trim().max(255).default(''),
  lastName: z.string().trim().max(255).default(''),
  password: passwordSchema,
}));
export type UserInput = z.input<typeof userInput>;


export async function createUser(rt: Runtime, input: UserInput): Promise<UserItem> {
  return storeUser(rt, userInput.parse(input));
}

/** Writes a new user whose input was checked by the API it came through; without a password it can only use a user secret. */
export async function storeUser(rt: Runtime, input: { emailId: string; firstName: string; lastName: string; password?: string | undefined }): Promise<UserItem> {
  return rt.table.create<UserItem>(
    {
      ...userKeys(input.emailId),
      type: 'user',
      email: input.emailId.toLowerCase(),
      emailId: input.emailId,
      firstName: input.firstName,
      lastName: input.lastName,
      passwordHash: input.password === undefined ? '' : await hashPassword(input.password),
      userId: randomId(),
    },
    `User ${input.emailId} already exists`,
  );
}

/** Changes a user's names or password. */
export async function updateUser(rt: Runtime, email: string, change: { firstName?: string; lastName?: string; password?: string }): Promise<UserItem> {
  const passwordHash = change.password === undefined ? undefined : await hashPassword(change.password);
  return rt.table.modify<UserItem>(userKeys(email), (current) => ({
    ...current,
    ...(change.firstName !== undefined ? { firstName: change.firstName } : {}),
    ...(change.lastName !== undefined ? { lastName: change.lastName } : {}),
    ...(passwordHash !== undefined ? { passwordHash } : {}),
  }));
}

/** The user and every role, in one query; undefined if there is no such user. */
export async function findUser(rt: Runtime, email: string): Promise<UserWithRoles | undefined> {
  const items = await rt.table.queryAll<UserItem | UserRoleItem>(userPartition(email), { consistent: true });
  const user = items.find((item): item is UserItem => item.type === 'user');
  if (!user) return undefined;
  const roles: Record<string, Role> = {};
  for (const item of items) if (item.type === 'userrole') roles[item.organization] = item.role;
  return { user, roles };
}

/** The user's role in one organization (one read), if it has one. */
export async function roleIn(rt: Runtime, org: string, email: string): Promise<Role | undefined> {
  const item = await rt.table.get<UserRoleItem>(userRoleKeys(email, org), { consistent: true });
  return item?.type === 'userrole' ? item.role : undefined;
}

export async function requireUser(rt: Runtime, email: string): Promise<UserWithRoles> {
  const found = await findUser(rt, email);
  if (!found) throw notFound(`User ${email} not found`, 'user_not_found');
  return found;
}

/** The user whose password this is; undefined (after the same work) for an unknown email or a wrong password. */
export async function checkPassword(rt: Runtime, email: string, password: string): Promise<UserWithRoles | undefined> {
  const found = EMAIL.test(email) ? await findUser(rt, email) : undefined;
  // A user without a password costs the same work as one that does not exist.
  if (!found?.user.passwordHash) return verifyNothing(password).then(() => undefined);
  return (await verifyPassword(password, found.user.passwordHash)) ? found : undefined;
}

/** Deletes the user and every role; their tokens stop working with the user record. */
export async function deleteUser(rt: Runtime, email: string): Promise<UserItem> {
  const { user, roles } = await requireUser(rt, email);
  for (const org of Object.keys(roles)) await rt.table.delete(userRoleKeys(email, org));
  await rt.table.delete(userKeys(email));
  return user;
}

/** Gives the user this role in the organization, replacing the one it had there. */
export async function setRole(rt: Runtime, org: string, role: Role, email: string): Promise<void> {
  const { user } = await requireUser(rt, email);
  await rt.table.put({
    ...userRoleKeys(user.email, org),
    type: 'userrole',
    email: user.email,
    organization: org,
    role,
    gsi1pk: orgMembersLookup(org),
    gsi1sk: `${role}#${user.email}`,
  });
}

/** Removes the user's role in the organization; 404 unless the user has exactly this role there. */
export async function removeRole(rt: Runtime, org: string, role: Role, email: string): Promise<void> {
  const removed = await rt.table.delete(userRoleKeys(email, org), { condition: '#role = :role', names: { '#role': 'role' }, values: { ':role': role } });
  if (!removed) throw notFound(`User ${email} does not have the role ${role} in ${org}`, 'user_role_not_found');
}

/** The organization's members with their roles (emails lower-cased), optionally of one role only. */
export async function listMembers(rt: Runtime, org: string, role?: Role): Promise<{ email: string; role: Role }[]> {
  const items = await rt.table.queryAll<UserRoleItem>(orgMembersLookup(org), { index: 'gsi1', ...(role ? { prefix: `${role}#` } : {}) });
  return items.map((item) => ({ email: item.email, role: item.role }));
}

/** Apigee's view of a user, with the roles the caller may see. */
export function userView(user: UserItem, roles: Record<string, Role>) {
  return {
    emailId: user.emailId,
    firstName: user.firstName,
    lastName: user.lastName,
    createdAt: Date.parse(user.createdAt),
    lastModifiedAt: Date.parse(user.updatedAt),
    roles: { role: Object.entries(roles).map(([organization, name]) => ({ name, organization })) },
  };
}

/**
 * Makes sure the first management user exists and, while it has no role
 * anywhere, gives it the orgadmin role of the organization. An existing user
 * keeps its password and roles. Idempotent.
 */
export async function ensureUser(rt: Runtime, org: string, email: string, password: () => Promise<string>): Promise<{ created: boolean }> {
  let found = await findUser(rt, email);
  let created = false;
  if (!found) {
    try {
      await createUser(rt, { emailId: email, firstName: 'Tollgate', lastName: 'Administrator', password: await password() });
      created = true;
    } catch (error) {
      // Created concurrently by another container: fine, it is there.
      if (!(error instanceof HttpError && error.status === 409)) throw error;
    }
    found = await requireUser(rt, email);
  }
  if (Object.keys(found.roles).length === 0) await setRole(rt, org, 'orgadmin', email);
  return { created };
}
