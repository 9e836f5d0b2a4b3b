// Proxy model -> Apigee bundle zip (`apiproxy/` layout), the form Apigee's
// tools and Tollgate's own import read. Policies are written from their
// settings by each definition's `xml.toXml`; policies kept as unsupported are
// written back exactly as they were imported.
import { normalizeBasePath } from '../gateway/engine/compile.js';
import type { ConditionalFlow, DefaultFaultRule, FaultRule, FlowPhase, PolicyModel, ProxyEndpoint, ProxyModel, SharedFlowModel, Step, TargetEndpoint } from '../gateway/engine/model.js';
import type { PolicyXml } from '../gateway/policies/define-policy.js';
import { policyCodec, policyDefinition } from '../gateway/policies/index.js';
import { el, optional, renderXml, type XmlNode } from './xml.js';
import { writeZip } from './zip.js';

function stepsToXml(steps: Step[]): XmlNode[] {
  return steps.map((step) => el('Step', {}, [el('Name', {}, step.name), optional('Condition', step.condition)]));
}

function phaseToXml(name: string, phase: FlowPhase, attributes: XmlNode['attributes'] = { name }): XmlNode {
  return el(name, attributes, [el('Request', {}, stepsToXml(phase.request)), el('Response', {}, stepsToXml(phase.response))]);
}

function flowToXml(flow: ConditionalFlow): XmlNode {
  return el('Flow', { name: flow.name }, [
    optional('Description', flow.description),
    el('Request', {}, stepsToXml(flow.request)),
    el('Response', {}, stepsToXml(flow.response)),
    optional('Condition', flow.condition),
  ]);
}

function faultRulesToXml(rules: FaultRule[]): XmlNode {
  return el('FaultRules', {}, rules.map((rule) => el('FaultRule', { name: rule.name }, [...stepsToXml(rule.steps), optional('Condition', rule.condition)])));
}

function defaultFaultRuleToXml(rule: DefaultFaultRule | undefined): XmlNode | undefined {
  if (!rule) return undefined;
  return el('DefaultFaultRule', { name: rule.name }, [...stepsToXml(rule.steps), el('AlwaysEnforce', {}, rule.alwaysEnforce), optional('Condition', rule.condition)]);
}

function endpointFlows(endpoint: ProxyEndpoint | TargetEndpoint): (XmlNode | undefined)[] {
  return [
    optional('Description', endpoint.description),
    faultRulesToXml(endpoint.faultRules),
    defaultFaultRuleToXml(endpoint.defaultFaultRule),
    phaseToXml('PreFlow', endpoint.preFlow),
    el('Flows', {}, endpoint.flows.map(flowToXml)),
    phaseToXml('PostFlow', endpoint.postFlow),
  ];
}

export function proxyEndpointXml(endpoint: ProxyEndpoint): string {
  return renderXml(
    el('ProxyEndpoint', { name: endpoint.name }, [
      ...endpointFlows(endpoint),
      endpoint.postClientFlow ? phaseToXml('PostClientFlow', endpoint.postClientFlow) : undefined,
      el('HTTPProxyConnection', {}, [el('BasePath', {}, endpoint.basePath), ...(endpoint.virtualHosts ?? ['default']).map((host) => el('VirtualHost', {}, host))]),
      ...endpoint.routeRules.map((rule) =>
        el('RouteRule', { name: rule.name }, [optional('Condition', rule.condition), optional('TargetEndpoint', rule.targetEndpoint), optional('URL', rule.url)]),
      ),
    ]),
  );
}

export function targetEndpointXml(endpoint: TargetEndpoint): string {
  const { connection } = endpoint;
  return renderXml(
    el('TargetEndpoint', { name: endpoint.name }, [
      ...endpointFlows(endpoint),
      el('HTTPTargetConnection', {}, [
        el('Properties', {}, [
          el('Property', { name: 'connect.timeout.millis' }, connection.connectTimeoutMs),
          el('Property', { name: 'io.timeout.millis' }, connection.readTimeoutMs),
          ...Object.entries(connection.properties).map(([name, value]) => el('Property', { name }, value)),
        ]),
        optional('URL', connection.url),
        optional('APIProvider', connection.provider),
        optional('Path', connection.path),
      ]),
    ]),
  );
}

