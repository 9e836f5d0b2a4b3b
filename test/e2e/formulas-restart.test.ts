// Formula executions across a restart of the local server on data kept on
// disk: one waiting for its retry resumes and finishes after the restart; a
// step that was under way when the process ended runs again only when that
// cannot matter (a GET), and a POST fails the execution, saying why. A
// scheduled trigger starts one execution per due run, however often the
// scheduler looks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resumeExecutions, settleExecutions } from '../../shared/formulas/executor.js';
import { createExecution, getFormula, getFormulaInstance, putStep } from '../../shared/formulas/store.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { sendJson, startVendor, type VendorServer } from '../support/vendor.js';

const BASE = '/elements/api-v2';
let dataDir: string;
let platform: TestPlatform;
let vendor: VendorServer;
const vendorCalls: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tollgate-formulas-'));
  vendor = await startVendor((request, res) => {
    vendorCalls.push(`${request.method} ${request.path}`);
    return sendJson(res, 200, { ok: true });
  });
});

afterAll(async () => {
  await platform?.close();
  await vendor?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function execution(id: number) {
  return (await platform.request('GET', `${BASE}/formulas/instances/executions/${id}`)).json as { status: string; retryAttempt: number; error?: { step?: string; message: string }; stepExecutions: { stepName: string; attempt: number; status: string }[] };
}

async function until(id: number, statuses: string[]) {
  for (let i = 0; i < 400; i++) {
    const current = await execution(id);
    if (statuses.includes(current.status)) return current;
    await new Promise((done) => setTimeout(done, 25));
  }
  throw new Error(`execution ${id} never reached ${statuses.join(' or ')}`);
}

async function formulaWithInstance(formula: unknown): Promise<{ formulaId: number; instanceId: number }> {
  const created = await platform.request('POST', `${BASE}/formulas`, { json: formula });
  expect(created.status, created.text).toBe(200);
  const instance = await platform.request('POST', `${BASE}/formulas/${created.json.id}/instances`, { json: { name: 'instance' } });
  expect(instance.status, instance.text).toBe(200);
  return { formulaId: created.json.id, instanceId: instance.json.id };
}

describe('formula executions across a restart', () => {
  it('resumes an execution that was waiting for its retry', async () => {
    platform = await startPlatform({}, { dataDir });
    const { instanceId } = await formulaWithInstance({
      name: 'second time lucky',
      triggers: [{ type: 'manual', onSuccess: ['first'] }],
      steps: [
        { name: 'first', type: 'script', properties: { body: 'if (info.retryAttempt === 0) throw new Error("not yet"); done({ attempt: info.retryAttempt });' }, onFailure: ['again'] },
        { name: 'again', type: 'retryFormulaExecution', properties: { retryAttempts: 1, retryDelay: 500 } },
      ],
    });
    const started = (await platform.request('POST', `${BASE}/formulas/instances/${instanceId}/executions`)).json as { id: number };
    expect((await until(started.id, ['waiting'])).retryAttempt).toBe(1);
    await platform.close();

    platform = await startPlatform({}, { dataDir });
    const done = await until(started.id, ['success', 'failed']);
    expect(done.status).toBe('success');
    expect(done.stepExecutions.map((step) => [step.stepName, step.attempt, step.status])).toEqual([
      ['first', 0, 'failed'],
      ['again', 0, 'success'],
      ['first', 1, 'success'],
    ]);
  });

  it('runs an interrupted GET again and fails an execution whose POST was under way', async () => {
    const rt = platform.local.runtime;
    const interrupted = async (method: string) => {
      const { formulaId, instanceId } = await formulaWithInstance({
        name: `interrupted ${method}`,
        triggers: [{ type: 'manual', onSuccess: ['call'] }],
        steps: [{ name: 'call', type: 'httpRequest', properties: { url: `${vendor.url}/orders`, method } }],
      });
      const instance = (await getFormulaInstance(rt, 'default', instanceId))!;
      const formula = (await getFormula(rt, 'default', formulaId))!;
      // What a process that ended during the step leaves behind: the step's record, still running.
      const item = await createExecution(rt, { organization: 'default', formulaId: formula.id, formulaInstanceId: instance.id, trigger: { type: 'manual', args: {} }, queue: [{ step: 'call', loops: [] }], depth: 0 });
      const startedAt = new Date().toISOString();
      await putStep(rt, 'default', { executionId: item.id, sequence: 0, attempt: 0, stepName: 'call', stepType: 'httpRequest', status: 'running', input: { method, url: `${vendor.url}/orders` }, startedAt });
      return item.id;
    };
    const get = await interrupted('GET');
    const post = await interrupted('POST');
    vendorCalls.length = 0;
    expect(await resumeExecutions(rt)).toBe(2);
    await settleExecutions(rt);

    expect((await execution(get)).status).toBe('success');
    const failed = await execution(post);
    expect(failed.status).toBe('failed');
    expect(failed.error).toEqual({ step: 'call', message: 'The execution stopped while step call was running; it may have had effects, so it is not run again' });
    expect(vendorCalls).toEqual(['GET /orders']);
  });

  it('starts a scheduled formula once per due run', async () => {
    const { instanceId } = await formulaWithInstance({
      name: 'every quarter hour',
      triggers: [{ type: 'scheduled', properties: { cron: '0 0/15 * * * ?' }, onSuccess: ['tick'] }],
      steps: [{ name: 'tick', type: 'script', properties: { body: 'done({ at: trigger.event.scheduledAt })' } }],
    });
    const next = (await platform.request('GET', `${BASE}/formulas/instances`)).json.find((instance: { id: number }) => instance.id === instanceId).nextRunDate as string;
    const early = new Date(Date.parse(next) - 1000);
    expect(await platform.local.formulas.tick(early)).toBe(0);
    const due = new Date(Date.parse(next) + 1000);
    const [first, second] = await Promise.all([platform.local.formulas.tick(due), platform.local.formulas.tick(due)]);
    expect(first + second).toBe(1);
    const executions = (await platform.request('GET', `${BASE}/formulas/instances/${instanceId}/executions`)).json as { id: number }[];
    expect(executions).toHaveLength(1);
    const done = await until(executions[0]!.id, ['success', 'failed']);
    expect(done.status).toBe('success');
    const later = (await platform.request('GET', `${BASE}/formulas/instances`)).json.find((instance: { id: number }) => instance.id === instanceId).nextRunDate as string;
    expect(Date.parse(later) - Date.parse(next)).toBe(15 * 60_000);
  });
});
