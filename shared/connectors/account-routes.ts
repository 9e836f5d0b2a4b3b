// Accounts and users on Open Connectors paths: the organization > accounts >
// users model over the management users (shared/auth/accounts.ts).
//   /accounts[/{id}]                                 accounts (organization administrators)
//   /accounts/{id}/roles[/{key}]                     roles every user of an account has
//   /accounts/{id}/users[/{emailOrId}]               an account's users, each with its own user secret
//   /accounts/instances, /accounts/{id}/instances    an account's instances (for its administrators)
//   /organizations/users[/{emailOrId}]               the users of the default account
//   /users[/{emailOrId}], /users/{id}/roles[/{key}]  the users the caller may see; their roles
//   /authentication/user-secret-reset                the caller's own new user secret
// The router lets account users in; the handlers decide: an organization
// administrator may do everything, an account administrator manage its
// account's users and instances, a user read and change itself. A user the
// caller may not see is a 404, never a hint that it exists. With an `Element`
// token these paths are the vendor's (a CRM's accounts, a directory's users),
// as in Open Connectors. Payload errors are 400, as Open Connectors answers them.
import * as z from 'zod';
import {
  accountUserView,
  accountView,
  CONNECTOR_ROLES,
  connectorRoleKeys,
  connectorRoles,
  createAccount,
  createAccountUser,
  deleteAccount,
  deleteAccountUser,
  findAccountUserByEmail,
  getAccountUser,
  listAccounts,
  listAccountUsers,
  openUserSecret,
  organizationDirectory,
  passwordProblems,
  requireAccount,
  resetUserSecret,
  setAccountRole,
  updateAccount,
  updateAccountUser,
  type AccountItem,
  type AccountUserItem,
  type ConnectorRoleKey,
} from '../auth/accounts.js';
import { forgetUserAuthentications } from '../auth/authenticate.js';
import { MAX_PASSWORD_LENGTH } from '../auth/passwords.js';
import type { PlatformRouter, Principal } from '../auth/principal.js';
import { checkPassword, emailSchema, findUser, setRole } from '../auth/users.js';
import { readJson, zodProblems } from '../http/body.js';
import { badRequest, conflict, forbidden, HttpError, notFound } from '../http/errors.js';
import type { HttpRequest } from '../http/request.js';
import { ok, type HttpResponse } from '../http/response.js';
import type { Role, RouteDoc, RouteHandler } from '../http/router.js';
import type { Runtime } from '../runtime.js';
import { BASE, listHeaders } from './http.js';
import { listInstancesAnswer } from './instance-routes.js';
import { proxyResourceCall } from './resource-proxy.js';

const names = {
  firstName: z.string().trim().min(1).max(255),
  lastName: z.string().trim().min(1).max(255),
};
const password = z.string().min(1).max(MAX_PASSWORD_LENGTH);
const roleRefs = z.lazy(() => z.array(z.object({ key: z.string().min(1).max(50) })).max(10));

/** `POST /accounts/{id}/users`, `POST /organizations/users`. */
const userCreate = z.lazy(() => z.object({ email: emailSchema, ...names, password: password.optional(), roles: roleRefs.optional() }));
/** `PATCH /users/{id}`: the user as read back, every key optional; read-only keys are ignored. */
const userChange = z.lazy(() => z.object({
  email: emailSchema.optional(),
  firstName: names.firstName.optional(),
  lastName: names.lastName.optional(),
  password: password.optional(),
  active: z.boolean().optional(),
  roles: roleRefs.optional(),
}));
const accountCreate = z.lazy(() => z.object({
  name: z.string().trim().min(1).max(200).optional(),
  description: z.string().trim().max(2000).default(''),
  externalId: z.string().trim().min(1).max(255),
}));
const accountChange = z.lazy(() => z.object({
  name: z.string().trim().min(1).max(200).optional(),
  description: z.string().trim().max(2000).optional(),
  externalId: z.string().trim().min(1).max(255).optional(),
  active: z.boolean().optional(),
}));

