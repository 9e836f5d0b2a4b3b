// FlowCallout: parameters become variables before the shared flow runs; a
// shared flow that is not deployed faults the step. (The shared flows
// themselves run in test/e2e/shared-flows.test.ts.)
import { describe, expect, it } from 'vitest';
import { flowCallout } from '../../../shared/gateway/policies/flow-callout.js';
import type { PolicyExchange } from '../../../shared/gateway/engine/policy.js';
import type { SharedFlowService } from '../../../shared/gateway/policies/services.js';
import { runPolicy, xmlRoundTrip } from '../../support/policy-context.js';

/** Shared flows as functions of the exchange, by name. */
class Flows implements SharedFlowService {
  readonly ran: string[] = [];
  constructor(private readonly flows: Record<string, (exchange: PolicyExchange) => void>) {}
  async run(name: string, exchange: PolicyExchange): Promise<boolean> {
    const flow = this.flows[name];
    if (!flow) return false;
    this.ran.push(name);
    flow(exchange);
    return true;
  }
}

describe('FlowCallout', () => {
  it('reads the bundle name and parameters', () => {
    expect(xmlRoundTrip(flowCallout, '<Parameters><Parameter name="a">x</Parameter><Parameter name="b" ref="request.verb"/></Parameters><SharedFlowBundle>SF-1</SharedFlowBundle>')).toEqual({
      sharedFlowBundle: 'SF-1',
      parameters: [{ name: 'a', value: 'x' }, { name: 'b', ref: 'request.verb' }],
    });
  });

  it('sets the parameters and runs the shared flow, or faults when it is not deployed', async () => {
    const flows = new Flows({ 'SF-1': (exchange) => exchange.set('seen', `${String(exchange.get('a'))}/${String(exchange.get('b'))}`) });
    const { exchange, fault } = await runPolicy(flowCallout, { sharedFlowBundle: 'SF-1', parameters: [{ name: 'a', value: 'x' }, { name: 'b', ref: 'request.verb' }] }, { services: { sharedFlows: flows } });
    expect(fault).toBeUndefined();
    expect(exchange.get('seen')).toBe('x/GET');
    const missing = await runPolicy(flowCallout, { sharedFlowBundle: 'SF-2' }, { services: { sharedFlows: flows } });
    expect(missing.fault).toMatchObject({ status: 500, errorCode: 'flow.SharedFlowNotFound' });
  });
});
