// An API proxy revision as the Apigee bundle it exports to: XML files edited
// in place (DOMParser / XMLSerializer), zipped again to be imported as the
// next revision. A shared flow revision (`sharedflowbundle/`) reads the same
// way: its policies and the steps of each shared flow. The flow editor and the policy editor work on this, so what
// the console saves is exactly what `?action=import` checks, and the server's
// problems (file, line) point back into these files.
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { describeXmlError } from './xml-check.js';

export type Phase = 'Request' | 'Response';

/** Where a step goes: a flow phase, or a fault rule's step list. */
export type FlowRef =
  | { kind: 'PreFlow' | 'PostFlow'; phase: Phase }
  | { kind: 'Flow'; name: string; phase: Phase }
  | { kind: 'FaultRule'; name: string }
  | { kind: 'DefaultFaultRule' };

export interface StepView {
  policy: string;
  condition?: string;
}

export interface FlowView {
  ref: FlowRef;
  label: string;
  condition?: string;
  steps: StepView[];
}

export interface EndpointView {
  file: string;
  kind: 'proxy' | 'target';
  name: string;
  flows: FlowView[];
}

const ROOT = 'apiproxy/';
const SHARED_FLOW_ROOT = 'sharedflowbundle/';

export class Bundle {
  private constructor(
    readonly files: Map<string, Uint8Array>,
    readonly name: string,
    /** `apiproxy/`, or `sharedflowbundle/` for a shared flow. */
    readonly root: string,
  ) {}

  static fromZip(zip: Uint8Array, name: string): Bundle {
    const files = new Map(Object.entries(unzipSync(zip)));
    const root = [...files.keys()].some((path) => path.startsWith(SHARED_FLOW_ROOT)) ? SHARED_FLOW_ROOT : ROOT;
    return new Bundle(files, name, root);
  }

  toZip(): Uint8Array {
    return zipSync(Object.fromEntries(this.files));
  }

  text(path: string): string {
    const bytes = this.files.get(path);
    return bytes ? strFromU8(bytes) : '';
  }

  setText(path: string, text: string): void {
    this.files.set(path, strToU8(text));
  }

  list(folder: string): string[] {
    return [...this.files.keys()].filter((path) => path.startsWith(this.root + folder) && path.endsWith('.xml')).sort();
  }

  policies(): { file: string; name: string; type: string }[] {
    return this.list('policies/').map((file) => {
      const doc = parse(this.text(file));
      const root = doc?.documentElement;
      return { file, name: root?.getAttribute('name') ?? baseName(file), type: root?.tagName ?? '?' };
    });
  }

  /** A shared flow bundle's flows (`sharedflows/*.xml`, `<SharedFlow name>` with its steps). */
  sharedFlows(): { file: string; name: string; steps: StepView[] }[] {
    return this.list('sharedflows/').map((file) => {
      const root = parse(this.text(file))?.documentElement;
      return { file, name: root?.getAttribute('name') ?? baseName(file), steps: steps(root ?? null) };
    });
  }

  private edit(file: string, change: (doc: XMLDocument) => void): void {
    const doc = parse(this.text(file));
    if (!doc) throw new Error(`${file.slice(this.root.length)} is not well-formed XML; fix it in the XML editor first`);
    change(doc);
    this.setText(file, serialize(doc));
  }