/** A JSON body checked with Open Connectors' 400 (an empty body is `{}`). */
function body<S extends z.ZodType>(request: HttpRequest, schema: S, what: string): z.output<S> {
  const result = schema.safeParse(request.body.length === 0 ? {} : readJson(request));
  if (result.success) return result.data;
  const fields = zodProblems(result.error);
  throw new HttpError(400, 'validation_failed', `${what} is invalid: ${fields.map((f) => `${f.path}: ${f.message}`).join('; ')}`, { fields });
}

function checkPasswordPolicy(value: string, user: { firstName: string; lastName: string; email: string }): void {
  const problems = passwordProblems(value, user);
  if (problems.length) {
    throw new HttpError(400, 'password_policy', `The password ${problems.join('; ')}`, { fields: problems.map((message) => ({ path: 'password', message })) });
  }
}

/**
 * Open Connectors' `where` on these lists, as far as they need it: `field =
 * 'value'` clauses joined by AND. Scanned once, left to right.
 */
export function parseEqualities(where: string): [string, string][] {
  const refuse = () => badRequest("where supports field = 'value' clauses joined by AND here", 'unsupported_where');
  if (where.length > 1000) throw refuse();
  const clauses: [string, string][] = [];
  let i = 0;
  const skipSpaces = () => {
    while (where[i] === ' ') i++;
  };
  for (;;) {
    skipSpaces();
    const start = i;
    while (i < where.length && /[A-Za-z0-9_.]/.test(where[i]!)) i++;
    const field = where.slice(start, i);
    skipSpaces();
    if (!field || where[i] !== '=') throw refuse();
    i++;
    skipSpaces();
    let value = '';
    if (where[i] === "'") {
      for (i++; ; i++) {
        if (i >= where.length) throw refuse();
        if (where[i] === "'") {
          if (where[i + 1] !== "'") break;
          i++;
        }
        value += where[i];
      }
      i++;
    } else {
      const valueStart = i;
      while (i < where.length && where[i] !== ' ') i++;
      value = where.slice(valueStart, i);
      if (!value) throw refuse();
    }
    clauses.push([field, value]);
    skipSpaces();
    if (i >= where.length) return clauses;
    if (where.slice(i, i + 4).toLowerCase() !== 'and ') throw refuse();
    i += 4;
  }
}

/** Keeps the records the request's `where` selects. */
function selected<T extends Record<string, unknown>>(request: HttpRequest, records: T[]): T[] {
  const where = request.query.get('where');
  if (!where) return records;
  const clauses = parseEqualities(where);
  return records.filter((record) => clauses.every(([field, value]) => record[field] !== undefined && record[field] !== null && String(record[field]) === value));
}

const listAnswer = (records: unknown[]) => ok(records, listHeaders(records.length, undefined, records.length));

// Who may do what

const isOrgAdmin = (principal: Principal) => principal.role === 'orgadmin';
/** An administrator of the organization, or of this account. */
const administers = (principal: Principal, accountId: number) =>
  isOrgAdmin(principal) || (principal.connector?.accountAdmin === true && principal.connector.accountId === accountId);
const isSelf = (principal: Principal, item: AccountUserItem) => principal.connector?.userId === item.id;
const canSee = (principal: Principal, item: AccountUserItem) => isSelf(principal, item) || administers(principal, item.accountId);

function numericId(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,10}$/.test(value) ? Number(value) : undefined;
}

/** The user `ref` (id or email) names, if the caller may see it (and, with `accountId`, it is in that account); 404 otherwise. */
async function visibleUser(rt: Runtime, principal: Principal, ref: string, accountId?: number): Promise<AccountUserItem> {
  const id = numericId(ref);
  const item =
    id !== undefined ? await getAccountUser(rt, principal.organization, id) : ref.includes('@') ? await findAccountUserByEmail(rt, principal.organization, ref) : undefined;
  if (!item || !canSee(principal, item) || (accountId !== undefined && item.accountId !== accountId)) throw notFound(`User ${ref} not found`, 'user_not_found');
  return item;
}

/** The account `ref` names, if the caller is an organization administrator or belongs to it; 404 otherwise. */
async function visibleAccount(rt: Runtime, principal: Principal, ref: string | undefined): Promise<AccountItem> {
  const id = numericId(ref);
  if (id === undefined) throw notFound(`Account ${ref ?? ''} not found`, 'account_not_found');
  const account = await requireAccount(rt, principal.organization, id);
  if (!isOrgAdmin(principal) && principal.connector?.accountId !== account.id) throw notFound(`Account ${id} not found`, 'account_not_found');
  return account;
}

