// Apigee's stats API over the rollups: `GET .../environments/{env}/stats/{dimensions}`
// with `select`, `timeRange`, `timeUnit`, `filter`, `sort`, `sortby`, `topk`,
// `limit`, `offset` and `tsAscending`, answered in Apigee's shape:
//   {"environments":[{"name":"prod","dimensions":[{"name":"orders",
//     "metrics":[{"name":"sum(message_count)","values":["42.0"]}]}]}],
//    "metaData":{"errors":[],"notices":[...]}}
// With a timeUnit, each value is `{"timestamp": <bucket start ms>, "value": "..."}`.
// A time range is read from the coarsest rollups that fit it: whole days from
// day rows, whole hours from hour rows, the ragged minutes from minute rows.
import { badRequest } from '../http/errors.js';
import type { Runtime } from '../runtime.js';
import { rollupPartition, type RollupGranularity } from '../store/keys.js';
import { clientIdReader } from './client-ids.js';
import { bucketLabel, bucketPeriod, emptyTotals, mergeRow, rowFromItem, ROLLUP_DIMENSIONS, type RollupRow, type RollupTotals } from './rollup.js';
import { quantile, RELATIVE_ACCURACY } from './sketch.js';
import { filterDimensions, isJunction, matchesFilter, parseFilter, type FilterNode } from './stats-filter.js';
import { parseTimeRange, parseTimeUnit, unitStart, type TimeRange, type TimeUnit } from './time-range.js';

/** Apigee's dimension names and the rollup dimension each one reads. */
const DIMENSION_ALIASES: Record<string, string> = {
  apis: 'apiproxy',
  apiproxy: 'apiproxy',
  apiproducts: 'api_product',
  api_product: 'api_product',
  apps: 'developer_app',
  developer_app: 'developer_app',
  devs: 'developer_email',
  developer_email: 'developer_email',
};
for (const name of ROLLUP_DIMENSIONS) DIMENSION_ALIASES[name] ??= name;

const NOT_SET = '(not set)';
/** Rows a single query may read: beyond this, ask for a shorter range or a coarser timeUnit. */
const MAX_ROWS = 250_000;
const DEFAULT_LIMIT = 1000;

type Aggregate = 'sum' | 'avg' | 'min' | 'max' | 'percentile';

export interface MetricSpec {
  /** As the caller wrote it: the response's metric name. */
  name: string;
  aggregate: Aggregate;
  metric: string;
  /** 0..100, for percentiles. */
  percentile?: number;
}

const METRICS = new Set(['message_count', 'is_error', 'policy_error', 'target_error', 'total_response_time', 'target_response_time', 'request_size', 'response_size', 'tps']);
const LATENCIES = new Set(['total_response_time', 'target_response_time']);

