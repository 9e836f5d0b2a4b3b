// The stats API's parameters: Apigee's filter language, timeRange and
// timeUnit, select, Java-style metric values and the rollup read plan.
import { describe, expect, it } from 'vitest';
import { like, matchesFilter, parseFilter } from '../../../shared/analytics/stats-filter.js';
import { javaDouble, parseSelect, plan } from '../../../shared/analytics/stats.js';
import { parseTimeRange, unitStart } from '../../../shared/analytics/time-range.js';
import { HttpError } from '../../../shared/http/errors.js';

const row = { apiproxy: 'orders', response_status_code: '503', developer_app: 'mobile', proxy_pathsuffix: '/orders/42' };
const holds = (filter: string) => matchesFilter(parseFilter(filter), row);

describe('Apigee filter', () => {
  it('compares, lists, likes and combines as the Analytics reference has it', () => {
    expect(holds('(response_status_code ge 500)')).toBe(true);
    expect(holds('(response_status_code lt 500)')).toBe(false);
    expect(holds("(apiproxy in 'orders','billing') and (developer_app ne 'test')")).toBe(true);
    expect(holds("(apiproxy notin 'orders')")).toBe(false);
    expect(holds("(proxy_pathsuffix like '/orders/%')")).toBe(true);
    expect(holds("(proxy_pathsuffix not like '/orders/%')")).toBe(false);
    expect(holds("(client_id isnull) and (apiproxy notnull)")).toBe(true);
    expect(holds("(apiproxy eq 'billing') or ((response_status_code eq 503) and (developer_app eq 'mobile'))")).toBe(true);
    expect(holds("apiproxy eq 'orders' and response_status_code gt 499")).toBe(true);
    expect(holds("(client_id eq 'x')")).toBe(false);
    expect(holds("(client_id ne 'x')")).toBe(true);
  });

  it('refuses what it cannot read, saying where', () => {
    for (const bad of ['(apiproxy eq', "(apiproxy between 'a')", "(apiproxy eq 'x'", "apiproxy eq 'x' garbage", "(apiproxy eq 'open", '']) {
      expect(() => parseFilter(bad), bad).toThrow(HttpError);
    }
    expect(() => parseFilter('('.repeat(40) + "apiproxy eq 'x'" + ')'.repeat(40))).toThrow(/nested/);
  });

  it('matches LIKE patterns without backtracking blow-ups', () => {
    expect(like('/orders/42', '/orders/%')).toBe(true);
    expect(like('/orders/42', '/orders/_2')).toBe(true);
    expect(like('/orders', '%s')).toBe(true);
    expect(like('abc', 'a%d')).toBe(false);
    expect(like('a'.repeat(5000), '%a%a%a%a%a%a%a%b')).toBe(false);
  });
});

describe('time parameters', () => {
  it('reads Apigee timeRange in UTC, including 24:00', () => {
    expect(parseTimeRange('01/31/2024 10:00~01/31/2024 24:00')).toEqual({ start: Date.UTC(2024, 0, 31, 10), end: Date.UTC(2024, 1, 1) });
    for (const bad of [null, '01/31/2024', '2024-01-31~2024-02-01', '02/30/2024 00:00~03/01/2024 00:00', '01/02/2024 00:00~01/01/2024 00:00', '01/01/2020 00:00~01/01/2024 00:00']) {
      expect(() => parseTimeRange(bad), String(bad)).toThrow(HttpError);
    }
  });

  it('starts weeks on Monday and months on the first, in UTC', () => {
    const wednesday = Date.UTC(2024, 4, 15, 13, 7);
    expect(unitStart('week', wednesday)).toBe(Date.UTC(2024, 4, 13));
    expect(unitStart('month', wednesday)).toBe(Date.UTC(2024, 4, 1));
    expect(unitStart('hour', wednesday)).toBe(Date.UTC(2024, 4, 15, 13));
  });
});

describe('select and values', () => {
  it('reads metrics with their functions and percentiles', () => {
    expect(parseSelect('sum(message_count),avg(total_response_time),p95(total_response_time),percentile(target_response_time,99),tps').map((m) => [m.name, m.aggregate, m.metric, m.percentile])).toEqual([
      ['sum(message_count)', 'sum', 'message_count', undefined],
      ['avg(total_response_time)', 'avg', 'total_response_time', undefined],
      ['p95(total_response_time)', 'percentile', 'total_response_time', 95],
      ['percentile(target_response_time,99)', 'percentile', 'target_response_time', 99],
      ['tps', 'sum', 'tps', undefined],
    ]);
    for (const bad of ['median(total_response_time)', 'p95(message_count)', 'max(message_count)', 'sum(message_count', 'sum(message_count) garbage']) {
      expect(() => parseSelect(bad), bad).toThrow(HttpError);
    }
  });

  it('writes values as Java doubles, as Apigee does', () => {
    expect([javaDouble(42), javaDouble(0), javaDouble(12.5), javaDouble(2.52056245e8), javaDouble(0.0001)]).toEqual(['42.0', '0.0', '12.5', '2.52056245E8', '1.0E-4']);
  });

  it('reads whole days from day rows, whole hours from hour rows and the edges from minute rows', () => {
    const at = (d: number, h: number, m = 0) => Date.UTC(2024, 4, d, h, m);
    expect(plan(at(1, 22, 30), at(3, 1, 15), 'day').map((s) => [s.granularity, new Date(s.start).toISOString(), new Date(s.end).toISOString()])).toEqual([
      ['minute', '2024-05-01T22:30:00.000Z', '2024-05-01T23:00:00.000Z'],
      ['hour', '2024-05-01T23:00:00.000Z', '2024-05-02T00:00:00.000Z'],
      ['day', '2024-05-02T00:00:00.000Z', '2024-05-03T00:00:00.000Z'],
      ['hour', '2024-05-03T00:00:00.000Z', '2024-05-03T01:00:00.000Z'],
      ['minute', '2024-05-03T01:00:00.000Z', '2024-05-03T01:15:00.000Z'],
    ]);
    expect(plan(at(1, 10), at(1, 12), 'minute')).toEqual([{ granularity: 'minute', start: at(1, 10), end: at(1, 12) }]);
  });
});
