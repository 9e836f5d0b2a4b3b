// Stack settings: CDK context (`cdk.json`, or `-c tollgate:key=value`), or a
// plain object passed as stack props. Every value is validated here, at synth
// time, so a typo fails `cdk synth` with the key's name instead of failing a
// deployment half-way.
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import * as z from 'zod';
import { ORG_NAME } from '../shared/auth/organizations.js';

export interface Throttle {
  /** Steady-state requests per second. */
  rateLimit: number;
  /** Bucket size: requests accepted at once above the rate. */
  burstLimit: number;
}

/**
 * Route throttles by `{resource}/{METHOD}` (resource as in
 * shared/http/api-routes.ts, of either plane; METHOD one of the route's
 * methods or `*`), plus `default` for every route not listed, on both APIs.
 * Routes not in this build are skipped.
 */
export const DEFAULT_THROTTLES: Record<string, Throttle> = {
  default: { rateLimit: 100, burstLimit: 50 },
  // Token service: client_credentials grants are cheap but brute-forceable.
  '/oauth/token/POST': { rateLimit: 100, burstLimit: 50 },
  '/oauth/{proxy+}/*': { rateLimit: 100, burstLimit: 50 },
  // Management login: a person or a CI job logging in, never a stream of calls; passwords are guessable.
  '/login/oauth/token/POST': { rateLimit: 5, burstLimit: 10 },
  '/.well-known/{proxy+}/*': { rateLimit: 50, burstLimit: 100 },
  // Browser redirects back from OAuth providers: human speed.
  '/elements/api-v2/oauth/callback/GET': { rateLimit: 10, burstLimit: 20 },
  // Management API (Apigee paths and the SAP compatibility path).
  '/v1/{proxy+}/*': { rateLimit: 50, burstLimit: 25 },
  '/apiportal/{proxy+}/*': { rateLimit: 20, burstLimit: 10 },
  // Connectors API, including resource calls forwarded to vendors.
  '/elements/{proxy+}/*': { rateLimit: 100, burstLimit: 50 },
  '/healthz/GET': { rateLimit: 10, burstLimit: 10 },
  // Console, portal and API reference: a page load is a handful of requests, cached for a year after.
  '/console/GET': { rateLimit: 50, burstLimit: 100 },
  '/console/{proxy+}/GET': { rateLimit: 100, burstLimit: 200 },
  '/portal/GET': { rateLimit: 50, burstLimit: 100 },
  '/portal/{proxy+}/GET': { rateLimit: 50, burstLimit: 100 },
  '/docs/GET': { rateLimit: 20, burstLimit: 40 },
  // Runtime plane, each environment's stage: the catch-all and the root path.
  '/{proxy+}/*': { rateLimit: 1000, burstLimit: 500 },
  '//*': { rateLimit: 1000, burstLimit: 500 },
};

export interface FunctionSettings {
  memorySize?: number;
  timeoutSeconds?: number;
  /** Reserved concurrency: caps this function and guarantees it that many. Unset = unreserved. */
  reservedConcurrency?: number;
}

export interface AlarmSettings {
  /** SNS email subscription for every alarm; confirm the e-mail AWS sends. */
  email?: string;
  /** API 5xx responses, percent of requests over 5 minutes. */
  serverErrorRatePercent: number;
  /** Below this many requests in 5 minutes the 5xx rate is not judged. */
  minRequests: number;
  /** Requests answered 429 by the stage throttles in 5 minutes. */
  throttledRequests: number;
  /** Lambda errors (crashes, timeouts; handled errors are responses) per function in 5 minutes. */
  functionErrors: number;
  /** p99 duration per function; capped at 80 % of the function's timeout. */
  durationP99Ms: number;
  /** DynamoDB read + write throttle events (table and index) in 5 minutes. */
  dynamoThrottleEvents: number;
}

