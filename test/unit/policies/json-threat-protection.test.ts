// JSONThreatProtection: structure limits on JSON payloads, checked in one
// scan; anything that is not JSON by its content type passes untouched.
import { describe, expect, it } from 'vitest';
import { jsonThreatProtection, scanJson } from '../../../shared/gateway/policies/json-threat-protection.js';
import { exchangeFor, runPolicy, xmlRoundTrip } from '../../support/policy-context.js';

const json = (body: string) => exchangeFor({ verb: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('JSONThreatProtection schema', () => {
  it('takes whole-number limits, -1 for none', () => {
    expect(jsonThreatProtection.schema.parse({ containerDepth: -1 })).toMatchObject({ source: 'request', containerDepth: -1 });
    expect(jsonThreatProtection.schema.safeParse({ containerDepth: 1.5 }).success).toBe(false);
  });
});

describe('JSONThreatProtection XML', () => {
  it('reads every limit and the source', () => {
    expect(
      xmlRoundTrip(
        jsonThreatProtection,
        '<ArrayElementCount>1</ArrayElementCount><ContainerDepth>2</ContainerDepth><ObjectEntryCount>3</ObjectEntryCount><ObjectEntryNameLength>4</ObjectEntryNameLength><Source>response</Source><StringValueLength>5</StringValueLength>',
      ),
    ).toEqual({ arrayElementCount: 1, containerDepth: 2, objectEntryCount: 3, objectEntryNameLength: 4, source: 'response', stringValueLength: 5 });
  });
});

describe('JSONThreatProtection execute', () => {
  it('passes a payload within every limit', async () => {
    const run = await runPolicy(jsonThreatProtection, { containerDepth: 3, arrayElementCount: 3, objectEntryCount: 3 }, { exchange: json('{"a":[1,2,3],"b":{"c":"d"}}') });
    expect(run.fault).toBeUndefined();
  });

  it('refuses each limit exceeded with Apigee\'s 500 naming it', async () => {
    const cases: [Record<string, number>, string, RegExp][] = [
      [{ containerDepth: 2 }, '{"a":{"b":{"c":1}}}', /container depth/],
      [{ arrayElementCount: 2 }, '[1,2,3]', /array element count/],
      [{ objectEntryCount: 1 }, '{"a":1,"b":2}', /object entry count/],
      [{ objectEntryNameLength: 3 }, '{"long-name":1}', /object entry name length/],
      [{ stringValueLength: 3 }, '{"a":"longer"}', /string value length/],
    ];
    for (const [limits, body, reason] of cases) {
      const run = await runPolicy(jsonThreatProtection, limits, { exchange: json(body) });
      expect(run.fault, body).toMatchObject({ status: 500, faultName: 'ExecutionFailed', errorCode: 'steps.jsonthreatprotection.ExecutionFailed' });
      expect(run.fault!.message).toMatch(reason);
    }
  });

  it('refuses malformed JSON and leaves other content types alone', async () => {
    expect((await runPolicy(jsonThreatProtection, {}, { exchange: json('{"a":1 "b":2}') })).fault?.message).toMatch(/invalid JSON/);
    const xml = exchangeFor({ verb: 'POST', headers: { 'content-type': 'application/xml' }, body: '{{{{' });
    expect((await runPolicy(jsonThreatProtection, { containerDepth: 1 }, { exchange: xml })).fault).toBeUndefined();
  });
});

describe('JSONThreatProtection counts array elements that are containers', () => {
  it('counts objects and arrays as array elements like scalars, the first one included', () => {
    const limits = { arrayElementCount: 2 };
    for (const payload of ['[{},{},{}]', '[[1],[2],[3]]', '[{"a":[1]}, [], "x"]', '[ {} , {} , {} ]']) {
      expect(scanJson(payload, limits), payload).toBe('Exceeded array element count, max 2 allowed');
    }
    for (const payload of ['[{},{}]', '[[1],[2]]', '[[], "x"]', '[]']) expect(scanJson(payload, limits), payload).toBeUndefined();
  });
});

