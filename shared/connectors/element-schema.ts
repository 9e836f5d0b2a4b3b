// The element model: an element definition in Open Connectors' own JSON, as
// `GET /elements/{keyOrId}` returns it and `POST|PUT /elements` take it.
// `configuration[]` lists what an instance is configured with (the vendor base
// URL is the `base.url` entry), `resources[]` map Tollgate paths to vendor
// paths, `parameters`, `hooks` and `objects` describe them further. What
// Tollgate needs beyond Open Connectors' fields to talk to a vendor (OAuth
// endpoints, PKCE, where an API key goes) sits in `authentication`; Open
// Connectors' `oauth.authorization.url`, `oauth.token.url` and `oauth.scope`
// configuration entries fill it in when it is left out.
//
// URLs may carry placeholders such as `{subdomain}`. Each placeholder is
// either a configuration entry of the element (given when an instance is
// created) or a value captured from the vendor's token response (Salesforce's
// `instance_url`).
import * as z from 'zod';
import { elementEventsSchema } from './events/element-events.js';
import { compileJavaRegex } from '../gateway/language/java-regex.js';
import type { StringMatcher } from '../gateway/language/nfa.js';

export const ELEMENT_KEY = /^[a-z][a-z0-9-]{0,62}$/;
export const FIELD_KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_.-]{0,63})\}/g;
/** A single DNS label: what a vendor subdomain, shop or instance name is. */
export const DNS_LABEL = '^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$';
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export const BASE_URL_KEY = 'base.url';
/** Configuration keys with a fixed meaning (Open Connectors names): the platform handles them itself. */
export const RESERVED_CONFIGURATION_KEYS = new Set(['oauth.api.key', 'oauth.api.secret', 'oauth.callback.url', 'oauth.scope', 'username', 'password']);

/** Placeholder names used in a URL template. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => match[1]!);
}

const RESERVED_AUTHORIZATION_PARAMS = new Set(['response_type', 'client_id', 'redirect_uri', 'state', 'scope', 'code_challenge', 'code_challenge_method']);

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password && url.hostname !== '';
  } catch {
    return false;
  }
}

const fillSample = (value: string) => value.replace(PLACEHOLDER, (_m, name: string) => (name.endsWith('_url') ? 'https://placeholder.example' : 'placeholder'));

export const TEMPLATED_URL_MESSAGE = 'must be an absolute http(s) URL without credentials; placeholders like {subdomain} are allowed';
export const templatedUrl = z.string().max(2048).refine((value) => isHttpUrl(fillSample(value)), TEMPLATED_URL_MESSAGE);
export const plainUrl = z.string().max(2048).refine(isHttpUrl, 'must be an absolute http(s) URL');

/**
 * A configuration value's pattern: java.util.regex syntax (as JavaRegex
 * conditions), searched in the value (anchor it with ^ and $), matched in
 * linear time since values come from callers.
 */
export const regexSource = z
  .string()
  .max(256)
  .superRefine((source, ctx) => {
    try {
      fieldMatcher(source);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `must be a valid regular expression: ${error instanceof Error ? error.message : String(error)}` });
    }
  });

const tokenExpiry = z.strictObject({
  /** Lifetime assumed when the vendor's token response has no `expires_in`. */
  defaultExpiresInSeconds: z.number().int().positive().max(31_536_000).optional(),
  /** Refresh this long before the access token expires. */
  refreshBeforeSeconds: z.number().int().min(0).max(3600).default(60),
});

const scope = z.string().min(1).max(256).regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be a valid OAuth scope token');

const oauth2Fields = {
  type: z.literal('oauth2'),
  scopes: z.array(scope).max(100).default([]),
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
};

/** OAuth 2.0 as the model keeps it: both endpoints known. */
const oauth2 = z.strictObject({ ...oauth2Fields, authorizationUrl: templatedUrl, tokenUrl: templatedUrl });
/** OAuth 2.0 as posted: the endpoints may come from `oauth.*` configuration entries instead. */
const oauth2Input = z.lazy(() => z.object({ ...oauth2Fields, authorizationUrl: templatedUrl.optional(), tokenUrl: templatedUrl.optional() }));

