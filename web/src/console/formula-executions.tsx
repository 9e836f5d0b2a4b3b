// A formula instance's executions, newest first, with Run for a formula with
// a manual trigger (optional JSON arguments, `${trigger.args}`); an
// execution step by step: each step run in order with its attempt, loop
// iteration, status, resolved input, output and error, the execution's error
// naming the failing step, and Cancel while it has not finished. Both pages
// ask again every second while something is still running.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../lib/api.js';
import { canWrite } from '../lib/session.js';
import { asApiError, Dialog, EmptyRow, ErrorAlert, Field, FormActions, LoadState, Notice, PageHeader, Table, useForm, useLoad } from '../lib/ui.js';
import { withPlatformCredentials } from './connectors.js';
import { FORMULAS, formulaHref, json, type Formula, type FormulaInstance } from './formulas.js';

type Status = 'pending' | 'running' | 'waiting' | 'success' | 'failed' | 'cancelled';

interface Execution {
  id: number;
  formulaId: number;
  formulaInstanceId: number;
  status: Status;
  trigger: { type: string; args?: unknown; event?: unknown; request?: unknown };
  retryAttempt: number;
  error?: { step?: string; message: string };
  resumeDate?: string;
  createdDate: string;
  finishedDate?: string;
  stepExecutions?: StepExecution[];
}

interface StepExecution {
  id: number;
  stepName: string;
  stepType: string;
  status: 'running' | 'success' | 'failed' | 'skipped';
  attempt: number;
  loops?: { loop: string; index: number }[];
  input?: unknown;
  output?: unknown;
  error?: string;
}

const POLL_MS = 1000;
const unfinished = (status: Status) => status === 'pending' || status === 'running' || status === 'waiting';
const time = (iso?: string) => (iso ? new Date(iso).toLocaleString() : '');

/** Loads again every second while `busy` says there is more to see (as the Trace page does). */
function usePoll(load: { reload: () => void }, busy: boolean) {
  useEffect(() => {
    if (!busy) return;
    const timer = setInterval(load.reload, POLL_MS);
    return () => clearInterval(timer);
  }, [busy]);
}

function StatusBadge({ status }: { status: string }) {
  return <span class={status === 'failed' || status === 'cancelled' ? 'badge warn' : 'badge'}>{status}</span>;
}

const executionHref = (execution: Pick<Execution, 'formulaId' | 'formulaInstanceId' | 'id'>) => `${formulaHref(execution.formulaId)}/instances/${execution.formulaInstanceId}/executions/${execution.id}`;

function InstanceExecutions({ params }: { params: Record<string, string> }) {
  const formula = useLoad(() => api<Formula>('GET', `${FORMULAS}/${params.id}`), [params.id]);
  const instance = useLoad(() => api<FormulaInstance>('GET', `${FORMULAS}/${params.id}/instances/${params.instanceId}`), [params.id, params.instanceId]);
  const executions = useLoad(() => api<Execution[]>('GET', `${FORMULAS}/instances/${params.instanceId}/executions`), [params.instanceId]);
  const [running, setRunning] = useState(false);
  const [started, setStarted] = useState<Execution>();
  usePoll(executions, (executions.data ?? []).some((execution) => unfinished(execution.status)));
  const manual = formula.data?.triggers[0]?.type === 'manual';
  return (
    <>
      <PageHeader title={instance.data ? `Formula instance ${instance.data.name}` : 'Formula instance'}>
        {manual && canWrite() ? (
          <button type="button" class="primary" onClick={() => setRunning(true)}>
            Run
          </button>
        ) : null}
      </PageHeader>
      <LoadState load={instance} />
      {formula.data ? (
        <p>
          Formula <a href={formulaHref(formula.data.id)}>{formula.data.name}</a>, started by its {formula.data.triggers[0]?.type ?? 'parent'} trigger.
        </p>
      ) : null}
      {started ? (
        <Notice kind="success">
          Execution <a href={executionHref(started)}>{started.id}</a> started.
        </Notice>
      ) : null}
      <section aria-labelledby="executions-heading">
        <h2 id="executions-heading">Executions</h2>
        <LoadState load={executions} />
        {executions.data ? (
          <Table caption="Executions, newest first" columns={['ID', 'Status', 'Trigger', 'Started', 'Finished', 'Error']}>
            {executions.data.map((execution) => (
              <tr key={execution.id}>
                <td>
                  <a href={executionHref(execution)} aria-label={`Execution ${execution.id}`}>
                    {execution.id}
                  </a>
                </td>
                <td>
                  <StatusBadge status={execution.status} />
                </td>
                <td>{execution.trigger.type}</td>
                <td>{time(execution.createdDate)}</td>
                <td>{time(execution.finishedDate)}</td>
                <td>{execution.error ? `${execution.error.step ? `${execution.error.step}: ` : ''}${execution.error.message}` : ''}</td>
              </tr>
            ))}
            {executions.data.length === 0 ? <EmptyRow columns={6}>No executions yet.</EmptyRow> : null}
          </Table>
        ) : null}
        <button type="button" onClick={executions.reload}>
          Refresh
        </button>
      </section>
      {running && instance.data ? (
        <RunDialog
          instance={instance.data}
          onClose={() => setRunning(false)}
          onDone={(execution) => {
            setRunning(false);
            setStarted(execution);
            executions.reload();
          }}
        />
      ) : null}
    </>
  );
}

