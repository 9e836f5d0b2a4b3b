// SAP API Management's transport layout (`APIProxy/`): the descriptor
// `APIProxy/{name}.xml`, `APIProxyEndPoint/*.xml` and `APITargetEndPoint/*.xml`
// (lower-case elements, steps ordered by `<sequence>`, targets with a `url`
// and a `provider_id`), `Policy/*.xml` (Apigee's policy XML in the
// `http://www.sap.com/apimgmt` namespace), `FileResource/` (scripts) and
// `APIResource/` and `Documentation/` (kept as they are). Import writes the
// endpoints as Apigee XML and reads the result with the Apigee importer, so
// both layouts map to the same model; export writes the model back in SAP's
// layout, and importing that gives the same model again.
import type { ConditionalFlow, DefaultFaultRule, FaultRule, FlowPhase, ProxyEndpoint, ProxyModel, Step, TargetEndpoint } from '../gateway/engine/model.js';
import { normalizeBasePath } from '../gateway/engine/compile.js';
import { policyXml } from './export.js';
import { parseXml, renderXml, el, optional, type XmlElement, type XmlNode } from './xml.js';
import { writeZip } from './zip.js';

const utf8 = new TextDecoder();

export const SAP_ROOT = 'APIProxy/';

/** Kept SAP files live in the model as resources under these type folders. */
const KEPT = { APIResource: 'sap-apiresource', Documentation: 'sap-documentation' } as const;

/** FileResource file extension -> Apigee resource type. */
const RESOURCE_TYPES: Record<string, string> = { js: 'jsc', xsl: 'xsl', xslt: 'xsl', properties: 'properties', yaml: 'oas', yml: 'oas', json: 'oas', py: 'py', jar: 'java', wsdl: 'wsdl', xsd: 'xsd' };

export const isSapLayout = (files: Map<string, Uint8Array>) => [...files.keys()].some((path) => path.startsWith(SAP_ROOT));

const text = (parent: XmlElement | undefined, name: string) => parent?.childText(name)?.trim() || undefined;

function stepsXml(container: XmlElement | undefined): string {
  const steps = (container?.child('steps')?.all('step') ?? [])
    .map((step) => ({ name: text(step, 'policy_name'), condition: text(step, 'condition'), sequence: Number(text(step, 'sequence') ?? 0) }))
    .sort((a, b) => a.sequence - b.sequence);
  return steps.map((step) => `<Step><Name>${escape(step.name ?? '')}</Name>${step.condition ? `<Condition>${escape(step.condition)}</Condition>` : ''}</Step>`).join('');
}

const escape = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const conditionOf = (element: XmlElement) => text(element, 'conditions') ?? text(element, 'condition');

function phaseXml(tag: string, element: XmlElement | undefined): string {
  if (!element) return '';
  return `<${tag} name="${tag}"><Request>${stepsXml(element.child('request'))}</Request><Response>${stepsXml(element.child('response'))}</Response></${tag}>`;
}

function flowsXml(root: XmlElement): string {
  const flows = (root.child('conditionalFlows')?.all('conditionalFlow') ?? [])
    .map((flow) => ({ flow, sequence: Number(text(flow, 'sequence') ?? 0) }))
    .sort((a, b) => a.sequence - b.sequence)
    .map(({ flow }) => {
      const condition = conditionOf(flow);
      return `<Flow name="${escape(text(flow, 'name') ?? 'flow')}"><Request>${stepsXml(flow.child('request'))}</Request><Response>${stepsXml(flow.child('response'))}</Response>${condition ? `<Condition>${escape(condition)}</Condition>` : ''}</Flow>`;
    });
  return `<Flows>${flows.join('')}</Flows>`;
}

