// Apigee bundle XML, read safely and written back. Reading uses fast-xml-parser
// with entity processing off and DOCTYPE refused (no entity expansion, no
// external entities: billion laughs and XXE have nothing to work with); the
// five predefined entities and character references are decoded here. Every
// element knows its file, XPath-like location and line, and remembers whether
// the importer looked at it, so whatever it did not understand is reported
// precisely instead of silently dropped.
import type * as FastXmlParser from 'fast-xml-parser';
import { XmlDocument, XmlElement } from '../gateway/policies/xml-model.js';
import { createRequire } from 'node:module';

export * from '../gateway/policies/xml-model.js';

/** Elements nested deeper than this are refused (no Apigee file comes close). */
export const MAX_XML_DEPTH = 64;

/** fast-xml-parser, loaded when the first file is parsed (bundle import is rare; the platform's bundle leaves it out). */
let fastXml: { parser: FastXmlParser.XMLParser; validator: typeof FastXmlParser.XMLValidator; meta: symbol } | undefined;

function xmlParser(): NonNullable<typeof fastXml> {
  if (fastXml) return fastXml;
  /* eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, synchronously, as the callers are */
  const { XMLParser, XMLValidator } = (typeof require === 'function' ? require('fast-xml-parser') : createRequire(import.meta.url)('fast-xml-parser')) as typeof FastXmlParser;
  fastXml = { parser: new XMLParser(PARSER_OPTIONS), validator: XMLValidator, meta: XMLParser.getMetaDataSymbol() as unknown as symbol };
  return fastXml;
}

const PARSER_OPTIONS: FastXmlParser.X2jOptions = {
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
};

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
  const { parser, validator, meta: META } = xmlParser();
  const valid = validator.validate(text, { allowBooleanAttributes: false });
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

