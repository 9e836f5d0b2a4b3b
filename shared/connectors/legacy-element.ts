// Tollgate's first element JSON (`baseUrl`, `authentication`, `resources[]`
// with `name`, `path` and `methods[]`), still accepted wherever an element is
// posted: it is validated as it always was, then turned into the element model
// (shared/connectors/element-schema.ts), so there is one model inside.
import * as z from 'zod';
import {
  BASE_URL_KEY,
  ELEMENT_KEY,
  HTTP_METHODS,
  RESERVED_CONFIGURATION_KEYS,
  authenticationSchema,
  paginationSchema,
  placeholders,
  plainUrl,
  rateLimitSchema,
  regexSource,
  templatedUrl,
  type ElementInput,
} from './element-schema.js';

const FIELD_KEY = /^[A-Za-z][A-Za-z0-9_.]{0,63}$/;

const configurationField = z.strictObject({
  key: z.string().regex(FIELD_KEY, 'must start with a letter and contain only letters, digits, _ and .'),
  label: z.string().min(1).max(200),
  required: z.boolean().default(true),
  /** Secret values are sealed with the instance's credentials and never returned. */
  secret: z.boolean().default(false),
  default: z.string().max(256).optional(),
  /** Regular expression the value must match; defaults to a single DNS label. */
  pattern: regexSource.optional(),
});

const resource = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'must be letters, digits, _, . or -'),
  vendorName: z.string().min(1).max(100).optional(),
  path: z.string().max(1024).regex(/^\/[^\s?#]*$/, 'must start with / and carry no query or fragment'),
  methods: z.array(z.enum(HTTP_METHODS)).min(1),
  description: z.string().max(1000).optional(),
});

export const legacyElementSchema = z
  .strictObject({
    /** Built-in elements have fixed ids; custom elements get one when created. */
    id: z.number().int().positive().optional(),
    key: z.string().regex(ELEMENT_KEY, 'must be lower-case letters, digits and -, starting with a letter'),
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    baseUrl: templatedUrl,
    docsUrl: plainUrl.optional(),
    authentication: authenticationSchema,
    configuration: z.array(configurationField).max(20).default([]),
    resources: z.array(resource).max(500).default([]),
    rateLimit: rateLimitSchema.optional(),
    pagination: paginationSchema.optional(),
    /** Timeout of one vendor call through the resource proxy. */
    timeoutMs: z.number().int().min(1000).max(28_000).default(25_000),
  })
  .superRefine((element, ctx) => {
    const fields = new Map(element.configuration.map((field) => [field.key, field]));
    const captured = new Set(element.authentication.type === 'oauth2' ? element.authentication.captureFromToken : []);
    const urls: [string, string][] = [['baseUrl', element.baseUrl]];
    if (element.authentication.type === 'oauth2') {
      urls.push(['authentication.authorizationUrl', element.authentication.authorizationUrl]);
      urls.push(['authentication.tokenUrl', element.authentication.tokenUrl]);
    }
    for (const [path, url] of urls) {
      for (const name of placeholders(url)) {
        const field = fields.get(name);
        const fromToken = captured.has(name) && path === 'baseUrl';
        if (!field && !fromToken) {
          ctx.addIssue({
            code: 'custom',
            path: path.split('.'),
            message: `placeholder {${name}} is neither a configuration field${path === 'baseUrl' ? ' nor captured from the token response' : ''}`,
          });
        } else if (field?.secret) {
          ctx.addIssue({ code: 'custom', path: path.split('.'), message: `placeholder {${name}} must not be a secret field` });
        }
      }
    }
    const keys = new Set<string>();
    element.configuration.forEach((field, index) => {
      if (keys.has(field.key)) ctx.addIssue({ code: 'custom', path: ['configuration', index, 'key'], message: 'duplicate key' });
      keys.add(field.key);
      if (RESERVED_CONFIGURATION_KEYS.has(field.key)) {
        ctx.addIssue({ code: 'custom', path: ['configuration', index, 'key'], message: `${field.key} is set by Tollgate` });
      }
    });
    if (element.authentication.type === 'apiKey' && keys.has(element.authentication.configKey)) {
      ctx.addIssue({ code: 'custom', path: ['authentication', 'configKey'], message: 'must not also be a configuration field: the API key is always secret' });
    }
    const names = new Set<string>();
    element.resources.forEach((item, index) => {
      if (names.has(item.name)) ctx.addIssue({ code: 'custom', path: ['resources', index, 'name'], message: 'duplicate resource name' });
      names.add(item.name);
    });
  });


export type LegacyElement = z.output<typeof legacyElementSchema>;

/** True when a posted definition is in the first format: a `baseUrl` and no `base.url` configuration entry. */
export function isLegacyElement(json: unknown): json is Record<string, unknown> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return false;
  const body = json as Record<string, unknown>;
  const entries = Array.isArray(body.configuration) ? (body.configuration as unknown[]) : [];
  const hasBaseEntry = entries.some((entry) => entry !== null && typeof entry === 'object' && (entry as Record<string, unknown>).key === BASE_URL_KEY);
  return typeof body.baseUrl === 'string' && !hasBaseEntry;
}

/** The same element in the model's JSON: `baseUrl` becomes the `base.url` entry, each resource method its own resource. */
export function fromLegacyElement(legacy: LegacyElement): ElementInput {
  return {
    ...(legacy.id !== undefined ? { id: legacy.id } : {}),
    key: legacy.key,
    name: legacy.name,
    ...(legacy.description !== undefined ? { description: legacy.description } : {}),
    ...(legacy.docsUrl !== undefined ? { docsUrl: legacy.docsUrl } : {}),
    authentication: legacy.authentication,
    configuration: [
      { key: BASE_URL_KEY, name: 'Base URL', description: 'The vendor API base URL', type: 'TEXTFIELD_1000', defaultValue: legacy.baseUrl, required: false, hidden: true },
      ...legacy.configuration.map((field) => ({
        key: field.key,
        name: field.label,
        type: field.secret ? 'PASSWORD' : 'TEXTFIELD_1000',
        required: field.required,
        secret: field.secret,
        ...(field.default !== undefined ? { defaultValue: field.default } : {}),
        ...(field.pattern !== undefined ? { pattern: field.pattern } : {}),
      })),
    ],
    resources: legacy.resources.flatMap((resource) =>
      resource.methods.map((method) => ({
        path: `/${resource.name}`,
        method,
        vendorPath: resource.path,
        vendorMethod: method,
        ...(resource.description !== undefined ? { description: resource.description } : {}),
        ...(resource.vendorName !== undefined ? { object: { name: resource.vendorName } } : {}),
      })),
    ),
    ...(legacy.rateLimit ? { rateLimit: legacy.rateLimit } : {}),
    ...(legacy.pagination ? { pagination: legacy.pagination } : {}),
    timeoutMs: legacy.timeoutMs,
  };
}
