// Delivery function: one SQS message per delivery attempt. The attempt claims
// the delivery, sends it, records the outcome and queues the retry; a message
// whose handling throws (the table unreachable) is retried by SQS and
// dead-lettered after. A delivery to the formulas' sink starts their executions.
import { attemptDelivery } from '../../shared/connectors/events/delivery.js';
import { queueConsumer, type DeliveryMessage } from '../../shared/connectors/events/queue.js';
import { withFormulaTriggers } from '../../shared/formulas/triggers.js';
import { runtime } from '../../shared/runtime.js';

export const handler = queueConsumer<DeliveryMessage>('delivery', 'delivery attempt failed', (message) =>
  attemptDelivery(withFormulaTriggers(runtime()), message.organization, message.eventId, message.target),
);
