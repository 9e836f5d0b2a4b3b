// RaiseFault: stops the flow with a response built from the FaultResponse
// (AssignMessage actions on a fresh message). Inside fault handling it sets
// the response and processing goes on, as in Apigee.
import * as z from 'zod';
import { Fault } from '../engine/faults.js';
import { HeaderMap, Message } from '../engine/message.js';
import { definePolicy, policyXml } from './define-policy.js';
import { el } from './xml-model.js';
import { actionsFromXml, actionsOf, actionsToXml, applyActions, MessageChangesSchema, type Action } from './assign-message.js';
import { render } from './common.js';

const schema = z.lazy(() => z.object({
  faultResponse: MessageChangesSchema.default({ actions: [], assignVariables: [] }),
  /** Shorthand for FaultResponse/Set/StatusCode. */
  statusCode: z.union([z.string(), z.number()]).optional(),
  reasonPhrase: z.string().optional(),
  ignoreUnresolvedVariables: z.boolean().default(true),
}));

export const raiseFault = definePolicy({
  type: 'RaiseFault',
  schema,
  prepare: (config) => ({ actions: actionsOf(config.faultResponse) }),
  execute: ({ config, prepared, exchange, policy }) => {
    const response = new Message({ status: 500, reasonPhrase: 'Server Error', headers: new HeaderMap() });
    if (config.statusCode !== undefined) response.status = Number(render(exchange, String(config.statusCode))) || 500;
    if (config.reasonPhrase) response.reasonPhrase = render(exchange, config.reasonPhrase);
    applyActions(exchange, response, prepared.actions);
    const fault = new Fault('RaiseFault', 'steps.raisefault.RaiseFault', response.status, `Raise fault ${policy.name}`, {
      policyName: policy.name,
    });
    fault.response = response;
    throw fault;
  },
});

export const raiseFaultXml = /* @__PURE__ */ policyXml(raiseFault, {
  fromXml: (root) => {
    const faultResponse = root.child('FaultResponse');
    // ShortFaultReason only shortens Apigee's own fault string; the response is what FaultResponse builds.
    root.child('ShortFaultReason')?.bool();
    return {
      faultResponse: { actions: faultResponse ? actionsFromXml(faultResponse) : [] },
      ignoreUnresolvedVariables: root.child('IgnoreUnresolvedVariables')?.bool(),
    };
  },
  toXml: (config) => {
    const actions: Action[] = actionsOf(config.faultResponse);
    // The status and reason shorthands apply before the FaultResponse actions: a leading <Set> says the same.
    if (config.statusCode !== undefined || config.reasonPhrase !== undefined) {
      const set: Action = { set: {} };
      if (config.statusCode !== undefined) set.set.statusCode = config.statusCode;
      if (config.reasonPhrase !== undefined) set.set.reasonPhrase = config.reasonPhrase;
      actions.unshift(set);
    }
    return { children: [el('IgnoreUnresolvedVariables', {}, config.ignoreUnresolvedVariables), el('FaultResponse', {}, actionsToXml(actions))] };
  },
});
