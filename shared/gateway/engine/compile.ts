// Turns a stored proxy model into something the flow engine runs: conditions
// parsed once, policy settings validated and prepared once, references
// resolved. The same pass validates a proxy on create and import, so every
// problem is reported with the place it is at.
import type { FieldProblem } from '../../http/errors.js';
import { zodProblems } from '../../http/body.js';
import { compileCondition, ConditionSyntaxError, type CompiledCondition } from '../language/condition.js';
import type { ConditionalFlow, DefaultFaultRule, FaultRule, FlowPhase, PolicyModel, ProxyModel, SharedFlowModel, Step, TargetEndpoint } from './model.js';
import type { Deployment, PolicyDefinition, PolicyIdentity, PolicyRegistry } from './policy.js';

export interface CompiledPolicy {
  model: PolicyModel;
  identity: PolicyIdentity;
  /** Undefined for imported policies Tollgate cannot run: their steps fault (fail closed). */
  definition?: PolicyDefinition;
  config: unknown;
  prepared: unknown;
}

export interface CompiledStep {
  policy: CompiledPolicy;
  condition?: CompiledCondition;
}

export interface CompiledPhase {
  request: CompiledStep[];
  response: CompiledStep[];
}

export interface CompiledFlow extends CompiledPhase {
  name: string;
  condition?: CompiledCondition;
}

export interface CompiledFaultRule {
  name: string;
  condition?: CompiledCondition;
  steps: CompiledStep[];
}

export interface CompiledDefaultFaultRule extends CompiledFaultRule {
  alwaysEnforce: boolean;
}

export interface CompiledEndpoint {
  name: string;
  preFlow: CompiledPhase;
  flows: CompiledFlow[];
  postFlow: CompiledPhase;
  faultRules: CompiledFaultRule[];
  defaultFaultRule?: CompiledDefaultFaultRule;
}

export interface CompiledRouteRule {
  name: string;
  condition?: CompiledCondition;
  targetEndpoint?: string;
  url?: string;
}

export interface CompiledProxyEndpoint extends CompiledEndpoint {
  basePath: string;
  routeRules: CompiledRouteRule[];
  postClientFlow?: CompiledPhase;
}

export interface CompiledTargetEndpoint extends CompiledEndpoint {
  connection: TargetEndpoint['connection'];
}

export interface CompiledProxy {
  deployment: Deployment;
  model: ProxyModel;
  proxyEndpoints: CompiledProxyEndpoint[];
  targets: Map<string, CompiledTargetEndpoint>;
  /** `propertyset.{set}.{key}`: the revision's `resources/properties/{set}.properties`, by `{set}.{key}`. */
  propertySets: ReadonlyMap<string, string>;
}

/**
 * Java `.properties` text as key -> value: `key=value`, `key: value` or
 * `key value`, `#` and `!` comments, backslash line continuations and escapes.
 */
export function parseProperties(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!.replace(/^\s+/, '');
    const separator = /^((?:\\.|[^\\=:\s])*)\s*[=:\s]\s*/.exec(line);
    const key = separator ? separator[1]! : line;
    const value = separator ? line.slice(separator[0].length) : '';
    const unescape = (part: string) =>
      part.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_match, escaped: string) =>
        escaped.length === 5 ? String.fromCharCode(parseInt(escaped.slice(1), 16)) : ({ t: '\t', n: '\n', r: '\r', f: '\f' } as Record<string, string>)[escaped] ?? escaped,
      );
    entries.set(unescape(key), unescape(value));
  }
  return entries;
}

function propertySetsOf(model: ProxyModel): Map<string, string> {
  const sets = new Map<string, string>();
  for (const resource of model.resources) {
    const match = /^properties\/([^/]+)\.properties$/.exec(resource.path);
    if (!match) continue;
    const text = resource.encoding === 'base64' ? Buffer.from(resource.content, 'base64').toString('utf8') : resource.content;
    for (const [key, value] of parseProperties(text)) sets.set(`${match[1]}.${key}`, value);
  }
  return sets;
}