function faultRulesXml(root: XmlElement): string {
  const rules = (root.child('faultRules')?.all('faultRule') ?? []).map((rule) => {
    const condition = conditionOf(rule);
    return `<FaultRule name="${escape(text(rule, 'name') ?? 'fault')}">${stepsXml(rule)}${condition ? `<Condition>${escape(condition)}</Condition>` : ''}</FaultRule>`;
  });
  const fallback = root.child('defaultFaultRule');
  const defaultRule = fallback
    ? `<DefaultFaultRule name="${escape(text(fallback, 'name') ?? 'default-fault')}">${stepsXml(fallback)}<AlwaysEnforce>${text(fallback, 'alwaysEnforce') ?? 'false'}</AlwaysEnforce></DefaultFaultRule>`
    : '';
  return `<FaultRules>${rules.join('')}</FaultRules>${defaultRule}`;
}

function proxyEndpointXml(root: XmlElement): string {
  const routes = (root.child('routeRules')?.all('routeRule') ?? [])
    .map((rule) => ({ rule, sequence: Number(text(rule, 'sequence') ?? 0) }))
    .sort((a, b) => a.sequence - b.sequence)
    .map(({ rule }) => {
      const condition = conditionOf(rule);
      const target = text(rule, 'targetEndPointName');
      return `<RouteRule name="${escape(text(rule, 'name') ?? 'default')}">${condition ? `<Condition>${escape(condition)}</Condition>` : ''}${target ? `<TargetEndpoint>${escape(target)}</TargetEndpoint>` : ''}</RouteRule>`;
    });
  return `<ProxyEndpoint name="${escape(text(root, 'name') ?? 'default')}">${faultRulesXml(root)}${phaseXml('PreFlow', root.child('preFlow'))}${flowsXml(root)}${phaseXml('PostFlow', root.child('postFlow'))}<HTTPProxyConnection><BasePath>${escape(text(root, 'base_path') ?? '/')}</BasePath></HTTPProxyConnection>${routes.join('')}</ProxyEndpoint>`;
}

function targetEndpointXml(root: XmlElement): string {
  const provider = text(root, 'provider_id');
  const url = text(root, 'url') ?? '';
  const properties = (root.child('properties')?.all('property') ?? []).map((property) => `<Property name="${escape(text(property, 'name') ?? '')}">${escape(text(property, 'value') ?? '')}</Property>`);
  const connection =
    provider && provider !== 'NONE'
      ? `<APIProvider>${escape(provider)}</APIProvider>${url ? `<Path>${escape(url)}</Path>` : ''}`
      : `<URL>${escape(url)}</URL>`;
  return `<TargetEndpoint name="${escape(text(root, 'name') ?? 'default')}">${faultRulesXml(root)}${phaseXml('PreFlow', root.child('preFlow'))}${flowsXml(root)}${phaseXml('PostFlow', root.child('postFlow'))}<HTTPTargetConnection><Properties>${properties.join('')}</Properties>${connection}</HTTPTargetConnection></TargetEndpoint>`;
}

/**
 * The SAP zip's files as an `apiproxy/` bundle's, and where each came from
 * (so problems name the SAP file). Files that cannot be read are passed on
 * unchanged for the importer to report.
 */
