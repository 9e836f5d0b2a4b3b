// Open Connectors' usage API over the connector usage records the recorder
// stores (one item per resource call, kept 30 days):
//   GET /elements/api-v2/usage            the calls, newest first (keys[], tags[], status, searchText, from, to, pageOffset, pageSize, nextPage)
//   GET /elements/api-v2/usage/{id}       one call, by its request id
//   GET /elements/api-v2/usage/analytics/times     calls and response times per interval
//   GET /elements/api-v2/usage/analytics/statuses  calls per status per interval
// Records are in Open Connectors' usage shape (`traffic_id`, `traffic_date`,
// `process_time`, `request_status`, `element_key`, ...).
import { badRequest, notFound } from '../http/errors.js';
import type { Runtime } from '../runtime.js';
import { orgPartition, usageIdLookup, usagePrefix } from '../store/keys.js';
import type { StoredItem } from '../store/table.js';
import type { ConnectorCallRecord } from './record.js';
import { unitStart, type TimeUnit } from './time-range.js';

interface UsageItem extends StoredItem {
  record: ConnectorCallRecord;
}

export interface UsageFilter {
  from: number;
  to: number;
  keys: string[];
  tags: string[];
  status?: 'success' | 'failed';
  searchText?: string;
}

/** Items read for one request at most: a narrower range or filter answers the rest. */
const MAX_SCANNED = 20_000;
const DAY = 86_400_000;

/** Open Connectors' `from`/`to`: a date (`2024-05-17`) or an ISO date-time. */
function parseDate(value: string | null, name: string, fallback: number, endOfDay: boolean): number {
  if (value === null || value === '') return fallback;
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const time = Date.parse(dateOnly ? `${value}T00:00:00Z` : value);
  if (!Number.isFinite(time)) throw badRequest(`${name} must be a date (YYYY-MM-DD) or an ISO date-time`, 'invalid_date');
  return dateOnly && endOfDay ? time + DAY : time;
}

const list = (query: URLSearchParams, name: string) =>
  [...query.getAll(`${name}[]`), ...query.getAll(name)]
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean);

export function usageFilter(query: URLSearchParams, retentionDays: number): UsageFilter {
  const now = Date.now();
  const from = parseDate(query.get('from'), 'from', now - retentionDays * DAY, false);
  const to = parseDate(query.get('to'), 'to', now + 60_000, true);
  if (to <= from) throw badRequest('to must be after from', 'invalid_date');
  // Open Connectors answers 404 for a range that lies wholly in the future.
  if (from > now) throw notFound('No usage for a time range in the future', 'usage_not_found');
  const status = query.get('status')?.toLowerCase();
  if (status !== undefined && status !== 'success' && status !== 'failed') throw badRequest('status must be success or failed', 'invalid_status');
  const searchText = query.get('searchText') ?? undefined;
  return { from, to, keys: list(query, 'keys'), tags: list(query, 'tags'), ...(status ? { status } : {}), ...(searchText ? { searchText } : {}) };
}

const statusOf = (record: ConnectorCallRecord): 'success' | 'failed' => (record.response_status_code < 400 ? 'success' : 'failed');

function matches(record: ConnectorCallRecord, filter: UsageFilter): boolean {
  if (filter.keys.length > 0 && !filter.keys.includes(record.element_key)) return false;
  if (filter.tags.length > 0 && !filter.tags.some((tag) => record.instance_tags.includes(tag))) return false;
  if (filter.status && statusOf(record) !== filter.status) return false;
  if (filter.searchText && !record.request_uri.toLowerCase().includes(filter.searchText.toLowerCase())) return false;
  return true;
}

/** The records of a range that pass the filter, newest first, stopping after `wanted`. */
async function scan(rt: Runtime, org: string, filter: UsageFilter, wanted: number): Promise<ConnectorCallRecord[]> {
  const out: ConnectorCallRecord[] = [];
  const range: [string, string] = [usagePrefix(new Date(filter.from).toISOString()), usagePrefix(`${new Date(filter.to).toISOString()}~`)];
  let cursor: string | undefined;
  let scanned = 0;
  do {
    const page = await rt.table.query<UsageItem>(orgPartition(org), { range, descending: true, cursor, limit: 500 });
    for (const item of page.items) {
      scanned++;
      if (item.type === 'connector-usage' && matches(item.record, filter)) out.push(item.record);
      if (out.length >= wanted) return out;
    }
    cursor = page.next;
  } while (cursor && scanned < MAX_SCANNED);
  return out;
}

