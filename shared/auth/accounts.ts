// Open Connectors' organization > accounts > users, as the connectors-side face
// of the management users. There is one user model: an account user is a
// management user (USER#{email}, with its role in the organization) plus what
// the connectors API needs of it:
//   ORG#{org} / ACCOUNT#{id}    an account: the organization's default account, and one per customer
//   ORG#{org} / ACCTUSER#{id}   a user's account, whether it administers that account, and its user
//                               secret, sealed, found by its keyed fingerprint (gsi1 USERSECRET#{hmac})
// The organization record names its default account and its organization user:
// the user the organization's original user secret (in the secret store) stands
// for, which in the default organization is the first management user.
import { TtlCache } from '../cache/ttl-cache.js';
import { safeEqual } from '../crypto/compare.js';
import { randomSecret } from '../crypto/random.js';
import { conflict, HttpError, notFound } from '../http/errors.js';
import type { Role } from '../http/router.js';
import type { Runtime } from '../runtime.js';
import { accountKeys, accountUserKeys, counterKeys, orgPartition, SORT_PREFIX, userKeys, userSecretLookup } from '../store/keys.js';
import type { NewItem, StoredItem } from '../store/table.js';
import { getOrganization, orgKeys, type Organization } from './organizations.js';
import { MAX_PASSWORD_LENGTH } from './passwords.js';
import type { ConnectorIdentity } from './principal.js';
import { deleteUser, findUser, removeRole, roleIn, setRole, storeUser, updateUser, type UserItem } from './users.js';

export interface AccountItem extends StoredItem {
  type: 'account';
  id: number;
  organization: string;
  name: string;
  description: string;
  externalId: string;
  defaultAccount: boolean;
  active: boolean;
  /** Roles every user of the account has (Open Connectors' account roles): `admin` makes each an administrator of it. */
  roles?: ConnectorRoleKey[];
}

export interface AccountUserItem extends StoredItem {
  type: 'accountUser';
  id: number;
  organization: string;
  /** The management user's email, lower-cased; empty for the organization user of an organization without one. */
  email: string;
  accountId: number;
  accountAdmin: boolean;
  organizationUser: boolean;
  /** An inactive user's secret is refused. */
  active: boolean;
  /** Absent for the organization user, whose secret is the organization's user secret in the secret store. */
  sealedSecret?: string;
}

/** The organization's default account and organization user. */
export interface Directory {
  defaultAccountId: number;
  organizationUserId: number;
}

const secretContext = (org: string, id: number) => `account-user:${org}:${id}:secret`;
const nextId = (rt: Runtime, org: string, kind: 'account' | 'user') => rt.table.increment(counterKeys(org, kind), 'value', 1);

/** Writes an item unless one is there (created concurrently by another container: fine). */
async function createIfAbsent(rt: Runtime, item: NewItem): Promise<void> {
  try {
    await rt.table.create(item);
  } catch (error) {
    if (!(error instanceof HttpError && error.status === 409)) throw error;
  }
}

function directoryCache(rt: Runtime): TtlCache<string, Directory> {
  // The ids never change once given, so they are kept long.
  return rt.service('auth.directory', () => new TtlCache<string, Directory>({ ttlMs: 300_000, maxEntries: 1_000 }));
}

/** The organization's default account and organization user, made on first use. */
export function organizationDirectory(rt: Runtime, org: string): Promise<Directory> {
  return directoryCache(rt).get(org, () => ensureDirectory(rt, org));
}