export function sapToApigee(files: Map<string, Uint8Array>): { files: Map<string, Uint8Array>; origins: Map<string, string> } {
  const out = new Map<string, Uint8Array>();
  const origins = new Map<string, string>();
  const put = (path: string, content: string | Uint8Array, origin: string) => {
    out.set(`apiproxy/${path}`, typeof content === 'string' ? new TextEncoder().encode(content) : content);
    origins.set(path, origin);
  };
  const read = (path: string) => {
    const { root } = parseXml(path, utf8.decode(files.get(path)!).replace(/^\uFEFF/, ''));
    return root;
  };
  let name: string | undefined;
  const resourceTypes = new Map<string, string>();
  for (const [path, bytes] of files) {
    if (!path.startsWith(SAP_ROOT)) {
      out.set(path, bytes);
      continue;
    }
    const relative = path.slice(SAP_ROOT.length);
    if (!relative.includes('/') && relative.endsWith('.xml')) {
      const root = read(path);
      name = text(root, 'name') ?? relative.slice(0, -4);
      for (const resource of root?.child('fileResources')?.all('fileResource') ?? []) resourceTypes.set(resource.text(), resource.attr('type') ?? '');
      const description = text(root, 'description');
      const title = text(root, 'title');
      put(`${name}.xml`, `<APIProxy name="${escape(name)}">${title ? `<DisplayName>${escape(title)}</DisplayName>` : ''}${description ? `<Description>${escape(description)}</Description>` : ''}</APIProxy>`, relative);
    }
  }
  for (const [path, bytes] of files) {
    if (!path.startsWith(SAP_ROOT)) continue;
    const relative = path.slice(SAP_ROOT.length);
    const [folder, ...rest] = relative.split('/');
    const file = rest.join('/');
    if (!file) continue;
    if (folder === 'APIProxyEndPoint' || folder === 'APITargetEndPoint') {
      const root = read(path);
      const target = folder === 'APITargetEndPoint';
      const xml = root ? (target ? targetEndpointXml(root) : proxyEndpointXml(root)) : utf8.decode(bytes);
      put(`${target ? 'targets' : 'proxies'}/${file}`, xml, relative);
    } else if (folder === 'Policy') put(`policies/${file}`, bytes, relative);
    else if (folder === 'FileResource') {
      const extension = file.includes('.') ? file.slice(file.lastIndexOf('.') + 1).toLowerCase() : '';
      const type = RESOURCE_TYPES[resourceTypes.get(file.replace(/\.[^.]+$/, '')) ?? ''] ?? RESOURCE_TYPES[extension] ?? (extension || 'file');
      put(`resources/${type}/${file}`, bytes, relative);
    } else if (folder === 'APIResource' || folder === 'Documentation') put(`resources/${KEPT[folder]}/${file}`, bytes, relative);
    else put(relative, bytes, relative);
  }
  return { files: out, origins };
}

// ---------------------------------------------------------------------------
// Export

function stepsNode(steps: Step[]): XmlNode {
  return el(
    'steps',
    {},
    steps.map((step, i) => el('step', {}, [el('policy_name', {}, step.name), el('condition', {}, step.condition ?? ''), el('sequence', {}, i + 1)])),
  );
}

function phaseNode(tag: string, name: string, phase: FlowPhase): XmlNode {
  return el(tag, {}, [
    el('name', {}, name),
    el('request', {}, [el('isRequest', {}, true), stepsNode(phase.request)]),
    el('response', {}, [el('isRequest', {}, false), stepsNode(phase.response)]),
  ]);
}

function flowsNode(flows: ConditionalFlow[]): XmlNode {
  return el(
    'conditionalFlows',
    {},
    flows.map((flow, i) =>
      el('conditionalFlow', {}, [
        el('name', {}, flow.name),
        el('request', {}, [el('isRequest', {}, true), stepsNode(flow.request)]),
        el('response', {}, [el('isRequest', {}, false), stepsNode(flow.response)]),
        el('conditions', {}, flow.condition ?? ''),
        el('sequence', {}, i + 1),
      ]),
    ),
  );
}

function faultNodes(rules: FaultRule[], fallback: DefaultFaultRule | undefined): XmlNode[] {
  return [
    el('faultRules', {}, rules.map((rule) => el('faultRule', {}, [el('name', {}, rule.name), el('condition', {}, rule.condition ?? ''), stepsNode(rule.steps)]))),
    fallback ? el('defaultFaultRule', {}, [el('name', {}, fallback.name), el('alwaysEnforce', {}, fallback.alwaysEnforce), stepsNode(fallback.steps)]) : undefined,
  ].filter((node) => node !== undefined);
}

function proxyEndpointNode(endpoint: ProxyEndpoint, index: number): XmlNode {
  return el('ProxyEndPoint', { default: index === 0 }, [
    el('name', {}, endpoint.name),
    el('base_path', {}, normalizeBasePath(endpoint.basePath)),
    el('properties'),
    el(
      'routeRules',
      {},
      endpoint.routeRules.map((rule, i) => el('routeRule', {}, [el('name', {}, rule.name), optional('targetEndPointName', rule.targetEndpoint), el('conditions', {}, rule.condition ?? ''), el('sequence', {}, i + 1)])),
    ),
    ...faultNodes(endpoint.faultRules, endpoint.defaultFaultRule),
    phaseNode('preFlow', 'PreFlow', endpoint.preFlow),
    phaseNode('postFlow', 'PostFlow', endpoint.postFlow),
    flowsNode(endpoint.flows),
  ]);
}

