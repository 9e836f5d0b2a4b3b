// The element model of Apigee bundle XML, and the writer. Policy files use
// these to map their settings to and from XML; the parser that builds
// elements from text lives in xml.ts, so runtime bundles never load it.

export interface XmlProblem {
  /** Bundle file, e.g. `policies/Quota-1.xml`. */
  file: string;
  /** XPath-like location in the file, e.g. `/Quota/Allow/@count`. */
  xpath: string;
  line?: number;
  message: string;
  /** `unsupported`: Tollgate cannot run it; `invalid`: the bundle is wrong. */
  kind: 'unsupported' | 'invalid';
}

export class XmlDocument {
  readonly problems: XmlProblem[] = [];
  /** The policy this file defines, named in its problems. */
  policy?: string;
  constructor(
    readonly file: string,
    readonly text: string,
  ) {}

  report(problem: Omit<XmlProblem, 'file'>): void {
    this.problems.push({ file: this.file, ...problem });
  }
}

export class XmlElement {
  readonly children: XmlElement[] = [];
  /** Text and CDATA content in document order (entities decoded in text, not in CDATA). */
  readonly parts: string[] = [];
  used = false;

  constructor(
    readonly document: XmlDocument,
    readonly name: string,
    readonly attributes: Record<string, string>,
    readonly xpath: string,
    readonly line: number | undefined,
  ) {}

  /** First child element of that name (marked as understood). */
  child(name: string): XmlElement | undefined {
    const found = this.children.find((child) => child.name === name);
    if (found) found.used = true;
    return found;
  }

  /** Every child element of that name, in document order (marked as understood). */
  all(name: string): XmlElement[] {
    const found = this.children.filter((child) => child.name === name);
    for (const child of found) child.used = true;
    return found;
  }

  /** Marks this element and everything under it as understood. */
  consume(): void {
    this.used = true;
    for (const child of this.children) child.consume();
  }

  attr(name: string): string | undefined {
    return Object.hasOwn(this.attributes, name) ? this.attributes[name] : undefined;
  }

  /** Text content, trimmed (leading and trailing whitespace of XML text is layout, not data). */
  text(): string {
    return this.parts.join('').trim();
  }

  /** Text of a child element, trimmed; undefined if the child is absent. */
  childText(name: string): string | undefined {
    return this.child(name)?.text();
  }

  report(message: string, options: { attribute?: string; kind?: XmlProblem['kind'] } = {}): void {
    this.document.report({
      xpath: options.attribute ? `${this.xpath}/@${options.attribute}` : this.xpath,
      ...(this.line === undefined ? {} : { line: this.line }),
      message,
      kind: options.kind ?? 'invalid',
    });
  }

  /** `true`/`false` (Apigee accepts any case); reports anything else. */
  bool(attribute?: string): boolean | undefined {
    const raw = attribute === undefined ? this.text() : this.attr(attribute);
    if (raw === undefined || (attribute === undefined && raw === '')) return undefined;
    const value = raw.trim().toLowerCase();
    if (value === 'true') return true;
    if (value === 'false') return false;
    this.report(`must be true or false, not "${raw}"`, attribute === undefined ? {} : { attribute });
    return undefined;
  }

  /** A whole number; reports anything else. */
  int(attribute?: string): number | undefined {
    const raw = attribute === undefined ? this.text() : this.attr(attribute);
    if (raw === undefined || raw.trim() === '') return undefined;
    if (!/^-?\d{1,15}$/.test(raw.trim())) {
      this.report(`must be a whole number, not "${raw}"`, attribute === undefined ? {} : { attribute });
      return undefined;
    }
    return Number(raw.trim());
  }

  /** One of the allowed values (compared case-insensitively, returned as listed). */
  oneOf<T extends string>(values: readonly T[], attribute?: string): T | undefined {
    const raw = attribute === undefined ? this.text() : this.attr(attribute);
    if (raw === undefined || raw.trim() === '') return undefined;
    const found = values.find((value) => value.toLowerCase() === raw.trim().toLowerCase());
    if (!found) this.report(`must be one of ${values.join(', ')}, not "${raw}"`, attribute === undefined ? {} : { attribute });
    return found;
  }
}

/**
 * What an element holds, written back as XML: its child elements (with their
 * attributes and text) or its text. For payloads written as markup
 * (`<Payload><root><a>{x}</a></root></Payload>`); marks everything as understood.
 */
export function innerXml(element: XmlElement): string {
  element.consume();
  if (element.children.length === 0) return element.parts.join('');
  const write = (node: XmlElement): string => {
    const attributes = Object.entries(node.attributes)
      .map(([key, value]) => ` ${key}="${escapeAttribute(value)}"`)
      .join('');
    const inner = node.children.length ? node.children.map(write).join('') : escapeText(node.parts.join(''));
    return inner === '' ? `<${node.name}${attributes}/>` : `<${node.name}${attributes}>${inner}</${node.name}>`;
  };
  return element.children.map(write).join('');
}

// ---------------------------------------------------------------------------
// Writing

export interface XmlNode {
  name: string;
  attributes?: Record<string, string | number | boolean | undefined>;
  children?: XmlNode[];
  /** Text content; written as CDATA when it holds markup characters. */
  text?: string;
}

type Content = XmlNode | undefined | false | null;

/** Builds an element: `el('Allow', { count: 5 })`, `el('Rate', {}, '10ps')`, `el('Set', {}, [ ... ])`. */
export function el(name: string, attributes: XmlNode['attributes'] = {}, content?: string | number | boolean | Content[]): XmlNode {
  const node: XmlNode = { name, attributes };
  if (Array.isArray(content)) node.children = content.filter((child): child is XmlNode => Boolean(child));
  else if (content !== undefined) node.text = String(content);
  return node;
}

/** An element only if its value is defined. */
export function optional(name: string, value: string | number | boolean | undefined, attributes: XmlNode['attributes'] = {}): XmlNode | undefined {
  return value === undefined ? undefined : el(name, attributes, value);
}

const escapeText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttribute = (text: string) =>
  escapeText(text).replace(/"/g, '&quot;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');

function writeText(text: string): string {
  if (/[<&]/.test(text) && !text.includes(']]>')) return `<![CDATA[${text}]]>`;
  return escapeText(text).replace(/\r/g, '&#13;');
}

export function renderXml(root: XmlNode): string {
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'];
  const write = (node: XmlNode, indent: string) => {
    const attributes = Object.entries(node.attributes ?? {})
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => ` ${key}="${escapeAttribute(String(value))}"`)
      .join('');
    const open = `${indent}<${node.name}${attributes}`;
    if (node.children && node.children.length > 0) {
      lines.push(`${open}>`);
      for (const child of node.children) write(child, `${indent}    `);
      lines.push(`${indent}</${node.name}>`);
    } else if (node.text !== undefined && node.text !== '') {
      lines.push(`${open}>${writeText(node.text)}</${node.name}>`);
    } else {
      lines.push(`${open}/>`);
    }
  };
  write(root, '');
  return `${lines.join('\n')}\n`;
}