async function ensureDirectory(rt: Runtime, org: string): Promise<Directory> {
  let organization = await getOrganization(rt, org);
  if (!organization) throw notFound(`Organization ${org} not found`);
  if (organization.defaultAccountId === undefined || organization.organizationUserId === undefined) {
    // Two containers may race: the version check lets one write, the other reads the winner's ids (a lost id is a gap).
    organization = await rt.table.modify<Organization>(orgKeys(org), async (current) =>
      current.defaultAccountId !== undefined && current.organizationUserId !== undefined
        ? current
        : {
            ...current,
            defaultAccountId: current.defaultAccountId ?? (await nextId(rt, org, 'account')),
            organizationUserId: current.organizationUserId ?? (await nextId(rt, org, 'user')),
          },
    );
  }
  const directory = { defaultAccountId: organization.defaultAccountId!, organizationUserId: organization.organizationUserId! };
  const email = org === rt.config.defaultOrganization ? rt.config.adminEmail.toLowerCase() : '';
  await createIfAbsent(rt, {
    ...accountKeys(org, directory.defaultAccountId),
    type: 'account',
    id: directory.defaultAccountId,
    organization: org,
    name: `${org} Default Account`,
    description: `The ${org} organization's default account`,
    externalId: email || org,
    defaultAccount: true,
    active: true,
  });
  await createIfAbsent(rt, {
    ...accountUserKeys(org, directory.organizationUserId),
    type: 'accountUser',
    id: directory.organizationUserId,
    organization: org,
    email,
    accountId: directory.defaultAccountId,
    accountAdmin: true,
    organizationUser: true,
    active: true,
  });
  return directory;
}

// Accounts

export interface AccountInput {
  name: string;
  description: string;
  externalId: string;
}

export async function createAccount(rt: Runtime, org: string, input: AccountInput): Promise<AccountItem> {
  await organizationDirectory(rt, org);
  const id = await nextId(rt, org, 'account');
  return rt.table.create<AccountItem>({ ...accountKeys(org, id), type: 'account', id, organization: org, ...input, defaultAccount: false, active: true });
}

export async function requireAccount(rt: Runtime, org: string, id: number): Promise<AccountItem> {
  await organizationDirectory(rt, org);
  const item = await findAccount(rt, org, id);
  if (!item) throw notFound(`Account ${id} not found`, 'account_not_found');
  return item;
}

export async function findAccount(rt: Runtime, org: string, id: number): Promise<AccountItem | undefined> {
  const item = await rt.table.get<AccountItem>(accountKeys(org, id), { consistent: true });
  return item?.type === 'account' ? item : undefined;
}

export async function listAccounts(rt: Runtime, org: string): Promise<AccountItem[]> {
  await organizationDirectory(rt, org);
  const items = await rt.table.queryAll<AccountItem>(orgPartition(org), { prefix: SORT_PREFIX.account });
  return items.filter((item) => item.type === 'account');
}

export function updateAccount(rt: Runtime, account: AccountItem, change: Partial<AccountInput & { active: boolean }>): Promise<AccountItem> {
  return rt.table.modify<AccountItem>(accountKeys(account.organization, account.id), (current) => ({ ...current, ...change }));
}

/** Deletes an account that has no users; the default account stays. */
export async function deleteAccount(rt: Runtime, account: AccountItem): Promise<void> {
  if (account.defaultAccount) throw conflict('The default account cannot be deleted', 'default_account');
  const users = await listAccountUsers(rt, account.organization, account.id);
  if (users.length) throw conflict(`Account ${account.id} still has ${users.length} user(s); delete them first`, 'account_has_users');
  await rt.table.delete(accountKeys(account.organization, account.id));
}

// Account users

export async function listAccountUsers(rt: Runtime, org: string, accountId?: number): Promise<AccountUserItem[]> {
  await organizationDirectory(rt, org);
  const items = await rt.table.queryAll<AccountUserItem>(orgPartition(org), { prefix: SORT_PREFIX.accountUser, consistent: true });
  return items.filter((item) => item.type === 'accountUser' && (accountId === undefined || item.accountId === accountId));
}

export async function getAccountUser(rt: Runtime, org: string, id: number): Promise<AccountUserItem | undefined> {
  await organizationDirectory(rt, org);
  const item = await rt.table.get<AccountUserItem>(accountUserKeys(org, id), { consistent: true });
  return item?.type === 'accountUser' ? item : undefined;
}

export async function findAccountUserByEmail(rt: Runtime, org: string, email: string): Promise<AccountUserItem | undefined> {
  const wanted = email.toLowerCase();
  return (await listAccountUsers(rt, org)).find((item) => item.email !== '' && item.email === wanted);
}

export interface NewAccountUser {
  email: string;
  firstName: string;
  lastName: string;
  password?: string | undefined;
  role: Role;
  accountAdmin: boolean;
}

