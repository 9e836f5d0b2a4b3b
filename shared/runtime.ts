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

export function createRuntime(config: Config = loadConfig()): Runtime {
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
