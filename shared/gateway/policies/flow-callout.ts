// FlowCallout: runs a shared flow deployed in this environment, after
// setting its parameters as flow variables. A fault inside the shared flow is
// this step's fault (continueOnError of the FlowCallout decides); a shared
// flow that is not deployed faults the step, it is never passed over.
import * as z from 'zod';
import { defineFaults, raise, render } from './common.js';
import { definePolicy, policyXml } from './define-policy.js';
import { el } from './xml-model.js';

export const FLOW_CALLOUT_FAULTS = defineFaults({
  SharedFlowNotFound: ['flow.SharedFlowNotFound', 500],
});

const schema = z.lazy(() => z.object({
  sharedFlowBundle: z.string().min(1),
  parameters: z.array(z.object({ name: z.string().min(1), value: z.string().optional(), ref: z.string().optional() })).default([]),
}));

export const flowCallout = definePolicy({
  type: 'FlowCallout',
  schema,
  faults: FLOW_CALLOUT_FAULTS,
  services: ['sharedFlows'],
  execute: async ({ config, exchange, services: { sharedFlows } }) => {
    for (const parameter of config.parameters) {
      const value = parameter.ref ? exchange.get(parameter.ref) : parameter.value === undefined ? undefined : render(exchange, parameter.value);
      if (value !== undefined) exchange.set(parameter.name, value);
    }
    const name = render(exchange, config.sharedFlowBundle);
    if (!(await sharedFlows.run(name, exchange))) {
      throw raise(FLOW_CALLOUT_FAULTS, 'SharedFlowNotFound', `Shared flow ${name} is not deployed in environment ${String(exchange.get('environment.name'))}`);
    }
  },
});

export const flowCalloutXml = /* @__PURE__ */ policyXml(flowCallout, {
  fromXml: (root) => ({
    sharedFlowBundle: root.childText('SharedFlowBundle'),
    parameters: (root.child('Parameters')?.all('Parameter') ?? []).map((parameter) => ({
      name: parameter.attr('name'),
      value: parameter.text() || parameter.attr('value') || undefined,
      ref: parameter.attr('ref') || undefined,
    })),
  }),
  toXml: (config) => ({
    children: [
      el('SharedFlowBundle', {}, config.sharedFlowBundle),
      config.parameters.length ? el('Parameters', {}, config.parameters.map((parameter) => el('Parameter', { name: parameter.name, ref: parameter.ref }, parameter.value ?? ''))) : undefined,
    ].filter((node) => node !== undefined),
  }),
});
