// AssignMessage: its actions in document order on the current message, a
// named one or a new one, templates in values, and AssignVariable.
import { describe, expect, it } from 'vitest';
import { assignMessage } from '../../../shared/gateway/policies/assign-message.js';
import { exchangeFor, runPolicy, xmlProblems, xmlRoundTrip } from '../../support/policy-context.js';

describe('AssignMessage schema', () => {
  it('takes actions in order and the shorthand keys; refuses an unknown AssignTo type', () => {
    expect(assignMessage.schema.safeParse({ actions: [{ set: { headers: [{ name: 'a', value: '1' }] } }], remove: { headers: true } }).success).toBe(true);
    expect(assignMessage.schema.safeParse({ assignTo: { name: 'x', type: 'event' } }).success).toBe(false);
    expect(assignMessage.schema.safeParse({ actions: [{ set: { headers: [{ value: 'no name' }] } }] }).success).toBe(false);
  });
});

describe('AssignMessage XML', () => {
  it('keeps the actions in document order, with AssignTo and the payload delimiters', () => {
    const config = xmlRoundTrip(
      assignMessage,
      `<AssignTo createNew="true" transport="http" type="request">callout</AssignTo>
       <Copy source="request"><Headers/><QueryParams><QueryParam name="q"/></QueryParams><Verb>true</Verb></Copy>
       <Remove><Headers><Header name="h"/></Headers></Remove>
       <Add><Headers><Header name="a">{x}</Header></Headers></Add>
       <Set><Payload contentType="application/json" variablePrefix="@" variableSuffix="#">{"a":"@x#"}</Payload><StatusCode>201</StatusCode></Set>
       <AssignVariable><Name>v</Name><Ref>request.header.v</Ref><Value>fallback</Value></AssignVariable>
       <IgnoreUnresolvedVariables>false</IgnoreUnresolvedVariables>`,
    );
    expect(config.actions.map((action) => Object.keys(action)[0])).toEqual(['copy', 'remove', 'add', 'set', 'assignVariable']);
    expect(config.assignTo).toEqual({ name: 'callout', createNew: true, type: 'request' });
  });

  it('reports a header without its name', () => {
    expect(xmlProblems(assignMessage, '<Set><Headers><Header>1</Header></Headers></Set>')).toEqual(['/AssignMessage/Set/Headers/Header/@name invalid']);
  });
});

describe('AssignMessage execute', () => {
  it('sets headers, query parameters, verb and a templated payload on the request', async () => {
    const exchange = exchangeFor({ headers: { 'x-drop': '1', 'x-keep': '2' }, query: 'a=1' });
    exchange.set('order.id', '42');
    await runPolicy(
      assignMessage,
      {
        remove: { headers: ['x-drop'] },
        set: {
          headers: [{ name: 'X-Order', value: 'order-{order.id}' }],
          queryParams: [{ name: 'a', value: '2' }],
          verb: 'post',
          payload: { contentType: 'application/json', content: '{"id":"{order.id}","literal":{"kept":true}}' },
        },
      },
      { exchange },
    );
    const { request } = exchange;
    expect(request.headers.has('x-drop')).toBe(false);
    expect(request.headers.get('x-keep')).toBe('2');
    expect(request.headers.get('x-order')).toBe('order-42');
    expect(request.query.toString()).toBe('a=2');
    expect(request.verb).toBe('POST');
    expect(JSON.parse(request.content)).toEqual({ id: '42', literal: { kept: true } });
  });

  it('builds a new named message from the request (AssignTo createNew) without touching the request', async () => {
    const exchange = exchangeFor({ path: '/orders/7', headers: { authorization: 'Bearer t' } });
    await runPolicy(
      assignMessage,
      { assignTo: { name: 'callout', createNew: true }, actions: [{ copy: { source: 'request', headers: true, path: true } }, { set: { verb: 'DELETE' } }] },
      { exchange },
    );
    const callout = exchange.messageByName('callout')!;
    expect([callout.verb, callout.path, callout.headers.get('authorization')]).toEqual(['DELETE', '/orders/7', 'Bearer t']);
    expect(exchange.request.verb).toBe('GET');
  });

  it('in the response phase changes the response and marks it produced', async () => {
    const exchange = exchangeFor();
    exchange.phase = 'response';
    await runPolicy(assignMessage, { set: { statusCode: '202', reasonPhrase: 'Queued', headers: [{ name: 'x-by', value: 'tollgate' }] } }, { exchange });
    expect([exchange.response.status, exchange.response.reasonPhrase, exchange.response.headers.get('x-by')]).toEqual([202, 'Queued', 'tollgate']);
    expect(exchange.get('response.status.code')).toBe(202);
  });

  it('assigns variables from a reference, else a template, else the literal', async () => {
    const exchange = exchangeFor({ headers: { 'x-plan': 'gold' } });
    await runPolicy(
      assignMessage,
      {
        assignVariables: [
          { name: 'plan', ref: 'request.header.x-plan', value: 'none' },
          { name: 'greeting', template: 'hello {plan}' },
          { name: 'missing', ref: 'nothing.here', value: 'default' },
        ],
      },
      { exchange },
    );
    expect([exchange.get('plan'), exchange.get('greeting'), exchange.get('missing')]).toEqual(['gold', 'hello gold', 'default']);
  });

  it('refuses a header value with CR or LF built from request data', async () => {
    const exchange = exchangeFor({ query: { name: 'a\r\nInjected: 1' } });
    const run = await runPolicy(assignMessage, { set: { headers: [{ name: 'X-Name', value: '{request.queryparam.name}' }] } }, { exchange });
    expect(run.fault).toMatchObject({ status: 400, faultName: 'HeaderWithInvalidChar' });
  });
});
