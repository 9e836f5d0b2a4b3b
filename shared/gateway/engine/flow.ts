// The flow engine: runs a compiled proxy endpoint for one exchange, in Apigee's
// order: ProxyEndpoint request (PreFlow, first matching Flow, PostFlow) ->
// RouteRule -> TargetEndpoint request -> target call -> TargetEndpoint response
// -> ProxyEndpoint response. A fault leaves the normal flow for FaultRules and
// the DefaultFaultRule of the endpoint it happened in.
import { describeError, logger } from '../../log.js';
import { dependencyUnavailable } from '../../http/unavailable.js';
import type {
  CompiledEndpoint,
  CompiledFlow,
  CompiledPhase,
  CompiledPolicy,
  CompiledProxy,
  CompiledProxyEndpoint,
  CompiledSharedFlow,
  CompiledStep,
  CompiledTargetEndpoint,
} from './compile.js';
import { SHARED_FLOW_ENDPOINT } from './compile.js';
import type { CompiledCondition } from '../language/condition.js';
import type { FlowHookName } from './model.js';
import type { Exchange } from './exchange.js';
import { Fault, faultBody, faultErrors, isFault } from './faults.js';
import { HeaderMap, Message } from './message.js';
import type { ExchangeObserver, StepPlace } from './observer.js';
import type { Deployment } from './policy.js';
import { callTarget, resolveTargetUrl, type TargetBackends } from './target.js';

/** A shared flow an environment runs at one of Apigee's flow hooks. */
export interface FlowHook {
  flow: CompiledSharedFlow;
  /** A fault in the hook's flow is passed over (Apigee's flow hook continueOnError). */
  continueOnError: boolean;
}

export type FlowHooks = Partial<Record<FlowHookName, FlowHook>>;

const NO_HOOKS: FlowHooks = Object.freeze({});

/** What the engine needs from its host to run a flow. */
export interface FlowServices {
  targets: TargetBackends;
  /**
   * The services named, bound to the deployment (the policies' declared
   * services); outbound calls through them end by `deadline` (epoch ms).
   */
  policyServices(deployment: Deployment, names: readonly string[], deadline?: number): unknown;
  /** The shared flows attached to the deployment's environment's flow hooks; at once when they are cached. */
  flowHooks?(deployment: Deployment): FlowHooks | Promise<FlowHooks>;
}

const lookupFor = (exchange: Exchange) => (name: string) => exchange.get(name);

const endpointTypeOf = (endpoint: CompiledEndpoint): StepPlace['endpointType'] => ('basePath' in endpoint ? 'ProxyEndpoint' : 'TargetEndpoint');

/** Evaluates a condition, telling the exchange's observer about it when it listens. */
function holds(condition: CompiledCondition, exchange: Exchange, kind: 'flow' | 'route' | 'faultrule', name: string): boolean {
  const result = condition.evaluate(lookupFor(exchange));
  exchange.observer?.conditionEvaluated?.(kind, name, condition.source, result);
  return result;
}

function firstMatch(flows: CompiledFlow[], exchange: Exchange): CompiledFlow | undefined {
  return flows.find((flow) => !flow.condition || holds(flow.condition, exchange, 'flow', flow.name));
}

/**
 * Runs one step's policy. Most policies finish synchronously (AssignMessage,
 * SpikeArrest, conditions on variables): then nothing is returned to await,
 * and a flow of such steps settles no promise per step.
 */
function runPolicy(policy: CompiledPolicy, exchange: Exchange, proxy: CompiledProxy, services: FlowServices, place?: StepPlace): Promise<unknown> | undefined {
  if (!policy.model.enabled) return undefined;
  const observer = exchange.observer;
  if (observer?.stepEnded && place) return runObservedPolicy(policy, exchange, proxy, services, place, observer);
  const result = executePolicy(policy, exchange, proxy, services);
  return result instanceof Promise ? result : undefined;
}

