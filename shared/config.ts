// Typed view of the environment. Read once per container (or per test runtime);
// everything else takes a Config instead of reading process.env itself.
export interface Config {
  /** `local` when run by `npm start` or tests, `aws` in Lambda. */
  mode: 'local' | 'aws';
  stage: string;
  tableName: string;
  /** DynamoDB endpoint override (dynalite locally). */
  dynamoEndpoint?: string;
  region: string;
  /** Prefix of every Secrets Manager secret name, e.g. `tollgate/prod/`. */
  secretPrefix: string;
  /** KMS key for secrets created at run time (the stack's customer managed key); unset = aws/secretsmanager. */
  secretsKmsKeyId?: string;
  /** Local secret store file (local mode only). */
  localSecretsFile?: string;
  defaultOrganization: string;
  /** The first management user (`TOLLGATE_ADMIN_EMAIL`, default admin@localhost), orgadmin of the default organization. */
  adminEmail: string;
  /** Its password (`TOLLGATE_ADMIN_PASSWORD`); unset: generated and stored (locally) or the stack's secret (AWS). */
  adminPassword?: string;
  issuer: string;
  allowLoopback: boolean;
  allowedRedirectOrigins: string[];
  /** Environment of a runtime request whose stage names none. */
  runtimeEnvironment: string;
  /** The runtime's base URL per environment (`TOLLGATE_RUNTIME_URLS`: `prod=https://..,test=https://..`), shown by the management API. */
  runtimeUrls: Record<string, string>;
  /** Access-token lifetime when no API product sets one (`TOKEN_LIFETIME_SECONDS`, default 3600). */
  tokenLifetimeSeconds: number;
  /** `aud` claim of access tokens (`TOKEN_AUDIENCE`); omitted when unset. */
  tokenAudience?: string;
  /**
   * Connector events on AWS: the SQS queues of poll runs and of deliveries
   * (`TOLLGATE_POLL_QUEUE_URL`, `TOLLGATE_DELIVERY_QUEUE_URL`). Unset (locally):
   * the table is the queue and the in-process scheduler works it.
   */
  eventQueues?: { poll: string; delivery: string };
  /**
   * Formulas on AWS: the Step Functions state machine every execution runs as
   * (`TOLLGATE_FORMULAS_STATE_MACHINE_ARN`). Unset: the local server's
   * in-process executor runs them.
   */
  formulasStateMachineArn?: string;
  /** How long a container keeps analytics records before writing them (`TOLLGATE_ANALYTICS_FLUSH_MS`; 5 s locally, 30 s on AWS). */
  analyticsFlushMs: number;
  /** Days analytics rollups and connector usage records are kept (`TOLLGATE_ANALYTICS_RETENTION_DAYS`, default 30). */
  analyticsRetentionDays: number;
  /** Hours trace (debug session) data is kept (`TOLLGATE_TRACE_RETENTION_HOURS`, default 24). */
  traceRetentionHours: number;
}

/** Longest access-token lifetime accepted anywhere (configuration or API product). */
export const MAX_TOKEN_LIFETIME_SECONDS = 86_400;
/** Shortest platform secret (organization or user secret) accepted from the environment; generated ones have 32 characters or more. */
export const MIN_PLATFORM_SECRET_LENGTH = 16;
/** Shortest first-user password accepted from the environment. */
export const MIN_ADMIN_PASSWORD_LENGTH = 12;
/** The levels of the Powertools logger. */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;

/** A setting that cannot be used: refused at start, naming the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const value = env[name];
  if (value === undefined || value.trim() === '') return fallback;
  if (!/^\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got "${value.slice(0, 40)}")`);
  }
  return Number(value);
}

/** A TCP port from the environment (0: any free port). */
export function portFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  return wholeNumber(env, name, fallback, 0, 65_535);
}

function checkLength(env: NodeJS.ProcessEnv, name: string, min: number): void {
  const value = env[name];
  if (value && value.length < min) throw new ConfigError(`${name} must be at least ${min} characters long (or unset, to have one generated)`);
}

