// Poller function: one SQS message per due instance. Polls every configured
// object of the instance under its lease; a message that fails is reported
// back (partial batch response), retried by SQS and dead-lettered after.
// The events it records are delivered to formulas too.
import { pollInstance } from '../../shared/connectors/events/poller.js';
import { queueConsumer, type PollMessage } from '../../shared/connectors/events/queue.js';
import { withFormulaTriggers } from '../../shared/formulas/triggers.js';
import { runtime } from '../../shared/runtime.js';

export const handler = queueConsumer<PollMessage>('poller', 'poll run failed', (message) =>
  pollInstance(withFormulaTriggers(runtime()), message.organization, message.instanceId),
);
