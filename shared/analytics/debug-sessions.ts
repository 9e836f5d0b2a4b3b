// Trace (debug) sessions, Apigee's "Trace" tool: a session on a deployed
// revision captures the calls that match its filter, at most `count` of them,
// until it times out. A session is one item in its organization's partition
// plus a marker in its environment's `DEBUG#{env}` partition, which every
// runtime container reads every few seconds in the background: that is how
// the capture flag reaches every container without a read per request.
// Captured transactions are written in the background by the recorder
// (recorder.ts); the session's `captured` counter, raised with a conditional
// ADD per transaction, keeps the total at `count` across containers.
import { randomUUID } from 'node:crypto';
import { describeError, logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import {
  activeDebugSessionKeys,
  activeDebugSessionsPartition,
  debugSessionKeys,
  debugSessionsPrefix,
  debugTransactionKeys,
  debugTransactionsPrefix,
} from '../store/keys.js';
import type { StoredItem } from '../store/table.js';

/** Apigee Edge's default and longest session: 10 minutes. */
export const DEFAULT_TIMEOUT_SECONDS = 600;
export const MAX_TIMEOUT_SECONDS = 600;
/** Transactions a session captures by default and at most (Apigee Edge: 20). */
export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 20;
/** Bytes of a message body a transaction keeps by default and at most. */
export const DEFAULT_TRACE_SIZE = 5120;
export const MAX_TRACE_SIZE = 65_536;
/** How stale a container's copy of the active sessions may get before a background refresh. */
const REFRESH_MS = Number(process.env.TOLLGATE_DEBUG_REFRESH_MS || 2_000);

export interface DebugSessionSettings {
  organization: string;
  environment: string;
  api: string;
  revision: number;
  name: string;
  timeoutSeconds: number;
  count: number;
  tracesize: number;
  /** An Apigee condition over the request (`request.header.x = "1"`), as Apigee X's `filter`. */
  filter?: string;
  /** Apigee Edge's `header_{name}={value}` filters (names lower-case). */
  headers: Record<string, string>;
  /** Apigee Edge's `qparam_{name}={value}` filters. */
  queryParams: Record<string, string>;
}

/** A session as the runtime sees it. */
export interface ActiveSession extends DebugSessionSettings {
  /** Epoch ms after which nothing more is captured. */
  endsAt: number;
}

export interface DebugSessionItem extends StoredItem, ActiveSession {
  captured: number;
}

/** A captured call in Apigee's debug data shape (built by the gateway host). */
export interface CapturedTransaction {
  session: ActiveSession;
  /** Time-ordered id: capture time and a random part. */
  id: string;
  capturedAt: number;
  data: unknown;
}

const sessionKeys = (s: DebugSessionSettings) => debugSessionKeys(s.organization, s.environment, s.api, s.revision, s.name);

export async function createDebugSession(rt: Runtime, settings: DebugSessionSettings): Promise<DebugSessionItem> {
  const now = Date.now();
  const endsAt = now + settings.timeoutSeconds * 1000;
  const keep = Math.ceil(endsAt / 1000) + rt.config.traceRetentionHours * 3600;
  const item = await rt.table.create<DebugSessionItem>(
    { ...sessionKeys(settings), type: 'debugsession', ...settings, endsAt, captured: 0, expiresAt: keep },
    `Debug session ${settings.name} already exists`,
  );
  const { organization, environment, api, revision, name } = settings;
  await rt.table.put({ ...activeDebugSessionKeys(environment, organization, api, revision, name), type: 'debugsession-active', ...settings, endsAt, expiresAt: Math.ceil(endsAt / 1000) });
  activeSessions(rt, environment).add({ ...settings, endsAt });
  return item;
}

export async function getDebugSession(rt: Runtime, org: string, env: string, api: string, revision: number, name: string): Promise<DebugSessionItem | undefined> {
  return rt.table.get<DebugSessionItem>(debugSessionKeys(org, env, api, revision, name), { consistent: true });
}

/** Sessions of a revision that are still capturing. */
export async function listActiveDebugSessions(rt: Runtime, org: string, env: string, api: string, revision: number): Promise<DebugSessionItem[]> {
  const now = Date.now();
  const items = await rt.table.queryAll<DebugSessionItem>(`ORG#${org}`, { prefix: debugSessionsPrefix(env, api, revision) });
  return items.filter((item) => item.type === 'debugsession' && item.endsAt > now);
}

/** Deletes a session and everything it captured; false when there was none. */
export async function deleteDebugSession(rt: Runtime, org: string, env: string, api: string, revision: number, name: string): Promise<boolean> {
  const deleted = await rt.table.delete(debugSessionKeys(org, env, api, revision, name));
  await rt.table.delete(activeDebugSessionKeys(env, org, api, revision, name));
  activeSessions(rt, env).remove(org, api, revision, name);
  for (const item of await rt.table.queryAll(`ORG#${org}`, { prefix: debugTransactionsPrefix(env, api, revision, name) })) {
    await rt.table.delete(item);
  }
  return deleted !== undefined;
}

/** Transaction ids of a session, oldest first (Apigee Edge lists ids). */
export async function listTransactionIds(rt: Runtime, org: string, env: string, api: string, revision: number, name: string): Promise<string[]> {
  const prefix = debugTransactionsPrefix(env, api, revision, name);
  const items = await rt.table.queryAll(`ORG#${org}`, { prefix, consistent: true });
  return items.map((item) => item.sk.slice(prefix.length));
}

export async function getTransaction(rt: Runtime, org: string, env: string, api: string, revision: number, name: string, id: string): Promise<unknown> {
  const item = await rt.table.get(debugTransactionKeys(org, env, api, revision, name, id), { consistent: true });
  return item ? JSON.parse(String(item.data)) : undefined;
}

/** A new transaction id: sorts by capture time. */
export function transactionId(now = Date.now()): string {
  return `${String(now).padStart(13, '0')}-${randomUUID().slice(0, 8)}`;
}

/**
 * Stores a captured transaction if the session has room left: the session's
 * counter is raised first, conditionally, so all containers together stay
 * within `count`. Returns false when the session was full or is gone.
 */
export async function reserveTransaction(rt: Runtime, session: ActiveSession): Promise<boolean> {
  return rt.table.updateIf(sessionKeys(session), { add: { captured: 1 } }, {
    expression: 'attribute_exists(pk) AND captured < #count',
    names: { '#count': 'count' },
  });
}

export async function storeTransaction(rt: Runtime, transaction: CapturedTransaction): Promise<void> {
  const { session } = transaction;
  await rt.table.put({
    ...debugTransactionKeys(session.organization, session.environment, session.api, session.revision, session.name, transaction.id),
    type: 'debugtransaction',
    data: JSON.stringify(transaction.data),
    expiresAt: Math.ceil(transaction.capturedAt / 1000) + rt.config.traceRetentionHours * 3600,
  });
}

/**
 * A container's copy of an environment's active sessions, refreshed with one
 * Query in the background when older than a couple of seconds. Looking up a
 * revision's sessions is a Map read: nothing is asked of the table per request.
 */
export class ActiveSessions {
  private byRevision = new Map<string, ActiveSession[]>();
  private loadedAt = 0;
  private loading: Promise<void> | undefined;
  /** Transactions this container has captured per session: stops capturing early once a session is full. */
  private readonly captured = new Map<string, number>();
  refreshes = 0;

  constructor(
    private readonly rt: Runtime,
    private readonly environment: string,
  ) {}

  private static key(org: string, api: string, revision: number): string {
    return `${org}\n${api}\n${revision}`;
  }

  /** The sessions that may capture a call of this revision now (usually none). */
  sessionsFor(org: string, api: string, revision: number): readonly ActiveSession[] | undefined {
    const now = Date.now();
    if (now - this.loadedAt > REFRESH_MS) this.refresh();
    const sessions = this.byRevision.get(ActiveSessions.key(org, api, revision));
    if (!sessions) return undefined;
    const live = sessions.filter((session) => session.endsAt > now && (this.captured.get(sessionId(session)) ?? 0) < session.count);
    return live.length > 0 ? live : undefined;
  }

  /** Counts a transaction this container captured for a session. */
  noteCaptured(session: ActiveSession): void {
    const id = sessionId(session);
    this.captured.set(id, (this.captured.get(id) ?? 0) + 1);
  }

  add(session: ActiveSession): void {
    const key = ActiveSessions.key(session.organization, session.api, session.revision);
    this.byRevision.set(key, [...(this.byRevision.get(key) ?? []).filter((s) => s.name !== session.name), session]);
  }

  remove(org: string, api: string, revision: number, name: string): void {
    const key = ActiveSessions.key(org, api, revision);
    const rest = (this.byRevision.get(key) ?? []).filter((s) => s.name !== name);
    if (rest.length > 0) this.byRevision.set(key, rest);
    else this.byRevision.delete(key);
  }

  /** Reads the environment's active sessions; one read at a time. */
  refresh(): Promise<void> {
    if (this.loading) return this.loading;
    this.loadedAt = Date.now();
    const loading = this.rt.table
      .queryAll<DebugSessionItem>(activeDebugSessionsPartition(this.environment), { consistent: true })
      .then((items) => {
        this.refreshes++;
        const next = new Map<string, ActiveSession[]>();
        for (const item of items) {
          const key = ActiveSessions.key(item.organization, item.api, item.revision);
          next.set(key, [...(next.get(key) ?? []), item]);
        }
        this.byRevision = next;
      })
      .catch((error: unknown) => {
        logger.warn('debug session refresh failed', { error: describeError(error) });
      })
      .finally(() => {
        this.loading = undefined;
      });
    this.loading = loading;
    return loading;
  }
}

const sessionId = (session: DebugSessionSettings) => `${session.organization}\n${session.api}\n${session.revision}\n${session.name}`;

export function activeSessions(rt: Runtime, environment: string): ActiveSessions {
  return rt.service(`analytics.debug-sessions.${environment}`, () => new ActiveSessions(rt, environment));
}