/** The manual trigger: optional JSON arguments, the execution's `${trigger.args}`. */
function RunDialog({ instance, onClose, onDone }: { instance: FormulaInstance; onClose: () => void; onDone: (execution: Execution) => void }) {
  const form = useForm({ args: '' });
  const save = form.submit(async ({ args }) => {
    let body: unknown;
    if (args.trim()) {
      try {
        body = JSON.parse(args);
      } catch (error) {
        throw new ApiError(0, 'invalid_json', 'The arguments are not valid JSON', [{ path: 'args', message: error instanceof Error ? error.message : String(error) }]);
      }
    }
    onDone(await api<Execution>('POST', `${FORMULAS}/instances/${instance.id}/executions`, body === undefined ? {} : { json: body }));
  });
  return (
    <Dialog title={`Run ${instance.name}`} onClose={onClose}>
      <form onSubmit={save} noValidate>
        <Field label="Arguments (JSON)" path="args" multiline hint="Optional: a JSON object, ${trigger.args} in the steps." error={form.error} {...form.bind('args')} />
        <ErrorAlert error={form.error} claimed={['args']} />
        <FormActions submit="Run" busy={form.busy} onCancel={onClose} />
      </form>
    </Dialog>
  );
}

const loopIteration = (loops?: StepExecution['loops']) => (loops ?? []).map((loop) => `${loop.loop} #${loop.index + 1}`).join(' › ');

function Json({ value }: { value: unknown }) {
  return value === undefined ? null : <pre class="json">{json(value)}</pre>;
}

function ExecutionView({ params }: { params: Record<string, string> }) {
  const execution = useLoad(() => api<Execution>('GET', `${FORMULAS}/instances/executions/${params.executionId}`), [params.executionId]);
  const [cancelError, setCancelError] = useState<ApiError>();
  usePoll(execution, execution.data ? unfinished(execution.data.status) : false);
  if (!execution.data) return <LoadState load={execution} />;
  const e = execution.data;
  const cancel = async () => {
    setCancelError(undefined);
    try {
      await api('PUT', `${FORMULAS}/instances/executions/${e.id}`, { json: { status: 'cancelled' } });
      execution.reload();
    } catch (caught) {
      setCancelError(asApiError(caught));
    }
  };
  return (
    <>
      <PageHeader title={`Execution ${e.id}`}>
        {unfinished(e.status) && canWrite() ? (
          <button type="button" class="danger" onClick={() => void cancel()}>
            Cancel execution
          </button>
        ) : null}
      </PageHeader>
      <ErrorAlert error={cancelError ?? execution.error} />
      <dl class="details" aria-label="Execution">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={e.status} />
          {e.resumeDate ? ` until ${time(e.resumeDate)}` : ''}
        </dd>
        <dt>Formula instance</dt>
        <dd>
          <a href={`${formulaHref(e.formulaId)}/instances/${e.formulaInstanceId}`}>{e.formulaInstanceId}</a>
        </dd>
        <dt>Trigger</dt>
        <dd>{e.trigger.type}</dd>
        {e.retryAttempt ? (
          <>
            <dt>Retry attempt</dt>
            <dd>{e.retryAttempt}</dd>
          </>
        ) : null}
        <dt>Started</dt>
        <dd>{time(e.createdDate)}</dd>
        {e.finishedDate ? (
          <>
            <dt>Finished</dt>
            <dd>{time(e.finishedDate)}</dd>
          </>
        ) : null}
      </dl>
      {e.error ? (
        <div class="alert error" role="alert">
          <p>
            {e.error.step ? (
              <>
                Step <strong>{e.error.step}</strong> failed:{' '}
              </>
            ) : null}
            {e.error.message}
          </p>
        </div>
      ) : null}
      {e.trigger.args !== undefined && Object.keys(e.trigger.args as object).length ? (
        <section aria-labelledby="arguments-heading">
          <h2 id="arguments-heading">Arguments</h2>
          <Json value={e.trigger.args} />
        </section>
      ) : null}
      <section aria-labelledby="step-executions-heading">
        <h2 id="step-executions-heading">Steps</h2>
        <Table caption="Step executions, in order" columns={['#', 'Step', 'Type', 'Attempt', 'Loop iteration', 'Status', 'Input', 'Output', 'Error']}>
          {(e.stepExecutions ?? []).map((step) => (
            <tr key={step.id} aria-label={`Step ${step.stepName}`}>
              <td>{step.id}</td>
              <td>{step.stepName}</td>
              <td>{step.stepType}</td>
              <td>{step.attempt}</td>
              <td>{loopIteration(step.loops)}</td>
              <td>
                <StatusBadge status={step.status} />
              </td>
              <td>
                <Json value={step.input} />
              </td>
              <td>
                <Json value={step.output} />
              </td>
              <td>{step.error ?? ''}</td>
            </tr>
          ))}
          {e.stepExecutions?.length === 0 ? <EmptyRow columns={9}>No step has run yet.</EmptyRow> : null}
        </Table>
      </section>
    </>
  );
}

export const FormulaInstancePage = withPlatformCredentials(InstanceExecutions);
export const FormulaExecutionPage = withPlatformCredentials(ExecutionView);
