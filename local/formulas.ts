// Formulas on a laptop: the executions a previous run left unfinished resume
// at start, scheduled triggers are looked at every minute (in place of
// EventBridge Scheduler), and at close no new step starts: what is under way
// stays in the table and resumes at the next start.
import { resumeExecutions, settleExecutions, stopExecutions } from '../shared/formulas/executor.js';
import { runDueSchedules } from '../shared/formulas/triggers.js';
import { logger } from '../shared/log.js';
import type { Runtime } from '../shared/runtime.js';

export class LocalFormulaScheduler {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly rt: Runtime,
    /** How often schedules are looked at; 0: only on tick(). */
    private readonly tickMs: number,
  ) {}

  async start(): Promise<void> {
    const resumed = await resumeExecutions(this.rt);
    if (resumed) logger.info('formula executions resumed', { count: resumed });
    if (this.tickMs > 0) {
      this.timer = setInterval(() => void this.tick(), this.tickMs);
      this.timer.unref();
    }
  }

  /** Starts every scheduled execution that is due now. */
  async tick(now = new Date()): Promise<number> {
    try {
      return await runDueSchedules(this.rt, now);
    } catch (error) {
      logger.error('formula schedules failed', { error: error instanceof Error ? error.message : String(error) });
      return 0;
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    stopExecutions(this.rt);
    await settleExecutions(this.rt);
  }
}
