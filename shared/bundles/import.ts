// Apigee / SAP API Management bundle -> proxy model. Reads the `apiproxy/`
// layout (descriptor, proxies/, targets/, policies/, resources/), maps each
// policy through its definition's `xml.fromXml`, and collects every problem
// with its file, XPath-like location, line and policy name instead of stopping
// at the first, so one answer lists all that must change.
import type { FieldProblem } from '../http/errors.js';
import { zodProblems } from '../http/body.js';
import { compileProxy, compileSharedFlow, ProxyValidationError } from '../gateway/engine/compile.js';
import {
  NAME,
  ProxyModelSchema,
  SharedFlowModelSchema,
  TargetEndpointSchema,
  type PolicyModel,
  type ProxyEndpoint,
  type ProxyModel,
  type SharedFlowModel,
  type TargetEndpoint,
} from '../gateway/engine/model.js';
import { policies as policyRegistry, policyCodec, policyDefinition } from '../gateway/policies/index.js';
import { parseXml, reportUnread, type XmlDocument, type XmlElement, type XmlProblem } from './xml.js';
import { isSapLayout, sapToApigee } from './sap.js';

export interface ImportProblem extends FieldProblem {
  /** Bundle file relative to `apiproxy/`, e.g. `policies/Quota-1.xml`. */
  file: string;
  xpath: string;
  line?: number;
  /** The policy the problem is in, for policy files. */
  policy?: string;
  kind: XmlProblem['kind'];
}

export interface ImportOptions {
  /** Proxy name (the `name` query parameter); default: the descriptor's name attribute. */
  name?: string;
  /** Import unsupported policies as skipped steps instead of refusing the bundle. */
  allowUnsupported?: boolean;
}

export interface ImportResult {
  /** The model, when the bundle has no problem. */
  model?: ProxyModel;
  problems: ImportProblem[];
  /** The model as read even when it has problems (its shape is valid), for checks that need the store. */
  candidate?: ProxyModel;
  /** Places a problem found in the model (path `policies.3.config`) at the file and XPath it came from. */
  locate?: (problem: FieldProblem) => ImportProblem;
}

interface Location {
  file: string;
  xpath: string;
  line?: number;
  policy?: string;
}

/** Files some zip tools add that are no part of a bundle. */
const IGNORED = /(^|\/)(__MACOSX\/|\.DS_Store$|Thumbs\.db$)/;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Drops undefined values so the stored model (and its comparison) has no empty keys. */
export function compact<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => compact(item)) as T;
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) result[key] = compact(item);
    return result as T;
  }
  return value;
}

class Importer {
  readonly problems: ImportProblem[] = [];
  private readonly locations = new Map<string, Location>();
  private readonly documents: XmlDocument[] = [];
  /** An endpoint file could not be read: checking the model as a whole would only add noise. */
  private unreadableEndpoint = false;

  constructor(
    private readonly files: Map<string, Uint8Array>,
    private readonly options: ImportOptions,
    /** `apiproxy/` for proxies, `sharedflowbundle/` for shared flows. */
    private readonly root = 'apiproxy/',
  ) {}

  problem(location: Location, message: string, kind: XmlProblem['kind'] = 'invalid'): void {
    this.problems.push(this.problemAt(location, message, kind));
  }

  problemAt(location: Location, message: string, kind: XmlProblem['kind'] = 'invalid'): ImportProblem {
    return {
      path: `${location.file}: ${location.xpath}`,
      message: location.policy ? `${location.policy}: ${message}` : message,
      file: location.file,
      xpath: location.xpath,
      ...(location.line === undefined ? {} : { line: location.line }),
      ...(location.policy ? { policy: location.policy } : {}),
      kind,
    };
  }

  /** Remembers where a part of the model came from, so later validation can point at it. */
  locate(modelPath: string, element: XmlElement | undefined, policy?: string): void {
    if (!element) return;
    this.locations.set(modelPath, {
      file: element.document.file,
      xpath: element.xpath,
      ...(element.line === undefined ? {} : { line: element.line }),
      ...(policy ? { policy } : {}),
    });
  }

