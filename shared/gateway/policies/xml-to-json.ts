// XMLToJSON: converts an XML message (or variable) to JSON with Apigee's
// options: numbers, booleans and nulls recognized, attributes (prefix or a
// block), text node name, namespaces (separator, block, default node name),
// output prefix and suffix, stripped levels, and TreatAsArray paths (with
// unwrap). Repeated elements become arrays. The result replaces the source
// message's payload (Content-Type application/json) or goes to a variable.
import * as z from 'zod';
import type { Element, Node } from '@xmldom/xmldom';
import type { Message } from '../engine/message.js';
import { defineFaults, raise } from './common.js';
import { definePolicy, policyXml } from './define-policy.js';
import { parseXmlPayload, XmlPayloadError } from '../language/xml.js';
import { el, optional, type XmlElement, type XmlNode } from './xml-model.js';

export const XML_TO_JSON_FAULTS = defineFaults({
  ExecutionFailed: ['steps.xml2json.ExecutionFailed', 500],
  InCompatibleTypes: ['steps.xml2json.InCompatibleTypes', 500],
  SourceUnavailable: ['steps.xml2json.SourceUnavailable', 500],
});

const OptionsSchema = z.lazy(() => z.object({
  recognizeNumber: z.boolean().default(false),
  recognizeBoolean: z.boolean().default(false),
  recognizeNull: z.boolean().default(false),
  nullValue: z.string().optional(),
  namespaceBlockName: z.string().optional(),
  defaultNamespaceNodeName: z.string().optional(),
  namespaceSeparator: z.string().optional(),
  textAlwaysAsProperty: z.boolean().default(false),
  textNodeName: z.string().default('TEXT'),
  attributeBlockName: z.string().optional(),
  attributePrefix: z.string().default(''),
  outputPrefix: z.string().default(''),
  outputSuffix: z.string().default(''),
  stripLevels: z.number().int().min(0).max(64).default(0),
  treatAsArray: z.array(z.object({ path: z.string().min(1), unwrap: z.boolean().default(false) })).default([]),
}));

const FORMATS = ['xml.com', 'yahoo', 'google', 'badgerFish'] as const;

/** Apigee's named formats: presets of the options (options written beside them win). */
const FORMAT_OPTIONS: Record<(typeof FORMATS)[number], Record<string, unknown>> = {
  'xml.com': { recognizeNull: true, textNodeName: '#text', attributePrefix: '@' },
  yahoo: { recognizeNumber: true, textNodeName: 'content' },
  google: { textNodeName: '$t', namespaceSeparator: '$', textAlwaysAsProperty: true },
  badgerFish: { textNodeName: '$', textAlwaysAsProperty: true, attributePrefix: '@', namespaceSeparator: ':', namespaceBlockName: '@xmlns', defaultNamespaceNodeName: '$' },
};

const schema = z.lazy(() => z.object({
  format: z.enum(FORMATS).optional(),
  source: z.string().optional(),
  outputVariable: z.string().optional(),
  options: OptionsSchema.default(() => OptionsSchema.parse({})),
}));

type Options = z.infer<typeof OptionsSchema>;
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function scalar(text: string, options: Options): Json {
  if (options.recognizeNull && text === '') return null;
  if (options.recognizeBoolean && (text === 'true' || text === 'false')) return text === 'true';
  if (options.recognizeNumber && /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text.trim())) return Number(text);
  return text;
}

function nameOf(node: Element | { prefix?: string | null; localName?: string | null; nodeName: string }, options: Options): string {
  const local = node.localName ?? node.nodeName;
  if (!node.prefix) return local;
  return options.namespaceSeparator !== undefined ? `${node.prefix}${options.namespaceSeparator}${local}` : `${node.prefix}:${local}`;
}

