// A formula as Open Connectors has it: variables (`configuration`), triggers
// that start an execution and steps that run one after another, each naming
// the steps that follow it on success and on failure. The schemas here are
// the API's payloads; `checkFormula` adds what one field cannot say alone:
// unique step names, successors that exist, variables that are declared,
// schedules no more frequent than every 15 minutes.
import type * as Croner from 'croner';
import type { Cron } from 'croner';
import { createRequire } from 'node:module';
import * as z from 'zod';
import { unprocessable, type FieldProblem } from '../http/errors.js';

export const STEP_TYPES = ['elementRequest', 'elementRequestStream', 'httpRequest', 'script', 'filter', 'loop', 'retryFormulaExecution', 'formula'] as const;
export type StepType = (typeof STEP_TYPES)[number];
export const TRIGGER_TYPES = ['manual', 'scheduled', 'elementRequest', 'event'] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];

/** Retries of a whole execution a retry step may ask for, and the longest wait between two. */
export const MAX_RETRY_ATTEMPTS = 10;
/** Steps one execution may run in all (every attempt and loop iteration): a formula that cycles stops here. */
export const MAX_STEPS_PER_EXECUTION = 1000;
export const MAX_RETRY_DELAY_MS = 15 * 60_000;
/** The most frequent schedule Open Connectors allows. */
export const MIN_SCHEDULE_INTERVAL_MS = 15 * 60_000;

const name = z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _');
const successors = z.array(name).max(20).default([]);
const properties = z.lazy(() => z.record(z.string(), z.unknown()).default({}));

export const stepSchema = z.lazy(() => z.object({
  id: z.number().int().optional(),
  name,
  type: z.enum(STEP_TYPES),
  description: z.string().max(2000).optional(),
  properties,
  onSuccess: successors,
  onFailure: successors,
}));
export type Step = z.output<typeof stepSchema>;

export const triggerSchema = z.lazy(() => z.object({
  id: z.number().int().optional(),
  type: z.enum(TRIGGER_TYPES),
  async: z.boolean().optional(),
  properties,
  onSuccess: successors,
  onFailure: successors,
}));
export type Trigger = z.output<typeof triggerSchema>;

export const variableSchema = z.lazy(() => z.object({
  id: z.number().int().optional(),
  key: name,
  name: z.string().trim().min(1).max(200).optional(),
  type: z.enum(['elementInstance', 'value']),
  description: z.string().max(2000).optional(),
  required: z.boolean().default(true),
}));
export type Variable = z.output<typeof variableSchema>;

export const formulaSchema = z.lazy(() => z.object({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(4000).default(''),
  active: z.boolean().default(true),
  singleThreaded: z.boolean().default(false),
  configuration: z.array(variableSchema).max(50).default([]),
  triggers: z.array(triggerSchema).max(1, 'a formula has one trigger').default([]),
  steps: z.array(stepSchema).max(200).default([]),
}));
export type FormulaInput = z.output<typeof formulaSchema>;

/** What PATCH may change: any top-level field. */
export const formulaPatchSchema = z.lazy(() => formulaSchema.unwrap().partial());

export const formulaInstanceSchema = z.lazy(() => z.object({
  name: z.string().trim().min(1).max(200),
  active: z.boolean().default(true),
  /** Variable key to value: a connector instance id for `elementInstance` variables, any JSON for `value` ones. */
  configuration: z.record(z.string(), z.unknown()).default({}),
}));
export type FormulaInstanceInput = z.output<typeof formulaInstanceSchema>;

// Step properties, checked when the formula is saved (references are resolved only when a step runs).
const text = z.string().min(1);
const stepProperties: Partial<Record<StepType, z.ZodType>> = {
  elementRequest: z.object({ elementInstanceId: z.union([text, z.number().int()]), method: text, api: text }).loose(),
  elementRequestStream: z
    .object({
      downloadElementInstanceId: z.union([text, z.number().int()]),
      downloadApi: text,
      downloadMethod: text.optional(),
      uploadElementInstanceId: z.union([text, z.number().int()]),
      uploadApi: text,
      uploadMethod: text.optional(),
      uploadFormDataName: z.string().optional(),
    })
    .loose(),
  httpRequest: z.object({ url: text, method: text.optional() }).loose(),
  script: z.object({ body: text }).loose(),
  filter: z.object({ body: text }).loose(),
  loop: z.object({ list: text }).loose(),
  retryFormulaExecution: z
    .object({
      retryAttempts: z.union([z.number().int().min(1).max(MAX_RETRY_ATTEMPTS), z.string().regex(/^\d+$/)]).optional(),
      retryDelay: z.union([z.number().int().min(0).max(MAX_RETRY_DELAY_MS), z.string().regex(/^\d+$/)]).optional(),
    })
    .loose(),
  formula: z.object({ formulaId: z.union([z.number().int().positive(), z.string().regex(/^\d+$/)]) }).loose(),
};

