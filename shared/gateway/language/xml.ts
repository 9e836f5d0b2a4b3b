// XML payloads at run time, for ExtractVariables' XMLPayload, XMLToJSON,
// RegularExpressionProtection's XPath and the `xPath()` template function:
// @xmldom/xmldom builds the DOM (it never fetches anything; a DOCTYPE is
// refused here, so no entity is ever declared or expanded) and xpath
// evaluates XPath 1.0 with the namespace prefixes a policy declares.
// XPath expressions come from the proxy's author, never from the request.
import { DOMParser, type Document, type Node } from '@xmldom/xmldom';
import xpath from './xpath-module.js';

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
  const parser = new DOMParser({
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

const selectors = new Map<string, ReturnType<typeof xpath.useNamespaces>>();

/** Evaluates an XPath 1.0 expression; `namespaces` maps the prefixes it uses. */
export function evaluateXPath(expression: string, document: Document | Node, namespaces: Record<string, string> = {}): XPathValue {
  const key = JSON.stringify(namespaces);
  let select = selectors.get(key);
  if (!select) {
    select = xpath.useNamespaces(namespaces);
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

const EMPTY = new DOMParser().parseFromString('<empty/>', 'text/xml');

/** Checks an XPath expression once, at deployment (prefixes it uses must be declared). */
export function checkXPath(expression: string, namespaces: Record<string, string> = {}): void {
  evaluateXPath(expression, EMPTY, namespaces);
}

/** The string value of an XPath result: the first node's text, as Apigee's `type="string"` variables take it. */
export function xpathString(value: XPathValue): string | undefined {
  if (Array.isArray(value)) return value.length ? (value[0]!.textContent ?? '') : undefined;
  return String(value);
}
