// Who watches each exchange of this container: every exchange is recorded
// for analytics when it completes (one array append); an exchange that one
// of the environment's active debug sessions selects also gets a trace
// observer. Choosing costs a Map read when no session is active: the session
// copy refreshes itself in the background (analytics/debug-sessions.ts).
import { activeSessions, type ActiveSession } from '../../analytics/debug-sessions.js';
import { SensitiveValues } from '../../analytics/masking.js';
import { analyticsRecorder, type AnalyticsRecorder } from '../../analytics/recorder.js';
import type { Runtime } from '../../runtime.js';
import { compileCondition, type CompiledCondition } from '../language/condition.js';
import type { Exchange } from '../engine/exchange.js';
import type { ExchangeObserver } from '../engine/observer.js';
import { callRecord } from './call-record.js';
import { TraceObserver } from './trace.js';

/** Values this container decrypted from encrypted key value maps: trace masks them. */
export function sensitiveValues(rt: Runtime): SensitiveValues {
  return rt.service('gateway.sensitive-values', () => new SensitiveValues());
}

/** Whether a session's filters select this request (Edge's header_/qparam_ filters and Apigee X's condition). */
function selects(session: ActiveSession, exchange: Exchange, conditions: Map<string, CompiledCondition | null>): boolean {
  for (const [name, value] of Object.entries(session.headers)) if (exchange.request.headers.get(name) !== value) return false;
  for (const [name, value] of Object.entries(session.queryParams)) if (exchange.request.query.get(name) !== value) return false;
  if (!session.filter) return true;
  let condition = conditions.get(session.filter);
  if (condition === undefined) {
    try {
      condition = compileCondition(session.filter);
    } catch {
      condition = null; // validated at creation; a filter that does not compile selects nothing
    }
    if (conditions.size > 500) conditions.clear();
    conditions.set(session.filter, condition);
  }
  return condition !== null && condition.evaluate((name) => exchange.peek(name));
}

export function exchangeObservers(rt: Runtime, environment: string): (exchange: Exchange) => ExchangeObserver {
  const recorder: AnalyticsRecorder = analyticsRecorder(rt);
  const sessions = activeSessions(rt, environment);
  const conditions = new Map<string, CompiledCondition | null>();
  const analyticsOnly: ExchangeObserver = { completed: (exchange) => recorder.record(callRecord(exchange)) };
  return (exchange) => {
    const { organization, apiName, revision } = exchange.context;
    const candidates = sessions.sessionsFor(organization, apiName, revision);
    if (!candidates) return analyticsOnly;
    // Every session that selects the call gets it, as each Apigee debug session does.
    const selecting = candidates.filter((candidate) => selects(candidate, exchange, conditions));
    if (selecting.length === 0) return analyticsOnly;
    for (const session of selecting) sessions.noteCaptured(session);
    return new TraceObserver(selecting, exchange, sensitiveValues(rt).list(), (calls, done) => {
      for (const call of calls) recorder.captureTransaction(call);
      recorder.record(callRecord(done));
    });
  };
}
