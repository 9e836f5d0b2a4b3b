// The policy registry: Apigee element name -> definition, and -> XML codec.
// Adding a policy is a new file plus its definition and its codec in the two
// lists here; the flow engine never changes. The runtime asks for definitions
// only, so its bundle leaves the codecs (and the XML helpers) out.
import type { PolicyRegistry } from '../engine/policy.js';
import type { Policy, PolicyXml } from './define-policy.js';
import { assignMessage, assignMessageXml } from './assign-message.js';
import { basicAuthentication, basicAuthenticationXml } from './basic-authentication.js';
import { cors, corsXml } from './cors.js';
import { extractVariables, extractVariablesXml } from './extract-variables.js';
import { jsonThreatProtection, jsonThreatProtectionXml } from './json-threat-protection.js';
import { keyValueMapOperations, keyValueMapOperationsXml } from './key-value-map-operations.js';
import { oauthV2, oauthV2Xml } from './oauth-v2.js';
import { openConnectors, openConnectorsXml } from './open-connectors.js';
import { quota, quotaXml } from './quota.js';
import { raiseFault, raiseFaultXml } from './raise-fault.js';
import { spikeArrest, spikeArrestXml } from './spike-arrest.js';
import { verifyApiKeyPolicy, verifyApiKeyPolicyXml } from './verify-api-key.js';
import { serviceCallout, serviceCalloutXml } from './service-callout.js';
import { xmlToJsonPolicy, xmlToJsonPolicyXml } from './xml-to-json.js';
import { jsonToXmlPolicy, jsonToXmlPolicyXml } from './json-to-xml.js';
import { accessControl, accessControlXml } from './access-control.js';
import { regularExpressionProtection, regularExpressionProtectionXml } from './regular-expression-protection.js';
import { statisticsCollector, statisticsCollectorXml } from './statistics-collector.js';
import { messageLogging, messageLoggingXml } from './message-logging.js';
import { javascript, javascriptXml } from './javascript.js';
import { responseCache, responseCacheXml } from './response-cache.js';
import { populateCache, populateCacheXml } from './populate-cache.js';
import { lookupCache, lookupCacheXml } from './lookup-cache.js';
import { invalidateCache, invalidateCacheXml } from './invalidate-cache.js';
import { generateJwt, generateJwtXml } from './generate-jwt.js';
import { verifyJwt, verifyJwtXml } from './verify-jwt.js';
import { decodeJwt, decodeJwtXml } from './decode-jwt.js';
import { flowCallout, flowCalloutXml } from './flow-callout.js';
import { oasValidation, oasValidationXml } from './oas-validation.js';

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

const codecs = [
  spikeArrestXml,
  quotaXml,
  assignMessageXml,
  extractVariablesXml,
  raiseFaultXml,
  basicAuthenticationXml,
  keyValueMapOperationsXml,
  corsXml,
  jsonThreatProtectionXml,
  openConnectorsXml,
  verifyApiKeyPolicyXml,
  oauthV2Xml,
  serviceCalloutXml,
  xmlToJsonPolicyXml,
  jsonToXmlPolicyXml,
  accessControlXml,
  regularExpressionProtectionXml,
  statisticsCollectorXml,
  messageLoggingXml,
  javascriptXml,
  responseCacheXml,
  populateCacheXml,
  lookupCacheXml,
  invalidateCacheXml,
  generateJwtXml,
  verifyJwtXml,
  decodeJwtXml,
  flowCalloutXml,
  oasValidationXml,
] as PolicyXml[];

const byType = new Map(definitions.map((definition) => [definition.type.toLowerCase(), definition]));

export function policyDefinition(type: string): Policy | undefined {
  return byType.get(type.toLowerCase());
}

let codecsByType: Map<string, PolicyXml> | undefined;

/** The XML codec of a policy type (bundle import and export). */
export function policyCodec(type: string): PolicyXml | undefined {
  codecsByType ??= new Map(codecs.map((codec) => [codec.type.toLowerCase(), codec]));
  return codecsByType.get(type.toLowerCase());
}

/** The registry proxies are compiled with. */
export const policies: PolicyRegistry = { definition: policyDefinition };

export function supportedPolicyTypes(): string[] {
  return definitions.map((definition) => definition.type);
}
