// What starts executions besides the manual trigger: a connector instance's
// events (one execution per changed object, each event once), a resource
// call through an instance (element request triggers), and schedules (cron,
// at most every 15 minutes), claimed with a conditional write so that one
// run starts once however many schedulers look.
import { TtlCache } from '../cache/ttl-cache.js';
import { eventSinks, registerEventSink } from '../connectors/events/sinks.js';
import { observeResourceCalls, type ResourceCallObservation } from '../connectors/resource-proxy.js';
import { callSegments } from '../connectors/vendor-call.js';
import { logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import { startExecution } from './launch.js';
import { cronOf, variableReference, type TriggerType } from './model.js';
import { claimEvent, claimScheduledRun, dueScheduledInstances, getFormula, getFormulaInstance, listFormulaInstances, listFormulas, type FormulaInstanceItem, type FormulaItem } from './store.js';

/** One changed object, as connector events normalize it. */
export interface FormulaEvent {
  id: string;
  eventType: string;
  objectType: string;
  objectId: string;
  date: string;
  elementKey: string;
  instanceId: number;
}

/** What connector events deliver to a sink: up to 20 events of one instance. */
export interface FormulaEventNotification {
  eventId: string;
  organization: string;
  instanceId: number;
  elementKey: string;
  source: 'polling' | 'webhook';
  events: FormulaEvent[];
  raw?: unknown;
}

interface Bound {
  instance: FormulaInstanceItem;
  formula: FormulaItem;
}

/** The active formula instances of an organization with their formulas, briefly cached (changes here invalidate it). */
const bindings = (rt: Runtime) => rt.service('formulas.bindings', () => new TtlCache<string, Bound[]>({ ttlMs: 5_000, maxEntries: 1_000 }));

export function forgetBindings(rt: Runtime, org: string): void {
  bindings(rt).delete(org);
}

async function boundTo(rt: Runtime, org: string, type: TriggerType, connectorInstanceId: number): Promise<Bound[]> {
  const all = await bindings(rt).get(org, async () => {
    const formulas = new Map((await listFormulas(rt, org)).map((formula) => [formula.id, formula]));
    return (await listFormulaInstances(rt, org)).flatMap((instance) => {
      const formula = formulas.get(instance.formulaId);
      return formula && formula.active && instance.active ? [{ instance, formula }] : [];
    });
  });
  return all.filter(({ instance, formula }) => {
    const trigger = formula.triggers[0];
    if (trigger?.type !== type) return false;
    const key = variableReference(trigger.properties.elementInstanceId);
    return key !== undefined && Number(instance.configuration[key]) === connectorInstanceId;
  });
}

/**
 * Starts one execution per event for every formula instance whose event
 * trigger names the notification's connector instance. Each event starts at
 * most one execution per formula instance, however often it is delivered.
 * It has the shape of an event sink: connector events call it.
 */
export async function deliverEvents(rt: Runtime, notification: FormulaEventNotification): Promise<number> {
  let started = 0;
  for (const { instance, formula } of await boundTo(rt, notification.organization, 'event', notification.instanceId)) {
    for (const event of notification.events) {
      if (!(await claimEvent(rt, notification.organization, instance.id, event.id))) continue;
      await startExecution(rt, instance, formula, { type: 'event', event: { ...event, eventId: notification.eventId, source: notification.source } });
      started++;
    }
  }
  return started;
}

/** The connector events' sink of formulas (`registerEventSink(rt, formulaEventSink)`). */
export const formulaEventSink = {
  name: 'formulas',
  deliver: async (notification: FormulaEventNotification, rt: Runtime): Promise<void> => {
    await deliverEvents(rt, notification);
  },
};

/**
 * The runtime with formulas listening to connector events: every function
 * that records or delivers events calls it, so a notification's targets and
 * its delivery agree whichever function handles them.
 */
export function withFormulaTriggers(rt: Runtime): Runtime {
  if (!eventSinks(rt).has(formulaEventSink.name)) registerEventSink(rt, formulaEventSink);
  return rt;
}

const segmentsOf = (path: string) => callSegments(path);

function callMatches(api: unknown, method: unknown, observation: ResourceCallObservation): boolean {
  if (typeof method === 'string' && method && method.toUpperCase() !== observation.request.method) return false;
  if (typeof api !== 'string' || !api) return true;
  const expected = segmentsOf(api);
  const actual = segmentsOf(observation.path);
  return expected.length === actual.length && expected.every((part, i) => /^\{.+\}$/.test(part) || part === actual[i]);
}

function bodyOf(body: Buffer | undefined): unknown {
  if (!body?.length) return undefined;
  const text = body.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function onResourceCall(rt: Runtime, observation: ResourceCallObservation): Promise<void> {
  for (const { instance, formula } of await boundTo(rt, observation.organization, 'elementRequest', observation.instance.id)) {
    const { properties } = formula.triggers[0]!;
    if (!callMatches(properties.api, properties.method, observation)) continue;
    const { request, response } = observation;
    await startExecution(rt, instance, formula, {
      type: 'elementRequest',
      request: { method: request.method, path: `/${observation.path}`, query: Object.fromEntries(request.query), body: bodyOf(request.body) },
      response: { code: response.status, body: bodyOf(Buffer.isBuffer(response.body) ? response.body : response.body === undefined ? undefined : Buffer.from(String(response.body))) },
    });
  }
}

/** Element request triggers: resource calls through instances start the formulas bound to them (not calls of formulas' own steps). */
export function installElementRequestTriggers(): void {
  observeResourceCalls((rt, observation) => {
    if (observation.request.requestId.startsWith('formula:')) return;
    onResourceCall(rt, observation).catch((error: unknown) =>
      logger.error('element request trigger failed', { organization: observation.organization, error: error instanceof Error ? error.message : String(error) }),
    );
  });
}

/** The next run of a schedule after `after`, ISO. */
export function nextRun(cron: string, after: Date): string | undefined {
  return cronOf(cron).nextRun(after)?.toISOString();
}

/** Starts every scheduled run that is due; each run is claimed once across schedulers. Returns the executions started. */
export async function runDueSchedules(rt: Runtime, now = new Date()): Promise<number> {
  let started = 0;
  for (const due of await dueScheduledInstances(rt, now)) {
    const instance = await getFormulaInstance(rt, due.organization, due.id);
    if (!instance?.nextRunAt || !instance.active) continue;
    const formula = await getFormula(rt, due.organization, instance.formulaId);
    const trigger = formula?.triggers[0];
    if (!formula || trigger?.type !== 'scheduled') continue;
    const next = nextRun(String(trigger.properties.cron), now);
    if (!next || !(await claimScheduledRun(rt, instance, instance.nextRunAt, next))) continue;
    await startExecution(rt, instance, formula, { type: 'scheduled', event: { scheduledAt: instance.nextRunAt } });
    started++;
  }
  return started;
}