  endpoints(): EndpointView[] {
    const views: EndpointView[] = [];
    for (const [folder, kind] of [
      ['proxies/', 'proxy'],
      ['targets/', 'target'],
    ] as const) {
      for (const file of this.list(folder)) {
        const doc = parse(this.text(file));
        if (!doc) continue;
        const root = doc.documentElement;
        const flows: FlowView[] = [];
        for (const kindName of ['PreFlow', 'PostFlow'] as const) {
          for (const phase of ['Request', 'Response'] as const) {
            flows.push({ ref: { kind: kindName, phase }, label: `${kindName} ${phase}`, steps: steps(child(child(root, kindName), phase)) });
          }
        }
        for (const flow of children(child(root, 'Flows'), 'Flow')) {
          const name = flow.getAttribute('name') ?? '';
          for (const phase of ['Request', 'Response'] as const) {
            flows.push({ ref: { kind: 'Flow', name, phase }, label: `Flow ${name} ${phase}`, condition: textOf(child(flow, 'Condition')), steps: steps(child(flow, phase)) });
          }
        }
        for (const rule of children(child(root, 'FaultRules'), 'FaultRule')) {
          const name = rule.getAttribute('name') ?? '';
          flows.push({ ref: { kind: 'FaultRule', name }, label: `FaultRule ${name}`, condition: textOf(child(rule, 'Condition')), steps: steps(rule) });
        }
        const defaultRule = child(root, 'DefaultFaultRule');
        if (defaultRule) {
          flows.push({ ref: { kind: 'DefaultFaultRule' }, label: `DefaultFaultRule ${defaultRule.getAttribute('name') ?? ''}`.trim(), condition: textOf(child(defaultRule, 'Condition')), steps: steps(defaultRule) });
        }
        views.push({ file, kind, name: root.getAttribute('name') ?? baseName(file), flows });
      }
    }
    return views;
  }

  /** Adds a conditional flow (a resource, in SAP API Management's words). */
  addFlow(file: string, name: string, condition: string): void {
    this.edit(file, (doc) => {
      const root = doc.documentElement;
      const flows = ensure(doc, root, 'Flows', ['PostFlow', 'HTTPProxyConnection', 'HTTPTargetConnection', 'RouteRule']);
      const flow = element(doc, 'Flow', { name });
      if (condition.trim()) flow.appendChild(element(doc, 'Condition', {}, condition.trim()));
      flow.appendChild(element(doc, 'Request'));
      flow.appendChild(element(doc, 'Response'));
      flows.appendChild(flow);
    });
  }

  removeFlow(file: string, ref: FlowRef): void {
    this.edit(file, (doc) => {
      const target = container(doc, ref, false);
      const node = ref.kind === 'Flow' ? target?.parentElement : target;
      node?.parentElement?.removeChild(node);
    });
  }

  addFaultRule(file: string, name: string, condition: string, isDefault: boolean): void {
    this.edit(file, (doc) => {
      const root = doc.documentElement;
      const rule = element(doc, isDefault ? 'DefaultFaultRule' : 'FaultRule', { name });
      if (condition.trim()) rule.appendChild(element(doc, 'Condition', {}, condition.trim()));
      if (isDefault) {
        child(root, 'DefaultFaultRule')?.remove();
        rule.appendChild(element(doc, 'AlwaysEnforce', {}, 'false'));
        root.insertBefore(rule, root.firstElementChild);
      } else ensure(doc, root, 'FaultRules', ['PreFlow', 'Flows', 'PostFlow']).appendChild(rule);
    });
  }

  addStep(file: string, ref: FlowRef, policy: string, condition = ''): void {
    this.edit(file, (doc) => {
      const target = container(doc, ref, true)!;
      const step = element(doc, 'Step');
      if (condition.trim()) step.appendChild(element(doc, 'Condition', {}, condition.trim()));
      step.appendChild(element(doc, 'Name', {}, policy));
      // Fault rule steps come before the rule's own Condition element in Apigee's layout.
      const before = ref.kind === 'FaultRule' || ref.kind === 'DefaultFaultRule' ? child(target, 'Condition') ?? child(target, 'AlwaysEnforce') : null;
      target.insertBefore(step, before ?? null);
    });
  }

  removeStep(file: string, ref: FlowRef, index: number): void {
    this.edit(file, (doc) => {
      const step = children(container(doc, ref, false), 'Step')[index];
      step?.parentElement?.removeChild(step);
    });
  }

  moveStep(file: string, ref: FlowRef, index: number, by: -1 | 1): void {
    this.edit(file, (doc) => {
      const target = container(doc, ref, false);
      const list = children(target, 'Step');
      const step = list[index];
      const other = list[index + by];
      if (!target || !step || !other) return;
      if (by < 0) target.insertBefore(step, other);
      else target.insertBefore(other, step);
    });
  }