function requireAdministrator(principal: Principal, accountId: number): void {
  if (!administers(principal, accountId)) throw forbidden('Only an administrator of the account or of the organization may do this', 'insufficient_role');
}

/** The user as Open Connectors shows it, with its roles. */
async function userAnswer(rt: Runtime, item: AccountUserItem, secret?: string) {
  const found = item.email ? await findUser(rt, item.email) : undefined;
  const role = found?.roles[item.organization] ?? (item.organizationUser ? 'orgadmin' : undefined);
  const { defaultAccountId } = await organizationDirectory(rt, item.organization);
  return accountUserView(item, found?.user, connectorRoleKeys(item, role, defaultAccountId), secret);
}

const secretHeaders = { 'cache-control': 'no-store', pragma: 'no-cache' };

// Roles

const ASSIGNABLE: ConnectorRoleKey[] = ['org-admin', 'admin'];

/** A role key of the path or payload: 400 for an unknown one, 403 for Open Connectors' own system role. */
function roleKey(key: string): ConnectorRoleKey {
  if (key === 'sys-admin') throw forbidden('The sys-admin role is Open Connectors\' own; no one here may grant it', 'insufficient_role');
  if (!CONNECTOR_ROLES.some((role) => role.key === key)) {
    throw badRequest(`Role ${key} does not exist; roles: ${CONNECTOR_ROLES.map((role) => role.key).join(', ')}`, 'role_not_found');
  }
  return key as ConnectorRoleKey;
}

/** Checks that the caller may grant these roles to a user of the account; the Tollgate role and account-admin flag they mean. */
async function grantable(rt: Runtime, principal: Principal, account: { id: number }, keys: ConnectorRoleKey[]): Promise<{ role: Role; accountAdmin: boolean }> {
  const { defaultAccountId } = await organizationDirectory(rt, principal.organization);
  if (keys.includes('org-admin')) {
    if (!isOrgAdmin(principal)) throw forbidden('Only an organization administrator may grant org-admin', 'insufficient_role');
    if (account.id !== defaultAccountId) throw badRequest('Only users of the default account can be organization administrators', 'role_not_assignable');
  }
  if (keys.includes('admin')) requireAdministrator(principal, account.id);
  return { role: keys.includes('org-admin') ? 'orgadmin' : 'connectoruser', accountAdmin: keys.includes('admin') };
}

async function currentRoleKeys(rt: Runtime, item: AccountUserItem): Promise<ConnectorRoleKey[]> {
  const found = item.email ? await findUser(rt, item.email) : undefined;
  const role = found?.roles[item.organization] ?? (item.organizationUser ? 'orgadmin' : undefined);
  return connectorRoleKeys(item, role, (await organizationDirectory(rt, item.organization)).defaultAccountId);
}

/** Gives or takes one role of a user other than the caller. */
async function changeRole(rt: Runtime, request: HttpRequest, principal: Principal, give: boolean): Promise<HttpResponse> {
  const key = roleKey(request.params.key!);
  if (!ASSIGNABLE.includes(key)) throw badRequest(`The ${key} role comes with the user's account; assignable roles: ${ASSIGNABLE.join(', ')}`, 'role_not_assignable');
  const item = await visibleUser(rt, principal, request.params.id!);
  if (isSelf(principal, item)) throw forbidden('A user cannot change its own roles', 'insufficient_role');
  if (item.organizationUser) throw conflict('The organization user\'s roles do not change', 'organization_user');
  const keys = await currentRoleKeys(rt, item);
  if (give === keys.includes(key)) {
    throw give ? conflict(`User ${item.id} already has the ${key} role`, 'role_exists') : notFound(`User ${item.id} does not have the ${key} role`, 'user_role_not_found');
  }
  // Taking a role needs what giving it needs.
  await grantable(rt, principal, { id: item.accountId }, [key]);
  if (key === 'admin') await updateAccountUser(rt, item, { accountAdmin: give });
  else await setRole(rt, principal.organization, give ? 'orgadmin' : 'connectoruser', item.email);
  forgetUserAuthentications(rt);
  return ok(give ? connectorRoles([key])[0] : connectorRoles(keys.filter((existing) => existing !== key)));
}

