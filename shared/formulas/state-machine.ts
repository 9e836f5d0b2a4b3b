// The AWS Step Functions state machine that drives a formula execution on
// AWS (Amazon States Language). One Standard workflow for every formula: its
// task runs the execution's next due step in a Lambda invocation (the same
// executor as the local server, `runExecution` with one step and no waiting
// in-process), a Choice follows the execution's status, and a Wait state
// holds a retry's backoff without a function running. Standard rather than
// Express: a retry step may wait up to 15 minutes ten times (Express stops at
// 5 minutes), and Standard runs each state exactly once, so the workflow
// itself never sends a step's POST twice.
import { MAX_RETRY_ATTEMPTS, MAX_RETRY_DELAY_MS, MAX_STEPS_PER_EXECUTION } from './model.js';
import type { ExecutionItem } from './store.js';

export interface StateMachineSettings {
  /** The function that runs one step (its ARN, or a CloudFormation reference to it). */
  stepFunctionArn: string;
  /** The step function's timeout: a task that takes longer is a crashed step. */
  stepTimeoutSeconds: number;
}

/** What the step function answers: the execution's status and, when it waits, for how long. */
export interface StepResult {
  status: ExecutionItem['status'];
  waitSeconds: number;
  error: string;
}

/** The input of one state machine execution: which formula execution it drives. */
export function stateMachineInput(execution: Pick<ExecutionItem, 'organization' | 'id'>): { organization: string; executionId: number } {
  return { organization: execution.organization, executionId: execution.id };
}

/** The step function's answer for an execution as runExecution left it. */
export function stepResult(execution: Pick<ExecutionItem, 'status' | 'resumeAt' | 'error'>, now = Date.now()): StepResult {
  const waitSeconds = execution.status === 'waiting' && execution.resumeAt ? Math.max(0, Math.ceil((Date.parse(execution.resumeAt) - now) / 1000)) : 0;
  return { status: execution.status, waitSeconds, error: execution.error?.message ?? '' };
}

/** Errors of the Lambda service itself (not of the step): retried with backoff before the step counts as crashed. */
const LAMBDA_SERVICE_ERRORS = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];

/** The longest an execution may run: every step at its timeout, plus every retry's longest wait. */
export function executionTimeoutSeconds(settings: StateMachineSettings): number {
  return MAX_STEPS_PER_EXECUTION * settings.stepTimeoutSeconds + MAX_RETRY_ATTEMPTS * (MAX_RETRY_DELAY_MS / 1000);
}

export function executionStateMachine(settings: StateMachineSettings): Record<string, unknown> {
  const invoke = (payload: Record<string, unknown>) => ({
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: settings.stepFunctionArn, Payload: { 'organization.$': '$.organization', 'executionId.$': '$.executionId', ...payload } },
    ResultSelector: { 'status.$': '$.Payload.status', 'waitSeconds.$': '$.Payload.waitSeconds', 'error.$': '$.Payload.error' },
    ResultPath: '$.run',
    TimeoutSeconds: settings.stepTimeoutSeconds,
    Retry: [{ ErrorEquals: LAMBDA_SERVICE_ERRORS, IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' }],
  });
  return {
    Comment: 'Tollgate formula execution: one Lambda invocation per step, Wait states for retry backoffs',
    StartAt: 'RunStep',
    TimeoutSeconds: executionTimeoutSeconds(settings),
    States: {
      RunStep: { ...invoke({}), Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.crash', Next: 'StepCrashed' }], Next: 'AfterStep' },
      AfterStep: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.run.status', StringEquals: 'waiting', Next: 'Backoff' },
          { Variable: '$.run.status', StringEquals: 'success', Next: 'Succeeded' },
          { Variable: '$.run.status', StringEquals: 'failed', Next: 'Failed' },
          { Variable: '$.run.status', StringEquals: 'cancelled', Next: 'Cancelled' },
        ],
        Default: 'RunStep',
      },
      Backoff: { Type: 'Wait', SecondsPath: '$.run.waitSeconds', Next: 'RunStep' },
      // A step that timed out or crashed its function: the execution is failed in the table, saying so.
      StepCrashed: { ...invoke({ 'crash.$': '$.crash.Error' }), Next: 'Failed' },
      Succeeded: { Type: 'Succeed' },
      Failed: { Type: 'Fail', Error: 'FormulaExecutionFailed', CausePath: '$.run.error' },
      Cancelled: { Type: 'Fail', Error: 'FormulaExecutionCancelled', Cause: 'Cancelled through the formulas API' },
    },
  };
}
