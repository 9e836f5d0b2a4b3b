// Apigee bundle XML, read safely and written back. Reading uses fast-xml-parser
// with entity processing off and DOCTYPE refused (no entity expansion, no
// external entities: billion laughs and XXE have nothing to work with); the
// five predefined entities and character references are decoded here. Every
// element knows its file, XPath-like location and line, and remembers whether
// the importer looked at it, so whatever it did not understand is reported
// precisely instead of silently dropped.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

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

/** Elements nested deeper than this are refused (no Apigee file comes close). */
export const MAX_XML_DEPTH = 64;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  cdataPropName: '#cdata',
  commentPropName: '#comment',
  captureMetaData: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  allowBooleanAttributes: false,
  maxNestedTags: MAX_XML_DEPTH + 1,
});
const META = XMLParser.getMetaDataSymbol() as unknown as symbol;

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes the predefined entities and character references; anything else stays as written. */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|[A-Za-z]+);/g, (match, body: string) => {
    if (body.startsWith('#')) {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : match;
    }
    return PREDEFINED[body] ?? match;
  });
}

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

function lineAt(text: string, index: number | undefined): number | undefined {
  if (index === undefined) return undefined;
  let line = 1;
  for (let i = 0; i < index && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Parses one bundle file. Returns the root element, or undefined with the
 * reasons in `document.problems` (malformed XML, DOCTYPE, too deep).
 */
export function parseXml(file: string, text: string): { document: XmlDocument; root?: XmlElement } {
  const document = new XmlDocument(file, text);
  const doctype = /<!DOCTYPE/i.exec(text);
  if (doctype) {
    document.report({ xpath: '/', line: lineAt(text, doctype.index)!, message: 'DOCTYPE declarations are not allowed (entities are never expanded)', kind: 'invalid' });
    return { document };
  }
  if (/<!ENTITY/i.test(text)) {
    document.report({ xpath: '/', message: 'entity declarations are not allowed', kind: 'invalid' });
    return { document };
  }
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true) {
    document.report({ xpath: '/', line: valid.err.line, message: `malformed XML: ${valid.err.msg}`, kind: 'invalid' });
    return { document };
  }
  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(text) as OrderedNode[];
  } catch (error) {
    document.report({ xpath: '/', message: `malformed XML: ${error instanceof Error ? error.message : String(error)}`, kind: 'invalid' });
    return { document };
  }
  const lineStarts: number[] = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const lineOf = (index: number | undefined) => {
    if (index === undefined) return undefined;
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (lineStarts[mid]! <= index) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };

  const build = (node: OrderedNode, name: string, parentPath: string, position: string, depth: number): XmlElement | undefined => {
    if (depth > MAX_XML_DEPTH) {
      document.report({ xpath: parentPath, message: `elements are nested more than ${MAX_XML_DEPTH} deep`, kind: 'invalid' });
      return undefined;
    }
    const attributes: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [key, value] of Object.entries(node[':@'] ?? {})) attributes[key] = decodeEntities(String(value));
    const meta = (node as Record<symbol, { startIndex?: number } | undefined>)[META];
    const element = new XmlElement(document, name, attributes, `${parentPath}/${name}${position}`, lineOf(meta?.startIndex));
    const content = (node[name] ?? []) as OrderedNode[];
    const elementChildren = content.filter((child) => elementName(child) !== undefined);
    const counts = new Map<string, number>();
    for (const child of elementChildren) counts.set(elementName(child)!, (counts.get(elementName(child)!) ?? 0) + 1);
    const seen = new Map<string, number>();
    for (const child of content) {
      if ('#text' in child) element.parts.push(decodeEntities(String(child['#text'])));
      else if ('#cdata' in child) {
        for (const inner of (child['#cdata'] ?? []) as OrderedNode[]) if ('#text' in inner) element.parts.push(String(inner['#text']));
      } else {
        const childName = elementName(child);
        if (childName === undefined) continue;
        const index = (seen.get(childName) ?? 0) + 1;
        seen.set(childName, index);
        const built = build(child, childName, element.xpath, counts.get(childName)! > 1 ? `[${index}]` : '', depth + 1);
        if (!built) return undefined;
        element.children.push(built);
      }
    }
    return element;
  };

  const roots = nodes.filter((node) => elementName(node) !== undefined);
  if (roots.length !== 1) {
    document.report({ xpath: '/', message: 'an XML document needs exactly one root element', kind: 'invalid' });
    return { document };
  }
  const root = build(roots[0]!, elementName(roots[0]!)!, '', '', 1);
  if (!root) return { document };
  root.used = true;
  return { document, root };
}

function elementName(node: OrderedNode): string | undefined {
  for (const key of Object.keys(node)) {
    if (key === ':@' || key === '#text' || key === '#cdata' || key === '#comment') continue;
    return key;
  }
  return undefined;
}

/** Reports every element under `root` the importer did not look at (the topmost of each unread subtree). */
export function reportUnread(root: XmlElement): void {
  const walk = (element: XmlElement) => {
    for (const child of element.children) {
      if (!child.used) child.report(`unsupported element <${child.name}>`, { kind: 'unsupported' });
      else walk(child);
    }
  };
  walk(root);
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