export interface UsagePlanSettings {
  /** Runtime resources (RUNTIME_ROUTES in shared/http/api-routes.ts) whose methods then require an `x-api-key`. */
  resources: string[];
  rateLimit: number;
  burstLimit: number;
  quota?: { limit: number; period: 'DAY' | 'WEEK' | 'MONTH' };
}

export interface CustomDomainSettings {
  domainName: string;
  /** ACM certificate in the stack's region (regional endpoint). */
  certificateArn: string;
  /** Route 53 zone to create the alias record in; without it, point DNS at the `CustomDomainTarget` output. */
  hostedZoneId?: string;
  hostedZoneName?: string;
  /** Refuse the default execute-api URL so clients must use the custom domain. */
  disableExecuteApiEndpoint: boolean;
}

/** A runtime environment's custom domain (the ACM certificate of `runtimeCertificateArn`). */
export interface RuntimeDomainSettings {
  environment: string;
  domainName: string;
  certificateArn: string;
}

export interface StackSettings {
  stage: string;
  organization: string;
  /** The first management user, orgadmin of `organization`; its password is generated into Secrets Manager. */
  adminEmail: string;
  allowedRedirectOrigins: string[];
  tokenLifetimeSeconds: number;
  tokenAudience?: string;
  logRetentionDays: RetentionDays;
  /** Keep the table, secrets and key when the stack is deleted (default true). */
  retainData: boolean;
  /** X-Ray tracing on the stage and the functions. */
  tracing: boolean;
  /** Source-mapped stack traces in the logs (NODE_OPTIONS=--enable-source-maps); costs cold-start time. */
  sourceMapStackTraces: boolean;
  /** `aws-managed` (aws/dynamodb, aws/secretsmanager) or one customer managed KMS key for the table, secrets and alarm topic. */
  encryption: 'aws-managed' | 'customer-managed';
  /** The platform API's custom domain. */
  customDomain?: CustomDomainSettings;
  /** Custom domains of the runtime, per environment. */
  runtimeDomains: RuntimeDomainSettings[];
  /** Regional WAFv2 web ACL to associate with the runtime's stages (the platform's HTTP API cannot take one). */
  webAclArn?: string;
  throttles: Record<string, Throttle>;
  /** Throttle keys the operator set; unlike defaults they must name an existing route. */
  throttleOverrides: string[];
  functions: Record<string, FunctionSettings>;
  alarms: AlarmSettings;
  usagePlan?: UsagePlanSettings;
}

export const DEFAULT_ALARMS: AlarmSettings = {
  serverErrorRatePercent: 2,
  minRequests: 20,
  throttledRequests: 100,
  functionErrors: 1,
  durationP99Ms: 5000,
  dynamoThrottleEvents: 1,
};

const RETENTION_DAYS = new Set(Object.values(RetentionDays).filter((v): v is number => typeof v === 'number'));

/** Context values given on the command line arrive as strings; JSON ones are parsed. */
function fromJsonString(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return value;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return value;
  }
}

const bool = z.preprocess((v) => (typeof v === 'string' ? !/^(false|0|no|off)$/i.test(v.trim()) : v), z.boolean());
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const origin = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}, 'must be an origin: scheme://host[:port], no path or trailing slash');

const throttle = z.object({ rateLimit: z.coerce.number().min(0).max(10_000), burstLimit: int(0, 5_000) }).strict();

const functionSettings = z
  .object({
    memorySize: int(128, 10_240).optional(),
    timeoutSeconds: int(1, 900).optional(),
    reservedConcurrency: int(0, 10_000).optional(),
  })
  .strict();

const alarms = z
  .object({
    email: z.email().optional(),
    serverErrorRatePercent: z.coerce.number().gt(0).max(100),
    minRequests: int(1, 1_000_000),
    throttledRequests: int(1, 10_000_000),
    functionErrors: int(1, 1_000_000),
    durationP99Ms: int(1, 900_000),
    dynamoThrottleEvents: int(1, 1_000_000),
  })
  .strict();