export class ProxyValidationError extends Error {
  constructor(readonly problems: FieldProblem[]) {
    super(`Proxy is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    this.name = 'ProxyValidationError';
  }
}

/**
 * A shared flow compiled as the engine runs it: a proxy with no base path
 * and no target, whose `default` flow is the steps of its one endpoint's
 * PreFlow request (the same validation, policies and conditions as a proxy's).
 */
export interface CompiledSharedFlow {
  proxy: CompiledProxy;
  steps: CompiledStep[];
}

export const SHARED_FLOW_ENDPOINT = 'sharedflow';

export function compileSharedFlow(model: SharedFlowModel, deployment: Deployment, registry: PolicyRegistry): CompiledSharedFlow {
  const flow = model.sharedFlows.find((candidate) => candidate.name === 'default') ?? model.sharedFlows[0]!;
  const asProxy: ProxyModel = {
    name: model.name,
    policies: model.policies,
    proxyEndpoints: [
      {
        name: SHARED_FLOW_ENDPOINT,
        basePath: '/',
        preFlow: { request: flow.steps, response: [] },
        flows: [],
        postFlow: { request: [], response: [] },
        faultRules: [],
        routeRules: [],
      },
    ],
    targetEndpoints: [],
    resources: model.resources,
  };
  let proxy: CompiledProxy;
  try {
    proxy = compileProxy(asProxy, deployment, registry);
  } catch (error) {
    // Problems are named as a shared flow's: its steps are `sharedFlows.N.steps`.
    if (error instanceof ProxyValidationError) {
      const index = model.sharedFlows.indexOf(flow);
      throw new ProxyValidationError(error.problems.map((problem) => ({ ...problem, path: problem.path.replace(/^proxyEndpoints\.0\.preFlow\.request/, `sharedFlows.${index}.steps`) })));
    }
    throw error;
  }
  return { proxy, steps: proxy.proxyEndpoints[0]!.preFlow.request };
}

/** Normalizes a base path: leading slash, no trailing slash (except the root). */
export function normalizeBasePath(basePath: string): string {
  const trimmed = `/${basePath}`.replace(/\/{2,}/g, '/');
  return trimmed.length > 1 ? trimmed.replace(/\/+$/, '') : trimmed;
}

/** Compiles a proxy with the policies of `registry`; throws ProxyValidationError naming every problem. */
export function compileProxy(model: ProxyModel, deployment: Deployment, registry: PolicyRegistry): CompiledProxy {
  const problems: FieldProblem[] = [];
  const policies = new Map<string, CompiledPolicy>();
  const resources = new Map(model.resources.map((file) => [file.path, file.encoding === 'base64' ? Buffer.from(file.content, 'base64').toString('utf8') : file.content]));

  model.policies.forEach((policy, index) => {
    const identity = { name: policy.name, type: policy.type, continueOnError: policy.continueOnError };
    // A policy imported as unsupported faults when it runs, even when its type exists (an element of it is unsupported).
    const definition = policy.unsupported ? undefined : registry.definition(policy.type);
    if (!definition) {
      if (!policy.unsupported) {
        problems.push({ path: `policies.${index}.type`, message: `policy type "${policy.type}" is not supported` });
      }
      policies.set(policy.name, { model: policy, identity, config: policy.config, prepared: undefined });
      return;
    }
    const parsed = definition.schema.safeParse(policy.config);
    if (!parsed.success) {
      for (const problem of zodProblems(parsed.error)) {
        problems.push({ path: `policies.${index}.config${problem.path === '(body)' ? '' : `.${problem.path}`}`, message: problem.message });
      }
      return;
    }
    let prepared: unknown;
    try {
      prepared = definition.prepare?.(parsed.data, { policy: identity, deployment, resources });
    } catch (error) {
      problems.push({ path: `policies.${index}.config`, message: error instanceof Error ? error.message : String(error) });
      return;
    }
    policies.set(policy.name, { model: policy, identity, definition, config: parsed.data, prepared });
  });

  const condition = (source: string | undefined, path: string): CompiledCondition | undefined => {
    if (source === undefined || source.trim() === '') return undefined;
    try {
      return compileCondition(source);
    } catch (error) {
      const detail = error instanceof ConditionSyntaxError ? `${error.message} (at character ${error.position})` : String(error);
      problems.push({ path, message: `invalid condition: ${detail}` });
      return undefined;
    }
  };

  const steps = (list: Step[], path: string): CompiledStep[] =>
    list.flatMap((step, i) => {
      const policy = policies.get(step.name);
      if (!policy) {
        const known = model.policies.some((p) => p.name === step.name);
        if (!known) problems.push({ path: `${path}.${i}.name`, message: `no policy named "${step.name}"` });
        return [];
      }
      const compiled: CompiledStep = { policy };
      const c = condition(step.condition, `${path}.${i}.condition`);
      if (c) compiled.condition = c;
      return [compiled];
    });

  const phase = (flow: FlowPhase, path: string): CompiledPhase => ({
    request: steps(flow.request, `${path}.request`),
    response: steps(flow.response, `${path}.response`),
  });

  const flows = (list: ConditionalFlow[], path: string): CompiledFlow[] =>
    list.map((flow, i) => {
      const compiled: CompiledFlow = { name: flow.name, ...phase(flow, `${path}.${i}`) };
      const c = condition(flow.condition, `${path}.${i}.condition`);
      if (c) compiled.condition = c;
      return compiled;
    });

  const faultRules = (list: FaultRule[], path: string): CompiledFaultRule[] =>
    list.map((rule, i) => {
      const compiled: CompiledFaultRule = { name: rule.name, steps: steps(rule.steps, `${path}.${i}.steps`) };
      const c = condition(rule.condition, `${path}.${i}.condition`);
      if (c) compiled.condition = c;
      return compiled;
    });

  const defaultRule = (rule: DefaultFaultRule | undefined, path: string): CompiledDefaultFaultRule | undefined => {
    if (!rule) return undefined;
    const compiled: CompiledDefaultFaultRule = {
      name: rule.name,
      alwaysEnforce: rule.alwaysEnforce,
      steps: steps(rule.steps, `${path}.steps`),
    };
    const c = condition(rule.condition, `${path}.condition`);
    if (c) compiled.condition = c;
    return compiled;
  };

  const targetNames = new Set(model.targetEndpoints.map((t) => t.name));
  const targets = new Map<string, CompiledTargetEndpoint>();
  model.targetEndpoints.forEach((target, i) => {
    const path = `targetEndpoints.${i}`;
    const compiled: CompiledTargetEndpoint = {
      name: target.name,
      connection: target.connection,
      preFlow: phase(target.preFlow, `${path}.preFlow`),
      flows: flows(target.flows, `${path}.flows`),
      postFlow: phase(target.postFlow, `${path}.postFlow`),
      faultRules: faultRules(target.faultRules, `${path}.faultRules`),
    };
    const dfr = defaultRule(target.defaultFaultRule, `${path}.defaultFaultRule`);
    if (dfr) compiled.defaultFaultRule = dfr;
    targets.set(target.name, compiled);
  });

  const basePaths = new Set<string>();
  const proxyEndpoints = model.proxyEndpoints.map((endpoint, i) => {
    const path = `proxyEndpoints.${i}`;
    const basePath = normalizeBasePath(endpoint.basePath);
    if (basePaths.has(basePath)) problems.push({ path: `${path}.basePath`, message: `base path ${basePath} is used twice` });
    basePaths.add(basePath);
    const routeRules: CompiledRouteRule[] = endpoint.routeRules.map((rule, r) => {
      if (rule.targetEndpoint && !targetNames.has(rule.targetEndpoint)) {
        problems.push({ path: `${path}.routeRules.${r}.targetEndpoint`, message: `no target endpoint named "${rule.targetEndpoint}"` });
      }
      const compiled: CompiledRouteRule = { name: rule.name };
      const c = condition(rule.condition, `${path}.routeRules.${r}.condition`);
      if (c) compiled.condition = c;
      if (rule.targetEndpoint) compiled.targetEndpoint = rule.targetEndpoint;
      if (rule.url) compiled.url = rule.url;
      return compiled;
    });
    // A model without route rules routes to its only target endpoint, if it has one.
    if (routeRules.length === 0 && model.targetEndpoints.length === 1) {
      routeRules.push({ name: 'default', targetEndpoint: model.targetEndpoints[0]!.name });
    }
    const compiled: CompiledProxyEndpoint = {
      name: endpoint.name,
      basePath,
      preFlow: phase(endpoint.preFlow, `${path}.preFlow`),
      flows: flows(endpoint.flows, `${path}.flows`),
      postFlow: phase(endpoint.postFlow, `${path}.postFlow`),
      faultRules: faultRules(endpoint.faultRules, `${path}.faultRules`),
      routeRules,
    };
    const dfr = defaultRule(endpoint.defaultFaultRule, `${path}.defaultFaultRule`);
    if (dfr) compiled.defaultFaultRule = dfr;
    if (endpoint.postClientFlow) compiled.postClientFlow = phase(endpoint.postClientFlow, `${path}.postClientFlow`);
    return compiled;
  });

  if (problems.length > 0) throw new ProxyValidationError(problems);
  return { deployment, model, proxyEndpoints, targets, propertySets: propertySetsOf(model) };
}
