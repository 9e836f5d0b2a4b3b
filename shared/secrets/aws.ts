// Secrets Manager backend. Names are relative; the stack's prefix (for example
// `tollgate/prod/`) is prepended so IAM can scope access to `tollgate/prod/*`.
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { SecretBackend } from './store.js';

const isNotFound = (error: unknown) => error instanceof Error && error.name === 'ResourceNotFoundException';

export class SecretsManagerBackend implements SecretBackend {
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly prefix: string,
    /** Customer managed key for new secrets; undefined = the account's aws/secretsmanager key. */
    private readonly kmsKeyId?: string,
  ) {}

  static create(region: string, prefix: string, kmsKeyId?: string): SecretsManagerBackend {
    return new SecretsManagerBackend(new SecretsManagerClient({ region, maxAttempts: 3 }), prefix, kmsKeyId);
  }

  async get(name: string): Promise<string | undefined> {
    try {
      const result = await this.client.send(new GetSecretValueCommand({ SecretId: this.prefix + name }));
      return result.SecretString;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async put(name: string, value: string): Promise<void> {
    try {
      await this.client.send(new PutSecretValueCommand({ SecretId: this.prefix + name, SecretString: value }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.client.send(
        new CreateSecretCommand({
          Name: this.prefix + name,
          SecretString: value,
          ...(this.kmsKeyId ? { KmsKeyId: this.kmsKeyId } : {}),
          Description: 'Managed by Tollgate',
          Tags: [{ Key: 'managed-by', Value: 'tollgate' }],
        }),
      );
    }
  }

  async delete(name: string): Promise<void> {
    try {
      // Immediate deletion so the same name can be created again (a deleted
      // provider recreated under its old name).
      await this.client.send(new DeleteSecretCommand({ SecretId: this.prefix + name, ForceDeleteWithoutRecovery: true }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}