function checkLogLevel(env: NodeJS.ProcessEnv): void {
  const value = env.LOG_LEVEL ?? env.POWERTOOLS_LOG_LEVEL;
  if (value && !(LOG_LEVELS as readonly string[]).includes(value.toUpperCase())) {
    throw new ConfigError(`${env.LOG_LEVEL ? 'LOG_LEVEL' : 'POWERTOOLS_LOG_LEVEL'} must be one of ${LOG_LEVELS.join(', ')} (got "${value.slice(0, 40)}")`);
  }
}

/** A positive integer setting within [min, max], else the default. */
function bounded(value: string | undefined, fallback: number, min: number, max: number): number {
  const number = Number(value);
  return value !== undefined && value !== '' && Number.isInteger(number) && number >= min && number <= max ? number : fallback;
}

function flag(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  return !/^(false|0|no|off)$/i.test(value.trim());
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** The configuration, or a ConfigError naming the first setting that cannot be used. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  checkLogLevel(env);
  checkLength(env, 'TOLLGATE_ORGANIZATION_SECRET', MIN_PLATFORM_SECRET_LENGTH);
  checkLength(env, 'TOLLGATE_USER_SECRET', MIN_PLATFORM_SECRET_LENGTH);
  checkLength(env, 'TOLLGATE_ADMIN_PASSWORD', MIN_ADMIN_PASSWORD_LENGTH);
  const mode = env.TOLLGATE_MODE === 'local' ? 'local' : 'aws';
  const stage = env.TOLLGATE_STAGE || (mode === 'local' ? 'local' : 'prod');
  const port = env.PORT || '8080';
  return {
    mode,
    stage,
    tableName: env.TABLE_NAME || 'tollgate',
    dynamoEndpoint: env.DYNAMODB_ENDPOINT || undefined,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    secretPrefix: env.SECRET_PREFIX || `tollgate/${stage}/`,
    secretsKmsKeyId: env.SECRETS_KMS_KEY_ID || undefined,
    localSecretsFile: env.LOCAL_SECRETS_FILE || undefined,
    defaultOrganization: env.TOLLGATE_ORG || 'default',
    adminEmail: env.TOLLGATE_ADMIN_EMAIL?.trim() || 'admin@localhost',
    adminPassword: env.TOLLGATE_ADMIN_PASSWORD || undefined,
    issuer: (env.TOLLGATE_ISSUER || `http://127.0.0.1:${port}`).replace(/\/+$/, ''),
    // Loopback targets are a local convenience; on AWS they are always refused.
    allowLoopback: mode === 'local' && flag(env.TOLLGATE_ALLOW_LOOPBACK, true),
    allowedRedirectOrigins: list(env.TOLLGATE_ALLOWED_REDIRECT_ORIGINS),
    runtimeEnvironment: env.TOLLGATE_RUNTIME_ENV || 'prod',
    runtimeUrls: Object.fromEntries(
      list(env.TOLLGATE_RUNTIME_URLS)
        .map((entry) => entry.split('=', 2).map((part) => part.trim()))
        .filter((pair): pair is [string, string] => pair.length === 2 && Boolean(pair[0]) && Boolean(pair[1]))
        .map(([name, url]) => [name, url.replace(/\/+$/, '')]),
    ),
    tokenLifetimeSeconds: wholeNumber(env, 'TOKEN_LIFETIME_SECONDS', 3600, 1, MAX_TOKEN_LIFETIME_SECONDS),
    tokenAudience: env.TOKEN_AUDIENCE?.trim() || undefined,
    eventQueues:
      env.TOLLGATE_POLL_QUEUE_URL && env.TOLLGATE_DELIVERY_QUEUE_URL
        ? { poll: env.TOLLGATE_POLL_QUEUE_URL, delivery: env.TOLLGATE_DELIVERY_QUEUE_URL }
        : undefined,
    formulasStateMachineArn: env.TOLLGATE_FORMULAS_STATE_MACHINE_ARN || undefined,
    analyticsFlushMs: bounded(env.TOLLGATE_ANALYTICS_FLUSH_MS, mode === 'local' ? 5_000 : 30_000, 100, 300_000),
    analyticsRetentionDays: bounded(env.TOLLGATE_ANALYTICS_RETENTION_DAYS, 30, 1, 3_650),
    traceRetentionHours: bounded(env.TOLLGATE_TRACE_RETENTION_HOURS, 24, 1, 720),
  };
}