const apiKeyFields = {
  type: z.literal('apiKey'),
  /** Where the key goes on each vendor call. */
  in: z.enum(['header', 'query']).default('header'),
  /** Header or query parameter name. */
  name: z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/, 'must be a valid header or parameter name').default('Authorization'),
  /** Text before the key, e.g. `Bearer `. */
  prefix: z.string().max(64).regex(/^[\x20-\x7e]*$/).default(''),
  /** Instance configuration key that carries the key. */
  configKey: z.string().regex(FIELD_KEY).default('api.key'),
};
const apiKey = z.strictObject(apiKeyFields);
const basic = z.strictObject({ type: z.literal('basic') });
/** OAuth 1.0a (RFC 5849): the three endpoints and how requests are signed. */
const oauth1Fields = {
  type: z.literal('oauth1'),
  requestTokenUrl: templatedUrl,
  authorizationUrl: templatedUrl,
  accessTokenUrl: templatedUrl,
  signatureMethod: z.enum(['HMAC-SHA1', 'RSA-SHA1', 'PLAINTEXT']).default('HMAC-SHA1'),
  /** The `realm` of the Authorization header, when the vendor wants one. */
  realm: z.string().max(200).optional(),
};
const oauth1 = z.strictObject(oauth1Fields);
/**
 * Custom: headers and query parameters of every vendor call, built from
 * templates whose `{key}` placeholders are the instance's configuration
 * values (secret entries included, sealed with the credentials).
 */
const templateValue = z.string().min(1).max(1024).regex(/^[\x20-\x7e]*$/, 'must be printable ASCII');
const customFields = {
  type: z.literal('custom'),
  headers: z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/, 'must be a header name'), templateValue).default({}),
  query: z.record(z.string().regex(/^[A-Za-z0-9_.\-[\]]{1,128}$/, 'must be a query parameter name'), templateValue).default({}),
};
const custom = z.strictObject(customFields);

export const authenticationSchema = z.discriminatedUnion('type', [oauth2, apiKey, basic, oauth1, custom]);
const authenticationInput = z.lazy(() => z.discriminatedUnion('type', [
  oauth2Input,
  z.object(apiKeyFields),
  z.object({ type: z.literal('basic') }),
  z.object(oauth1Fields),
  z.object(customFields),
]));

/** Open Connectors' configuration value types (TEXTFIELD_32, PASSWORD, BOOLEAN, SELECTION ...). */
const CONFIG_TYPE = /^[A-Z][A-Z0-9_]{0,40}$/;
const optionalText = z.lazy(() => z
  .union([z.string().max(4096), z.number(), z.boolean(), z.null()])
  .optional()
  .transform((value) => (value === null || value === undefined ? undefined : String(value))));

export const configurationEntrySchema = z.lazy(() => z
  .object({
    key: z.string().regex(FIELD_KEY, 'must start with a letter and contain only letters, digits, _, - and .'),
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).nullish().transform((value) => value ?? ''),
    defaultValue: optionalText,
    type: z.string().regex(CONFIG_TYPE, 'must be an Open Connectors configuration type such as TEXTFIELD_1000').default('TEXTFIELD_1000'),
    required: z.boolean().default(false),
    /** Kept out of consoles; the platform fills it. */
    hidden: z.boolean().default(false),
    /** Sealed with the instance's credentials and shown as `********`; PASSWORD entries always are. */
    secret: z.boolean().optional(),
    /** Regular expression a value must match; values used in URLs default to a single DNS label. */
    pattern: regexSource.optional(),
    displayOrder: z.number().int().min(0).max(10_000).optional(),
  })
  .transform(({ secret, ...entry }) => ({ ...entry, secret: secret ?? entry.type === 'PASSWORD' })));

const id = z.number().int().positive().optional();
const text = (max: number) => z.string().max(max).nullish().transform((value) => value ?? undefined);

