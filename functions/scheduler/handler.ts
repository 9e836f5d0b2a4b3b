// Scheduler function: invoked every minute by EventBridge Scheduler. Hands
// each instance whose poll is due to the poll queue (once: its next poll time
// moves past the lease) and re-sends deliveries whose queue message is
// overdue (retries beyond SQS's 15-minute delay, lost messages).
import { logger } from '../../shared/log.js';
import { enqueueDuePolls, sweepDeliveries } from '../../shared/connectors/events/dispatch.js';
import { runtime } from '../../shared/runtime.js';

export const handler = async (): Promise<{ polls: number; deliveries: number }> => {
  const rt = runtime();
  const polls = await enqueueDuePolls(rt);
  const deliveries = await sweepDeliveries(rt);
  logger.info('events scheduled', { fn: 'scheduler', polls, deliveries });
  return { polls, deliveries };
};
