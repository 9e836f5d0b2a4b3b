// The policy registry: Apigee element name -> definition. Adding a policy is a
// new file plus one line here; the flow engine never changes.
import type { PolicyRegistry } from '../engine/policy.js';
import type { Policy } from './define-policy.js';
import { assignMessage } from './assign-message.js';
import { basicAuthentication } from './basic-authentication.js';
import { cors } from './cors.js';
import { extractVariables } from './extract-variables.js';
import { jsonThreatProtection } from './json-threat-protection.js';
import { keyValueMapOperations } from './key-value-map-operations.js';
import { oauthV2 } from './oauth-v2.js';
import { openConnectors } from './open-connectors.js';
import { quota } from './quota.js';
import { raiseFault } from './raise-fault.js';
import { spikeArrest } from './spike-arrest.js';
import { verifyApiKeyPolicy } from './verify-api-key.js';
import { serviceCallout } from './service-callout.js';
import { xmlToJsonPolicy } from './xml-to-json.js';
import { jsonToXmlPolicy } from './json-to-xml.js';
import { accessControl } from './access-control.js';
import { regularExpressionProtection } from './regular-expression-protection.js';
import { statisticsCollector } from './statistics-collector.js';
import { messageLogging } from './message-logging.js';
import { javascript } from './javascript.js';
import { responseCache } from './response-cache.js';
import { populateCache } from './populate-cache.js';
import { lookupCache } from './lookup-cache.js';
import { invalidateCache } from './invalidate-cache.js';
import { generateJwt } from './generate-jwt.js';
import { verifyJwt } from './verify-jwt.js';
import { decodeJwt } from './decode-jwt.js';
import { flowCallout } from './flow-callout.js';
import { oasValidation } from './oas-validation.js';

const definitions = [
  spikeArrest,
  quota,
  assignMessage,
  extractVariables,
  raiseFault,
  basicAuthentication,
  keyValueMapOperations,
  cors,
  jsonThreatProtection,
  openConnectors,
  verifyApiKeyPolicy,
  oauthV2,
  serviceCallout,
  xmlToJsonPolicy,
  jsonToXmlPolicy,
  accessControl,
  regularExpressionProtection,
  statisticsCollector,
  messageLogging,
  javascript,
  responseCache,
  populateCache,
  lookupCache,
  invalidateCache,
  generateJwt,
  verifyJwt,
  decodeJwt,
  flowCallout,
  oasValidation,
] as Policy[];

const byType = new Map(definitions.map((definition) => [definition.type.toLowerCase(), definition]));

export function policyDefinition(type: string): Policy | undefined {
  return byType.get(type.toLowerCase());
}

/** The registry proxies are compiled with. */
export const policies: PolicyRegistry = { definition: policyDefinition };

export function supportedPolicyTypes(): string[] {
  return definitions.map((definition) => definition.type);
}