export const parameterSchema = z.lazy(() => z.object({
  id,
  name: z.string().trim().min(1).max(200),
  vendorName: text(200),
  type: z.enum(['query', 'header', 'path', 'body', 'form', 'value', 'configuration', 'multipart']).default('query'),
  vendorType: z.enum(['query', 'header', 'path', 'body', 'form', 'value', 'configuration', 'multipart']).optional(),
  description: text(2000),
  dataType: z.string().max(50).default('string'),
  vendorDataType: text(50),
  source: z.enum(['request', 'response']).default('request'),
  required: z.boolean().default(false),
  converter: text(100),
  sampleData: text(4096),
}));

export const hookSchema = z.lazy(() => z.object({
  id,
  type: z.enum(['preRequest', 'postRequest', 'event']),
  mimeType: z.string().max(100).default('application/javascript'),
  body: z.string().max(100_000),
  /** Open Connectors' first script engine; once a hook is upgraded it cannot go back. */
  isLegacy: z.boolean().default(false),
  description: text(2000),
}));

export const modelSchema = z.lazy(() => z.object({
  name: z.string().trim().min(1).max(200),
  swagger: z.record(z.string(), z.unknown()).default({}),
  requestName: text(200),
  requestSwagger: z.record(z.string(), z.unknown()).optional(),
}));

const objectField = z.lazy(() => z.object({
  id,
  name: z.string().trim().min(1).max(200),
  type: z.string().max(50).default('string'),
  format: text(50),
  primaryKey: z.boolean().default(false),
  hidden: z.boolean().default(false),
  readOnly: z.boolean().default(false),
  required: z.boolean().optional(),
}));

export const objectSchema = z.lazy(() => z.object({
  id,
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,99}$/, 'must be letters, digits, _, . or -, starting with a letter'),
  vendorName: text(200),
  primaryKeyName: text(200),
  createdDateName: text(200),
  createdDateFormat: text(100),
  updatedDateName: text(200),
  updatedDateFormat: text(100),
  searchConfiguration: z.object({ fields: z.array(z.string().max(200)).max(200).default([]), operators: z.array(z.string().max(50)).max(50).default([]) }).optional(),
  fields: z.array(objectField).max(1000).default([]),
}));
export const objectFieldSchema = objectField;

const bodyPath = z.string().min(1).max(200).regex(/^[A-Za-z0-9_$@-]+(\.[A-Za-z0-9_$@-]+)*$/, 'must be a dotted path such as paging.next.after');
const queryParam = z.string().regex(/^[A-Za-z0-9_.:<>[\]$-]{1,100}$/, 'must be a query parameter name');

/**
 * How the vendor pages a list, for unified calls (`pageSize`, `nextPage` in;
 * `elements-next-page-token` out). `cursor`: the next cursor is at `cursorPath`
 * of the body (or in the `cursorHeader`) and goes back as `cursorParam`;
 * `page`: page numbers from `firstPage` in `pageParam`; `offset`: a record
 * offset in `offsetParam`; `link-header`: RFC 8288 `Link: <..>; rel="next"`;
 * `next-link`: the next page's URL at `nextPath` of the body. Records are at
 * `recordsPath` (the body itself when left out).
 */
const PAGING_STYLES = ['link-header', 'cursor', 'offset', 'page', 'next-link', 'none'] as const;
const pagingHeaders = z.array(z.string().regex(/^[A-Za-z0-9-]{1,100}$/)).max(10);
const paginationFields = {
  notes: z.string().max(1000).optional(),
  recordsPath: bodyPath.optional(),
  pageSizeParam: queryParam.optional(),
  /** Smallest batch the vendor takes (Salesforce's 200): smaller pages are cut from it. */
  minPageSize: z.number().int().min(1).max(10_000).optional(),
  /** Largest page the vendor serves; default page size is 200, capped to this. */
  maxPageSize: z.number().int().min(1).max(10_000).optional(),
  cursorParam: queryParam.optional(),
  cursorPath: bodyPath.optional(),
  cursorHeader: z.string().regex(/^[A-Za-z0-9-]{1,100}$/).optional(),
  pageParam: queryParam.optional(),
  firstPage: z.number().int().min(0).max(1).optional(),
  offsetParam: queryParam.optional(),
  nextPath: bodyPath.optional(),
  /** Where the body says whether more pages follow (Stripe's `has_more`). */
  hasMorePath: bodyPath.optional(),
  /** Where the body says this is the last page (Jira's `isLast`). */
  isLastPath: bodyPath.optional(),
  totalPath: bodyPath.optional(),
  /** A response header with the total count (ServiceNow's `X-Total-Count`). */
  totalHeader: z.string().regex(/^[A-Za-z0-9-]{1,100}$/).optional(),
  /** Fixed query parameters of every list call (Salesforce's none, Slack's `types` ...). */
  fixedParams: z.record(queryParam, z.string().max(500)).optional(),
  /** Request headers that set the page size, `{size}` standing for it (Salesforce's `Sforce-Query-Options`). */
  pageSizeHeader: z.strictObject({ name: z.string().regex(/^[A-Za-z0-9-]{1,100}$/), value: z.string().max(200) }).optional(),
};
export const paginationSchema = z.strictObject({
  ...paginationFields,
  style: z.enum(PAGING_STYLES).default('none'),
  /** Response headers that carry paging hints; the resource proxy passes them through. */
  headers: pagingHeaders.default([]),
});
/** A resource's paging where it differs from its element's: only what it sets. */
const paginationOverride = z.strictObject({ ...paginationFields, style: z.enum(PAGING_STYLES).optional(), headers: pagingHeaders.optional() });

