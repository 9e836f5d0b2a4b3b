// What the engine tells whoever watches an exchange: the host's analytics and
// trace (gateway/host/). The engine knows no store: it calls these methods, if
// present, as the exchange moves through its flows. An exchange that nobody
// traces has an observer with `completed` only (or none), so the cost of the
// hooks on the warm path is a property read per step.
import type { CompiledPolicy } from './compile.js';
import type { Exchange } from './exchange.js';
import type { Fault } from './faults.js';
import type { Message } from './message.js';

/** Apigee's four message points of a call. */
export type MessagePoint = 'proxyRequest' | 'targetRequest' | 'targetResponse' | 'proxyResponse';

/** Where a step runs: the endpoint, its flow and the phase. */
export interface StepPlace {
  endpointType: 'ProxyEndpoint' | 'TargetEndpoint';
  endpoint: string;
  /** `PreFlow`, a conditional flow's name, `PostFlow`, `PostClientFlow`, or a fault rule's name. */
  flow: string;
  phase: 'request' | 'response';
}

/** The request as it goes to the target (after every request policy ran). */
export interface TargetRequest {
  url: string;
  verb: string;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

export interface ExchangeObserver {
  /** A flow starts running (FlowInfo). */
  flowStarted?(place: StepPlace): void;
  /** A flow's or a route rule's condition was evaluated. */
  conditionEvaluated?(kind: 'flow' | 'route' | 'faultrule', name: string, expression: string, result: boolean): void;
  /** A step is about to run its policy, or is skipped by its condition (`executed: false`). */
  stepStarted?(policy: CompiledPolicy, place: StepPlace, condition: { expression: string; result: boolean } | undefined, executed: boolean): void;
  /** The step's policy finished; `fault` when it failed (continueOnError or not). */
  stepEnded?(policy: CompiledPolicy, place: StepPlace, elapsedMs: number, fault?: Fault): void;
  /** A flow variable was read (by a condition, a policy or a template). */
  variableRead?(name: string, value: unknown): void;
  /** A flow variable was written. */
  variableSet?(name: string, value: unknown): void;
  /** A message at one of the four points. */
  message?(point: MessagePoint, message: Message | TargetRequest): void;
  /** The call faulted: fault handling starts. */
  fault?(fault: Fault): void;
  /** The exchange is done and its response is final (after PostClientFlow). */
  completed?(exchange: Exchange): void;
}