const usagePlan = z
  .object({
    resources: z.array(z.string().startsWith('/')).min(1),
    rateLimit: z.coerce.number().min(0).max(10_000),
    burstLimit: int(0, 5_000),
    quota: z.object({ limit: int(1, Number.MAX_SAFE_INTEGER), period: z.enum(['DAY', 'WEEK', 'MONTH']) }).strict().optional(),
  })
  .strict();

const dnsName = z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'a lower-case DNS name');
const certificateArn = z.string().regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/, 'an ACM certificate ARN');

const settingsSchema = z
  .object({
    stage: z.string().regex(/^[a-z][a-z0-9-]{0,20}$/, 'lower-case letters, digits and -, starting with a letter, at most 21'),
    organization: z.string().regex(ORG_NAME, 'lower-case letters, digits and -'),
    adminEmail: z.string().trim().max(254).regex(/^[^\s@]{1,64}@[^\s@]{1,189}$/, 'an email address'),
    allowedRedirectOrigins: z.preprocess(
      (v) => (typeof v === 'string' ? v.split(',').map((item) => item.trim()).filter(Boolean) : v),
      z.array(origin),
    ),
    tokenLifetimeSeconds: int(60, 86_400),
    tokenAudience: z.string().min(1).optional(),
    logRetentionDays: z.coerce
      .number()
      .refine((days) => RETENTION_DAYS.has(days), `one of ${[...RETENTION_DAYS].join(', ')}`)
      .transform((days) => days as RetentionDays),
    retainData: bool,
    tracing: bool,
    sourceMapStackTraces: bool,
    encryption: z.enum(['aws-managed', 'customer-managed']),
    domainName: dnsName.optional(),
    certificateArn: certificateArn.optional(),
    hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, 'a Route 53 hosted zone id').optional(),
    hostedZoneName: z.string().min(1).optional(),
    disableExecuteApiEndpoint: bool,
    runtimeDomains: z.preprocess(fromJsonString, z.partialRecord(z.enum(['prod', 'test']), dnsName)),
    runtimeCertificateArn: certificateArn.optional(),
    webAclArn: z.string().regex(/^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional\/webacl\/.+$/, 'a regional WAFv2 web ACL ARN').optional(),
    throttles: z.preprocess(fromJsonString, z.record(z.string(), throttle)),
    functions: z.preprocess(fromJsonString, z.record(z.string(), functionSettings)),
    alarms: z.preprocess(fromJsonString, alarms.partial()),
    alarmEmail: z.email().optional(),
    usagePlan: z.preprocess(fromJsonString, usagePlan.optional()),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (Boolean(value.domainName) !== Boolean(value.certificateArn)) {
      ctx.addIssue({ code: 'custom', path: ['certificateArn'], message: 'domainName and certificateArn go together' });
    }
    if (Boolean(value.hostedZoneId) !== Boolean(value.hostedZoneName) || (value.hostedZoneId && !value.domainName)) {
      ctx.addIssue({ code: 'custom', path: ['hostedZoneId'], message: 'hostedZoneId and hostedZoneName go together, with domainName' });
    }
    if (Object.keys(value.runtimeDomains).length > 0 !== Boolean(value.runtimeCertificateArn)) {
      ctx.addIssue({ code: 'custom', path: ['runtimeCertificateArn'], message: 'runtimeDomains and runtimeCertificateArn go together' });
    }
    if (value.disableExecuteApiEndpoint && !value.domainName) {
      ctx.addIssue({ code: 'custom', path: ['disableExecuteApiEndpoint'], message: 'needs a custom domain, or the API has no URL at all' });
    }
    for (const key of Object.keys(value.throttles)) {
      if (key !== 'default' && !/^\/.*\/(\*|[A-Z]+)$/.test(key)) {
        ctx.addIssue({ code: 'custom', path: ['throttles', key], message: 'keys are `default` or `{resource}/{METHOD|*}`' });
      }
    }
  });

