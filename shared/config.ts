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
}

/** Longest access-token lifetime accepted anywhere (configuration or API product). */
export const MAX_TOKEN_LIFETIME_SECONDS = 86_400;

function lifetime(value: string | undefined): number {
  const seconds = Number(value);
  return Number.isInteger(seconds) && seconds > 0 ? Math.min(seconds, MAX_TOKEN_LIFETIME_SECONDS) : 3600;
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

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
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
    tokenLifetimeSeconds: lifetime(env.TOKEN_LIFETIME_SECONDS),
    tokenAudience: env.TOKEN_AUDIENCE?.trim() || undefined,
    eventQueues:
      env.TOLLGATE_POLL_QUEUE_URL && env.TOLLGATE_DELIVERY_QUEUE_URL
        ? { poll: env.TOLLGATE_POLL_QUEUE_URL, delivery: env.TOLLGATE_DELIVERY_QUEUE_URL }
        : undefined,
  };
}
