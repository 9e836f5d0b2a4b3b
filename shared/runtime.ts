// Per-container wiring: configuration, the table, secrets and the data key,
// created lazily on first use and reused by every warm invocation. The local
// server and tests install their own runtime with `useRuntime`.
import { loadConfig, type Config } from './config.js';
import { Envelope } from './crypto/envelope.js';
import { SecretsManagerBackend } from './secrets/aws.js';
import { FileSecretBackend } from './secrets/local.js';
import { CachedSecrets } from './secrets/store.js';
import { createDocumentClient, Table } from './store/table.js';
import { randomSecret } from './crypto/random.js';
import { reserveOwnEndpoint } from './net/outbound.js';

export const DATA_KEY_SECRET = 'data-key';

/** Where scheduling decisions read the time (poll intervals, retry backoff, webhook timestamp tolerance). */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export class Runtime {
  private envelope: Promise<Envelope> | undefined;
  private readonly services = new Map<string, unknown>();
  /** The system clock; tests install a controllable one to run a day of retries without waiting for it. */
  clock: Clock = systemClock;
  private readonly drains: (() => Promise<void>)[] = [];

  constructor(
    readonly config: Config,
    readonly table: Table,
    readonly secrets: CachedSecrets,
  ) {}

  /**
   * A per-runtime singleton (caches, clients). Keeping them here rather than in
   * module scope means a test that installs a fresh runtime starts cold. Keys
   * are `<module>.<name>`, the module being the folder under shared/ that owns
   * the service: `gateway.kvm-cache`, `connectors.element-cache`.
   */
  service<T>(key: string, create: () => T): T {
    if (!this.services.has(key)) this.services.set(key, create());
    return this.services.get(key) as T;
  }

  /**
   * Registers work that must finish before the container stops (buffered
   * analytics, captured traces): `shutdown()` runs it on SIGTERM in Lambda and
   * when the local server or a test closes.
   */
  onShutdown(drain: () => Promise<void>): void {
    this.drains.push(drain);
  }

  /** Runs every registered drain; a failing one does not stop the others. */
  async shutdown(): Promise<void> {
    await Promise.allSettled(this.drains.map((drain) => drain()));
  }

  /**
   * The AES-GCM envelope for data encrypted at rest. On AWS the stack creates
   * the data-key secret; locally the first start generates it.
   */
  dataKey(): Promise<Envelope> {
    this.envelope ??= (async () => {
      let material = await this.secrets.get(DATA_KEY_SECRET);
      if (material === undefined) {
        if (this.config.mode !== 'local') throw new Error('The data-key secret is missing; deploy the stack again');
        material = randomSecret(32);
        await this.secrets.put(DATA_KEY_SECRET, material);
      }
      return Envelope.fromSecret(material);
    })().catch((error: unknown) => {
      this.envelope = undefined;
      throw error;
    });
    return this.envelope;
  }
}

/**
 * Tollgate's own endpoints as a container sees them: the table's and the
 * secret store's endpoints and both planes' URLs. Outbound calls never reach
 * them, for the container's lifetime.
 */
function reserveOwnEndpoints(config: Config): void {
  reserveOwnEndpoint('store', config.dynamoEndpoint ?? `https://dynamodb.${config.region}.amazonaws.com`);
  if (config.mode === 'aws') reserveOwnEndpoint('secrets', `https://secretsmanager.${config.region}.amazonaws.com`);
  reserveOwnEndpoint('platform', config.issuer);
  for (const url of Object.values(config.runtimeUrls)) reserveOwnEndpoint('runtime', url);
}

export function createRuntime(config: Config = loadConfig()): Runtime {
  reserveOwnEndpoints(config);
  const table = new Table(
    createDocumentClient({ tableName: config.tableName, region: config.region, endpoint: config.dynamoEndpoint }),
    config.tableName,
  );
  const backend =
    config.mode === 'local' && config.localSecretsFile
      ? new FileSecretBackend(config.localSecretsFile)
      : SecretsManagerBackend.create(config.region, config.secretPrefix, config.secretsKmsKeyId);
  return new Runtime(config, table, new CachedSecrets(backend));
}

let current: Runtime | undefined;

export function runtime(): Runtime {
  current ??= createRuntime();
  return current;
}

export function useRuntime(value: Runtime | undefined): void {
  current = value;
}

/**
 * In Lambda: drains the runtime on SIGTERM, which Lambda sends before it
 * retires a container that has an extension (the stack adds a small shutdown
 * extension for this). Lambda allows the runtime about 300 ms; a write still
 * waiting then is lost with the container. Not in local mode, whose server
 * drains on its own stop.
 */
export function drainOnSigterm(env: NodeJS.ProcessEnv = process.env): void {
  if (!env.AWS_LAMBDA_FUNCTION_NAME || env.TOLLGATE_MODE === 'local') return;
  process.once('SIGTERM', () => {
    void (current?.shutdown() ?? Promise.resolve()).finally(() => process.exit(0));
  });
}
