// Single-table access over the DynamoDB document client. Runs unchanged on
// DynamoDB and on dynalite: conditional writes only (no transactions), and
// items whose `expiresAt` (epoch seconds) has passed are treated as absent,
// because dynalite never expires them and DynamoDB's TTL sweep lags.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { badRequest, conflict, notFound } from '../http/errors.js';

export interface Keys {
  pk: string;
  sk: string;
}

export interface StoredItem extends Keys {
  type: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  expiresAt?: number;
  gsi1pk?: string;
  gsi1sk?: string;
  [attribute: string]: unknown;
}

export type NewItem = Omit<StoredItem, 'version' | 'createdAt' | 'updatedAt'>;

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page; absent on the last page. */
  next?: string;
}

export interface QueryOptions {
  /** Only sort keys starting with this prefix. */
  prefix?: string;
  /** Only sort keys from `range[0]` to `range[1]`, both included (instead of a prefix). */
  range?: readonly [string, string];
  limit?: number;
  cursor?: string;
  /** Query the GSI1 index (`gsi1pk`/`gsi1sk`) instead of the table. */
  index?: 'gsi1';
  descending?: boolean;
  consistent?: boolean;
}

export interface StoreSettings {
  tableName: string;
  region: string;
  endpoint?: string;
}

export const GSI1 = 'gsi1';

const nowSeconds = () => Math.floor(Date.now() / 1000);
const isLive = (item: { expiresAt?: unknown } | undefined) =>
  item !== undefined && (typeof item.expiresAt !== 'number' || item.expiresAt > nowSeconds());

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