const CEQL_OPERATORS = ['=', '!=', '<', '>', '<=', '>=', 'LIKE', 'IN', 'IS NULL', 'IS NOT NULL'] as const;

/**
 * How a CEQL query reaches the vendor. `parameters`: comparisons become query
 * parameters (`param` with `{value}`, e.g. `email={value}`), joined by AND only;
 * `soql`: a SOQL statement in `param` (Salesforce); `servicenow`: an encoded
 * query in `param` (`sysparm_query`); `search`: a `field:value` search
 * string in `param` joined by `separator` (Zendesk, Stripe search); `filter`:
 * Tollgate filters the records after the call, following the vendor's pages.
 * What a declared translation cannot say is refused with 400, unless
 * `otherwise` is `filter`.
 */
const queryParameter = z.strictObject({
  /** The vendor field, as the vendor names it in records. */
  field: z.string().min(1).max(200),
  operators: z.array(z.enum(CEQL_OPERATORS)).min(1).default(['=']),
  /** Query parameter per operator; `{value}` in the template stands for the value. */
  param: queryParam,
  template: z.string().max(200).default('{value}'),
});
const orderSupport = z.strictObject({
  param: queryParam,
  /** `{field}` and `{direction}` (asc or desc) stand for the term; several terms join with `,`. */
  template: z.string().max(200).default('{field}'),
  descTemplate: z.string().max(200).optional(),
  fields: z.array(z.string().max(200)).max(200).optional(),
});
export const querySchema = z.lazy(() => z.strictObject({
  style: z.enum(['parameters', 'soql', 'servicenow', 'search', 'filter']).default('filter'),
  param: queryParam.optional(),
  parameters: z.array(queryParameter).max(100).default([]),
  /** SOQL: the object queried (`FROM Contact`); search: a fixed term first (`type:ticket`). */
  from: z.string().max(200).optional(),
  /** The vendor path the query goes to when it is not the list path (Salesforce `/query`, Zendesk `/search`). */
  vendorPath: z.string().max(1024).regex(/^\/[^\s?#]*$/).optional(),
  separator: z.string().max(10).default(' '),
  /** Search styles: `{field}`, `{value}` per comparison. */
  termTemplate: z.string().max(200).default('{field}:{value}'),
  /** Search styles: `<`, `>`, `<=`, `>=` as `{field}{operator}{value}`, when the vendor takes them. */
  rangeTemplate: z.string().max(200).optional(),
  /** Search styles: the quote character that the template puts around values, escaped in them with a backslash. */
  quote: z.enum(['"', "'"]).optional(),
  orderBy: orderSupport.optional(),
  /** Record paths whose name in the vendor's query differs (Jira's `fields.status.name` is `status` in JQL). */
  fieldNames: z.record(z.string().max(200), z.string().min(1).max(200)).optional(),
  otherwise: z.enum(['refuse', 'filter']).default('refuse'),
}));

/**
 * A mapping between an object's records and the vendor's: each field's `path`
 * in the object and `vendorPath` in the vendor record (dotted paths), with
 * types; `configuration` entries `remove`/`passThrough` per direction and, on
 * the transformation, `passThrough` (unmapped vendor fields pass through) and
 * `inherit` (an instance-level transformation adds to the organization's).
 * Open Connectors' transformation shape; an element's own are its canonical
 * objects (type `ceCanonical`).
 */
const directions = z.strictObject({ fromVendor: z.boolean().default(true), toVendor: z.boolean().default(true) }).loose();
export const mappingConfigSchema = z.lazy(() => z.object({
  type: z.enum(['remove', 'passThrough', 'inherit']),
  properties: directions.default({ fromVendor: true, toVendor: true }),
}));
export const transformationFieldSchema = z.lazy(() => z.object({
  path: z.string().trim().min(1).max(200),
  type: z.enum(['string', 'number', 'boolean', 'date', 'object', 'array', 'unknown']).default('string'),
  vendorPath: z.string().trim().min(1).max(200).optional(),
  vendorType: text(50),
  /** The vendor can filter on this field (object metadata `filterable`). */
  filterable: z.boolean().optional(),
  configuration: z.array(mappingConfigSchema).max(10).nullish().transform((value) => value ?? []),
}));
export const transformationSchema = z.lazy(() => z.object({
  vendorName: z.string().trim().min(1).max(200),
  fields: z.array(transformationFieldSchema).max(500).default([]),
  configuration: z.array(mappingConfigSchema).max(10).nullish().transform((value) => value ?? []),
  /**
   * Open Connectors' transformation script: JavaScript run on each record after
   * the field mappings, both ways (unified/transformation-script.ts), on
   * either script engine. A blank body is no script.
   */
  script: z
    .object({
      body: z.string().max(MAX_SCRIPT_LENGTH).nullish(),
      mimeType: z.literal('application/javascript').nullish(),
      filterEmptyResponse: z.literal(false, { error: 'filterEmptyResponse is not supported: leave it false' }).nullish(),
    })
    .loose()
    .nullish()
    .transform((script) => (script?.body?.trim() ? { body: script.body } : undefined))
    .optional(),
  /** Open Connectors' script engine: `true` is the v1 engine (a script that returns its record), else v2 (`done`). */
  isLegacy: z
    .boolean()
    .nullish()
    .transform((legacy) => (legacy === true ? true : undefined))
    .optional(),
}));

/** Characters of a transformation script. */
export const MAX_SCRIPT_LENGTH = 50_000;

const resourcePath = z.string().max(1024).regex(/^\/[^\s?#]*$/, 'must start with / and carry no query or fragment');
const method = z
  .string()
  .transform((value) => value.toUpperCase())
  .pipe(z.enum(HTTP_METHODS));

export const resourceSchema = z.lazy(() => z
  .object({
    id,
    /** The path under `/elements/api-v2`, `{name}` for a path parameter; a `/hubs/{hub}` prefix is optional when called. */
    path: resourcePath,
    method,
    /** The vendor path under the base URL, with the same `{name}` parameters. */
    vendorPath: resourcePath.optional(),
    vendorMethod: method.optional(),
    description: text(2000),
    type: z.string().max(50).default('api'),
    operationId: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,99}$/).nullish().transform((value) => value ?? undefined),
    parameters: z.array(parameterSchema).max(200).default([]),
    hooks: z.array(hookSchema).max(20).default([]),
    model: modelSchema.optional(),
    response: z.object({ contentType: text(200), sampleData: text(100_000) }).nullish().transform((value) => value ?? undefined),
    /** Paging and query metadata for the unified API: how the vendor pages, where the next page is. */
    paginationType: text(50),
    nextResource: text(1024),
    nextPageKey: text(200),
    rootKey: text(200),
    /** Where a request body's record goes (Zendesk's `{"ticket": {...}}`); the body itself when left out. */
    requestRootKey: text(200),
    /** The object (normalized model) this resource returns; `objects[]` describe them. */
    object: z.object({ name: z.string().max(200) }).loose().nullish().transform((value) => value ?? undefined),
    /** This resource's paging where it differs from the element's (Zendesk's /search pages by offset). */
    pagination: paginationOverride.optional(),
  })
  .transform((resource) => ({ ...resource, vendorPath: resource.vendorPath ?? resource.path, vendorMethod: resource.vendorMethod ?? resource.method })));

export const rateLimitSchema = z.strictObject({
  requests: z.number().int().positive().optional(),
  periodSeconds: z.number().int().positive().optional(),
  /** What `requests` counts: calls, or the vendor's quota units (Google Drive's: a list costs 100). */
  unit: z.enum(['requests', 'quota units']).optional(),
  /** Who the limit applies to (per user, per app, per account ...). */
  scope: z.string().max(200).optional(),
  /** Response header that tells how long to wait after a 429. */
  retryAfterHeader: z.string().max(100).optional(),
  notes: z.string().max(1000).optional(),
});

export const HUB = /^[a-z][a-z0-9-]{0,62}$/;

/** Element keys derived from a name, as Open Connectors does when `key` is left out: `Churros DB` -> `churrosdb`. */
export function deriveKey(name: string): string {
  const key = name.toLowerCase().replace(/[^a-z0-9]/g, '').replace(/^[0-9]+/, '').slice(0, 63);
  return key || 'element';
}

const elementObject = z.lazy(() => z.object({
  /** Built-in elements have fixed ids; custom elements get one when created. */
  id,
  key: z.string().regex(ELEMENT_KEY, 'must be lower-case letters, digits and -, starting with a letter').optional(),
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).nullish().transform((value) => value ?? ''),
  image: text(2048),
  hub: z.string().regex(HUB, 'must be a lower-case hub name such as crm').default('general'),
  active: z.boolean().default(true),
  protocolType: z.enum(['http', 'jdbc', 'soap']).default('http'),
  docsUrl: plainUrl.optional(),
  authentication: authenticationInput,
  configuration: z.array(configurationEntrySchema).max(100).default([]),
  parameters: z.array(parameterSchema).max(200).default([]),
  hooks: z.array(hookSchema).max(20).default([]),
  resources: z.array(resourceSchema).max(1000).default([]),
  objects: z.array(objectSchema).max(200).default([]),
  /** Polling and webhooks: which the element's instances can use and how the vendor signs its webhooks. */
  events: elementEventsSchema.optional(),
  rateLimit: rateLimitSchema.optional(),
  pagination: paginationSchema.optional(),
  /** How CEQL queries reach the vendor. */
  query: querySchema.optional(),
  /** The element's canonical objects: mappings of its resources onto its hub's objects, by object name. */
  transformations: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,99}$/), transformationSchema).default({}),
  /** Where the element's definition was checked: the vendor's API reference. */
  sources: z.array(plainUrl).max(10).optional(),
  /** Timeout of one vendor call through the resource proxy. */
  timeoutMs: z.number().int().min(1000).max(28_000).default(25_000),
}));

