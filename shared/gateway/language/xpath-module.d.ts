// The part of the xpath package Tollgate uses, typed here: the package's own
// typings pull the DOM library into the whole program (and with it the
// browser's fetch types). language/xml.ts loads the package itself.
import type { Node } from '@xmldom/xmldom';

type Selected = Node | string | number | boolean | null;

declare const xpath: {
  useNamespaces(namespaces: Record<string, string>): (expression: string, node: Node) => Selected[] | Selected;
};

export default xpath;