export function createDocumentClient(settings: StoreSettings): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: settings.region,
    ...(settings.endpoint
      ? { endpoint: settings.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
    maxAttempts: 3,
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export class Table {
  /** Counts every call that reaches DynamoDB; benchmarks read it to prove warm paths make none. */
  calls = 0;

  constructor(
    readonly doc: DynamoDBDocumentClient,
    readonly name: string,
  ) {}

  async get<T extends StoredItem = StoredItem>(keys: Keys, options: { consistent?: boolean } = {}): Promise<T | undefined> {
    this.calls++;
    const result = await this.doc.send(
      new GetCommand({ TableName: this.name, Key: { pk: keys.pk, sk: keys.sk }, ConsistentRead: options.consistent }),
    );
    const item = result.Item as T | undefined;
    return isLive(item) ? item : undefined;
  }

  /**
   * Writes `item` only if `condition` holds for the item stored under its
   * keys; false when it does not. Every conditional write goes through here.
   */
  async putIf(item: Record<string, unknown>, condition: string, values?: Record<string, unknown>, names?: Record<string, string>): Promise<boolean> {
    this.calls++;
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.name,
          Item: item,
          ConditionExpression: condition,
          ...(names ? { ExpressionAttributeNames: names } : {}),
          ...(values ? { ExpressionAttributeValues: values } : {}),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Writes a new item; 409 if one with the same keys exists (an expired one is replaced). */
  async create<T extends StoredItem = StoredItem>(item: NewItem, conflictMessage = 'Already exists'): Promise<T> {
    const now = new Date().toISOString();
    const stored = { ...item, version: 1, createdAt: now, updatedAt: now } as T;
    const free = await this.putIf(stored, 'attribute_not_exists(pk) OR (attribute_exists(expiresAt) AND expiresAt <= :now)', { ':now': nowSeconds() });
    if (!free) throw conflict(conflictMessage);
    return stored;
  }

  /**
   * Replaces an existing item if its version is still `expectedVersion`
   * (optimistic concurrency); 409 when someone else wrote first, 404 if gone.
   */
  async replace<T extends StoredItem = StoredItem>(item: StoredItem, expectedVersion: number): Promise<T> {
    const stored = { ...item, version: expectedVersion + 1, updatedAt: new Date().toISOString() } as T;
    const unchanged = await this.putIf(stored, 'attribute_exists(pk) AND #version = :expected', { ':expected': expectedVersion }, { '#version': 'version' });
    if (!unchanged) {
      const current = await this.get(item, { consistent: true });
      if (!current) throw notFound();
      throw conflict(`Modified concurrently (version ${current.version}, expected ${expectedVersion}); read it again`);
    }
    return stored;
  }

  /**
   * Reads, applies `change`, and writes back with a version check, retrying
   * a few times when another writer got in between.
   */
  async modify<T extends StoredItem>(keys: Keys, change: (current: T) => T | Promise<T>, attempts = 5): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get<T>(keys, { consistent: true });
      if (!current) throw notFound();
      try {
        return await this.replace<T>(await change(structuredClone(current)), current.version);
      } catch (error) {
        if (attempt >= attempts || !(error instanceof Error && 'status' in error && error.status === 409)) throw error;
      }
    }
  }

  /**
   * Unconditional write, for items that are derived or owned by one writer;
   * with `mustExist`, only over an existing item (returns false when there is none).
   */
  async put(item: NewItem & Partial<StoredItem>, options: { mustExist?: boolean } = {}): Promise<boolean> {
    const now = new Date().toISOString();
    const stored = { version: 1, createdAt: now, ...item, updatedAt: now };
    if (options.mustExist) return this.putIf(stored, 'attribute_exists(pk)');
    this.calls++;
    await this.doc.send(new PutCommand({ TableName: this.name, Item: stored }));
    return true;
  }

  /** Deletes; returns the deleted item, or undefined if there was none. */
  async delete<T extends StoredItem = StoredItem>(
    keys: Keys,
    options: { condition?: string; values?: Record<string, unknown>; names?: Record<string, string> } = {},
  ): Promise<T | undefined> {
    this.calls++;
    try {
      const result = await this.doc.send(
        new DeleteCommand({
          TableName: this.name,
          Key: { pk: keys.pk, sk: keys.sk },
          ReturnValues: 'ALL_OLD',
          ...(options.condition
            ? { ConditionExpression: options.condition, ExpressionAttributeValues: options.values, ExpressionAttributeNames: options.names }
            : {}),
        }),
      );
      const item = result.Attributes as T | undefined;
      return isLive(item) ? item : undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /**
   * Atomically adds `by` to a numeric attribute and returns the new value.
   * DynamoDB (and dynalite) apply ADD exactly once per call, so counters stay
   * exact under any concurrency.
   */
  async increment(keys: Keys, attribute: string, by: number, extra: { expiresAt?: number; type?: string } = {}): Promise<number> {
    this.calls++;
    const sets = ['#type = if_not_exists(#type, :type)'];
    const values: Record<string, unknown> = { ':by': by, ':type': extra.type ?? 'counter' };
    if (extra.expiresAt !== undefined) {
      sets.push('expiresAt = if_not_exists(expiresAt, :expiresAt)');
      values[':expiresAt'] = extra.expiresAt;
    }
    const result = await this.doc.send(
      new UpdateCommand({
        TableName: this.name,
        Key: { pk: keys.pk, sk: keys.sk },
        UpdateExpression: `ADD #counter :by SET ${sets.join(', ')}`,
        ExpressionAttributeNames: { '#counter': attribute, '#type': 'type' },
        ExpressionAttributeValues: values,
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(result.Attributes?.[attribute] ?? 0);
  }

  /**
   * One conditional UpdateItem: numbers ADDed, attributes SET, attributes SET
   * only where absent, in one atomic write that happens only if `condition`
   * holds (false when it does not). Every name goes through an expression
   * attribute name, so any attribute name is safe.
   */
  async updateIf(
    keys: Keys,
    change: { add?: Record<string, number>; set?: Record<string, unknown>; setIfAbsent?: Record<string, unknown> },
    condition?: { expression: string; names?: Record<string, string>; values?: Record<string, unknown> },
  ): Promise<boolean> {
    const names: Record<string, string> = { ...condition?.names };
    const values: Record<string, unknown> = { ...condition?.values };
    const adds: string[] = [];
    const sets: string[] = [];
    let i = 0;
    for (const [name, by] of Object.entries(change.add ?? {})) {
      names[`#u${i}`] = name;
      values[`:u${i}`] = by;
      adds.push(`#u${i} :u${i}`);
      i++;
    }
    for (const [name, value] of Object.entries(change.set ?? {})) {
      names[`#u${i}`] = name;
      values[`:u${i}`] = value;
      sets.push(`#u${i} = :u${i}`);
      i++;
    }
    for (const [name, value] of Object.entries(change.setIfAbsent ?? {})) {
      names[`#u${i}`] = name;
      values[`:u${i}`] = value;
      sets.push(`#u${i} = if_not_exists(#u${i}, :u${i})`);
      i++;
    }
    const expression = [adds.length ? `ADD ${adds.join(', ')}` : '', sets.length ? `SET ${sets.join(', ')}` : ''].filter(Boolean).join(' ');
    this.calls++;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.name,
          Key: { pk: keys.pk, sk: keys.sk },
          UpdateExpression: expression,
          ...(condition ? { ConditionExpression: condition.expression } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Sets attributes only if `condition` holds; returns false when it does not.
   * The building block for leases and single-use records.
   */
  async setIf(keys: Keys, set: Record<string, unknown>, condition: string, values: Record<string, unknown> = {}, names: Record<string, string> = {}): Promise<boolean> {
    return this.updateIf(keys, { set }, { expression: condition, values, names });
  }

  /** One page of items under a partition key, newest-last by sort key unless `descending`. */
  async query<T extends StoredItem = StoredItem>(partition: string, options: QueryOptions = {}): Promise<Page<T>> {
    const pkName = options.index ? 'gsi1pk' : 'pk';
    const skName = options.index ? 'gsi1sk' : 'sk';
    const input: QueryCommandInput = {
      TableName: this.name,
      IndexName: options.index ? GSI1 : undefined,
      KeyConditionExpression: options.range
        ? '#pk = :pk AND #sk BETWEEN :from AND :to'
        : options.prefix
          ? '#pk = :pk AND begins_with(#sk, :prefix)'
          : '#pk = :pk',
      FilterExpression: 'attribute_not_exists(expiresAt) OR expiresAt > :now',
      ExpressionAttributeNames: options.prefix || options.range ? { '#pk': pkName, '#sk': skName } : { '#pk': pkName },
      ExpressionAttributeValues: {
        ':pk': partition,
        ':now': nowSeconds(),
        ...(options.range ? { ':from': options.range[0], ':to': options.range[1] } : options.prefix ? { ':prefix': options.prefix } : {}),
      },
      Limit: options.limit,
      ScanIndexForward: !options.descending,
      ConsistentRead: options.index ? undefined : options.consistent,
      ExclusiveStartKey: options.cursor ? decodeCursor(options.cursor, pkName, partition) : undefined,
    };
    this.calls++;
    const result = await this.doc.send(new QueryCommand(input));
    const page: Page<T> = { items: (result.Items ?? []) as T[] };
    if (result.LastEvaluatedKey) page.next = encodeCursor(result.LastEvaluatedKey);
    return page;
  }

  /** Every item under a partition key (follows pages). For small, bounded sets only. */
  async queryAll<T extends StoredItem = StoredItem>(partition: string, options: Omit<QueryOptions, 'cursor' | 'limit'> = {}): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.query<T>(partition, { ...options, cursor });
      items.push(...page.items);
      cursor = page.next;
    } while (cursor);
    return items;
  }
}

/** The opaque page cursor for a key: `Table.query` continues after it. */
export function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** A cursor must point into the partition being queried: it cannot be used to read another tenant's keys. */
function decodeCursor(cursor: string, pkName: string, partition: string): Record<string, unknown> {
  // Exactly the key attributes DynamoDB expects as ExclusiveStartKey: the table's, and the index's on an index.
  const names = pkName === 'pk' ? ['pk', 'sk'] : ['gsi1pk', 'gsi1sk', 'pk', 'sk'];
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    const valid =
      key !== null &&
      typeof key === 'object' &&
      !Array.isArray(key) &&
      key[pkName] === partition &&
      Object.keys(key).sort().join(',') === names.join(',') &&
      Object.values(key).every((value) => typeof value === 'string');
    if (valid) return key;
  } catch {
    // fall through to the error below
  }
  throw badRequest('Invalid page cursor', 'invalid_cursor');
}
