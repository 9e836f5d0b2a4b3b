// JSONToXML: converts a JSON message (or variable) to XML with Apigee's
// options: root element names for objects and arrays, array item names,
// attributes (a block or a prefix), text node name, namespaces (separator,
// default node name), null value, invalid-character replacement, XML
// declaration and indentation. The result replaces the source message's
// payload (Content-Type application/xml) or goes to a variable.
import * as z from 'zod';
import type { Message } from '../engine/message.js';
import { defineFaults, raise } from './common.js';
import { definePolicy, policyXml } from './define-policy.js';
import { el, optional, type XmlNode } from './xml-model.js';

export const JSON_TO_XML_FAULTS = defineFaults({
  ExecutionFailed: ['steps.json2xml.ExecutionFailed', 500],
  InCompatibleTypes: ['steps.json2xml.InCompatibleTypes', 500],
  SourceUnavailable: ['steps.json2xml.SourceUnavailable', 500],
});

const OptionsSchema = z.lazy(() => z.object({
  omitXmlDeclaration: z.boolean().default(false),
  defaultNamespaceNodeName: z.string().default('$default'),
  namespaceBlockName: z.string().optional(),
  namespaceSeparator: z.string().default(':'),
  attributeBlockName: z.string().optional(),
  attributePrefix: z.string().optional(),
  objectRootElementName: z.string().default('Root'),
  arrayRootElementName: z.string().default('Array'),
  arrayItemElementName: z.string().default('Item'),
  indent: z.boolean().default(false),
  textNodeName: z.string().optional(),
  nullValue: z.string().optional(),
  invalidCharsReplacement: z.string().default('_'),
}));

const schema = z.lazy(() => z.object({
  source: z.string().optional(),
  outputVariable: z.string().optional(),
  options: OptionsSchema.default(() => OptionsSchema.parse({})),
}));

type Options = z.infer<typeof OptionsSchema>;

const escapeText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttribute = (text: string) => escapeText(text).replace(/"/g, '&quot;');

/** A JSON key as an XML name: characters XML names cannot hold are replaced. */
function xmlName(key: string, options: Options): string {
  const separator = options.namespaceSeparator;
  const local = separator !== ':' && key.includes(separator) ? key.replace(separator, ':') : key;
  let name = local.replace(/[^A-Za-z0-9_.:-]/g, options.invalidCharsReplacement);
  if (!/^[A-Za-z_]/.test(name)) name = `${options.invalidCharsReplacement}${name}`;
  return name;
}

function scalarText(value: unknown, options: Options): string {
  if (value === null) return options.nullValue ?? '';
  return String(value);
}

function element(name: string, value: unknown, options: Options, depth: number, out: string[]): void {
  const pad = options.indent ? `\n${'    '.repeat(depth)}` : '';
  if (Array.isArray(value)) {
    for (const item of value) element(name, item, options, depth, out);
    return;
  }
  if (value === null || typeof value !== 'object') {
    out.push(`${pad}<${name}>${escapeText(scalarText(value, options))}</${name}>`);
    return;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const attributes: string[] = [];
  const children: [string, unknown][] = [];
  let text: string | undefined;
  for (const [key, child] of entries) {
    if (options.attributeBlockName && key === options.attributeBlockName && child && typeof child === 'object' && !Array.isArray(child)) {
      for (const [attribute, attributeValue] of Object.entries(child)) attributes.push(` ${xmlName(attribute, options)}="${escapeAttribute(scalarText(attributeValue, options))}"`);
    } else if (options.attributePrefix && key.startsWith(options.attributePrefix) && (child === null || typeof child !== 'object')) {
      attributes.push(` ${xmlName(key.slice(options.attributePrefix.length), options)}="${escapeAttribute(scalarText(child, options))}"`);
    } else if (options.namespaceBlockName && key === options.namespaceBlockName && child && typeof child === 'object') {
      for (const [prefix, uri] of Object.entries(child)) {
        attributes.push(prefix === options.defaultNamespaceNodeName ? ` xmlns="${escapeAttribute(String(uri))}"` : ` xmlns:${xmlName(prefix, options)}="${escapeAttribute(String(uri))}"`);
      }
    } else if (options.textNodeName && key === options.textNodeName) {
      text = scalarText(child, options);
    } else children.push([key, child]);
  }
  out.push(`${pad}<${name}${attributes.join('')}>`);
  if (text !== undefined) out.push(escapeText(text));
  for (const [key, child] of children) element(xmlName(key, options), child, options, depth + 1, out);
  out.push(`${children.length && options.indent ? pad : ''}</${name}>`);
}

export function jsonToXml(value: unknown, options: Options): string {
  const out: string[] = options.omitXmlDeclaration ? [] : ['<?xml version="1.0" encoding="UTF-8"?>'];
  if (Array.isArray(value)) {
    out.push(`${out.length && options.indent ? '\n' : ''}<${options.arrayRootElementName}>`);
    for (const item of value) element(options.arrayItemElementName, item, options, 1, out);
    out.push(`${options.indent ? '\n' : ''}</${options.arrayRootElementName}>`);
  } else if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    // A single top-level key is the root element; otherwise Apigee wraps the object in ObjectRootElementName.
    if (keys.length === 1 && !Array.isArray((value as Record<string, unknown>)[keys[0]!])) element(xmlName(keys[0]!, options), (value as Record<string, unknown>)[keys[0]!], options, 0, out);
    else element(options.objectRootElementName, value, options, 0, out);
  } else element(options.objectRootElementName, value, options, 0, out);
  return out.join('');
}

export const jsonToXmlPolicy = definePolicy({
  type: 'JSONToXML',
  schema,
  faults: JSON_TO_XML_FAULTS,
  execute: ({ config, exchange, policy }) => {
    const source = config.source ? exchange.messageByName(config.source) : exchange.message;
    const content = source ? source.content : config.source ? exchange.get(config.source) : undefined;
    if (content === undefined || content === null) throw raise(JSON_TO_XML_FAULTS, 'SourceUnavailable', `JSONToXML[${policy.name}]: Source ${config.source} is not available`);
    const type = source?.headers.get('content-type') ?? '';
    // Apigee converts only JSON: a message that says it is something else passes unchanged.
    if (source && type && !/json/i.test(type)) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(content));
    } catch {
      throw raise(JSON_TO_XML_FAULTS, 'ExecutionFailed', `JSONToXML[${policy.name}]: Execution failed due to reason: the payload is not valid JSON`);
    }
    const xml = jsonToXml(parsed, config.options);
    const output = config.outputVariable ?? config.source;
    const target: Message | undefined = output ? exchange.messageByName(output) : exchange.message;
    if (target && (!output || ['request', 'response', 'message'].includes(output) || exchange.messages.has(output))) {
      target.content = xml;
      target.headers.set('Content-Type', 'application/xml');
      return;
    }
    exchange.set(output!, xml);
  },
});