/** Gives or takes a role of every user of an account: `admin` only, by an organization administrator. */
async function changeAccountRole(rt: Runtime, request: HttpRequest, principal: Principal, give: boolean): Promise<HttpResponse> {
  const key = roleKey(request.params.key!);
  const account = await visibleAccount(rt, principal, request.params.id);
  if (!isOrgAdmin(principal)) throw forbidden('Only an organization administrator may change the roles of an account', 'insufficient_role');
  if (key !== 'admin') throw badRequest(`Only the admin role can be given to a whole account, not ${key}`, 'role_not_assignable');
  const had = account.roles ?? [];
  if (!give && !had.includes(key)) throw notFound(`Account ${account.id} does not have the ${key} role`, 'account_role_not_found');
  const updated = give === had.includes(key) ? account : await setAccountRole(rt, account, key, give);
  forgetUserAuthentications(rt);
  return ok(give ? connectorRoles([key])[0] : connectorRoles(updated.roles ?? []));
}

// Users

async function createUserIn(rt: Runtime, request: HttpRequest, principal: Principal, account: AccountItem): Promise<HttpResponse> {
  requireAdministrator(principal, account.id);
  const input = body(request, userCreate, 'User');
  if (input.password !== undefined) checkPasswordPolicy(input.password, input);
  const keys = (input.roles ?? []).map((role) => roleKey(role.key)).filter((key) => ASSIGNABLE.includes(key));
  const granted = await grantable(rt, principal, account, keys);
  const { item, user, secret } = await createAccountUser(rt, account, { ...input, ...granted });
  forgetUserAuthentications(rt);
  const { defaultAccountId } = await organizationDirectory(rt, account.organization);
  // The secret is shown here, and again only to the user with its password (GET /users/{id}) or after a reset.
  return ok(accountUserView(item, user, connectorRoleKeys(item, granted.role, defaultAccountId), secret), secretHeaders);
}

async function readUser(rt: Runtime, request: HttpRequest, principal: Principal, item: AccountUserItem): Promise<HttpResponse> {
  const given = request.headers['elements-user-password'];
  if (given === undefined) return ok(await userAnswer(rt, item));
  // Open Connectors hands the user secret to whoever proves the user's password.
  if (!item.email || !(await checkPassword(rt, item.email, given))) throw forbidden('The elements-user-password header does not match the user\'s password', 'invalid_password');
  return ok(await userAnswer(rt, item, await openUserSecret(rt, item)), secretHeaders);
}

async function patchUser(rt: Runtime, request: HttpRequest, principal: Principal, item: AccountUserItem): Promise<HttpResponse> {
  const change = body(request, userChange, 'User');
  if (change.email !== undefined && change.email.toLowerCase() !== item.email) {
    throw badRequest('A user\'s email does not change; create a user with the new email instead', 'email_immutable');
  }
  const admin = administers(principal, item.accountId) && !isSelf(principal, item);
  const current = await userAnswer(rt, item);
  // `roles` replaces the assignable roles (org-admin, admin); the account's own role stays.
  const wanted = change.roles?.map((role) => roleKey(role.key)).filter((key) => ASSIGNABLE.includes(key));
  const had = current.roles.map((role) => role.key as ConnectorRoleKey);
  const changedRoles = wanted ? ASSIGNABLE.filter((key) => wanted.includes(key) !== had.includes(key)) : [];
  const rolesChange = changedRoles.length > 0;
  if ((change.active !== undefined && change.active !== item.active) || rolesChange) {
    if (!admin) throw forbidden('Only an administrator may change a user\'s roles or whether it is active', 'insufficient_role');
    if (item.organizationUser) throw conflict('The organization user stays active with its roles', 'organization_user');
  }
  if (change.password !== undefined) {
    checkPasswordPolicy(change.password, { firstName: change.firstName ?? current.firstName, lastName: change.lastName ?? current.lastName, email: item.email });
  }
  // Each role given or taken needs what giving it needs.
  if (rolesChange) await grantable(rt, principal, { id: item.accountId }, changedRoles);
  const granted = rolesChange ? { role: (wanted!.includes('org-admin') ? 'orgadmin' : 'connectoruser') as Role, accountAdmin: wanted!.includes('admin') } : undefined;
  const updated = await updateAccountUser(rt, item, {
    ...(change.firstName !== undefined ? { firstName: change.firstName } : {}),
    ...(change.lastName !== undefined ? { lastName: change.lastName } : {}),
    ...(change.password !== undefined ? { password: change.password } : {}),
    ...(change.active !== undefined ? { active: change.active } : {}),
    ...(granted ? { accountAdmin: granted.accountAdmin } : {}),
  });
  if (granted) await setRole(rt, principal.organization, granted.role, item.email);
  forgetUserAuthentications(rt);
  return ok(await userAnswer(rt, updated));
}

