// Formulas on AWS, offline: the stack synthesizes the state machine and its
// roles (cdk-nag clean), and the synthesized definition runs sample formula
// executions. The platform starts each execution through the AWS SDK's Step
// Functions client, unchanged, against a loopback endpoint that speaks the
// service's JSON protocol and executes the definition from the template with
// aws-local-stepfunctions (an interpreter of the Amazon States Language),
// whose tasks invoke the formulas function's real handler on the local store.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StateMachine } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as stepHandler, type StepEvent } from '../../functions/formulas/handler.js';
import { restartPendingExecutions, stateMachineExecutionName } from '../../shared/formulas/launch.js';
import { STEP_FUNCTION_SUBSTITUTION } from '../../infra/formulas.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { synthesize, type Synthesized } from '../support/synth.js';
import { sendJson, startVendor, type VendorServer } from '../support/vendor.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

// aws-local-stepfunctions uses Promise.withResolvers (Node 22); Tollgate's code runs on Node 20 too.
const promises = Promise as unknown as { withResolvers?: () => unknown };
promises.withResolvers ??= () => {
  let resolve!: (value: unknown) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise((yes, no) => ((resolve = yes), (reject = no)));
  return { promise, resolve, reject };
};

const BASE = '/elements/api-v2';
const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:FormulasStateMachine';
const STEP_FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:tollgate-formulas';

interface MachineRun {
  name: string;
  input: Json;
  result: Promise<{ state: string; output?: Json; error?: string; cause?: string }>;
  /** Every state entered, in order. */
  states: string[];
}

/** The Step Functions endpoint on loopback: StartExecution runs the synthesized definition. */
class LoopbackStepFunctions {
  readonly runs = new Map<string, MachineRun>();
  /** StartExecution calls to refuse (as the service does for a machine it does not know). */
  refuse = 0;
  private server!: Server;
  url = '';

