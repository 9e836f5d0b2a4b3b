// How an execution gets going once a trigger has created it. On AWS it is an
// AWS Step Functions execution of the formulas state machine
// (state-machine.ts), named after the formula execution, so that starting it
// twice starts it once; the scheduler function starts again every execution
// still pending a minute later (a start that failed), and nothing is lost.
// Locally the server's in-process executor drives it (executeInProcess). A
// process with neither fails the execution at once, saying so: it never sits
// pending with nothing to run it.
//
// This module is what triggers need, and no more: the executor, its steps and
// the JavaScript sandbox stay out of the functions that only start executions.
import { createHash } from 'node:crypto';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describeError, logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import { createExecution, saveExecution, unfinishedExecutions, type ExecutionItem, type FormulaInstanceItem, type FormulaItem, type WorkItem } from './store.js';

/** Drives an execution in this process, in the background. */
export type Driver = (org: string, id: number) => void;

/** A pending execution older than this has had its start fail: the scheduler starts it again. */
export const RESTART_AFTER_MS = 60_000;

const launching = (rt: Runtime) => rt.service('formulas.launch', () => ({ driver: undefined as Driver | undefined, client: undefined as SFNClient | undefined }));

/** Makes `driver` the executor of the executions this runtime starts. */
export function useDriver(rt: Runtime, driver: Driver): void {
  launching(rt).driver = driver;
}

/** The first steps of a formula: its trigger's `onSuccess`, else its first step. */
export function entrySteps(formula: FormulaItem): WorkItem[] {
  const names = formula.triggers[0]?.onSuccess.length ? formula.triggers[0].onSuccess : formula.steps.slice(0, 1).map((step) => step.name);
  return names.map((step) => ({ step, loops: [] }));
}

/** Creates an execution of a formula instance and starts it. */
export async function startExecution(rt: Runtime, instance: FormulaInstanceItem, formula: FormulaItem, trigger: ExecutionItem['trigger']): Promise<ExecutionItem> {
  const execution = await createExecution(rt, {
    organization: instance.organization,
    formulaId: formula.id,
    formulaInstanceId: instance.id,
    trigger,
    queue: entrySteps(formula),
    depth: 0,
  });
  return launch(rt, execution);
}

/**
 * The state machine execution's name: unique per formula execution, in the
 * characters Step Functions allows (80 of A-Z a-z 0-9 - _). The hash tells
 * apart organizations whose names differ only in other characters.
 */
export function stateMachineExecutionName(org: string, id: number): string {
  const hash = createHash('sha256').update(org).digest('hex').slice(0, 10);
  return `${org.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 48)}-${id}-${hash}`;
}

async function launch(rt: Runtime, execution: ExecutionItem): Promise<ExecutionItem> {
  const { organization: org, id } = execution;
  const stateMachineArn = rt.config.formulasStateMachineArn;
  if (stateMachineArn) {
    const state = launching(rt);
    state.client ??= new SFNClient({ region: rt.config.region, maxAttempts: 3 });
    try {
      await state.client.send(
        new StartExecutionCommand({ stateMachineArn, name: stateMachineExecutionName(org, id), input: JSON.stringify({ organization: org, executionId: id }) }),
      );
    } catch (error) {
      // Started before (a repeated start, the scheduler's restart): it runs once.
      if (error instanceof ExecutionAlreadyExists) return execution;
      // Stays pending: the scheduler starts it again within a minute or two.
      logger.error('formula execution could not be started', { organization: org, execution: id, error: describeError(error) });
    }
    return execution;
  }
  const { driver } = launching(rt);
  if (driver) {
    driver(org, id);
    return execution;
  }
  const now = new Date().toISOString();
  return saveExecution(rt, {
    ...execution,
    status: 'failed',
    queue: [],
    finishedAt: now,
    error: { message: 'No formula executor runs in this process (on AWS: TOLLGATE_FORMULAS_STATE_MACHINE_ARN is not set)' },
  });
}

/**
 * On AWS: starts again every execution that is still pending a while after
 * it was created (its start failed). Sub-formula executions are their
 * parent's. Returns how many were started.
 */
export async function restartPendingExecutions(rt: Runtime, now = Date.now()): Promise<number> {
  let started = 0;
  for (const execution of await unfinishedExecutions(rt)) {
    if (execution.status !== 'pending' || execution.parentExecutionId !== undefined || now - Date.parse(execution.createdAt) < RESTART_AFTER_MS) continue;
    await launch(rt, execution);
    started++;
  }
  return started;
}