  /** Reports a model-path problem (from the model schema or compilation) at the XML it came from. */
  modelProblem(problem: FieldProblem): void {
    this.problems.push(this.located(problem));
  }

  /** A model-path problem as an import problem at the XML it came from. */
  readonly located = (problem: FieldProblem): ImportProblem => {
    const parts = problem.path.split('.');
    for (let length = parts.length; length > 0; length--) {
      const key = parts.slice(0, length).join('.');
      const location = this.locations.get(key);
      if (!location) continue;
      const rest = parts.slice(length).join('.');
      return this.problemAt(location, rest ? `${rest}: ${problem.message}` : problem.message);
    }
    return this.problemAt({ file: '(bundle)', xpath: '/' }, `${problem.path}: ${problem.message}`);
  };

  parse(path: string): XmlElement | undefined {
    const relative = path.slice(this.root.length);
    let text: string;
    try {
      text = utf8.decode(this.files.get(path)!);
    } catch {
      this.problem({ file: relative, xpath: '/' }, 'the file is not valid UTF-8');
      return undefined;
    }
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const { document, root } = parseXml(relative, text);
    this.documents.push(document);
    return root;
  }

  /** Moves the problems the XML documents collected into the list. */
  private flushDocuments(): void {
    for (const document of this.documents.splice(0)) {
      const policy = document.policy;
      for (const problem of document.problems) {
        this.problem({ file: problem.file, xpath: problem.xpath, ...(problem.line === undefined ? {} : { line: problem.line }), ...(policy ? { policy } : {}) }, problem.message, problem.kind);
      }
      document.problems.length = 0;
    }
  }

  run(): ImportResult {
    const paths = [...this.files.keys()].filter((path) => !IGNORED.test(path)).sort();
    const ROOT = this.root;
    const outside = paths.filter((path) => !path.startsWith(ROOT));
    for (const path of outside) this.problem({ file: path, xpath: '/' }, 'file is outside the apiproxy/ folder of the bundle');
    const inside = paths.filter((path) => path.startsWith(ROOT));
    if (inside.length === 0) {
      this.problem({ file: '(bundle)', xpath: '/' }, 'the zip has no apiproxy/ folder; it is not an API proxy bundle');
      return { problems: this.problems };
    }

    const descriptors: string[] = [];
    const proxies: string[] = [];
    const targets: string[] = [];
    const policies: string[] = [];
    const resources: string[] = [];
    for (const path of inside) {
      const relative = path.slice(this.root.length);
      const xml = relative.endsWith('.xml');
      if (!relative.includes('/') && xml) descriptors.push(path);
      else if (/^proxies\/[^/]+\.xml$/.test(relative)) proxies.push(path);
      else if (/^targets\/[^/]+\.xml$/.test(relative)) targets.push(path);
      else if (/^policies\/[^/]+\.xml$/.test(relative)) policies.push(path);
      else if (/^resources\/[^/]+\/.+/.test(relative)) resources.push(path);
      else if (relative.startsWith('manifests/')) continue; // Apigee's content hashes; nothing to run
      else this.problem({ file: relative, xpath: '/' }, 'unsupported file: not a proxy endpoint, target endpoint, policy or resource', 'unsupported');
    }

    const descriptor = this.readDescriptor(descriptors);
    const order = (list: string[], wanted: string[]) => {
      const byName = new Map(list.map((path) => [path.slice(path.lastIndexOf('/') + 1, -4), path]));
      const ordered = wanted.flatMap((name) => (byName.has(name) ? [byName.get(name)!] : []));
      return [...new Set([...ordered, ...list])];
    };

    const name = this.options.name ?? descriptor.name;
    if (!name) this.problem({ file: descriptor.file ?? '(bundle)', xpath: '/APIProxy/@name' }, 'the proxy has no name: pass ?name= or set the descriptor name attribute');

    const model = {
      name,
      displayName: descriptor.displayName,
      description: descriptor.description,
      policies: order(policies, descriptor.policies).flatMap((path, index) => this.readPolicy(path, index)),
      proxyEndpoints: order(proxies, descriptor.proxyEndpoints).map((path, index) => this.readProxyEndpoint(path, index)),
      targetEndpoints: order(targets, descriptor.targetEndpoints).map((path, index) => this.readTargetEndpoint(path, index)),
      resources: resources.map((path, index) => this.readResource(path, index)),
    };
    this.flushDocuments();
    // A bundle without proxy endpoints (apigeetool sends the descriptor alone, then each file) is a revision to add
    // files to; it cannot be deployed until it has one.
    if (this.unreadableEndpoint || !name) return { problems: this.problems };

    // The model as a whole (references, conditions, names, base paths) is checked even when files had
    // problems, so one answer lists everything; policies with problems stand in as skipped placeholders.
    const parsed = ProxyModelSchema.safeParse(compact(model));
    if (!parsed.success) {
      for (const problem of zodProblems(parsed.error)) this.modelProblem(problem);
      return { problems: dedupe(this.problems) };
    }
    try {
      compileProxy(parsed.data, { organization: 'validation', environment: 'validation', apiName: parsed.data.name, revision: 0 }, policyRegistry);
    } catch (error) {
      if (!(error instanceof ProxyValidationError)) throw error;
      for (const problem of error.problems) this.modelProblem(problem);
    }
    const candidate = compact(parsed.data);
    if (this.problems.length > 0) return { problems: dedupe(this.problems), candidate, locate: this.located };
    return { model: candidate, problems: [], candidate, locate: this.located };
  }

