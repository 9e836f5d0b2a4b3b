// The formulas API on Open Connectors' paths (`/elements/api-v2/formulas...`):
// formulas and their steps, triggers and variables; formula instances that
// bind a formula to connector instances and values; executions with their
// steps (inputs, outputs, status), the manual trigger and cancel. Formulas
// belong to the organization; a formula instance may only name connector
// instances its creator may use.
import * as z from 'zod';
import type { Principal, PlatformRouter } from '../auth/principal.js';
import { BASE, listHeaders, optionalJson } from '../connectors/http.js';
import { ownerFor, usableInstance } from '../connectors/instance-access.js';
import { readJson, validate } from '../http/body.js';
import { conflict, notFound, unprocessable, type FieldProblem } from '../http/errors.js';
import type { HttpRequest } from '../http/request.js';
import { ok } from '../http/response.js';
import type { Runtime } from '../runtime.js';
import { wakeExecution } from './executor.js';
import { startExecution } from './launch.js';
import { checkFormula, formulaInstanceSchema, formulaPatchSchema, formulaSchema, stepSchema, triggerSchema, variableSchema, type FormulaInput } from './model.js';
import {
  createFormula,
  createFormulaInstance,
  deleteFormula,
  deleteFormulaInstance,
  getExecution,
  getFormula,
  getFormulaInstance,
  isFinished,
  listExecutions,
  listFormulaInstances,
  listFormulas,
  listSteps,
  requestCancel,
  saveFormula,
  type ExecutionItem,
  type FormulaInstanceItem,
  type FormulaItem,
  type StepRecord,
} from './store.js';
import { forgetBindings, installElementRequestTriggers, nextRun } from './triggers.js';

const F = `${BASE}/formulas`;

function numericId(value: string | undefined, what: string): number {
  if (!value || !/^\d{1,12}$/.test(value)) throw notFound(`${what} ${value ?? ''} not found`, `${what.toLowerCase().replace(/ /g, '_')}_not_found`);
  return Number(value);
}

async function requireFormula(rt: Runtime, org: string, id: string | undefined): Promise<FormulaItem> {
  const formula = await getFormula(rt, org, numericId(id, 'Formula'));
  if (!formula) throw notFound(`Formula ${id} not found`, 'formula_not_found');
  return formula;
}

async function requireInstance(rt: Runtime, org: string, id: string | undefined, formulaId?: number): Promise<FormulaInstanceItem> {
  const instance = await getFormulaInstance(rt, org, numericId(id, 'Formula instance'));
  if (!instance || (formulaId !== undefined && instance.formulaId !== formulaId)) throw notFound(`Formula instance ${id} not found`, 'formula_instance_not_found');
  return instance;
}

async function requireExecution(rt: Runtime, org: string, id: string | undefined): Promise<ExecutionItem> {
  const execution = await getExecution(rt, org, numericId(id, 'Formula execution'));
  if (!execution) throw notFound(`Formula execution ${id} not found`, 'formula_execution_not_found');
  return execution;
}

/** Gives every step, trigger and variable an id (new ones after the highest). */
function withIds(input: FormulaInput): FormulaInput {
  const parts = [...input.steps, ...input.triggers, ...input.configuration];
  let next = Math.max(0, ...parts.map((part) => part.id ?? 0));
  const give = <T extends { id?: number }>(part: T): T => ({ ...part, id: part.id ?? ++next });
  return { ...input, steps: input.steps.map(give), triggers: input.triggers.map(give), configuration: input.configuration.map(give) };
}

function formulaView(formula: FormulaItem): Record<string, unknown> {
  return {
    id: formula.id,
    name: formula.name,
    description: formula.description,
    active: formula.active,
    singleThreaded: formula.singleThreaded,
    configuration: formula.configuration,
    triggers: formula.triggers,
    steps: formula.steps,
    createdDate: formula.createdAt,
    updatedDate: formula.updatedAt,
  };
}

