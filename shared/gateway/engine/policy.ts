// What a policy is: a type name, a zod schema for its settings (the JSON model;
// bundle import maps Apigee XML onto the same shape), an optional `prepare`
// run once per deployment (compile templates, allocate per-container state),
// and `execute`. The flow engine knows nothing about individual policies.
import type * as z from 'zod';
import type { XmlElement, XmlNode } from '../policies/xml-model.js';
import type { Runtime } from '../../runtime.js';
import type { Exchange } from './exchange.js';

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
}

export interface ExecuteContext<Config, Prepared> {
  policy: PolicyIdentity;
  config: Config;
  prepared: Prepared;
  exchange: Exchange;
  deployment: Deployment;
  rt: Runtime;
}

/**
 * The policy's Apigee XML form (`policies/<name>.xml` in a bundle). The root
 * element's name, enabled, continueOnError, async and DisplayName are handled
 * by the importer; these read and write everything else.
 */
export interface PolicyXml<Config> {
  /**
   * Reads the settings from the root element. Problems are reported on the
   * elements (`element.report`); elements never looked at are reported as
   * unsupported by the importer. The result is validated with `schema`.
   */
  fromXml: (root: XmlElement) => unknown;
  /** Writes validated settings back: extra root attributes and the child elements. */
  toXml: (config: Config) => { attributes?: XmlNode['attributes']; children: XmlNode[] };
}

export interface PolicyDefinition<Config = unknown, Prepared = unknown> {
  type: string;
  schema: z.ZodType<Config>;
  prepare?: (config: Config, context: PrepareContext) => Prepared;
  execute: (context: ExecuteContext<Config, Prepared>) => Promise<void> | void;
  xml?: PolicyXml<Config>;
}

/** Identity helper that keeps a policy's Config and Prepared types linked. */
export function definePolicy<Config, Prepared = undefined>(
  definition: PolicyDefinition<Config, Prepared>,
): PolicyDefinition<Config, Prepared> {
  return definition;
}
