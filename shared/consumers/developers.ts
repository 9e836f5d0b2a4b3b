// Developers: the people or systems that own apps. One item per developer in
// the organization's partition, keyed by lower-cased email; the developer id is
// indexed in gsi1 because Apigee accepts it wherever an email is expected.
import * as z from 'zod';
import { randomId } from '../crypto/random.js';
import { notFound, unprocessable } from '../http/errors.js';
import type { Runtime } from '../runtime.js';
import type { StoredItem } from '../store/table.js';
import { attributesSchema, attributesToRecord, epochMillis, recordToAttributes } from './apigee.js';
import { developerIdLookup, developerKeys } from '../store/keys.js';

export type DeveloperStatus = 'active' | 'inactive';

export interface StoredDeveloper extends StoredItem {
  type: 'developer';
  organization: string;
  email: string;
  developerId: string;
  firstName: string;
  lastName: string;
  userName: string;
  status: DeveloperStatus;
  attributes: Record<string, string>;
}


const personName = z.string().trim().min(1).max(255);

export const developerInput = z.lazy(() => z.object({
  email: z.email().max(254),
  firstName: personName,
  lastName: personName,
  userName: personName,
  status: z.enum(['active', 'inactive']).optional(),
  attributes: attributesSchema,
}));
export type DeveloperInput = z.output<typeof developerInput>;

export function apigeeDeveloper(item: StoredDeveloper, apps: string[]): Record<string, unknown> {
  return {
    email: item.email,
    developerId: item.developerId,
    firstName: item.firstName,
    lastName: item.lastName,
    userName: item.userName,
    organizationName: item.organization,
    status: item.status,
    attributes: recordToAttributes(item.attributes),
    apps,
    companies: [],
    createdAt: epochMillis(item.createdAt),
    lastModifiedAt: epochMillis(item.updatedAt),
  };
}

export async function createDeveloper(rt: Runtime, org: string, input: DeveloperInput): Promise<StoredDeveloper> {
  const email = input.email.toLowerCase();
  const developerId = randomId();
  return rt.table.create<StoredDeveloper>(
    {
      ...developerKeys(org, email),
      type: 'developer',
      organization: org,
      email,
      developerId,
      firstName: input.firstName,
      lastName: input.lastName,
      userName: input.userName,
      status: input.status ?? 'active',
      attributes: attributesToRecord(input.attributes),
      gsi1pk: developerIdLookup(developerId),
      gsi1sk: '#DEVELOPER',
    },
    `Developer ${email} already exists`,
  );
}

/** A developer by email (case-insensitive) or by developer id, within the organization only. */
export async function findDeveloper(rt: Runtime, org: string, emailOrId: string): Promise<StoredDeveloper | undefined> {
  if (emailOrId.includes('@')) return rt.table.get<StoredDeveloper>(developerKeys(org, emailOrId));
  const page = await rt.table.query<StoredDeveloper>(developerIdLookup(emailOrId), { index: 'gsi1', limit: 5 });
  return page.items.find((item) => item.type === 'developer' && item.organization === org);
}

export async function requireDeveloper(rt: Runtime, org: string, emailOrId: string): Promise<StoredDeveloper> {
  const developer = await findDeveloper(rt, org, emailOrId);
  if (!developer) throw notFound(`Developer ${emailOrId} does not exist`);
  return developer;
}

/** Full update; the email is the developer's key and cannot change. */
export async function updateDeveloper(rt: Runtime, developer: StoredDeveloper, input: DeveloperInput): Promise<StoredDeveloper> {
  if (input.email.toLowerCase() !== developer.email) {
    throw unprocessable('A developer\'s email cannot be changed', [{ path: 'email', message: `must be ${developer.email}` }]);
  }
  return rt.table.modify<StoredDeveloper>(developer, (current) => ({
    ...current,
    firstName: input.firstName,
    lastName: input.lastName,
    userName: input.userName,
    status: input.status ?? current.status,
    attributes: attributesToRecord(input.attributes),
  }));
}

export async function setDeveloperStatus(rt: Runtime, developer: StoredDeveloper, status: DeveloperStatus): Promise<StoredDeveloper> {
  return rt.table.modify<StoredDeveloper>(developer, (current) => ({ ...current, status }));
}

export async function deleteDeveloperRecord(rt: Runtime, developer: StoredDeveloper): Promise<void> {
  await rt.table.delete(developer);
}
