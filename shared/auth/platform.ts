// Platform authentication: the Open Connectors header
//   Authorization: User <userSecret>, Organization <organizationSecret>[, Element <instanceToken>]
// The organization secret names the organization; the user secret names one of
// its users: the organization's own user secret stands for its organization
// user (the first management user in the default organization), any other is
// an account user's (shared/auth/accounts.ts), with that user's role. Parsed
// strictly (each part once, nothing else), compared in constant time, and
// cached briefly so warm requests make no store or secret calls.
import { TtlCache } from '../cache/ttl-cache.js';
import { safeEqual, sha256Hex } from '../crypto/compare.js';
import { HttpError } from '../http/errors.js';
import type { HttpRequest } from '../http/request.js';
import type { Runtime } from '../runtime.js';
import type { Role } from '../http/router.js';
import { authenticateAccountUser, connectorIdentity, findAccount, getAccountUser, organizationDirectory } from './accounts.js';
import { bootstrap } from './bootstrap.js';
import { ensureOrganization, findOrganizationByFingerprint, readPlatformCredentials, type Organization } from './organizations.js';
import { PLATFORM_CHALLENGE, type ConnectorIdentity, type Principal } from './principal.js';

/** Who a user secret stands for in its organization. */
interface PlatformIdentity {
  organization: string;
  role: Role;
  /** The management user's email, when the account user is one. */
  user?: string;
  connector: ConnectorIdentity;
}

export interface PlatformAuthorization {
  user: string;
  organization: string;
  element?: string;
}

const PART = /^(user|organization|element)\s+(\S+)$/i;
const CACHE_TTL_MS = 30_000;

/** A 401 with the given challenge (the platform header's by default). */
export const unauthorized = (message: string, challenge = PLATFORM_CHALLENGE, code = 'unauthorized') =>
  new HttpError(401, code, message, { headers: { 'www-authenticate': challenge } });

/** Parses the header value; undefined when it is not a well-formed platform header. */
export function parsePlatformAuthorization(header: string | undefined): PlatformAuthorization | undefined {
  if (!header || header.length > 4096) return undefined;
  const parts: Partial<Record<'user' | 'organization' | 'element', string>> = {};
  for (const raw of header.split(',')) {
    const match = PART.exec(raw.trim());
    if (!match) return undefined;
    const key = match[1]!.toLowerCase() as 'user' | 'organization' | 'element';
    if (parts[key] !== undefined) return undefined;
    parts[key] = match[2]!;
  }
  if (!parts.user || !parts.organization) return undefined;
  return { user: parts.user, organization: parts.organization, ...(parts.element ? { element: parts.element } : {}) };
}

export class PlatformAuthenticator {
  /** Identities by a hash of the presented secrets; only successes are kept. */
  private readonly cache = new TtlCache<string, PlatformIdentity>({ ttlMs: CACHE_TTL_MS });

  constructor(private readonly rt: Runtime) {}

  /** The principal of a platform header: its user, with that user's role; 401 when the header is missing, malformed or wrong. */
  async authenticate(request: HttpRequest, challenge = PLATFORM_CHALLENGE): Promise<Principal> {
    const header = request.headers.authorization;
    if (!header) throw unauthorized('Authorization header is required: User <secret>, Organization <secret>', challenge);
    const parsed = parsePlatformAuthorization(header);
    if (!parsed) throw unauthorized('Authorization header is malformed; expected User <secret>, Organization <secret>[, Element <token>]', challenge);
    const identity = await this.verify(parsed.user, parsed.organization, challenge);
    return {
      via: 'platform',
      organization: identity.organization,
      roles: { [identity.organization]: identity.role },
      connector: identity.connector,
      ...(identity.user ? { user: identity.user } : {}),
      ...(parsed.element ? { element: parsed.element } : {}),
    };
  }

  private async verify(user: string, organizationSecret: string, challenge: string): Promise<PlatformIdentity> {
    const key = sha256Hex(`${user}\n${organizationSecret}`);
    return this.cache.get(key, async () => {
      await bootstrap(this.rt);
      const envelope = await this.rt.dataKey();
      const org =
        (await findOrganizationByFingerprint(this.rt, envelope.fingerprint(organizationSecret))) ??
        (await this.adoptRotatedDefaultSecret(organizationSecret));
      if (!org) throw unauthorized('Invalid platform credentials', challenge);
      const stored = await readPlatformCredentials(this.rt, org.name);
      if (!stored) throw unauthorized('Invalid platform credentials', challenge);
      // Evaluate both comparisons: no early exit that would tell which one failed.
      const organizationMatches = safeEqual(organizationSecret, stored.organizationSecret);
      const isOrganizationUser = safeEqual(user, stored.userSecret);
      if (!organizationMatches) throw unauthorized('Invalid platform credentials', challenge);
      if (isOrganizationUser) {
        const directory = await organizationDirectory(this.rt, org.name);
        const item = await getAccountUser(this.rt, org.name, directory.organizationUserId);
        if (!item) throw unauthorized('Invalid platform credentials', challenge);
        return { organization: org.name, role: 'orgadmin', connector: connectorIdentity(item, undefined), ...(item.email ? { user: item.email } : {}) };
      }
      const found = await authenticateAccountUser(this.rt, org.name, user);
      if (!found) throw unauthorized('Invalid platform credentials', challenge);
      const account = await findAccount(this.rt, org.name, found.item.accountId);
      return { organization: org.name, role: found.role, connector: connectorIdentity(found.item, account), user: found.item.email };
    });
  }

  /**
   * The default organization's secrets live in Secrets Manager, where an
   * operator rotates them (docs/deploy.md). A secret that finds no record but
   * equals the stored one is the rotated value: re-point the record's lookup
   * key to it. Any other unknown secret costs one cached secret read.
   */
  private async adoptRotatedDefaultSecret(organizationSecret: string): Promise<Organization | undefined> {
    const name = this.rt.config.defaultOrganization;
    const stored = await readPlatformCredentials(this.rt, name);
    if (!stored || !safeEqual(organizationSecret, stored.organizationSecret)) return undefined;
    return (await ensureOrganization(this.rt, name)).organization;
  }

  /** Forgets cached results, e.g. after credentials were rotated. */
  invalidate(): void {
    this.cache.clear();
  }
}

export function platformAuthenticator(rt: Runtime): PlatformAuthenticator {
  return rt.service('auth.platform', () => new PlatformAuthenticator(rt));
}