async function runObservedPolicy(
  policy: CompiledPolicy,
  exchange: Exchange,
  proxy: CompiledProxy,
  services: FlowServices,
  place: StepPlace,
  observer: ExchangeObserver,
): Promise<void> {
  const started = performance.now();
  try {
    const swallowed = await executePolicy(policy, exchange, proxy, services);
    observer.stepEnded?.(policy, place, performance.now() - started, swallowed);
  } catch (error) {
    observer.stepEnded?.(policy, place, performance.now() - started, toFault(error, policy.identity.name));
    throw error;
  }
}

/** Runs the policy; returns (or settles with) the fault continueOnError swallowed, if any. */
function executePolicy(policy: CompiledPolicy, exchange: Exchange, proxy: CompiledProxy, services: FlowServices): Fault | undefined | Promise<Fault | undefined> {
  let running: Promise<void> | void;
  try {
    // Fail closed: a policy that cannot run faults its step, it is never passed over.
    const definition = policy.definition;
    if (!definition) throw unsupportedPolicyFault(policy);
    running = definition.execute({
      policy: policy.identity,
      config: policy.config,
      prepared: policy.prepared,
      exchange,
      deployment: proxy.deployment,
      services: services.policyServices(proxy.deployment, definition.services ?? [], exchange.context.deadline),
    });
  } catch (error) {
    return policyFailed(policy, exchange, error);
  }
  // `execute` returns nothing when it has finished; anything else is awaited.
  if (running === undefined) return policySucceeded(policy, exchange);
  return Promise.resolve(running).then(
    () => policySucceeded(policy, exchange),
    (error: unknown) => policyFailed(policy, exchange, error),
  );
}

function policySucceeded(policy: CompiledPolicy, exchange: Exchange): undefined {
  exchange.set(`${policy.identity.name}.failed`, false);
  return undefined;
}

/** A policy's error as its fault: swallowed (and returned) under continueOnError, else thrown. */
function policyFailed(policy: CompiledPolicy, exchange: Exchange, error: unknown): Fault {
  exchange.set(`${policy.identity.name}.failed`, true);
  const fault = toFault(error, policy.identity.name);
  if (policy.model.continueOnError) {
    exchange.set(`${policy.identity.name}.fault.name`, fault.faultName);
    return fault;
  }
  throw fault;
}

async function runSteps(steps: CompiledStep[], exchange: Exchange, proxy: CompiledProxy, services: FlowServices, place: StepPlace): Promise<void> {
  const lookup = lookupFor(exchange);
  for (const step of steps) {
    if (exchange.skipToResponse && exchange.phase === 'request') return;
    const observer = exchange.observer;
    if (observer?.stepStarted) {
      const result = step.condition ? step.condition.evaluate(lookup) : true;
      const condition = step.condition ? { expression: step.condition.source, result } : undefined;
      observer.stepStarted(step.policy, place, condition, result && step.policy.model.enabled && step.policy.definition !== undefined);
      if (!result) continue;
    } else if (step.condition && !step.condition.evaluate(lookup)) continue;
    const running = runPolicy(step.policy, exchange, proxy, services, place);
    if (running) await running;
  }
}

/** What a phase runs with: the endpoint, its matched conditional flow, which phase, the exchange and its proxy, the host. */
type PhaseArgs = [
  endpoint: CompiledEndpoint,
  flow: CompiledFlow | undefined,
  which: keyof CompiledPhase,
  exchange: Exchange,
  proxy: CompiledProxy,
  services: FlowServices,
];

/**
 * Runs one phase (request or response) of an endpoint: PreFlow, the matched
 * conditional flow, PostFlow. A phase with no steps anywhere, unless a trace
 * follows flows, returns nothing to await: most phases of most proxies are
 * empty, and the request path stays free of promises that settle at once.
 */
function runPhase(...args: PhaseArgs): Promise<void> | undefined {
  const [endpoint, flow, which, exchange] = args;
  if (!exchange.observer?.flowStarted && endpoint.preFlow[which].length === 0 && endpoint.postFlow[which].length === 0 && !flow?.[which].length) {
    exchange.currentFlow = 'PostFlow';
    return undefined;
  }
  return runFlows(...args);
}

