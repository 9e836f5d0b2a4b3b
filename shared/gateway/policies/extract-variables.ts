// ExtractVariables: pulls values out of the URI path, query and form
// parameters, headers, other variables and JSON payloads into flow variables,
// using Apigee patterns (`/accounts/{id}`, `Bearer {token}`) and JSONPath.
import * as z from 'zod';
import { compileExtractionPattern, type ExtractionPattern } from '../language/extraction-pattern.js';
import { compileJsonPath } from '../language/jsonpath.js';
import { el, type XmlElement, type XmlNode } from './xml-model.js';
import { definePolicy } from './define-policy.js';
import { stringify } from '../language/template.js';
import { policyFault } from './common.js';

const Patterns = z.array(z.object({ pattern: z.string().min(1), ignoreCase: z.boolean().default(false) })).min(1);

const schema = z.object({
  /** Message to read (request, response, or a custom message); default: the current one. */
  source: z.string().optional(),
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
});

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
  xml: {
    fromXml: (root) => {
      const source = root.child('Source');
      if (source?.bool('clearPayload')) source.report('clearPayload="true" is not supported', { attribute: 'clearPayload', kind: 'unsupported' });
      const uriPaths = root.all('URIPath');
      const json = root.child('JSONPayload');
      return {
        source: source?.text() || undefined,
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
        config.source === undefined ? undefined : el('Source', {}, config.source),
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
      ];
      return { children: children.filter((node) => node !== undefined) };
    },
  },
  prepare: (config) => ({
    uriPath: config.uriPath ? compileAll(config.uriPath) : [],
    queryParams: config.queryParams.map((q) => ({ name: q.name, patterns: compileAll(q.patterns) })),
    headers: config.headers.map((h) => ({ name: h.name, patterns: compileAll(h.patterns) })),
    formParams: config.formParams.map((f) => ({ name: f.name, patterns: compileAll(f.patterns) })),
    variables: config.variables.map((v) => ({ name: v.name, patterns: compileAll(v.patterns) })),
    jsonPayload: config.jsonPayload.map((j) => ({ ...j, select: compileJsonPath(j.jsonPath) })),
  }),
  execute: ({ config, prepared, exchange, policy }) => {
    const message = exchange.messageByName(config.source) ?? exchange.message;
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
        if (!config.ignoreUnresolvedVariables) {
          throw policyFault('JsonPathParsingFailure', 'steps.extractvariables.JsonPathParsingFailure', 500, `${policy.name}: the payload is not valid JSON`);
        }
        return;
      }
      for (const j of prepared.jsonPayload) {
        const found = j.select(document);
        if (found.length === 0) {
          unresolved.push(`JSONPath ${j.jsonPath}`);
          continue;
        }
        const value = found.length === 1 ? found[0] : found;
        assign(j.name, j.type === 'json' || typeof value === 'object' ? JSON.stringify(value) : stringify(value));
      }
    }
    if (unresolved.length && !config.ignoreUnresolvedVariables) {
      throw policyFault(
        'UnresolvedVariable',
        'steps.extractvariables.UnresolvedVariable',
        400,
        `${policy.name}: could not resolve ${unresolved.join(', ')}`,
      );
    }
  },
});
