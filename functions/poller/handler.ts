// Poller function: one SQS message per due instance. Polls every configured
// object of the instance under its lease; a message that fails is reported
// back (partial batch response), retried by SQS and dead-lettered after.
// The events it records are delivered to formulas too.
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { pollInstance } from '../../shared/connectors/events/poller.js';
import type { PollMessage } from '../../shared/connectors/events/queue.js';
import { withFormulaTriggers } from '../../shared/formulas/triggers.js';
import { describeError, logger } from '../../shared/log.js';
import { runtime } from '../../shared/runtime.js';

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const rt = withFormulaTriggers(runtime());
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const message = JSON.parse(record.body) as PollMessage;
      await pollInstance(rt, message.organization, message.instanceId);
    } catch (error) {
      logger.error('poll run failed', { fn: 'poller', error: describeError(error) });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
};
