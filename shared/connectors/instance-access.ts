// Whose an instance is, and who may see and use it, as Open Connectors has it:
// an instance belongs to the user whose user secret created it; that user sees
// and uses it, and so does the administrator of that user's account and an
// administrator of the organization. Lists show the caller's own instances
// unless it asks for its account's (`/accounts/instances`, `/accounts/{id}/instances`).
// Instances made before instances had owners are the organization user's.
import { accountUserSummary, organizationDirectory, type OwnerSummary } from '../auth/accounts.js';
import type { ConnectorIdentity, Principal } from '../auth/principal.js';
import { notFound, unauthorized } from '../http/errors.js';
import type { HttpRequest } from '../http/request.js';
import type { Runtime } from '../runtime.js';
import { requireElement } from './catalog.js';
import { findInstanceByToken, getInstance, type InstanceItem, type InstanceOwner } from './instances.js';

/** The owner an instance created by this caller gets. */
export function ownerFor(principal: Principal): InstanceOwner | undefined {
  const me = principal.connector;
  return me ? { userId: me.userId, accountId: me.accountId } : undefined;
}

/** Whether the instance is the caller's own. */
export function isOwn(me: ConnectorIdentity | undefined, item: InstanceItem): boolean {
  if (!me) return false;
  return item.owner ? item.owner.userId === me.userId : me.organizationUser;
}

/** The account an instance belongs to (its owner's); an ownerless one is the default account's. */
export async function accountOf(rt: Runtime, item: Pick<InstanceItem, 'organization' | 'owner'>): Promise<number> {
  return item.owner?.accountId ?? (await organizationDirectory(rt, item.organization)).defaultAccountId;
}

/** Whether the caller may see and use the instance. */
export async function canUseInstance(rt: Runtime, principal: Principal, item: InstanceItem): Promise<boolean> {
  if (principal.role === 'orgadmin') return true;
  const me = principal.connector;
  if (isOwn(me, item)) return true;
  return Boolean(me?.accountAdmin) && (await accountOf(rt, item)) === me!.accountId;
}

/** A filter for lists: the caller's own instances, or those of one account. */
export async function listScope(rt: Runtime, principal: Principal, accountId?: number): Promise<(item: InstanceItem) => boolean> {
  if (accountId === undefined) return (item) => isOwn(principal.connector, item);
  const defaultAccountId = (await organizationDirectory(rt, principal.organization)).defaultAccountId;
  return (item) => (item.owner?.accountId ?? defaultAccountId) === accountId;
}

/** The instance's `user` as Open Connectors shows it. */
export async function ownerSummary(rt: Runtime, item: InstanceItem): Promise<OwnerSummary> {
  const id = item.owner?.userId ?? (await organizationDirectory(rt, item.organization)).organizationUserId;
  // A deleted owner keeps its id on the instance; an administrator still sees and uses it.
  return (await accountUserSummary(rt, item.organization, id)) ?? { id, emailAddress: '', firstName: '', lastName: '' };
}

export function instanceId(value: string | undefined): number {
  if (!value || !/^\d{1,10}$/.test(value)) throw notFound(`Instance ${value ?? ''} not found`, 'instance_not_found');
  return Number(value);
}

export async function usableInstance(rt: Runtime, principal: Principal, id: number): Promise<InstanceItem> {
  const item = await getInstance(rt, principal.organization, id, true);
  // Another organization's instance, or another user's, is simply not found: nothing tells it exists.
  if (!item || !(await canUseInstance(rt, principal, item))) throw notFound(`Instance ${id} not found`, 'instance_not_found');
  return item;
}

/**
 * The instance a request addresses: `:id` in the path, else the `Element`
 * token (Open Connectors' `/instances/configuration` and friends). Under
 * `/elements/{keyOrId}/instances/{id}` it must be an instance of that element.
 */
export async function addressedInstance(rt: Runtime, request: HttpRequest, principal: Principal): Promise<InstanceItem> {
  let item: InstanceItem | undefined;
  if (request.params.id !== undefined) {
    item = await usableInstance(rt, principal, instanceId(request.params.id));
  } else {
    if (!principal.element) throw unauthorized('Name the instance: /instances/{id}/..., or send its token as Element <token>', 'element_token_required');
    item = await findInstanceByToken(rt, principal.organization, principal.element);
    if (!item || !(await canUseInstance(rt, principal, item))) throw unauthorized('The Element instance token is not valid for this organization', 'invalid_instance_token');
  }
  if (request.params.keyOrId !== undefined) {
    const element = await requireElement(rt, principal.organization, request.params.keyOrId);
    if (element.definition.key !== item.elementKey) throw notFound(`Instance ${item.id} not found`, 'instance_not_found');
  }
  return item;
}
