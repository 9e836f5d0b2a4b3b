// The in-process stand-in for EventBridge Scheduler and the SQS queues: every
// `intervalMs` (and soon after new work is recorded) it polls the instances
// that are due, attempts the deliveries that are due and renews the vendor
// subscriptions about to end, all from the table,
// so a restart resumes exactly where the last run left off. With interval 0
// it runs only when told (`tick()`), as the tests drive it with their clock.
import { runDueDeliveries, runDuePolls } from '../shared/connectors/events/dispatch.js';
import { renewDueSubscriptions } from '../shared/connectors/events/lifecycle.js';
import { eventQueue, TableQueue } from '../shared/connectors/events/queue.js';
import { describeError, logger } from '../shared/log.js';
import type { Runtime } from '../shared/runtime.js';

export interface TickResult {
  polledEvents: number;
  deliveries: number;
}

export class LocalEventScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<TickResult> | undefined;
  private again = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly rt: Runtime,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.tick().catch(() => undefined), this.intervalMs);
    this.timer.unref();
    const queue = eventQueue(this.rt);
    if (queue instanceof TableQueue) this.unsubscribe = queue.onWork(() => setImmediate(() => void this.tick().catch(() => undefined)));
  }

  /** One pass over due polls and deliveries (a call during a pass runs one more pass after it). */
  tick(): Promise<TickResult> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      const total: TickResult = { polledEvents: 0, deliveries: 0 };
      do {
        this.again = false;
        try {
          total.polledEvents += await runDuePolls(this.rt);
          // Deliveries that a retry made due again in this pass wait for the next one.
          total.deliveries += (await runDueDeliveries(this.rt)).length;
          await renewDueSubscriptions(this.rt);
        } catch (error) {
          logger.error('local event scheduler pass failed', { error: describeError(error) });
          throw error;
        }
      } while (this.again);
      return total;
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    await this.running?.catch(() => undefined);
  }
}
