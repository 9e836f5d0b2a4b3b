// OASValidation: checks a request (or response) against an OpenAPI 3
// document of the bundle (`oas://spec.yaml`, YAML or JSON): the path and
// method must be in it, the parameters it declares (path, query, header,
// cookie) present and valid, unknown ones refused where the policy says so,
// and the JSON body valid against its schema. Schemas are checked with Ajv
// (`nullable` as OpenAPI 3.0 means it), whose `pattern` keywords run on the
// linear-time engine of language/: a request cannot make a pattern
// backtrack. Ajv and the YAML parser are loaded when the policy first runs.
import * as z from 'zod';
import type { Message } from '../engine/message.js';
import type { PolicyExchange } from '../engine/policy.js';
import { compileJavaRegex } from '../language/java-regex.js';
import { defineFaults, raise } from './common.js';
import { definePolicy, policyXml } from './define-policy.js';
import { el, optional } from './xml-model.js';

export const OAS_VALIDATION_FAULTS = defineFaults({
  Failed: ['steps.oasvalidation.Failed', 400],
  SourceMessageNotAvailable: ['steps.oasvalidation.SourceMessageNotAvailable', 500],
});

const schema = z.lazy(() => z.object({
  oasResource: z.string().regex(/^oas:\/\/[^\s]+$/, 'must be an oas:// resource, e.g. oas://petstore.yaml'),
  source: z.string().default('request'),
  validateMessageBody: z.boolean().default(true),
  allowUnspecified: z.object({ header: z.boolean().default(true), query: z.boolean().default(true), cookie: z.boolean().default(true) }).default({ header: true, query: true, cookie: true }),
}));

type Config = z.infer<typeof schema>;
type Json = Record<string, unknown>;

interface Validator {
  (value: unknown): boolean;
  errors?: { instancePath: string; message?: string }[] | null;
}

interface Operation {
  method: string;
  /** The path template as a regex over the path, with its parameter names. */
  match: RegExp;
  names: string[];
  template: string;
  parameters: { name: string; in: string; required: boolean; validate?: Validator; type?: string }[];
  body?: { required: boolean; validate?: Validator };
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** `/pets/{id}` -> a regex matching one segment per parameter. */
function pathRegex(template: string): { match: RegExp; names: string[] } {
  const names: string[] = [];
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      if (part.startsWith('{')) {
        names.push(part.slice(1, -1));
        return '([^/]+)';
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return { match: new RegExp(`^${source}/?$`), names };
}

/** `#/components/...` references, pointed at the document registered under `oas`. */
function rebase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rebase);
  if (value && typeof value === 'object') {
    const out: Json = {};
    for (const [key, item] of Object.entries(value)) out[key] = key === '$ref' && typeof item === 'string' && item.startsWith('#/') ? `oas${item}` : rebase(item);
    return out;
  }
  return value;
}

