// Platform authentication: the Open Connectors header
//   Authorization: User <userSecret>, Organization <organizationSecret>[, Element <instanceToken>]
// Parsed strictly (each part once, nothing else), compared in constant time,
// and cached briefly so warm requests make no store or secret calls.
import { safeEqual, sha256Hex } from '../crypto/compare.js';
import { HttpError, forbidden } from '../http/errors.js';
import type { HttpRequest } from '../http/request.js';
import type { Runtime } from '../runtime.js';
import { ensureOrganization, findOrganizationByFingerprint, readPlatformCredentials, type Organization } from './organizations.js';

export interface PlatformAuthorization {
  user: string;
  organization: string;
  element?: string;
}

export interface Principal {
  organization: string;
  /** The instance token, when the caller addressed a connector instance. */
  element?: string;
}

const PART = /^(user|organization|element)\s+(\S+)$/i;
const CACHE_TTL_MS = 30_000;
const CACHE_MAX = 10_000;

const unauthorized = (message: string) =>
  new HttpError(401, 'unauthorized', message, {
    headers: { 'www-authenticate': 'User realm="tollgate", Organization realm="tollgate"' },
  });

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

interface CacheEntry {
  organization: string;
  expires: number;
}

export class PlatformAuthenticator {
  private readonly cache = new Map<string, CacheEntry>();
  private defaultOrg: Promise<void> | undefined;

  constructor(private readonly rt: Runtime) {}

  /**
   * On AWS the stack creates the default organization's secrets; the first
   * authentication in a container makes sure its record exists too.
   */
  private ensureDefaultOrganization(): Promise<void> {
    // The stack's tollgate:allowedRedirectOrigins (TOLLGATE_ALLOWED_REDIRECT_ORIGINS) seed a new record.
    const origins = this.rt.config.allowedRedirectOrigins;
    this.defaultOrg ??= ensureOrganization(this.rt, this.rt.config.defaultOrganization, {}, origins.length ? { allowedRedirectOrigins: origins } : {})
      .then(() => undefined)
      .catch((error: unknown) => {
        this.defaultOrg = undefined;
        throw error;
      });
    return this.defaultOrg;
  }

  async authenticate(request: HttpRequest): Promise<Principal> {
    const parsed = parsePlatformAuthorization(request.headers.authorization);
    if (!request.headers.authorization) throw unauthorized('Authorization header is required: User <secret>, Organization <secret>');
    if (!parsed) throw unauthorized('Authorization header is malformed; expected User <secret>, Organization <secret>[, Element <token>]');
    const organization = await this.verify(parsed.user, parsed.organization);
    return { organization, ...(parsed.element ? { element: parsed.element } : {}) };
  }

  private async verify(user: string, organizationSecret: string): Promise<string> {
    const cacheKey = sha256Hex(`${user}\n${organizationSecret}`);
    const hit = this.cache.get(cacheKey);
    if (hit && hit.expires > Date.now()) return hit.organization;

    await this.ensureDefaultOrganization();
    const envelope = await this.rt.dataKey();
    const org =
      (await findOrganizationByFingerprint(this.rt, envelope.fingerprint(organizationSecret))) ??
      (await this.adoptRotatedDefaultSecret(organizationSecret));
    if (!org) throw unauthorized('Invalid platform credentials');
    const stored = await readPlatformCredentials(this.rt, org.name);
    if (!stored) throw unauthorized('Invalid platform credentials');
    // Evaluate both comparisons: no early exit that would tell which one failed.
    const organizationMatches = safeEqual(organizationSecret, stored.organizationSecret);
    const userMatches = safeEqual(user, stored.userSecret);
    if (!(organizationMatches && userMatches)) throw unauthorized('Invalid platform credentials');

    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(cacheKey, { organization: org.name, expires: Date.now() + CACHE_TTL_MS });
    return org.name;
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
  return rt.service('platform-auth', () => new PlatformAuthenticator(rt));
}

/** Authenticates and checks that the `{org}` in the path is the caller's own. */
export async function authenticateForOrg(rt: Runtime, request: HttpRequest, org: string | undefined): Promise<Principal> {
  const principal = await platformAuthenticator(rt).authenticate(request);
  if (org !== undefined && org !== principal.organization) {
    throw forbidden(`Organization "${org}" is not accessible with these credentials`);
  }
  return principal;
}
