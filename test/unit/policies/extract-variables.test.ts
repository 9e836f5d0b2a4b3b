// ExtractVariables: URI, query, header, form and variable patterns, JSONPath
// on the payload, the variable prefix, and unresolved variables.
import { describe, expect, it } from 'vitest';
import { extractVariables } from '../../../shared/gateway/policies/extract-variables.js';
import { exchangeFor, runPolicy, xmlProblems, xmlRoundTrip } from '../../support/policy-context.js';

describe('ExtractVariables schema', () => {
  it('needs at least one pattern per source and a JSONPath per JSON variable', () => {
    expect(extractVariables.schema.safeParse({ uriPath: [{ pattern: '/a/{x}' }] }).success).toBe(true);
    expect(extractVariables.schema.safeParse({ headers: [{ name: 'h', patterns: [] }] }).success).toBe(false);
    expect(extractVariables.schema.safeParse({ jsonPayload: [{ name: 'n' }] }).success).toBe(false);
  });
});

describe('ExtractVariables XML', () => {
  it('reads every source, the prefix and the JSON variable types', () => {
    const config = xmlRoundTrip(
      extractVariables,
      `<Source>response</Source><VariablePrefix>p</VariablePrefix><IgnoreUnresolvedVariables>false</IgnoreUnresolvedVariables>
       <URIPath><Pattern ignoreCase="true">/a/{x}</Pattern></URIPath><QueryParam name="q"><Pattern>{q}</Pattern></QueryParam>
       <Header name="h"><Pattern>Bearer {t}</Pattern></Header>
       <JSONPayload><Variable name="o" type="nodeset"><JSONPath>$.o</JSONPath></Variable><Variable name="n" type="integer"><JSONPath>$.n</JSONPath></Variable></JSONPayload>`,
    );
    expect(config).toMatchObject({ source: 'response', variablePrefix: 'p', uriPath: [{ pattern: '/a/{x}', ignoreCase: true }] });
    expect(config.jsonPayload).toEqual([
      { name: 'o', jsonPath: '$.o', type: 'json' },
      { name: 'n', jsonPath: '$.n', type: 'integer' },
    ]);
  });

  it('reports a header pattern without a header name', () => {
    expect(xmlProblems(extractVariables, '<Header><Pattern>{t}</Pattern></Header>')).toContain('/ExtractVariables/Header/@name invalid');
  });
});

describe('ExtractVariables execute', () => {
  it('extracts from the path suffix, a query parameter and a header under the prefix', async () => {
    const exchange = exchangeFor({ path: '/orders/items/17', query: { sort: 'date-desc' }, headers: { authorization: 'Bearer abc.def' } });
    await runPolicy(
      extractVariables,
      {
        variablePrefix: 'ev',
        uriPath: [{ pattern: '/items/{id}' }],
        queryParams: [{ name: 'sort', patterns: [{ pattern: '{field}-{direction}' }] }],
        headers: [{ name: 'Authorization', patterns: [{ pattern: 'bearer {token}', ignoreCase: true }] }],
      },
      { exchange },
    );
    expect(['ev.id', 'ev.field', 'ev.direction', 'ev.token'].map((name) => exchange.get(name))).toEqual(['17', 'date', 'desc', 'abc.def']);
  });

  it('reads JSONPath values: scalars as text, objects as JSON', async () => {
    const exchange = exchangeFor({ verb: 'POST', headers: { 'content-type': 'application/json' }, body: '{"order":{"id":7,"lines":[{"sku":"a"},{"sku":"b"}]}}' });
    await runPolicy(
      extractVariables,
      { source: 'request', jsonPayload: [{ name: 'id', jsonPath: '$.order.id' }, { name: 'skus', jsonPath: '$.order.lines[*].sku' }, { name: 'order', jsonPath: '$.order', type: 'json' }] },
      { exchange },
    );
    expect(exchange.get('id')).toBe('7');
    expect(JSON.parse(exchange.get('skus') as string)).toEqual(['a', 'b']);
    expect(JSON.parse(exchange.get('order') as string)).toMatchObject({ id: 7 });
  });

  it('faults on what it could not resolve only when told to', async () => {
    const config = { headers: [{ name: 'x-missing', patterns: [{ pattern: '{v}' }] }] };
    expect((await runPolicy(extractVariables, config)).fault).toBeUndefined();
    const strict = await runPolicy(extractVariables, { ...config, ignoreUnresolvedVariables: false });
    expect(strict.fault).toMatchObject({ status: 500, faultName: 'ExecutionFailed', errorCode: 'steps.extractvariables.ExecutionFailed' });
    const notJson = await runPolicy(extractVariables, { jsonPayload: [{ name: 'a', jsonPath: '$.a' }], ignoreUnresolvedVariables: false }, { exchange: exchangeFor({ body: '<xml/>' }) });
    expect(notJson.fault?.faultName).toBe('JsonPathParsingFailure');
  });
});