/** Parses the document and compiles its operations (once per deployment, on the first call). */
async function compile(text: string): Promise<{ operations: Operation[]; basePath: string }> {
  const [{ parse }, { default: Ajv }] = await Promise.all([import('yaml'), import('ajv')]);
  const document = parse(text) as Json;
  if (!document || typeof document !== 'object' || typeof document.openapi !== 'string' || !document.openapi.startsWith('3.')) throw new Error('the resource is not an OpenAPI 3 document');
  // Patterns in the document run on the linear-time engine, find semantics as JSON Schema's.
  const regExp = (pattern: string) => {
    const flags = /^(\(\?[a-zA-Z]+\))*/.exec(pattern)![0];
    const test = compileJavaRegex(`${flags}[\\s\\S]*(?:${pattern.slice(flags.length)})[\\s\\S]*`, 'linear');
    return { test };
  };
  const ajv = new (Ajv as unknown as new (options: object) => { addSchema(schema: object, key: string): void; compile(schema: object): Validator; addKeyword(keyword: string): void })({
    strict: false,
    allErrors: false,
    validateFormats: false,
    code: { regExp },
  });
  ajv.addSchema(rebase({ components: document.components ?? {} }) as object, 'oas');
  const toSchema = (value: unknown): Validator | undefined => {
    if (!value || typeof value !== 'object') return undefined;
    // OpenAPI 3.0's nullable: null is one more allowed value.
    const nullable = (schemaValue: unknown): unknown => {
      if (Array.isArray(schemaValue)) return schemaValue.map(nullable);
      if (!schemaValue || typeof schemaValue !== 'object') return schemaValue;
      const copy: Json = {};
      for (const [key, item] of Object.entries(schemaValue)) copy[key] = nullable(item);
      if (copy.nullable === true) return { anyOf: [{ ...copy, nullable: undefined }, { type: 'null' }] };
      return copy;
    };
    return ajv.compile(nullable(rebase(value)) as object);
  };
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries((document.paths ?? {}) as Record<string, Json>)) {
    const shared = (item.parameters ?? []) as Json[];
    const { match, names } = pathRegex(template);
    for (const method of METHODS) {
      const operation = item[method] as Json | undefined;
      if (!operation) continue;
      const resolve = (parameter: Json): Json => {
        const ref = parameter.$ref;
        if (typeof ref !== 'string') return parameter;
        const target = ref.replace(/^#\//, '').split('/').reduce<unknown>((node, key) => (node as Json | undefined)?.[key], document);
        return (target ?? {}) as Json;
      };
      const parameters = [...shared, ...((operation.parameters ?? []) as Json[])].map(resolve).map((parameter) => {
        const schemaValue = parameter.schema as Json | undefined;
        return {
          name: String(parameter.name),
          in: String(parameter.in),
          required: parameter.required === true || parameter.in === 'path',
          ...(schemaValue ? { validate: toSchema(schemaValue)!, type: typeof schemaValue.type === 'string' ? schemaValue.type : undefined } : {}),
        } as Operation['parameters'][number];
      });
      const requestBody = operation.requestBody ? resolve(operation.requestBody as Json) : undefined;
      const content = (requestBody?.content ?? {}) as Record<string, Json>;
      const jsonType = Object.keys(content).find((type) => /json/i.test(type));
      operations.push({
        method: method.toUpperCase(),
        match,
        names,
        template,
        parameters,
        ...(requestBody ? { body: { required: requestBody.required === true, ...(jsonType && content[jsonType]!.schema ? { validate: toSchema(content[jsonType]!.schema)! } : {}) } } : {}),
      });
    }
  }
  const server = ((document.servers ?? []) as Json[])[0];
  let basePath = '';
  try {
    basePath = server?.url ? new URL(String(server.url), 'http://host').pathname.replace(/\/+$/, '') : '';
  } catch {
    basePath = '';
  }
  return { operations, basePath };
}

