// The proxy model: Apigee's API proxy concepts one to one, as JSON. A revision
// stores one of these; bundle import/export converts Apigee XML to and from it.
import * as z from 'zod';

export const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
const name = () => z.string().regex(NAME, 'must start with a letter or digit and contain only letters, digits, . _ -');
/** Flow, fault rule and route rule names: free text as Apigee allows (`Get Orders`), no control characters. */
const label = () =>
  z
    .string()
    .min(1)
    .max(255)
    // eslint-disable-next-line no-control-regex -- the characters refused are the control characters
    .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');

export const StepSchema = z.lazy(() => z.object({
  /** Policy name. */
  name: name(),
  condition: z.string().max(4000).optional(),
}));

export const FlowPhaseSchema = z.lazy(() => z.object({
  request: z.array(StepSchema).default([]),
  response: z.array(StepSchema).default([]),
}));

export const ConditionalFlowSchema = z.lazy(() => FlowPhaseSchema.unwrap().extend({
  name: label(),
  description: z.string().max(1000).optional(),
  condition: z.string().max(4000).optional(),
}));

export const FaultRuleSchema = z.lazy(() => z.object({
  name: label(),
  condition: z.string().max(4000).optional(),
  steps: z.array(StepSchema).default([]),
}));

export const DefaultFaultRuleSchema = z.lazy(() => z.object({
  name: label().default('default-fault'),
  alwaysEnforce: z.boolean().default(false),
  condition: z.string().max(4000).optional(),
  steps: z.array(StepSchema).default([]),
}));

export const RouteRuleSchema = z.lazy(() => z.object({
  name: label(),
  condition: z.string().max(4000).optional(),
  /** Target endpoint name; absent (with no url) means a null route: no backend call. */
  targetEndpoint: name().optional(),
  /** Direct target URL (Apigee's RouteRule <URL>). */
  url: z.string().url().optional(),
}));

const emptyPhase = () => ({ request: [], response: [] });

export const ProxyEndpointSchema = z.lazy(() => z.object({
  name: name().default('default'),
  description: z.string().max(1000).optional(),
  basePath: z
    .string()
    .regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/, 'must be a path starting with /')
    .max(1000),
  /** The virtual hosts (HTTPProxyConnection/VirtualHost) the endpoint answers on; `default` when none is named. */
  virtualHosts: z.array(name()).max(20).optional(),
  preFlow: FlowPhaseSchema.default(emptyPhase),
  flows: z.array(ConditionalFlowSchema).default([]),
  postFlow: FlowPhaseSchema.default(emptyPhase),
  postClientFlow: FlowPhaseSchema.optional(),
  faultRules: z.array(FaultRuleSchema).default([]),
  defaultFaultRule: DefaultFaultRuleSchema.optional(),
  routeRules: z.array(RouteRuleSchema).default([]),
}));

export const TargetConnectionSchema = z.lazy(() => z
  .object({
    /** Backend URL (HTTPTargetConnection/URL). */
    url: z.string().url().optional(),
    /** API provider name (SAP API Management); its URL and auth apply. */
    provider: name().optional(),
    /** Path appended to the provider URL. */
    path: z.string().max(2000).optional(),
    connectTimeoutMs: z.number().int().min(1).max(60_000).default(3_000),
    readTimeoutMs: z.number().int().min(1).max(300_000).default(25_000),
    /**
     * The other HTTPTargetConnection properties, kept as written. `success.codes`
     * (`1xx,2xx,3xx,404`) is honored; the rest (streaming, keep-alive, retained
     * headers, compression ...) change nothing on Lambda and are exported unchanged.
     */
    properties: z.record(z.string().min(1).max(200), z.string().max(2000)).default({}),
  })
  .refine((c) => Boolean(c.url) !== Boolean(c.provider), { message: 'exactly one of url or provider is required' }));

export const TargetEndpointSchema = z.lazy(() => z.object({
  name: name().default('default'),
  description: z.string().max(1000).optional(),
  connection: TargetConnectionSchema,
  preFlow: FlowPhaseSchema.default(emptyPhase),
  flows: z.array(ConditionalFlowSchema).default([]),
  postFlow: FlowPhaseSchema.default(emptyPhase),
  faultRules: z.array(FaultRuleSchema).default([]),
  defaultFaultRule: DefaultFaultRuleSchema.optional(),
}));

