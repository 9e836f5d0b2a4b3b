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

export interface ProductQuota {
  limit: number;
  interval: number;
  timeUnit: 'minute' | 'hour' | 'day' | 'month';
}

/** Apigee's operation group: per proxy, the resource paths and methods allowed, each with its own quota. */
export interface OperationGroup {
  operationConfigs: { apiSource: string; operations: { resource: string; methods: string[] }[]; quota?: ProductQuota; attributes: Record<string, string> }[];
}

export interface ApiProduct {
  name: string;
  displayName: string;
  description?: string;
  proxies: string[];
  environments: string[];
  scopes: string[];
  approvalType: 'auto' | 'manual';
  quota?: ProductQuota;
  accessTokenLifetimeSeconds?: number;
  attributes: Record<string, string>;
  /** Apigee resource paths (`/`, `/**`, `/orders/*`) the product allows; none: all. */
  apiResources: string[];
  /** When set, what the product allows instead of `proxies` and `apiResources`. */
  operationGroup?: OperationGroup;
}

export interface StoredProduct extends StoredItem, ApiProduct {
  type: 'apiproduct';
  organization: string;
}


const PRODUCT_CACHE_TTL_MS = 30_000;

const absentIfBlank = (value: unknown) => (value === '' || value === null ? undefined : value);
const names = (what: string) =>
  z
    .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/, `must be a ${what} name`))
    .max(200)
    .default([]);

const quotaInput = z.lazy(() => z.object({
  limit: numberLike.pipe(z.number().int().min(1)),
  interval: numberLike.pipe(z.number().int().min(1)).default(1),
  timeUnit: z.enum(['minute', 'hour', 'day', 'month']).default('minute'),
}));

const resourcePath = z.string().min(1).max(2048).regex(/^\//, 'must start with /');

/** Apigee X's `operationGroup` (only `operationConfigType: proxy`). */
const operationGroupInput = z.lazy(() => z.object({
  operationConfigType: z.literal('proxy').default('proxy'),
  operationConfigs: z
    .array(
      z.object({
        apiSource: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/, 'must be a proxy name'),
        operations: z.array(z.object({ resource: resourcePath, methods: z.array(z.string().regex(/^[A-Za-z]{1,20}$/)).max(20).default([]) })).max(200).default([]),
        quota: quotaInput.optional(),
        attributes: attributesSchema,
      }),
    )
    .max(200),
}));

/** Apigee's product JSON (create and full update). Unknown fields, such as `createdAt` on a round trip, are ignored. */
export const productInput = z.lazy(() => z
  .object({
    name: entityName,
    displayName: z.string().trim().min(1).max(255).optional(),
    description: z.string().max(2048).optional(),
    approvalType: z.enum(['auto', 'manual']).default('auto'),
    proxies: names('proxy'),
    environments: names('environment'),
    scopes: z.array(scopeToken).max(100).default([]),
    apiResources: z.array(resourcePath).max(200).default([]),
    operationGroup: operationGroupInput.optional(),
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
  }));

export type ProductInput = z.output<typeof productInput>;

type ProductRecord = ApiProduct & { pk: string; sk: string; type: 'apiproduct'; organization: string };

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
    ...(input.operationGroup
      ? {
          operationGroup: {
            operationConfigs: input.operationGroup.operationConfigs.map((config) => ({
              apiSource: config.apiSource,
              operations: config.operations.map((operation) => ({ resource: operation.resource, methods: operation.methods.map((method) => method.toUpperCase()) })),
              ...(config.quota ? { quota: config.quota } : {}),
              attributes: attributesToRecord(config.attributes),
            })),
          },
        }
      : {}),
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
    apiResources: item.apiResources ?? [],
    ...(item.operationGroup ? { operationGroup: item.operationGroup } : {}),
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
    ...(item.operationGroup
      ? {
          operationGroup: {
            operationConfigType: 'proxy',
            operationConfigs: item.operationGroup.operationConfigs.map((config) => ({
              apiSource: config.apiSource,
              operations: config.operations,
              ...(config.quota ? { quota: { limit: String(config.quota.limit), interval: String(config.quota.interval), timeUnit: config.quota.timeUnit } } : {}),
              attributes: recordToAttributes(config.attributes),
            })),
          },
        }
      : {}),
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
    operationGroup: record.operationGroup,
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

/** The request a product is checked against: which proxy, where, and which resource. */
export interface ProductRequest {
  proxy: string;
  environment: string;
  /** `proxy.pathsuffix`: the path below the proxy's base path. */
  pathSuffix: string;
  verb: string;
}

/**
 * Whether an Apigee resource path covers a path suffix: `/` and `/**` cover
 * everything, `/a/**` everything below `/a/`, `/a/*` one segment below `/a`,
 * `*` one whole segment anywhere, anything else that path exactly (a trailing
 * slash aside). Segment by segment: linear in the path.
 */
export function resourceCovers(resource: string, pathSuffix: string): boolean {
  if (resource === '/' || resource === '/**') return true;
  const wanted = resource.replace(/\/+$/, '').split('/');
  const path = (pathSuffix || '/').replace(/\/+$/, '').split('/');
  for (let i = 0; i < wanted.length; i++) {
    const part = wanted[i]!;
    if (part === '**' && i === wanted.length - 1) return path.length > i;
    if (i >= path.length) return false;
    if (part !== '*' && part !== path[i]) return false;
  }
  return path.length === wanted.length;
}

/**
 * Whether a product allows a request, and the quota that applies: the
 * operation's under an operation group (proxy, resource and method must
 * match), otherwise the product's, with its proxies, environments and API
 * resources (none listed: no restriction, as in Apigee).
 */
export function productAllows(product: ApiProduct, request: ProductRequest): { quota?: ProductQuota; attributes: Record<string, string> } | undefined {
  const environmentAllowed = product.environments.length === 0 || product.environments.includes(request.environment);
  if (!environmentAllowed) return undefined;
  if (product.operationGroup) {
    const verb = request.verb.toUpperCase();
    const config = product.operationGroup.operationConfigs.find(
      (candidate) =>
        candidate.apiSource === request.proxy &&
        (candidate.operations.length === 0 ||
          candidate.operations.some((operation) => resourceCovers(operation.resource, request.pathSuffix) && (operation.methods.length === 0 || operation.methods.includes(verb)))),
    );
    if (!config) return undefined;
    const quota = config.quota ?? product.quota;
    return { ...(quota ? { quota } : {}), attributes: { ...product.attributes, ...config.attributes } };
  }
  if (!productAllowsProxy(product, request.proxy, request.environment)) return undefined;
  const resources = product.apiResources ?? [];
  if (resources.length > 0 && !resources.some((resource) => resourceCovers(resource, request.pathSuffix))) return undefined;
  return { ...(product.quota ? { quota: product.quota } : {}), attributes: product.attributes };
}
