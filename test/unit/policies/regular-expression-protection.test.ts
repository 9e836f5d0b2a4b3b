// RegularExpressionProtection: Java patterns found anywhere in the path,
// parameters, headers, variables, JSON and XML values; linear time on
// patterns that would backtrack exponentially.
import { describe, expect, it } from 'vitest';
import { regularExpressionProtection } from '../../../shared/gateway/policies/regular-expression-protection.js';
import { exchangeFor, runPolicy, xmlRoundTrip } from '../../support/policy-context.js';

const SQL = '[\\s]*((delete)|(exec)|(drop\\s*table)|(insert)|(shutdown)|(update)|(\\bor\\b))';

describe('RegularExpressionProtection', () => {
  it('reads every source', () => {
    const config = xmlRoundTrip(
      regularExpressionProtection,
      `<Source>request</Source><IgnoreUnresolvedVariables>false</IgnoreUnresolvedVariables><URIPath><Pattern>\\.\\./</Pattern></URIPath><QueryParam name="q"><Pattern>${SQL}</Pattern></QueryParam>
       <Header name="h"><Pattern>&lt;script</Pattern></Header><FormParam name="f"><Pattern>x</Pattern></FormParam><Variable name="v"><Pattern>y</Pattern></Variable>
       <JSONPayload><JSONPath><Expression>$.name</Expression><Pattern>&lt;script</Pattern></JSONPath></JSONPayload>
       <XMLPayload><Namespaces><Namespace prefix="a">urn:a</Namespace></Namespaces><XPath><Expression>/a:r/a:n</Expression><Type>string</Type><Pattern>drop</Pattern></XPath></XMLPayload>`,
    );
    expect(config).toMatchObject({ uriPath: ['\\.\\./'], queryParams: [{ name: 'q' }], jsonPayload: [{ jsonPath: '$.name' }], xmlPayload: { namespaces: { a: 'urn:a' } } });
  });

  it("refuses a match anywhere with Apigee's ThreatDetected, and lets clean values through", async () => {
    const config = { queryParams: [{ name: 'q', patterns: [SQL] }], headers: [{ name: 'x-h', patterns: ['(?i)<\\s*script'] }] };
    const run = (query: string, header = 'fine') => runPolicy(regularExpressionProtection, config, { exchange: exchangeFor({ query: { q: query }, headers: { 'x-h': header } }) });
    expect((await run('1 or 1=1')).fault).toMatchObject({ status: 500, errorCode: 'steps.regexthreatprotection.ThreatDetected' });
    expect((await run('shoes', '<SCRIPT>')).fault?.status).toBe(500);
    expect((await run('shoes')).fault).toBeUndefined();
  });

  it('looks into JSON and XML payloads', async () => {
    const json = { jsonPayload: [{ jsonPath: '$.user.name', patterns: ['<script'] }] };
    expect((await runPolicy(regularExpressionProtection, json, { exchange: exchangeFor({ body: '{"user":{"name":"a<script>"}}' }) })).fault?.status).toBe(500);
    expect((await runPolicy(regularExpressionProtection, json, { exchange: exchangeFor({ body: '{"user":{"name":"ada"}}' }) })).fault).toBeUndefined();
    const xml = { xmlPayload: { namespaces: { a: 'urn:a' }, xpaths: [{ expression: '/a:r/a:n', patterns: ['drop\\s+table'] }] } };
    expect((await runPolicy(regularExpressionProtection, xml, { exchange: exchangeFor({ body: '<r xmlns="urn:a"><n>drop  table x</n></r>' }) })).fault?.status).toBe(500);
  });

  it('stays linear on a pattern that backtracks exponentially elsewhere', async () => {
    const config = { headers: [{ name: 'x', patterns: ['(a+)+b'] }] };
    const { fault } = await runPolicy(regularExpressionProtection, config, { exchange: exchangeFor({ headers: { x: 'a'.repeat(50_000) } }) });
    expect(fault).toBeUndefined();
  });
});
