// Scheduler function: invoked every minute by EventBridge Scheduler. Hands
// each instance whose poll is due to the poll queue (once: its next poll time
// moves past the lease) and re-sends deliveries whose queue message is
// overdue (retries beyond SQS's 15-minute delay, lost messages), then renews
// the vendor subscriptions about to end (Microsoft Graph).
import { logger } from '../../shared/log.js';
import { enqueueDuePolls, sweepDeliveries } from '../../shared/connectors/events/dispatch.js';
import { renewDueSubscriptions } from '../../shared/connectors/events/lifecycle.js';
import { runtime } from '../../shared/runtime.js';

export const handler = async (): Promise<{ polls: number; deliveries: number; renewals: number }> => {
  const rt = runtime();
  const polls = await enqueueDuePolls(rt);
  const deliveries = await sweepDeliveries(rt);
  // Vendor calls, so a bounded number per run: the rest are due again a minute later.
  const renewals = await renewDueSubscriptions(rt, 20);
  logger.info('events scheduled', { fn: 'scheduler', polls, deliveries, renewals });
  return { polls, deliveries, renewals };
};
