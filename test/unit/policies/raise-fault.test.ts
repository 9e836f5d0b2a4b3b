// RaiseFault: stops the flow with a fault whose response its FaultResponse
// builds (AssignMessage's actions on a fresh message).
import { describe, expect, it } from 'vitest';
import { raiseFault, raiseFaultXml } from '../../../shared/gateway/policies/raise-fault.js';
import { exchangeFor, runPolicy, xmlRoundTrip } from '../../support/policy-context.js';

describe('RaiseFault schema', () => {
  it('defaults to an empty FaultResponse; the status may be a template', () => {
    expect(raiseFault.schema.parse({})).toMatchObject({ faultResponse: { actions: [] }, ignoreUnresolvedVariables: true });
    expect(raiseFault.schema.safeParse({ statusCode: '{status}' }).success).toBe(true);
    expect(raiseFault.schema.safeParse({ statusCode: true }).success).toBe(false);
  });
});

describe('RaiseFault XML', () => {
  it('reads the FaultResponse actions and writes the status shorthand as a leading Set', () => {
    const config = xmlRoundTrip(
      raiseFault,
      '<IgnoreUnresolvedVariables>true</IgnoreUnresolvedVariables><ShortFaultReason>false</ShortFaultReason><FaultResponse><AssignVariable><Name>f</Name><Value>1</Value></AssignVariable><Set><Payload contentType="text/plain">no</Payload><StatusCode>403</StatusCode></Set></FaultResponse>',
    );
    expect(config.faultResponse.actions.map((action) => Object.keys(action)[0])).toEqual(['assignVariable', 'set']);
    const written = raiseFaultXml.toXml(raiseFault.schema.parse({ statusCode: 418 }));
    expect(written.children.find((node) => node.name === 'FaultResponse')!.children![0]).toMatchObject({ name: 'Set' });
  });
});

describe('RaiseFault execute', () => {
  it('raises a fault that carries the response FaultResponse built', async () => {
    const exchange = exchangeFor({ headers: { 'x-reason': 'closed' } });
    const run = await runPolicy(
      raiseFault,
      {
        statusCode: 403,
        reasonPhrase: 'Forbidden',
        faultResponse: { set: { headers: [{ name: 'X-Why', value: '{request.header.x-reason}' }], payload: { contentType: 'application/json', content: '{"error":"closed"}' } } },
      },
      { exchange, name: 'RF-Closed' },
    );
    expect(run.fault).toMatchObject({ status: 403, faultName: 'RaiseFault', errorCode: 'steps.raisefault.RaiseFault', policyName: 'RF-Closed' });
    const response = run.fault!.response!;
    expect([response.status, response.reasonPhrase, response.headers.get('x-why'), response.content]).toEqual([403, 'Forbidden', 'closed', '{"error":"closed"}']);
    expect(exchange.response.status).toBe(200); // the flow's response stays until the engine sends the fault's
  });

  it('answers 500 when the status template resolves to nothing usable', async () => {
    const run = await runPolicy(raiseFault, { statusCode: '{nothing}' });
    expect(run.fault!.response!.status).toBe(500);
  });
});
