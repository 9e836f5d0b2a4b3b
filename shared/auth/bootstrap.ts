// What must exist before the first authenticated call: the default
// organization's record (its secrets come from the stack on AWS, from the
// first start locally) and the first management user, orgadmin of that
// organization. Run once per container, retried after a failure.
import { logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import { randomSecret } from '../crypto/random.js';
import { ensureOrganization } from './organizations.js';
import { ensureUser } from './users.js';

/** The secret that holds the first management user's password (the stack generates it on AWS). */
export const ADMIN_PASSWORD_SECRET = 'admin-password';

/**
 * The first user's password: `TOLLGATE_ADMIN_PASSWORD`, else the stored one,
 * else (locally) a generated one that is stored. Undefined on AWS while the
 * stack's secret is missing.
 */
export async function adminPassword(rt: Runtime): Promise<{ password: string; generated: boolean } | undefined> {
  if (rt.config.adminPassword) return { password: rt.config.adminPassword, generated: false };
  const stored = await rt.secrets.get(ADMIN_PASSWORD_SECRET);
  if (stored) return { password: stored, generated: false };
  if (rt.config.mode !== 'local') return undefined;
  const password = randomSecret(24);
  await rt.secrets.put(ADMIN_PASSWORD_SECRET, password);
  return { password, generated: true };
}

/** Creates the first management user if it does not exist; reports whether its password was generated now. */
export async function ensureAdminUser(rt: Runtime): Promise<{ created: boolean; generatedPassword: boolean }> {
  let generatedPassword = false;
  const { created } = await ensureUser(rt, rt.config.defaultOrganization, rt.config.adminEmail, async () => {
    const found = await adminPassword(rt);
    if (!found) throw new Error(`The ${ADMIN_PASSWORD_SECRET} secret is missing; deploy the stack again`);
    generatedPassword = found.generated;
    return found.password;
  });
  return { created, generatedPassword };
}

export function bootstrap(rt: Runtime): Promise<void> {
  return rt.service('auth.bootstrap', () => new Bootstrap(rt)).run();
}

class Bootstrap {
  private done: Promise<void> | undefined;
  constructor(private readonly rt: Runtime) {}

  run(): Promise<void> {
    // The stack's tollgate:allowedRedirectOrigins (TOLLGATE_ALLOWED_REDIRECT_ORIGINS) seed a new record.
    const origins = this.rt.config.allowedRedirectOrigins;
    this.done ??= ensureOrganization(this.rt, this.rt.config.defaultOrganization, {}, origins.length ? { allowedRedirectOrigins: origins } : {})
      .then(() =>
        ensureAdminUser(this.rt).catch((error: unknown) => {
          // The platform header keeps working; management users wait for the secret.
          logger.warn('first management user not created', { error: error instanceof Error ? error.message : String(error) });
        }),
      )
      .then(() => undefined)
      .catch((error: unknown) => {
        this.done = undefined;
        throw error;
      });
    return this.done;
  }
}
