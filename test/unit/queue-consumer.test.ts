// The queues' Lambda consumer: every record handled in turn, a record whose
// handling throws (or whose body is not JSON) reported back for SQS to retry.
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { queueConsumer } from '../../shared/connectors/events/queue.js';

const event = (...bodies: string[]) => ({ Records: bodies.map((body, i) => ({ messageId: `m${i}`, body })) }) as unknown as SQSEvent;

describe('queueConsumer', () => {
  it('handles each message and reports only the ones that failed', async () => {
    const seen: number[] = [];
    const consume = queueConsumer<{ n: number }>('test', 'test message failed', async ({ n }) => {
      if (n === 2) throw new Error('table unreachable');
      seen.push(n);
    });
    expect(await consume(event('{"n":1}', '{"n":2}', 'not json', '{"n":3}'))).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }] });
    expect(seen).toEqual([1, 3]);
  });
});