function sealSecret(rt: Runtime, org: string, id: number): Promise<{ secret: string; sealedSecret: string; gsi1pk: string; gsi1sk: string }> {
  return rt.dataKey().then((envelope) => {
    const secret = randomSecret(32);
    return { secret, sealedSecret: envelope.encrypt(secret, secretContext(org, id)), gsi1pk: userSecretLookup(envelope.fingerprint(secret)), gsi1sk: '#USER' };
  });
}

/**
 * Creates the management user, its account user with a new user secret, and
 * its role in the organization, in that order; a failure removes what was
 * written. 409 if a user with this email exists.
 */
export async function createAccountUser(rt: Runtime, account: AccountItem, input: NewAccountUser): Promise<{ item: AccountUserItem; user: UserItem; secret: string }> {
  const org = account.organization;
  const user = await storeUser(rt, { emailId: input.email, firstName: input.firstName, lastName: input.lastName, password: input.password });
  let item: AccountUserItem | undefined;
  try {
    const id = await nextId(rt, org, 'user');
    const { secret, ...sealed } = await sealSecret(rt, org, id);
    item = await rt.table.create<AccountUserItem>({
      ...accountUserKeys(org, id),
      type: 'accountUser',
      id,
      organization: org,
      email: user.email,
      accountId: account.id,
      accountAdmin: input.accountAdmin,
      organizationUser: false,
      active: true,
      ...sealed,
    });
    await setRole(rt, org, input.role, user.email);
    forgetAccountUsers(rt);
    return { item, user, secret };
  } catch (error) {
    if (item) await rt.table.delete(accountUserKeys(org, item.id));
    await rt.table.delete(userKeys(user.email));
    throw error;
  }
}

export interface AccountUserChange {
  firstName?: string;
  lastName?: string;
  password?: string;
  active?: boolean;
  accountAdmin?: boolean;
}

export async function updateAccountUser(rt: Runtime, item: AccountUserItem, change: AccountUserChange): Promise<AccountUserItem> {
  const { active, accountAdmin, ...names } = change;
  if (item.email && Object.values(names).some((value) => value !== undefined)) await updateUser(rt, item.email, names);
  const updated =
    active === undefined && accountAdmin === undefined
      ? item
      : await rt.table.modify<AccountUserItem>(accountUserKeys(item.organization, item.id), (current) => ({
          ...current,
          ...(active !== undefined ? { active } : {}),
          ...(accountAdmin !== undefined ? { accountAdmin } : {}),
        }));
  forgetAccountUsers(rt);
  return updated;
}

/**
 * Deletes an account user: its role here, the management user when it belongs
 * to no other organization, then the account user with its secret. Each step
 * tolerates one already done, so a failed delete can be sent again.
 */
export async function deleteAccountUser(rt: Runtime, item: AccountUserItem): Promise<void> {
  if (item.organizationUser) throw conflict('The organization user cannot be deleted; it is the one the organization\'s own user secret stands for', 'organization_user');
  const org = item.organization;
  const found = await findUser(rt, item.email);
  if (found?.roles[org]) await removeRole(rt, org, found.roles[org], item.email).catch(() => undefined);
  if (found && Object.keys(found.roles).every((name) => name === org)) await deleteUser(rt, item.email).catch(() => undefined);
  await rt.table.delete(accountUserKeys(org, item.id));
  forgetAccountUsers(rt);
}

/**
 * Removes the account users of a management user that the management API
 * deleted, or took out of these organizations: their secrets stop working
 * and they leave the user lists. The organization user stays.
 */
export async function deleteAccountUsersOf(rt: Runtime, email: string, organizations: string[]): Promise<void> {
  const wanted = email.toLowerCase();
  for (const org of organizations) {
    const items = await rt.table.queryAll<AccountUserItem>(orgPartition(org), { prefix: SORT_PREFIX.accountUser, consistent: true });
    for (const item of items) {
      if (item.type === 'accountUser' && item.email === wanted && !item.organizationUser) await rt.table.delete(accountUserKeys(org, item.id));
    }
  }
  forgetAccountUsers(rt);
}

