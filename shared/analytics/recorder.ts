// The container's analytics recorder: the one place records, connector usage
// and captured traces wait between the request that made them and the table.
// The warm path only appends to an array. A flush, in the background, cuts
// the batch, writes each record as one structured log line (Logs Insights on
// AWS), sums the proxy records into per-minute, per-hour and per-day rollup
// rows and ADDs them to the table exactly once (rollup-writer.ts), and stores
// connector usage records and captured transactions.
//
// When it runs:
// - when the oldest waiting record is `analyticsFlushMs` old: a timer while the
//   process runs, and, because Lambda freezes timers between invocations, a
//   check on every record, so the first invocation after a quiet spell starts
//   the overdue flush (in the background: that invocation does not wait);
// - when 10,000 proxy records or connector usage records wait (a few MB), or
//   1,000 captured transactions. A flush costs about the same whatever it
//   carries (one ADD per rollup row, rows bounded by the distinct dimension
//   values, not the calls), so a busy container flushes by time, not count;
// - on shutdown: SIGTERM in Lambda (the stack's shutdown extension makes Lambda
//   send it), the local server's stop and close.
// A flush that Lambda freezes mid-write resumes or fails on the next thaw; a
// failed flush is retried with its id, before any newer one, so nothing is
// counted twice and nothing is dropped while the container lives.
import { randomUUID } from 'node:crypto';
import { describeError, logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import { usageIdLookup, usageKeys } from '../store/keys.js';
import { reserveTransaction, storeTransaction, type CapturedTransaction } from './debug-sessions.js';
import type { CallRecord, ConnectorCallRecord } from './record.js';
import { rollUp, type ClientIdProtection, type RollupRow, type RowKey } from './rollup.js';
import { clientIdProtection } from './client-ids.js';
import { applyRows, type FlushId } from './rollup-writer.js';

/** Proxy records or connector usage records waiting that start a flush at once. */
export const MAX_WAITING = 10_000;
/** Captured transactions (which carry message bodies) waiting that start a flush at once. */
export const MAX_WAITING_TRACES = 1_000;
/** Attempts of one flush within a run before it waits for the next one. */
const ATTEMPTS = 3;
const BACKOFF_MS = [50, 250];

interface Batch {
  id: FlushId;
  rows: { key: RowKey; row: RollupRow }[];
  usage: ConnectorCallRecord[];
  traces: { transaction: CapturedTransaction; reserved: boolean; stored: boolean }[];
}

export interface FlushStats {
  flushes: number;
  failedAttempts: number;
  /** Row writes a retry found already applied. */
  skippedWrites: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class AnalyticsRecorder {
  /** Random per container: part of every flush id. */
  readonly container = randomUUID().replace(/-/g, '').slice(0, 12);
  private sequence = 0;
  private records: CallRecord[] = [];
  private usage: ConnectorCallRecord[] = [];
  private traces: CapturedTransaction[] = [];
  /** When the oldest waiting entry arrived (0: nothing waits). */
  private oldest = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
  /** A cut batch not yet fully written: it goes first, with its id. */
  private pendingBatch: Batch | undefined;
  readonly stats: FlushStats = { flushes: 0, failedAttempts: 0, skippedWrites: 0 };

  constructor(private readonly rt: Runtime) {}

  /** One proxy call: appended, nothing else on the request's path. */
  record(record: CallRecord): void {
    this.records.push(record);
    this.waiting(this.records.length >= MAX_WAITING);
  }

  /** One connector resource call. */
  recordConnectorCall(record: ConnectorCallRecord): void {
    this.usage.push(record);
    this.waiting(this.usage.length >= MAX_WAITING);
  }

  /** One captured transaction of a debug session. */
  captureTransaction(transaction: CapturedTransaction): void {
    this.traces.push(transaction);
    this.waiting(this.traces.length >= MAX_WAITING_TRACES);
  }

  /** Entries waiting to be written. */
  get waitingCount(): number {
    return this.records.length + this.usage.length + this.traces.length;
  }

  /** After an entry is added; `full` when its list holds as many as start a flush. */
  private waiting(full: boolean): void {
    const now = Date.now();
    if (this.oldest === 0) this.oldest = now;
    if ((full || now - this.oldest >= this.rt.config.analyticsFlushMs) && !this.running) {
      void this.flush();
      return;
    }
    this.schedule();
  }

  /**
   * Writes what waits (after any batch an earlier flush could not finish).
   * One flush runs at a time; a call during a flush waits for it and then
   * flushes what arrived meanwhile. Never throws: a batch that cannot be
   * written now stays, with its id, for the next flush.
   */
  flush(): Promise<void> {
    if (this.running) return this.running.then(() => (this.waitingCount > 0 ? this.flush() : undefined));
    const running = this.run().finally(() => {
      this.running = undefined;
    });
    this.running = running;
    return running;
  }

  /** Flushes until nothing waits or a batch keeps failing (shutdown). */
  async drain(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    if (this.pendingBatch || this.waitingCount > 0) await this.flush();
  }

  private cut(protection: ClientIdProtection): Batch | undefined {
    if (this.waitingCount === 0) return undefined;
    const records = this.records;
    const usage = this.usage;
    const traces = this.traces;
    this.records = [];
    this.usage = [];
    this.traces = [];
    this.oldest = 0;
    // Raw records as structured lines, once per record (a retried batch does not log again).
    writeRecordLines(records, usage);
    return {
      id: { container: this.container, sequence: ++this.sequence },
      rows: rollUp(records, protection),
      usage,
      traces: traces.map((transaction) => ({ transaction, reserved: false, stored: false })),
    };
  }

  /** Writes the batch an earlier flush left (with its id), then what waits now: one cut per flush, so a busy container batches. */
  private async run(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    let protection: ClientIdProtection;
    try {
      protection = await clientIdProtection(this.rt);
    } catch (error) {
      logger.warn('analytics flush waits: the data key is not available', { error: describeError(error) });
      this.schedule();
      return;
    }
    for (let cuts = 0; cuts < 2; cuts++) {
      const batch = this.pendingBatch ?? this.cut(protection);
      if (!batch) return;
      this.pendingBatch = batch;
      if (!(await this.write(batch))) {
        // Keep it, with its id, for the next flush; new records wait behind it.
        this.schedule();
        return;
      }
      this.pendingBatch = undefined;
      this.stats.flushes++;
    }
    if (this.waitingCount > 0) this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.rt.config.analyticsFlushMs);
    this.timer.unref?.();
  }

  private async write(batch: Batch): Promise<boolean> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        const { skipped } = await applyRows(this.rt.table, batch.rows, batch.id, (row) => this.rollupExpiry(row));
        this.stats.skippedWrites += skipped;
        await this.writeUsage(batch.usage);
        await this.writeTraces(batch);
        return true;
      } catch (error) {
        this.stats.failedAttempts++;
        logger.warn('analytics flush failed; retrying with the same flush id', {
          container: batch.id.container,
          sequence: batch.id.sequence,
          attempt,
          error: describeError(error),
        });
        if (attempt < ATTEMPTS) await sleep(BACKOFF_MS[attempt - 1]!);
      }
    }
    return false;
  }

  private rollupExpiry(row: RollupRow): number {
    const end = row.start + (row.granularity === 'minute' ? 60_000 : row.granularity === 'hour' ? 3_600_000 : 86_400_000);
    return Math.ceil(end / 1000) + this.rt.config.analyticsRetentionDays * 86_400;
  }

  /** Usage records have their own keys: writing one twice writes the same item. */
  private async writeUsage(records: ConnectorCallRecord[]): Promise<void> {
    const retention = this.rt.config.analyticsRetentionDays * 86_400;
    for (const record of records) {
      const time = new Date(record.timestamp).toISOString();
      await this.rt.table.put({
        ...usageKeys(record.organization, time, record.request_id),
        type: 'connector-usage',
        gsi1pk: usageIdLookup(record.organization, record.request_id),
        gsi1sk: '#USAGE',
        record,
        expiresAt: Math.ceil(record.timestamp / 1000) + retention,
      });
    }
  }

  private async writeTraces(batch: Batch): Promise<void> {
    for (const entry of batch.traces) {
      if (entry.stored) continue;
      if (!entry.reserved) {
        if (!(await reserveTransaction(this.rt, entry.transaction.session))) {
          entry.stored = true; // the session is full (other containers captured the rest) or gone
          continue;
        }
        entry.reserved = true;
      }
      await storeTransaction(this.rt, entry.transaction);
      entry.stored = true;
    }
  }
}

