// Trace: debug sessions on a deployed revision (Apigee's Trace tool). Start a
// session with an optional condition, send calls, and read each captured call
// step by step: the flows entered, conditions and their results, each policy
// executed or skipped with its time and the variables it read and set, the
// messages at the four points, and the fault. The server masks the data
// (tokens, secrets, consumer keys, encrypted KVM values) before it is stored.
// Read-only callers read the sessions there are; they start or delete none.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, enc, orgPath } from '../lib/api.js';
import type { DebugAccess, DebugPoint, DebugResult, TraceTransaction } from '../../../shared/analytics/debug-data.js';
import { canWrite } from '../lib/session.js';
import { ConfirmButton, ErrorAlert, Field, FormActions, LoadState, PageHeader, ReadOnlyNote, Table, useForm, useLoad } from '../lib/ui.js';

type Result = DebugResult;
type Transaction = TraceTransaction;
type Point = DebugPoint;
type Access = DebugAccess;
interface Session {
  name: string;
  validity: number;
  timeout: string;
  count: number;
  captured: number;
  filter?: string;
  active: boolean;
}
interface EnvironmentDeployments {
  aPIProxy: { name: string; revision: { name: string }[] }[];
}

/** How often the page asks for newly captured calls while a session captures. */
const POLL_MS = 2000;

export function TracePage() {
  const [env, setEnv] = useState('prod');
  const [chosen, setChosen] = useState('');
  const [session, setSession] = useState('');
  const environments = useLoad(() => api<string[]>('GET', orgPath('/environments')));
  const deployments = useLoad(() => api<EnvironmentDeployments>('GET', orgPath(`/environments/${enc(env)}/deployments`)), [env]);
  const proxies = deployments.data?.aPIProxy ?? [];
  const proxy = proxies.find((p) => p.name === chosen) ?? proxies[0];
  const revision = proxy?.revision[0]?.name;
  const base = proxy && revision ? orgPath(`/environments/${enc(env)}/apis/${enc(proxy.name)}/revisions/${enc(revision)}/debugsessions`) : '';
  const sessions = useLoad(async () => (base ? api<string[]>('GET', base) : []), [base]);
  const form = useForm({ filter: '', timeout: '600' });
  /** Another environment or proxy: the chosen session belonged to the last one. */
  const pick = (change: () => void) => {
    change();
    setSession('');
  };
  const start = form.submit(async (v) => {
    const created = await api<Session>('POST', base, { json: { ...(v.filter.trim() ? { filter: v.filter.trim() } : {}), timeout: v.timeout.trim() } });
    setSession(created.name);
    sessions.reload();
  });
  const writable = canWrite();
  return (
    <>
      <PageHeader title="Trace" />
      <div class="row">
        <Field label="Environment" path="environment" options={environments.data ?? ['prod', 'test']} value={env} onInput={(event) => pick(() => setEnv(event.currentTarget.value))} />
        <Field
          label="Deployed API proxy"
          path="proxy"
          options={proxies.map((p): [string, string] => [p.name, `${p.name} (revision ${p.revision[0]?.name})`])}
          value={proxy?.name ?? ''}
          onInput={(event) => pick(() => setChosen(event.currentTarget.value))}
        />
      </div>
      <LoadState load={deployments} />
      {deployments.data && !proxy ? <p class="muted">Nothing is deployed in {env}: deploy an API proxy to trace it.</p> : null}
      {base ? (
        <>
          {writable ? (
            <form class="card" onSubmit={start} noValidate aria-label="New trace session">
              <h2>Start a trace session</h2>
              <div class="row">
                <Field label="Capture calls where (optional)" path="filter" error={form.error} placeholder={'request.header.x-debug = "1"'} hint="A condition over the request; empty captures every call." {...form.bind('filter')} />
                <Field label="Seconds" path="timeout" error={form.error} type="number" hint="At most 600 (10 minutes)." {...form.bind('timeout')} />
              </div>
              <ErrorAlert error={form.error} claimed={['filter', 'timeout']} />
              <FormActions submit="Start trace session" busy={form.busy} />
            </form>
          ) : (
            <ReadOnlyNote>an orgadmin starts trace sessions; you can read the ones there are.</ReadOnlyNote>
          )}
          {sessions.data?.length ? (
            <div class="row">
              <Field label="Session" path="session" options={[['', 'Choose a session'], ...sessions.data]} value={session} onInput={(event) => setSession(event.currentTarget.value)} />
            </div>
          ) : null}
          {session ? (
            <SessionView
              key={`${base}/${session}`}
              base={`${base}/${enc(session)}`}
              writable={writable}
              onDeleted={() => {
                setSession('');
                sessions.reload();
              }}
            />
          ) : null}
        </>
      ) : null}
    </>
  );
}