/** Gives the account user a new user secret; the old one stops working. */
export async function resetUserSecret(rt: Runtime, item: AccountUserItem): Promise<string> {
  if (item.organizationUser) {
    throw conflict('The organization user\'s secret is the organization\'s user secret; rotate it in the secret store (docs/deploy.md)', 'organization_user');
  }
  const { secret, ...sealed } = await sealSecret(rt, item.organization, item.id);
  await rt.table.modify<AccountUserItem>(accountUserKeys(item.organization, item.id), (current) => ({ ...current, ...sealed }));
  forgetAccountUsers(rt);
  return secret;
}

/** The user secret of an account user, for itself (Open Connectors shows it to the user that proves its password). */
export async function openUserSecret(rt: Runtime, item: AccountUserItem): Promise<string | undefined> {
  if (!item.sealedSecret) return undefined;
  return (await rt.dataKey()).decryptText(item.sealedSecret, secretContext(item.organization, item.id));
}

/**
 * The account user a user secret belongs to in this organization, with its
 * role there; undefined for an unknown, inactive or role-less one. Found by
 * fingerprint, then compared with the sealed copy in constant time.
 */
export async function authenticateAccountUser(rt: Runtime, org: string, secret: string): Promise<{ item: AccountUserItem; role: Role } | undefined> {
  if (secret.length < 16 || secret.length > 512) return undefined;
  const envelope = await rt.dataKey();
  const page = await rt.table.query<AccountUserItem>(userSecretLookup(envelope.fingerprint(secret)), { index: 'gsi1', limit: 2 });
  const item = page.items.find((candidate) => candidate.type === 'accountUser' && candidate.organization === org);
  if (!item?.sealedSecret || !item.active) return undefined;
  if (!safeEqual(secret, envelope.decryptText(item.sealedSecret, secretContext(org, item.id)))) return undefined;
  const role = item.email ? await roleIn(rt, org, item.email) : undefined;
  return role ? { item, role } : undefined;
}

/** The connector identity of an account user: an administrator of its account by its own role or by the account's. */
export function connectorIdentity(item: AccountUserItem, account: AccountItem | undefined): ConnectorIdentity {
  const accountAdmin = item.accountAdmin || (account?.id === item.accountId && account.roles?.includes('admin') === true);
  return { userId: item.id, accountId: item.accountId, accountAdmin, organizationUser: item.organizationUser };
}

/** Gives (or takes) a role of every user of the account. */
export function setAccountRole(rt: Runtime, account: AccountItem, key: ConnectorRoleKey, give: boolean): Promise<AccountItem> {
  return rt.table.modify<AccountItem>(accountKeys(account.organization, account.id), (current) => {
    const roles = (current.roles ?? []).filter((role) => role !== key);
    return { ...current, roles: give ? [...roles, key] : roles };
  });
}

// Roles, as Open Connectors names them

export const CONNECTOR_ROLES = [
  { id: 1, key: 'org-admin', name: 'Organization Administrator', description: 'Manages the organization: accounts, users, elements and every instance' },
  { id: 2, key: 'admin', name: 'Account Administrator', description: 'Manages its account: the account\'s users and instances' },
  { id: 3, key: 'org', name: 'Organization User', description: 'A user of the default account; manages its own instances' },
  { id: 4, key: 'user', name: 'Default User', description: 'A user of a customer account; manages its own instances' },
].map((role) => ({ ...role, active: true, features: [] as string[] }));

export type ConnectorRoleKey = 'org-admin' | 'admin' | 'org' | 'user';

/** The Open Connectors roles of an account user with this Tollgate role. */
export function connectorRoleKeys(item: AccountUserItem, role: Role | undefined, defaultAccountId: number): ConnectorRoleKey[] {
  const keys: ConnectorRoleKey[] = [];
  if (role === 'orgadmin') keys.push('org-admin');
  if (item.accountAdmin) keys.push('admin');
  keys.push(item.accountId === defaultAccountId ? 'org' : 'user');
  return keys;
}