type ParsedElement = z.output<typeof elementObject>;

function entryValue(element: ParsedElement, key: string): string | undefined {
  return element.configuration.find((entry) => entry.key === key)?.defaultValue;
}

/** The OAuth endpoints and scopes from Open Connectors' configuration entries where `authentication` leaves them out. */
function completeAuthentication(element: ParsedElement, ctx: z.RefinementCtx): z.output<typeof authenticationSchema> {
  const auth = element.authentication;
  if (auth.type !== 'oauth2') return auth as z.output<typeof authenticationSchema>;
  const scopeEntry = entryValue(element, 'oauth.scope');
  const completed = {
    ...auth,
    authorizationUrl: auth.authorizationUrl ?? entryValue(element, 'oauth.authorization.url'),
    tokenUrl: auth.tokenUrl ?? entryValue(element, 'oauth.token.url'),
    scopes: auth.scopes.length || !scopeEntry ? auth.scopes : scopeEntry.split(/[\s,]+/).filter(Boolean),
  };
  const checked = oauth2.safeParse(completed);
  if (checked.success) return checked.data;
  for (const issue of checked.error.issues) {
    const field = String(issue.path[0] ?? '');
    const entry = field === 'authorizationUrl' ? 'oauth.authorization.url' : field === 'tokenUrl' ? 'oauth.token.url' : undefined;
    ctx.addIssue({
      code: 'custom',
      path: ['authentication', ...issue.path.map(String)],
      message: issue.message === 'Invalid input: expected string, received undefined' && entry ? `required (or the ${entry} configuration entry)` : issue.message,
    });
  }
  return z.NEVER;
}

