// Formulas, formula instances, executions and executed steps in the table
// (keys in store/keys.ts, items in docs/store.md). Everything is in the
// organization's partition; an execution is also indexed under its formula
// instance (gsi1) and, while it is unfinished, under the running partition a
// restart reads. Finished executions and their steps expire after the
// retention period.
import { conflict } from '../http/errors.js';
import type { Runtime } from '../runtime.js';
import {
  counterKeys,
  FORMULA_RUNNING_PARTITION,
  FORMULA_SCHEDULE_PARTITION,
  formulaEventKeys,
  formulaExecutionIndexKey,
  formulaExecutionKeys,
  formulaInstanceExecutionsLookup,
  formulaInstanceKeys,
  formulaKeys,
  formulaStepKeys,
  formulaStepsPrefix,
  orgPartition,
  SORT_PREFIX,
} from '../store/keys.js';
import type { Page, StoredItem } from '../store/table.js';
import type { FormulaInput } from './model.js';

/** How long a finished execution and its steps are kept. */
export const EXECUTION_RETENTION_DAYS = 30;

export interface FormulaItem extends StoredItem, FormulaInput {
  type: 'formula';
  id: number;
  organization: string;
}

/** A formula instance as it is created. */
export interface NewFormulaInstance {
  organization: string;
  formulaId: number;
  name: string;
  active: boolean;
  /** Variable key to value: connector instance ids for `elementInstance` variables. */
  configuration: Record<string, unknown>;
  /** The account user who created it; its element instances are those this user may use. */
  owner?: { userId: number; accountId: number };
  /** Next run of a scheduled trigger (ISO), with gsi1 in the schedule partition while active. */
  nextRunAt?: string;
}

export interface FormulaInstanceItem extends StoredItem, NewFormulaInstance {
  type: 'formulaInstance';
  id: number;
}

export type ExecutionStatus = 'pending' | 'running' | 'waiting' | 'success' | 'failed' | 'cancelled';

/** A step that is due: its name and the loops it runs inside (innermost last). */
export interface WorkItem {
  step: string;
  loops: { loop: string; index: number }[];
}

export interface ExecutionItem extends StoredItem {
  type: 'formulaExecution';
  id: number;
  organization: string;
  formulaId: number;
  formulaInstanceId: number;
  status: ExecutionStatus;
  trigger: { type: string; event?: unknown; args?: unknown; request?: unknown; response?: unknown };
  /** gsi1 partition of the formula instance's finished executions. */
  instanceIndex: string;
  /** 0 for the first run; each retry step that restarts the execution adds one. */
  attempt: number;
  /** What runs next, in order: the executor's whole position, written after every step. */
  queue: WorkItem[];
  /** Steps run so far (every attempt): the next step record's sequence. */
  sequence: number;
  /** When a waiting execution (a retry's backoff) runs again, ISO. */
  resumeAt?: string;
  /** The execution that started this one with a sub-formula step. */
  parentExecutionId?: number;
  depth: number;
  cancelRequested?: boolean;
  startedAt: string;
  finishedAt?: string;
  error?: { step?: string; message: string };
}

export interface StepRecord extends StoredItem {
  type: 'formulaStep';
  executionId: number;
  sequence: number;
  attempt: number;
  stepName: string;
  stepType: string;
  status: 'running' | 'success' | 'failed' | 'skipped';
  /** The step's resolved properties. */
  input?: unknown;
  /** What the step adds to the context under `steps.{name}`. */
  output?: unknown;
  error?: string;
  startedAt: string;
  finishedAt?: string;
  /** Loop iteration the step ran in. */
  loops?: WorkItem['loops'];
}

const nextId = (rt: Runtime, org: string, kind: 'formula' | 'formulaInstance' | 'formulaExecution') => rt.table.increment(counterKeys(org, kind), 'value', 1);
const retention = () => Math.floor(Date.now() / 1000) + EXECUTION_RETENTION_DAYS * 86_400;
const FINISHED = new Set<ExecutionStatus>(['success', 'failed', 'cancelled']);
export const isFinished = (status: ExecutionStatus) => FINISHED.has(status);

// Formulas.
export async function createFormula(rt: Runtime, org: string, input: FormulaInput): Promise<FormulaItem> {
  const id = await nextId(rt, org, 'formula');
  const item = { ...formulaKeys(org, id), type: 'formula' as const, id, organization: org, ...input };
  await rt.table.put(item);
  return (await getFormula(rt, org, id))!;
}