export const PolicySchema = z.lazy(() => z.object({
  name: name(),
  /** Apigee policy type (element name): SpikeArrest, Quota, AssignMessage ... */
  type: z.string().min(1).max(100),
  displayName: z.string().max(255).optional(),
  enabled: z.boolean().default(true),
  continueOnError: z.boolean().default(false),
  async: z.boolean().default(false),
  /** Type-specific settings, validated by the policy's own schema. */
  config: z.record(z.string(), z.unknown()).default({}),
  /**
   * Imported policies that Tollgate cannot run are kept (and exported again)
   * but skipped at run time; this says why.
   */
  unsupported: z.string().optional(),
  /** Original XML of an imported policy, kept for a faithful export. */
  sourceXml: z.string().optional(),
}));

export const ResourceFileSchema = z.lazy(() => z.object({
  /** e.g. `jsc/script.js`, `xsl/transform.xsl`: a type folder and a relative path (exported as bundle entries). */
  path: z
    .string()
    .min(1)
    .max(500)
    .regex(/^[A-Za-z0-9_-]+\/[^\\]+$/, 'must be <type>/<file>, e.g. jsc/script.js')
    .refine((path) => !path.split('/').some((segment) => segment === '' || segment === '.' || segment === '..'), 'must not contain empty, . or .. segments'),
  content: z.string().max(1_000_000),
  encoding: z.enum(['utf8', 'base64']).default('utf8'),
}));

export const ProxyModelSchema = z.lazy(() => z
  .object({
    name: name(),
    displayName: z.string().max(255).optional(),
    description: z.string().max(4000).optional(),
    policies: z.array(PolicySchema).default([]),
    /** Empty in a revision still being put together file by file (Apigee's import of the descriptor alone); deploying needs one. */
    proxyEndpoints: z.array(ProxyEndpointSchema).default([]),
    targetEndpoints: z.array(TargetEndpointSchema).default([]),
    resources: z.array(ResourceFileSchema).default([]),
  })
  .superRefine((model, ctx) => {
    const unique = (items: { name: string }[], path: string) => {
      const seen = new Set<string>();
      items.forEach((item, i) => {
        if (seen.has(item.name)) ctx.addIssue({ code: 'custom', path: [path, i, 'name'], message: `duplicate name "${item.name}"` });
        seen.add(item.name);
      });
    };
    unique(model.policies, 'policies');
    unique(model.proxyEndpoints, 'proxyEndpoints');
    unique(model.targetEndpoints, 'targetEndpoints');
  }));

/** A shared flow bundle: policies, named step lists (`sharedflows/default.xml`), resources. */
export const SharedFlowModelSchema = z.lazy(() => z
  .object({
    name: name(),
    displayName: z.string().max(255).optional(),
    description: z.string().max(4000).optional(),
    policies: z.array(PolicySchema).default([]),
    /** Apigee's `<SharedFlow name="default">`: the steps FlowCallout and flow hooks run; `default` is the one they call. */
    sharedFlows: z.array(z.object({ name: name().default('default'), steps: z.array(StepSchema).default([]) })).min(1, 'at least one shared flow is required'),
    resources: z.array(ResourceFileSchema).default([]),
  })
  .superRefine((model, ctx) => {
    const seen = new Set<string>();
    model.policies.forEach((policy, i) => {
      if (seen.has(policy.name)) ctx.addIssue({ code: 'custom', path: ['policies', i, 'name'], message: `duplicate name "${policy.name}"` });
      seen.add(policy.name);
    });
  }));

/** Where an environment runs a shared flow around every proxy (Apigee's flow hooks). */
export const FLOW_HOOKS = ['PreProxyFlowHook', 'PreTargetFlowHook', 'PostTargetFlowHook', 'PostProxyFlowHook'] as const;
export type FlowHookName = (typeof FLOW_HOOKS)[number];

export type SharedFlowModel = z.infer<typeof SharedFlowModelSchema>;
export type SharedFlowModelInput = z.input<typeof SharedFlowModelSchema>;
export type Step = z.infer<typeof StepSchema>;
export type FlowPhase = z.infer<typeof FlowPhaseSchema>;
export type ConditionalFlow = z.infer<typeof ConditionalFlowSchema>;
export type FaultRule = z.infer<typeof FaultRuleSchema>;
export type DefaultFaultRule = z.infer<typeof DefaultFaultRuleSchema>;
export type RouteRule = z.infer<typeof RouteRuleSchema>;
export type ProxyEndpoint = z.infer<typeof ProxyEndpointSchema>;
export type TargetEndpoint = z.infer<typeof TargetEndpointSchema>;
export type PolicyModel = z.infer<typeof PolicySchema>;
export type ProxyModel = z.infer<typeof ProxyModelSchema>;
export type ProxyModelInput = z.input<typeof ProxyModelSchema>;