/** Assigns ids to parts that have none, above every id the element already uses. */
function numberParts(element: ParsedElement, sequence: number): number {
  let next = sequence;
  const parts = [
    ...element.parameters,
    ...element.hooks,
    ...element.objects,
    ...element.objects.flatMap((object) => object.fields),
    ...element.resources,
    ...element.resources.flatMap((resource) => [...resource.parameters, ...resource.hooks]),
  ];
  for (const part of parts) if (part.id !== undefined) next = Math.max(next, part.id);
  for (const part of parts) part.id ??= ++next;
  return next;
}

function checkElement(element: ParsedElement & { authentication: z.output<typeof authenticationSchema> }, ctx: z.RefinementCtx): void {
  const keys = new Set<string>();
  element.configuration.forEach((entry, index) => {
    if (keys.has(entry.key)) ctx.addIssue({ code: 'custom', path: ['configuration', index, 'key'], message: 'duplicate key' });
    keys.add(entry.key);
  });
  const baseIndex = element.configuration.findIndex((entry) => entry.key === BASE_URL_KEY);
  const base = element.configuration[baseIndex];
  if (element.protocolType === 'http') {
    if (!base?.defaultValue) {
      ctx.addIssue({ code: 'custom', path: ['configuration'], message: 'needs a base.url entry whose defaultValue is the vendor base URL' });
    } else if (!isHttpUrl(fillSample(base.defaultValue))) {
      ctx.addIssue({ code: 'custom', path: ['configuration', baseIndex, 'defaultValue'], message: `base.url ${TEMPLATED_URL_MESSAGE}` });
    }
  }
  const entries = new Map(element.configuration.map((entry) => [entry.key, entry]));
  const captured = new Set(element.authentication.type === 'oauth2' ? element.authentication.captureFromToken : []);
  const urls: [(string | number)[], string | undefined][] = [[['configuration', baseIndex, 'defaultValue'], element.protocolType === 'http' ? base?.defaultValue : undefined]];
  if (element.authentication.type === 'oauth2') {
    urls.push([['authentication', 'authorizationUrl'], element.authentication.authorizationUrl]);
    urls.push([['authentication', 'tokenUrl'], element.authentication.tokenUrl]);
  }
  for (const [path, url] of urls) {
    for (const name of placeholders(url ?? '')) {
      const entry = entries.get(name);
      const fromToken = captured.has(name) && path[0] === 'configuration';
      if (!entry && !fromToken) {
        const tail = path[0] === 'configuration' ? ' nor captured from the token response' : '';
        ctx.addIssue({ code: 'custom', path, message: `placeholder {${name}} is neither a configuration entry${tail}` });
      } else if (entry?.secret) {
        ctx.addIssue({ code: 'custom', path, message: `placeholder {${name}} must not be a secret entry` });
      }
    }
  }
  if (element.authentication.type === 'custom') {
    for (const [where, templates] of [['headers', element.authentication.headers], ['query', element.authentication.query]] as const) {
      for (const [name, template] of Object.entries(templates)) {
        for (const placeholder of placeholders(template)) {
          if (!entries.has(placeholder)) ctx.addIssue({ code: 'custom', path: ['authentication', where, name], message: `placeholder {${placeholder}} is not a configuration entry` });
        }
      }
    }
  }
  const routes = new Set<string>();
  element.resources.forEach((resource, index) => {
    const route = `${resource.method} ${normalizeResourcePath(resource.path)}`;
    if (routes.has(route)) ctx.addIssue({ code: 'custom', path: ['resources', index, 'path'], message: `duplicate resource ${route}` });
    routes.add(route);
    const names = new Set(placeholders(resource.path));
    for (const name of placeholders(resource.vendorPath)) {
      if (!names.has(name)) ctx.addIssue({ code: 'custom', path: ['resources', index, 'vendorPath'], message: `{${name}} is not a parameter of path ${resource.path}` });
    }
  });
  const objects = new Set<string>();
  element.objects.forEach((object, index) => {
    if (objects.has(object.name)) ctx.addIssue({ code: 'custom', path: ['objects', index, 'name'], message: 'duplicate object name' });
    objects.add(object.name);
  });
}