  constructor(private readonly definition: Json) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const reply = (status: number, json: Json) => {
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify(json));
        };
        if (req.headers['x-amz-target'] !== 'AWSStepFunctions.StartExecution') return reply(400, { __type: 'UnknownOperationException' });
        const call = JSON.parse(body) as { stateMachineArn: string; name: string; input: string };
        if (call.stateMachineArn !== STATE_MACHINE_ARN || this.refuse-- > 0) return reply(400, { __type: 'StateMachineDoesNotExist', message: `State Machine Does Not Exist: '${call.stateMachineArn}'` });
        const existing = this.runs.get(call.name);
        // A name is an execution: the same input again is the same execution, other input is refused.
        if (existing && JSON.stringify(existing.input) !== call.input) return reply(400, { __type: 'ExecutionAlreadyExists', message: `Execution Already Exists: '${call.name}'` });
        if (!existing) this.runs.set(call.name, this.run(call.name, JSON.parse(call.input)));
        reply(200, { executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${call.name}`, startDate: Date.now() / 1000 });
      });
    });
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private run(name: string, input: Json): MachineRun {
    const states: string[] = [];
    const invoke = async (payload: StepEvent): Promise<Json> => ({ Payload: await stepHandler(payload), StatusCode: 200 });
    const machine = new StateMachine(this.definition);
    const execution = machine.run(input, {
      overrides: { taskResourceLocalHandlers: { RunStep: (event: Json) => invoke(event.Payload ?? event), StepCrashed: (event: Json) => invoke(event.Payload ?? event) } },
    });
    // The outcome is read from the event log; the result promise's rejection says the same.
    execution.result.catch(() => undefined);
    const result = (async () => {
      let outcome: Awaited<MachineRun['result']> = { state: 'UNKNOWN' };
      for await (const event of execution.eventLogs) {
        if (event.type === 'StateEntered') states.push(event.state.name);
        if (event.type === 'ExecutionSucceeded') outcome = { state: 'SUCCEEDED', output: event.output };
        if (event.type === 'ExecutionFailed') outcome = { state: 'FAILED', error: event.Error, cause: String(event.Cause) };
      }
      return outcome;
    })();
    return { name, input, result, states };
  }

  close(): Promise<void> {
    return new Promise((done) => this.server.close(() => done()));
  }
}

let synth: Synthesized;
let sfn: LoopbackStepFunctions;
let platform: TestPlatform;
let flaky: VendorServer;
let flakyCalls = 0;
const saved = { ...process.env };

beforeAll(async () => {
  synth = synthesize({});
  const [[, machine]] = synth.resources('AWS::StepFunctions::StateMachine') as [[string, Json]];
  const definition = JSON.parse(String(machine.Properties.DefinitionString).replaceAll(`\${${STEP_FUNCTION_SUBSTITUTION}}`, STEP_FUNCTION_ARN));
  sfn = new LoopbackStepFunctions(definition);
  await sfn.start();
  // The SDK's own settings: the service endpoint and credentials from the environment.
  Object.assign(process.env, { AWS_ENDPOINT_URL_SFN: sfn.url, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
  platform = await startPlatform({ TOLLGATE_FORMULAS_STATE_MACHINE_ARN: STATE_MACHINE_ARN, AWS_REGION: 'eu-west-1' });
  // Fails twice, then answers.
  flaky = await startVendor((_request, res) => (++flakyCalls % 3 === 0 ? sendJson(res, 200, { ok: true, call: flakyCalls }) : sendJson(res, 503, { error: 'try later' })));
}, 60_000);

afterAll(async () => {
  await platform?.close();
  await flaky?.close();
  await sfn?.close();
  process.env = saved;
});

async function runManually(formula: Json): Promise<{ id: number; run: MachineRun }> {
  const created = await platform.request('POST', `${BASE}/formulas`, { json: { active: true, ...formula } });
  expect(created.status, created.text).toBe(200);
  const instance = await platform.request('POST', `${BASE}/formulas/${created.json.id}/instances`, { json: { name: formula.name, configuration: {} } });
  expect(instance.status, instance.text).toBe(200);
  const started = await platform.request('POST', `${BASE}/formulas/instances/${instance.json.id}/executions`, { json: { customer: 'acme' } });
  expect(started.status, started.text).toBe(200);
  const run = sfn.runs.get(stateMachineExecutionName('default', started.json.id));
  return { id: started.json.id, run: run! };
}

const executionOf = async (id: number) => (await platform.request('GET', `${BASE}/formulas/instances/executions/${id}`)).json;

describe('the stack', () => {
  it('synthesizes one Standard state machine that logs every event and may invoke the formulas function alone, cdk-nag clean', () => {
    expect(synth.error).toBeUndefined();
    const machines = synth.resources('AWS::StepFunctions::StateMachine');
    expect(machines).toHaveLength(1);
    const [, machine] = machines[0]!;
    expect(machine.Properties).toMatchObject({ StateMachineType: 'STANDARD', LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false } });
    const functionId = synth.resources('AWS::Lambda::Function').find(([id]) => id.startsWith('FormulasFormulasFunction'))![0];
    expect(machine.Properties.DefinitionSubstitutions).toEqual({ [STEP_FUNCTION_SUBSTITUTION]: { 'Fn::GetAtt': [functionId, 'Arn'] } });
    const roleId = machine.Properties.RoleArn['Fn::GetAtt'][0];
    const statements = synth.resources('AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }])).flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    expect(statements.filter((s: Json) => JSON.stringify(s.Action).includes('lambda:'))).toEqual([{ Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::GetAtt': [functionId, 'Arn'] } }]);
    // Only CloudWatch Logs' delivery actions, which take no resource, are granted on *.
    for (const statement of statements.filter((s: Json) => s.Resource === '*')) for (const action of [statement.Action].flat()) expect(action).toMatch(/^logs:/);
  });

  it('lets exactly the trigger functions start executions, and gives the step function no way to', () => {
    const starters = synth
      .resources('AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties.PolicyDocument).includes('states:StartExecution'))
      .map(([, p]) => p.Properties.PolicyDocument.Statement.find((s: Json) => s.Action === 'states:StartExecution'));
    expect(starters).toHaveLength(3);
    for (const statement of starters) expect(statement.Resource).toEqual({ Ref: synth.resources('AWS::StepFunctions::StateMachine')[0]![0] });
    const withArn = synth
      .resources('AWS::Lambda::Function')
      .filter(([, fn]) => fn.Properties.Environment?.Variables?.TOLLGATE_FORMULAS_STATE_MACHINE_ARN)
      .map(([id]) => id.replace(/^(Functions|Events)/, '').replace(/Function.*$/, ''));
    expect(withArn.sort()).toEqual(['Delivery', 'Platform', 'Scheduler']);
  });
});

describe('a sample formula on the synthesized state machine', () => {
  it('runs a step per task, waits out each retry in a Wait state and succeeds on the third attempt', async () => {
    const { id, run } = await runManually({
      name: 'flaky then mapped',
      triggers: [{ type: 'manual', onSuccess: ['call'] }],
      steps: [
        { name: 'call', type: 'httpRequest', properties: { method: 'GET', url: `${flaky.url}/status` }, onSuccess: ['map'], onFailure: ['again'] },
        { name: 'again', type: 'retryFormulaExecution', properties: { retryAttempts: 3, retryDelay: 100 } },
        { name: 'map', type: 'script', properties: { body: "done({ customer: trigger.args.customer, call: steps.call.response.body.call, attempt: info.retryAttempt });" } },
      ],
    });
    expect(run, 'the platform started a state machine execution').toBeDefined();
    expect(run.input).toEqual({ organization: 'default', executionId: id });
    const result = await run.result;
    expect(result.state).toBe('SUCCEEDED');
    expect(result.output.run).toEqual({ status: 'success', waitSeconds: 0, error: '' });
    // One task per step (call, again, call, again, call, map), a Wait state after each retry.
    expect(run.states.filter((state) => state === 'RunStep')).toHaveLength(6);
    expect(run.states.filter((state) => state === 'Backoff')).toHaveLength(2);
    expect(run.states.at(-1)).toBe('Succeeded');
    const execution = await executionOf(id);
    expect(execution.status).toBe('success');
    expect(execution.stepExecutions.map((step: Json) => [step.stepName, step.attempt, step.status])).toEqual([
      ['call', 0, 'failed'],
      ['again', 0, 'success'],
      ['call', 1, 'failed'],
      ['again', 1, 'success'],
      ['call', 2, 'success'],
      ['map', 2, 'success'],
    ]);
    expect(execution.stepExecutions.at(-1).output).toMatchObject({ customer: 'acme', call: 3, attempt: 2 });
  });

  it('ends a failing step in the Failed state, with the step named in the table and its error as the cause', async () => {
    const { id, run } = await runManually({
      name: 'throws',
      triggers: [{ type: 'manual', onSuccess: ['boom'] }],
      steps: [{ name: 'boom', type: 'script', properties: { body: "throw new Error('no such customer');" } }],
    });
    const result = await run.result;
    expect(result).toMatchObject({ state: 'FAILED', error: 'FormulaExecutionFailed' });
    expect(result.cause).toContain('no such customer');
    const execution = await executionOf(id);
    expect(execution.status).toBe('failed');
    expect(execution.error).toMatchObject({ step: 'boom' });
  });

  it('ends an execution cancelled during a retry at once, and its machine after the wait without running a step', async () => {
    const { id, run } = await runManually({
      name: 'never answers',
      triggers: [{ type: 'manual', onSuccess: ['call'] }],
      steps: [
        { name: 'call', type: 'httpRequest', properties: { method: 'GET', url: `${flaky.url}/never` , acceptableStatusCodes: '299' }, onFailure: ['again'] },
        { name: 'again', type: 'retryFormulaExecution', properties: { retryAttempts: 3, retryDelay: 1500 } },
      ],
    });
    for (let i = 0; i < 200 && (await executionOf(id)).status !== 'waiting'; i++) await new Promise((done) => setTimeout(done, 20));
    const cancel = await platform.request('PUT', `${BASE}/formulas/instances/executions/${id}`, { json: { status: 'cancelled' } });
    expect(cancel.status, cancel.text).toBe(200);
    expect(cancel.json.status).toBe('cancelled');
    const result = await run.result;
    expect(result).toMatchObject({ state: 'FAILED', error: 'FormulaExecutionCancelled' });
    expect(run.states.filter((state) => state === 'RunStep')).toHaveLength(3);
    expect((await executionOf(id)).stepExecutions).toHaveLength(2);
  });

  it('starts an execution whose start was refused again from the scheduler, once', async () => {
    sfn.refuse = 1;
    const { id, run } = await runManually({
      name: 'started late',
      triggers: [{ type: 'manual', onSuccess: ['hello'] }],
      steps: [{ name: 'hello', type: 'script', properties: { body: "done({ hello: 'world' });" } }],
    });
    expect(run).toBeUndefined();
    expect((await executionOf(id)).status).toBe('pending');
    // The scheduler function's sweep, a minute later: every pending execution is started again, by name, so twice is once.
    const later = Date.now() + 61_000;
    expect(await restartPendingExecutions(platform.local.runtime, later)).toBeGreaterThanOrEqual(1);
    await restartPendingExecutions(platform.local.runtime, later);
    const started = sfn.runs.get(stateMachineExecutionName('default', id))!;
    expect((await started.result).state).toBe('SUCCEEDED');
    expect((await executionOf(id)).stepExecutions.map((step: Json) => step.output)).toEqual([{ hello: 'world' }]);
  });
});