export function policyXml(policy: PolicyModel): string {
  if (policy.unsupported && policy.sourceXml) return policy.sourceXml;
  const definition = policyDefinition(policy.type);
  const codec = policyCodec(policy.type);
  let written: ReturnType<PolicyXml['toXml']> = { children: [] };
  if (definition && codec && !policy.unsupported) written = codec.toXml(definition.schema.parse(policy.config));
  return renderXml(
    el(definition && !policy.unsupported ? definition.type : policy.type, {
      async: policy.async,
      continueOnError: policy.continueOnError,
      enabled: policy.enabled,
      name: policy.name,
      ...written.attributes,
    }, [optional('DisplayName', policy.displayName), ...written.children]),
  );
}

/** `jsc/lib/a.js` -> `jsc://lib/a.js`, as Apigee's descriptor lists resources. */
const resourceUrl = (path: string) => {
  const slash = path.indexOf('/');
  return `${path.slice(0, slash)}://${path.slice(slash + 1)}`;
};

function descriptorXml(model: ProxyModel, revision: number): string {
  return renderXml(
    el('APIProxy', { revision, name: model.name }, [
      ...model.proxyEndpoints.slice(0, 1).map((endpoint) => el('Basepaths', {}, normalizeBasePath(endpoint.basePath))),
      el('ConfigurationVersion', { majorVersion: 4, minorVersion: 0 }),
      optional('Description', model.description),
      optional('DisplayName', model.displayName),
      el('Policies', {}, model.policies.map((policy) => el('Policy', {}, policy.name))),
      el('ProxyEndpoints', {}, model.proxyEndpoints.map((endpoint) => el('ProxyEndpoint', {}, endpoint.name))),
      el('Resources', {}, model.resources.map((resource) => el('Resource', {}, resourceUrl(resource.path)))),
      el('TargetServers'),
      el('TargetEndpoints', {}, model.targetEndpoints.map((endpoint) => el('TargetEndpoint', {}, endpoint.name))),
      el('validate', {}, false),
    ]),
  );
}

/** The model as an Apigee bundle: `apiproxy/<name>.xml`, proxies/, targets/, policies/, resources/. */
export function modelToBundle(model: ProxyModel, revision: number): Buffer {
  const files = new Map<string, Uint8Array | string>();
  files.set(`apiproxy/${model.name}.xml`, descriptorXml(model, revision));
  for (const endpoint of model.proxyEndpoints) files.set(`apiproxy/proxies/${endpoint.name}.xml`, proxyEndpointXml(endpoint));
  for (const endpoint of model.targetEndpoints) files.set(`apiproxy/targets/${endpoint.name}.xml`, targetEndpointXml(endpoint));
  for (const policy of model.policies) files.set(`apiproxy/policies/${policy.name}.xml`, policyXml(policy));
  for (const resource of model.resources) files.set(`apiproxy/resources/${resource.path}`, Buffer.from(resource.content, resource.encoding === 'base64' ? 'base64' : 'utf8'));
  return writeZip(files);
}

/** A shared flow as Apigee's `sharedflowbundle/` zip: descriptor, sharedflows/, policies/, resources/. */
export function sharedFlowToBundle(model: SharedFlowModel, revision: number): Buffer {
  const files = new Map<string, Uint8Array | string>();
  files.set(
    `sharedflowbundle/${model.name}.xml`,
    renderXml(
      el('SharedFlowBundle', { revision, name: model.name }, [
        el('ConfigurationVersion', { majorVersion: 4, minorVersion: 0 }),
        optional('Description', model.description),
        optional('DisplayName', model.displayName),
        el('Policies', {}, model.policies.map((policy) => el('Policy', {}, policy.name))),
        el('Resources', {}, model.resources.map((resource) => el('Resource', {}, resourceUrl(resource.path)))),
        el('SharedFlows', {}, model.sharedFlows.map((flow) => el('SharedFlow', {}, flow.name))),
      ]),
    ),
  );
  for (const flow of model.sharedFlows) files.set(`sharedflowbundle/sharedflows/${flow.name}.xml`, renderXml(el('SharedFlow', { name: flow.name }, stepsToXml(flow.steps))));
  for (const policy of model.policies) files.set(`sharedflowbundle/policies/${policy.name}.xml`, policyXml(policy));
  for (const resource of model.resources) files.set(`sharedflowbundle/resources/${resource.path}`, Buffer.from(resource.content, resource.encoding === 'base64' ? 'base64' : 'utf8'));
  return writeZip(files);
}