/** `/hubs/crm/contacts/{id}` and `/contacts/{id}` name the same resource: the hub prefix is optional. */
export function normalizeResourcePath(path: string): string {
  return path.replace(/^\/hubs\/[^/]+(?=\/|$)/, '') || '/';
}

/**
 * Parses a posted definition into the model. `sequence` is the highest part id
 * the element used so far; parts without an id get the next ones.
 */
export function elementSchemaWith(sequence: number) {
  return elementObject.transform((parsed, ctx) => {
    const authentication = completeAuthentication(parsed, ctx);
    if (authentication === z.NEVER) return z.NEVER;
    const element = { ...parsed, key: parsed.key ?? deriveKey(parsed.name), authentication };
    checkElement(element, ctx);
    const last = numberParts(element, sequence);
    return { ...element, sequence: last };
  });
}

export const elementSchema = elementSchemaWith(0);

export type ElementInput = z.input<typeof elementObject>;
export type ElementDefinition = Omit<z.output<typeof elementSchema>, 'sequence'> & { sequence?: number };
export type Authentication = z.output<typeof authenticationSchema>;
export type OAuth2Authentication = Extract<Authentication, { type: 'oauth2' }>;
export type ConfigurationEntry = z.output<typeof configurationEntrySchema>;
export type ElementResource = z.output<typeof resourceSchema>;
export type ElementParameter = z.output<typeof parameterSchema>;
export type ElementHook = z.output<typeof hookSchema>;
export type ElementObject = z.output<typeof objectSchema>;
export type Pagination = z.output<typeof paginationSchema>;
export type QueryTranslation = z.output<typeof querySchema>;
export type Transformation = z.output<typeof transformationSchema>;
export type TransformationField = z.output<typeof transformationFieldSchema>;