export const connectorRoles = (keys: ConnectorRoleKey[]) => CONNECTOR_ROLES.filter((role) => keys.includes(role.key as ConnectorRoleKey));

// Views

/** An account as Open Connectors shows it. */
export function accountView(account: AccountItem) {
  return {
    id: account.id,
    name: account.name,
    description: account.description,
    externalId: account.externalId,
    active: account.active,
    defaultAccount: account.defaultAccount,
    type: account.defaultAccount ? 'Default' : 'CompanyAccount',
    createdDate: account.createdAt,
    updatedDate: account.updatedAt,
  };
}

/** A user as Open Connectors shows it; the secret only where the API hands it out (creation, reset, the user itself). */
export function accountUserView(item: AccountUserItem, user: UserItem | undefined, roleKeys: ConnectorRoleKey[], secret?: string) {
  const firstName = user?.firstName ?? (item.organizationUser ? 'Organization' : '');
  const lastName = user?.lastName ?? (item.organizationUser ? item.organization : '');
  return {
    id: item.id,
    accountId: item.accountId,
    createdDate: item.createdAt,
    updatedDate: item.updatedAt,
    firstName,
    lastName,
    fullName: `${firstName} ${lastName}`.trim(),
    email: user?.emailId ?? item.email,
    active: item.active,
    roles: connectorRoles(roleKeys),
    ...(secret !== undefined ? { secret } : {}),
    // Fields Open Connectors' clients know; Tollgate has no password expiry or locking.
    emailValid: true,
    enabled: item.active,
    accountExpired: false,
    accountLocked: false,
    credentialsExpired: false,
    accountNonExpired: true,
    accountNonLocked: true,
    credentialsNonExpired: true,
  };
}

/** What an instance shows of its owner (Open Connectors' instance `user`). */
export interface OwnerSummary {
  id: number;
  emailAddress: string;
  firstName: string;
  lastName: string;
}

function summaryCache(rt: Runtime): TtlCache<string, OwnerSummary | undefined> {
  return rt.service('auth.account-user-summaries', () => new TtlCache<string, OwnerSummary | undefined>({ ttlMs: 30_000, maxEntries: 5_000 }));
}

/** An account user as instances show it, cached briefly; undefined once the user is deleted. */
export function accountUserSummary(rt: Runtime, org: string, id: number): Promise<OwnerSummary | undefined> {
  return summaryCache(rt).get(`${org}#${id}`, async () => {
    const item = await getAccountUser(rt, org, id);
    if (!item) return undefined;
    const user = item.email ? (await findUser(rt, item.email))?.user : undefined;
    const view = accountUserView(item, user, []);
    return { id: item.id, emailAddress: view.email, firstName: view.firstName, lastName: view.lastName };
  });
}

/** Forgets this container's cached account users after one changed. */
export function forgetAccountUsers(rt: Runtime): void {
  summaryCache(rt).clear();
}

// Open Connectors' default password policy, for passwords given through the connectors API.

const SYMBOL = /[^\p{L}\p{N}\s]/u;

/** What is wrong with a password under Open Connectors' default policy; empty when nothing. */
export function passwordProblems(password: string, user: { firstName: string; lastName: string; email: string }): string[] {
  const problems: string[] = [];
  const lower = password.toLowerCase();
  const contains = (word: string) => word.length >= 3 && lower.includes(word.toLowerCase());
  if (password.length < 8) problems.push('must be at least 8 characters long');
  if (password.length > MAX_PASSWORD_LENGTH) problems.push(`must be at most ${MAX_PASSWORD_LENGTH} characters long`);
  if (!/\p{N}/u.test(password)) problems.push('must contain at least 1 numeric character');
  if (!/\p{Lu}/u.test(password)) problems.push('must contain at least 1 uppercase character');
  if (!/\p{Ll}/u.test(password)) problems.push('must contain at least 1 lowercase character');
  if (!SYMBOL.test(password)) problems.push('must contain at least 1 special character');
  if (contains(user.firstName)) problems.push('must not contain the first name');
  if (contains(user.lastName)) problems.push('must not contain the last name');
  if (contains(user.email.split('@')[0] ?? '')) problems.push('must not contain the username');
  return problems;
}
