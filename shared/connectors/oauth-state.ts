// Pending authorizations. Hosted mode keeps everything the callback needs
// (client, PKCE verifier, the caller's state and returnUrl) under a random
// state id; Open Connectors mode keeps only the PKCE verifier, under the
// caller's own state, until the app posts the code. Both expire after ten
// minutes and are claimed exactly once with a conditional delete.
import { randomSecret } from '../crypto/random.js';
import type { Runtime } from '../runtime.js';
import type { StoredItem } from '../store/table.js';
import type { InstanceOwner } from './instances.js';
import { ORG_NAME } from '../auth/organizations.js';
import { oauthStateKeys, pkceVerifierKeys } from '../store/keys.js';

export const STATE_LIFETIME_SECONDS = 600;

export interface HostedState extends StoredItem {
  type: 'oauthState';
  organization: string;
  elementKey: string;
  clientId: string;
  sealedClientSecret: string;
  sealedVerifier?: string;
  /** The caller's own `state`, handed back on the redirect. */
  callerState?: string;
  returnUrl: string;
  redirectUri: string;
  scope?: string;
  name: string;
  tags: string[];
  /** Non-secret element configuration values (placeholders such as a subdomain). */
  configuration: Record<string, string>;
  /** Set when the authorization re-authenticates an existing instance. */
  instanceId?: number;
  /** Whose the new instance is: the account user that asked for the URL. */
  owner?: InstanceOwner;
}

interface PkceItem extends StoredItem {
  type: 'oauthPkce';
  sealedVerifier: string;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const stateContext = (org: string, fingerprint: string) => `oauth-state:${org}:${fingerprint}`;

export type HostedStateInput = Omit<
  HostedState,
  'pk' | 'sk' | 'type' | 'version' | 'createdAt' | 'updatedAt' | 'expiresAt' | 'sealedClientSecret' | 'sealedVerifier' | 'organization'
> & { clientSecret: string; verifier?: string };

/**
 * Stores a hosted authorization and returns the `state` to send to the vendor:
 * `{org}.{random}`, so the callback finds the record with one strongly
 * consistent, conditional delete in the organization's partition.
 */
export async function createHostedState(rt: Runtime, org: string, input: HostedStateInput): Promise<{ state: string; expiresAt: number }> {
  const envelope = await rt.dataKey();
  const nonce = randomSecret(32);
  const fingerprint = envelope.fingerprint(nonce);
  const context = stateContext(org, fingerprint);
  const expiresAt = nowSeconds() + STATE_LIFETIME_SECONDS;
  const { clientSecret, verifier, ...rest } = input;
  await rt.table.create<HostedState>({
    ...oauthStateKeys(org, fingerprint),
    ...rest,
    type: 'oauthState',
    organization: org,
    sealedClientSecret: envelope.encrypt(clientSecret, context),
    ...(verifier ? { sealedVerifier: envelope.encrypt(verifier, context) } : {}),
    expiresAt,
  });
  return { state: `${org}.${nonce}`, expiresAt };
}

export interface ClaimedState {
  record: HostedState;
  clientSecret: string;
  verifier?: string;
}

/** Claims a hosted state once; undefined when it is malformed, unknown, expired or already used. */
export async function claimHostedState(rt: Runtime, state: string): Promise<ClaimedState | undefined> {
  const separator = state.indexOf('.');
  if (separator <= 0 || state.length > 200) return undefined;
  const org = state.slice(0, separator);
  const nonce = state.slice(separator + 1);
  if (!ORG_NAME.test(org) || !/^[A-Za-z0-9_-]{20,100}$/.test(nonce)) return undefined;
  const envelope = await rt.dataKey();
  const fingerprint = envelope.fingerprint(nonce);
  const record = await rt.table.delete<HostedState>(oauthStateKeys(org, fingerprint), {
    condition: 'attribute_exists(pk) AND expiresAt > :now',
    values: { ':now': nowSeconds() },
  });
  if (!record || record.type !== 'oauthState' || record.organization !== org) return undefined;
  const context = stateContext(org, fingerprint);
  return {
    record,
    clientSecret: envelope.decryptText(record.sealedClientSecret, context),
    ...(record.sealedVerifier ? { verifier: envelope.decryptText(record.sealedVerifier, context) } : {}),
  };
}

/** Open Connectors mode: remembers the PKCE verifier under the caller's state. */
export async function savePkceVerifier(rt: Runtime, org: string, elementKey: string, callerState: string, verifier: string): Promise<void> {
  const envelope = await rt.dataKey();
  const fingerprint = envelope.fingerprint(`${elementKey}\n${callerState}`);
  await rt.table.put({
    ...pkceVerifierKeys(org, elementKey, fingerprint),
    type: 'oauthPkce',
    sealedVerifier: envelope.encrypt(verifier, stateContext(org, fingerprint)),
    expiresAt: nowSeconds() + STATE_LIFETIME_SECONDS,
  });
}

/** Claims the verifier saved for this state once. */
export async function claimPkceVerifier(rt: Runtime, org: string, elementKey: string, callerState: string): Promise<string | undefined> {
  const envelope = await rt.dataKey();
  const fingerprint = envelope.fingerprint(`${elementKey}\n${callerState}`);
  const item = await rt.table.delete<PkceItem>(pkceVerifierKeys(org, elementKey, fingerprint), {
    condition: 'attribute_exists(pk) AND expiresAt > :now',
    values: { ':now': nowSeconds() },
  });
  if (!item || item.type !== 'oauthPkce') return undefined;
  return envelope.decryptText(item.sealedVerifier, stateContext(org, fingerprint));
}