  /** A `sharedflowbundle/` zip: descriptor, sharedflows/*.xml, policies/, resources/. */
  runSharedFlow(): { model?: SharedFlowModel; problems: ImportProblem[] } {
    const paths = [...this.files.keys()].filter((path) => !IGNORED.test(path)).sort();
    for (const path of paths.filter((path) => !path.startsWith(this.root))) this.problem({ file: path, xpath: '/' }, 'file is outside the sharedflowbundle/ folder of the bundle');
    const inside = paths.filter((path) => path.startsWith(this.root));
    if (inside.length === 0) {
      this.problem({ file: '(bundle)', xpath: '/' }, 'the zip has no sharedflowbundle/ folder; it is not a shared flow bundle');
      return { problems: this.problems };
    }
    const policies: string[] = [];
    const flows: string[] = [];
    const resources: string[] = [];
    let descriptorName: string | undefined;
    for (const path of inside) {
      const relative = path.slice(this.root.length);
      if (!relative.includes('/') && relative.endsWith('.xml')) {
        const root = this.parse(path);
        if (root && root.name !== 'SharedFlowBundle') root.report(`the descriptor's root element must be <SharedFlowBundle>, not <${root.name}>`);
        root?.consume();
        descriptorName = root?.attr('name') ?? descriptorName;
      } else if (/^sharedflows\/[^/]+\.xml$/.test(relative)) flows.push(path);
      else if (/^policies\/[^/]+\.xml$/.test(relative)) policies.push(path);
      else if (/^resources\/[^/]+\/.+/.test(relative)) resources.push(path);
      else if (!relative.startsWith('manifests/')) this.problem({ file: relative, xpath: '/' }, 'unsupported file: not a shared flow, policy or resource', 'unsupported');
    }
    const name = this.options.name ?? descriptorName;
    if (!name) this.problem({ file: '(bundle)', xpath: '/SharedFlowBundle/@name' }, 'the shared flow has no name: pass ?name= or set the descriptor name attribute');
    const model = {
      name,
      policies: policies.flatMap((path, index) => this.readPolicy(path, index)),
      sharedFlows: flows.map((path, index) => {
        const root = this.parse(path);
        if (!root || root.name !== 'SharedFlow') {
          root?.report(`a shared flow's root element must be <SharedFlow>, not <${root.name}>`);
          return {};
        }
        this.locate(`sharedFlows.${index}`, root);
        const flow = { name: root.attr('name') ?? path.slice(path.lastIndexOf('/') + 1, -4), steps: this.steps(root, `sharedFlows.${index}.steps`) };
        root.child('Description')?.consume();
        reportUnread(root);
        return flow;
      }),
      resources: resources.map((path, index) => this.readResource(path, index)),
    };
    this.flushDocuments();
    if (!name) return { problems: dedupe(this.problems) };
    const parsed = SharedFlowModelSchema.safeParse(compact(model));
    if (!parsed.success) {
      for (const problem of zodProblems(parsed.error)) this.modelProblem(problem);
      return { problems: dedupe(this.problems) };
    }
    try {
      compileSharedFlow(parsed.data, { organization: 'validation', environment: 'validation', apiName: parsed.data.name, revision: 0 }, policyRegistry);
    } catch (error) {
      if (!(error instanceof ProxyValidationError)) throw error;
      for (const problem of error.problems) this.modelProblem(problem);
    }
    if (this.problems.length > 0) return { problems: dedupe(this.problems) };
    return { model: compact(parsed.data), problems: [] };
  }

