// RegularExpressionProtection: refuses a call whose URI path, query or form
// parameters, headers, variables, JSON values (JSONPath) or XML values
// (XPath) contain a match of a threat pattern (SQL injection, script tags
// ...). Patterns are Java regular expressions matched anywhere in the value,
// as Apigee's find() does, on the linear-time engine of language/: request
// data can never make a pattern backtrack exponentially.
import * as z from 'zod';
import type { Message } from '../engine/message.js';
import { compileJavaRegex } from '../language/java-regex.js';
import { compileJsonPath } from '../language/jsonpath.js';
import { stringify } from '../language/template.js';
import { checkXPath, evaluateXPath, parseXmlPayload, XmlPayloadError } from '../language/xml.js';
import { defineFaults, raise } from './common.js';
import { definePolicy, policyXml } from './define-policy.js';
import { el, type XmlElement } from './xml-model.js';

export const REGEX_PROTECTION_FAULTS = defineFaults({
  ThreatDetected: ['steps.regexthreatprotection.ThreatDetected', 500],
  ExecutionFailed: ['steps.regexthreatprotection.ExecutionFailed', 500],
  SourceUnavailable: ['steps.regexthreatprotection.SourceUnavailable', 500],
  NonMessageVariable: ['steps.regexthreatprotection.NonMessageVariable', 500],
});

const Named = z.lazy(() => z.object({ name: z.string().min(1), patterns: z.array(z.string().min(1)).min(1) }));

const schema = z.lazy(() => z.object({
  source: z.string().optional(),
  ignoreUnresolvedVariables: z.boolean().default(false),
  uriPath: z.array(z.string().min(1)).default([]),
  queryParams: z.array(Named).default([]),
  headers: z.array(Named).default([]),
  formParams: z.array(Named).default([]),
  variables: z.array(Named).default([]),
  jsonPayload: z.array(z.object({ jsonPath: z.string().min(1), patterns: z.array(z.string().min(1)).min(1) })).default([]),
  xmlPayload: z
    .object({
      namespaces: z.record(z.string().min(1), z.string()).default({}),
      xpaths: z.array(z.object({ expression: z.string().min(1), patterns: z.array(z.string().min(1)).min(1) })).min(1),
    })
    .optional(),
}));

type Config = z.infer<typeof schema>;

/**
 * A matcher that answers whether `pattern` occurs anywhere in a value. Inline
 * flags (`(?i)`) written after the start, as Apigee's samples do
 * (`[\\s]*(?i)((delete)|...)`), are moved to the front: the pattern then
 * applies them to all of itself, so it can only match more, never less.
 */
function compileFind(pattern: string): (value: string) => boolean {
  const flags = new Set<string>();
  const body = pattern.replace(/(?<!\\)\(\?([imsux]+)\)/g, (_match, letters: string) => {
    for (const letter of letters) flags.add(letter);
    return '';
  });
  const prefix = flags.size ? `(?${[...flags].join('')})` : '';
  return compileJavaRegex(`${prefix}[\\s\\S]*(?:${body})[\\s\\S]*`, 'linear');
}

const namedFromXml = (root: XmlElement, name: string) =>
  root.all(name).map((element) => ({ name: element.attr('name'), patterns: element.all('Pattern').map((pattern) => pattern.text()) }));

export const regularExpressionProtection = definePolicy({
  type: 'RegularExpressionProtection',
  schema,
  faults: REGEX_PROTECTION_FAULTS,
  prepare: (config: Config) => {
    const compile = (patterns: string[]) => patterns.map((pattern) => ({ pattern, matches: compileFind(pattern) }));
    for (const path of config.xmlPayload?.xpaths ?? []) checkXPath(path.expression, config.xmlPayload!.namespaces);
    return {
      uriPath: compile(config.uriPath),
      queryParams: config.queryParams.map((item) => ({ name: item.name, patterns: compile(item.patterns) })),
      headers: config.headers.map((item) => ({ name: item.name, patterns: compile(item.patterns) })),
      formParams: config.formParams.map((item) => ({ name: item.name, patterns: compile(item.patterns) })),
      variables: config.variables.map((item) => ({ name: item.name, patterns: compile(item.patterns) })),
      jsonPayload: config.jsonPayload.map((item) => ({ select: compileJsonPath(item.jsonPath), patterns: compile(item.patterns) })),
      xmlPayload: (config.xmlPayload?.xpaths ?? []).map((item) => ({ expression: item.expression, patterns: compile(item.patterns) })),
    };
  },
  execute: ({ config, prepared, exchange, policy }) => {
    const message: Message | undefined = config.source ? exchange.messageByName(config.source) : exchange.message;
    if (!message) throw raise(REGEX_PROTECTION_FAULTS, 'SourceUnavailable', `RegularExpressionProtection[${policy.name}]: source ${config.source} is not available`);
    const check = (values: string[], patterns: { pattern: string; matches: (value: string) => boolean }[], where: string) => {
      for (const value of values) {
        const hit = patterns.find((candidate) => candidate.matches(value));
        if (hit) {
          throw raise(REGEX_PROTECTION_FAULTS, 'ThreatDetected', `Regular Expression Threat Detected in ${policy.name}: regex: ${hit.pattern} input: ${where}`);
        }
      }
    };
    const decoded = (text: string) => {
      try {
        return decodeURIComponent(text);
      } catch {
        return text;
      }
    };
    check([exchange.pathSuffix, decoded(exchange.pathSuffix)], prepared.uriPath, 'URI path');
    for (const item of prepared.queryParams) check(message.query.getAll(item.name), item.patterns, `query parameter ${item.name}`);
    for (const item of prepared.headers) check(message.headers.getAll(item.name), item.patterns, `header ${item.name}`);
    if (prepared.formParams.length) {
      const form = message.formParams();
      for (const item of prepared.formParams) check(form.getAll(item.name), item.patterns, `form parameter ${item.name}`);
    }
    for (const item of prepared.variables) {
      const value = exchange.get(item.name);
      if (value === undefined || value === null) {
        if (!config.ignoreUnresolvedVariables) throw raise(REGEX_PROTECTION_FAULTS, 'ExecutionFailed', `RegularExpressionProtection[${policy.name}]: variable ${item.name} is not set`);
        continue;
      }
      check([stringify(value)], item.patterns, `variable ${item.name}`);
    }
    if (prepared.jsonPayload.length && message.body.length) jsonValues(prepared.jsonPayload, message.content, check);
    if (prepared.xmlPayload.length && message.body.length) xmlValues(config, prepared.xmlPayload, message.content, check, policy.name);
  },
});

