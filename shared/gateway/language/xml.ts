// XML payloads at run time, for ExtractVariables' XMLPayload, XMLToJSON,
// RegularExpressionProtection's XPath and the `xPath()` template function:
// @xmldom/xmldom builds the DOM (it never fetches anything; a DOCTYPE is
// refused here, so no entity is ever declared or expanded) and xpath
// evaluates XPath 1.0 with the namespace prefixes a policy declares.
// XPath expressions come from the proxy's author, never from the request.
//
// Both libraries are loaded the first time a payload or an expression needs
// them, not when the module is: most proxies never touch XML, and the Lambda
// bundle leaves them out of index.js (infra/bundling.ts LAZY_PACKAGES).
import { createRequire } from 'node:module';
import type * as XmlDom from '@xmldom/xmldom';
import type { Document, Node } from '@xmldom/xmldom';
import type xpathModule from './xpath-module.js';

interface XmlLibraries {
  dom: typeof XmlDom;
  xpath: typeof xpathModule;
}

let libraries: XmlLibraries | undefined;

/** In the Lambda bundle (CommonJS) Node's own `require`; run as ES modules (npm start, tests), one made for this file. */
function xml(): XmlLibraries {
  if (libraries) return libraries;
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, synchronously, as the callers are */
  if (typeof require === 'function') libraries = { dom: require('@xmldom/xmldom'), xpath: require('xpath') };
  else {
    const load = createRequire(import.meta.url);
    libraries = { dom: load('@xmldom/xmldom') as typeof XmlDom, xpath: load('xpath') as typeof xpathModule };
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
  return libraries;
}

/** Payloads larger than this are not parsed (a proxy's request limit is 10 MB; XML trees cost more than their text). */
export const MAX_XML_BYTES = 5 * 1024 * 1024;

export class XmlPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlPayloadError';
  }
}

/** Parses an XML payload; an XmlPayloadError for malformed XML, a DOCTYPE or an oversized one. */
export function parseXmlPayload(text: string): Document {
  if (text.length > MAX_XML_BYTES) throw new XmlPayloadError('the XML payload is too large to parse');
  if (/<!DOCTYPE/i.test(text)) throw new XmlPayloadError('DOCTYPE declarations are not allowed in XML payloads');
  if (text.trim() === '') throw new XmlPayloadError('the payload is empty');
  const parser = new (xml().dom.DOMParser)({
    onError: (level, message) => {
      if (level !== 'warning') throw new XmlPayloadError(`malformed XML: ${message}`);
    },
  });
  try {
    return parser.parseFromString(text, 'text/xml');
  } catch (error) {
    if (error instanceof XmlPayloadError) throw error;
    const cause = (error as { cause?: unknown }).cause;
    throw cause instanceof XmlPayloadError ? cause : new XmlPayloadError(`malformed XML: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export type XPathValue = string | number | boolean | Node[];

const selectors = new Map<string, ReturnType<typeof xpathModule.useNamespaces>>();

/** Evaluates an XPath 1.0 expression; `namespaces` maps the prefixes it uses. */
export function evaluateXPath(expression: string, document: Document | Node, namespaces: Record<string, string> = {}): XPathValue {
  const key = JSON.stringify(namespaces);
  let select = selectors.get(key);
  if (!select) {
    select = xml().xpath.useNamespaces(namespaces);
    if (selectors.size > 100) selectors.clear();
    selectors.set(key, select);
  }
  let result;
  try {
    result = select(expression, document);
  } catch (error) {
    throw new XmlPayloadError(`XPath ${expression} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (result === null) return [];
  if (Array.isArray(result)) return result as unknown as Node[];
  if (typeof result === 'object') return [result as unknown as Node];
  return result;
}

let empty: Document | undefined;

/** Checks an XPath expression once, at deployment (prefixes it uses must be declared). */
export function checkXPath(expression: string, namespaces: Record<string, string> = {}): void {
  evaluateXPath(expression, (empty ??= new (xml().dom.DOMParser)().parseFromString('<empty/>', 'text/xml')), namespaces);
}

/** Nodes as XML text, one after the other (an XPath node set as Apigee's `nodeset` variables take it). */
export function serializeNodes(nodes: Node[]): string {
  const serializer = new (xml().dom.XMLSerializer)();
  return nodes.map((node) => serializer.serializeToString(node)).join('');
}

/** The string value of an XPath result: the first node's text, as Apigee's `type="string"` variables take it. */
export function xpathString(value: XPathValue): string | undefined {
  if (Array.isArray(value)) return value.length ? (value[0]!.textContent ?? '') : undefined;
  return String(value);
}