/** `sum(message_count),avg(total_response_time),p95(total_response_time),percentile(target_response_time,99),tps`. */
export function parseSelect(select: string | null): MetricSpec[] {
  const text = (select ?? 'sum(message_count)').trim();
  if (!text) throw badRequest('select names no metric', 'invalid_select');
  const specs: MetricSpec[] = [];
  const pattern = /\s*(?:([a-z0-9]+)\(\s*([A-Za-z0-9_.]+)\s*(?:,\s*(\d+(?:\.\d+)?)\s*)?\)|(tps))\s*(?:,|$)/gy;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while (consumed < text.length && (match = pattern.exec(text))) {
    consumed = pattern.lastIndex;
    if (match[4]) {
      specs.push({ name: 'tps', aggregate: 'sum', metric: 'tps' });
      continue;
    }
    const fn = match[1]!.toLowerCase();
    const metric = match[2]!;
    const name = text.slice(match.index, pattern.lastIndex).replace(/,\s*$/, '').trim();
    const p = /^p(\d{1,2}(?:\.\d+)?)$/.exec(fn);
    if (p || fn === 'percentile') {
      const percentile = Number(p ? p[1] : match[3]);
      if (!LATENCIES.has(metric)) throw badRequest(`${name}: percentiles are kept for total_response_time and target_response_time`, 'invalid_select');
      if (!(percentile >= 0 && percentile <= 100)) throw badRequest(`${name}: the percentile must be 0-100`, 'invalid_select');
      specs.push({ name, aggregate: 'percentile', metric, percentile });
      continue;
    }
    if (!['sum', 'avg', 'min', 'max'].includes(fn)) throw badRequest(`${name}: the function must be sum, avg, min, max, percentile or p50/p95/p99`, 'invalid_select');
    if (metric === 'tps') throw badRequest('tps takes no function: select=tps', 'invalid_select');
    if ((fn === 'min' || fn === 'max') && !LATENCIES.has(metric)) throw badRequest(`${name}: min and max are kept for total_response_time and target_response_time`, 'invalid_select');
    if (!METRICS.has(metric) && !/^[A-Za-z_][A-Za-z0-9_.]{0,99}$/.test(metric)) throw badRequest(`${name}: unknown metric`, 'invalid_select');
    specs.push({ name, aggregate: fn as Aggregate, metric });
  }
  if (consumed < text.length || specs.length === 0) throw badRequest(`select is not a list of metrics like sum(message_count),avg(total_response_time): "${text}"`, 'invalid_select');
  if (specs.length > 20) throw badRequest('select may name at most 20 metrics', 'invalid_select');
  return specs;
}

/** Apigee's metric values are Java doubles as strings: `42.0`, `12.5`, `2.52056245E8`. */
export function javaDouble(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : value < 0 ? '-Infinity' : 'NaN';
  if (value === 0) return '0.0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    const text = String(Math.round(value * 1e6) / 1e6);
    return text.includes('.') ? text : `${text}.0`;
  }
  const [mantissa, exponent] = value.toExponential().split('e') as [string, string];
  const digits = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '.0') : `${mantissa}.0`;
  return `${digits}E${exponent.replace('+', '')}`;
}

interface Accumulated {
  totals: RollupTotals;
  row: RollupRow;
}

function value(spec: MetricSpec, acc: Accumulated | undefined, seconds: number): number | undefined {
  const totals = acc?.totals ?? emptyTotals();
  if (spec.metric === 'tps') return seconds > 0 ? totals.message_count / seconds : 0;
  const count = spec.metric === 'target_response_time' ? totals.target_count : totals.message_count;
  const sum =
    spec.metric in totals && spec.metric !== 'custom' ? (totals[spec.metric as Exclude<keyof RollupTotals, 'custom'>] as number) : (totals.custom[spec.metric] ?? 0);
  switch (spec.aggregate) {
    case 'sum':
      return sum;
    case 'avg':
      return count > 0 ? sum / count : 0;
    case 'min':
    case 'max':
    case 'percentile': {
      const buckets = spec.metric === 'total_response_time' ? acc?.row.totalTimes : acc?.row.targetTimes;
      const q = spec.aggregate === 'min' ? 0 : spec.aggregate === 'max' ? 1 : spec.percentile! / 100;
      return buckets ? (quantile(buckets, q) ?? 0) : 0;
    }
  }
}

export interface StatsQuery {
  organization: string;
  environment: string;
  /** Rollup dimensions to group by (none: the environment's totals). */
  dimensions: string[];
  /** The dimension names as the caller wrote them. */
  dimensionNames: string[];
  metrics: MetricSpec[];
  range: TimeRange;
  timeUnit?: TimeUnit;
  filter?: FilterNode;
  sortBy?: MetricSpec;
  ascending: boolean;
  topk?: number;
  limit: number;
  offset: number;
  tsAscending: boolean;
  /** Opens a row's sealed consumer key (the `client_id` dimension holds its fingerprint). */
  openClientId?: (sealed: string) => string | undefined;
}

const integer = (value: string | null, name: string, min: number, max: number): number | undefined => {
  if (value === null || value === '') return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw badRequest(`${name} must be a whole number from ${min} to ${max}`, `invalid_${name}`);
  return Number(value);
};

