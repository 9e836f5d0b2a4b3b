// Virtual hosts, as Apigee has them per organization and environment: a name,
// host aliases and a port. A request reaches the runtime of one environment
// and is routed by (virtual host, base path):
// - `default` and `secure` exist in every environment of every organization and
//   are one shared host, the environment's runtime base URL. Organizations
//   share its base path space, so one organization's base path may never
//   equal, contain or lie inside another's there (deployments.ts).
// - An organization's own virtual hosts answer on their host aliases; an alias
//   belongs to one virtual host of one organization in the environment
//   (claimed with a conditional write in the runtime partition), so their base
//   paths never meet another organization's.
// Records: ORG#{org} / VHOST#{env}#{name}; aliases RUNTIME#{env} / HOST#{alias}.
import * as z from 'zod';
import { badRequest, conflict, notFound } from '../../http/errors.js';
import type { Runtime } from '../../runtime.js';
import { hostAliasKeys, orgPartition, SHARED_HOST, virtualHostKeys, virtualHostsPrefix } from '../../store/keys.js';
import type { StoredItem } from '../../store/table.js';

/** The built-in virtual hosts: both are the environment's runtime base URL. */
export const SHARED_VIRTUAL_HOSTS = ['default', 'secure'] as const;

export interface VirtualHostItem extends StoredItem {
  type: 'virtualhost';
  organization: string;
  environment: string;
  name: string;
  hostAliases: string[];
  port: string;
}

export interface HostAliasItem extends StoredItem {
  type: 'hostalias';
  environment: string;
  alias: string;
  organization: string;
  virtualHost: string;
}

const HOST_ALIAS = /^(?=.{1,253}(:\d{1,5})?$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$/;

const portSchema = z.lazy(() => z
  .union([z.string().regex(/^\d{1,5}$/), z.number().int()])
  .transform(String)
  .refine((port) => Number(port) >= 1 && Number(port) <= 65535, 'must be 1-65535'));

export const virtualHostInput = z.lazy(() => z.object({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,255}$/, 'must be 1-255 letters, digits, . _ -'),
  hostAliases: z
    .array(z.string().trim().toLowerCase().regex(HOST_ALIAS, 'must be a host name, optionally with :port'))
    .min(1)
    .max(20),
  port: portSchema.default('443'),
}));
export type VirtualHostInput = z.input<typeof virtualHostInput>;


export { SHARED_HOST };

export const isSharedVirtualHost = (name: string) => (SHARED_VIRTUAL_HOSTS as readonly string[]).includes(name);

/** The routing key of an organization's virtual host: the shared host, or the organization's own. */
export function hostKey(org: string, name: string): string {
  return isSharedVirtualHost(name) ? SHARED_HOST : `${org}:${name}`;
}

export async function listVirtualHosts(rt: Runtime, org: string, env: string): Promise<VirtualHostItem[]> {
  return rt.table.queryAll<VirtualHostItem>(orgPartition(org), { prefix: virtualHostsPrefix(env) });
}

export async function getVirtualHost(rt: Runtime, org: string, env: string, name: string): Promise<VirtualHostItem | undefined> {
  return rt.table.get<VirtualHostItem>(virtualHostKeys(org, env, name), { consistent: true });
}

/** Checks that each named virtual host exists in the environment; returns their routing keys. */
export async function resolveVirtualHosts(rt: Runtime, org: string, env: string, names: readonly string[]): Promise<string[]> {
  const keys = new Set<string>();
  for (const name of names) {
    if (!isSharedVirtualHost(name) && !(await getVirtualHost(rt, org, env, name))) {
      throw conflict(`Virtual host ${name} does not exist in environment ${env}`, 'virtualhost_not_found');
    }
    keys.add(hostKey(org, name));
  }
  return [...keys];
}

async function claimAliases(rt: Runtime, org: string, env: string, name: string, aliases: readonly string[]): Promise<string[]> {
  const claimed: string[] = [];
  for (const alias of aliases) {
    const won = await rt.table.setIf(
      hostAliasKeys(env, alias),
      { type: 'hostalias', environment: env, alias, organization: org, virtualHost: name, updatedAt: new Date().toISOString() },
      'attribute_not_exists(pk) OR (#org = :org AND #vhost = :vhost)',
      { ':org': org, ':vhost': name },
      { '#org': 'organization', '#vhost': 'virtualHost' },
    );
    if (!won) {
      await releaseAliases(rt, org, env, name, claimed);
      throw conflict(`Host alias ${alias} is already in use in environment ${env}`, 'hostalias_in_use');
    }
    claimed.push(alias);
  }
  return claimed;
}

async function releaseAliases(rt: Runtime, org: string, env: string, name: string, aliases: readonly string[]): Promise<void> {
  for (const alias of aliases) {
    await rt.table.delete(hostAliasKeys(env, alias), {
      condition: '#org = :org AND #vhost = :vhost',
      values: { ':org': org, ':vhost': name },
      names: { '#org': 'organization', '#vhost': 'virtualHost' },
    });
  }
}

export async function createVirtualHost(rt: Runtime, org: string, env: string, input: z.output<typeof virtualHostInput>): Promise<VirtualHostItem> {
  if (isSharedVirtualHost(input.name)) throw conflict(`Virtual host ${input.name} exists in every environment`, 'virtualhost_exists');
  const aliases = [...new Set(input.hostAliases)];
  await claimAliases(rt, org, env, input.name, aliases);
  try {
    return await rt.table.create<VirtualHostItem>(
      { ...virtualHostKeys(org, env, input.name), type: 'virtualhost', organization: org, environment: env, name: input.name, hostAliases: aliases, port: input.port },
      `Virtual host ${input.name} already exists in environment ${env}`,
    );
  } catch (error) {
    await releaseAliases(rt, org, env, input.name, aliases);
    throw error;
  }
}

export async function replaceVirtualHost(rt: Runtime, org: string, env: string, input: z.output<typeof virtualHostInput>): Promise<VirtualHostItem> {
  const current = await getVirtualHost(rt, org, env, input.name);
  if (!current) throw notFound(`Virtual host ${input.name} not found in environment ${env}`, 'virtualhost_not_found');
  const aliases = [...new Set(input.hostAliases)];
  const added = aliases.filter((alias) => !current.hostAliases.includes(alias));
  await claimAliases(rt, org, env, input.name, added);
  let updated: VirtualHostItem;
  try {
    updated = await rt.table.replace<VirtualHostItem>({ ...current, hostAliases: aliases, port: input.port }, current.version);
  } catch (error) {
    await releaseAliases(rt, org, env, input.name, added);
    throw error;
  }
  await releaseAliases(rt, org, env, input.name, current.hostAliases.filter((alias) => !aliases.includes(alias)));
  return updated;
}

/** Deletes a virtual host of the organization; `inUse` says whether a deployment still answers on it. */
export async function deleteVirtualHost(rt: Runtime, org: string, env: string, name: string, inUse: boolean): Promise<VirtualHostItem> {
  if (isSharedVirtualHost(name)) throw badRequest(`Virtual host ${name} is built in and cannot be deleted`, 'virtualhost_builtin');
  const current = await getVirtualHost(rt, org, env, name);
  if (!current) throw notFound(`Virtual host ${name} not found in environment ${env}`, 'virtualhost_not_found');
  if (inUse) throw conflict(`Virtual host ${name} is in use by a deployment in environment ${env}; undeploy first`, 'virtualhost_in_use');
  await rt.table.delete(virtualHostKeys(org, env, name));
  await releaseAliases(rt, org, env, name, current.hostAliases);
  return current;
}