export const getFormula = (rt: Runtime, org: string, id: number) => rt.table.get<FormulaItem>(formulaKeys(org, id), { consistent: true });

export async function saveFormula(rt: Runtime, formula: FormulaItem, input: FormulaInput): Promise<FormulaItem> {
  const item = { ...formula, ...input, version: formula.version + 1 };
  if (!(await rt.table.putIf(item, '#v = :v', { ':v': formula.version }, { '#v': 'version' }))) {
    throw conflict(`Formula ${formula.id} changed meanwhile; read it again`, 'formula_changed');
  }
  return item;
}

export const listFormulas = (rt: Runtime, org: string) => rt.table.queryAll<FormulaItem>(orgPartition(org), { prefix: SORT_PREFIX.formula });
export const deleteFormula = (rt: Runtime, org: string, id: number) => rt.table.delete<FormulaItem>(formulaKeys(org, id));

// Formula instances.

export async function createFormulaInstance(rt: Runtime, item: NewFormulaInstance): Promise<FormulaInstanceItem> {
  const id = await nextId(rt, item.organization, 'formulaInstance');
  await rt.table.put({ ...formulaInstanceKeys(item.organization, id), ...scheduleIndex({ ...item, id }), type: 'formulaInstance', id, ...item });
  return (await getFormulaInstance(rt, item.organization, id))!;
}

/** Scheduled instances are found across organizations by their next run. */
function scheduleIndex(item: Pick<FormulaInstanceItem, 'nextRunAt' | 'active' | 'organization'> & { id?: number }) {
  return item.nextRunAt && item.active ? { gsi1pk: FORMULA_SCHEDULE_PARTITION, gsi1sk: `${item.nextRunAt}#${item.organization}#${item.id ?? ''}` } : {};
}

export const getFormulaInstance = (rt: Runtime, org: string, id: number) => rt.table.get<FormulaInstanceItem>(formulaInstanceKeys(org, id), { consistent: true });
export const listFormulaInstances = (rt: Runtime, org: string) => rt.table.queryAll<FormulaInstanceItem>(orgPartition(org), { prefix: SORT_PREFIX.formulaInstance });
export const deleteFormulaInstance = (rt: Runtime, org: string, id: number) => rt.table.delete<FormulaInstanceItem>(formulaInstanceKeys(org, id));

/** Moves a scheduled instance to its next run, only if no one else did: true when this caller claimed the run due at `due`. */
export async function claimScheduledRun(rt: Runtime, item: FormulaInstanceItem, due: string, next: string): Promise<boolean> {
  const index = scheduleIndex({ ...item, nextRunAt: next });
  return rt.table.setIf(formulaInstanceKeys(item.organization, item.id), { nextRunAt: next, gsi1sk: index.gsi1sk ?? '' }, 'nextRunAt = :due', { ':due': due });
}

/** Scheduled formula instances whose run is due, across organizations. */
export async function dueScheduledInstances(rt: Runtime, now: Date): Promise<{ organization: string; id: number }[]> {
  const items = await rt.table.queryAll<FormulaInstanceItem>(FORMULA_SCHEDULE_PARTITION, { index: 'gsi1', range: ['', `${now.toISOString()}#~`] });
  return items.map((item) => ({ organization: item.organization, id: item.id }));
}

/** Records that a formula instance took an event; false when it already had. */
export function claimEvent(rt: Runtime, org: string, formulaInstanceId: number, eventId: string): Promise<boolean> {
  const keys = formulaEventKeys(org, formulaInstanceId, eventId);
  const now = new Date().toISOString();
  return rt.table.putIf({ ...keys, type: 'formulaEvent', version: 1, createdAt: now, updatedAt: now, expiresAt: retention() }, 'attribute_not_exists(pk)');
}

// Executions.
export async function createExecution(
  rt: Runtime,
  input: Pick<ExecutionItem, 'organization' | 'formulaId' | 'formulaInstanceId' | 'trigger' | 'queue' | 'depth' | 'parentExecutionId'>,
): Promise<ExecutionItem> {
  const id = await nextId(rt, input.organization, 'formulaExecution');
  const now = new Date().toISOString();
  const item: ExecutionItem = {
    ...formulaExecutionKeys(input.organization, id),
    type: 'formulaExecution',
    id,
    ...input,
    status: 'pending',
    attempt: 0,
    sequence: 0,
    startedAt: now,
    version: 1,
    createdAt: now,
    updatedAt: now,
    gsi1pk: FORMULA_RUNNING_PARTITION,
    gsi1sk: `${input.organization}#${formulaExecutionIndexKey(id)}`,
    instanceIndex: formulaInstanceExecutionsLookup(input.organization, input.formulaInstanceId),
  } as ExecutionItem;
  await rt.table.put(item);
  return item;
}