  /** Adds a policy file and lists it in the proxy descriptor. */
  addPolicy(name: string, xml: string): void {
    const file = `${this.root}policies/${name}.xml`;
    if (this.files.has(file)) throw new Error(`A policy named ${name} exists already`);
    this.setText(file, xml);
    const descriptor = this.descriptor();
    if (descriptor) {
      this.edit(descriptor, (doc) => {
        const policies = ensure(doc, doc.documentElement, 'Policies', []);
        policies.appendChild(element(doc, 'Policy', {}, name));
      });
    }
  }

  removePolicy(name: string): void {
    this.files.delete(`${this.root}policies/${name}.xml`);
    const descriptor = this.descriptor();
    if (descriptor) {
      this.edit(descriptor, (doc) => {
        for (const policy of children(child(doc.documentElement, 'Policies'), 'Policy')) if (policy.textContent?.trim() === name) policy.remove();
      });
    }
  }

  private descriptor(): string | undefined {
    return [...this.files.keys()].find((path) => path.startsWith(this.root) && path.slice(this.root.length).indexOf('/') === -1 && path.endsWith('.xml'));
  }
}

function baseName(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1).replace(/\.xml$/, '');
}

export function parse(text: string): XMLDocument | undefined {
  if (describeXmlError(text)) return undefined;
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  return doc.getElementsByTagName('parsererror').length ? undefined : doc;
}

function serialize(doc: XMLDocument): string {
  const text = new XMLSerializer().serializeToString(doc);
  return text.startsWith('<?xml') ? text : `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n${text}`;
}

function child(parent: Element | null | undefined, name: string): Element | null {
  if (!parent) return null;
  for (const node of Array.from(parent.children)) if (node.tagName === name) return node;
  return null;
}

function children(parent: Element | null | undefined, name: string): Element[] {
  return parent ? Array.from(parent.children).filter((node) => node.tagName === name) : [];
}

function textOf(node: Element | null): string | undefined {
  const text = node?.textContent?.trim();
  return text || undefined;
}

function steps(parent: Element | null): StepView[] {
  return children(parent, 'Step').map((step) => ({ policy: textOf(child(step, 'Name')) ?? '', ...(textOf(child(step, 'Condition')) ? { condition: textOf(child(step, 'Condition'))! } : {}) }));
}

function element(doc: XMLDocument, name: string, attributes: Record<string, string> = {}, text?: string): Element {
  const node = doc.createElement(name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The child named `name`, created (before the first of `before` that exists) when missing. */
function ensure(doc: XMLDocument, parent: Element, name: string, before: string[]): Element {
  const existing = child(parent, name);
  if (existing) return existing;
  const node = element(doc, name);
  const anchor = before.map((b) => child(parent, b)).find(Boolean) ?? null;
  parent.insertBefore(node, anchor);
  return node;
}

function container(doc: XMLDocument, ref: FlowRef, create: boolean): Element | null {
  const root = doc.documentElement;
  if (ref.kind === 'PreFlow' || ref.kind === 'PostFlow') {
    let flow = child(root, ref.kind);
    if (!flow && create) {
      flow = ensure(doc, root, ref.kind, ref.kind === 'PreFlow' ? ['Flows', 'PostFlow', 'HTTPProxyConnection', 'HTTPTargetConnection'] : ['HTTPProxyConnection', 'HTTPTargetConnection', 'RouteRule']);
      flow.setAttribute('name', ref.kind);
    }
    if (!flow) return null;
    return child(flow, ref.phase) ?? (create ? ensure(doc, flow, ref.phase, ref.phase === 'Request' ? ['Response'] : []) : null);
  }
  if (ref.kind === 'Flow') {
    const flow = children(child(root, 'Flows'), 'Flow').find((f) => f.getAttribute('name') === ref.name) ?? null;
    if (!flow) return null;
    return child(flow, ref.phase) ?? (create ? ensure(doc, flow, ref.phase, ref.phase === 'Request' ? ['Response'] : []) : null);
  }
  if (ref.kind === 'FaultRule') return children(child(root, 'FaultRules'), 'FaultRule').find((f) => f.getAttribute('name') === ref.name) ?? null;
  return child(root, 'DefaultFaultRule');
}

export function sameRef(a: FlowRef, b: FlowRef): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