const triggerProperties: Partial<Record<TriggerType, z.ZodType>> = {
  scheduled: z.object({ cron: text }).loose(),
  event: z.object({ elementInstanceId: text }).loose(),
  elementRequest: z.object({ elementInstanceId: text, method: text.optional(), api: text.optional() }).loose(),
};

/** The variable a `${config.key}` or `${key}` reference names in an instance id property. */
export function variableReference(value: unknown): string | undefined {
  return typeof value === 'string' ? /^\$\{(?:config\.)?([A-Za-z0-9_-]+)\}$/.exec(value.trim())?.[1] : undefined;
}

/** The schedule's runs parsed as Open Connectors writes them (Quartz: seconds first, `?`, `0/15`). */
export function cronOf(expression: string): Cron {
  return new (cronClass())(expression, { paused: true, timezone: 'Etc/UTC', sloppyRanges: true });
}

/** croner, loaded when the first schedule is read (the platform's bundle leaves it out). */
let croner: typeof Cron | undefined;
/* eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, synchronously, as the callers are */
const cronClass = () => (croner ??= ((typeof require === 'function' ? require('croner') : createRequire(import.meta.url)('croner')) as typeof Croner).Cron);

function scheduleProblem(expression: string): string | undefined {
  let cron: Cron;
  try {
    cron = cronOf(expression);
  } catch (error) {
    return `is not a cron expression: ${error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error)}`;
  }
  // Two days of runs from a fixed Monday show the smallest gap of any daily or weekly pattern.
  const runs = cron.nextRuns(400, new Date('2024-01-01T00:00:00Z'));
  if (runs.length === 0) return 'never runs';
  for (let i = 1; i < runs.length; i++) {
    if (runs[i]!.getTime() - runs[i - 1]!.getTime() < MIN_SCHEDULE_INTERVAL_MS) return 'runs more often than every 15 minutes';
  }
  return undefined;
}

function propertyProblems(schema: z.ZodType | undefined, value: unknown, at: string): FieldProblem[] {
  if (!schema) return [];
  const parsed = schema.safeParse(value);
  return parsed.success ? [] : parsed.error.issues.map((issue) => ({ path: [at, ...issue.path.map(String)].join('.'), message: issue.message }));
}

/** Refuses a formula whose parts do not fit together (422 with every problem). */
export function checkFormula(formula: FormulaInput): void {
  const problems: FieldProblem[] = [];
  const names = new Set<string>();
  formula.steps.forEach((step, i) => {
    if (names.has(step.name)) problems.push({ path: `steps.${i}.name`, message: `step name ${step.name} is used twice` });
    names.add(step.name);
  });
  const variables = new Map(formula.configuration.map((variable) => [variable.key, variable]));
  if (variables.size !== formula.configuration.length) problems.push({ path: 'configuration', message: 'variable keys must be unique' });
  const checkSuccessors = (list: string[], at: string) =>
    list.forEach((next, j) => {
      if (!names.has(next)) problems.push({ path: `${at}.${j}`, message: `no step is named ${next}` });
    });
  const checkInstanceVariable = (value: unknown, at: string) => {
    if (typeof value === 'number') return;
    const key = variableReference(value);
    if (!key || variables.get(key)?.type !== 'elementInstance') problems.push({ path: at, message: 'name an elementInstance variable: ${config.key}' });
  };
  formula.steps.forEach((step, i) => {
    checkSuccessors(step.onSuccess, `steps.${i}.onSuccess`);
    checkSuccessors(step.onFailure, `steps.${i}.onFailure`);
    problems.push(...propertyProblems(stepProperties[step.type], step.properties, `steps.${i}.properties`));
    if (step.type === 'loop' && step.onSuccess.length === 0) problems.push({ path: `steps.${i}.onSuccess`, message: 'a loop names the first step of its body' });
  });
  formula.triggers.forEach((trigger, i) => {
    checkSuccessors(trigger.onSuccess, `triggers.${i}.onSuccess`);
    const at = `triggers.${i}.properties`;
    const before = problems.length;
    problems.push(...propertyProblems(triggerProperties[trigger.type], trigger.properties, at));
    if (problems.length > before) return;
    if (trigger.type === 'scheduled') {
      const problem = scheduleProblem(String(trigger.properties.cron));
      if (problem) problems.push({ path: `${at}.cron`, message: `the schedule ${problem}` });
    }
    if (trigger.type === 'event' || trigger.type === 'elementRequest') checkInstanceVariable(trigger.properties.elementInstanceId, `${at}.elementInstanceId`);
  });
  if (problems.length) throw unprocessable('The formula is not valid', problems);
}
