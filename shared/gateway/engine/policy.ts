// What the flow engine knows of a policy: a type name, a zod schema for its
// settings, an optional `prepare` run once per deployment (compile templates,
// allocate per-container state), `execute`, and the names of the services
// `execute` uses. The engine never names a policy: it finds definitions in
// the registry it is given, and hands each one a narrow context (the
// exchange's variables and messages, the deployment, the services it
// declared), never the container's runtime.
import type * as z from 'zod';
import type { Message } from './message.js';

export interface Deployment {
  organization: string;
  environment: string;
  apiName: string;
  revision: number;
}

export interface PolicyIdentity {
  name: string;
  type: string;
  continueOnError: boolean;
}

export interface PrepareContext {
  policy: PolicyIdentity;
  deployment: Deployment;
  /** The revision's resource files by path (`jsc/script.js`, `oas/spec.yaml`), as text. */
  resources: ReadonlyMap<string, string>;
}

/** The part of an exchange a policy works on: flow variables and messages. */
export interface PolicyExchange {
  readonly request: Message;
  /** The response so far; a policy may replace it (AssignMessage, OAuthV2). */
  response: Message;
  /** The message `message.*` refers to in the current phase. */
  readonly message: Message;
  /** Messages created by AssignMessage's AssignTo, by name. */
  readonly messages: Map<string, Message>;
  readonly phase: 'request' | 'response';
  /** The part of the path after the base path (`proxy.pathsuffix`). */
  readonly pathSuffix: string;
  /** API provider of the routed target endpoint, if it uses one. */
  readonly targetProvider: string | undefined;
  /** True once the response came from the target or a policy produced one. */
  hasResponse: boolean;
  /** Set when a policy produced the complete response during the request flow: the rest of it and the target are skipped. */
  skipToResponse: boolean;
  /** Callbacks that adjust the final response, whatever path produced it. */
  readonly responseHooks: ((response: Message) => void)[];
  /**
   * StatisticsCollector's values, by statistic name: strings become custom
   * dimensions and numbers custom metrics of the call's analytics record.
   */
  readonly statistics: Map<string, string | number | boolean>;
  /** The client's address (`client.ip`), for AccessControl. */
  readonly clientIp: string;
  /** `request`, `response`, a message a policy made, or (no name, `message`) the current phase's message. */
  messageByName(name: string | undefined): Message | undefined;
  get(name: string): unknown;
  set(name: string, value: unknown): void;
}

export interface ExecuteContext<Config, Prepared, Services> {
  policy: PolicyIdentity;
  config: Config;
  prepared: Prepared;
  exchange: PolicyExchange;
  deployment: Deployment;
  /** Exactly the services the definition declared, bound to this deployment. */
  services: Services;
}

// Methods, not function properties: a definition that needs particular services
// is still a definition the engine can hold without knowing them.
export interface PolicyDefinition<Config = unknown, Prepared = unknown, Services = unknown> {
  type: string;
  schema: z.ZodType<Config>;
  /** Names of the services `execute` uses; the host provides these and no others. */
  services?: readonly string[];
  prepare?(config: Config, context: PrepareContext): Prepared;
  execute(context: ExecuteContext<Config, Prepared, Services>): Promise<void> | void;
}

/** Where the engine finds a policy type's definition (Apigee element names, any case). */
export interface PolicyRegistry {
  definition(type: string): PolicyDefinition | undefined;
}
