// Runs one step of a formula execution for its AWS Step Functions state
// machine (shared/formulas/state-machine.ts): the next due step, written to
// the table like every local step, and the execution's status for the
// machine's Choice; a crash the machine reports fails the execution.
// Connector events it records (an instance disabled by failed refreshes)
// reach formulas too.
import { failExecution, runExecution } from '../../shared/formulas/executor.js';
import { stepResult, type StepResult } from '../../shared/formulas/state-machine.js';
import { withFormulaTriggers } from '../../shared/formulas/triggers.js';
import { drainOnSigterm, runtime } from '../../shared/runtime.js';

export interface StepEvent {
  organization: string;
  executionId: number;
  /** The error name of a task that timed out or crashed (StepCrashed). */
  crash?: string;
}

export async function handler(event: StepEvent): Promise<StepResult> {
  const rt = withFormulaTriggers(runtime());
  const execution = event.crash
    ? await failExecution(rt, event.organization, event.executionId, `The step's function did not finish (${event.crash})`)
    : await runExecution(rt, event.organization, event.executionId, { maxSteps: 1, waitHere: false });
  if (!execution) return { status: 'failed', waitSeconds: 0, error: `Formula execution ${event.executionId} not found` };
  return stepResult(execution);
}

// Element requests' usage records are buffered: written before Lambda retires the container.
drainOnSigterm();