export const jsonToXmlPolicyXml = /* @__PURE__ */ policyXml(jsonToXmlPolicy, {
  fromXml: (root) => {
    const options = root.child('Options');
    const text = (name: string) => options?.child(name)?.text();
    const bool = (name: string) => options?.child(name)?.bool();
    return {
      source: root.childText('Source') || undefined,
      outputVariable: root.childText('OutputVariable') || undefined,
      options: options
        ? {
            omitXmlDeclaration: bool('OmitXmlDeclaration'),
            defaultNamespaceNodeName: text('DefaultNamespaceNodeName') || undefined,
            namespaceBlockName: text('NamespaceBlockName') || undefined,
            namespaceSeparator: text('NamespaceSeparator') || undefined,
            attributeBlockName: text('AttributeBlockName') || undefined,
            attributePrefix: text('AttributePrefix') || undefined,
            objectRootElementName: text('ObjectRootElementName') || undefined,
            arrayRootElementName: text('ArrayRootElementName') || undefined,
            arrayItemElementName: text('ArrayItemElementName') || undefined,
            indent: bool('Indent'),
            textNodeName: text('TextNodeName') || undefined,
            nullValue: text('NullValue'),
            invalidCharsReplacement: text('InvalidCharsReplacement') || undefined,
          }
        : undefined,
    };
  },
  toXml: (config) => {
    const o = config.options;
    const children: (XmlNode | undefined)[] = [
      optional('OmitXmlDeclaration', o.omitXmlDeclaration),
      optional('DefaultNamespaceNodeName', o.defaultNamespaceNodeName),
      optional('NamespaceBlockName', o.namespaceBlockName),
      optional('NamespaceSeparator', o.namespaceSeparator),
      optional('AttributeBlockName', o.attributeBlockName),
      optional('AttributePrefix', o.attributePrefix),
      optional('ObjectRootElementName', o.objectRootElementName),
      optional('ArrayRootElementName', o.arrayRootElementName),
      optional('ArrayItemElementName', o.arrayItemElementName),
      optional('Indent', o.indent),
      optional('TextNodeName', o.textNodeName),
      optional('NullValue', o.nullValue),
      optional('InvalidCharsReplacement', o.invalidCharsReplacement),
    ];
    return {
      children: [optional('Source', config.source), optional('OutputVariable', config.outputVariable), el('Options', {}, children)].filter((node) => node !== undefined),
    };
  },
});