function instanceView(instance: FormulaInstanceItem, formula?: FormulaItem): Record<string, unknown> {
  return {
    id: instance.id,
    name: instance.name,
    active: instance.active,
    formula: formula ? { id: formula.id, name: formula.name, active: formula.active } : { id: instance.formulaId },
    configuration: instance.configuration,
    ...(instance.nextRunAt ? { nextRunDate: instance.nextRunAt } : {}),
    createdDate: instance.createdAt,
    updatedDate: instance.updatedAt,
  };
}

function stepView(step: StepRecord): Record<string, unknown> {
  return {
    id: step.sequence + 1,
    stepName: step.stepName,
    stepType: step.stepType,
    status: step.status,
    attempt: step.attempt,
    ...(step.loops ? { loops: step.loops } : {}),
    input: step.input,
    output: step.output,
    ...(step.error ? { error: step.error } : {}),
    createdDate: step.startedAt,
    updatedDate: step.finishedAt ?? step.startedAt,
  };
}

function executionView(execution: ExecutionItem, steps?: StepRecord[]): Record<string, unknown> {
  return {
    id: execution.id,
    formulaId: execution.formulaId,
    formulaInstanceId: execution.formulaInstanceId,
    status: execution.status,
    trigger: execution.trigger,
    retryAttempt: execution.attempt,
    ...(execution.parentExecutionId !== undefined ? { parentExecutionId: execution.parentExecutionId } : {}),
    ...(execution.resumeAt ? { resumeDate: execution.resumeAt } : {}),
    ...(execution.error ? { error: execution.error } : {}),
    createdDate: execution.startedAt,
    updatedDate: execution.updatedAt,
    ...(execution.finishedAt ? { finishedDate: execution.finishedAt } : {}),
    ...(steps ? { stepExecutions: steps.map(stepView) } : {}),
  };
}

/** Checks and saves a formula's new state; its instances' triggers see it at once. */
async function save(rt: Runtime, formula: FormulaItem, input: FormulaInput): Promise<FormulaItem> {
  const complete = withIds(input);
  checkFormula(complete);
  const saved = await saveFormula(rt, formula, complete);
  forgetBindings(rt, formula.organization);
  return saved;
}

/** The formula instance's variable values: every required one given, instances the caller may use. */
async function instanceConfiguration(rt: Runtime, principal: Principal, formula: FormulaItem, values: Record<string, unknown>): Promise<Record<string, unknown>> {
  const problems: FieldProblem[] = [];
  const declared = new Map(formula.configuration.map((variable) => [variable.key, variable]));
  for (const key of Object.keys(values)) if (!declared.has(key)) problems.push({ path: `configuration.${key}`, message: 'the formula has no such variable' });
  const configuration: Record<string, unknown> = {};
  for (const variable of formula.configuration) {
    const value = values[variable.key];
    if (value === undefined || value === null || value === '') {
      if (variable.required) problems.push({ path: `configuration.${variable.key}`, message: 'required' });
      continue;
    }
    if (variable.type === 'elementInstance') {
      const id = Number(value);
      if (!Number.isInteger(id) || id <= 0) {
        problems.push({ path: `configuration.${variable.key}`, message: 'must be an instance id' });
        continue;
      }
      try {
        await usableInstance(rt, principal, id);
      } catch {
        problems.push({ path: `configuration.${variable.key}`, message: `instance ${id} not found` });
        continue;
      }
      configuration[variable.key] = id;
    } else configuration[variable.key] = value;
  }
  if (problems.length) throw unprocessable('The formula instance is not valid', problems);
  return configuration;
}

function firstRun(formula: FormulaItem): string | undefined {
  const trigger = formula.triggers[0];
  return trigger?.type === 'scheduled' ? nextRun(String(trigger.properties.cron), new Date()) : undefined;
}

type Part = 'steps' | 'triggers' | 'configuration';
const PART_SCHEMAS = { steps: stepSchema, triggers: triggerSchema, configuration: variableSchema } as const;
const PART_NAMES: Record<Part, string> = { steps: 'Step', triggers: 'Trigger', configuration: 'Variable' };

