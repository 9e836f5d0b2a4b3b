// Well-formedness of XML without the browser's DOMParser error document: the
// element Chrome builds for a parse error carries a style attribute, which a
// strict CSP reports on every keystroke. The Lezer XML grammar (the one the
// editor highlights with) finds the same errors first; DOMParser only ever
// sees text that parsed.
import { parser } from '@lezer/xml';

export interface XmlError {
  from: number;
  to: number;
  message: string;
}

const PROBLEMS: Record<string, string> = {
  MismatchedCloseTag: 'the closing tag does not match the open element',
  MissingCloseTag: 'an element is not closed',
  UnclosedTag: 'a tag is not finished',
};

export function xmlErrors(text: string): XmlError[] {
  const errors: XmlError[] = [];
  let elements = 0;
  parser.parse(text).iterate({
    enter(node) {
      if (node.name === 'Element' && node.node.parent?.name === 'Document') elements++;
      const known = PROBLEMS[node.name];
      if (node.type.isError || known) errors.push({ from: node.from, to: Math.max(node.to, node.from + 1), message: known ?? 'not well-formed XML here' });
    },
  });
  if (!errors.length && elements !== 1) errors.push({ from: 0, to: Math.min(1, text.length), message: elements ? 'an XML document has exactly one root element' : 'no root element' });
  return errors;
}

/** A line-and-message summary of the first error, for people. */
export function describeXmlError(text: string): string | undefined {
  const [first] = xmlErrors(text);
  if (!first) return undefined;
  const line = text.slice(0, first.from).split('\n').length;
  return `line ${line}: ${first.message}`;
}