export const getExecution = (rt: Runtime, org: string, id: number) => rt.table.get<ExecutionItem>(formulaExecutionKeys(org, id), { consistent: true });

const finishedIndex = (execution: ExecutionItem) => ({ gsi1pk: execution.instanceIndex, gsi1sk: formulaExecutionIndexKey(execution.id), expiresAt: retention() });

/**
 * Writes the execution's new position; a finished one leaves the running
 * partition and expires after the retention period. A cancel that came in
 * since the executor last read the execution wins: it ends cancelled.
 */
export async function saveExecution(rt: Runtime, execution: ExecutionItem): Promise<ExecutionItem> {
  const now = new Date().toISOString();
  const item: ExecutionItem = {
    ...execution,
    version: execution.version + 1,
    updatedAt: now,
    ...(isFinished(execution.status) ? finishedIndex(execution) : { gsi1pk: FORMULA_RUNNING_PARTITION, gsi1sk: `${execution.organization}#${formulaExecutionIndexKey(execution.id)}` }),
  };
  if (execution.cancelRequested) {
    await rt.table.put(item);
    return item;
  }
  if (await rt.table.putIf(item, 'attribute_not_exists(cancelRequested)')) return item;
  const cancelled: ExecutionItem = { ...item, status: 'cancelled', cancelRequested: true, queue: [], finishedAt: now, error: { message: 'Cancelled' }, ...finishedIndex(execution) };
  delete cancelled.resumeAt;
  await rt.table.put(cancelled);
  return cancelled;
}

/** Asks a running execution to stop before its next step; false when it has finished. */
export function requestCancel(rt: Runtime, execution: ExecutionItem): Promise<boolean> {
  return rt.table.setIf(formulaExecutionKeys(execution.organization, execution.id), { cancelRequested: true }, 'attribute_exists(pk) AND NOT #s IN (:a, :b, :c)', { ':a': 'success', ':b': 'failed', ':c': 'cancelled' }, { '#s': 'status' });
}

/** Unfinished executions of every organization, oldest first. */
export const unfinishedExecutions = (rt: Runtime) => rt.table.queryAll<ExecutionItem>(FORMULA_RUNNING_PARTITION, { index: 'gsi1' });

/**
 * A formula instance's executions, newest first: the finished ones from its
 * index, the unfinished ones from the running partition.
 */
export async function listExecutions(rt: Runtime, org: string, formulaInstanceId: number, limit: number, cursor?: string): Promise<Page<ExecutionItem>> {
  const running = cursor ? [] : (await rt.table.queryAll<ExecutionItem>(FORMULA_RUNNING_PARTITION, { index: 'gsi1', prefix: `${org}#` })).filter((e) => e.formulaInstanceId === formulaInstanceId);
  const page = await rt.table.query<ExecutionItem>(formulaInstanceExecutionsLookup(org, formulaInstanceId), { index: 'gsi1', descending: true, limit, cursor });
  return { items: [...running.reverse(), ...page.items], ...(page.next ? { next: page.next } : {}) };
}

// Executed steps.
export type NewStepRecord = Pick<StepRecord, 'executionId' | 'sequence' | 'attempt' | 'stepName' | 'stepType' | 'status' | 'input' | 'output' | 'error' | 'startedAt' | 'finishedAt' | 'loops'>;

export async function putStep(rt: Runtime, org: string, record: NewStepRecord): Promise<void> {
  await rt.table.put({ ...formulaStepKeys(org, record.executionId, record.sequence), type: 'formulaStep', ...record });
}

export const listSteps = (rt: Runtime, org: string, executionId: number) =>
  rt.table.queryAll<StepRecord>(orgPartition(org), { prefix: formulaStepsPrefix(executionId), consistent: true });

/** Gives a finished execution's steps the execution's retention. */
export async function expireSteps(rt: Runtime, org: string, executionId: number): Promise<void> {
  const expiresAt = retention();
  for (const step of await listSteps(rt, org, executionId)) await rt.table.put({ ...step, expiresAt });
}
