// ExtractVariables: pulls values out of the URI path, query and form
// parameters, headers, other variables, JSON and XML payloads into flow
// variables, using Apigee patterns (`/accounts/{id}`, `Bearer {token}`),
// JSONPath and XPath (with the namespaces the policy declares).
import * as z from 'zod';
import { compileExtractionPattern, type ExtractionPattern } from '../language/extraction-pattern.js';
import { compileJsonPath } from '../language/jsonpath.js';
import { el, type XmlElement, type XmlNode } from './xml-model.js';
import { definePolicy, policyXml } from './define-policy.js';
import { stringify } from '../language/template.js';
import { defineFaults, raise } from './common.js';
import { checkXPath, evaluateXPath, parseXmlPayload, serializeNodes, xpathString, XmlPayloadError, type XPathValue } from '../language/xml.js';
import { Message } from '../engine/message.js';

export const EXTRACT_VARIABLES_FAULTS = defineFaults({
  ExecutionFailed: ['steps.extractvariables.ExecutionFailed', 500],
  JsonPathParsingFailure: ['steps.extractvariables.JsonPathParsingFailure', 500],
  UnableToCast: ['steps.extractvariables.UnableToCast', 500],
  SourceMessageNotAvailable: ['steps.extractvariables.SourceMessageNotAvailable', 500],
});

const XML_TYPES = ['string', 'boolean', 'integer', 'long', 'float', 'double', 'nodeset'] as const;

const Patterns = z.lazy(() => z.array(z.object({ pattern: z.string().min(1), ignoreCase: z.boolean().default(false) })).min(1));

const schema = z.lazy(() => z.object({
  /** Message to read (request, response, or a custom message); default: the current one. */
  source: z.string().optional(),
  /** Empty the source message's payload once the variables are extracted. */
  clearPayload: z.boolean().default(false),
  variablePrefix: z.string().optional(),
  ignoreUnresolvedVariables: z.boolean().default(true),
  uriPath: Patterns.optional(),
  queryParams: z.array(z.object({ name: z.string().min(1), patterns: Patterns })).default([]),
  headers: z.array(z.object({ name: z.string().min(1), patterns: Patterns })).default([]),
  formParams: z.array(z.object({ name: z.string().min(1), patterns: Patterns })).default([]),
  variables: z.array(z.object({ name: z.string().min(1), patterns: Patterns })).default([]),
  /** `json` returns objects and arrays as JSON text (Apigee's nodeset); the scalar types are kept for export. */
  jsonPayload: z
    .array(
      z.object({
        name: z.string().min(1),
        jsonPath: z.string().min(1),
        type: z.enum(['string', 'json', 'boolean', 'integer', 'long', 'float', 'double']).optional(),
      }),
    )
    .default([]),
  xmlPayload: z
    .object({
      namespaces: z.record(z.string().min(1), z.string()).default({}),
      stopPayloadProcessing: z.boolean().default(false),
      variables: z.array(z.object({ name: z.string().min(1), xpath: z.string().min(1), type: z.enum(XML_TYPES).default('string') })).min(1),
    })
    .optional(),
}));

function patternsFromXml(parent: XmlElement): { pattern: string; ignoreCase: boolean | undefined }[] {
  return parent.all('Pattern').map((pattern) => ({ pattern: pattern.text(), ignoreCase: pattern.bool('ignoreCase') }));
}

function namedFromXml(root: XmlElement, elementName: string) {
  return root.all(elementName).map((element) => {
    const name = element.attr('name');
    if (!name) element.report('the name attribute is required', { attribute: 'name' });
    return { name, patterns: patternsFromXml(element) };
  });
}

const patternsToXml = (patterns: { pattern: string; ignoreCase: boolean }[]) =>
  patterns.map((p) => el('Pattern', { ignoreCase: p.ignoreCase || undefined }, p.pattern));

const JSON_TYPES = ['string', 'nodeset', 'boolean', 'integer', 'long', 'float', 'double'] as const;

// Linear-time matching: a pattern meets request data (the path, headers, parameters).
const compileAll = (list: { pattern: string; ignoreCase: boolean }[]) => list.map((p) => compileExtractionPattern(p.pattern, p.ignoreCase));

