// Keeps an instance's OAuth access token usable. A token is refreshed shortly
// before it expires, and once after the vendor rejects it with 401. However
// many calls find it stale at the same time, exactly one refresh reaches the
// vendor: calls in one container share one promise, and across containers a
// lease item (conditional write with a short expiry) lets one caller refresh
// while the others poll the instance until its credentials revision moves on.
// A refused refresh marks the instance invalid with the vendor's error; later
// calls fail fast instead of asking the vendor again, so nothing loops.
import { SingleFlight } from '../cache/ttl-cache.js';
import { randomId } from '../crypto/random.js';
import { HttpError, notFound, serviceUnavailable } from '../http/errors.js';
import { logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import type { ResolvedElement } from './catalog.js';
import type { OAuth2Authentication } from './element-schema.js';
import {
  getInstance,
  openCredentials,
  recordInstanceEvent,
  rememberInstance,
  sealCredentials,
  type InstanceItem,
  type VendorCredentials,
} from './instances.js';
import { refreshTokens, TokenEndpointError, TOKEN_TIMEOUT_MS } from './oauth.js';
import { instanceKeys, instanceRefreshLeaseKeys } from '../store/keys.js';

/** Longer than one token request may take, so a live holder never loses its lease. */
export const LEASE_MS = TOKEN_TIMEOUT_MS + 5_000;
const POLL_MS = 100;
const ROUNDS = 3;

export interface UsableCredentials {
  item: InstanceItem;
  credentials: VendorCredentials;
  /** True when this call's refresh (or one it waited for) produced the credentials. */
  refreshed: boolean;
}

type Trigger = { reason: 'expiry' } | { reason: 'rejected'; accessToken: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function instanceInvalid(item: InstanceItem): HttpError {
  const cause = item.validationError ? ` (${item.validationError.code}: ${item.validationError.message})` : '';
  return new HttpError(
    401,
    'instance_invalid',
    `Instance ${item.id} is no longer authenticated with the vendor${cause}; re-authenticate it with PUT /elements/api-v2/instances/${item.id}`,
  );
}

export function isExpiring(credentials: VendorCredentials, auth: OAuth2Authentication, now = Date.now()): boolean {
  return credentials.expiresAt !== undefined && credentials.expiresAt - now <= auth.tokenExpiry.refreshBeforeSeconds * 1000;
}

function canRefresh(credentials: VendorCredentials, auth: OAuth2Authentication): boolean {
  return auth.refresh && Boolean(credentials.refreshToken) && Boolean(credentials.clientId);
}

function stillStale(credentials: VendorCredentials, auth: OAuth2Authentication, trigger: Trigger): boolean {
  return trigger.reason === 'expiry' ? isExpiring(credentials, auth) : credentials.accessToken === trigger.accessToken;
}

/** Credentials to call the vendor with, refreshed first when the access token is about to expire. */
export async function credentialsForCall(rt: Runtime, item: InstanceItem, element: ResolvedElement): Promise<UsableCredentials> {
  const credentials = await openCredentials(rt, item);
  const auth = element.definition.authentication;
  if (auth.type !== 'oauth2' || !isExpiring(credentials, auth) || !canRefresh(credentials, auth)) {
    return { item, credentials, refreshed: false };
  }
  return refreshOnce(rt, item, element, { reason: 'expiry' });
}

/** After a vendor 401: a refreshed token, or undefined when the instance cannot refresh. */
export async function credentialsAfterRejection(
  rt: Runtime,
  item: InstanceItem,
  element: ResolvedElement,
  rejected: VendorCredentials,
): Promise<UsableCredentials | undefined> {
  const auth = element.definition.authentication;
  if (auth.type !== 'oauth2' || !rejected.accessToken || !canRefresh(rejected, auth)) return undefined;
  return refreshOnce(rt, item, element, { reason: 'rejected', accessToken: rejected.accessToken });
}

/** One refresh per instance in flight in this container; concurrent callers share it. */
function refreshOnce(rt: Runtime, item: InstanceItem, element: ResolvedElement, trigger: Trigger): Promise<UsableCredentials> {
  const flights = rt.service('connectors.refresh-flights', () => new SingleFlight<string, UsableCredentials>());
  return flights.run(`${item.organization}\n${item.id}`, () => coordinatedRefresh(rt, item, element, trigger));
}

async function coordinatedRefresh(rt: Runtime, item: InstanceItem, element: ResolvedElement, trigger: Trigger): Promise<UsableCredentials> {
  const leaseKeys = instanceRefreshLeaseKeys(item.organization, item.id);
  let seenRevision = item.credentialsRevision;
  for (let round = 0; round < ROUNDS; round++) {
    const holder = randomId();
    const now = Date.now();
    const acquired = await rt.table.setIf(
      leaseKeys,
      { type: 'refreshLease', holder, leaseUntil: now + LEASE_MS, expiresAt: Math.ceil((now + LEASE_MS) / 1000) + 60 },
      'attribute_not_exists(pk) OR leaseUntil < :now',
      { ':now': now },
    );
    if (acquired) {
      try {
        return await refreshUnderLease(rt, item, element, trigger, seenRevision);
      } finally {
        await rt.table.delete(leaseKeys, { condition: 'holder = :holder', values: { ':holder': holder } });
      }
    }
    const latest = await waitForOtherRefresh(rt, item, seenRevision);
    if (latest) {
      if (!latest.valid) throw instanceInvalid(latest);
      const credentials = await openCredentials(rt, latest);
      const auth = element.definition.authentication as OAuth2Authentication;
      if (!stillStale(credentials, auth, trigger)) {
        rememberInstance(rt, latest);
        return { item: latest, credentials, refreshed: true };
      }
      seenRevision = latest.credentialsRevision;
    }
  }
  throw serviceUnavailable(`The access token of instance ${item.id} is being refreshed elsewhere; retry shortly`, 'refresh_in_progress');
}

/** Polls until the credentials revision moves on (returns the instance) or the lease is gone (undefined). */
async function waitForOtherRefresh(rt: Runtime, item: InstanceItem, seenRevision: number): Promise<InstanceItem | undefined> {
  const leaseKeys = instanceRefreshLeaseKeys(item.organization, item.id);
  const deadline = Date.now() + LEASE_MS + 1_000;
  while (Date.now() < deadline) {
    await sleep(POLL_MS);
    const latest = await getInstance(rt, item.organization, item.id, true);
    if (!latest) throw notFound(`Instance ${item.id} was deleted`, 'instance_not_found');
    if (latest.credentialsRevision !== seenRevision) return latest;
    const lease = await rt.table.get<{ leaseUntil?: number } & InstanceItem>(leaseKeys, { consistent: true });
    if (!lease || (lease.leaseUntil ?? 0) < Date.now()) return undefined;
  }
  return undefined;
}

async function refreshUnderLease(
  rt: Runtime,
  item: InstanceItem,
  element: ResolvedElement,
  trigger: Trigger,
  seenRevision: number,
): Promise<UsableCredentials> {
  const auth = element.definition.authentication as OAuth2Authentication;
  const current = await getInstance(rt, item.organization, item.id, true);
  if (!current) throw notFound(`Instance ${item.id} was deleted`, 'instance_not_found');
  if (!current.valid) throw instanceInvalid(current);
  const credentials = await openCredentials(rt, current);
  // Someone refreshed (or re-authenticated) between our read and the lease: use theirs.
  if (current.credentialsRevision !== seenRevision && !stillStale(credentials, auth, trigger)) {
    rememberInstance(rt, current);
    return { item: current, credentials, refreshed: true };
  }
  if (!canRefresh(credentials, auth)) return { item: current, credentials, refreshed: false };

  let tokens;
  try {
    tokens = await refreshTokens(
      rt,
      auth,
      current.configuration,
      { clientId: credentials.clientId!, clientSecret: credentials.clientSecret ?? '' },
      credentials.refreshToken!,
    );
  } catch (error) {
    if (error instanceof TokenEndpointError || (error instanceof HttpError && error.status >= 502)) {
      const failed = await countFailedRefresh(rt, current, error);
      if (failed.disabled) throw new HttpError(403, 'instance_disabled', `Instance ${current.id} was disabled: ${failed.disabledReason}`);
      if (!failed.valid) throw instanceInvalid(failed);
      if (error instanceof HttpError) throw error;
      throw new HttpError(502, 'vendor_token_error', `Refreshing the access token failed: ${error.message}`);
    }
    throw error;
  }
  const next: VendorCredentials = {
    ...credentials,
    accessToken: tokens.accessToken,
    tokenType: tokens.tokenType,
    // Rotation: a vendor that returns a new refresh token invalidates the old one.
    refreshToken: tokens.refreshToken ?? credentials.refreshToken,
    ...(tokens.scope ? { scope: tokens.scope } : {}),
  };
  if (tokens.expiresAt !== undefined) next.expiresAt = tokens.expiresAt;
  else delete next.expiresAt;
  const stored = await storeRefreshed(rt, current, next, tokens.captured);
  logger.info('connector access token refreshed', {
    organization: current.organization,
    instanceId: current.id,
    reason: trigger.reason,
    rotated: Boolean(tokens.refreshToken && tokens.refreshToken !== credentials.refreshToken),
  });
  return stored;
}

async function storeRefreshed(
  rt: Runtime,
  current: InstanceItem,
  credentials: VendorCredentials,
  captured: Record<string, string>,
): Promise<UsableCredentials> {
  const envelope = await rt.dataKey();
  let base = current;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const updated = await rt.table.replace<InstanceItem>(
        {
          ...base,
          configuration: { ...base.configuration, ...captured },
          sealedCredentials: sealCredentials(envelope, base.organization, base.id, credentials),
          credentialsRevision: base.credentialsRevision + 1,
          failedRefreshes: 0,
        },
        base.version,
      );
      rememberInstance(rt, updated);
      return { item: updated, credentials, refreshed: true };
    } catch (error) {
      if (!(error instanceof HttpError && error.status === 409)) throw error;
      const latest = await getInstance(rt, current.organization, current.id, true);
      if (!latest) throw notFound(`Instance ${current.id} was deleted`, 'instance_not_found');
      // Re-authenticated meanwhile: its new credentials win over this refresh.
      if (latest.credentialsRevision !== current.credentialsRevision) {
        return { item: latest, credentials: await openCredentials(rt, latest), refreshed: true };
      }
      base = latest; // only name or tags changed
    }
  }
  throw serviceUnavailable(`Instance ${current.id} is being changed concurrently; retry`, 'instance_busy');
}

