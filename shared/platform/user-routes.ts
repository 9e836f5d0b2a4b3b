// Management users and their roles, on Apigee Edge paths:
//   /v1/users[/{email}]                                      users (global)
//   /v1/users/{email}/tokens                                 a management access token
//   /v1/organizations/{org}/userroles[/{role}/users[/{email}]]  role membership
//   /v1/organizations/{org}/users[/{email}]                  shortcut: a user with one role
//   /v1/organizations/{org}/me                               the caller's role there
//
// Users are global, so `/v1/users` routes act in no organization and decide
// here, from the caller's roles, what it may do:
// - create a user: an orgadmin of some organization (the platform header is
//   its organization's orgadmin); the new user has no role until given one;
// - read a user: the user themself, or a member of an organization the user
//   belongs to (seeing only those organizations' roles); anyone else 404;
// - delete a user: an orgadmin of every organization the user belongs to;
// - get a token: only the user themself (Basic or Bearer), never anyone else.
// Everything under `/v1/organizations/{org}` is checked by the router like any
// management route: readonly reads, orgadmin writes.
import * as z from 'zod';
import { deleteAccountUsersOf } from '../auth/accounts.js';
import { forgetUserAuthentications } from '../auth/authenticate.js';
import { issueManagementToken } from '../auth/management-tokens.js';
import type { PlatformRouter, Principal } from '../auth/principal.js';
import {
  createUser,
  deleteUser,
  emailSchema,
  findUser,
  listMembers,
  passwordSchema,
  removeRole,
  requireUser,
  ROLES,
  roleSchema,
  setRole,
  userInput,
  userView,
  type UserWithRoles,
} from '../auth/users.js';
import { jsonBody, validate } from '../http/body.js';
import { badRequest, forbidden, notFound } from '../http/errors.js';
import type { HttpRequest } from '../http/request.js';
import { created, ok } from '../http/response.js';
import type { Role } from '../http/router.js';
import type { Runtime } from '../runtime.js';

const ORG = '/v1/organizations/:org';

const memberInput = z.lazy(() => z.object({ email: emailSchema, password: passwordSchema, role: roleSchema, firstName: z.string().trim().max(255).optional(), lastName: z.string().trim().max(255).optional() }));

const tokenResponse = z.lazy(() => z.object({
  access_token: z.string().describe('Opaque (`tgm_...`); send it as `Authorization: Bearer <token>` to the management API.'),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int().describe('Seconds (1800).'),
}));

function roleParam(request: HttpRequest): Role {
  const role = request.params.role!;
  if (!(ROLES as readonly string[]).includes(role)) throw notFound(`Role ${role} does not exist; roles: ${ROLES.join(', ')}`, 'role_not_found');
  return role as Role;
}

const isAdminSomewhere = (principal: Principal) => Object.values(principal.roles).includes('orgadmin');

/** The target's roles the caller may see: all of them for the user themself, else those of organizations the caller belongs to. */
function visibleRoles(principal: Principal, target: UserWithRoles): Record<string, Role> | undefined {
  if (principal.user === target.user.email) return target.roles;
  const shared = Object.entries(target.roles).filter(([org]) => Object.hasOwn(principal.roles, org));
  return shared.length ? Object.fromEntries(shared) : undefined;
}

async function visibleUser(rt: Runtime, principal: Principal, email: string) {
  const target = await findUser(rt, email);
  const roles = target && visibleRoles(principal, target);
  // Users the caller has nothing to do with do not exist for it.
  if (!target || !roles) throw notFound(`User ${email} not found`, 'user_not_found');
  return { target, roles };
}

function changed<T>(rt: Runtime, value: T): T {
  forgetUserAuthentications(rt);
  return value;
}

