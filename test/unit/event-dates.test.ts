// Java date patterns as Open Connectors' poller configurations write them
// (java.text.SimpleDateFormat letters): reading records' dates, filling a poll
// URL's placeholders, refusing what is not supported. The examples are the
// patterns of Open Connectors' own poller documentation and common vendors'.
import { describe, expect, it } from 'vitest';
import { datePattern, DatePatternError, fillPollTemplate, readDate, templateProblem, timezoneOffset } from '../../shared/connectors/events/java-date.js';

const AT = Date.UTC(2026, 0, 5, 9, 7, 3, 45);

describe('Java date patterns', () => {
  it('reads and writes the patterns poller configurations use', () => {
    const cases: [string, string][] = [
      ["yyyy-MM-dd'T'HH:mm:ss.SSSXXX", '2026-01-05T09:07:03.045Z'],
      ["yyyy-MM-dd'T'HH:mm:ss'Z'", '2026-01-05T09:07:03Z'],
      ['yyyy-MM-dd HH:mm:ss', '2026-01-05 09:07:03'],
      ["yyyy-MM-dd'T'HH:mm:ssZ", '2026-01-05T09:07:03+0000'],
    ];
    for (const [pattern, text] of cases) {
      const compiled = datePattern(pattern);
      expect(compiled.format(AT), pattern).toBe(text);
      expect(compiled.parse(text), pattern).toBe(pattern.includes('SSS') ? AT : AT - 45);
    }
  });

  it('applies the offset in the value, or the configured zone when the pattern has none', () => {
    expect(datePattern("yyyy-MM-dd'T'HH:mm:ssXXX").parse('2026-01-05T11:07:03+02:00')).toBe(AT - 45);
    expect(datePattern('yyyy-MM-dd HH:mm:ss').parse('2026-01-05 04:07:03', timezoneOffset('-05:00'))).toBe(AT - 45);
    expect(datePattern("yyyy-MM-dd'T'HH:mm:ssXXX").format(AT - 45, 120)).toBe('2026-01-05T11:07:03+02:00');
    expect([timezoneOffset('GMT'), timezoneOffset('UTC+0130'), timezoneOffset('-0500'), timezoneOffset('Europe/Berlin')]).toEqual([0, 90, -300, undefined]);
  });

  it('reads epoch seconds and milliseconds, numeric strings and ISO 8601 without a pattern', () => {
    expect(readDate(1_767_604_023)).toBe(1_767_604_023_000);
    expect(readDate(1_767_604_023_045)).toBe(1_767_604_023_045);
    expect(readDate('1767604023')).toBe(1_767_604_023_000);
    expect(readDate('2026-01-05T09:07:03.045Z')).toBe(AT);
    expect(readDate('2026-01-05 09:07:03', 'yyyy-MM-dd HH:mm:ss', '+01:00')).toBe(AT - 45 - 3_600_000);
    for (const value of ['', 'yesterday', null, {}, 'x'.repeat(101)]) expect(readDate(value)).toBeUndefined();
  });

  it('refuses letters it does not support, and values that do not fit, without backtracking', () => {
    expect(() => datePattern('EEE, dd MMM yyyy')).toThrow(DatePatternError);
    expect(datePattern('yyyy-MM-dd').parse('2026-1-5x')).toBeUndefined();
    // Long hostile input: refused at once (bounded length, fixed-width parts).
    expect(datePattern('yyyy-MM-dd').parse(`${'9'.repeat(50)}-`)).toBeUndefined();
  });
});

describe('poll URL placeholders', () => {
  it('fills gmtDate, date and epoch with the time the previous poll reached', () => {
    expect(fillPollTemplate("/contacts?where=lastModifiedDate>='${gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}'", AT)).toBe("/contacts?where=lastModifiedDate>='2026-01-05T09:07:03Z'");
    expect(fillPollTemplate('/tickets?since=${date:yyyy-MM-dd}&from=${epoch:s}&ms=${epoch}', AT)).toBe(`/tickets?since=2026-01-05&from=${Math.floor(AT / 1000)}&ms=${AT}`);
  });

  it('names the placeholder that is wrong', () => {
    expect(templateProblem('/contacts?since=${gmtDate:yyyy-MM-dd}')).toBeUndefined();
    expect(templateProblem('/contacts?since=${gmtDate}')).toMatch(/needs a pattern/);
    expect(templateProblem('/contacts?since=${epoch:minutes}')).toMatch(/epoch takes :s or :ms/);
    expect(templateProblem('/contacts?since=${now}')).toMatch(/not a poll URL placeholder/);
    expect(templateProblem('/contacts?since=${date:QQQ}')).toMatch(/date:QQQ/);
  });
});