/** Converts an element; `path` is the slash path from the root (for TreatAsArray). */
function convert(element: Element, path: string, options: Options, arrays: Map<string, boolean>): Json {
  const result: Record<string, Json> = {};
  const attributes: Record<string, Json> = {};
  const namespaces: Record<string, Json> = {};
  for (let i = 0; i < element.attributes.length; i++) {
    const attribute = element.attributes.item(i)!;
    if (attribute.name === 'xmlns' || attribute.name.startsWith('xmlns:')) {
      const prefix = attribute.name === 'xmlns' ? options.defaultNamespaceNodeName ?? '$default' : attribute.name.slice(6);
      namespaces[prefix] = attribute.value;
      continue;
    }
    attributes[`${options.attributePrefix}${nameOf(attribute, options)}`] = scalar(attribute.value, options);
  }
  if (options.namespaceBlockName && Object.keys(namespaces).length) result[options.namespaceBlockName] = namespaces;
  if (options.attributeBlockName) {
    if (Object.keys(attributes).length) result[options.attributeBlockName] = attributes;
  } else Object.assign(result, attributes);

  let text = '';
  let children = 0;
  /** Names whose value is an array this conversion made (repeated elements, TreatAsArray). */
  const arrayNames = new Set<string>();
  for (let child: Node | null = element.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === 3 || child.nodeType === 4) text += child.nodeValue ?? '';
    if (child.nodeType !== 1) continue;
    children++;
    const childElement = child as Element;
    const name = nameOf(childElement, options);
    const childPath = `${path}/${childElement.localName ?? childElement.nodeName}`;
    const value = convert(childElement, childPath, options, arrays);
    if (Object.hasOwn(result, name)) {
      if (arrayNames.has(name)) (result[name] as Json[]).push(value);
      else {
        result[name] = [result[name]!, value];
        arrayNames.add(name);
      }
    } else if (arrays.has(childPath)) {
      result[name] = [value];
      arrayNames.add(name);
    } else result[name] = value;
  }
  const trimmed = text.trim();
  const hasProperties = Object.keys(result).length > 0;
  if (!hasProperties && children === 0) {
    if (options.textAlwaysAsProperty && trimmed !== '') return { [options.textNodeName]: scalar(trimmed, options) };
    if (trimmed === '') return options.recognizeNull ? options.nullValue ?? null : '';
    return scalar(trimmed, options);
  }
  if (trimmed !== '') result[options.textNodeName] = scalar(trimmed, options);
  // TreatAsArray with unwrap: an element whose only child is the array element is replaced by the array.
  for (const [name, value] of Object.entries(result)) {
    const childPath = `${path}/${name.includes(':') ? name.slice(name.indexOf(':') + 1) : name}`;
    if (arrays.get(childPath) === true && value && typeof value === 'object' && !Array.isArray(value)) {
      const inner = Object.values(value);
      if (inner.length === 1 && Array.isArray(inner[0])) result[name] = inner[0];
    }
  }
  return result;
}

/** Removes the outer `levels` of single-property objects, as Apigee's StripLevels does. */
function strip(value: Json, levels: number): Json {
  let current = value;
  for (let i = 0; i < levels; i++) {
    if (!current || typeof current !== 'object' || Array.isArray(current)) break;
    const values = Object.values(current);
    if (values.length !== 1) break;
    current = values[0]!;
  }
  return current;
}

export function xmlToJson(text: string, options: Options): string {
  const document = parseXmlPayload(text);
  const root = document.documentElement;
  if (!root) throw new XmlPayloadError('the payload has no root element');
  const arrays = new Map<string, boolean>();
  for (const entry of options.treatAsArray) {
    // Paths are written from the root without a leading slash (`root/items/item`); unwrap marks the parent.
    const path = `/${entry.path.replace(/^\/+/, '')}`;
    arrays.set(path, arrays.get(path) ?? false);
    if (entry.unwrap) arrays.set(path.slice(0, path.lastIndexOf('/')), true);
  }
  const rootName = nameOf(root, options);
  const json = strip({ [rootName]: convert(root, `/${root.localName ?? root.nodeName}`, options, arrays) }, options.stripLevels);
  return `${options.outputPrefix}${JSON.stringify(json)}${options.outputSuffix}`;
}

const bool = (parent: XmlElement, name: string) => parent.child(name)?.bool();
const text = (parent: XmlElement, name: string) => parent.child(name)?.text();

