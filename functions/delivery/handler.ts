// Delivery function: one SQS message per delivery attempt. The attempt claims
// the delivery, sends it, records the outcome and queues the retry; a message
// whose handling throws (the table unreachable) is retried by SQS and
// dead-lettered after. A delivery to the formulas' sink starts their executions.
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { attemptDelivery } from '../../shared/connectors/events/delivery.js';
import type { DeliveryMessage } from '../../shared/connectors/events/queue.js';
import { withFormulaTriggers } from '../../shared/formulas/triggers.js';
import { describeError, logger } from '../../shared/log.js';
import { runtime } from '../../shared/runtime.js';

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const rt = withFormulaTriggers(runtime());
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const message = JSON.parse(record.body) as DeliveryMessage;
      await attemptDelivery(rt, message.organization, message.eventId, message.target);
    } catch (error) {
      logger.error('delivery attempt failed', { fn: 'delivery', error: describeError(error) });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
};
