// Trace capture: the observer of an exchange that a debug session selected.
// It writes down what Apigee's Trace shows, in Apigee's debug data shape
// (`{completed, point: [{id, results: [...]}]}`): the state changes with the
// request and response at the four message points, each flow entered, each
// condition with its result, each step executed or skipped with its policy
// name and type, timing and the variables it read and set, and the fault.
// Everything goes through the transaction's Masker. Only selected exchanges
// get this observer; the rest have the analytics one alone.
import type { DebugAccess, DebugPoint, DebugProperty, DebugResult, TraceTransaction } from '../../analytics/debug-data.js';
import { MASK, Masker } from '../../analytics/masking.js';
import { transactionId, type ActiveSession, type CapturedTransaction } from '../../analytics/debug-sessions.js';
import type { CompiledPolicy } from '../engine/compile.js';
import type { Exchange } from '../engine/exchange.js';
import { faultBody, type Fault } from '../engine/faults.js';
import type { Message } from '../engine/message.js';
import type { ExchangeObserver, MessagePoint, StepPlace, TargetRequest } from '../engine/observer.js';

type Property = DebugProperty;
type Result = DebugResult;
type Point = DebugPoint;
type Access = DebugAccess;

export type { TraceTransaction };

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** Apigee's debug timestamp: `dd-mm-yy hh:mm:ss:xxx` (UTC). */
export function debugTimestamp(time = Date.now()): string {
  const d = new Date(time);
  return `${pad(d.getUTCDate())}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCFullYear() % 100)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}:${pad(d.getUTCMilliseconds(), 3)}`;
}

const properties = (entries: Record<string, unknown>): { property: Property[] } => ({
  property: Object.entries(entries)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => ({ name, value: String(value) })),
});

const STATES: Record<MessagePoint, string> = {
  proxyRequest: 'REQ_HEADERS_PARSED',
  targetRequest: 'REQ_SENT',
  targetResponse: 'RESP_START',
  proxyResponse: 'RESP_SENT',
};

/** What the observer hands over when the exchange is done: one transaction for each session that selected it. */
export type CapturedCalls = CapturedTransaction[];

export class TraceObserver implements ExchangeObserver {
  private readonly points: Point[] = [];
  private readonly masker: Masker;
  /** Variable accesses not inside a step: they belong to the next condition or state change. */
  private loose: Access[] = [];
  private step: { point: Point; access: Access[] } | undefined;
  /** Bytes of each body kept: the largest any selecting session asks for. */
  private readonly tracesize: number;

  constructor(
    private readonly sessions: readonly ActiveSession[],
    exchange: Exchange,
    knownSecrets: Iterable<string>,
    private readonly done: (calls: CapturedCalls, exchange: Exchange) => void,
  ) {
    this.tracesize = Math.max(...sessions.map((session) => session.tracesize));
    this.masker = new Masker(knownSecrets);
    this.masker.rememberHeaders(exchange.request.headers.list());
    this.masker.rememberQuery(exchange.request.query);
  }

  private push(point: Point): void {
    if (this.loose.length > 0) {
      point.results.push({ ActionResult: 'VariableAccess', timestamp: debugTimestamp(), accessList: this.loose });
      this.loose = [];
    }
    this.points.push(point);
  }

  private info(entries: Record<string, unknown>): Result {
    return { ActionResult: 'DebugInfo', timestamp: debugTimestamp(), properties: properties(entries) };
  }

  private content(body: Buffer, contentType: string | undefined): string {
    const limit = this.tracesize;
    if (body.length === 0 || limit === 0) return '';
    const text = body.subarray(0, limit).toString('utf8');
    return this.masker.body(text, contentType) + (body.length > limit ? `... (${body.length - limit} more bytes)` : '');
  }

  private headers(list: Iterable<[string, string[]]>): Property[] {
    const out: Property[] = [];
    for (const [name, values] of list) for (const value of values) out.push({ name, value: this.masker.header(name, value) });
    return out;
  }