export const regularExpressionProtectionXml = /* @__PURE__ */ policyXml(regularExpressionProtection, {
  fromXml: (root) => {
    const xml = root.child('XMLPayload');
    return {
      source: root.childText('Source') || undefined,
      ignoreUnresolvedVariables: root.child('IgnoreUnresolvedVariables')?.bool(),
      uriPath: root.all('URIPath').flatMap((element) => element.all('Pattern').map((pattern) => pattern.text())),
      queryParams: namedFromXml(root, 'QueryParam'),
      headers: namedFromXml(root, 'Header'),
      formParams: namedFromXml(root, 'FormParam'),
      variables: namedFromXml(root, 'Variable'),
      jsonPayload: (root.child('JSONPayload')?.all('JSONPath') ?? []).map((path) => ({
        jsonPath: path.childText('Expression'),
        patterns: path.all('Pattern').map((pattern) => pattern.text()),
      })),
      xmlPayload: xml
        ? {
            namespaces: Object.fromEntries((xml.child('Namespaces')?.all('Namespace') ?? []).map((namespace) => [namespace.attr('prefix') ?? '', namespace.text()])),
            xpaths: xml.all('XPath').map((path) => {
              path.child('Type')?.consume();
              return { expression: path.childText('Expression'), patterns: path.all('Pattern').map((pattern) => pattern.text()) };
            }),
          }
        : undefined,
    };
  },
  toXml: (config) => {
    const patterns = (list: string[]) => list.map((pattern) => el('Pattern', {}, pattern));
    const named = (name: string, list: z.infer<typeof Named>[]) => list.map((item) => el(name, { name: item.name }, patterns(item.patterns)));
    return {
      children: [
        config.source === undefined ? undefined : el('Source', {}, config.source),
        el('IgnoreUnresolvedVariables', {}, config.ignoreUnresolvedVariables),
        config.uriPath.length ? el('URIPath', {}, patterns(config.uriPath)) : undefined,
        ...named('QueryParam', config.queryParams),
        ...named('Header', config.headers),
        ...named('FormParam', config.formParams),
        ...named('Variable', config.variables),
        config.jsonPayload.length
          ? el('JSONPayload', {}, config.jsonPayload.map((path) => el('JSONPath', {}, [el('Expression', {}, path.jsonPath), ...patterns(path.patterns)])))
          : undefined,
        config.xmlPayload
          ? el('XMLPayload', {}, [
              Object.keys(config.xmlPayload.namespaces).length
                ? el('Namespaces', {}, Object.entries(config.xmlPayload.namespaces).map(([prefix, uri]) => el('Namespace', { prefix }, uri)))
                : undefined,
              ...config.xmlPayload.xpaths.map((path) => el('XPath', {}, [el('Expression', {}, path.expression), el('Type', {}, 'string'), ...patterns(path.patterns)])),
            ])
          : undefined,
      ].filter((node) => node !== undefined),
    };
  },
});

type Check = (values: string[], patterns: { pattern: string; matches: (value: string) => boolean }[], where: string) => void;

function jsonValues(paths: { select: (value: unknown) => unknown[]; patterns: { pattern: string; matches: (value: string) => boolean }[] }[], content: string, check: Check): void {
  let document: unknown;
  try {
    document = JSON.parse(content);
  } catch {
    return; // not JSON: nothing of it is read as JSON downstream either
  }
  for (const path of paths) check(path.select(document).map((value) => (typeof value === 'object' ? JSON.stringify(value) : stringify(value))), path.patterns, 'JSON payload');
}

function xmlValues(
  config: Config,
  paths: { expression: string; patterns: { pattern: string; matches: (value: string) => boolean }[] }[],
  content: string,
  check: Check,
  policyName: string,
): void {
  let document;
  try {
    document = parseXmlPayload(content);
  } catch (error) {
    if (error instanceof XmlPayloadError) throw raise(REGEX_PROTECTION_FAULTS, 'ExecutionFailed', `RegularExpressionProtection[${policyName}]: ${error.message}`);
    throw error;
  }
  for (const path of paths) {
    const result = evaluateXPath(path.expression, document, config.xmlPayload!.namespaces);
    const values = Array.isArray(result) ? result.map((node) => node.textContent ?? '') : [String(result)];
    check(values, path.patterns, 'XML payload');
  }
}
