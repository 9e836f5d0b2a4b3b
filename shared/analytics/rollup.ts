// Rollups: the records of one bucket of time (a minute, an hour, a day) that
// share every dimension value, summed into one row. A row holds the counts
// and sums behind Apigee's metrics and a latency sketch per latency metric;
// rows of any set of dimension values merge by adding, so a query groups rows
// by the dimensions it asks for. Each container sums its records in memory and
// ADDs its rows to the table's rows (rollup-writer.ts).
import { createHash } from 'node:crypto';
import type { RollupGranularity } from '../store/keys.js';
import type { CallRecord } from './record.js';
import { bucketOf, mergeBuckets, type Buckets } from './sketch.js';

/**
 * The dimensions rollups keep, by their Apigee names. Client IP and user
 * agent are in the raw records (Logs Insights) only: one row per caller would
 * make rollups as large as the records.
 */
export const ROLLUP_DIMENSIONS = [
  'apiproxy',
  'apiproxy_revision',
  'proxy_basepath',
  'proxy_pathsuffix',
  'request_verb',
  'response_status_code',
  'target_response_code',
  'target_host',
  'developer_email',
  'developer_app',
  'api_product',
  'client_id',
  'ax_edge_execution_fault_code',
  'ax_execution_fault_policy_name',
] as const;
export type RollupDimension = (typeof ROLLUP_DIMENSIONS)[number];

/** A path suffix longer than this is cut: one row per distinct suffix must stay bounded in size. */
const MAX_DIMENSION_VALUE = 256;

/** Dimension values of a row: the fixed ones plus StatisticsCollector's custom string dimensions. */
export type DimensionValues = Record<string, string>;

export interface RollupTotals {
  message_count: number;
  is_error: number;
  policy_error: number;
  target_error: number;
  total_response_time: number;
  target_response_time: number;
  /** Calls that reached a target: the denominator of avg(target_response_time). */
  target_count: number;
  request_size: number;
  response_size: number;
  /** StatisticsCollector's numeric custom metrics, summed. */
  custom: Record<string, number>;
}

export interface RollupRow {
  granularity: RollupGranularity;
  /**
   * The consumer key of the row's `client_id`, sealed: the table never holds a
   * consumer key in the clear, so the dimension value is its keyed
   * fingerprint and the key itself is kept sealed beside it for display.
   */
  sealedClientId?: string;
  /** Start of the bucket, epoch ms. */
  start: number;
  dimensions: DimensionValues;
  totals: RollupTotals;
  totalTimes: Buckets;
  targetTimes: Buckets;
}

export const emptyTotals = (): RollupTotals => ({
  message_count: 0,
  is_error: 0,
  policy_error: 0,
  target_error: 0,
  total_response_time: 0,
  target_response_time: 0,
  target_count: 0,
  request_size: 0,
  response_size: 0,
  custom: {},
});

const BUCKET_MS: Record<'minute' | 'hour', number> = { minute: 60_000, hour: 3_600_000 };

/** Start of the bucket a time falls in (UTC). */
export function bucketStart(granularity: RollupGranularity, time: number): number {
  if (granularity === 'day') return Math.floor(time / 86_400_000) * 86_400_000;
  return Math.floor(time / BUCKET_MS[granularity]) * BUCKET_MS[granularity];
}

/** `2024-05-17T10:42` for minutes and hours, `2024-05-17` for days: sort keys that order by time. */
export function bucketLabel(granularity: RollupGranularity, start: number): string {
  const iso = new Date(start).toISOString();
  return granularity === 'day' ? iso.slice(0, 10) : iso.slice(0, 16);
}

/** The partition period of a bucket: its day (minutes), month (hours) or year (days). */
export function bucketPeriod(granularity: RollupGranularity, start: number): string {
  const iso = new Date(start).toISOString();
  return granularity === 'minute' ? iso.slice(0, 10) : granularity === 'hour' ? iso.slice(0, 7) : iso.slice(0, 4);
}

export function dimensionsOf(record: CallRecord): DimensionValues {
  const values: DimensionValues = {};
  for (const name of ROLLUP_DIMENSIONS) {
    const value = record[name];
    if (value !== undefined && value !== '') values[name] = String(value).slice(0, MAX_DIMENSION_VALUE);
  }
  for (const [name, value] of Object.entries(record.custom ?? {})) {
    if (typeof value === 'string' && !(name in values)) values[name] = value.slice(0, MAX_DIMENSION_VALUE);
  }
  return values;
}

/** A short fingerprint of a row's dimension values: the rest of its sort key. */
export function tupleFingerprint(dimensions: DimensionValues): string {
  const canonical = JSON.stringify(Object.keys(dimensions).sort().map((name) => [name, dimensions[name]]));
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 22);
}

/** One record's contribution to a row's totals. */
function totalsOf(record: CallRecord): RollupTotals {
  const reached = record.target_response_time !== undefined;
  const custom: Record<string, number> = {};
  for (const [name, value] of Object.entries(record.custom ?? {})) if (typeof value === 'number' && Number.isFinite(value)) custom[name] = value;
  return {
    message_count: 1,
    is_error: record.is_error,
    policy_error: record.policy_error,
    target_error: record.target_error,
    total_response_time: record.total_response_time,
    target_response_time: record.target_response_time ?? 0,
    target_count: reached ? 1 : 0,
    request_size: record.request_size,
    response_size: record.response_size,
    custom,
  };
}

function addTotals(a: RollupTotals, b: RollupTotals): void {
  for (const name of Object.keys(TOTAL_ATTRIBUTES) as (keyof typeof TOTAL_ATTRIBUTES)[]) a[name] += b[name];
  for (const [name, value] of Object.entries(b.custom)) a.custom[name] = (a.custom[name] ?? 0) + value;
}

