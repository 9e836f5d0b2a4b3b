// API providers (SAP API Management): named backends a target endpoint refers
// to. Their credentials (Open Connectors organization/user secrets, OAuth
// client secrets, basic-auth passwords) live in the secret store and are never
// returned; the runtime resolves a provider through a short per-container
// cache. What calls to a provider carry is provider-auth.ts's business.
import * as z from 'zod';
import { TtlCache } from '../../cache/ttl-cache.js';
import { notFound, unprocessable } from '../../http/errors.js';
import { checkUrl, OutboundError } from '../../net/outbound.js';
import type { Runtime } from '../../runtime.js';
import type { StoredItem } from '../../store/table.js';
import { NAME } from '../engine/model.js';
import { orgPartition, providerKeys, SORT_PREFIX } from '../../store/keys.js';

export const ProviderInputSchema = z.lazy(() => z.discriminatedUnion('type', [
  z.object({
    name: z.string().regex(NAME),
    description: z.string().max(1000).optional(),
    type: z.literal('Internet'),
    url: z.string().url(),
    authentication: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('None') }),
        z.object({ type: z.literal('Basic'), username: z.string().min(1), password: z.string().min(1) }),
      ])
      .default({ type: 'None' }),
  }),
  z.object({
    name: z.string().regex(NAME),
    description: z.string().max(1000).optional(),
    type: z.literal('OpenConnectors'),
    /** Open Connectors API base; defaults to this Tollgate's own connectors platform. */
    url: z.string().url().optional(),
    organizationSecret: z.string().min(1).max(512),
    userSecret: z.string().min(1).max(512),
  }),
  z.object({
    name: z.string().regex(NAME),
    description: z.string().max(1000).optional(),
    type: z.literal('CloudIntegration'),
    url: z.string().url(),
    authentication: z.object({
      type: z.literal('OAuth2ClientCredentials'),
      tokenUrl: z.string().url(),
      clientId: z.string().min(1).max(512),
      clientSecret: z.string().min(1).max(1024),
      scope: z.string().max(1000).optional(),
    }),
  }),
]));

export type ProviderInput = z.infer<typeof ProviderInputSchema>;

export interface ProviderItem extends StoredItem {
  type: 'provider';
  name: string;
  description?: string;
  providerType: ProviderInput['type'];
  url?: string;
  authentication: { type: 'None' | 'Basic' | 'OAuth2ClientCredentials'; username?: string; tokenUrl?: string; clientId?: string; scope?: string };
}

export interface ProviderSecrets {
  organizationSecret?: string;
  userSecret?: string;
  clientSecret?: string;
  password?: string;
}

const secretName = (org: string, name: string) => `orgs/${org}/providers/${name}`;
const MASK = '*****';

function split(input: ProviderInput): { item: Omit<ProviderItem, keyof StoredItem | 'type'>; secrets: ProviderSecrets } {
  if (input.type === 'OpenConnectors') {
    return {
      item: { name: input.name, description: input.description, providerType: input.type, url: input.url, authentication: { type: 'None' } },
      secrets: { organizationSecret: input.organizationSecret, userSecret: input.userSecret },
    };
  }
  if (input.type === 'CloudIntegration') {
    const { clientSecret, ...auth } = input.authentication;
    return { item: { name: input.name, description: input.description, providerType: input.type, url: input.url, authentication: auth }, secrets: { clientSecret } };
  }
  const auth = input.authentication;
  return auth.type === 'Basic'
    ? {
        item: { name: input.name, description: input.description, providerType: input.type, url: input.url, authentication: { type: 'Basic', username: auth.username } },
        secrets: { password: auth.password },
      }
    : { item: { name: input.name, description: input.description, providerType: input.type, url: input.url, authentication: { type: 'None' } }, secrets: {} };
}

/** The provider as the API shows it: secrets masked. */
export function presentProvider(item: ProviderItem): Record<string, unknown> {
  const base: Record<string, unknown> = { name: item.name, type: item.providerType, description: item.description, url: item.url };
  if (item.providerType === 'OpenConnectors') return { ...base, organizationSecret: MASK, userSecret: MASK };
  if (item.authentication.type === 'OAuth2ClientCredentials') return { ...base, authentication: { ...item.authentication, clientSecret: MASK } };
  if (item.authentication.type === 'Basic') return { ...base, authentication: { ...item.authentication, password: MASK } };
  return { ...base, authentication: { type: 'None' } };
}