async function removeUser(rt: Runtime, principal: Principal, item: AccountUserItem): Promise<HttpResponse> {
  if (isSelf(principal, item)) throw forbidden('A user cannot delete itself', 'insufficient_role');
  requireAdministrator(principal, item.accountId);
  await deleteAccountUser(rt, item);
  forgetUserAuthentications(rt);
  return { status: 200 };
}

async function listUsersAnswer(rt: Runtime, request: HttpRequest, principal: Principal, accountId?: number): Promise<HttpResponse> {
  const items = (await listAccountUsers(rt, principal.organization, accountId)).filter((item) => canSee(principal, item));
  return listAnswer(selected(request, await Promise.all(items.map((item) => userAnswer(rt, item)))));
}

const ACCOUNT_DOC = { description: 'An account groups users and their instances, typically one per customer; the organization has a default account.' };
const USER_DOC = {
  description:
    'A user is a management user of the organization with its own user secret (`User <secret>, Organization <organization secret>`) and its own instances. ' +
    'Roles: `org-admin` (Tollgate role `orgadmin`), `admin` (administers its account), `org` and `user` (`connectoruser`: its own instances).',
};

export function registerAccountRoutes(router: PlatformRouter): void {
  // Account users are let in; each handler checks what the caller may see and change.
  const routes = router.group({ tag: 'Accounts and users', userAccess: 'own' });
  /** With an Element token the path is the vendor's resource, as every other path under /elements/api-v2. */
  const platformOnly =
    (handler: RouteHandler<Runtime, Principal>): RouteHandler<Runtime, Principal> =>
    (request, rt, principal) =>
      principal.element !== undefined ? proxyResourceCall(rt, request, principal) : handler(request, rt, principal);
  const on = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, doc: RouteDoc, handler: RouteHandler<Runtime, Principal>) =>
    routes.on(method, `${BASE}${path}`, doc, platformOnly(handler));

  // Instances of an account, before /accounts/:id takes `instances` for an id.
  on('GET', '/accounts/instances', { operationId: 'listAccountInstances', access: 'secret', summary: 'The instances of the caller\'s account', description: 'For an administrator of the account or the organization; any other user sees its own.' }, async (request, rt, principal) => {
    const me = principal.connector;
    return listInstancesAnswer(request, rt, principal, me && administers(principal, me.accountId) ? me.accountId : undefined);
  });

  on('POST', '/accounts', { ...ACCOUNT_DOC, operationId: 'createAccount', summary: 'Create an account', body: accountCreate }, async (request, rt, principal) => {
    if (!isOrgAdmin(principal)) throw forbidden('Only an organization administrator may create accounts', 'insufficient_role');
    const input = body(request, accountCreate, 'Account');
    return ok(accountView(await createAccount(rt, principal.organization, { ...input, name: input.name ?? input.externalId })));
  });
  on('GET', '/accounts', { ...ACCOUNT_DOC, operationId: 'listAccounts', summary: 'List accounts', description: 'All accounts for an organization administrator, the caller\'s own for anyone else. `where`: `field = \'value\'` clauses joined by AND.' }, async (request, rt, principal) => {
    const accounts = (await listAccounts(rt, principal.organization)).filter((account) => isOrgAdmin(principal) || account.id === principal.connector?.accountId);
    return listAnswer(selected(request, accounts.map(accountView)));
  });
  on('GET', '/accounts/:id', { operationId: 'getAccount', summary: 'Get an account' }, async (request, rt, principal) => ok(accountView(await visibleAccount(rt, principal, request.params.id))));
  on('PATCH', '/accounts/:id', { operationId: 'updateAccount', summary: 'Update an account', body: accountChange }, async (request, rt, principal) => {
    const account = await visibleAccount(rt, principal, request.params.id);
    if (!isOrgAdmin(principal)) throw forbidden('Only an organization administrator may change accounts', 'insufficient_role');
    const change = body(request, accountChange, 'Account');
    if (account.defaultAccount && change.active === false) throw conflict('The default account stays active', 'default_account');
    return ok(accountView(await updateAccount(rt, account, change)));
  });
  on('DELETE', '/accounts/:id', { operationId: 'deleteAccount', summary: 'Delete an account without users', responses: { 200: 'Deleted.' } }, async (request, rt, principal) => {
    const account = await visibleAccount(rt, principal, request.params.id);
    if (!isOrgAdmin(principal)) throw forbidden('Only an organization administrator may delete accounts', 'insufficient_role');
    await deleteAccount(rt, account);
    return { status: 200 };
  });
  on('GET', '/accounts/:id/instances', { operationId: 'listInstancesOfAccount', access: 'secret', summary: 'The instances of an account', description: 'For an administrator of the account or the organization.' }, async (request, rt, principal) => {
    const account = await visibleAccount(rt, principal, request.params.id);
    requireAdministrator(principal, account.id);
    return listInstancesAnswer(request, rt, principal, account.id);
  });

  on('GET', '/accounts/:id/roles', { operationId: 'listAccountRoles', summary: 'The roles every user of an account has' }, async (request, rt, principal) =>
    ok(connectorRoles((await visibleAccount(rt, principal, request.params.id)).roles ?? [])),
  );
  on('PUT', '/accounts/:id/roles/:key', { operationId: 'addAccountRole', summary: 'Give every user of an account a role', description: '`admin`: each user administers the account (its users and instances). Organization administrators only.', bodyOptional: true }, (request, rt, principal) =>
    changeAccountRole(rt, request, principal, true),
  );
  on('DELETE', '/accounts/:id/roles/:key', { operationId: 'removeAccountRole', summary: 'Take an account\'s role from its users' }, (request, rt, principal) => changeAccountRole(rt, request, principal, false));
  on('GET', '/accounts/:id/users', { ...USER_DOC, operationId: 'listAccountUsers', summary: 'List an account\'s users' }, async (request, rt, principal) => {
    const account = await visibleAccount(rt, principal, request.params.id);
    return listUsersAnswer(rt, request, principal, account.id);
  });
  on('POST', '/accounts/:id/users', { ...USER_DOC, operationId: 'createAccountUser', summary: 'Create a user in an account', body: userCreate, responses: { 200: 'The user with its `secret`, shown this once.' } }, async (request, rt, principal) =>
    createUserIn(rt, request, principal, await visibleAccount(rt, principal, request.params.id)),
  );
  const accountUser = async (rt: Runtime, request: HttpRequest, principal: Principal) => {
    const account = await visibleAccount(rt, principal, request.params.id);
    return visibleUser(rt, principal, request.params.user!, account.id);
  };
  on('GET', '/accounts/:id/users/:user', { operationId: 'getAccountUser', summary: 'Get a user of an account by id or email' }, async (request, rt, principal) => readUser(rt, request, principal, await accountUser(rt, request, principal)));
  on('PATCH', '/accounts/:id/users/:user', { operationId: 'updateAccountUser', summary: 'Update a user of an account', body: userChange }, async (request, rt, principal) => patchUser(rt, request, principal, await accountUser(rt, request, principal)));
  on('DELETE', '/accounts/:id/users/:user', { operationId: 'deleteAccountUser', summary: 'Delete a user of an account', responses: { 200: 'Deleted.' } }, async (request, rt, principal) => removeUser(rt, principal, await accountUser(rt, request, principal)));

  // The default account's users.
  const defaultAccount = async (rt: Runtime, principal: Principal) => requireAccount(rt, principal.organization, (await organizationDirectory(rt, principal.organization)).defaultAccountId);
  on('GET', '/organizations/users', { ...USER_DOC, operationId: 'listOrganizationUsers', summary: 'List the users of the default account' }, async (request, rt, principal) =>
    listUsersAnswer(rt, request, principal, (await defaultAccount(rt, principal)).id),
  );
  on('POST', '/organizations/users', { ...USER_DOC, operationId: 'createOrganizationUser', summary: 'Create a user in the default account', body: userCreate, responses: { 200: 'The user with its `secret`, shown this once.' } }, async (request, rt, principal) =>
    createUserIn(rt, request, principal, await defaultAccount(rt, principal)),
  );
  const organizationUser = async (rt: Runtime, request: HttpRequest, principal: Principal) => visibleUser(rt, principal, request.params.user!, (await defaultAccount(rt, principal)).id);
  on('GET', '/organizations/users/:user', { operationId: 'getOrganizationUser', summary: 'Get a user of the default account by id or email' }, async (request, rt, principal) => readUser(rt, request, principal, await organizationUser(rt, request, principal)));
  on('PATCH', '/organizations/users/:user', { operationId: 'updateOrganizationUser', summary: 'Update a user of the default account', body: userChange }, async (request, rt, principal) => patchUser(rt, request, principal, await organizationUser(rt, request, principal)));
  on('DELETE', '/organizations/users/:user', { operationId: 'deleteOrganizationUser', summary: 'Delete a user of the default account', responses: { 200: 'Deleted.' } }, async (request, rt, principal) => removeUser(rt, principal, await organizationUser(rt, request, principal)));

  // Every user the caller may see.
  on('GET', '/users', { ...USER_DOC, operationId: 'listUsers', summary: 'List the users the caller may see', description: 'Every user for an organization administrator, an account\'s for its administrator, itself for anyone else.' }, async (request, rt, principal) =>
    listUsersAnswer(rt, request, principal),
  );
  on('GET', '/users/:user', { operationId: 'getConnectorUser', summary: 'Get a user by id or email', description: 'With `elements-user-password` (the user\'s password) the answer carries its `secret`.' }, async (request, rt, principal) =>
    readUser(rt, request, principal, await visibleUser(rt, principal, request.params.user!)),
  );
  on('PATCH', '/users/:user', { operationId: 'updateConnectorUser', summary: 'Update a user', description: 'Names and password: the user itself or an administrator; `active` and `roles`: an administrator. The email does not change.', body: userChange }, async (request, rt, principal) =>
    patchUser(rt, request, principal, await visibleUser(rt, principal, request.params.user!)),
  );
  on('DELETE', '/users/:user', { operationId: 'deleteConnectorUser', summary: 'Delete a user', description: 'Its user secret stops working; its instances stay, for the administrators.', responses: { 200: 'Deleted.' } }, async (request, rt, principal) =>
    removeUser(rt, principal, await visibleUser(rt, principal, request.params.user!)),
  );
  on('GET', '/users/:id/roles', { operationId: 'listConnectorUserRoles', summary: 'A user\'s roles' }, async (request, rt, principal) =>
    ok(connectorRoles(await currentRoleKeys(rt, await visibleUser(rt, principal, request.params.id!)))),
  );
  on('PUT', '/users/:id/roles/:key', { operationId: 'addConnectorUserRole', summary: 'Give a user a role', description: '`org-admin` (organization administrators only, users of the default account) or `admin` (administers the user\'s account).', bodyOptional: true }, (request, rt, principal) =>
    changeRole(rt, request, principal, true),
  );
  on('DELETE', '/users/:id/roles/:key', { operationId: 'removeConnectorUserRole', summary: 'Take a role from a user' }, (request, rt, principal) => changeRole(rt, request, principal, false));

  on('POST', '/authentication/user-secret-reset', { operationId: 'resetUserSecret', summary: 'Give the caller a new user secret', description: 'The old secret stops working at once in this container and within 30 s everywhere. The organization user\'s secret is rotated in the secret store instead.', bodyOptional: true, responses: { 200: 'The user with its new `secret`.' } }, async (_request, rt, principal) => {
    const me = principal.connector && (await getAccountUser(rt, principal.organization, principal.connector.userId));
    if (!me) throw notFound('No account user for these credentials', 'user_not_found');
    const secret = await resetUserSecret(rt, me);
    forgetUserAuthentications(rt);
    return ok(await userAnswer(rt, me, secret), secretHeaders);
  });
}