  /**
   * One file on its own, as the per-file management routes receive it: read,
   * checked against its schema, and compiled among stand-ins for the policies
   * and target endpoints it names (those may arrive later; deployment checks them).
   */
  readFile(kind: BundleFileKind, path: string, name: string | undefined): BundleFileResult {
    const read = kind === 'policies' ? this.readPolicy(path, 0)[0] : kind === 'proxies' ? this.readProxyEndpoint(path, 0) : this.readTargetEndpoint(path, 0);
    this.flushDocuments();
    const listName = kind === 'policies' ? 'policies' : kind === 'proxies' ? 'proxyEndpoints' : 'targetEndpoints';
    const element = compact(read) as Record<string, unknown>;
    if (name !== undefined) {
      if (element.name !== undefined && element.name !== name && !this.unreadableEndpoint) {
        this.problem({ file: path.slice(this.root.length), xpath: '/*/@name' }, `the file names "${String(element.name)}", not "${name}"`);
      }
      element.name = name;
    }
    if (this.problems.length > 0 || this.unreadableEndpoint) return { problems: dedupe(this.problems) };
    const parsed = ProxyModelSchema.safeParse({ name: 'file', [listName]: [element] });
    if (!parsed.success) {
      for (const problem of zodProblems(parsed.error)) this.modelProblem(problem);
      return { problems: dedupe(this.problems) };
    }
    const stand = { ...parsed.data };
    if (kind !== 'policies') {
      const endpoint = (parsed.data.proxyEndpoints[0] ?? parsed.data.targetEndpoints[0])!;
      stand.policies = [...stepNames(endpoint)].map((policy) => ({ name: policy, type: 'StandIn', enabled: true, continueOnError: false, async: false, config: {}, unsupported: 'stand-in' }));
      const targets = (parsed.data.proxyEndpoints[0]?.routeRules ?? []).flatMap((rule) => (rule.targetEndpoint ? [rule.targetEndpoint] : []));
      if (kind === 'proxies') stand.targetEndpoints = [...new Set(targets)].map((target) => TargetEndpointSchema.parse({ name: target, connection: { url: 'http://stand-in.invalid' } }));
    }
    try {
      compileProxy(stand, { organization: 'validation', environment: 'validation', apiName: 'file', revision: 0 }, policyRegistry);
    } catch (error) {
      if (!(error instanceof ProxyValidationError)) throw error;
      for (const problem of error.problems) this.modelProblem(problem);
    }
    if (this.problems.length > 0) return { problems: dedupe(this.problems) };
    const list = parsed.data[listName] as unknown[];
    return { value: compact(list[0]) as BundleFileResult['value'], problems: [] };
  }