function registerPartRoutes(router: PlatformRouter, part: Part): void {
  const schema = PART_SCHEMAS[part];
  const what = PART_NAMES[part];
  const find = (formula: FormulaItem, id: string | undefined) => {
    const index = (formula[part] as { id?: number }[]).findIndex((entry) => String(entry.id) === id);
    if (index < 0) throw notFound(`${what} ${id} of formula ${formula.id} not found`, `formula_${part}_not_found`);
    return index;
  };
  router.get(`${F}/:id/${part}`, { operationId: `listFormula${what}s`, summary: `List a formula's ${part}` }, async (request, rt, { organization: org }) => {
    const list = (await requireFormula(rt, org, request.params.id))[part];
    return ok(list, listHeaders(list.length));
  });
  router.post(`${F}/:id/${part}`, { operationId: `createFormula${what}`, summary: `Add a ${what.toLowerCase()} to a formula`, body: schema }, async (request, rt, { organization: org }) => {
    const formula = await requireFormula(rt, org, request.params.id);
    const entry = { ...(validate(schema, readJson(request)) as { id?: number }), id: undefined };
    const saved = await save(rt, formula, { ...formula, [part]: [...formula[part], entry] });
    return ok(saved[part].at(-1));
  });
  router.get(`${F}/:id/${part}/:partId`, { operationId: `getFormula${what}`, summary: `Get one ${what.toLowerCase()} of a formula` }, async (request, rt, { organization: org }) => {
    const formula = await requireFormula(rt, org, request.params.id);
    return ok(formula[part][find(formula, request.params.partId)]);
  });
  router.put(`${F}/:id/${part}/:partId`, { operationId: `replaceFormula${what}`, summary: `Replace one ${what.toLowerCase()} of a formula`, body: schema }, async (request, rt, { organization: org }) => {
    const formula = await requireFormula(rt, org, request.params.id);
    const index = find(formula, request.params.partId);
    const list = [...formula[part]] as { id?: number }[];
    list[index] = { ...(validate(schema, readJson(request)) as object), id: list[index]!.id };
    const saved = await save(rt, formula, { ...formula, [part]: list });
    return ok(saved[part][index]);
  });
  router.delete(`${F}/:id/${part}/:partId`, { operationId: `deleteFormula${what}`, summary: `Remove one ${what.toLowerCase()} of a formula` }, async (request, rt, { organization: org }) => {
    const formula = await requireFormula(rt, org, request.params.id);
    const index = find(formula, request.params.partId);
    await save(rt, formula, { ...formula, [part]: formula[part].filter((_entry, i) => i !== index) });
    return ok({});
  });
}

const cancelSchema = z.lazy(() => z.object({ status: z.literal('cancelled') }));
/** The manual trigger's body: any JSON object, the execution's `${trigger.args}`. */
const argsSchema = z.lazy(() => z.record(z.string(), z.unknown()));
const LIMIT = z.coerce.number().int().min(1).max(200).default(50);

async function cancel(rt: Runtime, execution: ExecutionItem) {
  if (isFinished(execution.status) || !(await requestCancel(rt, execution))) throw conflict(`Execution ${execution.id} has already ${execution.status === 'cancelled' ? 'been cancelled' : 'finished'}`, 'execution_finished');
  // A waiting execution (a retry's backoff) is stopped now rather than when it wakes.
  await wakeExecution(rt, execution.organization, execution.id);
  return ok(executionView((await getExecution(rt, execution.organization, execution.id))!));
}

function formulaBody(request: HttpRequest): FormulaInput {
  return validate(formulaSchema, readJson(request));
}

