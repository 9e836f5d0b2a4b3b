// The environment every function gets, typed: each variable is one that
// shared/config.ts (or a documented reader) consumes. test/infra/config.test.ts
// feeds the result to loadConfig to prove both sides agree.
import type { StackSettings } from './config.js';
import { SOURCE_MAP_NODE_OPTIONS } from './bundling.js';

export interface FunctionEnvironment {
  TOLLGATE_MODE: 'aws';
  TOLLGATE_STAGE: string;
  TABLE_NAME: string;
  /** Prefix of every secret name; IAM grants `{prefix}*` and nothing else. */
  SECRET_PREFIX: string;
  /** KMS key for secrets the functions create, when the stack uses a customer managed key. */
  SECRETS_KMS_KEY_ID?: string;
  TOLLGATE_ORG: string;
  /** The first management user; its password is the `admin-password` secret. */
  TOLLGATE_ADMIN_EMAIL: string;
  /** The platform's public base URL: token issuer, OAuth callback URL base. */
  TOLLGATE_ISSUER: string;
  /** The runtime's base URL per environment: `prod=https://..,test=https://..`. */
  TOLLGATE_RUNTIME_URLS: string;
  TOLLGATE_ALLOWED_REDIRECT_ORIGINS: string;
  TOKEN_LIFETIME_SECONDS: string;
  TOKEN_AUDIENCE?: string;
  /** The connector events' SQS queues: poll runs and delivery attempts (shared/connectors/events/queue.ts). */
  TOLLGATE_POLL_QUEUE_URL: string;
  TOLLGATE_DELIVERY_QUEUE_URL: string;
  /**
   * The formulas state machine (infra/formulas.ts adds it to the functions that start executions:
   * not to the step function the machine invokes, which would make each depend on the other).
   */
  TOLLGATE_FORMULAS_STATE_MACHINE_ARN?: string;
  /** Powertools: `service` dimension of the metrics and field of every log line. */
  POWERTOOLS_SERVICE_NAME: 'tollgate';
  /** Only with tollgate:sourceMapStackTraces. */
  NODE_OPTIONS?: string;
}

export interface EnvironmentRefs {
  tableName: string;
  issuer: string;
  runtimeUrls: Record<string, string>;
  secretsKmsKeyId?: string;
  queueUrls: { poll: string; delivery: string };
}

export function secretPrefix(settings: Pick<StackSettings, 'stage'>): string {
  return `tollgate/${settings.stage}/`;
}

export function functionEnvironment(settings: StackSettings, refs: EnvironmentRefs): FunctionEnvironment {
  return {
    TOLLGATE_MODE: 'aws',
    TOLLGATE_STAGE: settings.stage,
    TABLE_NAME: refs.tableName,
    SECRET_PREFIX: secretPrefix(settings),
    ...(refs.secretsKmsKeyId ? { SECRETS_KMS_KEY_ID: refs.secretsKmsKeyId } : {}),
    TOLLGATE_ORG: settings.organization,
    TOLLGATE_ADMIN_EMAIL: settings.adminEmail,
    TOLLGATE_ISSUER: refs.issuer,
    TOLLGATE_RUNTIME_URLS: Object.entries(refs.runtimeUrls)
      .map(([environment, url]) => `${environment}=${url}`)
      .join(','),
    TOLLGATE_ALLOWED_REDIRECT_ORIGINS: settings.allowedRedirectOrigins.join(','),
    TOKEN_LIFETIME_SECONDS: String(settings.tokenLifetimeSeconds),
    ...(settings.tokenAudience ? { TOKEN_AUDIENCE: settings.tokenAudience } : {}),
    TOLLGATE_POLL_QUEUE_URL: refs.queueUrls.poll,
    TOLLGATE_DELIVERY_QUEUE_URL: refs.queueUrls.delivery,
    POWERTOOLS_SERVICE_NAME: 'tollgate',
    ...(settings.sourceMapStackTraces ? { NODE_OPTIONS: SOURCE_MAP_NODE_OPTIONS } : {}),
  };
}