  private readDescriptor(paths: string[]) {
    const result = {
      file: undefined as string | undefined,
      name: undefined as string | undefined,
      displayName: undefined as string | undefined,
      description: undefined as string | undefined,
      policies: [] as string[],
      proxyEndpoints: [] as string[],
      targetEndpoints: [] as string[],
    };
    if (paths.length > 1) {
      for (const path of paths.slice(1)) this.problem({ file: path.slice(this.root.length), xpath: '/' }, 'a bundle has one proxy descriptor (apiproxy/<name>.xml); this is a second one');
    }
    if (paths.length === 0) return result;
    result.file = paths[0]!.slice(this.root.length);
    const root = this.parse(paths[0]!);
    if (!root) return result;
    if (root.name !== 'APIProxy') {
      root.report(`the proxy descriptor's root element must be <APIProxy>, not <${root.name}>`);
      return result;
    }
    // The descriptor is metadata (Basepaths, CreatedAt, ManifestVersion ...); what runs is in the endpoint files.
    root.consume();
    const list = (container: string, item: string) => root.child(container)?.all(item).map((element) => element.text()) ?? [];
    result.name = root.attr('name');
    result.displayName = root.childText('DisplayName') || undefined;
    result.description = root.childText('Description') || undefined;
    result.policies = list('Policies', 'Policy');
    result.proxyEndpoints = list('ProxyEndpoints', 'ProxyEndpoint');
    result.targetEndpoints = list('TargetEndpoints', 'TargetEndpoint');
    this.locate('name', root);
    this.locate('displayName', root.child('DisplayName'));
    this.locate('description', root.child('Description'));
    return result;
  }

  private readPolicy(path: string, index: number): Record<string, unknown>[] {
    const fileName = path.slice(path.lastIndexOf('/') + 1, -4);
    const root = this.parse(path);
    if (!root) return [{ name: fileName, type: 'Unreadable', config: {}, unsupported: 'the file could not be read' }];
    const name = root.attr('name') ?? fileName;
    const document = root.document;
    document.policy = name;
    this.locate(`policies.${index}`, root, name);
    this.locate(`policies.${index}.name`, root, name);
    const common = {
      name,
      type: root.name,
      displayName: root.childText('DisplayName') || undefined,
      enabled: root.bool('enabled'),
      continueOnError: root.bool('continueOnError'),
      async: root.bool('async'),
    };
    // Policy <Properties> mean something to the policies that read them (JavaScript); elsewhere an empty one is harmless.
    const properties = root.children.find((child) => child.name === 'Properties');
    if (properties && properties.children.length === 0) properties.used = true;
    emptyOnly(root, 'FaultRules', 'policy-level fault rules are not supported');

    const definition = policyDefinition(root.name);
    const codec = policyCodec(root.name);
    let config: unknown = {};
    if (!definition || !codec) {
      root.report(`policy type ${root.name} is not supported by Tollgate`, { kind: 'unsupported' });
    } else {
      common.type = definition.type;
      const raw = codec.fromXml(root);
      reportUnread(root);
      if (!document.problems.some((problem) => problem.kind === 'unsupported')) {
        const parsed = definition.schema.safeParse(compact(raw));
        if (parsed.success) config = compact(parsed.data);
        else for (const problem of zodProblems(parsed.error)) root.report(problem.path === '(body)' ? problem.message : `${problem.path}: ${problem.message}`);
      }
    }

    const unsupported = document.problems.filter((problem) => problem.kind === 'unsupported');
    if (unsupported.length > 0 && this.options.allowUnsupported) {
      // Kept as written, skipped at run time, exported again unchanged.
      const reason = unsupported.map((problem) => `${problem.xpath}: ${problem.message}`).join('; ');
      document.problems.length = 0;
      return [{ ...common, config: {}, unsupported: reason, sourceXml: document.text }];
    }
    if (document.problems.length > 0) return [{ ...common, config: {}, unsupported: 'the policy has problems' }];
    return [{ ...common, config }];
  }

  private steps(parent: XmlElement | undefined, modelPath: string) {
    return (parent?.all('Step') ?? []).map((step, i) => {
      const path = `${modelPath}.${i}`;
      this.locate(path, step);
      const name = step.child('Name');
      const condition = step.child('Condition');
      this.locate(`${path}.name`, name);
      this.locate(`${path}.condition`, condition);
      if (!name) step.report('a <Name> naming the policy is required');
      emptyOnly(step, 'FaultRules', 'step-level fault rules are not supported');
      return { name: name?.text(), condition: condition?.text() || undefined };
    });
  }

