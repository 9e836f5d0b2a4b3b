// Organizations (tenants). Each has a record in the table and two secrets in
// the secret store; the record carries a keyed fingerprint of the organization
// secret in GSI1 so a request's credentials find their organization in one query.
import { randomSecret } from '../crypto/random.js';
import type { Runtime } from '../runtime.js';
import { orgKeys } from '../store/keys.js';
import type { StoredItem } from '../store/table.js';

export interface Organization extends StoredItem {
  type: 'organization';
  name: string;
  /** Origins (scheme://host[:port]) that hosted OAuth callbacks may redirect back to. */
  allowedRedirectOrigins: string[];
  environments: string[];
  /** The default account of the connectors API (shared/auth/accounts.ts), once made. */
  defaultAccountId?: number;
  /** The account user the organization's user secret stands for, once made. */
  organizationUserId?: number;
}

export const ORG_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export { orgKeys };
export const orgSecretNames = (org: string) => ({
  organization: `orgs/${org}/organization-secret`,
  user: `orgs/${org}/user-secret`,
});
export const orgLookupKey = (fingerprint: string) => `ORGSECRET#${fingerprint}`;

export interface PlatformCredentials {
  organizationSecret: string;
  userSecret: string;
}

export async function getOrganization(rt: Runtime, org: string): Promise<Organization | undefined> {
  return rt.table.get<Organization>(orgKeys(org));
}

export async function readPlatformCredentials(rt: Runtime, org: string): Promise<PlatformCredentials | undefined> {
  const names = orgSecretNames(org);
  const [organizationSecret, userSecret] = await Promise.all([rt.secrets.get(names.organization), rt.secrets.get(names.user)]);
  return organizationSecret && userSecret ? { organizationSecret, userSecret } : undefined;
}

/**
 * Makes sure an organization exists with usable credentials: existing secrets
 * are kept unless `wanted` gives new values; missing ones are generated. The
 * record is created or brought in line with the secrets. Idempotent.
 */
export async function ensureOrganization(
  rt: Runtime,
  name: string,
  wanted: Partial<PlatformCredentials> = {},
  settings: { allowedRedirectOrigins?: string[] } = {},
): Promise<{ organization: Organization; credentials: PlatformCredentials; generated: boolean }> {
  if (!ORG_NAME.test(name)) throw new Error(`Invalid organization name "${name}"`);
  const names = orgSecretNames(name);
  const existing = await readPlatformCredentials(rt, name);
  let generated = false;
  const credentials: PlatformCredentials = {
    organizationSecret: wanted.organizationSecret || existing?.organizationSecret || '',
    userSecret: wanted.userSecret || existing?.userSecret || '',
  };
  if (!credentials.organizationSecret) {
    credentials.organizationSecret = randomSecret(32);
    generated = true;
  }
  if (!credentials.userSecret) {
    credentials.userSecret = randomSecret(32);
    generated = true;
  }
  if (credentials.organizationSecret !== existing?.organizationSecret) {
    await rt.secrets.put(names.organization, credentials.organizationSecret);
  }
  if (credentials.userSecret !== existing?.userSecret) await rt.secrets.put(names.user, credentials.userSecret);

  const envelope = await rt.dataKey();
  const lookup = orgLookupKey(envelope.fingerprint(credentials.organizationSecret));
  let organization = await getOrganization(rt, name);
  if (!organization) {
    try {
      organization = await rt.table.create<Organization>({
        ...orgKeys(name),
        type: 'organization',
        name,
        allowedRedirectOrigins: settings.allowedRedirectOrigins ?? [],
        environments: ['test', 'prod'],
        gsi1pk: lookup,
        gsi1sk: '#ORG',
      });
    } catch {
      // Created concurrently by another container: read the winner's record.
      organization = await getOrganization(rt, name);
    }
  }
  if (organization && (organization.gsi1pk !== lookup || (settings.allowedRedirectOrigins && organization.allowedRedirectOrigins.length === 0))) {
    organization = await rt.table.modify<Organization>(orgKeys(name), (current) => ({
      ...current,
      gsi1pk: lookup,
      allowedRedirectOrigins:
        current.allowedRedirectOrigins.length === 0 ? settings.allowedRedirectOrigins ?? [] : current.allowedRedirectOrigins,
    }));
  }
  if (!organization) throw new Error(`Organization ${name} could not be created`);
  return { organization, credentials, generated };
}

/** Finds the organization whose organization secret has this fingerprint. */
export async function findOrganizationByFingerprint(rt: Runtime, fingerprint: string): Promise<Organization | undefined> {
  const page = await rt.table.query<Organization>(orgLookupKey(fingerprint), { index: 'gsi1', limit: 2 });
  return page.items.find((item) => item.type === 'organization');
}
