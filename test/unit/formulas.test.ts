// Formula parts that need no server: references as Open Connectors resolves
// them, the checks of a formula's parts, acceptable status codes, and the Step
// Functions state machine that drives an execution on AWS, checked for a
// sample formula's execution.
import { describe, expect, it } from 'vitest';
import { isHttpError } from '../../shared/http/errors.js';
import { checkFormula, formulaSchema } from '../../shared/formulas/model.js';
import { lookup, resolve, type FormulaContext } from '../../shared/formulas/references.js';
import { executionStateMachine, executionTimeoutSeconds, stateMachineInput, stepResult } from '../../shared/formulas/state-machine.js';
import { acceptable } from '../../shared/formulas/steps.js';

const context: FormulaContext = {
  steps: { 'get-contact': { response: { code: 200, body: { id: '7', tags: ['a', 'b'], name: 'Ada' } } } },
  config: { crm: 12, department: 'Research' },
  trigger: { event: { eventType: 'CREATED', objectId: '7' } },
  info: { formulaId: 3 },
};

describe('references', () => {
  it('keeps the value of a reference alone and puts text into longer strings', () => {
    expect(resolve('${steps.get-contact.response.body}', context)).toEqual({ id: '7', tags: ['a', 'b'], name: 'Ada' });
    expect(resolve('${config.crm}', context)).toBe(12);
    expect(resolve('${crm}', context)).toBe(12);
    expect(resolve('/hubs/crm/contacts/${trigger.event.objectId}?dept=${config.department}', context)).toBe('/hubs/crm/contacts/7?dept=Research');
    expect(resolve('tags: ${steps.get-contact.response.body.tags}', context)).toBe('tags: ["a","b"]');
    expect(resolve({ body: { who: '${steps.get-contact.response.body.name}', list: ['${steps.get-contact.response.body.tags.1}'] } }, context)).toEqual({ body: { who: 'Ada', list: ['b'] } });
  });

  it('resolves unknown names to nothing and never reaches into prototypes', () => {
    expect(resolve('${steps.nothing.response}', context)).toBeUndefined();
    expect(resolve('x${steps.nothing}y', context)).toBe('xy');
    expect(lookup(context, 'steps.constructor')).toBeUndefined();
    expect(lookup(context, 'config.__proto__')).toBeUndefined();
    expect(resolve('${unclosed', context)).toBe('${unclosed');
  });
});

describe('formula checks', () => {
  const problems = (formula: unknown) => {
    try {
      checkFormula(formulaSchema.parse(formula));
      return [];
    } catch (error) {
      if (!isHttpError(error)) throw error;
      return (error.fields ?? []).map((field) => `${field.path}: ${field.message}`);
    }
  };

  it('accepts a schedule of every 15 minutes and refuses anything more frequent', () => {
    const scheduled = (cron: string) => ({ name: 'f', triggers: [{ type: 'scheduled', properties: { cron }, onSuccess: ['a'] }], steps: [{ name: 'a', type: 'script', properties: { body: 'done(1)' } }] });
    expect(problems(scheduled('0 0/15 * * * ?'))).toEqual([]);
    expect(problems(scheduled('0 0 9 ? * MON-FRI'))).toEqual([]);
    expect(problems(scheduled('0 0/5 * * * ?'))).toEqual(['triggers.0.properties.cron: the schedule runs more often than every 15 minutes']);
    expect(problems(scheduled('*/10 * * * *'))).toEqual(['triggers.0.properties.cron: the schedule runs more often than every 15 minutes']);
    expect(problems(scheduled('0 0,10 * * * ?'))).toEqual(['triggers.0.properties.cron: the schedule runs more often than every 15 minutes']);
    expect(problems(scheduled('not a cron'))[0]).toMatch(/^triggers\.0\.properties\.cron: the schedule is not a cron expression/);
  });

  it('names successors that do not exist, loops without a body and undeclared instance variables', () => {
    expect(
      problems({
        name: 'f',
        configuration: [{ key: 'value', type: 'value' }],
        triggers: [{ type: 'event', properties: { elementInstanceId: '${config.value}' }, onSuccess: ['loop'] }],
        steps: [
          { name: 'loop', type: 'loop', properties: { list: '${trigger.event}' } },
          { name: 'next', type: 'script', properties: { body: 'done(1)' }, onFailure: ['nowhere'] },
          { name: 'retry', type: 'retryFormulaExecution', properties: { retryAttempts: 11 } },
        ],
      }),
    ).toEqual([
      'steps.0.onSuccess: a loop names the first step of its body',
      'steps.1.onFailure.0: no step is named nowhere',
      'steps.2.properties.retryAttempts: Too big: expected number to be <=10',
      'triggers.0.properties.elementInstanceId: name an elementInstance variable: ${config.key}',
    ]);
  });

  it('reads acceptable status codes as Open Connectors writes them', () => {
    expect(acceptable(204, undefined)).toBe(true);
    expect(acceptable(404, undefined)).toBe(false);
    expect(acceptable(404, '200-299,404')).toBe(true);
    expect(acceptable(500, '200-299,404')).toBe(false);
  });
});