  private phase(element: XmlElement | undefined, modelPath: string) {
    this.locate(modelPath, element);
    // A <Step> outside <Request>/<Response> belongs to neither phase: Apigee accepts it and never runs it.
    element?.all('Step').forEach((step) => step.consume());
    return {
      request: this.steps(element?.child('Request'), `${modelPath}.request`),
      response: this.steps(element?.child('Response'), `${modelPath}.response`),
    };
  }

  private condition(parent: XmlElement, modelPath: string): string | undefined {
    const element = parent.child('Condition');
    this.locate(modelPath, element);
    return element?.text() || undefined;
  }

  /** PreFlow, Flows, PostFlow, FaultRules and DefaultFaultRule: shared by proxy and target endpoints. */
  private flows(root: XmlElement, modelPath: string) {
    const flows = (root.child('Flows')?.all('Flow') ?? []).map((flow, i) => {
      const path = `${modelPath}.flows.${i}`;
      this.locate(path, flow);
      return {
        name: flow.attr('name'),
        description: flow.childText('Description') || undefined,
        ...this.phase(flow, path),
        condition: this.condition(flow, `${path}.condition`),
      };
    });
    const faultRules = (root.child('FaultRules')?.all('FaultRule') ?? []).map((rule, i) => {
      const path = `${modelPath}.faultRules.${i}`;
      this.locate(path, rule);
      return { name: rule.attr('name'), steps: this.steps(rule, `${path}.steps`), condition: this.condition(rule, `${path}.condition`) };
    });
    const defaultRule = root.child('DefaultFaultRule');
    this.locate(`${modelPath}.defaultFaultRule`, defaultRule);
    return {
      preFlow: this.phase(root.child('PreFlow'), `${modelPath}.preFlow`),
      flows,
      postFlow: this.phase(root.child('PostFlow'), `${modelPath}.postFlow`),
      faultRules,
      defaultFaultRule: defaultRule
        ? {
            name: defaultRule.attr('name'),
            steps: this.steps(defaultRule, `${modelPath}.defaultFaultRule.steps`),
            alwaysEnforce: defaultRule.child('AlwaysEnforce')?.bool(),
            condition: this.condition(defaultRule, `${modelPath}.defaultFaultRule.condition`),
          }
        : undefined,
    };
  }

  private readProxyEndpoint(path: string, index: number) {
    const modelPath = `proxyEndpoints.${index}`;
    const root = this.parse(path);
    if (!root || root.name !== 'ProxyEndpoint') {
      root?.report(`a proxy endpoint's root element must be <ProxyEndpoint>, not <${root.name}>`);
      this.unreadableEndpoint = true;
      return {};
    }
    this.locate(modelPath, root);
    const connection = root.child('HTTPProxyConnection');
    const basePath = connection?.child('BasePath');
    if (!connection) root.report('an <HTTPProxyConnection> with a <BasePath> is required');
    else if (!basePath) connection.report('a <BasePath> is required');
    const virtualHosts = [...new Set((connection?.all('VirtualHost') ?? []).map((host) => host.text()).filter(Boolean))];
    // Proxy connection properties (streaming, request limits) describe the message processor, not the flow.
    connection?.child('Properties')?.consume();
    this.locate(`${modelPath}.basePath`, basePath);
    const postClient = root.child('PostClientFlow');
    const endpoint = {
      name: root.attr('name') ?? path.slice(path.lastIndexOf('/') + 1, -4),
      description: root.childText('Description') || undefined,
      basePath: basePath?.text(),
      ...(virtualHosts.length ? { virtualHosts } : {}),
      ...this.flows(root, modelPath),
      postClientFlow: postClient ? this.phase(postClient, `${modelPath}.postClientFlow`) : undefined,
      routeRules: root.all('RouteRule').map((rule, i) => {
        const rulePath = `${modelPath}.routeRules.${i}`;
        this.locate(rulePath, rule);
        const target = rule.child('TargetEndpoint');
        const url = rule.child('URL');
        this.locate(`${rulePath}.targetEndpoint`, target);
        this.locate(`${rulePath}.url`, url);
        return { name: rule.attr('name'), condition: this.condition(rule, `${rulePath}.condition`), targetEndpoint: target?.text() || undefined, url: url?.text() || undefined };
      }),
    };
    this.locate(`${modelPath}.name`, root);
    reportUnread(root);
    return endpoint;
  }