async function runFlows(...[endpoint, flow, which, exchange, proxy, services]: PhaseArgs): Promise<void> {
  exchange.currentFlow = 'PreFlow';
  const pre = enterFlow(endpoint, 'PreFlow', endpoint.preFlow[which], which, exchange, proxy, services);
  if (pre) await pre;
  if (flow) {
    exchange.currentFlow = flow.name;
    const conditional = enterFlow(endpoint, flow.name, flow[which], which, exchange, proxy, services);
    if (conditional) await conditional;
  }
  exchange.currentFlow = 'PostFlow';
  const post = enterFlow(endpoint, 'PostFlow', endpoint.postFlow[which], which, exchange, proxy, services);
  if (post) await post;
}

/**
 * Enters one flow of a phase and runs its steps. A flow without steps costs
 * nothing unless the exchange's observer follows flows (a trace shows every
 * flow entered): most phases of most proxies are empty.
 */
function enterFlow(
  endpoint: CompiledEndpoint,
  name: string,
  steps: CompiledStep[],
  which: keyof CompiledPhase,
  exchange: Exchange,
  proxy: CompiledProxy,
  services: FlowServices,
): Promise<void> | undefined {
  const observer = exchange.observer;
  if (steps.length === 0 && !observer?.flowStarted) return undefined;
  const place: StepPlace = { endpointType: endpointTypeOf(endpoint), endpoint: endpoint.name, flow: name, phase: which };
  observer?.flowStarted?.(place);
  return steps.length === 0 ? undefined : runSteps(steps, exchange, proxy, services, place);
}

/** What a step of an imported policy Tollgate cannot run answers: 500, as Apigee answers a policy that fails. */
function unsupportedPolicyFault(policy: CompiledPolicy): Fault {
  const { name, type } = policy.identity;
  return new Fault('PolicyNotSupported', 'messaging.runtime.PolicyNotSupported', 500, `Policy ${name} (${type}) cannot run on this gateway`, { policyName: name });
}

export function toFault(error: unknown, policyName?: string): Fault {
  if (isFault(error)) {
    if (policyName && !error.policyName) error.policyName = policyName;
    return error;
  }
  // The table or the secret store is throttling or out of reach: a retryable 503, not an internal error.
  const unavailable = dependencyUnavailable(error, faultErrors.unavailableCode, { policy: policyName });
  if (unavailable) {
    return new Fault('ServiceUnavailable', unavailable.code, unavailable.status, unavailable.message, {
      headers: unavailable.headers ?? {},
      ...(policyName ? { policyName } : {}),
    });
  }
  logger.error('policy or flow error', { policy: policyName, error: describeError(error) });
  return new Fault('InternalError', 'messaging.runtime.InternalError', 500, 'Internal error while processing the request', {
    ...(policyName ? { policyName } : {}),
  });
}

/** The response a fault produces by default: RaiseFault's message, or Apigee's fault JSON. */
export function faultResponse(fault: Fault): Message {
  if (fault.response) return fault.response;
  const headers = new HeaderMap({ 'Content-Type': 'application/json', ...fault.headers });
  return new Message({ status: fault.status, headers, body: Buffer.from(faultBody(fault)) });
}

const asCalledBy = new WeakMap<CompiledSharedFlow, WeakMap<Deployment, CompiledProxy>>();

/**
 * Runs a shared flow's steps on the exchange (FlowCallout, flow hooks). Its
 * policies act for the calling proxy, as in Apigee (a VerifyAPIKey in a
 * shared flow checks the caller's products); a fault is the caller's fault.
 */
export async function runSharedFlow(shared: CompiledSharedFlow, exchange: Exchange, services: FlowServices, caller: Deployment): Promise<void> {
  let byCaller = asCalledBy.get(shared);
  if (!byCaller) asCalledBy.set(shared, (byCaller = new WeakMap()));
  let proxy = byCaller.get(caller);
  if (!proxy) byCaller.set(caller, (proxy = { ...shared.proxy, deployment: caller }));
  const place: StepPlace = { endpointType: 'ProxyEndpoint', endpoint: SHARED_FLOW_ENDPOINT, flow: shared.proxy.deployment.apiName, phase: exchange.phase };
  await runSteps(shared.steps, exchange, proxy, services, place);
}

