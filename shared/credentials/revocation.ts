// The revocation list: revoked access tokens (by jti, until they expire),
// revoked clients (by consumer-key fingerprint: every token issued to them up to
// the revocation stops verifying), and organizations whose consumers lost an
// authorization (a product removed from a key or deleted, an app or developer
// no longer approved or active: every container reloads the consumers it
// cached before, so their live tokens answer to what is granted now). Items sit in their organization's partition
// and are all indexed under one gsi1 partition ordered by revocation time, so a
// container refreshes its copy with one Query for the newest entries every few
// seconds instead of reading the table on every request.
import { MAX_TOKEN_LIFETIME_SECONDS } from '../config.js';
import { describeError, logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import type { StoredItem } from '../store/table.js';
import { revocationKeys, REVOCATIONS_INDEX_PARTITION } from '../store/keys.js';

export type RevocationKind = 'token' | 'client' | 'consumers';

interface RevocationItem extends StoredItem {
  type: 'revocation';
  kind: RevocationKind;
  organization: string;
  /** jti, the fingerprint of the client's consumer key, or (`consumers`) the organization. */
  subject: string;
  /** Epoch milliseconds. */
  revokedAt: number;
  expiresAt: number;
}

/** A copy older than this is refreshed in the background on the next use. */
export const REVOCATION_REFRESH_MS = 2_000;
/** A copy older than this is refreshed before it is used: the bound on how stale a check can be. */
export const REVOCATION_MAX_STALE_MS = 5_000;
/** Re-read entries this much older than the newest one seen, for clock skew and index lag. */
const OVERLAP_MS = 30_000;
const PAGE_SIZE = 200;
/**
 * How long a client revocation must be remembered: until every token issued
 * before it has expired, including tokens signed by containers that had not
 * seen it yet.
 */
const CLIENT_REVOCATION_SECONDS = MAX_TOKEN_LIFETIME_SECONDS + 120;
/** How long a change of an organization's consumers is remembered: longer than any consumer stays cached. */
const CONSUMERS_CHANGE_SECONDS = 300;

const padded = (millis: number) => String(millis).padStart(15, '0');

function revocationItem(kind: RevocationKind, organization: string, subject: string, expiresAt: number) {
  const revokedAt = Date.now();
  return {
    ...revocationKeys(organization, kind, subject),
    type: 'revocation' as const,
    kind,
    organization,
    subject,
    revokedAt,
    expiresAt,
    gsi1pk: REVOCATIONS_INDEX_PARTITION,
    gsi1sk: `${padded(revokedAt)}#${organization}#${kind}#${subject}`,
  };
}

export class RevocationList {
  /** jti -> token expiry (epoch seconds). */
  private readonly tokens = new Map<string, number>();
  /** organization and client fingerprint -> revocation time (epoch ms) and when to forget it (epoch seconds). */
  private readonly clients = new Map<string, { revokedAt: number; expiresAt: number }>();
  /** organization -> when its consumers last lost an authorization (epoch ms), and when to forget it. */
  private readonly organizations = new Map<string, { revokedAt: number; expiresAt: number }>();
  private lastSync = 0;
  private newestSeen = 0;
  private syncing: Promise<void> | undefined;
  /** Queries made; tests and benchmarks read it. */
  refreshes = 0;

  constructor(private readonly rt: Runtime) {}

  /**
   * Makes sure the copy is fresh enough to answer: returns the read to await
   * only when the copy is too old to answer without it, else nothing (a
   * refresh due soon runs in the background).
   */
  fresh(): Promise<void> | undefined {
    const age = Date.now() - this.lastSync;
    // A negative age means the clock went back: refresh rather than trust the copy.
    if (age >= 0 && age < REVOCATION_REFRESH_MS) return undefined;
    const sync = this.sync();
    if (age < 0 || age >= REVOCATION_MAX_STALE_MS) return sync;
    sync.catch((error: unknown) => logger.warn('revocation list refresh failed', { error: describeError(error) }));
    return undefined;
  }

  isTokenRevoked(jti: string): boolean {
    const expiresAt = this.tokens.get(jti);
    return expiresAt !== undefined && expiresAt * 1000 > Date.now();
  }

  /** When the organization's client was last revoked (epoch ms), if it was within the token lifetime window. */
  clientRevokedAt(organization: string, fingerprint: string): number | undefined {
    return this.clients.get(`${organization}\n${fingerprint}`)?.revokedAt;
  }

  /** When the organization's consumers last lost an authorization (epoch ms), if recently. */
  consumersChangedAt(organization: string): number | undefined {
    return this.organizations.get(organization)?.revokedAt;
  }

  /** Applies an entry this container wrote, without waiting for the next refresh. */
  remember(item: Pick<RevocationItem, 'kind' | 'organization' | 'subject' | 'revokedAt' | 'expiresAt'>): void {
    if (item.kind === 'token') this.tokens.set(item.subject, item.expiresAt);
    else {
      // A consumer key is unique per organization only: a client is its organization and key.
      const [entries, key] = item.kind === 'client' ? [this.clients, `${item.organization}\n${item.subject}`] : [this.organizations, item.subject];
      const known = entries.get(key);
      if (!known || known.revokedAt < item.revokedAt) entries.set(key, { revokedAt: item.revokedAt, expiresAt: item.expiresAt });
    }
    this.newestSeen = Math.max(this.newestSeen, item.revokedAt);
  }

  private sync(): Promise<void> {
    this.syncing ??= this.readNewest().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  private async readNewest(): Promise<void> {
    const started = Date.now();
    // Newest first; stop once entries are older than what the last refresh saw (minus the overlap).
    const cutoff = this.newestSeen === 0 ? 0 : this.newestSeen - OVERLAP_MS;
    let cursor: string | undefined;
    let done = false;
    do {
      this.refreshes++;
      const page = await this.rt.table.query<RevocationItem>(REVOCATIONS_INDEX_PARTITION, {
        index: 'gsi1',
        descending: true,
        limit: PAGE_SIZE,
        ...(cursor ? { cursor } : {}),
      });
      for (const item of page.items) {
        if (item.type !== 'revocation') continue;
        if (item.revokedAt < cutoff) {
          done = true;
          break;
        }
        this.remember(item);
      }
      cursor = page.next;
    } while (cursor && !done);
    this.prune();
    this.lastSync = started;
  }

  private prune(): void {
    const nowSeconds = Date.now() / 1000;
    for (const [jti, expiresAt] of this.tokens) if (expiresAt <= nowSeconds) this.tokens.delete(jti);
    for (const [fingerprint, entry] of this.clients) if (entry.expiresAt <= nowSeconds) this.clients.delete(fingerprint);
    for (const [organization, entry] of this.organizations) if (entry.expiresAt <= nowSeconds) this.organizations.delete(organization);
  }
}

export function revocationList(rt: Runtime): RevocationList {
  return rt.service('credentials.revocation-list', () => new RevocationList(rt));
}

/** Records a revoked access token until it would have expired anyway. */
export async function revokeTokenId(rt: Runtime, input: { organization: string; jti: string; exp: number }): Promise<void> {
  const item = revocationItem('token', input.organization, input.jti, input.exp);
  await rt.table.put(item);
  revocationList(rt).remember(item);
}

/** Records that every token issued to this client until now is revoked. */
export async function revokeClient(rt: Runtime, input: { organization: string; keyFingerprint: string }): Promise<void> {
  const item = revocationItem('client', input.organization, input.keyFingerprint, Math.floor(Date.now() / 1000) + CLIENT_REVOCATION_SECONDS);
  await rt.table.put(item);
  revocationList(rt).remember(item);
}

/**
 * Records that consumers of the organization lost an authorization: every
 * container reloads the consumers it cached before now (within
 * REVOCATION_MAX_STALE_MS), and their tokens answer to what is granted then.
 */
export async function consumersWithdrawn(rt: Runtime, organization: string): Promise<void> {
  const item = revocationItem('consumers', organization, organization, Math.floor(Date.now() / 1000) + CONSUMERS_CHANGE_SECONDS);
  await rt.table.put(item);
  revocationList(rt).remember(item);
}
