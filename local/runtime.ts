// Starts everything the handlers need on a laptop: dynalite (on disk under the
// data directory, or in memory for tests), the table, the local secret store,
// and the default organization. Used by `npm start` and by the HTTP tests.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { loadConfig, type Config } from '../shared/config.js';
import { reserveOwnEndpoint } from '../shared/net/outbound.js';
import { ADMIN_PASSWORD_SECRET, ensureAdminUser } from '../shared/auth/bootstrap.js';
import { executeInProcess } from '../shared/formulas/executor.js';
import { withFormulaTriggers } from '../shared/formulas/triggers.js';
import { LocalFormulaScheduler } from './formulas.js';
import { ensureOrganization, type PlatformCredentials } from '../shared/auth/organizations.js';
import { Runtime } from '../shared/runtime.js';
import { FileSecretBackend, MemorySecretBackend } from '../shared/secrets/local.js';
import { CachedSecrets } from '../shared/secrets/store.js';
import { ensureTable } from '../shared/store/schema.js';
import { createDocumentClient, Table } from '../shared/store/table.js';
import { LocalEventScheduler } from './events.js';

export interface LocalRuntimeOptions {
  /** Data directory; `null` keeps everything in memory (tests). */
  dataDir: string | null;
  env?: NodeJS.ProcessEnv;
  /** Public URL of the local server (issuer, callback URLs). */
  publicUrl: string;
}

export interface LocalRuntime {
  runtime: Runtime;
  credentials: PlatformCredentials;
  generatedCredentials: boolean;
  /** The first management user; its password is TOLLGATE_ADMIN_PASSWORD or the stored `admin-password` secret. */
  admin: { email: string; created: boolean; generatedPassword: boolean; passwordSecret: string };
  secretsFile?: string;
  /** Formulas' scheduler: resumed executions, scheduled triggers (TOLLGATE_FORMULAS_TICK_MS, default 60000; 0: only on tick()). */
  formulas: LocalFormulaScheduler;
  /** Connector events' scheduler: polls and deliveries from the table (TOLLGATE_EVENTS_TICK_MS, default 5000; 0: only on tick()). */
  events: LocalEventScheduler;
  close(): Promise<void>;
}

export class DataDirLockedError extends Error {}

/** One process per data directory: dynalite's LevelDB must never be opened twice. */
function acquireLock(dataDir: string): () => void {
  const lockFile = join(dataDir, 'tollgate.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(lockFile);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(lockFile, 'utf8').trim());
      if (pid && (pid === process.pid || isRunning(pid))) {
        throw new DataDirLockedError(
          `The data directory ${dataDir} is in use by another Tollgate process (pid ${pid}). ` +
            'Stop it first, or start this one with a different DATA_DIR.',
        );
      }
      unlinkSync(lockFile); // stale lock from a process that died
    }
  }
  throw new DataDirLockedError(`Could not lock ${dataDir}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolvePort((server.address() as AddressInfo).port));
  });
}

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const env = options.env ?? process.env;
  let releaseLock = () => {};
  let dbPath: string | undefined;
  let secretsFile: string | undefined;
  // Settings first: a start refused for its configuration writes nothing.
  loadConfig({ ...env, TOLLGATE_MODE: 'local' });
  /** The data directory this start created: removed again if the start fails. */
  let created: string | undefined;
  if (options.dataDir !== null) {
    const dataDir = resolve(options.dataDir);
    created = mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    releaseLock = acquireLock(dataDir);
    dbPath = join(dataDir, 'dynamodb');
    secretsFile = join(dataDir, 'secrets.json');
  }
  const db = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(dbPath ? { path: dbPath } : {}) });
  let releaseStore = () => {};
  try {
    const dbPort = await listen(db);
    // dynalite checks no signature: no outbound call may ever reach it.
    releaseStore = reserveOwnEndpoint('store', `http://127.0.0.1:${dbPort}`);
    const config: Config = {
      ...loadConfig({ ...env, TOLLGATE_MODE: 'local' }),
      dynamoEndpoint: `http://127.0.0.1:${dbPort}`,
      region: 'local',
      issuer: (env.TOLLGATE_ISSUER || options.publicUrl).replace(/\/+$/, ''),
      ...(secretsFile ? { localSecretsFile: secretsFile } : {}),
    };
    if (config.allowedRedirectOrigins.length === 0) {
      config.allowedRedirectOrigins = ['http://localhost:*', 'http://127.0.0.1:*'];
    }
    const doc = createDocumentClient({ tableName: config.tableName, region: config.region, endpoint: config.dynamoEndpoint });
    const table = new Table(doc, config.tableName);
    const backend = secretsFile ? new FileSecretBackend(secretsFile) : new MemorySecretBackend();
    const runtime = new Runtime(config, table, new CachedSecrets(backend));
    // Connector events start the formulas bound to their instance; this process executes them.
    withFormulaTriggers(runtime);
    executeInProcess(runtime);
    const admin = new DynamoDBClient({
      region: config.region,
      endpoint: config.dynamoEndpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await ensureTable(admin, config.tableName);
    admin.destroy();
    const firstStart = secretsFile ? !existsSync(secretsFile) : true;
    const { credentials, generated } = await ensureOrganization(
      runtime,
      config.defaultOrganization,
      { organizationSecret: env.TOLLGATE_ORGANIZATION_SECRET, userSecret: env.TOLLGATE_USER_SECRET },
      { allowedRedirectOrigins: config.allowedRedirectOrigins },
    );
    const firstUser = await ensureAdminUser(runtime);
    const formulaTickMs = env.TOLLGATE_FORMULAS_TICK_MS === undefined || env.TOLLGATE_FORMULAS_TICK_MS === '' ? 60_000 : Number(env.TOLLGATE_FORMULAS_TICK_MS);
    const formulas = new LocalFormulaScheduler(runtime, Number.isFinite(formulaTickMs) ? formulaTickMs : 60_000);
    await formulas.start();
    const tickMs = env.TOLLGATE_EVENTS_TICK_MS === undefined || env.TOLLGATE_EVENTS_TICK_MS === '' ? 5000 : Number(env.TOLLGATE_EVENTS_TICK_MS);
    const events = new LocalEventScheduler(runtime, Number.isFinite(tickMs) ? tickMs : 5000);
    events.start();
    return {
      events,
      runtime,
      formulas,
      credentials,
      generatedCredentials: generated && firstStart,
      admin: { email: config.adminEmail, ...firstUser, passwordSecret: ADMIN_PASSWORD_SECRET },
      ...(secretsFile ? { secretsFile } : {}),
      close: async () => {
        // No new formula step starts, no poll or delivery; buffered analytics and traces are written before the store goes away.
        await formulas.stop();
        await events.stop();
        await runtime.shutdown();
        doc.destroy();
        await closeStore(db);
        releaseStore();
        releaseLock();
      },
    };
  } catch (error) {
    await closeStore(db);
    releaseStore();
    releaseLock();
    if (created) rmSync(created, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Closes dynalite once no request is in flight: it stops listening, its idle
 * connections are closed as they become idle, and its database closes after
 * the last answer (dynalite throws, process-wide, for a request it finishes
 * after its database closed). A request still running after 2 s has its
 * connection cut.
 */
async function closeStore(db: ReturnType<typeof dynalite>): Promise<void> {
  const idle = setInterval(() => db.closeIdleConnections?.(), 25);
  const forced = setTimeout(() => db.closeAllConnections?.(), 2_000);
  try {
    await new Promise<void>((done) => db.close(() => done()));
  } finally {
    clearInterval(idle);
    clearTimeout(forced);
  }
}