  private readTargetEndpoint(path: string, index: number) {
    const modelPath = `targetEndpoints.${index}`;
    const root = this.parse(path);
    if (!root || root.name !== 'TargetEndpoint') {
      root?.report(`a target endpoint's root element must be <TargetEndpoint>, not <${root.name}>`);
      this.unreadableEndpoint = true;
      return {};
    }
    this.locate(modelPath, root);
    this.locate(`${modelPath}.name`, root);
    const connection = root.child('HTTPTargetConnection');
    this.locate(`${modelPath}.connection`, connection ?? root);
    let timeouts: { connectTimeoutMs?: number; readTimeoutMs?: number } = {};
    const properties: Record<string, string> = {};
    if (connection) {
      const url = connection.child('URL');
      const provider = connection.child('APIProvider');
      const providerPath = connection.child('Path');
      this.locate(`${modelPath}.connection.url`, url);
      this.locate(`${modelPath}.connection.provider`, provider);
      this.locate(`${modelPath}.connection.path`, providerPath);
      for (const property of connection.child('Properties')?.all('Property') ?? []) {
        const name = property.attr('name');
        if (name === 'connect.timeout.millis') {
          timeouts.connectTimeoutMs = property.int();
          this.locate(`${modelPath}.connection.connectTimeoutMs`, property);
        } else if (name === 'io.timeout.millis') {
          timeouts.readTimeoutMs = property.int();
          this.locate(`${modelPath}.connection.readTimeoutMs`, property);
        } else if (!name) property.report('the name attribute is required', { attribute: 'name' });
        else properties[name] = property.text();
      }
      // TLS follows the URL scheme; client certificates and trust stores are not supported.
      const ssl = connection.child('SSLInfo');
      ssl?.child('Enabled')?.bool();
      if (ssl?.child('ClientAuthEnabled')?.bool()) ssl.child('ClientAuthEnabled')!.report('client certificates are not supported', { kind: 'unsupported' });
      if (ssl?.child('IgnoreValidationErrors')?.bool()) {
        ssl.child('IgnoreValidationErrors')!.report('TLS certificates are always validated', { kind: 'unsupported' });
      }
      timeouts = compact(timeouts);
      return this.targetWith(root, modelPath, path, {
        url: url?.text() || undefined,
        provider: provider?.text() || undefined,
        path: providerPath?.text() || undefined,
        ...timeouts,
        properties,
      });
    }
    return this.targetWith(root, modelPath, path, {});
  }

  private targetWith(root: XmlElement, modelPath: string, path: string, connection: Record<string, unknown>) {
    const endpoint = {
      name: root.attr('name') ?? path.slice(path.lastIndexOf('/') + 1, -4),
      description: root.childText('Description') || undefined,
      connection,
      ...this.flows(root, modelPath),
    };
    reportUnread(root);
    return endpoint;
  }

  private readResource(path: string, index: number) {
    const relative = path.slice(this.root.length);
    this.locations.set(`resources.${index}`, { file: relative, xpath: '/' });
    return resourceFile(relative.slice('resources/'.length), this.files.get(path)!);
  }
}

/** A resource file of the model (`jsc/a.js`): text as it is, anything else base64. */
export function resourceFile(path: string, bytes: Uint8Array): { path: string; content: string; encoding: 'utf8' | 'base64' } {
  try {
    return { path, content: utf8.decode(bytes), encoding: 'utf8' };
  } catch {
    return { path, content: Buffer.from(bytes).toString('base64'), encoding: 'base64' };
  }
}

/** The policy names an endpoint's steps refer to. */
export function stepNames(endpoint: ProxyEndpoint | TargetEndpoint): Set<string> {
  const phases = [endpoint.preFlow, endpoint.postFlow, ...endpoint.flows, ...('postClientFlow' in endpoint && endpoint.postClientFlow ? [endpoint.postClientFlow] : [])];
  const steps = [
    ...phases.flatMap((phase) => [...phase.request, ...phase.response]),
    ...endpoint.faultRules.flatMap((rule) => rule.steps),
    ...(endpoint.defaultFaultRule?.steps ?? []),
  ];
  return new Set(steps.map((step) => step.name));
}

