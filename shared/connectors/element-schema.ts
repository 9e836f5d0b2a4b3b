// The element definition: what Tollgate needs to know to connect a vendor's
// API (base URL, how to authenticate, which resources exist, how it limits
// and pages). Built-in elements are JSON files validated by this schema at
// load; organizations post the same JSON for their private elements.
//
// URLs may carry placeholders such as `{subdomain}`. Each placeholder is
// either a configuration field of the element (given when an instance is
// created) or a value captured from the vendor's token response (Salesforce's
// `instance_url`).
import * as z from 'zod';
import { compileJavaRegex } from '../gateway/language/java-regex.js';
import type { StringMatcher } from '../gateway/language/nfa.js';

export const ELEMENT_KEY = /^[a-z][a-z0-9-]{0,62}$/;
const FIELD_KEY = /^[A-Za-z][A-Za-z0-9_.]{0,63}$/;
const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_.]{0,63})\}/g;
/** A single DNS label: what a vendor subdomain, shop or instance name is. */
export const DNS_LABEL = '^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$';
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

/** Placeholder names used in a URL template. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => match[1]!);
}

const RESERVED_AUTHORIZATION_PARAMS = new Set([
  'response_type',
  'client_id',
  'redirect_uri',
  'state',
  'scope',
  'code_challenge',
  'code_challenge_method',
]);

/** Configuration keys with a fixed meaning (Open Connectors names). */
export const RESERVED_CONFIGURATION_KEYS = new Set([
  'oauth.api.key',
  'oauth.api.secret',
  'oauth.callback.url',
  'oauth.scope',
  'username',
  'password',
]);

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password && url.hostname !== '';
  } catch {
    return false;
  }
}

const templatedUrl = z
  .string()
  .max(2048)
  .refine(
    (value) => isHttpUrl(value.replace(PLACEHOLDER, (_m, name: string) => (name.endsWith('_url') ? 'https://placeholder.example' : 'placeholder'))),
    'must be an absolute http(s) URL without credentials; placeholders like {subdomain} are allowed',
  );

const plainUrl = z.string().max(2048).refine(isHttpUrl, 'must be an absolute http(s) URL');

const configurationField = z.strictObject({
  key: z.string().regex(FIELD_KEY, 'must start with a letter and contain only letters, digits, _ and .'),
  label: z.string().min(1).max(200),
  required: z.boolean().default(true),
  /** Secret values are sealed with the instance's credentials and never returned. */
  secret: z.boolean().default(false),
  default: z.string().max(256).optional(),
  /**
   * Regular expression (java.util.regex syntax, as JavaRegex conditions) the
   * value must contain a match of (anchor it with ^ and $); defaults to a
   * single DNS label. Matched in linear time: values come from callers.
   */
  pattern: z
    .string()
    .max(256)
    .superRefine((source, ctx) => {
      try {
        fieldMatcher(source);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `must be a valid regular expression: ${error instanceof Error ? error.message : String(error)}` });
      }
    })
    .optional(),
});

const tokenExpiry = z.strictObject({
  /** Lifetime assumed when the vendor's token response has no `expires_in`. */
  defaultExpiresInSeconds: z.number().int().positive().max(31_536_000).optional(),
  /** Refresh this long before the access token expires. */
  refreshBeforeSeconds: z.number().int().min(0).max(3600).default(60),
});