export function registerFormulaRoutes(router: PlatformRouter): void {
  installElementRequestTriggers();
  router.get(F, { operationId: 'listFormulas', summary: 'List the organization\'s formulas' }, async (_request, rt, { organization: org }) => {
    const formulas = (await listFormulas(rt, org)).map(formulaView);
    return ok(formulas, listHeaders(formulas.length));
  });
  router.post(F, { operationId: 'createFormula', summary: 'Create a formula', description: 'Variables (`configuration`), one trigger and the steps; step names are unique and every `onSuccess`/`onFailure` names a step.', body: formulaSchema }, async (request, rt, { organization: org }) => {
    const input = withIds(formulaBody(request));
    checkFormula(input);
    return ok(formulaView(await createFormula(rt, org, input)));
  });

  // Formula instances across formulas, and executions: before /formulas/{id} so that `instances` is not taken for an id.
  router.get(`${F}/instances`, { operationId: 'listAllFormulaInstances', summary: 'List the formula instances of every formula' }, async (_request, rt, { organization: org }) => {
    const formulas = new Map((await listFormulas(rt, org)).map((formula) => [formula.id, formula]));
    const instances = (await listFormulaInstances(rt, org)).map((instance) => instanceView(instance, formulas.get(instance.formulaId)));
    return ok(instances, listHeaders(instances.length));
  });
  router.get(`${F}/instances/executions/:executionId`, { operationId: 'getFormulaExecution', summary: 'Get an execution with its steps: inputs, outputs, status' }, async (request, rt, { organization: org }) => {
    const execution = await requireExecution(rt, org, request.params.executionId);
    return ok(executionView(execution, await listSteps(rt, org, execution.id)));
  });
  router.get(`${F}/instances/executions/:executionId/steps`, { operationId: 'listFormulaExecutionSteps', summary: 'List the steps an execution ran, in order' }, async (request, rt, { organization: org }) => {
    const execution = await requireExecution(rt, org, request.params.executionId);
    const steps = (await listSteps(rt, org, execution.id)).map(stepView);
    return ok(steps, listHeaders(steps.length));
  });
  router.put(`${F}/instances/executions/:executionId`, { operationId: 'cancelFormulaExecution', summary: 'Cancel an execution', description: '`{"status": "cancelled"}`: the execution stops before its next step; 409 when it has finished.', body: cancelSchema }, async (request, rt, { organization: org }) => {
    validate(cancelSchema, readJson(request));
    return cancel(rt, await requireExecution(rt, org, request.params.executionId));
  });
  router.delete(`${F}/instances/executions/:executionId`, { operationId: 'cancelFormulaExecutionByDelete', summary: 'Cancel an execution' }, async (request, rt, { organization: org }) => {
    return cancel(rt, await requireExecution(rt, org, request.params.executionId));
  });
  router.get(`${F}/instances/:instanceId/executions`, { operationId: 'listFormulaExecutions', summary: 'List a formula instance\'s executions, newest first', query: { pageSize: { description: 'At most this many (1-200, 50 by default).' }, nextPage: { description: 'The `Elements-Next-Page-Token` of the previous page.' } } }, async (request, rt, { organization: org }) => {
    const instance = await requireInstance(rt, org, request.params.instanceId);
    const limit = validate(LIMIT, request.query.get('pageSize') ?? undefined, 'pageSize');
    const page = await listExecutions(rt, org, instance.id, limit, request.query.get('nextPage') ?? undefined);
    const executions = page.items.map((execution) => executionView(execution));
    return ok(executions, listHeaders(executions.length, page.next));
  });
  router.post(`${F}/instances/:instanceId/executions`, { operationId: 'triggerFormulaExecution', summary: 'Start an execution (manual trigger)', description: 'The JSON body, if any, is the execution\'s `${trigger.args}`.', body: argsSchema, bodyOptional: true }, async (request, rt, { organization: org }) => {
    const instance = await requireInstance(rt, org, request.params.instanceId);
    const formula = await requireFormula(rt, org, String(instance.formulaId));
    const trigger = formula.triggers[0];
    if (trigger && trigger.type !== 'manual') throw conflict(`Formula ${formula.id} starts on its ${trigger.type} trigger, not by hand`, 'formula_not_manual');
    const args = request.body.length ? validate(argsSchema, optionalJson(request)) : {};
    const execution = await startExecution(rt, instance, formula, { type: 'manual', args });
    return ok(executionView(execution));
  });

  router.get(`${F}/:id`, { operationId: 'getFormula', summary: 'Get a formula' }, async (request, rt, { organization: org }) => ok(formulaView(await requireFormula(rt, org, request.params.id))));
  router.put(`${F}/:id`, { operationId: 'replaceFormula', summary: 'Replace a formula', body: formulaSchema }, async (request, rt, { organization: org }) => {
    const formula = await requireFormula(rt, org, request.params.id);
    return ok(formulaView(await save(rt, formula, formulaBody(request))));
  });
  router.patch(`${F}/:id`, { operationId: 'updateFormula', summary: 'Change parts of a formula', body: formulaPatchSchema }, async (request, rt, { organization: org }) => {
    const formula = await requireFormula(rt, org, request.params.id);
    const patch = validate(formulaPatchSchema, readJson(request));
    const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
    return ok(formulaView(await save(rt, formula, { ...formula, ...defined })));
  });
  router.delete(`${F}/:id`, { operationId: 'deleteFormula', summary: 'Delete a formula', description: '409 while it has instances.' }, async (request, rt, { organization: org }) => {
    const formula = await requireFormula(rt, org, request.params.id);
    if ((await listFormulaInstances(rt, org)).some((instance) => instance.formulaId === formula.id)) throw conflict(`Formula ${formula.id} has instances; delete them first`, 'formula_in_use');
    await deleteFormula(rt, org, formula.id);
    forgetBindings(rt, org);
    return ok({});
  });
  for (const part of ['steps', 'triggers', 'configuration'] as const) registerPartRoutes(router, part);

  router.get(`${F}/:id/instances`, { operationId: 'listFormulaInstances', summary: 'List a formula\'s instances' }, async (request, rt, { organization: org }) => {
    const formula = await requireFormula(rt, org, request.params.id);
    const instances = (await listFormulaInstances(rt, org)).filter((instance) => instance.formulaId === formula.id).map((instance) => instanceView(instance, formula));
    return ok(instances, listHeaders(instances.length));
  });
  router.post(`${F}/:id/instances`, { operationId: 'createFormulaInstance', summary: 'Create a formula instance', description: '`configuration` gives each variable its value: a connector instance id for `elementInstance` variables.', body: formulaInstanceSchema }, async (request, rt, principal) => {
    const formula = await requireFormula(rt, principal.organization, request.params.id);
    const input = validate(formulaInstanceSchema, readJson(request));
    const configuration = await instanceConfiguration(rt, principal, formula, input.configuration);
    const owner = ownerFor(principal);
    const nextRunAt = firstRun(formula);
    const instance = await createFormulaInstance(rt, {
      organization: principal.organization,
      formulaId: formula.id,
      name: input.name,
      active: input.active,
      configuration,
      ...(owner ? { owner } : {}),
      ...(nextRunAt ? { nextRunAt } : {}),
    });
    forgetBindings(rt, principal.organization);
    return ok(instanceView(instance, formula));
  });
  router.get(`${F}/:id/instances/:instanceId`, { operationId: 'getFormulaInstance', summary: 'Get a formula instance' }, async (request, rt, { organization: org }) => {
    const formula = await requireFormula(rt, org, request.params.id);
    return ok(instanceView(await requireInstance(rt, org, request.params.instanceId, formula.id), formula));
  });
  router.delete(`${F}/:id/instances/:instanceId`, { operationId: 'deleteFormulaInstance', summary: 'Delete a formula instance', description: 'Its executions stay readable until they expire.' }, async (request, rt, { organization: org }) => {
    const formula = await requireFormula(rt, org, request.params.id);
    const instance = await requireInstance(rt, org, request.params.instanceId, formula.id);
    await deleteFormulaInstance(rt, org, instance.id);
    forgetBindings(rt, org);
    return ok({});
  });
}
