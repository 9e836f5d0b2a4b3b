// The in-process executor: walks a formula's steps for one execution, one
// step at a time, and writes its whole position (the queue of due steps, the
// loops they run in, the attempt) to the table after every step, with a step
// record before and after each. A restart resumes every unfinished execution
// where it stopped; a step that was under way when the process ended is run
// again only if running it twice cannot matter (scripts, filters, loops, GET
// and HEAD requests); otherwise the execution fails, saying so.
//
// Semantics, as in Open Connectors: a step's `onSuccess` or `onFailure` steps
// follow it (in order); a failure nothing handles fails the execution with
// the step's error, a filter that answers false ends its branch; a loop runs
// its `onSuccess` chain once per entry and then its `onFailure` steps; a retry
// step starts the execution over after a backoff; a sub-formula runs as a
// child execution and its last step's output is the step's.
import { logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import { entrySteps, useDriver } from './launch.js';
import { MAX_RETRY_ATTEMPTS, MAX_RETRY_DELAY_MS, MAX_STEPS_PER_EXECUTION, type Step } from './model.js';
import { resolve, type FormulaContext } from './references.js';
import { elementRequest, elementRequestStream, httpRequest, script, type StepOutcome } from './steps.js';
import {
  createExecution,
  expireSteps,
  getExecution,
  getFormula,
  getFormulaInstance,
  isFinished,
  listSteps,
  putStep,
  saveExecution,
  unfinishedExecutions,
  type ExecutionItem,
  type FormulaInstanceItem,
  type FormulaItem,
  type NewStepRecord,
  type WorkItem,
} from './store.js';

/** Sub-formulas within sub-formulas. */
export const MAX_FORMULA_DEPTH = 5;
export const DEFAULT_RETRY_ATTEMPTS = 3;
export const DEFAULT_RETRY_DELAY_MS = 1000;

/** Requests that change nothing at the vendor: safe to send again after a restart. */
const REPEATABLE = new Set(['script', 'filter', 'loop']);

interface Executions {
  /** Executions this process is driving, so that none is driven twice. */
  active: Map<string, Promise<void>>;
  /** Executions waiting for a backoff here, and how to end the wait early. */
  waits: Map<string, { timer: NodeJS.Timeout; wake: (woken: boolean) => void }>;
  stopped: boolean;
}

const executions = (rt: Runtime) => rt.service('formulas.executions', (): Executions => ({ active: new Map(), waits: new Map(), stopped: false }));
const keyOf = (org: string, id: number) => `${org}#${id}`;

/** Makes this process the executor of the executions it starts (the local server; on AWS the state machine is). */
export function executeInProcess(rt: Runtime): void {
  useDriver(rt, (org, id) => void drive(rt, org, id));
}

/** Drives an execution unless this process already does; never throws. */
export function drive(rt: Runtime, org: string, id: number): Promise<void> {
  const state = executions(rt);
  const key = keyOf(org, id);
  const current = state.active.get(key);
  if (current) return current;
  const run = runExecution(rt, org, id)
    .then(() => undefined)
    .catch((error: unknown) => logger.error('formula execution failed to run', { organization: org, execution: id, error: error instanceof Error ? error.message : String(error) }))
    .finally(() => state.active.delete(key));
  state.active.set(key, run);
  return run;
}

/** Picks up every unfinished execution after a start. */
export async function resumeExecutions(rt: Runtime): Promise<number> {
  const unfinished = await unfinishedExecutions(rt);
  // Sub-formula executions are driven by their parents.
  const roots = unfinished.filter((execution) => execution.parentExecutionId === undefined);
  for (const execution of roots) drive(rt, execution.organization, execution.id);
  return roots.length;
}

/** Stops waiting for backoffs (shutdown); executions stay in the table and resume at the next start. */
export function stopExecutions(rt: Runtime): void {
  const state = executions(rt);
  state.stopped = true;
  for (const wait of [...state.waits.values()]) wait.wake(false);
}

/**
 * Makes an execution look at the table now (after a cancel): one waiting
 * here wakes, one no process drives is driven; on AWS one waiting for a
 * retry ends cancelled at once.
 */
export async function wakeExecution(rt: Runtime, org: string, id: number): Promise<void> {
  if (rt.config.formulasStateMachineArn) {
    // The state machine drives it: one in a retry's Wait state has no step running and ends now; its
    // next task finds it cancelled. Any other stops before its next step.
    const execution = await getExecution(rt, org, id);
    if (execution?.status === 'waiting' && execution.cancelRequested) await close(rt, finish(execution, 'cancelled', { message: 'Cancelled' }));
    return;
  }
  const wait = executions(rt).waits.get(keyOf(org, id));
  if (wait) wait.wake(true);
  else void drive(rt, org, id);
}

/** Waits for the executions this process is driving (tests, shutdown). */
export async function settleExecutions(rt: Runtime): Promise<void> {
  const state = executions(rt);
  while (state.active.size) await Promise.all([...state.active.values()]);
}

/** Waits for a backoff; false when the process stops meanwhile. */
function sleep(rt: Runtime, key: string, ms: number): Promise<boolean> {
  const state = executions(rt);
  if (state.stopped) return Promise.resolve(false);
  return new Promise((done) => {
    const wake = (woken: boolean) => {
      clearTimeout(timer);
      state.waits.delete(key);
      done(woken);
    };
    const timer = setTimeout(() => wake(true), ms);
    timer.unref();
    state.waits.set(key, { timer, wake });
  });
}

async function contextOf(rt: Runtime, execution: ExecutionItem, instance: FormulaInstanceItem): Promise<FormulaContext> {
  const steps: Record<string, unknown> = {};
  for (const record of await listSteps(rt, execution.organization, execution.id)) {
    if (record.attempt === execution.attempt && record.status !== 'running') steps[record.stepName] = record.output;
  }
  return {
    steps,
    config: instance.configuration,
    trigger: { ...execution.trigger },
    info: { formulaId: execution.formulaId, formulaInstanceId: instance.id, formulaExecutionId: execution.id, retryAttempt: execution.attempt },
  };
}

const finish = (execution: ExecutionItem, status: 'success' | 'failed' | 'cancelled', error?: ExecutionItem['error']): ExecutionItem => ({
  ...execution,
  status,
  queue: [],
  finishedAt: new Date().toISOString(),
  ...(error ? { error } : {}),
});

async function close(rt: Runtime, execution: ExecutionItem): Promise<ExecutionItem> {
  const saved = await saveExecution(rt, execution);
  await expireSteps(rt, execution.organization, execution.id);
  return saved;
}

/** How far one call of runExecution goes. */
export interface RunLimits {
  /** Steps to run before returning (an AWS Step Functions task runs one); all by default. */
  maxSteps?: number;
  /** Whether to wait for a retry's backoff in this process (false: return, the state machine waits). */
  waitHere?: boolean;
}

/**
 * Runs an execution to its end, to a wait the process is stopped in, or as far
 * as `limits` allow; returns it as it was left.
 */
export async function runExecution(rt: Runtime, org: string, id: number, limits: RunLimits = {}): Promise<ExecutionItem | undefined> {
  const { maxSteps = Infinity, waitHere = true } = limits;
  let ran = 0;
  let execution = await getExecution(rt, org, id);
  if (!execution || isFinished(execution.status)) return execution;
  const instance = await getFormulaInstance(rt, org, execution.formulaInstanceId);
  const formula = await getFormula(rt, org, execution.formulaId);
  if (!instance || !formula) return close(rt, finish(execution, 'failed', { message: instance ? `Formula ${execution.formulaId} no longer exists` : `Formula instance ${execution.formulaInstanceId} no longer exists` }));

  // A step under way when the process stopped: run again only what may run twice.
  const records = await listSteps(rt, org, id);
  const interrupted = records.find((record) => record.sequence === execution!.sequence && record.status === 'running');
  if (interrupted) {
    const step = formula.steps.find((s) => s.name === interrupted.stepName);
    const input = interrupted.input as { method?: string; uploadMethod?: string } | undefined;
    // A stream step's effect is its upload.
    const method = String((step?.type === 'elementRequestStream' ? (input?.uploadMethod ?? 'POST') : input?.method) ?? 'GET').toUpperCase();
    const repeatable = step && (REPEATABLE.has(step.type) || ((step.type === 'elementRequest' || step.type === 'httpRequest' || step.type === 'elementRequestStream') && (method === 'GET' || method === 'HEAD')));
    if (!repeatable) {
      const message = `The execution stopped while step ${interrupted.stepName} was running; it may have had effects, so it is not run again`;
      await putStep(rt, org, { ...interrupted, status: 'failed', error: message, finishedAt: new Date().toISOString() });
      return close(rt, finish(execution, 'failed', { step: interrupted.stepName, message }));
    }
  }

  const context = await contextOf(rt, execution, instance);
  execution = await saveExecution(rt, { ...execution, status: 'running' });
  for (;;) {
    // Shutting down: the execution stays where it is and resumes at the next start.
    if (executions(rt).stopped) return execution;
    const latest = await getExecution(rt, org, id);
    if (latest?.cancelRequested) return close(rt, finish(execution, 'cancelled', { message: 'Cancelled' }));
    if (execution.status === 'waiting') {
      const wait = Date.parse(execution.resumeAt ?? '') - Date.now();
      if (wait > 0 && !waitHere) return execution;
      if (wait > 0 && !(await sleep(rt, keyOf(org, id), wait))) return execution;
      if (wait > 0) continue;
      execution = await saveExecution(rt, { ...execution, status: 'running', resumeAt: undefined });
      continue;
    }
    const item = execution.queue[0];
    if (!item) return close(rt, finish(execution, 'success'));
    if (execution.sequence >= MAX_STEPS_PER_EXECUTION) {
      return close(rt, finish(execution, 'failed', { step: item.step, message: `The execution ran ${MAX_STEPS_PER_EXECUTION} steps, the most one execution may run: does the formula loop forever?` }));
    }
    const step = formula.steps.find((s) => s.name === item.step);
    if (!step) return close(rt, finish(execution, 'failed', { step: item.step, message: `No step is named ${item.step}` }));
    execution = await runStep(rt, execution, formula, step, item, context);
    if (isFinished(execution.status)) return close(rt, execution);
    // With nothing left to run the execution ends here rather than in another call.
    if (++ran >= maxSteps && execution.queue.length > 0) return execution;
  }
}

function retryDelay(properties: Record<string, unknown>, attempt: number): number {
  const base = Math.min(MAX_RETRY_DELAY_MS, Math.max(0, Number(properties.retryDelay ?? DEFAULT_RETRY_DELAY_MS) || 0));
  // Exponential backoff: the delay, then twice it, four times ... never more than the longest wait.
  return Math.min(MAX_RETRY_DELAY_MS, base * 2 ** attempt);
}

/** Runs one step, records it and moves the execution on. */
async function runStep(rt: Runtime, execution: ExecutionItem, formula: FormulaItem, step: Step, item: WorkItem, context: FormulaContext): Promise<ExecutionItem> {
  const org = execution.organization;
  const sequence = execution.sequence;
  const startedAt = new Date().toISOString();
  const input = step.type === 'script' || step.type === 'filter' ? { body: step.properties.body } : (resolve(step.properties, context) as Record<string, unknown>);
  const base = { executionId: execution.id, sequence, attempt: execution.attempt, stepName: step.name, stepType: step.type, input, startedAt, ...(item.loops.length ? { loops: item.loops } : {}) };
  await putStep(rt, org, { ...base, status: 'running' });

  const rest = execution.queue.slice(1);
  let next: WorkItem[];
  let outcome: StepOutcome;
  const outer = item.loops.at(-1)?.loop === step.name ? item.loops.slice(0, -1) : item.loops;

  switch (step.type) {
    case 'loop': {
      const list = input.list;
      const index = item.loops.at(-1)?.loop === step.name ? item.loops.at(-1)!.index + 1 : 0;
      if (!Array.isArray(list)) {
        outcome = { ok: false, output: { index }, error: `The loop's list is not an array (${list === undefined ? 'nothing' : typeof list})` };
        next = [];
        break;
      }
      if (index < list.length) {
        outcome = { ok: true, output: { index, entry: list[index] } };
        next = step.onSuccess.map((name) => ({ step: name, loops: [...outer, { loop: step.name, index }] }));
      } else {
        outcome = { ok: true, output: { index, entry: null, done: true } };
        next = step.onFailure.map((name) => ({ step: name, loops: outer }));
      }
      await recordStep(rt, org, base, outcome);
      context.steps[step.name] = outcome.output;
      return saveExecution(rt, { ...execution, sequence: sequence + 1, queue: [...next, ...rest] });
    }
    case 'retryFormulaExecution': {
      const attempts = Math.min(MAX_RETRY_ATTEMPTS, Number(input.retryAttempts ?? DEFAULT_RETRY_ATTEMPTS) || DEFAULT_RETRY_ATTEMPTS);
      if (execution.attempt >= attempts) {
        outcome = { ok: false, output: { attempt: execution.attempt, retryAttempts: attempts }, error: `The execution failed after ${attempts} retries` };
        next = [];
        break;
      }
      const delayMs = retryDelay(input, execution.attempt);
      outcome = { ok: true, output: { attempt: execution.attempt + 1, retryAttempts: attempts, delayMs } };
      await recordStep(rt, org, base, outcome);
      // The whole execution starts over: a new attempt with an empty context of steps.
      for (const name of Object.keys(context.steps)) delete context.steps[name];
      context.info.retryAttempt = execution.attempt + 1;
      return saveExecution(rt, {
        ...execution,
        sequence: sequence + 1,
        attempt: execution.attempt + 1,
        status: 'waiting',
        resumeAt: new Date(Date.now() + delayMs).toISOString(),
        queue: entrySteps(formula),
      });
    }
    case 'formula': {
      outcome = await subFormula(rt, execution, input, context);
      next = [];
      break;
    }
    case 'elementRequest':
      outcome = await elementRequest(rt, org, input, `formula:${execution.id}:${sequence}`);
      next = [];
      break;
    case 'elementRequestStream':
      outcome = await elementRequestStream(rt, org, input, `formula:${execution.id}:${sequence}`);
      next = [];
      break;
    case 'httpRequest':
      outcome = await httpRequest(rt, input);
      next = [];
      break;
    default:
      outcome = await script(step.type, step.properties, context);
      next = [];
  }

  await recordStep(rt, org, base, outcome);
  context.steps[step.name] = outcome.output;
  const successors = outcome.ok ? step.onSuccess : step.onFailure;
  if (!outcome.ok && successors.length === 0 && step.type !== 'filter') {
    return { ...finish(execution, 'failed', { step: step.name, message: outcome.error ?? 'The step failed' }), sequence: sequence + 1 };
  }
  next = successors.map((name) => ({ step: name, loops: item.loops }));
  // The end of a branch inside a loop goes back to the loop for its next entry.
  if (next.length === 0 && item.loops.length > 0) next = [{ step: item.loops.at(-1)!.loop, loops: item.loops }];
  return saveExecution(rt, { ...execution, sequence: sequence + 1, queue: [...next, ...rest] });
}

async function recordStep(rt: Runtime, org: string, base: Omit<NewStepRecord, 'status'>, outcome: StepOutcome): Promise<void> {
  await putStep(rt, org, {
    ...base,
    status: outcome.ok ? 'success' : 'failed',
    output: outcome.output,
    ...(outcome.ok ? {} : { error: outcome.error ?? 'The step failed' }),
    finishedAt: new Date().toISOString(),
  });
}

/** A sub-formula step: the other formula of the organization runs as a child execution with this instance's variables. */
async function subFormula(rt: Runtime, parent: ExecutionItem, properties: Record<string, unknown>, context: FormulaContext): Promise<StepOutcome> {
  const formulaId = Number(properties.formulaId);
  if (parent.depth + 1 > MAX_FORMULA_DEPTH) return { ok: false, output: { formulaId }, error: `Sub-formulas may nest ${MAX_FORMULA_DEPTH} deep` };
  const formula = await getFormula(rt, parent.organization, formulaId);
  if (!formula) return { ok: false, output: { formulaId }, error: `Formula ${formulaId} not found` };
  const child = await createExecution(rt, {
    organization: parent.organization,
    formulaId,
    formulaInstanceId: parent.formulaInstanceId,
    trigger: { type: 'formula', args: properties.args ?? context.trigger.args ?? null },
    queue: entrySteps(formula),
    depth: parent.depth + 1,
    parentExecutionId: parent.id,
  });
  const done = await runExecution(rt, parent.organization, child.id);
  const steps = await listSteps(rt, parent.organization, child.id);
  const last = steps.filter((step) => step.status === 'success').at(-1);
  const output = { formulaExecutionId: child.id, status: done?.status, ...(last ? { [last.stepName]: last.output, response: last.output } : {}) };
  if (done?.status === 'success') return { ok: true, output };
  return { ok: false, output, error: `Sub-formula ${formulaId} ${done?.status ?? 'did not finish'}${done?.error ? `: ${done.error.message}` : ''}` };
}

/** Fails an execution whose step crashed its function or timed out (on AWS, the state machine's StepCrashed state). */
export async function failExecution(rt: Runtime, org: string, id: number, message: string): Promise<ExecutionItem | undefined> {
  const execution = await getExecution(rt, org, id);
  if (!execution || isFinished(execution.status)) return execution;
  const running = (await listSteps(rt, org, id)).find((record) => record.sequence === execution.sequence && record.status === 'running');
  if (running) await putStep(rt, org, { ...running, status: 'failed', error: message, finishedAt: new Date().toISOString() });
  return close(rt, finish(execution, 'failed', { ...(running ? { step: running.stepName } : {}), message }));
}