/** A provider's URLs must be ones the gateway will call: http or https, no blocked address (checked again at call time). */
function assertCallable(rt: Runtime, input: ProviderInput): void {
  const urls: [string, string | undefined][] = [['url', input.url]];
  if (input.type === 'CloudIntegration') urls.push(['authentication.tokenUrl', input.authentication.tokenUrl]);
  const problems = urls.flatMap(([path, url]) => {
    if (url === undefined) return [];
    try {
      checkUrl(url, rt.config.allowLoopback);
      return [];
    } catch (error) {
      if (!(error instanceof OutboundError)) throw error;
      return [{ path, message: error.message }];
    }
  });
  if (problems.length > 0) throw unprocessable(problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems);
}

export async function createProvider(rt: Runtime, org: string, input: ProviderInput): Promise<ProviderItem> {
  assertCallable(rt, input);
  const { item, secrets } = split(input);
  // The record first: its conditional create decides who owns the name, so a
  // refused duplicate never overwrites the owner's secrets.
  const created = await rt.table.create<ProviderItem>(
    { ...providerKeys(org, input.name), type: 'provider', ...item },
    `API provider ${input.name} already exists`,
  );
  try {
    await rt.secrets.putJson(secretName(org, input.name), secrets);
  } catch (error) {
    // A provider without its secrets would be half made: remove it, so the request can be repeated.
    await rt.table.delete(providerKeys(org, input.name), { condition: '#version = :version', values: { ':version': created.version }, names: { '#version': 'version' } });
    throw error;
  }
  providerCache(rt).delete(cacheKey(org, input.name));
  return created;
}

export async function updateProvider(rt: Runtime, org: string, input: ProviderInput): Promise<ProviderItem> {
  assertCallable(rt, input);
  const { item, secrets } = split(input);
  const previous = await getProvider(rt, org, input.name);
  const updated = await rt.table.replace<ProviderItem>({ ...previous, ...item }, previous.version);
  try {
    await rt.secrets.putJson(secretName(org, input.name), secrets);
  } catch (error) {
    // The old secrets are still in place: put the old record back with them (unless someone changed it meanwhile).
    await rt.table.replace<ProviderItem>({ ...previous }, updated.version).catch(() => undefined);
    throw error;
  }
  providerCache(rt).delete(cacheKey(org, input.name));
  return updated;
}

export async function getProvider(rt: Runtime, org: string, name: string): Promise<ProviderItem> {
  const item = await rt.table.get<ProviderItem>(providerKeys(org, name));
  if (!item) throw notFound(`API provider ${name} does not exist`);
  return item;
}

export async function listProviders(rt: Runtime, org: string): Promise<ProviderItem[]> {
  return rt.table.queryAll<ProviderItem>(orgPartition(org), { prefix: SORT_PREFIX.provider });
}

export async function deleteProvider(rt: Runtime, org: string, name: string): Promise<void> {
  const deleted = await rt.table.delete(providerKeys(org, name));
  if (!deleted) throw notFound(`API provider ${name} does not exist`);
  await rt.secrets.delete(secretName(org, name));
  providerCache(rt).delete(cacheKey(org, name));
}

export interface ResolvedProvider {
  item: ProviderItem;
  secrets: ProviderSecrets;
  /** Base URL targets are sent to. */
  url: string;
  /** An OpenConnectors provider without a URL: this Tollgate's own connectors API. */
  ownPlatform: boolean;
}

/** A provider with its secrets, from this container's cache (30 s; a write in this container drops it). */
export function resolveProvider(rt: Runtime, org: string, name: string): Promise<ResolvedProvider> {
  return providerCache(rt).get(cacheKey(org, name), async () => {
    const item = await getProvider(rt, org, name);
    const secrets = (await rt.secrets.getJson<ProviderSecrets>(secretName(org, name))) ?? {};
    // An OpenConnectors provider without a URL is this Tollgate's own connectors platform.
    const url = item.url ?? `${rt.config.issuer}/elements/api-v2`;
    return { item, secrets, url, ownPlatform: item.providerType === 'OpenConnectors' && !item.url };
  });
}

const cacheKey = (org: string, name: string) => `${org}\n${name}`;

function providerCache(rt: Runtime): TtlCache<string, ResolvedProvider> {
  return rt.service('gateway.provider-cache', () => new TtlCache<string, ResolvedProvider>({ ttlMs: 30_000, maxEntries: 1_000 }));
}