const oauth2 = z.strictObject({
  type: z.literal('oauth2'),
  authorizationUrl: templatedUrl,
  tokenUrl: templatedUrl,
  scopes: z.array(z.string().min(1).max(256).regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be a valid OAuth scope token')).max(100).default([]),
  scopeSeparator: z.enum([' ', ',']).default(' '),
  pkce: z.boolean().default(false),
  clientAuth: z.enum(['client_secret_basic', 'client_secret_post']).default('client_secret_basic'),
  /** The vendor issues refresh tokens and Tollgate should use them. */
  refresh: z.boolean().default(true),
  /** Extra authorization request parameters (Google's `access_type=offline`, ...). */
  authorizationParams: z
    .record(z.string().regex(/^[a-z_][a-z0-9_]{0,63}$/i), z.string().max(256))
    .refine((params) => !Object.keys(params).some((name) => RESERVED_AUTHORIZATION_PARAMS.has(name)), 'must not set parameters Tollgate sets itself')
    .default({}),
  /** Token response fields kept with the instance for use as URL placeholders. */
  captureFromToken: z.array(z.string().regex(FIELD_KEY)).max(10).default([]),
  /** The authorization server's issuer; when set, a callback's `iss` (RFC 9207) must match it. */
  issuer: plainUrl.optional(),
  tokenExpiry: tokenExpiry.default({ refreshBeforeSeconds: 60 }),
});

const apiKey = z.strictObject({
  type: z.literal('apiKey'),
  /** Where the key goes on each vendor call. */
  in: z.enum(['header', 'query']).default('header'),
  /** Header or query parameter name. */
  name: z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/, 'must be a valid header or parameter name').default('Authorization'),
  /** Text before the key, e.g. `Bearer `. */
  prefix: z.string().max(64).regex(/^[\x20-\x7e]*$/).default(''),
  /** Instance configuration key that carries the key. */
  configKey: z.string().regex(FIELD_KEY).default('api.key'),
});

const basic = z.strictObject({
  type: z.literal('basic'),
});

export const authenticationSchema = z.discriminatedUnion('type', [oauth2, apiKey, basic]);

const resource = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'must be letters, digits, _, . or -'),
  vendorName: z.string().min(1).max(100).optional(),
  path: z.string().max(1024).regex(/^\/[^\s?#]*$/, 'must start with / and carry no query or fragment'),
  methods: z.array(z.enum(HTTP_METHODS)).min(1),
  description: z.string().max(1000).optional(),
});

const rateLimit = z.strictObject({
  requests: z.number().int().positive().optional(),
  periodSeconds: z.number().int().positive().optional(),
  /** Who the limit applies to (per user, per app, per account ...). */
  scope: z.string().max(200).optional(),
  /** Response header that tells how long to wait after a 429. */
  retryAfterHeader: z.string().max(100).optional(),
  notes: z.string().max(1000).optional(),
});

const pagination = z.strictObject({
  style: z.enum(['link-header', 'cursor', 'offset', 'page', 'next-link', 'none']).default('none'),
  /** Response headers that carry paging hints; the resource proxy passes them through. */
  headers: z.array(z.string().regex(/^[A-Za-z0-9-]{1,100}$/)).max(10).default([]),
  notes: z.string().max(1000).optional(),
});

export const elementSchema = z
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
    rateLimit: rateLimit.optional(),
    pagination: pagination.optional(),
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

export type ElementInput = z.input<typeof elementSchema>;
export type ElementDefinition = z.output<typeof elementSchema>;
export type Authentication = z.output<typeof authenticationSchema>;
export type OAuth2Authentication = Extract<Authentication, { type: 'oauth2' }>;
export type ConfigurationField = ElementDefinition['configuration'][number];

/** `pattern` as a search (like RegExp.test): anywhere in the value, leading inline flags kept in front. */
function fieldMatcher(pattern: string): StringMatcher {
  const flags = /^\(\?[a-zA-Z]+\)/.exec(pattern)?.[0] ?? '';
  return compileJavaRegex(`${flags}[\\s\\S]*(?:${pattern.slice(flags.length)})[\\s\\S]*`, 'linear');
}

/** Whether a value contains a match of the pattern (linear time on any value). */
export function fieldMatches(pattern: string, value: string): boolean {
  return fieldMatcher(pattern)(value);
}

/** A value substituted into a URL must not be able to change its host or path shape. */
export function fieldPattern(field: ConfigurationField): StringMatcher {
  return fieldMatcher(field.pattern ?? DNS_LABEL);
}

/**
 * Fills `{name}` placeholders. Values captured from a token response that end
 * in `_url` must be bare origins (Salesforce's instance URL), anything else must
 * be a DNS label or match its field's pattern, which the caller checked.
 */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new TemplateError(`missing value for {${name}}`);
    return value;
  });
}

export class TemplateError extends Error {
  override name = 'TemplateError';
}

/** True for `https://host[:port]` (or http) with nothing after it. */
export function isBareOrigin(value: string): boolean {
  if (!isHttpUrl(value)) return false;
  const url = new URL(value);
  return value.replace(/\/$/, '') === url.origin && url.pathname === '/' && !url.search && !url.hash;
}
