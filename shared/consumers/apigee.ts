// What the consumer-side management API shares: Apigee's attribute lists,
// entity names, list parameters (`expand`, `startKey`, `count`) and paging over
// one organization's partition.
import * as z from 'zod';
import { badRequest } from '../http/errors.js';
import type { Runtime } from '../runtime.js';
import { encodeCursor, type StoredItem } from '../store/table.js';
import { orgPartition } from '../store/keys.js';

/** Names of products and apps: they appear in paths and sort keys, so no `/` or `#`. */
export const ENTITY_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._@:-]{0,254}$/;
export const entityName = z
  .string()
  .regex(ENTITY_NAME, 'must start with a letter or digit and use only letters, digits, space and . _ - @ : (at most 255)');

/** RFC 6749 section 3.3 scope-token. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;
export const scopeToken = z.string().regex(SCOPE_TOKEN, 'must be an RFC 6749 scope token (printable ASCII, no space, quote or backslash)');

export const attributesSchema = z.lazy(() => z
  .array(z.object({ name: z.string().min(1).max(255), value: z.string().max(2048).default('') }))
  .max(100)
  .default([])
  .superRefine((attributes, ctx) => {
    const seen = new Set<string>();
    attributes.forEach((attribute, i) => {
      // Attributes become an object's keys: a name that is an object's own machinery is refused.
      if (attribute.name === '__proto__') ctx.addIssue({ code: 'custom', path: [i, 'name'], message: 'the attribute name "__proto__" is reserved' });
      if (seen.has(attribute.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate attribute "${attribute.name}"` });
      seen.add(attribute.name);
    });
  }));

export type Attribute = { name: string; value: string };

export function attributesToRecord(attributes: Attribute[]): Record<string, string> {
  return Object.fromEntries(attributes.map((a) => [a.name, a.value]));
}

export function recordToAttributes(record: Record<string, string>): Attribute[] {
  return Object.entries(record).map(([name, value]) => ({ name, value }));
}



export const epochMillis = (iso: string) => Date.parse(iso);

export interface ListParams {
  expand: boolean;
  count: number;
  startKey?: string;
  cursor?: string;
}

export const MAX_LIST_COUNT = 1000;

/** Reads `expand`, `count`, `startKey` (Apigee) and `cursor` (the next-page token Tollgate returns). */
export function listParams(query: URLSearchParams): ListParams {
  const countText = query.get('count');
  const count = countText === null ? MAX_LIST_COUNT : Number(countText);
  if (!Number.isInteger(count) || count < 1 || count > MAX_LIST_COUNT) {
    throw badRequest(`count must be an integer from 1 to ${MAX_LIST_COUNT}`, 'invalid_parameter');
  }
  const startKey = query.get('startKey') ?? undefined;
  const cursor = query.get('cursor') ?? undefined;
  return {
    expand: query.get('expand') === 'true',
    count,
    ...(startKey ? { startKey } : {}),
    ...(cursor ? { cursor } : {}),
  };
}

/** Response header carrying the cursor of the next page. */
export const NEXT_CURSOR_HEADER = 'x-next-cursor';

/**
 * One page of items whose sort keys start with `prefix` in an organization's
 * partition. Apigee's `startKey` is inclusive: the item named by it comes first
 * when it exists, then the ones after it.
 */
export async function listPartition<T extends StoredItem>(
  rt: Runtime,
  org: string,
  prefix: string,
  params: ListParams,
): Promise<{ items: T[]; next?: string }> {
  const partition = orgPartition(org);
  const items: T[] = [];
  let cursor = params.cursor;
  if (cursor !== undefined) checkCursor(cursor, prefix);
  if (params.startKey !== undefined && cursor === undefined) {
    const startSk = prefix + params.startKey;
    const first = await rt.table.get<T>({ pk: partition, sk: startSk });
    if (first) items.push(first);
    cursor = encodeCursor({ pk: partition, sk: startSk });
  }
  // Expired items are filtered after DynamoDB's limit, so a page can come back short: keep reading.
  while (items.length < params.count) {
    const page = await rt.table.query<T>(partition, { prefix, limit: params.count - items.length, cursor });
    items.push(...page.items);
    cursor = page.next;
    if (!cursor) break;
  }
  return cursor && items.length >= params.count ? { items, next: cursor } : { items };
}

/** A cursor from another listing would make DynamoDB fail the query: refuse it as a bad request. */
function checkCursor(cursor: string, prefix: string): void {
  let sk: unknown;
  try {
    sk = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { sk?: unknown }).sk;
  } catch {
    sk = undefined;
  }
  if (typeof sk !== 'string' || !sk.startsWith(prefix)) throw badRequest('Invalid page cursor', 'invalid_cursor');
}
