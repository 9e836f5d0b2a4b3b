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
import { oauth1RequestTokenKeys, oauthStateKeys, orgPartition, pkceVerifierKeys } from '../store/keys.js';

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
  /** Who asked, so that a code posted without `state` finds its verifier (seed 001's payload). */
  clientId?: string;
  callbackUrl?: string;
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

/**
 * Open Connectors mode: remembers the PKCE verifier under the caller's state,
 * or, without one, under a random key with the client id and callback URL.
 */
export async function savePkceVerifier(
  rt: Runtime,
  org: string,
  elementKey: string,
  callerState: string | undefined,
  verifier: string,
  client: { clientId: string; callbackUrl: string },
): Promise<void> {
  const envelope = await rt.dataKey();
  const fingerprint = envelope.fingerprint(`${elementKey}\n${callerState ?? `pending:${randomSecret(32)}`}`);
  await rt.table.put({
    ...pkceVerifierKeys(org, elementKey, fingerprint),
    type: 'oauthPkce',
    sealedVerifier: envelope.encrypt(verifier, stateContext(org, fingerprint)),
    clientId: client.clientId,
    callbackUrl: client.callbackUrl,
    expiresAt: nowSeconds() + STATE_LIFETIME_SECONDS,
  });
}

async function claimPkceItem(rt: Runtime, org: string, elementKey: string, fingerprint: string): Promise<string | undefined> {
  const envelope = await rt.dataKey();
  const item = await rt.table.delete<PkceItem>(pkceVerifierKeys(org, elementKey, fingerprint), {
    condition: 'attribute_exists(pk) AND expiresAt > :now',
    values: { ':now': nowSeconds() },
  });
  if (!item || item.type !== 'oauthPkce') return undefined;
  return envelope.decryptText(item.sealedVerifier, stateContext(org, fingerprint));
}

/** Claims the verifier saved for this state once. */
export async function claimPkceVerifier(rt: Runtime, org: string, elementKey: string, callerState: string): Promise<string | undefined> {
  const envelope = await rt.dataKey();
  return claimPkceItem(rt, org, elementKey, envelope.fingerprint(`${elementKey}\n${callerState}`));
}

export class AmbiguousAuthorization extends Error {
  override name = 'AmbiguousAuthorization';
}

/**
 * A code posted without `state`: the one pending authorization of this
 * element for this client id and callback URL, claimed once. Throws
 * AmbiguousAuthorization when several are pending (the caller must name one).
 */
export async function claimPendingPkceVerifier(rt: Runtime, org: string, elementKey: string, clientId: string, callbackUrl: string): Promise<string | undefined> {
  const prefix = pkceVerifierKeys(org, elementKey, '').sk;
  const now = nowSeconds();
  const pending = (await rt.table.queryAll<PkceItem>(orgPartition(org), { prefix, consistent: true })).filter(
    (item) => item.type === 'oauthPkce' && (item.expiresAt ?? 0) > now && item.clientId === clientId && item.callbackUrl === callbackUrl,
  );
  if (pending.length > 1) throw new AmbiguousAuthorization(`${pending.length} authorizations of ${elementKey} are pending for this client and callback URL`);
  const [item] = pending;
  return item ? claimPkceItem(rt, org, elementKey, item.sk.slice(prefix.length)) : undefined;
}

interface RequestTokenItem extends StoredItem {
  type: 'oauth1RequestToken';
  sealedSecret: string;
}

/** OAuth 1.0a: keeps a request token's secret until the app posts the verifier (ten minutes, once). */
export async function saveRequestTokenSecret(rt: Runtime, org: string, elementKey: string, token: string, secret: string): Promise<void> {
  const envelope = await rt.dataKey();
  const fingerprint = envelope.fingerprint(`${elementKey}\n${token}`);
  await rt.table.put({
    ...oauth1RequestTokenKeys(org, elementKey, fingerprint),
    type: 'oauth1RequestToken',
    sealedSecret: envelope.encrypt(secret, stateContext(org, fingerprint)),
    expiresAt: nowSeconds() + STATE_LIFETIME_SECONDS,
  });
}

export async function claimRequestTokenSecret(rt: Runtime, org: string, elementKey: string, token: string): Promise<string | undefined> {
  const envelope = await rt.dataKey();
  const fingerprint = envelope.fingerprint(`${elementKey}\n${token}`);
  const item = await rt.table.delete<RequestTokenItem>(oauth1RequestTokenKeys(org, elementKey, fingerprint), {
    condition: 'attribute_exists(pk) AND expiresAt > :now',
    values: { ':now': nowSeconds() },
  });
  if (!item || item.type !== 'oauth1RequestToken') return undefined;
  return envelope.decryptText(item.sealedSecret, stateContext(org, fingerprint));
}