/** Runs a flow hook's shared flow; nothing to await where the environment attaches none to this hook. */
function runHook(hooks: FlowHooks, name: FlowHookName, exchange: Exchange, proxy: CompiledProxy, services: FlowServices): Promise<void> | undefined {
  const hook = hooks[name];
  return hook ? runHookFlow(hook, name, exchange, proxy, services) : undefined;
}

async function runHookFlow(hook: FlowHook, name: FlowHookName, exchange: Exchange, proxy: CompiledProxy, services: FlowServices): Promise<void> {
  const flow = exchange.currentFlow;
  exchange.currentFlow = name;
  try {
    await runSharedFlow(hook.flow, exchange, services, proxy.deployment);
  } catch (error) {
    if (!hook.continueOnError) throw error;
  } finally {
    exchange.currentFlow = flow;
  }
}

export async function runProxyEndpoint(
  proxy: CompiledProxy,
  endpoint: CompiledProxyEndpoint,
  exchange: Exchange,
  services: FlowServices,
): Promise<void> {
  let target: CompiledTargetEndpoint | undefined;
  let inTarget = false;
  try {
    exchange.phase = 'request';
    // Each step below may return nothing to await (no hook attached, an empty phase): `await` only what runs.
    const found = services.flowHooks ? services.flowHooks(proxy.deployment) : NO_HOOKS;
    const hooks = found instanceof Promise ? await found : found;
    let running = runHook(hooks, 'PreProxyFlowHook', exchange, proxy, services);
    if (running) await running;
    const proxyFlow = firstMatch(endpoint.flows, exchange);
    running = runPhase(endpoint, proxyFlow, 'request', exchange, proxy, services);
    if (running) await running;

    const route = exchange.skipToResponse
      ? undefined
      : endpoint.routeRules.find((rule) => !rule.condition || holds(rule.condition, exchange, 'route', rule.name));
    if (route?.targetEndpoint) {
      target = proxy.targets.get(route.targetEndpoint)!;
      inTarget = true;
      exchange.targetName = target.name;
      exchange.targetProvider = target.connection.provider;
      const url = resolveTargetUrl(services.targets, exchange, target);
      exchange.targetUrl = typeof url === 'string' ? url : await url;
      running = runHook(hooks, 'PreTargetFlowHook', exchange, proxy, services);
      if (running) await running;
      const targetFlow = firstMatch(target.flows, exchange);
      running = runPhase(target, targetFlow, 'request', exchange, proxy, services);
      if (running) await running;
      await callTarget(services.targets, exchange, target, exchange.targetUrl);
      exchange.phase = 'response';
      running = runPhase(target, targetFlow, 'response', exchange, proxy, services);
      if (running) await running;
      running = runHook(hooks, 'PostTargetFlowHook', exchange, proxy, services);
      if (running) await running;
      inTarget = false;
    } else if (route?.url) {
      exchange.targetUrl = route.url;
      await callTarget(services.targets, exchange, undefined, route.url);
    }
    // A null route (no target) answers with whatever the request flow built.
    exchange.phase = 'response';
    exchange.hasResponse = true;
    running = runPhase(endpoint, proxyFlow, 'response', exchange, proxy, services);
    if (running) await running;
    running = runHook(hooks, 'PostProxyFlowHook', exchange, proxy, services);
    if (running) await running;
  } catch (error) {
    await handleFault(toFault(error), inTarget ? target : undefined, endpoint, exchange, proxy, services);
  }
}

/**
 * PostClientFlow: Apigee runs it after the response has gone to the client,
 * for logging. Lambda cannot act after returning, so it runs just before;
 * its faults never change the response.
 */