export function registerUserRoutes(router: PlatformRouter): void {
  const users = router.group({ tag: 'Management users', scope: 'global' });
  users.post(
    '/v1/users',
    {
      operationId: 'createUser',
      summary: 'Create a management user',
      description: 'Apigee\'s payload. The caller must be an orgadmin of some organization; the user has no role until one is given (`userroles`).',
      body: userInput,
      responses: { 201: 'The user.' },
    },
    async (request, rt, principal) => {
      if (!isAdminSomewhere(principal)) throw forbidden('Only an orgadmin may create users', 'insufficient_role');
      const user = await createUser(rt, jsonBody(request, userInput));
      return created(userView(user, {}));
    },
  );
  users.get('/v1/users', { operationId: 'listUsers', summary: 'List the users of the caller\'s organizations' }, async (_request, rt, principal) => {
    const emails = new Set<string>();
    for (const org of Object.keys(principal.roles)) for (const member of await listMembers(rt, org)) emails.add(member.email);
    if (principal.user) emails.add(principal.user);
    return ok({ user: [...emails].sort().map((name) => ({ name })) });
  });
  users.get('/v1/users/:email', { operationId: 'getUser', summary: 'Get a management user', description: 'Visible to the user and to members of its organizations.' }, async (request, rt, principal) => {
    const { target, roles } = await visibleUser(rt, principal, request.params.email!);
    return ok(userView(target.user, roles));
  });
  users.delete(
    '/v1/users/:email',
    { operationId: 'deleteUser', summary: 'Delete a management user', description: 'The caller must be an orgadmin of every organization the user belongs to. The user\'s tokens stop working.' },
    async (request, rt, principal) => {
      const { target, roles } = await visibleUser(rt, principal, request.params.email!).catch(async (error: unknown) => {
        // A user without any role is visible to no one but itself; any orgadmin may remove it.
        const found = await findUser(rt, request.params.email!);
        if (found && Object.keys(found.roles).length === 0 && isAdminSomewhere(principal)) return { target: found, roles: {} };
        throw error;
      });
      const foreign = Object.keys(target.roles).filter((org) => principal.roles[org] !== 'orgadmin');
      if (foreign.length || (Object.keys(roles).length === 0 && !isAdminSomewhere(principal))) {
        throw forbidden('Only an orgadmin of every organization the user belongs to may delete it', 'insufficient_role');
      }
      const user = await deleteUser(rt, target.user.email);
      await deleteAccountUsersOf(rt, user.email, Object.keys(target.roles));
      return changed(rt, ok(userView(user, {})));
    },
  );
  users.post(
    '/v1/users/:email/tokens',
    {
      operationId: 'createManagementToken',
      summary: 'Get a management access token',
      description: 'Authenticated as that user (Basic with its email and password, or a token of its own). The token carries the user\'s roles as they are at each call.',
      responses: { 200: { description: 'The token (`Cache-Control: no-store`).', schema: tokenResponse } },
    },
    async (request, rt, principal) => {
      const email = request.params.email!.toLowerCase();
      if (principal.user !== email) throw forbidden('A management token is issued only to the user itself: authenticate as that user', 'not_token_owner');
      const { user } = await requireUser(rt, email);
      return ok(await issueManagementToken(rt, user), { 'cache-control': 'no-store', pragma: 'no-cache' });
    },
  );

  const roles = router.group({ tag: 'Management users' });
  roles.get(
    `${ORG}/me`,
    { operationId: 'getCaller', summary: 'The caller in the organization', description: 'Its role there (what the console offers follows it) and, for a management user, its email.' },
    async (_request, _rt, principal) => ok({ organization: principal.organization, role: principal.role, ...(principal.user ? { email: principal.user } : {}) }),
  );
  roles.get(`${ORG}/userroles`, { operationId: 'listUserRoles', summary: 'List the roles of an organization' }, async () => ok([...ROLES]));
  roles.get(`${ORG}/userroles/:role/users`, { operationId: 'listRoleUsers', summary: 'List the users with a role' }, async (request, rt, { organization }) => {
    const members = await listMembers(rt, organization, roleParam(request));
    return ok(members.map((member) => member.email));
  });
  roles.post(
    `${ORG}/userroles/:role/users`,
    {
      operationId: 'addRoleUser',
      summary: 'Give a user a role',
      description: 'Apigee\'s form: the email in `id`. A user has one role per organization; this one replaces the one it had.',
      query: { id: { description: 'The user\'s email.', required: true } },
      bodyOptional: true,
    },
    async (request, rt, { organization }) => {
      const role = roleParam(request);
      const email = request.query.get('id');
      if (!email) throw badRequest('The user\'s email is required in id', 'missing_id');
      validate(emailSchema, email, 'id');
      await setRole(rt, organization, role, email);
      return changed(rt, ok({ user: [{ name: email.toLowerCase() }] }));
    },
  );
  roles.delete(`${ORG}/userroles/:role/users/:email`, { operationId: 'removeRoleUser', summary: 'Take a role from a user' }, async (request, rt, { organization }) => {
    const role = roleParam(request);
    await removeRole(rt, organization, role, request.params.email!);
    return changed(rt, ok({ name: role, user: [{ name: request.params.email!.toLowerCase() }] }));
  });

  roles.post(
    `${ORG}/users`,
    {
      operationId: 'createMember',
      summary: 'Create a user with a role in this organization',
      description: 'A shortcut for `POST /v1/users` and then `userroles/{role}/users`. 409 if the user exists (give it a role through `userroles`).',
      body: memberInput,
      responses: { 201: 'The user with its role here.' },
    },
    async (request, rt, { organization }) => {
      const input = jsonBody(request, memberInput);
      const user = await createUser(rt, { emailId: input.email, password: input.password, firstName: input.firstName ?? '', lastName: input.lastName ?? '' });
      await setRole(rt, organization, input.role, user.email);
      return changed(rt, created(userView(user, { [organization]: input.role })));
    },
  );
  roles.get(`${ORG}/users`, { operationId: 'listMembers', summary: 'List the organization\'s users and their roles' }, async (_request, rt, { organization }) =>
    ok((await listMembers(rt, organization)).map((member) => ({ emailId: member.email, role: member.role }))),
  );
  const member = async (rt: Runtime, organization: string, email: string) => {
    const found = await findUser(rt, email);
    if (!found || !found.roles[organization]) throw notFound(`User ${email} is not a member of ${organization}`, 'user_not_found');
    return found;
  };
  roles.get(`${ORG}/users/:email`, { operationId: 'getMember', summary: 'Get a user of the organization' }, async (request, rt, { organization }) => {
    const found = await member(rt, organization, request.params.email!);
    return ok(userView(found.user, { [organization]: found.roles[organization]! }));
  });
  roles.delete(
    `${ORG}/users/:email`,
    { operationId: 'deleteMember', summary: 'Remove a user from the organization', description: 'A user left without any organization is deleted.' },
    async (request, rt, { organization }) => {
      const found = await member(rt, organization, request.params.email!);
      await removeRole(rt, organization, found.roles[organization]!, found.user.email);
      if (Object.keys(found.roles).length === 1) await deleteUser(rt, found.user.email);
      await deleteAccountUsersOf(rt, found.user.email, [organization]);
      return changed(rt, ok(userView(found.user, {})));
    },
  );
}