export const extractVariables = definePolicy({
  type: 'ExtractVariables',
  schema,
  prepare: (config) => ({
    uriPath: config.uriPath ? compileAll(config.uriPath) : [],
    queryParams: config.queryParams.map((q) => ({ name: q.name, patterns: compileAll(q.patterns) })),
    headers: config.headers.map((h) => ({ name: h.name, patterns: compileAll(h.patterns) })),
    formParams: config.formParams.map((f) => ({ name: f.name, patterns: compileAll(f.patterns) })),
    variables: config.variables.map((v) => ({ name: v.name, patterns: compileAll(v.patterns) })),
    jsonPayload: config.jsonPayload.map((j) => ({ ...j, select: compileJsonPath(j.jsonPath) })),
    xml: config.xmlPayload && checkedXml(config.xmlPayload),
  }),
  faults: EXTRACT_VARIABLES_FAULTS,
  execute: ({ config, prepared, exchange, policy }) => {
    const message = exchange.messageByName(config.source) ?? variableAsMessage(exchange.get(config.source!));
    if (!message) throw raise(EXTRACT_VARIABLES_FAULTS, 'SourceMessageNotAvailable', `${policy.name}: source ${config.source} is not available`);
    const prefix = config.variablePrefix ? `${config.variablePrefix}.` : '';
    const unresolved: string[] = [];
    const assign = (name: string, value: unknown) => exchange.set(prefix + name, value);

    const matchInto = (value: string | undefined, patterns: ExtractionPattern[], what: string) => {
      if (value === undefined) {
        unresolved.push(what);
        return;
      }
      for (const pattern of patterns) {
        const captured = pattern.match(value);
        if (!captured) continue;
        for (const [name, text] of Object.entries(captured)) assign(name, text);
        return;
      }
      unresolved.push(what);
    };

    if (prepared.uriPath.length) matchInto(exchange.pathSuffix || '/', prepared.uriPath, 'URIPath');
    for (const q of prepared.queryParams) matchInto(message.query.get(q.name) ?? undefined, q.patterns, `QueryParam ${q.name}`);
    for (const h of prepared.headers) matchInto(message.headers.get(h.name), h.patterns, `Header ${h.name}`);
    if (prepared.formParams.length) {
      const form = message.formParams();
      for (const f of prepared.formParams) matchInto(form.get(f.name) ?? undefined, f.patterns, `FormParam ${f.name}`);
    }
    for (const v of prepared.variables) {
      const value = exchange.get(v.name);
      matchInto(value === undefined || value === null ? undefined : stringify(value), v.patterns, `Variable ${v.name}`);
    }
    if (prepared.jsonPayload.length) {
      let document: unknown;
      try {
        document = JSON.parse(message.content);
      } catch {
        if (!config.ignoreUnresolvedVariables) throw raise(EXTRACT_VARIABLES_FAULTS, 'JsonPathParsingFailure', `${policy.name}: the payload is not valid JSON`);
        document = undefined;
      }
      for (const j of document === undefined ? [] : prepared.jsonPayload) {
        const found = j.select(document);
        if (found.length === 0) {
          unresolved.push(`JSONPath ${j.jsonPath}`);
          continue;
        }
        const value = found.length === 1 ? found[0] : found;
        assign(j.name, j.type === 'json' || typeof value === 'object' ? JSON.stringify(value) : stringify(value));
      }
    }
    if (prepared.xml) extractXml(prepared.xml, message.content, assign, unresolved, config.ignoreUnresolvedVariables, policy.name);
    if (unresolved.length && !config.ignoreUnresolvedVariables) {
      throw raise(EXTRACT_VARIABLES_FAULTS, 'ExecutionFailed', `Failed to execute the ExtractVariables: ${policy.name}: could not resolve ${unresolved.join(', ')}`);
    }
    if (config.clearPayload) message.body = Buffer.alloc(0);
  },
});