export const xmlToJsonPolicy = definePolicy({
  type: 'XMLToJSON',
  schema,
  faults: XML_TO_JSON_FAULTS,
  execute: ({ config, exchange, policy }) => {
    const source = config.source ? exchange.messageByName(config.source) : exchange.message;
    const content = source ? source.content : config.source ? exchange.get(config.source) : undefined;
    if (content === undefined || content === null) throw raise(XML_TO_JSON_FAULTS, 'SourceUnavailable', `XMLToJSON[${policy.name}]: Source ${config.source} is not available`);
    const type = source?.headers.get('content-type') ?? '';
    // Apigee converts only XML: a message that says it is something else passes unchanged.
    if (source && type && !/xml/i.test(type)) return;
    let json: string;
    try {
      json = xmlToJson(String(content), config.options);
    } catch (error) {
      if (!(error instanceof XmlPayloadError)) throw error;
      throw raise(XML_TO_JSON_FAULTS, 'ExecutionFailed', `XMLToJSON[${policy.name}]: Execution failed due to reason: ${error.message}`);
    }
    const output = config.outputVariable ?? config.source;
    const target: Message | undefined = output ? exchange.messageByName(output) : exchange.message;
    if (target && (!output || ['request', 'response', 'message'].includes(output) || exchange.messages.has(output))) {
      target.content = json;
      target.headers.set('Content-Type', 'application/json');
      return;
    }
    exchange.set(output!, json);
  },
});

export const xmlToJsonPolicyXml = /* @__PURE__ */ policyXml(xmlToJsonPolicy, {
  fromXml: (root) => {
    const options = root.child('Options');
    const format = root.child('Format')?.oneOf(FORMATS);
    const preset = format ? FORMAT_OPTIONS[format] : {};
    const defined = (values: Record<string, unknown>) => Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined && value !== ''));
    return {
      format,
      source: root.childText('Source') || undefined,
      outputVariable: root.childText('OutputVariable') || undefined,
      options: options
        ? { ...preset, ...defined({
            recognizeNumber: bool(options, 'RecognizeNumber'),
            recognizeBoolean: bool(options, 'RecognizeBoolean'),
            recognizeNull: bool(options, 'RecognizeNull'),
            nullValue: text(options, 'NullValue'),
            namespaceBlockName: text(options, 'NamespaceBlockName'),
            defaultNamespaceNodeName: text(options, 'DefaultNamespaceNodeName'),
            namespaceSeparator: text(options, 'NamespaceSeparator'),
            textAlwaysAsProperty: bool(options, 'TextAlwaysAsProperty'),
            textNodeName: text(options, 'TextNodeName') || undefined,
            attributeBlockName: text(options, 'AttributeBlockName') || undefined,
            attributePrefix: text(options, 'AttributePrefix'),
            outputPrefix: text(options, 'OutputPrefix'),
            outputSuffix: text(options, 'OutputSuffix'),
            stripLevels: options.child('StripLevels')?.int(),
            treatAsArray: (options.child('TreatAsArray')?.all('Path') ?? []).map((path) => ({ path: path.text(), unwrap: path.bool('unwrap') })),
          }) }
        : format
          ? preset
          : undefined,
    };
  },
  toXml: (config) => {
    const o = config.options;
    const children: (XmlNode | undefined)[] = [
      optional('RecognizeNumber', o.recognizeNumber),
      optional('RecognizeBoolean', o.recognizeBoolean),
      optional('RecognizeNull', o.recognizeNull),
      optional('NullValue', o.nullValue),
      optional('NamespaceBlockName', o.namespaceBlockName),
      optional('DefaultNamespaceNodeName', o.defaultNamespaceNodeName),
      optional('NamespaceSeparator', o.namespaceSeparator),
      optional('TextAlwaysAsProperty', o.textAlwaysAsProperty),
      optional('TextNodeName', o.textNodeName),
      optional('AttributeBlockName', o.attributeBlockName),
      o.attributePrefix ? el('AttributePrefix', {}, o.attributePrefix) : undefined,
      o.outputPrefix ? el('OutputPrefix', {}, o.outputPrefix) : undefined,
      o.outputSuffix ? el('OutputSuffix', {}, o.outputSuffix) : undefined,
      optional('StripLevels', o.stripLevels),
      o.treatAsArray.length ? el('TreatAsArray', {}, o.treatAsArray.map((path) => el('Path', { unwrap: path.unwrap || undefined }, path.path))) : undefined,
    ];
    return {
      children: [optional('Format', config.format), optional('Source', config.source), optional('OutputVariable', config.outputVariable), el('Options', {}, children)].filter((node) => node !== undefined),
    };
  },
});
