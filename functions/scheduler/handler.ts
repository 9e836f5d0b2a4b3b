// Scheduler function: invoked every minute by EventBridge Scheduler. Hands
// each instance whose poll is due to the poll queue (once: its next poll time
// moves past the lease) and re-sends deliveries whose queue message is
// overdue (retries beyond SQS's 15-minute delay, lost messages), then renews
// the vendor subscriptions about to end (Microsoft Graph). For formulas it
// starts the scheduled executions that are due and starts again those whose
// state machine start failed.
import { enqueueDuePolls, sweepDeliveries } from '../../shared/connectors/events/dispatch.js';
import { renewDueSubscriptions } from '../../shared/connectors/events/lifecycle.js';
import { restartPendingExecutions } from '../../shared/formulas/launch.js';
import { runDueSchedules, withFormulaTriggers } from '../../shared/formulas/triggers.js';
import { logger } from '../../shared/log.js';
import { runtime } from '../../shared/runtime.js';

export interface SchedulerResult {
  polls: number;
  deliveries: number;
  renewals: number;
  scheduledFormulas: number;
  restartedFormulas: number;
}

export const handler = async (): Promise<SchedulerResult> => {
  const rt = withFormulaTriggers(runtime());
  const polls = await enqueueDuePolls(rt);
  const deliveries = await sweepDeliveries(rt);
  // Vendor calls, so a bounded number per run: the rest are due again a minute later.
  const renewals = await renewDueSubscriptions(rt, 20);
  const scheduledFormulas = await runDueSchedules(rt);
  const restartedFormulas = await restartPendingExecutions(rt);
  const result = { polls, deliveries, renewals, scheduledFormulas, restartedFormulas };
  logger.info('events scheduled', { fn: 'scheduler', ...result });
  return result;
};