export const extractVariablesXml = /* @__PURE__ */ policyXml(extractVariables, {
  fromXml: (root) => {
    const source = root.child('Source');
    const uriPaths = root.all('URIPath');
    const json = root.child('JSONPayload');
    const xml = root.child('XMLPayload');
    return {
      source: source?.text() || undefined,
      clearPayload: source?.bool('clearPayload'),
      xmlPayload: xml
        ? {
            stopPayloadProcessing: xml.bool('stopPayloadProcessing'),
            namespaces: Object.fromEntries(
              (xml.child('Namespaces')?.all('Namespace') ?? []).map((namespace) => [namespace.attr('prefix') ?? '', namespace.text()]),
            ),
            variables: xml.all('Variable').map((variable) => ({
              name: variable.attr('name'),
              type: variable.oneOf(XML_TYPES, 'type'),
              xpath: variable.childText('XPath'),
            })),
          }
        : undefined,
      variablePrefix: root.childText('VariablePrefix') || undefined,
      ignoreUnresolvedVariables: root.child('IgnoreUnresolvedVariables')?.bool(),
      uriPath: uriPaths.length ? uriPaths.flatMap(patternsFromXml) : undefined,
      queryParams: namedFromXml(root, 'QueryParam'),
      headers: namedFromXml(root, 'Header'),
      formParams: namedFromXml(root, 'FormParam'),
      variables: namedFromXml(root, 'Variable'),
      jsonPayload: (json?.all('Variable') ?? []).map((variable) => {
        const type = variable.oneOf(JSON_TYPES, 'type');
        return { name: variable.attr('name'), jsonPath: variable.childText('JSONPath'), type: type === 'nodeset' ? 'json' : type };
      }),
    };
  },
  toXml: (config) => {
    const named = (elementName: string, list: { name: string; patterns: { pattern: string; ignoreCase: boolean }[] }[]) =>
      list.map((item) => el(elementName, { name: item.name }, patternsToXml(item.patterns)));
    const children: (XmlNode | undefined)[] = [
      config.source === undefined && !config.clearPayload ? undefined : el('Source', { clearPayload: config.clearPayload || undefined }, config.source ?? ''),
      config.variablePrefix === undefined ? undefined : el('VariablePrefix', {}, config.variablePrefix),
      el('IgnoreUnresolvedVariables', {}, config.ignoreUnresolvedVariables),
      config.uriPath ? el('URIPath', {}, patternsToXml(config.uriPath)) : undefined,
      ...named('QueryParam', config.queryParams),
      ...named('Header', config.headers),
      ...named('FormParam', config.formParams),
      ...named('Variable', config.variables),
      config.jsonPayload.length
        ? el(
            'JSONPayload',
            {},
            config.jsonPayload.map((j) => el('Variable', { name: j.name, type: j.type === 'json' ? 'nodeset' : j.type }, [el('JSONPath', {}, j.jsonPath)])),
          )
        : undefined,
      config.xmlPayload
        ? el('XMLPayload', { stopPayloadProcessing: config.xmlPayload.stopPayloadProcessing || undefined }, [
            Object.keys(config.xmlPayload.namespaces).length
              ? el('Namespaces', {}, Object.entries(config.xmlPayload.namespaces).map(([prefix, uri]) => el('Namespace', { prefix }, uri)))
              : undefined,
            ...config.xmlPayload.variables.map((variable) => el('Variable', { name: variable.name, type: variable.type }, [el('XPath', {}, variable.xpath)])),
          ])
        : undefined,
    ];
    return { children: children.filter((node) => node !== undefined) };
  },
});

/** A Source naming a text variable (`request.content`, a callout's content) is read as a message with that payload, as Apigee does. */
function variableAsMessage(value: unknown): Message | undefined {
  if (typeof value === 'string') return new Message({ body: Buffer.from(value) });
  return Buffer.isBuffer(value) ? new Message({ body: value }) : undefined;
}

type XmlSettings = NonNullable<z.infer<typeof schema>['xmlPayload']>;

/** XPath syntax and namespace prefixes are checked at deployment. */
function checkedXml(settings: XmlSettings): XmlSettings {
  for (const variable of settings.variables) checkXPath(variable.xpath, settings.namespaces);
  return settings;
}

/** A value of an XPath result as a variable of the declared type. */
function typed(value: XPathValue, type: XmlSettings['variables'][number]['type'], policyName: string): unknown {
  if (type === 'nodeset') {
    if (!Array.isArray(value)) return String(value);
    return serializeNodes(value);
  }
  const text = xpathString(value);
  if (text === undefined) return undefined;
  if (type === 'string') return text;
  if (type === 'boolean') return text === 'true' || (typeof value === 'boolean' && value);
  const number = Number(text);
  if (text.trim() === '' || Number.isNaN(number) || ((type === 'integer' || type === 'long') && !Number.isInteger(number))) {
    throw raise(EXTRACT_VARIABLES_FAULTS, 'UnableToCast', `${policyName}: unable to cast value ${text} as ${type}`);
  }
  return number;
}

function extractXml(settings: XmlSettings, content: string, assign: (name: string, value: unknown) => void, unresolved: string[], ignoreUnresolved: boolean, policyName: string): void {
  let document;
  try {
    document = parseXmlPayload(content);
  } catch (error) {
    if (!(error instanceof XmlPayloadError)) throw error;
    if (!ignoreUnresolved) throw raise(EXTRACT_VARIABLES_FAULTS, 'ExecutionFailed', `Failed to execute the ExtractVariables: ${policyName}: ${error.message}`);
    return;
  }
  for (const variable of settings.variables) {
    const value = typed(evaluateXPath(variable.xpath, document, settings.namespaces), variable.type, policyName);
    if (value === undefined) unresolved.push(`XPath ${variable.xpath}`);
    else assign(variable.name, value);
  }
}