export function mergeRow(into: RollupRow, from: RollupRow): void {
  addTotals(into.totals, from.totals);
  mergeBuckets(into.totalTimes, from.totalTimes);
  mergeBuckets(into.targetTimes, from.targetTimes);
}

/** The rows of a batch of records, keyed by organization, environment, granularity, bucket and tuple. */
export interface RowKey {
  organization: string;
  environment: string;
  granularity: RollupGranularity;
  start: number;
  tuple: string;
}

/** How consumer keys go into rollups: a keyed fingerprint as the dimension value, and a sealed copy. */
export interface ClientIdProtection {
  fingerprint(clientId: string): string;
  seal(clientId: string): string;
}

export function rollUp(records: readonly CallRecord[], protection: ClientIdProtection): { key: RowKey; row: RollupRow }[] {
  const out: { key: RowKey; row: RollupRow }[] = [];
  // Most records of a batch share their dimension values with others: each distinct set is fingerprinted
  // once and keeps its rows by bucket, so a record costs one lookup and three additions.
  const tuples = new Map<string, { dimensions: DimensionValues; tuple: string; sealed?: string; rows: Map<number, RollupRow>[] }>();
  const granularities = ['minute', 'hour', 'day'] as const;
  for (const record of records) {
    const values = dimensionsOf(record);
    const canonical = `${record.organization}\n${record.environment}\n${JSON.stringify(values)}`;
    let known = tuples.get(canonical);
    if (!known) {
      const clientId = values.client_id;
      if (clientId !== undefined) values.client_id = protection.fingerprint(clientId);
      known = {
        dimensions: values,
        tuple: tupleFingerprint(values),
        ...(clientId !== undefined ? { sealed: protection.seal(clientId) } : {}),
        rows: granularities.map(() => new Map<number, RollupRow>()),
      };
      tuples.set(canonical, known);
    }
    const totals = totalsOf(record);
    const totalBucket = bucketOf(record.total_response_time);
    const targetBucket = record.target_response_time === undefined ? undefined : bucketOf(record.target_response_time);
    granularities.forEach((granularity, i) => {
      const start = bucketStart(granularity, record.timestamp);
      let row = known.rows[i]!.get(start);
      if (!row) {
        row = {
          granularity,
          start,
          dimensions: known.dimensions,
          totals: emptyTotals(),
          totalTimes: new Map(),
          targetTimes: new Map(),
          ...(known.sealed ? { sealedClientId: known.sealed } : {}),
        };
        known.rows[i]!.set(start, row);
        out.push({ key: { organization: record.organization, environment: record.environment, granularity, start, tuple: known.tuple }, row });
      }
      addTotals(row.totals, totals);
      row.totalTimes.set(totalBucket, (row.totalTimes.get(totalBucket) ?? 0) + 1);
      if (targetBucket !== undefined) row.targetTimes.set(targetBucket, (row.targetTimes.get(targetBucket) ?? 0) + 1);
    });
  }
  return out;
}

// Item attributes: short names, since every row carries them and DynamoDB bills by size.
const TOTAL_ATTRIBUTES: Record<Exclude<keyof RollupTotals, 'custom'>, string> = {
  message_count: 'n',
  is_error: 'e',
  policy_error: 'pe',
  target_error: 'te',
  total_response_time: 'tt',
  target_response_time: 'tr',
  target_count: 'tc',
  request_size: 'rq',
  response_size: 'rs',
};
const TOTAL_PREFIX = 'h';
const TARGET_PREFIX = 'g';
const CUSTOM_PREFIX = 'c_';

/** The numbers a row ADDs to its item, attribute by attribute (stable order). */
export function rowAdditions(row: RollupRow): [string, number][] {
  const additions: [string, number][] = [];
  for (const [name, attribute] of Object.entries(TOTAL_ATTRIBUTES)) {
    const value = row.totals[name as keyof typeof TOTAL_ATTRIBUTES];
    if (value !== 0) additions.push([attribute, value]);
  }
  for (const [name, value] of Object.entries(row.totals.custom).sort()) additions.push([`${CUSTOM_PREFIX}${name}`, value]);
  for (const [bucket, count] of [...row.totalTimes].sort((a, b) => a[0] - b[0])) additions.push([`${TOTAL_PREFIX}${bucket}`, count]);
  for (const [bucket, count] of [...row.targetTimes].sort((a, b) => a[0] - b[0])) additions.push([`${TARGET_PREFIX}${bucket}`, count]);
  return additions;
}

/** A stored rollup item back as a row. */
export function rowFromItem(item: Record<string, unknown>): RollupRow {
  const totals = emptyTotals();
  const totalTimes: Buckets = new Map();
  const targetTimes: Buckets = new Map();
  const byAttribute = new Map(Object.entries(TOTAL_ATTRIBUTES).map(([name, attribute]) => [attribute, name as keyof typeof TOTAL_ATTRIBUTES]));
  for (const [attribute, value] of Object.entries(item)) {
    if (typeof value !== 'number') continue;
    const total = byAttribute.get(attribute);
    if (total) totals[total] = value;
    else if (attribute.startsWith(CUSTOM_PREFIX)) totals.custom[attribute.slice(CUSTOM_PREFIX.length)] = value;
    else if (/^h\d+$/.test(attribute)) totalTimes.set(Number(attribute.slice(1)), value);
    else if (/^g\d+$/.test(attribute)) targetTimes.set(Number(attribute.slice(1)), value);
  }
  return {
    granularity: item.granularity as RollupGranularity,
    ...(typeof item.ck === 'string' ? { sealedClientId: item.ck } : {}),
    start: Number(item.start),
    dimensions: (item.d ?? {}) as DimensionValues,
    totals,
    totalTimes,
    targetTimes,
  };
}