/** A record in Open Connectors' usage shape. */
export function usageView(record: ConnectorCallRecord) {
  return {
    traffic_id: record.request_id,
    request_id: record.request_id,
    traffic_date: new Date(record.timestamp).toISOString(),
    process_time: record.total_response_time,
    request_status: statusOf(record),
    response_status_code: record.response_status_code,
    request_ip: record.client_ip,
    request_method: record.request_verb,
    request_uri: record.request_uri,
    element_api: `${record.request_verb} ${record.request_uri}`,
    element_key: record.element_key,
    element_name: record.element_name,
    instance_id: record.instance_id,
    instance_tags: record.instance_tags,
    // Open Connectors' numeric account ids; Tollgate names organizations instead.
    user_id: 0,
    account_id: 0,
    company_id: 0,
    company_external_id: record.organization,
    company_external_name: record.organization,
  };
}

/** Page position: `pageOffset`, or the `elements-next-page-token` of the previous page. */
function position(query: URLSearchParams): { offset: number; size: number } {
  const size = Number(query.get('pageSize') ?? 200);
  if (!Number.isInteger(size) || size < 1 || size > 500) throw badRequest('pageSize must be 1-500', 'invalid_page_size');
  const token = query.get('nextPage');
  if (token) {
    const offset = Number(Buffer.from(token, 'base64url').toString('utf8').replace(/^offset:/, ''));
    if (!Number.isInteger(offset) || offset < 0) throw badRequest('nextPage is not a token this API gave', 'invalid_page_token');
    return { offset, size };
  }
  const offset = Number(query.get('pageOffset') ?? 0);
  if (!Number.isInteger(offset) || offset < 0) throw badRequest('pageOffset must be a whole number', 'invalid_page_offset');
  return { offset, size };
}

export async function listUsage(rt: Runtime, org: string, query: URLSearchParams): Promise<{ records: ReturnType<typeof usageView>[]; nextPage?: string }> {
  const filter = usageFilter(query, rt.config.analyticsRetentionDays);
  const { offset, size } = position(query);
  const records = await scan(rt, org, filter, offset + size + 1);
  const page = records.slice(offset, offset + size).map(usageView);
  return { records: page, ...(records.length > offset + size ? { nextPage: Buffer.from(`offset:${offset + size}`).toString('base64url') } : {}) };
}

export async function getUsage(rt: Runtime, org: string, id: string): Promise<ReturnType<typeof usageView>> {
  const page = await rt.table.query<UsageItem>(usageIdLookup(org, id), { index: 'gsi1', limit: 1 });
  const item = page.items[0];
  if (!item) throw notFound(`No usage record ${id}`, 'usage_not_found');
  return usageView(item.record);
}

const INTERVALS: Record<string, TimeUnit> = { hour: 'hour', day: 'day', week: 'week', month: 'month', minute: 'minute' };

/** Calls per interval: `times` adds response times, `statuses` counts per outcome and status code. */
export async function usageAnalytics(rt: Runtime, org: string, kind: 'times' | 'statuses', query: URLSearchParams): Promise<Record<string, unknown>[]> {
  const filter = usageFilter(query, rt.config.analyticsRetentionDays);
  const interval = INTERVALS[(query.get('interval') ?? 'day').toLowerCase()];
  if (!interval) throw badRequest('interval must be minute, hour, day, week or month', 'invalid_interval');
  const records = await scan(rt, org, filter, MAX_SCANNED);
  const buckets = new Map<number, ConnectorCallRecord[]>();
  for (const record of records) {
    const start = unitStart(interval, record.timestamp);
    buckets.set(start, [...(buckets.get(start) ?? []), record]);
  }
  return [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([start, calls]) => {
      const base = { timestamp: new Date(start).toISOString(), count: calls.length };
      if (kind === 'times') {
        const times = calls.map((call) => call.total_response_time);
        return { ...base, average: times.reduce((a, b) => a + b, 0) / times.length, min: Math.min(...times), max: Math.max(...times) };
      }
      const codes: Record<string, number> = {};
      for (const call of calls) codes[call.response_status_code] = (codes[call.response_status_code] ?? 0) + 1;
      const failed = calls.filter((call) => statusOf(call) === 'failed').length;
      return { ...base, success: calls.length - failed, failed, statuses: codes };
    });
}