/** Older Apigee Edge files carry empty `<FaultRules/>` in steps and policies: harmless when empty. */
function emptyOnly(parent: XmlElement, name: string, message: string): void {
  for (const element of parent.all(name)) {
    if (element.children.length === 0) continue;
    element.report(message, { kind: 'unsupported' });
    element.consume(); // reported once, as a whole
  }
}

function dedupe(problems: ImportProblem[]): ImportProblem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${problem.path}\n${problem.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The folders of a bundle whose XML files the per-file routes take one at a time. */
export type BundleFileKind = 'policies' | 'proxies' | 'targets';

export interface BundleFileResult {
  /** The policy, proxy endpoint or target endpoint the file defines; absent when it has problems. */
  value?: PolicyModel | ProxyEndpoint | TargetEndpoint;
  problems: ImportProblem[];
}

/**
 * One XML file of a bundle (`policies/`, `proxies/` or `targets/`) as its part
 * of the model, or every problem with it. `name` (the route's) wins over the
 * file's name attribute, and must agree with it when both are given.
 */
export function bundleFileToModel(kind: BundleFileKind, name: string | undefined, bytes: Uint8Array, options: Pick<ImportOptions, 'allowUnsupported'> = {}): BundleFileResult {
  // Without a name from the route, problems are reported at the file the XML names itself (`policies/Quota-1.xml`).
  const fileName = name ?? /^\s*(?:<\?[^>]*\?>\s*)?<[A-Za-z][\w.-]*\s[^>]*?\bname="([A-Za-z0-9][A-Za-z0-9._-]{0,254})"/.exec(Buffer.from(bytes.subarray(0, 4096)).toString('utf8'))?.[1] ?? 'file';
  if (!NAME.test(fileName)) {
    return { problems: [{ path: 'name', file: '(query)', xpath: 'name', message: 'name must start with a letter or digit and contain only letters, digits, . _ -', kind: 'invalid' }] };
  }
  const path = `apiproxy/${kind}/${fileName}.xml`;
  return new Importer(new Map([[path, bytes]]), options).readFile(kind, path, name);
}

/** Maps a bundle's files (zip entry name -> bytes) to a proxy model, or lists every problem. */
export function bundleToModel(files: Map<string, Uint8Array>, options: ImportOptions = {}): ImportResult {
  if (options.name !== undefined && !NAME.test(options.name)) {
    return {
      problems: [
        { path: 'name', file: '(query)', xpath: 'name', message: 'name must start with a letter or digit and contain only letters, digits, . _ -', kind: 'invalid' },
      ],
    };
  }
  if (isSapLayout(files)) {
    // SAP's APIProxy/ layout: read as the apiproxy/ bundle it describes, problems named at the SAP files.
    const { files: apigee, origins } = sapToApigee(files);
    const result = bundleToModel(apigee, options);
    const rename = (problem: ImportProblem): ImportProblem => {
      const origin = origins.get(problem.file);
      return origin ? { ...problem, file: origin, path: problem.path.replace(problem.file, origin) } : problem;
    };
    return { ...result, problems: result.problems.map(rename), ...(result.locate ? { locate: (problem: FieldProblem) => rename(result.locate!(problem)) } : {}) };
  }
  const importer = new Importer(files, options);
  const result = importer.run();
  return result.model ? result : { ...result, problems: dedupe(result.problems) };
}

/** Maps a shared flow bundle's files (`sharedflowbundle/...`) to a shared flow model, or lists every problem. */
export function sharedFlowBundleToModel(files: Map<string, Uint8Array>, options: ImportOptions = {}): { model?: SharedFlowModel; problems: ImportProblem[] } {
  if (options.name !== undefined && !NAME.test(options.name)) {
    return { problems: [{ path: 'name', file: '(query)', xpath: 'name', message: 'name must start with a letter or digit and contain only letters, digits, . _ -', kind: 'invalid' }] };
  }
  return new Importer(files, options, 'sharedflowbundle/').runSharedFlow();
}