  message(point: MessagePoint, message: Message | TargetRequest): void {
    const results: Result[] = [this.info({ To: STATES[point] })];
    if ('url' in message) {
      const headers = Object.entries(message.headers).map(([name, value]) => [name, Array.isArray(value) ? value : [value]] as [string, string[]]);
      const type = headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1][0];
      results.push({ ActionResult: 'RequestMessage', timestamp: debugTimestamp(), verb: message.verb, uRI: this.masker.uri(message.url), headers: this.headers(headers), content: this.content(message.body, type) });
    } else if (point === 'proxyRequest') {
      results.push({
        ActionResult: 'RequestMessage',
        timestamp: debugTimestamp(),
        verb: message.verb,
        uRI: this.masker.uri(message.uri),
        headers: this.headers(message.headers.list()),
        content: this.content(message.body, message.headers.get('content-type')),
      });
    } else {
      results.push({
        ActionResult: 'ResponseMessage',
        timestamp: debugTimestamp(),
        statusCode: String(message.status),
        reasonPhrase: message.reasonPhrase,
        headers: this.headers(message.headers.list()),
        content: this.content(message.body, message.headers.get('content-type')),
      });
    }
    this.push({ id: 'StateChange', results });
  }

  flowStarted(place: StepPlace): void {
    this.push({ id: 'FlowInfo', results: [this.info({ [place.endpointType]: place.endpoint, flow: place.flow, phase: place.phase })] });
  }

  conditionEvaluated(kind: 'flow' | 'route' | 'faultrule', name: string, expression: string, result: boolean): void {
    this.push({ id: 'Condition', results: [this.info({ ExpressionResult: result, Expression: expression, [kind === 'flow' ? 'Flow' : kind === 'route' ? 'RouteRule' : 'FaultRule']: name })] });
  }

  stepStarted(policy: CompiledPolicy, place: StepPlace, condition: { expression: string; result: boolean } | undefined, executed: boolean): void {
    if (condition) this.push({ id: 'Condition', results: [this.info({ ExpressionResult: condition.result, Expression: condition.expression, 'stepDefinition-name': policy.identity.name })] });
    const point: Point = {
      id: 'Execution',
      results: [
        this.info({
          type: policy.identity.type,
          'stepDefinition-name': policy.identity.name,
          'stepDefinition-enabled': policy.model.enabled,
          'stepDefinition-continueOnError': policy.identity.continueOnError,
          enforcement: place.phase,
          [place.endpointType]: place.endpoint,
          flow: place.flow,
          action: executed ? 'EXECUTED' : 'SKIPPED',
          ...(executed ? {} : { reason: condition && !condition.result ? 'condition false' : policy.model.enabled ? 'not supported' : 'disabled' }),
        }),
      ],
    };
    this.push(point);
    this.step = executed ? { point, access: [] } : undefined;
  }

  stepEnded(_policy: CompiledPolicy, _place: StepPlace, elapsedMs: number, fault?: Fault): void {
    const step = this.step;
    this.step = undefined;
    if (!step) return;
    const info = step.point.results[0]!.properties!.property;
    info.push({ name: 'result', value: String(fault === undefined) }, { name: 'elapsedTime', value: elapsedMs.toFixed(3) });
    if (step.access.length > 0) step.point.results.push({ ActionResult: 'VariableAccess', timestamp: debugTimestamp(), accessList: step.access });
    if (fault) step.point.results.push(this.error(fault));
  }

  private error(fault: Fault): Result {
    return {
      ActionResult: 'ErrorMessage',
      timestamp: debugTimestamp(),
      statusCode: String(fault.status),
      reasonPhrase: fault.faultName,
      headers: this.headers(Object.entries(fault.headers).map(([name, value]) => [name, [value]] as [string, string[]])),
      content: this.masker.text(faultBody(fault)),
    };
  }

  variableRead(name: string, value: unknown): void {
    if (value === undefined) return;
    const access: Access = { Get: { name, value: this.masker.variable(name, value) } };
    (this.step?.access ?? this.loose).push(access);
  }

  variableSet(name: string, value: unknown): void {
    const access: Access = { Set: { name, value: this.masker.variable(name, value), success: true } };
    (this.step?.access ?? this.loose).push(access);
  }

  fault(fault: Fault): void {
    this.push({ id: 'Error', results: [this.error(fault), this.info({ 'fault.name': fault.faultName, 'error.code': fault.errorCode, policy: fault.policyName })] });
  }

  completed(exchange: Exchange): void {
    this.push({ id: 'StateChange', results: [this.info({ To: 'END' })] });
    const capturedAt = Date.now();
    // Secrets learned late (a KVM value read by a later step) are masked everywhere, also before they were learned.
    const data = maskStrings({ completed: true, point: this.points }, this.masker) as TraceTransaction;
    this.done(
      this.sessions.map((session) => ({ session, id: transactionId(capturedAt), capturedAt, data })),
      exchange,
    );
  }
}

function maskStrings(value: unknown, masker: Masker): unknown {
  if (typeof value === 'string') return value === MASK ? value : masker.text(value);
  if (Array.isArray(value)) return value.map((item) => maskStrings(item, masker));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskStrings(item, masker)]));
  return value;
}