function targetEndpointNode(endpoint: TargetEndpoint, index: number): XmlNode {
  const { connection } = endpoint;
  const properties: [string, string][] = [
    ['connect.timeout.millis', String(connection.connectTimeoutMs)],
    ['io.timeout.millis', String(connection.readTimeoutMs)],
    ...Object.entries(connection.properties),
  ];
  return el('TargetEndPoint', {}, [
    el('name', {}, endpoint.name),
    el('url', {}, connection.url ?? connection.path ?? ''),
    el('provider_id', {}, connection.provider ?? 'NONE'),
    el('isDefault', {}, index === 0),
    el('properties', {}, properties.map(([name, value]) => el('property', {}, [el('name', {}, name), el('value', {}, value)]))),
    ...faultNodes(endpoint.faultRules, endpoint.defaultFaultRule),
    phaseNode('preFlow', 'PreFlow', endpoint.preFlow),
    phaseNode('postFlow', 'PostFlow', endpoint.postFlow),
    flowsNode(endpoint.flows),
  ]);
}

const SAP_NAMESPACE = 'http://www.sap.com/apimgmt';

/** The model as SAP API Management's `APIProxy/` transport zip. */
export function modelToSapBundle(model: ProxyModel): Buffer {
  const files = new Map<string, Uint8Array | string>();
  const back = Object.fromEntries(Object.entries(KEPT).map(([folder, type]) => [type, folder]));
  const fileResources = model.resources.filter((resource) => !back[resource.path.slice(0, resource.path.indexOf('/'))]);
  files.set(
    `${SAP_ROOT}${model.name}.xml`,
    renderXml(
      el('APIProxy', {}, [
        el('name', {}, model.name),
        el('title', {}, model.displayName ?? model.name),
        optional('description', model.description),
        el('service_code', {}, 'REST'),
        el('proxyEndPoints', {}, model.proxyEndpoints.map((endpoint) => el('proxyEndPoint', {}, [el('proxyEndPointName', {}, endpoint.name)]))),
        el('targetEndPoints', {}, model.targetEndpoints.map((endpoint) => el('targetEndPoint', {}, endpoint.name))),
        el('policies', {}, model.policies.map((policy) => el('policy', { type: policy.type }, policy.name))),
        el(
          'fileResources',
          {},
          fileResources.map((resource) => {
            const file = resource.path.slice(resource.path.indexOf('/') + 1);
            const extension = file.includes('.') ? file.slice(file.lastIndexOf('.') + 1) : '';
            return el('fileResource', { type: extension || resource.path.slice(0, resource.path.indexOf('/')) }, file.replace(/\.[^.]+$/, ''));
          }),
        ),
      ]),
    ),
  );
  model.proxyEndpoints.forEach((endpoint, i) => files.set(`${SAP_ROOT}APIProxyEndPoint/${endpoint.name}.xml`, renderXml(proxyEndpointNode(endpoint, i))));
  model.targetEndpoints.forEach((endpoint, i) => files.set(`${SAP_ROOT}APITargetEndPoint/${endpoint.name}.xml`, renderXml(targetEndpointNode(endpoint, i))));
  for (const policy of model.policies) {
    const xml = policyXml(policy);
    // SAP's policies carry its namespace on the root element; imported ones keep what they had.
    files.set(`${SAP_ROOT}Policy/${policy.name}.xml`, policy.sourceXml ? xml : xml.replace(/^(<\?xml[^>]*>\s*<[A-Za-z]+)/, `$1 xmlns="${SAP_NAMESPACE}"`));
  }
  for (const resource of model.resources) {
    const slash = resource.path.indexOf('/');
    const folder = back[resource.path.slice(0, slash)];
    const bytes = Buffer.from(resource.content, resource.encoding === 'base64' ? 'base64' : 'utf8');
    files.set(`${SAP_ROOT}${folder ?? 'FileResource'}/${resource.path.slice(slash + 1)}`, bytes);
  }
  return writeZip(files);
}
