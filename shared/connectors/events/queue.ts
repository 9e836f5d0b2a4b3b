// How the work of events moves: poll runs and delivery attempts. On AWS each is
// an SQS message (the scheduler function sends poll runs, whoever records an
// event sends its first delivery attempt, a failed attempt sends its retry
// when it is due within SQS's 15-minute delay limit; later retries and lost
// messages are picked up from the table by the scheduler's sweep). Locally the
// table is the queue: nothing is sent, the in-process scheduler is woken.
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describeError, logger } from '../../log.js';
import type { Runtime } from '../../runtime.js';

export interface DeliveryMessage {
  organization: string;
  eventId: string;
  target: string;
}

export interface PollMessage {
  organization: string;
  instanceId: number;
}

/** SQS's longest message delay. */
export const MAX_QUEUE_DELAY_SECONDS = 900;

export interface EventQueue {
  deliver(message: DeliveryMessage, delaySeconds?: number): Promise<void>;
  poll(message: PollMessage): Promise<void>;
}

/** Locally: the due items wait in the table; listeners (the in-process scheduler) are told there is work. */
export class TableQueue implements EventQueue {
  private readonly listeners = new Set<() => void>();

  onWork(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private wake(): Promise<void> {
    for (const listener of this.listeners) listener();
    return Promise.resolve();
  }

  deliver(_message: DeliveryMessage, delaySeconds = 0): Promise<void> {
    return delaySeconds > 0 ? Promise.resolve() : this.wake();
  }

  poll(): Promise<void> {
    return this.wake();
  }
}

export class SqsQueue implements EventQueue {
  private readonly client: SQSClient;

  constructor(
    region: string,
    private readonly urls: { poll: string; delivery: string },
  ) {
    this.client = new SQSClient({ region, maxAttempts: 3 });
  }

  async deliver(message: DeliveryMessage, delaySeconds = 0): Promise<void> {
    await this.client.send(
      new SendMessageCommand({ QueueUrl: this.urls.delivery, MessageBody: JSON.stringify(message), DelaySeconds: Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.ceil(delaySeconds))) }),
    );
  }

  async poll(message: PollMessage): Promise<void> {
    await this.client.send(new SendMessageCommand({ QueueUrl: this.urls.poll, MessageBody: JSON.stringify(message) }));
  }
}

export function eventQueue(rt: Runtime): EventQueue {
  return rt.service('connectors.event-queue', (): EventQueue => (rt.config.eventQueues ? new SqsQueue(rt.config.region, rt.config.eventQueues) : new TableQueue()));
}

/**
 * A queue's Lambda consumer: each record's JSON message handled in turn; a
 * record whose handling throws is reported back (partial batch response), so
 * SQS retries it and dead-letters it after.
 */
export function queueConsumer<M>(fn: string, failure: string, handle: (message: M) => Promise<unknown>): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return async (event) => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      try {
        await handle(JSON.parse(record.body) as M);
      } catch (error) {
        logger.error(failure, { fn, error: describeError(error) });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  };
}
