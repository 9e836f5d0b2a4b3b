// Who is calling the platform: what the router's authenticators return and
// every platform handler receives, already checked against the route's
// organization and role (shared/http/router.ts).
import type { RoutePrincipal, Router } from '../http/router.js';
import type { Runtime } from '../runtime.js';

export interface Principal extends RoutePrincipal {
  /** The management user's email (lower-cased), for Basic and Bearer callers. */
  user?: string;
  /** The instance token of the `Element` part of the platform header. */
  element?: string;
}

/** The router of the platform function's routes. */
export type PlatformRouter = Router<Runtime, Principal>;

/** The challenges of 401 answers (RFC 9110 section 11.6.1), one per scheme family. */
export const PLATFORM_CHALLENGE = 'User realm="tollgate", Organization realm="tollgate"';
export const MANAGEMENT_CHALLENGE = `Basic realm="tollgate", charset="UTF-8", Bearer realm="tollgate", ${PLATFORM_CHALLENGE}`;
