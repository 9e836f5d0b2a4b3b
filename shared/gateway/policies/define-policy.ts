// One policy = one file: its zod schema (the JSON model; bundle import maps
// Apigee XML onto the same shape), an optional `prepare`, `execute`, which
// gets exactly the services the policy declares, and, exported beside the
// definition, its XML codec. The codec is a separate export so that the
// runtime's bundle, which never reads XML, leaves it out. Adding a policy is a
// new file plus its two names in index.ts: the engine never changes.
import type { PolicyDefinition } from '../engine/policy.js';
import type { PolicyServices } from './services.js';
import type { XmlElement, XmlNode } from './xml-model.js';
import type { FaultTable } from './common.js';

/**
 * The policy's Apigee XML form (`policies/<name>.xml` in a bundle). The root
 * element's name, enabled, continueOnError, async and DisplayName are handled
 * by the importer; these read and write everything else.
 */
export interface PolicyXml<Config = unknown> {
  /** The policy type it reads and writes (the definition's). */
  type: string;
  /**
   * Reads the settings from the root element. Problems are reported on the
   * elements (`element.report`); elements never looked at are reported as
   * unsupported by the importer. The result is validated with `schema`.
   */
  fromXml: (root: XmlElement) => unknown;
  /** Writes validated settings back: extra root attributes and the child elements. */
  toXml: (config: Config) => { attributes?: XmlNode['attributes']; children: XmlNode[] };
}

export type ServiceName = keyof PolicyServices;

/** What a policy's settings name outside the proxy, checked when a revision is created and deployed. */
export interface PolicyReferences {
  /** API providers of the organization it uses. */
  providers?: string[];
  /** Literal outbound URLs it calls (templated ones are checked at call time only). */
  urls?: string[];
}

export interface Policy<Config = unknown, Prepared = unknown, Needs extends ServiceName = ServiceName>
  extends PolicyDefinition<Config, Prepared, Pick<PolicyServices, Needs>> {
  services?: readonly Needs[];
  references?(config: Config): PolicyReferences;
  /** The faults `execute` raises (common.ts `defineFaults`), listed in docs/faults.md. */
  faults?: FaultTable;
}

/** Identity helper that keeps a policy's Config, Prepared and declared services linked. */
export function definePolicy<Config, Prepared = undefined, const Needs extends ServiceName = never>(
  policy: Policy<Config, Prepared, Needs>,
): Policy<Config, Prepared, Needs> {
  return policy;
}

/**
 * A policy's XML codec, exported beside its definition as
 * `export const quotaXml = policyXml(quota, { fromXml, toXml })`, the call
 * marked with a `@__PURE__` comment: the bundler then knows it has no side
 * effects, so a bundle that never asks for codecs (the runtime's) drops them,
 * with every XML helper only they use.
 */
export function policyXml<Config, Prepared, Needs extends ServiceName>(
  policy: Policy<Config, Prepared, Needs>,
  codec: Omit<PolicyXml<Config>, 'type'>,
): PolicyXml<Config> {
  return { type: policy.type, ...codec };
}