export async function runPostClientFlow(proxy: CompiledProxy, endpoint: CompiledProxyEndpoint, exchange: Exchange, services: FlowServices): Promise<void> {
  if (!endpoint.postClientFlow) return;
  exchange.phase = 'response';
  exchange.currentFlow = 'PostClientFlow';
  const place: StepPlace = { endpointType: 'ProxyEndpoint', endpoint: endpoint.name, flow: 'PostClientFlow', phase: 'response' };
  exchange.observer?.flowStarted?.(place);
  try {
    await runSteps(endpoint.postClientFlow.response, exchange, proxy, services, place);
  } catch (error) {
    logger.warn('PostClientFlow step failed', { error: describeError(error) });
  }
}

async function handleFault(
  fault: Fault,
  target: CompiledTargetEndpoint | undefined,
  endpoint: CompiledProxyEndpoint,
  exchange: Exchange,
  proxy: CompiledProxy,
  services: FlowServices,
): Promise<void> {
  exchange.fault = fault;
  exchange.observer?.fault?.(fault);
  exchange.response = faultResponse(fault);
  exchange.hasResponse = true;
  exchange.phase = 'response';
  // A fault in the target segment is handled by the TargetEndpoint's rules; if none
  // of them apply, the ProxyEndpoint's rules get their turn.
  if (target && (await runFaultRules(target, false, exchange, proxy, services))) return;
  await runFaultRules(endpoint, true, exchange, proxy, services);
}

/**
 * Runs the one FaultRule that applies (Apigee evaluates ProxyEndpoint rules
 * bottom to top and TargetEndpoint rules top to bottom; a rule without a
 * condition always applies), then the DefaultFaultRule when no rule ran or it
 * is AlwaysEnforce, unless a RaiseFault already shaped the response.
 */
async function runFaultRules(
  endpoint: CompiledEndpoint,
  bottomUp: boolean,
  exchange: Exchange,
  proxy: CompiledProxy,
  services: FlowServices,
): Promise<boolean> {
  const rules = bottomUp ? [...endpoint.faultRules].reverse() : endpoint.faultRules;
  const rule = rules.find((candidate) => !candidate.condition || holds(candidate.condition, exchange, 'faultrule', candidate.name));
  let executed = false;
  let raised = false;
  if (rule) {
    executed = true;
    const outcome = await runFaultSteps(rule.steps, exchange, proxy, services, faultPlace(exchange, endpoint, rule.name));
    if (outcome === 'failed') return true;
    raised = outcome === 'raised';
  }
  const fallback = endpoint.defaultFaultRule;
  if (fallback && !raised && (!executed || fallback.alwaysEnforce) && (!fallback.condition || holds(fallback.condition, exchange, 'faultrule', fallback.name))) {
    executed = true;
    await runFaultSteps(fallback.steps, exchange, proxy, services, faultPlace(exchange, endpoint, fallback.name));
  }
  return executed;
}

/** Steps inside fault handling: a RaiseFault sets the response and processing continues. */
function faultPlace(exchange: Exchange, endpoint: CompiledEndpoint, rule: string): StepPlace {
  const place: StepPlace = { endpointType: endpointTypeOf(endpoint), endpoint: endpoint.name, flow: rule, phase: 'response' };
  exchange.observer?.flowStarted?.(place);
  return place;
}

async function runFaultSteps(
  steps: CompiledStep[],
  exchange: Exchange,
  proxy: CompiledProxy,
  services: FlowServices,
  place: StepPlace,
): Promise<'done' | 'raised' | 'failed'> {
  let outcome: 'done' | 'raised' = 'done';
  for (const step of steps) {
    const result = step.condition ? step.condition.evaluate(lookupFor(exchange)) : true;
    exchange.observer?.stepStarted?.(step.policy, place, step.condition ? { expression: step.condition.source, result } : undefined, result);
    if (!result) continue;
    try {
      await runPolicy(step.policy, exchange, proxy, services, place);
    } catch (error) {
      const fault = toFault(error, step.policy.identity.name);
      exchange.response = faultResponse(fault);
      if (!fault.response) return 'failed';
      outcome = 'raised';
    }
  }
  return outcome;
}