describe('ExtractVariables XMLPayload', () => {
  const ORDER = '<o:order xmlns:o="urn:orders" id="7"><o:line qty="2">pens</o:line><o:line qty="3">ink</o:line><total>12.5</total></o:order>';

  it('reads namespaces, XPath variables and their types, and round-trips', () => {
    const config = xmlRoundTrip(
      extractVariables,
      `<Source clearPayload="true">request</Source><XMLPayload stopPayloadProcessing="false"><Namespaces><Namespace prefix="o">urn:orders</Namespace></Namespaces>
       <Variable name="id" type="integer"><XPath>/o:order/@id</XPath></Variable><Variable name="lines" type="nodeset"><XPath>/o:order/o:line</XPath></Variable></XMLPayload>`,
    );
    expect(config).toMatchObject({ clearPayload: true, xmlPayload: { namespaces: { o: 'urn:orders' }, variables: [{ name: 'id', type: 'integer' }, { name: 'lines', type: 'nodeset' }] } });
  });

  it('reads the response in the response flow when no Source is given, and a text variable named as Source', async () => {
    const xmlPayload = { namespaces: {}, variables: [{ name: 'city', xpath: '//city' }] };
    const exchange = exchangeFor({ body: '<r><city>Request</city></r>' });
    exchange.phase = 'response';
    exchange.response.body = Buffer.from('<root><city>San Jose</city></root>');
    await runPolicy(extractVariables, { variablePrefix: 'mock', xmlPayload }, { exchange });
    expect(exchange.get('mock.city')).toBe('San Jose');
    await runPolicy(extractVariables, { source: 'request.content', variablePrefix: 'sent', xmlPayload }, { exchange });
    expect(exchange.get('sent.city')).toBe('Request');
    const missing = await runPolicy(extractVariables, { source: 'nothing', xmlPayload }, { exchange });
    expect(missing.fault?.errorCode).toBe('steps.extractvariables.SourceMessageNotAvailable');
  });

  it('extracts strings, numbers and node sets, then clears the payload when asked', async () => {
    const config = {
      variablePrefix: 'order',
      clearPayload: true,
      xmlPayload: {
        namespaces: { o: 'urn:orders' },
        variables: [
          { name: 'id', xpath: '/o:order/@id', type: 'integer' },
          { name: 'first', xpath: '/o:order/o:line[1]' },
          { name: 'count', xpath: 'count(/o:order/o:line)', type: 'integer' },
          { name: 'total', xpath: '/o:order/total', type: 'double' },
          { name: 'lines', xpath: '/o:order/o:line[2]', type: 'nodeset' },
        ],
      },
    };
    const { exchange, fault } = await runPolicy(extractVariables, config, { exchange: exchangeFor({ body: ORDER, headers: { 'content-type': 'application/xml' } }) });
    expect(fault).toBeUndefined();
    expect(['order.id', 'order.first', 'order.count', 'order.total', 'order.lines'].map((name) => exchange.get(name))).toEqual([
      7,
      'pens',
      2,
      12.5,
      '<o:line qty="3" xmlns:o="urn:orders">ink</o:line>',
    ]);
    expect(exchange.request.content).toBe('');
  });

  it('refuses a prefix it was not given at deployment, and a payload that is not XML when strict', async () => {
    await expect(runPolicy(extractVariables, { xmlPayload: { variables: [{ name: 'x', xpath: '/z:a' }] } })).rejects.toThrow();
    const strict = await runPolicy(extractVariables, { ignoreUnresolvedVariables: false, xmlPayload: { variables: [{ name: 'x', xpath: '/a' }] } }, { exchange: exchangeFor({ body: '{"a":1}' }) });
    expect(strict.fault).toMatchObject({ status: 500, faultName: 'ExecutionFailed' });
    const doctype = await runPolicy(extractVariables, { ignoreUnresolvedVariables: false, xmlPayload: { variables: [{ name: 'x', xpath: '/a' }] } }, { exchange: exchangeFor({ body: '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>' }) });
    expect(doctype.fault?.message).toContain('DOCTYPE');
  });
});
