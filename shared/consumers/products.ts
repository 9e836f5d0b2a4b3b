// API products: bundles of proxies, environments and OAuth scopes that apps
// subscribe to, with an optional quota and access-token lifetime. Stored one
// item per product in the organization's partition; read through a short
// per-container cache because every API-key and token check needs them.
import * as z from 'zod';
import { TtlCache } from '../cache/ttl-cache.js';
import { MAX_TOKEN_LIFETIME_SECONDS } from '../config.js';
import { notFound } from '../http/errors.js';
import type { Runtime } from '../runtime.js';
import type { StoredItem } from '../store/table.js';
import {
  attributesSchema,
  attributesToRecord,
  entityName,
  epochMillis,
  recordToAttributes,
  scopeToken,
} from './apigee.js';
import { productKeys } from '../store/keys.js';
import { numberLike } from '../http/apigee-values.js';

export interface ApiProduct {
  name: string;
  displayName: string;
  description?: string;
  proxies: string[];
  environments: string[];
  scopes: string[];
  approvalType: 'auto' | 'manual';
  quota?: { limit: number; interval: number; timeUnit: 'minute' | 'hour' | 'day' | 'month' };
  accessTokenLifetimeSeconds?: number;
  attributes: Record<string, string>;
}

export interface StoredProduct extends StoredItem, ApiProduct {
  type: 'apiproduct';
  organization: string;
  /** Apigee resource paths (`/`, `/**`, `/orders/*`), kept for Apigee tooling. */
  apiResources: string[];
}


const PRODUCT_CACHE_TTL_MS = 30_000;

const absentIfBlank = (value: unknown) => (value === '' || value === null ? undefined : value);
const names = (what: string) =>
  z
    .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/, `must be a ${what} name`))
    .max(200)
    .default([]);

/** Apigee's product JSON (create and full update). Unknown fields, such as `createdAt` on a round trip, are ignored. */
export const productInput = z
  .object({
    name: entityName,
    displayName: z.string().trim().min(1).max(255).optional(),
    description: z.string().max(2048).optional(),
    approvalType: z.enum(['auto', 'manual']).default('auto'),
    proxies: names('proxy'),
    environments: names('environment'),
    scopes: z.array(scopeToken).max(100).default([]),
    apiResources: z.array(z.string().min(1).max(2048)).max(200).default([]),
    quota: z.preprocess(absentIfBlank, numberLike.pipe(z.number().int().min(1)).optional()),
    quotaInterval: z.preprocess(absentIfBlank, numberLike.pipe(z.number().int().min(1)).optional()),
    quotaTimeUnit: z.preprocess(absentIfBlank, z.enum(['minute', 'hour', 'day', 'month']).optional()),
    accessTokenLifetimeSeconds: z.preprocess(
      absentIfBlank,
      numberLike.pipe(z.number().int().min(1).max(MAX_TOKEN_LIFETIME_SECONDS)).optional(),
    ),
    attributes: attributesSchema,
  })
  .superRefine((value, ctx) => {
    if (value.quota === undefined && (value.quotaInterval !== undefined || value.quotaTimeUnit !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['quota'], message: 'quota is required with quotaInterval and quotaTimeUnit' });
    }
  });

export type ProductInput = z.output<typeof productInput>;

type ProductRecord = ApiProduct & { pk: string; sk: string; type: 'apiproduct'; organization: string; apiResources: string[] };

function toRecord(org: string, input: ProductInput): ProductRecord {
  return {
    ...productKeys(org, input.name),
    type: 'apiproduct',
    organization: org,
    name: input.name,
    displayName: input.displayName ?? input.name,
    ...(input.description !== undefined ? { description: input.description } : {}),
    proxies: [...new Set(input.proxies)],
    environments: [...new Set(input.environments)],
    scopes: [...new Set(input.scopes)],
    approvalType: input.approvalType,
    apiResources: input.apiResources,
    ...(input.quota !== undefined
      ? { quota: { limit: input.quota, interval: input.quotaInterval ?? 1, timeUnit: input.quotaTimeUnit ?? 'minute' } }
      : {}),
    ...(input.accessTokenLifetimeSeconds !== undefined ? { accessTokenLifetimeSeconds: input.accessTokenLifetimeSeconds } : {}),
    attributes: attributesToRecord(input.attributes),
  };
}