/**
 * One JSON line per record, as CloudWatch Logs Insights reads them, in one
 * write per flush (at INFO, like the request lines). Consumer keys stay out of
 * logs: `client_id` is left out; the app and developer name the caller.
 */
function writeRecordLines(records: readonly CallRecord[], usage: readonly ConnectorCallRecord[]): void {
  if (!['TRACE', 'DEBUG', 'INFO'].includes(logger.getLevelName())) return;
  if (records.length === 0 && usage.length === 0) return;
  const level = 'INFO';
  const service = process.env.POWERTOOLS_SERVICE_NAME || 'tollgate';
  const lines: string[] = [];
  for (const { client_id: _clientId, ...record } of records) {
    lines.push(JSON.stringify({ level, message: 'analytics record', service, time: new Date(record.timestamp).toISOString(), analytics: 'proxy', ...record }));
  }
  for (const record of usage) {
    lines.push(JSON.stringify({ level, message: 'analytics record', service, time: new Date(record.timestamp).toISOString(), analytics: 'connector', ...record }));
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The container's recorder; the runtime drains it on shutdown. */
export function analyticsRecorder(rt: Runtime): AnalyticsRecorder {
  return rt.service('analytics.recorder', () => {
    const recorder = new AnalyticsRecorder(rt);
    rt.onShutdown(() => recorder.drain());
    return recorder;
  });
}
