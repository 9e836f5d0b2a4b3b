// The part of the xpath package Tollgate uses (see xpath-module.js).
import type { Node } from '@xmldom/xmldom';

type Selected = Node | string | number | boolean | null;

declare const xpath: {
  useNamespaces(namespaces: Record<string, string>): (expression: string, node: Node) => Selected[] | Selected;
};

export default xpath;
