// Fault injection for the reliability tests, the way AWS fails: a runtime
// (one "container") whose DynamoDB client points at a closed port, whose
// DynamoDB calls are throttled by a client middleware throwing the SDK's own
// ProvisionedThroughputExceededException (so the SDK's retry strategy runs as
// in production), and secret stores that fail with Secrets Manager's own
// errors, or are a real Secrets Manager client that cannot connect.
import { createServer } from 'node:net';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { InternalServiceError, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Runtime } from '../../shared/runtime.js';
import { SecretsManagerBackend } from '../../shared/secrets/aws.js';
import { CachedSecrets, type SecretBackend } from '../../shared/secrets/store.js';
import { createDocumentClient, Table } from '../../shared/store/table.js';

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Container {
  runtime: Runtime;
  /** Writes what the container still buffers (analytics, traces), then drops its client: nothing of it reaches the store after. */
  close(): Promise<void>;
}

/**
 * A fresh, cold runtime on the same configuration as `base`: its own DynamoDB
 * client (to `dynamoEndpoint` when given) and its own secret cache (over
 * `secrets` when given, else the base's backend).
 */
export function container(base: Runtime, options: { dynamoEndpoint?: string; secrets?: SecretBackend } = {}): Container {
  const config = { ...base.config, ...(options.dynamoEndpoint ? { dynamoEndpoint: options.dynamoEndpoint } : {}) };
  const doc = createDocumentClient({ tableName: config.tableName, region: config.region, endpoint: config.dynamoEndpoint });
  const runtime = new Runtime(config, new Table(doc, config.tableName), new CachedSecrets(options.secrets ?? base.secrets.backend));
  return {
    runtime,
    close: async () => {
      await runtime.shutdown();
      doc.destroy();
    },
  };
}

export interface DynamoCall {
  /** SDK command name, e.g. `PutItemCommand`. */
  command: string;
  /** Sort key of the item the call reads or writes ('' for queries). */
  sk: string;
}

export interface Throttle {
  /** Attempts refused so far. */
  refused: number;
  /** Turns the throttling off (or on again). */
  active: boolean;
}

/**
 * Throttles the DynamoDB calls of `table` that `matches` picks: each attempt
 * (the SDK retries throttling itself) fails with ProvisionedThroughputExceededException,
 * or only the first `attemptsPerCall` attempts of each call when given.
 */
export function throttle(table: Table, matches: (call: DynamoCall) => boolean, attemptsPerCall = Infinity): Throttle {
  const state: Throttle = { refused: 0, active: true };
  table.doc.middlewareStack.add(
    (next, context) => {
      let attempts = 0;
      return async (args) => {
        const input = args.input as { Key?: { sk?: { S?: string } }; Item?: { sk?: { S?: string } } };
        const call = { command: String(context.commandName), sk: input.Key?.sk?.S ?? input.Item?.sk?.S ?? '' };
        if (state.active && matches(call) && attempts++ < attemptsPerCall) {
          state.refused++;
          throw new ProvisionedThroughputExceededException({
            message: 'The level of configured provisioned throughput for the table was exceeded.',
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      };
    },
    // Inside the retry middleware (finalizeRequest, high priority), so every attempt passes here.
    { step: 'finalizeRequest', name: 'injectedThrottling' },
  );
  return state;
}

/** A secret store whose operations fail with Secrets Manager's InternalServiceError while switched on. */
export class FailingSecrets implements SecretBackend {
  failing = { get: false, put: false, delete: false };
  failures = 0;

  constructor(private readonly inner: SecretBackend) {}

  private fail(): never {
    this.failures++;
    throw new InternalServiceError({ message: 'An error occurred on the server side.', $metadata: { httpStatusCode: 500 } });
  }

  async get(name: string) {
    if (this.failing.get) this.fail();
    return this.inner.get(name);
  }

  async put(name: string, value: string) {
    if (this.failing.put) this.fail();
    return this.inner.put(name, value);
  }

  async delete(name: string) {
    if (this.failing.delete) this.fail();
    return this.inner.delete(name);
  }
}

/** The production Secrets Manager backend, with a real SDK client pointed at a port nothing answers on. */
export function unreachableSecretsManager(port: number): { backend: SecretsManagerBackend; close(): void } {
  const client = new SecretsManagerClient({
    region: 'local',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });
  return { backend: new SecretsManagerBackend(client, 'tollgate/test/'), close: () => client.destroy() };
}