/** Open Connectors' rule: an instance whose token refresh fails this many times in a row is disabled. */
export const MAX_FAILED_REFRESHES = 5;

/**
 * Counts a failed refresh. A refusal by the vendor marks the instance invalid
 * with the vendor's error; the fifth failure in a row, refused or not,
 * disables it with the reason and records the event.
 */
async function countFailedRefresh(rt: Runtime, current: InstanceItem, error: TokenEndpointError | HttpError): Promise<InstanceItem> {
  const refused = error instanceof TokenEndpointError && error.permanent;
  const what = error instanceof TokenEndpointError ? error.error : error.code;
  logger.warn(refused ? 'connector token refresh refused by the vendor' : 'connector token refresh failed', { organization: current.organization, instanceId: current.id, vendorError: what });
  let disabledNow = false;
  const updated = await rt.table.modify<InstanceItem>(instanceKeys(current.organization, current.id), (latest) => {
    const failedRefreshes = (latest.failedRefreshes ?? 0) + 1;
    const next: InstanceItem = { ...latest, failedRefreshes };
    if (refused) {
      next.valid = false;
      next.validationError = { code: error.error, message: error.description ?? 'refresh refused', at: new Date().toISOString() };
      next.credentialsRevision = latest.credentialsRevision + 1;
    }
    if (failedRefreshes >= MAX_FAILED_REFRESHES && !latest.disabled) {
      disabledNow = true;
      next.disabled = true;
      next.disabledReason = `the access token could not be refreshed ${failedRefreshes} times in a row (last: ${what})`;
    }
    return next;
  });
  rememberInstance(rt, updated);
  if (disabledNow) {
    logger.warn('connector instance disabled after failed refreshes', { organization: current.organization, instanceId: current.id, failedRefreshes: updated.failedRefreshes });
    await recordInstanceEvent(rt, updated, 'instance.disabled', updated.disabledReason!);
  }
  return updated;
}