/** The query parameters of a stats request, checked. */
export function statsQuery(organization: string, environment: string, dimensionPath: string | undefined, query: URLSearchParams): StatsQuery {
  const dimensionNames = (dimensionPath ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (dimensionNames.length > 5) throw badRequest('At most 5 dimensions at once', 'invalid_dimension');
  const dimensions = dimensionNames.map((name) => {
    const known = DIMENSION_ALIASES[name];
    if (known) return known;
    // StatisticsCollector's custom dimensions are queried by name, as in Apigee.
    if (/^[A-Za-z_][A-Za-z0-9_]{0,99}$/.test(name)) return name;
    throw badRequest(`Unknown dimension "${name}"`, 'invalid_dimension');
  });
  const metrics = parseSelect(query.get('select'));
  const sortByText = query.get('sortby');
  const sortBy = sortByText ? parseSelect(sortByText)[0] : undefined;
  const sort = (query.get('sort') ?? 'DESC').toUpperCase();
  if (sort !== 'ASC' && sort !== 'DESC') throw badRequest('sort must be ASC or DESC', 'invalid_sort');
  const filterText = query.get('filter');
  return {
    organization,
    environment,
    dimensions,
    dimensionNames,
    metrics,
    range: parseTimeRange(query.get('timeRange')),
    ...(parseTimeUnit(query.get('timeUnit')) ? { timeUnit: parseTimeUnit(query.get('timeUnit')) } : {}),
    ...(filterText ? { filter: parseFilter(filterText) } : {}),
    ...(sortBy ? { sortBy } : {}),
    ascending: sort === 'ASC',
    ...(integer(query.get('topk'), 'topk', 1, 10_000) !== undefined ? { topk: integer(query.get('topk'), 'topk', 1, 10_000) } : {}),
    limit: integer(query.get('limit'), 'limit', 1, 14_400) ?? DEFAULT_LIMIT,
    offset: integer(query.get('offset'), 'offset', 0, 1_000_000) ?? 0,
    tsAscending: (query.get('tsAscending') ?? 'false').toLowerCase() === 'true',
  };
}

const UNIT_MS: Record<RollupGranularity, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const FINER: Record<RollupGranularity, RollupGranularity | undefined> = { minute: undefined, hour: 'minute', day: 'hour' };

/** The coarsest rollups a time unit can be read from. */
function coarsestFor(unit: TimeUnit | undefined): RollupGranularity {
  return unit === 'minute' ? 'minute' : unit === 'hour' ? 'hour' : 'day';
}

/** Splits [start, end) into whole buckets of the coarsest granularity that fits, finer at the edges. */
export function plan(start: number, end: number, coarsest: RollupGranularity): { granularity: RollupGranularity; start: number; end: number }[] {
  if (start >= end) return [];
  const size = UNIT_MS[coarsest];
  const first = Math.ceil(start / size) * size;
  const last = Math.floor(end / size) * size;
  const finer = FINER[coarsest];
  if (!finer) return [{ granularity: coarsest, start, end }];
  if (first >= last) return plan(start, end, finer);
  return [...plan(start, first, finer), { granularity: coarsest, start: first, end: last }, ...plan(last, end, finer)];
}

/** The partitions (periods) a granularity's buckets in [start, end) live in. */
function periods(granularity: RollupGranularity, start: number, end: number): string[] {
  const out = new Set<string>();
  const step = granularity === 'minute' ? 86_400_000 : 86_400_000;
  for (let t = start; t < end; t += step) out.add(bucketPeriod(granularity, t));
  out.add(bucketPeriod(granularity, end - 1));
  return [...out].sort();
}

async function readRows(rt: Runtime, q: StatsQuery): Promise<RollupRow[]> {
  const rows: RollupRow[] = [];
  for (const segment of plan(q.range.start, q.range.end, coarsestFor(q.timeUnit))) {
    const from = bucketLabel(segment.granularity, segment.start);
    const to = `${bucketLabel(segment.granularity, segment.end - UNIT_MS[segment.granularity])}#~`;
    for (const period of periods(segment.granularity, segment.start, segment.end)) {
      let cursor: string | undefined;
      do {
        const page = await rt.table.query(rollupPartition(q.organization, q.environment, segment.granularity, period), { range: [from, to], cursor });
        for (const item of page.items) rows.push(rowFromItem(item));
        if (rows.length > MAX_ROWS) throw badRequest('This query reads too many rollups: ask for a shorter timeRange or a coarser timeUnit', 'query_too_large');
        cursor = page.next;
      } while (cursor);
    }
  }
  return rows;
}

const copyRow = (row: RollupRow): RollupRow => ({ ...row, totals: emptyTotals(), totalTimes: new Map(), targetTimes: new Map() });

function accumulate(into: Map<number, Accumulated>, bucket: number, row: RollupRow): void {
  let acc = into.get(bucket);
  if (!acc) {
    const fresh = copyRow(row);
    acc = { totals: fresh.totals, row: fresh };
    into.set(bucket, acc);
  }
  mergeRow(acc.row, row);
}

export interface StatsResult {
  environments: {
    name: string;
    dimensions?: { name: string; individualNames?: string[]; metrics: { name: string; values: (string | { timestamp: number; value: string })[] }[] }[];
    metrics?: { name: string; values: (string | { timestamp: number; value: string })[] }[];
  }[];
  metaData: { errors: string[]; notices: string[] };
}

export async function runStats(rt: Runtime, q: StatsQuery): Promise<StatsResult> {
  const rows = await readRows(rt, q);
  const clientIds = new Map<string, string>();
  const remember = (fingerprint: string, key: string) => {
    clientIds.set(fingerprint, key);
    return key;
  };
  const groups = new Map<string, { names: string[]; buckets: Map<number, Accumulated>; total: Map<number, Accumulated> }>();
  for (const row of rows) {
    if (q.filter && !matchesFilter(q.filter, row.dimensions)) continue;
    const names = q.dimensions.map((dimension) => {
      const value = row.dimensions[dimension];
      if (value === undefined) return NOT_SET;
      if (dimension === 'client_id' && row.sealedClientId && q.openClientId) return clientIds.get(value) ?? remember(value, q.openClientId(row.sealedClientId) ?? value);
      return value;
    });
    const key = JSON.stringify(names);
    let group = groups.get(key);
    if (!group) {
      group = { names, buckets: new Map(), total: new Map() };
      groups.set(key, group);
    }
    if (q.timeUnit) accumulate(group.buckets, unitStart(q.timeUnit, row.start), row);
    accumulate(group.total, 0, row);
  }

  const seconds = (from: number, to: number) => Math.max(0, (Math.min(to, q.range.end) - Math.max(from, q.range.start)) / 1000);
  const unitEnd = (unit: TimeUnit, start: number) => {
    const d = new Date(start);
    if (unit === 'month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    return start + ({ minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000 } as const)[unit];
  };
  const metricsOf = (group: { buckets: Map<number, Accumulated>; total: Map<number, Accumulated> }) =>
    q.metrics.map((spec) => {
      if (!q.timeUnit) return { name: spec.name, values: [javaDouble(value(spec, group.total.get(0), seconds(q.range.start, q.range.end)) ?? 0)] };
      const starts = [...group.buckets.keys()].sort((a, b) => (q.tsAscending ? a - b : b - a));
      return {
        name: spec.name,
        values: starts.map((start) => ({ timestamp: start, value: javaDouble(value(spec, group.buckets.get(start), seconds(start, unitEnd(q.timeUnit!, start))) ?? 0) })),
      };
    });

  const notices = [
    'Source:Tollgate rollups',
    `Table used: ${[...new Set(plan(q.range.start, q.range.end, coarsestFor(q.timeUnit)).map((s) => s.granularity))].join(',')} rollups`,
    `Percentiles, min and max are within ${RELATIVE_ACCURACY * 100}% of the exact values`,
  ];
  const metaData = { errors: [] as string[], notices };

  if (q.dimensions.length === 0) {
    const all = { buckets: new Map<number, Accumulated>(), total: new Map<number, Accumulated>() };
    for (const group of groups.values()) {
      for (const [bucket, acc] of group.buckets) accumulate(all.buckets, bucket, acc.row);
      for (const acc of group.total.values()) accumulate(all.total, 0, acc.row);
    }
    return { environments: [{ name: q.environment, metrics: metricsOf(all) }], metaData };
  }

  const sortSpec = q.sortBy ?? q.metrics[0]!;
  const sortValue = (group: { total: Map<number, Accumulated> }) => value(sortSpec, group.total.get(0), seconds(q.range.start, q.range.end)) ?? 0;
  let ordered = [...groups.values()].sort((a, b) => {
    const difference = q.ascending ? sortValue(a) - sortValue(b) : sortValue(b) - sortValue(a);
    return difference !== 0 ? difference : a.names.join(',').localeCompare(b.names.join(','));
  });
  if (q.topk !== undefined) ordered = [...ordered].sort((a, b) => sortValue(b) - sortValue(a)).slice(0, q.topk);
  ordered = ordered.slice(q.offset, q.offset + q.limit);
  return {
    environments: [
      {
        name: q.environment,
        dimensions: ordered.map((group) => ({
          name: group.names.join(','),
          ...(group.names.length > 1 ? { individualNames: group.names } : {}),
          metrics: metricsOf(group),
        })),
      },
    ],
    metaData,
  };
}

/** Dimensions a filter may name are the rollups' (and custom ones): anything else cannot match and is refused. */
export function checkFilterDimensions(q: StatsQuery): void {
  if (!q.filter) return;
  for (const name of filterDimensions(q.filter)) {
    const known = DIMENSION_ALIASES[name];
    if (!known && !/^[A-Za-z_][A-Za-z0-9_]{0,99}$/.test(name)) throw badRequest(`filter names the unknown dimension "${name}"`, 'invalid_filter');
  }
}

/** Filter nodes name Apigee aliases too (`apis`); rows know rollup names. */
export function normalizeFilter(node: FilterNode): FilterNode {
  if (isJunction(node)) return { ...node, left: normalizeFilter(node.left), right: normalizeFilter(node.right) };
  return { ...node, dimension: DIMENSION_ALIASES[node.dimension] ?? node.dimension };
}

/** Filter values of `client_id` as the rows hold them: keyed fingerprints (LIKE cannot work on those). */
function fingerprintClientIds(node: FilterNode, fingerprint: (clientId: string) => string): FilterNode {
  if (isJunction(node)) return { ...node, left: fingerprintClientIds(node.left, fingerprint), right: fingerprintClientIds(node.right, fingerprint) };
  if (node.dimension !== 'client_id') return node;
  if (node.op === 'like' || node.op === 'notlike') throw badRequest('client_id takes eq, ne, in, notin, isnull and notnull: consumer keys are kept as fingerprints', 'invalid_filter');
  if (node.op === 'in' || node.op === 'notin') return { ...node, values: node.values.map(fingerprint) };
  if (!('value' in node)) return node;
  return { ...node, value: fingerprint(node.value) };
}

export async function stats(rt: Runtime, organization: string, environment: string, dimensionPath: string | undefined, query: URLSearchParams): Promise<StatsResult> {
  const q = statsQuery(organization, environment, dimensionPath, query);
  checkFilterDimensions(q);
  if (q.filter) q.filter = normalizeFilter(q.filter);
  const needsKeys = q.dimensions.includes('client_id') || (q.filter !== undefined && filterDimensions(q.filter).includes('client_id'));
  if (needsKeys) {
    const reader = await clientIdReader(rt);
    q.openClientId = reader.open;
    if (q.filter) q.filter = fingerprintClientIds(q.filter, reader.fingerprint);
  }
  return runStats(rt, q);
}