/** A parameter's text as the type its schema says (query and header values are strings on the wire). */
function coerce(text: string, type: string | undefined): unknown {
  if (type === 'integer' || type === 'number') return text.trim() !== '' && !Number.isNaN(Number(text)) ? Number(text) : text;
  if (type === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  if (type === 'array') return text.split(',');
  return text;
}

function cookies(message: Message): Map<string, string> {
  const found = new Map<string, string>();
  for (const part of (message.headers.get('cookie') ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index > 0) found.set(part.slice(0, index).trim(), part.slice(index + 1).trim());
  }
  return found;
}

function validateRequest(config: Config, compiled: { operations: Operation[]; basePath: string }, exchange: PolicyExchange, message: Message): string | undefined {
  const candidates = [exchange.pathSuffix || '/', compiled.basePath && message.path.startsWith(compiled.basePath) ? message.path.slice(compiled.basePath.length) || '/' : undefined].filter(
    (path): path is string => path !== undefined,
  );
  const verb = message.verb.toUpperCase();
  let pathFound = false;
  for (const path of candidates) {
    for (const operation of compiled.operations) {
      const match = operation.match.exec(path);
      if (!match) continue;
      pathFound = true;
      if (operation.method !== verb) continue;
      const values = new Map(operation.names.map((name, i) => [name, decodeURIComponent(match[i + 1]!)]));
      const cookieJar = cookies(message);
      for (const parameter of operation.parameters) {
        const raw =
          parameter.in === 'path' ? values.get(parameter.name) : parameter.in === 'query' ? message.query.get(parameter.name) ?? undefined : parameter.in === 'header' ? message.headers.get(parameter.name) : cookieJar.get(parameter.name);
        if (raw === undefined) {
          if (parameter.required) return `Request parameter ${parameter.name} (${parameter.in}) is required`;
          continue;
        }
        if (parameter.validate && !parameter.validate(coerce(raw, parameter.type))) return `Request parameter ${parameter.name} (${parameter.in}) is invalid: ${parameter.validate.errors?.[0]?.message ?? 'does not match its schema'}`;
      }
      const declared = (where: string) => new Set(operation.parameters.filter((parameter) => parameter.in === where).map((parameter) => parameter.name.toLowerCase()));
      if (!config.allowUnspecified.query) {
        const known = declared('query');
        const unknown = [...new Set(message.query.keys())].find((name) => !known.has(name.toLowerCase()));
        if (unknown) return `Query parameter ${unknown} is not allowed`;
      }
      if (!config.allowUnspecified.header) {
        const known = declared('header');
        const unknown = message.headers.names().find((name) => !known.has(name.toLowerCase()) && !/^(host|content-type|content-length|accept|accept-encoding|connection|user-agent|x-forwarded-.*|cookie)$/i.test(name));
        if (unknown) return `Header ${unknown} is not allowed`;
      }
      if (!config.allowUnspecified.cookie) {
        const known = declared('cookie');
        const unknown = [...cookieJar.keys()].find((name) => !known.has(name.toLowerCase()));
        if (unknown) return `Cookie ${unknown} is not allowed`;
      }
      if (config.validateMessageBody && operation.body) {
        if (message.body.length === 0) return operation.body.required ? 'The request body is required' : undefined;
        if (operation.body.validate) {
          let body: unknown;
          try {
            body = JSON.parse(message.content);
          } catch {
            return 'The request body is not valid JSON';
          }
          if (!operation.body.validate(body)) {
            const error = operation.body.validate.errors?.[0];
            return `The request body is invalid: ${error?.instancePath || '(root)'} ${error?.message ?? 'does not match its schema'}`;
          }
        }
      }
      return undefined;
    }
  }
  return pathFound ? `Method ${verb} is not allowed for ${candidates[0]}` : `Path ${candidates[0]} is not in the OpenAPI document`;
}

export const oasValidation = definePolicy({
  type: 'OASValidation',
  schema,
  faults: OAS_VALIDATION_FAULTS,
  prepare: (config, { resources }) => {
    const path = `oas/${config.oasResource.slice('oas://'.length)}`;
    const text = resources.get(path);
    if (text === undefined) throw new Error(`resource ${config.oasResource} is not in the bundle (expected resources/${path})`);
    let compiled: Promise<{ operations: Operation[]; basePath: string }> | undefined;
    return { document: () => (compiled ??= compile(text)) };
  },
  execute: async ({ config, prepared, exchange, policy }) => {
    const message = exchange.messageByName(config.source);
    if (!message) throw raise(OAS_VALIDATION_FAULTS, 'SourceMessageNotAvailable', `${policy.name}: source ${config.source} is not available`);
    let compiled;
    try {
      compiled = await prepared.document();
    } catch (error) {
      throw raise(OAS_VALIDATION_FAULTS, 'SourceMessageNotAvailable', `${policy.name}: the OpenAPI document ${config.oasResource} could not be read: ${error instanceof Error ? error.message : String(error)}`);
    }
    const problem = validateRequest(config, compiled, exchange, message);
    if (problem) throw raise(OAS_VALIDATION_FAULTS, 'Failed', `OASValidation ${policy.name} with resource "${config.oasResource}": failed with reason: "${problem}"`);
  },
});

export const oasValidationXml = /* @__PURE__ */ policyXml(oasValidation, {
  fromXml: (root) => {
    const options = root.child('Options');
    const unspecified = options?.child('AllowUnspecifiedParameters');
    return {
      oasResource: root.childText('OASResource'),
      source: root.childText('Source') || undefined,
      validateMessageBody: options?.child('ValidateMessageBody')?.bool(),
      allowUnspecified: unspecified ? { header: unspecified.child('Header')?.bool(), query: unspecified.child('Query')?.bool(), cookie: unspecified.child('Cookie')?.bool() } : undefined,
    };
  },
  toXml: (config) => ({
    children: [
      el('OASResource', {}, config.oasResource),
      el('Options', {}, [
        el('ValidateMessageBody', {}, config.validateMessageBody),
        el('AllowUnspecifiedParameters', {}, [el('Header', {}, config.allowUnspecified.header), el('Query', {}, config.allowUnspecified.query), el('Cookie', {}, config.allowUnspecified.cookie)]),
      ]),
      optional('Source', config.source),
    ].filter((node) => node !== undefined),
  }),
});
