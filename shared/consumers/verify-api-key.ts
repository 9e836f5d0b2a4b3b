// API-key verification for the proxy runtime's VerifyAPIKey policy: a consumer
// key in, the app, developer and approved products out. Cached per container.
import { CredentialError } from '../credentials/errors.js';
import type { Runtime } from '../runtime.js';
import { checkConsumerUsable, lookupConsumer } from './lookup.js';
import type { ApiProduct } from './products.js';

export interface VerifiedApiKey {
  organization: string;
  consumerKey: string;
  /** Absent for credentials made before consumer secrets were kept sealed. */
  consumerSecret?: string;
  app: { appId: string; name: string; status: string; attributes: Record<string, string> };
  developer: { email: string; developerId: string; status: string };
  /** Approved products bound to this credential. */
  products: ApiProduct[];
}

/** The organization's consumer behind an API key; cached per container (short TTL). Throws CredentialError. */
export async function verifyApiKey(rt: Runtime, consumerKey: string, organization: string): Promise<VerifiedApiKey> {
  const consumer = typeof consumerKey === 'string' ? await lookupConsumer(rt, consumerKey, organization) : undefined;
  if (!consumer) throw new CredentialError('invalid_key', 'Invalid API key');
  checkConsumerUsable(consumer);
  return {
    organization: consumer.organization,
    consumerKey: consumer.consumerKey,
    ...(consumer.consumerSecret === undefined ? {} : { consumerSecret: consumer.consumerSecret }),
    app: { appId: consumer.app.appId, name: consumer.app.name, status: consumer.app.status, attributes: consumer.app.attributes },
    developer: consumer.developer,
    products: consumer.products,
  };
}