/** The vendor base URL template: the `base.url` entry's default value. */
export function baseUrlOf(element: Pick<ElementDefinition, 'configuration'>): string | undefined {
  return element.configuration.find((entry) => entry.key === BASE_URL_KEY)?.defaultValue;
}

/** Entries an instance gives values for that the platform does not handle itself (subdomain, tenant ...). */
export function elementFields(element: ElementDefinition): ConfigurationEntry[] {
  const credentialKey = element.authentication.type === 'apiKey' ? element.authentication.configKey : undefined;
  return element.configuration.filter(
    (entry) => entry.key !== BASE_URL_KEY && !entry.key.startsWith('oauth.') && !RESERVED_CONFIGURATION_KEYS.has(entry.key) && entry.key !== credentialKey,
  );
}

/** `pattern` as a search (like RegExp.test): anywhere in the value, leading inline flags kept in front. */
function fieldMatcher(pattern: string): StringMatcher {
  const flags = /^\(\?[a-zA-Z]+\)/.exec(pattern)?.[0] ?? '';
  return compileJavaRegex(`${flags}[\\s\\S]*(?:${pattern.slice(flags.length)})[\\s\\S]*`, 'linear');
}

/** Whether a value contains a match of the pattern (linear time on any value). */
export function fieldMatches(pattern: string, value: string): boolean {
  return fieldMatcher(pattern)(value);
}

/** The pattern a value must match: the entry's own, else a DNS label when the value goes into a URL. */
export function fieldPattern(element: ElementDefinition, field: ConfigurationEntry): StringMatcher | undefined {
  if (field.pattern) return fieldMatcher(field.pattern);
  const urls = [baseUrlOf(element) ?? '', ...(element.authentication.type === 'oauth2' ? [element.authentication.authorizationUrl, element.authentication.tokenUrl] : [])];
  return urls.some((url) => placeholders(url).includes(field.key)) ? fieldMatcher(DNS_LABEL) : undefined;
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