/** The product as the contract type, without storage attributes. */
export function toApiProduct(item: StoredProduct): ApiProduct {
  return {
    name: item.name,
    displayName: item.displayName,
    ...(item.description !== undefined ? { description: item.description } : {}),
    proxies: item.proxies,
    environments: item.environments,
    scopes: item.scopes,
    approvalType: item.approvalType,
    ...(item.quota ? { quota: item.quota } : {}),
    ...(item.accessTokenLifetimeSeconds !== undefined ? { accessTokenLifetimeSeconds: item.accessTokenLifetimeSeconds } : {}),
    attributes: item.attributes,
  };
}

/** Apigee Edge's product JSON: quota fields are strings there. */
export function apigeeProduct(item: StoredProduct): Record<string, unknown> {
  return {
    name: item.name,
    displayName: item.displayName,
    ...(item.description !== undefined ? { description: item.description } : {}),
    approvalType: item.approvalType,
    attributes: recordToAttributes(item.attributes),
    apiResources: item.apiResources,
    environments: item.environments,
    proxies: item.proxies,
    scopes: item.scopes,
    ...(item.quota
      ? { quota: String(item.quota.limit), quotaInterval: String(item.quota.interval), quotaTimeUnit: item.quota.timeUnit }
      : {}),
    ...(item.accessTokenLifetimeSeconds !== undefined ? { accessTokenLifetimeSeconds: item.accessTokenLifetimeSeconds } : {}),
    createdAt: epochMillis(item.createdAt),
    lastModifiedAt: epochMillis(item.updatedAt),
  };
}

function productCache(rt: Runtime): TtlCache<string, ApiProduct | undefined> {
  return rt.service('consumers.product-cache', () => new TtlCache<string, ApiProduct | undefined>({ ttlMs: PRODUCT_CACHE_TTL_MS }));
}

/** Drops every cached product of the organization in this container. */
export function forgetProducts(rt: Runtime, org: string): void {
  productCache(rt).deletePrefix(`${org}\n`);
}

/** Drops cached products of this container, after a management change. */
export function forgetProduct(rt: Runtime, org: string, name: string): void {
  productCache(rt).delete(`${org}\n${name}`);
}

export async function readProduct(rt: Runtime, org: string, name: string): Promise<StoredProduct | undefined> {
  return rt.table.get<StoredProduct>(productKeys(org, name));
}

export async function requireProduct(rt: Runtime, org: string, name: string): Promise<StoredProduct> {
  const product = await readProduct(rt, org, name);
  if (!product) throw notFound(`API product ${name} does not exist`);
  return product;
}

/** A product by name, cached per container for a short time (no store read when warm). */
export async function getProduct(rt: Runtime, organization: string, name: string): Promise<ApiProduct | undefined> {
  return productCache(rt).get(`${organization}\n${name}`, async () => {
    const item = await readProduct(rt, organization, name);
    return item ? toApiProduct(item) : undefined;
  });
}

export async function createProduct(rt: Runtime, org: string, input: ProductInput): Promise<StoredProduct> {
  const created = await rt.table.create<StoredProduct>({ ...toRecord(org, input) }, `API product ${input.name} already exists`);
  forgetProduct(rt, org, input.name);
  return created;
}

export async function updateProduct(rt: Runtime, org: string, name: string, input: ProductInput): Promise<StoredProduct> {
  const record = toRecord(org, { ...input, name });
  const updated = await rt.table.modify<StoredProduct>(productKeys(org, name), (current) => ({
    ...current,
    ...record,
    // Optional fields left out of a full update are removed, as Apigee's PUT does.
    description: record.description,
    quota: record.quota,
    accessTokenLifetimeSeconds: record.accessTokenLifetimeSeconds,
  }));
  forgetProduct(rt, org, name);
  return updated;
}

export async function deleteProduct(rt: Runtime, org: string, name: string): Promise<StoredProduct> {
  const deleted = await rt.table.delete<StoredProduct>(productKeys(org, name));
  forgetProduct(rt, org, name);
  if (!deleted) throw notFound(`API product ${name} does not exist`);
  return deleted;
}

/**
 * Whether a product grants access to a proxy in an environment. As in Apigee,
 * a product that lists no proxies (or no environments) does not restrict them.
 */
export function productAllowsProxy(product: Pick<ApiProduct, 'proxies' | 'environments'>, proxyName: string, environment: string): boolean {
  const proxyAllowed = product.proxies.length === 0 || product.proxies.includes(proxyName);
  const environmentAllowed = product.environments.length === 0 || product.environments.includes(environment);
  return proxyAllowed && environmentAllowed;
}