function SessionView({ base, writable, onDeleted }: { base: string; writable: boolean; onDeleted: () => void }) {
  const info = useLoad(() => api<Session>('GET', base));
  const ids = useLoad(() => api<string[]>('GET', `${base}/data`));
  const [open, setOpen] = useState<string>();
  const capturing = info.data ? info.data.active && info.data.captured < info.data.count : true;
  useEffect(() => {
    if (!capturing) return;
    const timer = setInterval(() => {
      info.reload();
      ids.reload();
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [capturing]);
  const session = info.data;
  return (
    <section class="card" aria-label={`Trace session ${session?.name ?? ''}`}>
      <LoadState load={info} />
      {session ? (
        <>
          <h2>Session {session.name}</h2>
          <p role="status">
            {capturing ? `Capturing for ${session.validity} more seconds` : 'Not capturing'}: {session.captured} of at most {session.count} calls
            {session.filter ? (
              <>
                {' '}
                where <code>{session.filter}</code>
              </>
            ) : null}
            .
          </p>
          {writable ? <ConfirmButton label="Delete session" title={`Delete trace session ${session.name}?`} message="The session stops and its captured calls are deleted." onConfirm={async () => { await api('DELETE', base); onDeleted(); }} /> : null}
        </>
      ) : null}
      <div class="trace">
        <div>
          <h3>Captured calls</h3>
          {ids.data?.length ? (
            <ul class="trace-ids">
              {ids.data.map((id) => (
                <li key={id}>
                  <button type="button" aria-pressed={open === id} onClick={() => setOpen(id)}>
                    {callTime(id)}
                  </button>
                </li>
              ))}
            </ul>
          ) : (
            <p class="muted">{capturing ? 'Waiting for calls…' : 'No calls were captured.'}</p>
          )}
        </div>
        <div>{open ? <TransactionView key={open} url={`${base}/data/${enc(open)}`} /> : null}</div>
      </div>
    </section>
  );
}

/** A transaction id starts with its capture time in epoch ms. */
const callTime = (id: string) => {
  const ms = Number(id.split('-')[0]);
  return Number.isFinite(ms) && ms > 0 ? `${new Date(ms).toISOString().slice(11, 23)} UTC` : id;
};

const props = (result: Result | undefined): Record<string, string> => Object.fromEntries((result?.properties?.property ?? []).map((p) => [p.name, p.value]));

const STATES: Record<string, string> = {
  REQ_HEADERS_PARSED: 'Proxy request received',
  REQ_SENT: 'Target request sent',
  RESP_START: 'Target response received',
  RESP_SENT: 'Proxy response sent',
  END: 'Done',
};

function TransactionView({ url }: { url: string }) {
  const data = useLoad(() => api<Transaction>('GET', url));
  if (!data.data) return <LoadState load={data} />;
  const points = data.data.point;
  const request = points.flatMap((p) => p.results).find((r) => r.ActionResult === 'RequestMessage');
  const responses = points.flatMap((p) => p.results).filter((r) => r.ActionResult === 'ResponseMessage' || r.ActionResult === 'ErrorMessage');
  const response = responses[responses.length - 1];
  return (
    <section aria-label="Captured call">
      <h3>
        {request?.verb} {request?.uRI} → {response?.statusCode ?? '?'} {response?.reasonPhrase ?? ''}
      </h3>
      <ol class="trace-points">
        {points.map((point, i) => (
          <PointView key={i} point={point} />
        ))}
      </ol>
    </section>
  );
}

function PointView({ point }: { point: Point }) {
  const info = props(point.results[0]);
  const message = point.results.find((r) => r.ActionResult === 'RequestMessage' || r.ActionResult === 'ResponseMessage');
  const error = point.results.find((r) => r.ActionResult === 'ErrorMessage');
  const access = point.results.flatMap((r) => r.accessList ?? []);
  const details = (
    <>
      {message ? <MessageView message={message} /> : null}
      {error ? <MessageView message={error} /> : null}
      {access.length ? <Variables access={access} /> : null}
    </>
  );
  const expandable = Boolean(message || error || access.length);
  let kind = '';
  let title: ComponentChildren;
  switch (point.id) {
    case 'StateChange':
      title = STATES[info.To ?? ''] ?? info.To;
      break;
    case 'FlowInfo': {
      const endpoint = info.ProxyEndpoint !== undefined ? `ProxyEndpoint ${info.ProxyEndpoint}` : `TargetEndpoint ${info.TargetEndpoint ?? ''}`;
      title = `${endpoint} · ${info.flow} (${info.phase})`;
      break;
    }
    case 'Condition':
      title = (
        <>
          Condition <code>{info.Expression}</code> is {info.ExpressionResult}
          {info['stepDefinition-name'] ? ` (step ${info['stepDefinition-name']})` : info.Flow ? ` (flow ${info.Flow})` : ''}
        </>
      );
      break;
    case 'Execution': {
      const executed = info.action === 'EXECUTED';
      kind = error || info.result === 'false' ? 'error' : executed ? 'executed' : 'skipped';
      title = (
        <>
          <span class="badge">{info.type}</span> {info['stepDefinition-name']}: {executed ? `executed in ${info.elapsedTime} ms` : `skipped (${info.reason})`}
          {error ? `, failed: ${error.reasonPhrase}` : ''}
        </>
      );
      break;
    }
    case 'Error':
      kind = 'error';
      title = `Fault ${info['fault.name'] ?? ''}${info.policy ? ` in ${info.policy}` : ''}: ${info['error.code'] ?? ''}`;
      break;
    default:
      title = point.id;
  }
  return (
    <li class={kind}>
      {expandable ? (
        <details>
          <summary>{title}</summary>
          {details}
        </details>
      ) : (
        title
      )}
    </li>
  );
}

function MessageView({ message }: { message: Result }) {
  const first = message.ActionResult === 'RequestMessage' ? `${message.verb} ${message.uRI}` : `${message.statusCode} ${message.reasonPhrase ?? ''}`;
  return (
    <>
      <p>
        <code>{first}</code>
      </p>
      {message.headers?.length ? (
        <Table caption="Headers" columns={['Header', 'Value']}>
          {message.headers.map((header, i) => (
            <tr key={i}>
              <td>{header.name}</td>
              <td>
                <code>{header.value}</code>
              </td>
            </tr>
          ))}
        </Table>
      ) : null}
      {message.content ? <pre>{message.content}</pre> : null}
    </>
  );
}

function Variables({ access }: { access: Access[] }) {
  return (
    <Table caption="Variables" columns={['Access', 'Variable', 'Value']}>
      {access.map((entry, i) => {
        const [kind, variable] = 'Get' in entry ? (['Read', entry.Get] as const) : (['Set', entry.Set] as const);
        return (
          <tr key={i}>
            <td>{kind}</td>
            <td>{variable.name}</td>
            <td>
              <code>{variable.value}</code>
            </td>
          </tr>
        );
      })}
    </Table>
  );
}
