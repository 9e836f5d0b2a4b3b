// Apigee's time parameters: `timeRange=MM/DD/YYYY HH:MM~MM/DD/YYYY HH:MM`
// (UTC; the end may lie in the future; `24:00` is the end of a day) and
// `timeUnit` (minute, hour, day, week, month), whose buckets start at the
// minute, the hour, midnight, Monday midnight and the first of the month (UTC).
import { badRequest } from '../http/errors.js';

export type TimeUnit = 'minute' | 'hour' | 'day' | 'week' | 'month';
export const TIME_UNITS: readonly TimeUnit[] = ['minute', 'hour', 'day', 'week', 'month'];

export interface TimeRange {
  /** Inclusive start, epoch ms. */
  start: number;
  /** Exclusive end, epoch ms. */
  end: number;
}

/** The longest range a query may span (rollups are kept 30 days by default; a year of day rows is small). */
export const MAX_RANGE_MS = 366 * 86_400_000;

const POINT = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[ T+](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$/;

function parsePoint(text: string, which: string): number {
  const match = POINT.exec(text);
  if (!match) throw badRequest(`timeRange ${which} "${text}" is not MM/DD/YYYY HH:MM`, 'invalid_time_range');
  const [month, day, year, hour = 0, minute = 0, second = 0] = match.slice(1).map((part) => (part === undefined ? undefined : Number(part))) as number[];
  const valid = month! >= 1 && month! <= 12 && day! >= 1 && day! <= 31 && (hour < 24 || (hour === 24 && minute === 0 && second === 0)) && minute < 60 && second < 60;
  const time = Date.UTC(year!, month! - 1, day!, hour, minute, second);
  if (!valid || new Date(Date.UTC(year!, month! - 1, day!)).getUTCDate() !== day) {
    throw badRequest(`timeRange ${which} "${text}" is not a valid date and time`, 'invalid_time_range');
  }
  return time;
}

export function parseTimeRange(value: string | null): TimeRange {
  if (!value) throw badRequest('timeRange is required: MM/DD/YYYY HH:MM~MM/DD/YYYY HH:MM (UTC)', 'invalid_time_range');
  const parts = value.split('~');
  if (parts.length !== 2) throw badRequest('timeRange must be two times separated by ~: MM/DD/YYYY HH:MM~MM/DD/YYYY HH:MM', 'invalid_time_range');
  const start = parsePoint(parts[0]!, 'start');
  const end = parsePoint(parts[1]!, 'end');
  if (end <= start) throw badRequest('timeRange must end after it starts', 'invalid_time_range');
  if (end - start > MAX_RANGE_MS) throw badRequest('timeRange may span at most 366 days', 'invalid_time_range');
  return { start, end };
}

export function parseTimeUnit(value: string | null): TimeUnit | undefined {
  if (value === null || value === '') return undefined;
  const unit = value.toLowerCase() as TimeUnit;
  if (!TIME_UNITS.includes(unit)) throw badRequest(`timeUnit must be one of ${TIME_UNITS.join(', ')}`, 'invalid_time_unit');
  return unit;
}

/** Start of the time-unit bucket a time falls in (UTC). */
export function unitStart(unit: TimeUnit, time: number): number {
  const d = new Date(time);
  switch (unit) {
    case 'minute':
      return Math.floor(time / 60_000) * 60_000;
    case 'hour':
      return Math.floor(time / 3_600_000) * 3_600_000;
    case 'day':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    case 'week': {
      const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
      const sinceMonday = (d.getUTCDay() + 6) % 7;
      return day - sinceMonday * 86_400_000;
    }
    case 'month':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
}

/** `01/31/2024 10:00` for a time: how responses name the range back. */
export function formatPoint(time: number): string {
  const d = new Date(time);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())}/${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
}
