// Who is calling the platform: what the router's authenticators return and
// every platform handler receives, already checked against the route's
// organization and role (shared/http/router.ts).
import type { RoutePrincipal, Router } from '../http/router.js';
import type { Runtime } from '../runtime.js';

/**
 * Who a platform header's user secret stands for on the connectors API
 * (Open Connectors' organization > accounts > users).
 */
export interface ConnectorIdentity {
  /** The account user's numeric id (`/users/{id}`, an instance's `user.id`). */
  userId: number;
  accountId: number;
  /** Administers its account: sees and manages the account's users and instances. */
  accountAdmin: boolean;
  /** The organization's own user, whom the organization's original user secret stands for; instances without an owner are its. */
  organizationUser: boolean;
}

export interface Principal extends RoutePrincipal {
  /** The management user's email (lower-cased): Basic and Bearer callers, and a platform header whose user secret is a management user's. */
  user?: string;
  /** The instance token of the `Element` part of the platform header. */
  element?: string;
  /** A developer portal session's developer (the `developer` scheme): in `organization` only, never a management role. */
  developer?: { email: string; developerId: string };
  /** The account user of the platform header's user secret. */
  connector?: ConnectorIdentity;
}

/** The router of the platform function's routes. */
export type PlatformRouter = Router<Runtime, Principal>;

/** The challenges of 401 answers (RFC 9110 section 11.6.1), one per scheme family. */
export const PLATFORM_CHALLENGE = 'User realm="tollgate", Organization realm="tollgate"';
export const MANAGEMENT_CHALLENGE = `Basic realm="tollgate", charset="UTF-8", Bearer realm="tollgate", ${PLATFORM_CHALLENGE}`;