describe('the Step Functions state machine of an execution', () => {
  const definition = executionStateMachine({ stepFunctionArn: 'arn:aws:lambda:eu-central-1:123456789012:function:tollgate-formulas', stepTimeoutSeconds: 60 });
  const states = definition.States as Record<string, Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any

  it('runs one step per Lambda invocation and waits out retry backoffs in a Wait state', () => {
    expect(definition.StartAt).toBe('RunStep');
    expect(states.RunStep).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: 'arn:aws:lambda:eu-central-1:123456789012:function:tollgate-formulas', Payload: { 'organization.$': '$.organization', 'executionId.$': '$.executionId' } },
      TimeoutSeconds: 60,
      Next: 'AfterStep',
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'StepCrashed' }],
    });
    expect(states.RunStep!.Retry[0].ErrorEquals).not.toContain('States.ALL');
    const choices = Object.fromEntries((states.AfterStep!.Choices as { StringEquals: string; Next: string }[]).map((choice) => [choice.StringEquals, choice.Next]));
    expect(choices).toEqual({ waiting: 'Backoff', success: 'Succeeded', failed: 'Failed', cancelled: 'Cancelled' });
    expect(states.AfterStep!.Default).toBe('RunStep');
    expect(states.Backoff).toEqual({ Type: 'Wait', SecondsPath: '$.run.waitSeconds', Next: 'RunStep' });
    expect(states.StepCrashed!.Parameters.Payload['crash.$']).toBe('$.crash.Error');
    expect(definition.TimeoutSeconds).toBe(executionTimeoutSeconds({ stepFunctionArn: '', stepTimeoutSeconds: 60 }));
    // Every Next names a state.
    for (const state of Object.values(states)) {
      for (const next of [state.Next, state.Default, ...(state.Choices ?? []).map((c: { Next: string }) => c.Next), ...(state.Catch ?? []).map((c: { Next: string }) => c.Next)]) {
        if (next !== undefined) expect(Object.keys(states)).toContain(next);
      }
    }
  });

  it('gives the machine what a sample formula execution needs and reads the step function\'s answers', () => {
    expect(stateMachineInput({ organization: 'acme', id: 42 })).toEqual({ organization: 'acme', executionId: 42 });
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(stepResult({ status: 'waiting', resumeAt: '2024-01-01T00:00:20.500Z' }, now)).toEqual({ status: 'waiting', waitSeconds: 21, error: '' });
    expect(stepResult({ status: 'running' }, now)).toEqual({ status: 'running', waitSeconds: 0, error: '' });
    expect(stepResult({ status: 'failed', error: { step: 'a', message: 'boom' } }, now)).toEqual({ status: 'failed', waitSeconds: 0, error: 'boom' });
  });
});