/** What an operator may set: every key of the schema, all optional. */
export type SettingsInput = Partial<Record<keyof z.input<typeof settingsSchema>, unknown>>;

export const SETTING_KEYS = Object.keys(settingsSchema.shape) as (keyof z.input<typeof settingsSchema>)[];

const DEFAULT_INPUT: SettingsInput = {
  stage: 'prod',
  organization: 'default',
  adminEmail: 'admin@localhost',
  allowedRedirectOrigins: [],
  tokenLifetimeSeconds: 3600,
  logRetentionDays: 30,
  retainData: true,
  tracing: false,
  sourceMapStackTraces: false,
  encryption: 'aws-managed',
  disableExecuteApiEndpoint: false,
  runtimeDomains: {},
  throttles: {},
  functions: {},
  alarms: {},
};

export class SettingsError extends Error {}

/** Validates operator input (context values or props) on top of the defaults. */
export function parseSettings(input: SettingsInput): StackSettings {
  const defined = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined && value !== ''));
  const result = settingsSchema.safeParse({ ...DEFAULT_INPUT, ...defined });
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `tollgate:${issue.path.map(String).join('.')}: ${issue.message}`);
    throw new SettingsError(`Invalid Tollgate settings:\n  ${problems.join('\n  ')}`);
  }
  const value = result.data;
  const userThrottles = value.throttles;
  return {
    stage: value.stage,
    organization: value.organization,
    adminEmail: value.adminEmail,
    allowedRedirectOrigins: value.allowedRedirectOrigins,
    tokenLifetimeSeconds: value.tokenLifetimeSeconds,
    ...(value.tokenAudience ? { tokenAudience: value.tokenAudience } : {}),
    logRetentionDays: value.logRetentionDays,
    retainData: value.retainData,
    tracing: value.tracing,
    sourceMapStackTraces: value.sourceMapStackTraces,
    encryption: value.encryption,
    ...(value.domainName && value.certificateArn
      ? {
          customDomain: {
            domainName: value.domainName,
            certificateArn: value.certificateArn,
            ...(value.hostedZoneId ? { hostedZoneId: value.hostedZoneId, hostedZoneName: value.hostedZoneName } : {}),
            disableExecuteApiEndpoint: value.disableExecuteApiEndpoint,
          },
        }
      : {}),
    runtimeDomains: Object.entries(value.runtimeDomains).map(([environment, domainName]) => ({ environment, domainName: domainName!, certificateArn: value.runtimeCertificateArn! })),
    ...(value.webAclArn ? { webAclArn: value.webAclArn } : {}),
    throttles: { ...DEFAULT_THROTTLES, ...userThrottles },
    throttleOverrides: Object.keys(userThrottles).filter((key) => key !== 'default'),
    functions: value.functions,
    alarms: { ...DEFAULT_ALARMS, ...value.alarms, ...(value.alarmEmail ? { email: value.alarmEmail } : {}) },
    ...(value.usagePlan ? { usagePlan: value.usagePlan } : {}),
  };
}

/** Reads every `tollgate:*` context value; an unknown `tollgate:` key is an error (a typo would be ignored otherwise). */
export function settingsFrom(node: Node, overrides: SettingsInput = {}): StackSettings {
  const known = new Set<string>(SETTING_KEYS);
  const unknown = Object.keys((node.getAllContext() as Record<string, unknown>) ?? {})
    .filter((key) => key.startsWith('tollgate:') && !known.has(key.slice('tollgate:'.length)));
  if (unknown.length) throw new SettingsError(`Unknown Tollgate settings: ${unknown.join(', ')} (known: ${SETTING_KEYS.join(', ')})`);
  const input: SettingsInput = {};
  for (const key of SETTING_KEYS) input[key] = node.tryGetContext(`tollgate:${key}`) as unknown;
  return parseSettings({ ...input, ...overrides });
}
