// Consumer keys in rollups: the table never holds one in the clear (docs/store.md).
// The `client_id` dimension is the key's keyed fingerprint (the same one the
// consumer store uses, so it groups and filters), and each row keeps the key
// sealed with the data key, bound to its purpose, for the stats API to show.
import type { Runtime } from '../runtime.js';
import type { ClientIdProtection } from './rollup.js';

const SEAL_CONTEXT = 'analytics-client-id';
const fingerprintInput = (clientId: string) => `api-key\n${clientId}`;

export async function clientIdProtection(rt: Runtime): Promise<ClientIdProtection> {
  const envelope = await rt.dataKey();
  return {
    fingerprint: (clientId) => envelope.fingerprint(fingerprintInput(clientId)),
    seal: (clientId) => envelope.encrypt(clientId, SEAL_CONTEXT),
  };
}

/** The stats API's view: fingerprints of filter values, and the keys back from sealed copies. */
export async function clientIdReader(rt: Runtime): Promise<{ fingerprint(clientId: string): string; open(sealed: string): string | undefined }> {
  const envelope = await rt.dataKey();
  return {
    fingerprint: (clientId) => envelope.fingerprint(fingerprintInput(clientId)),
    open: (sealed) => {
      try {
        return envelope.decryptText(sealed, SEAL_CONTEXT);
      } catch {
        return undefined;
      }
    },
  };
}
