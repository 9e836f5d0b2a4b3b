// ExtractVariables: pulls values out of the URI path, query and form
// parameters, headers, other variables and JSON payloads into flow variables,
// using Apigee patterns (`/accounts/{id}`, `Bearer {token}`) and JSONPath.
import * as z from 'zod';
import { compileJsonPath } from '../jsonpath.js';
import { definePolicy } from '../policy.js';
import { stringify } from '../template.js';
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
  jsonPayload: z.array(z.object({ name: z.string().min(1), jsonPath: z.string().min(1), type: z.enum(['string', 'json']).optional() })).default([]),
});

interface CompiledPattern {
  regex: RegExp;
  names: string[];
}

/** `/a/{x}/b/{y}` -> a regex capturing x and y; `*` matches one segment, `**` anything. */
function compilePattern(pattern: string, ignoreCase: boolean): CompiledPattern {
  const names: string[] = [];
  let source = '';
  for (const part of pattern.split(/(\{[^{}]+\}|\*\*|\*)/)) {
    if (!part) continue;
    if (part.startsWith('{')) {
      names.push(part.slice(1, -1));
      source += '(.*?)';
    } else if (part === '**') source += '.*';
    else if (part === '*') source += '[^/]*';
    else source += part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return { regex: new RegExp(`^${source}$`, ignoreCase ? 'si' : 's'), names };
}

const compileAll = (list: { pattern: string; ignoreCase: boolean }[]) => list.map((p) => compilePattern(p.pattern, p.ignoreCase));

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
  }),
  execute: ({ config, prepared, exchange, policy }) => {
    const message = exchange.messageByName(config.source) ?? exchange.message;
    const prefix = config.variablePrefix ? `${config.variablePrefix}.` : '';
    const unresolved: string[] = [];
    const assign = (name: string, value: unknown) => exchange.set(prefix + name, value);

    const matchInto = (value: string | undefined, patterns: CompiledPattern[], what: string) => {
      if (value === undefined) {
        unresolved.push(what);
        return;
      }
      for (const pattern of patterns) {
        const match = pattern.regex.exec(value);
        if (!match) continue;
        pattern.names.forEach((name, i) => assign(name, match[i + 1]));
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
