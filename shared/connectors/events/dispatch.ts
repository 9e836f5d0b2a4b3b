// Working the due items: attempts of pending deliveries and due polls. The
// local scheduler runs both in-process from the table; on AWS the scheduler
// function hands due polls to the poll queue and re-sends deliveries whose
// SQS message is overdue (a retry later than SQS's 15-minute delay, or a lost
// message), and the poller and delivery functions do the work.
import type { Runtime } from '../../runtime.js';
import { attemptDelivery, type AttemptResult } from './delivery.js';
import { claimDuePoll, duePolls, pollInstance } from './poller.js';
import { eventQueue } from './queue.js';
import { dueDeliveries } from './store.js';

/** Attempts every delivery due now; returns how each went. */
export async function runDueDeliveries(rt: Runtime, limit = 100): Promise<AttemptResult[]> {
  const results: AttemptResult[] = [];
  for (const delivery of await dueDeliveries(rt, rt.clock.now(), limit)) {
    results.push(await attemptDelivery(rt, delivery.organization, delivery.eventId, delivery.target));
  }
  return results;
}

/** Polls every instance due now, in this process. */
export async function runDuePolls(rt: Runtime, limit = 100): Promise<number> {
  let events = 0;
  for (const state of await duePolls(rt, rt.clock.now(), limit)) events += (await pollInstance(rt, state.organization, state.instanceId)).events;
  return events;
}

/** AWS: hands each due poll to the poll queue once (its next time moves past the lease). */
export async function enqueueDuePolls(rt: Runtime, limit = 500): Promise<number> {
  let sent = 0;
  const now = rt.clock.now();
  for (const state of await duePolls(rt, now, limit)) {
    if (!(await claimDuePoll(rt, state, now))) continue;
    await eventQueue(rt).poll({ organization: state.organization, instanceId: state.instanceId });
    sent++;
  }
  return sent;
}

/** AWS: re-sends deliveries due for more than `graceMs` (their message is late or lost; a claim keeps them single). */
export async function sweepDeliveries(rt: Runtime, graceMs = 60_000, limit = 500): Promise<number> {
  const overdue = await dueDeliveries(rt, rt.clock.now() - graceMs, limit);
  for (const delivery of overdue) await eventQueue(rt).deliver({ organization: delivery.organization, eventId: delivery.eventId, target: delivery.target });
  return overdue.length;
}
