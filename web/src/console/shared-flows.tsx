// Develop → Shared flows (Apigee's sharedflowbundle): the list with each
// flow's revisions and deployments, bundle import, and the four flow hooks of
// every environment with the shared flow attached to each; a shared flow's
// page shows a revision's flows and policies (read-only), deploys and
// undeploys it per environment, and deletes the flow. Read-only callers see
// no write controls.
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { api, enc, orgPath, type ApiError } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { canWrite } from '../lib/session.js';
import { asApiError, ConfirmButton, Dialog, EmptyRow, ErrorAlert, Field, FormActions, LoadState, Notice, PageHeader, Table, useForm, useLoad } from '../lib/ui.js';
import { BASE } from './base.js';
import { Bundle } from './bundle.js';
import { DeployButtons, deployedRevision, downloadBundle, ImportBundle, RevisionSelect, type Deployments, type ProxySummary } from './proxies.js';

/** Where each flow hook runs, for every API proxy deployed in the environment. */
const FLOW_HOOKS = [
  ['PreProxyFlowHook', 'before the proxy endpoint’s PreFlow'],
  ['PreTargetFlowHook', 'before the target endpoint’s PreFlow'],
  ['PostTargetFlowHook', 'after the target endpoint’s PostFlow'],
  ['PostProxyFlowHook', 'after the proxy endpoint’s PostFlow'],
] as const;

interface FlowHook {
  environment: string;
  name: string;
  sharedFlow?: string;
  continueOnError: boolean;
}

const flowPath = (name: string, rest = '') => orgPath(`/sharedflows/${enc(name)}${rest}`);
const flowHref = (name: string) => `${BASE}/sharedflows/${enc(name)}`;
const listEnvironments = () => api<string[]>('GET', orgPath('/environments'));

async function listSharedFlows() {
  const names = await api<string[]>('GET', orgPath('/sharedflows'));
  return Promise.all(
    names.map(async (name) => {
      const [flow, deployments] = await Promise.all([api<ProxySummary>('GET', flowPath(name)), api<Deployments>('GET', flowPath(name, '/deployments'))]);
      return { ...flow, deployments };
    }),
  );
}

export function SharedFlowsPage() {
  const flows = useLoad(listSharedFlows);
  const environments = useLoad(listEnvironments);
  const [importing, setImporting] = useState(false);
  const writable = canWrite();
  return (
    <>
      <PageHeader title="Shared flows">
        {writable ? (
          <button type="button" class="primary" onClick={() => setImporting(!importing)} aria-expanded={importing}>
            Import bundle
          </button>
        ) : null}
      </PageHeader>
      {importing ? <ImportBundle collection="sharedflows" onDone={(name) => navigate(flowHref(name))} /> : null}
      <LoadState load={flows} />
      {flows.data ? (
        <Table caption="Shared flows" columns={['Name', 'Revisions', 'Deployments']}>
          {flows.data.map((flow) => (
            <tr key={flow.name}>
              <td>
                <a href={flowHref(flow.name)}>{flow.name}</a>
              </td>
              <td>{flow.revision.join(', ')}</td>
              <td>{flow.deployments.environment.map((env) => `${env.name}: revision ${env.revision[0]?.name ?? '?'}`).join(', ') || <span class="muted">not deployed</span>}</td>
            </tr>
          ))}
          {flows.data.length === 0 ? <EmptyRow columns={3}>No shared flows yet.</EmptyRow> : null}
        </Table>
      ) : null}
      <FlowHooks environments={environments.data ?? []} sharedFlows={(flows.data ?? []).map((flow) => flow.name)} writable={writable} />
    </>
  );
}

/** The four flow hooks of each environment and the shared flow attached to each. */
function FlowHooks({ environments, sharedFlows, writable }: { environments: string[]; sharedFlows: string[]; writable: boolean }) {
  const hooks = useLoad(
    () =>
      Promise.all(
        environments.flatMap((environment) =>
          FLOW_HOOKS.map(async ([hook]) => ({ ...(await api<Omit<FlowHook, 'environment'>>('GET', orgPath(`/environments/${enc(environment)}/flowhooks/${hook}`))), environment })),
        ),
      ),
    [environments.join(',')],
  );
  const [attaching, setAttaching] = useState<FlowHook>();
  return (
    <section aria-labelledby="flowhooks-heading">
      <h2 id="flowhooks-heading">Flow hooks</h2>
      <p class="hint">A shared flow attached to a flow hook runs for every API proxy deployed in the environment; it must be deployed there too.</p>
      <LoadState load={hooks} />
      {hooks.data ? (
        <Table caption="Flow hooks" columns={['Environment', 'Flow hook', 'Runs', 'Shared flow', 'Continue on error', ...(writable ? ['Actions'] : [])]}>
          {hooks.data.map((hook) => (
            <tr key={`${hook.environment}/${hook.name}`}>
              <td>{hook.environment}</td>
              <td>{hook.name}</td>
              <td>{FLOW_HOOKS.find(([name]) => name === hook.name)?.[1]}</td>
              <td>{hook.sharedFlow ? <a href={flowHref(hook.sharedFlow)}>{hook.sharedFlow}</a> : <span class="muted">none</span>}</td>
              <td>{hook.sharedFlow ? (hook.continueOnError ? 'yes' : 'no') : ''}</td>
              {writable ? (
                <td>
                  <button type="button" disabled={!sharedFlows.length} aria-label={`Attach a shared flow to ${hook.name} in ${hook.environment}`} onClick={() => setAttaching(hook)}>
                    Attach
                  </button>
                  {hook.sharedFlow ? (
                    <ConfirmButton
                      label="Detach"
                      ariaLabel={`Detach ${hook.sharedFlow} from ${hook.name} in ${hook.environment}`}
                      title={`Detach ${hook.sharedFlow} from ${hook.name}?`}
                      message={`Proxies in ${hook.environment} stop running it ${FLOW_HOOKS.find(([name]) => name === hook.name)?.[1]}.`}
                      confirm="Detach"
                      onConfirm={async () => {
                        await api('DELETE', orgPath(`/environments/${enc(hook.environment)}/flowhooks/${hook.name}`));
                        hooks.reload();
                      }}
                    />
                  ) : null}
                </td>
              ) : null}
            </tr>
          ))}
        </Table>
      ) : null}
      {attaching ? (
        <AttachDialog
          hook={attaching}
          sharedFlows={sharedFlows}
          onClose={() => setAttaching(undefined)}
          onDone={() => {
            setAttaching(undefined);
            hooks.reload();
          }}
        />
      ) : null}
    </section>
  );
}

function AttachDialog({ hook, sharedFlows, onClose, onDone }: { hook: FlowHook; sharedFlows: string[]; onClose: () => void; onDone: () => void }) {
  const form = useForm({ sharedFlow: hook.sharedFlow ?? sharedFlows[0] ?? '', continueOnError: hook.sharedFlow ? hook.continueOnError : true });
  const save = form.submit(async (values) => {
    await api('PUT', orgPath(`/environments/${enc(hook.environment)}/flowhooks/${hook.name}`), { json: values });
    onDone();
  });
  return (
    <Dialog title={`Attach a shared flow to ${hook.name} in ${hook.environment}`} onClose={onClose}>
      <form onSubmit={save} noValidate>
        <Field label="Shared flow" path="sharedFlow" error={form.error} options={sharedFlows} {...form.bind('sharedFlow')} />
        <label class="choice">
          <input type="checkbox" checked={form.values.continueOnError} onChange={(event) => form.set('continueOnError', event.currentTarget.checked)} /> Continue on error
        </label>
        <p class="hint">Unchecked, a fault in the shared flow ends the call with that fault.</p>
        <ErrorAlert error={form.error} claimed={['sharedFlow']} />
        <FormActions submit="Attach" busy={form.busy} onCancel={onClose} />
      </form>
    </Dialog>
  );
}

export function SharedFlowPage({ params }: { params: Record<string, string> }) {
  const name = params.name!;
  const info = useLoad(() => api<ProxySummary>('GET', flowPath(name)), [name]);
  const deployments = useLoad(() => api<Deployments>('GET', flowPath(name, '/deployments')), [name]);
  const environments = useLoad(listEnvironments);
  const [revision, setRevision] = useState<string>();
  const current = revision ?? info.data?.latestRevisionId;
  const bundle = useLoad(async () => (current ? Bundle.fromZip(await downloadBundle(name, current, 'sharedflows'), name) : undefined), [name, current]);
  const [error, setError] = useState<ApiError>();
  const [message, setMessage] = useState<string>();
  const writable = canWrite();
  if (!info.data) return <LoadState load={info} />;
  const deploy = async (env: string) => {
    setError(undefined);
    setMessage(undefined);
    try {
      await api('POST', orgPath(`/environments/${enc(env)}/sharedflows/${enc(name)}/revisions/${enc(current!)}/deployments`));
      deployments.reload();
      setMessage(`Revision ${current} deployed to ${env}.`);
    } catch (caught) {
      setError(asApiError(caught));
    }
  };
  const policies = bundle.data?.policies() ?? [];
  return (
    <>
      <PageHeader title={`Shared flow ${name}`} />
      {message ? <Notice kind="success">{message}</Notice> : null}
      <ErrorAlert error={error ?? deployments.error} />
      <dl class="details">
        <dt>
          <label for="sharedflow-revision">Revision</label>
        </dt>
        <dd>
          <RevisionSelect id="sharedflow-revision" revisions={info.data.revision} value={current} onChange={setRevision} />
        </dd>
      </dl>
      <section aria-labelledby="deployments-heading">
        <h2 id="deployments-heading">Deployments</h2>
        <Table caption="Deployments" columns={['Environment', 'Deployed revision', ...(writable ? ['Actions'] : [])]}>
          {(environments.data ?? []).map((env) => {
            const deployed = deployedRevision(deployments.data, env);
            return (
              <tr key={env}>
                <td>{env}</td>
                <td>{deployed ?? <span class="muted">not deployed</span>}</td>
                {writable ? (
                  <td>
                    <DeployButtons
                      env={env}
                      revision={current!}
                      deployed={deployed}
                      title={`Undeploy ${name} from ${env}?`}
                      message={`FlowCallout steps and flow hooks in ${env} that use it fault until a revision is deployed again.`}
                      onDeploy={() => deploy(env)}
                      onUndeploy={async (revision) => {
                        await api('DELETE', orgPath(`/environments/${enc(env)}/sharedflows/${enc(name)}/revisions/${enc(revision)}/deployments`));
                        deployments.reload();
                      }}
                    />
                  </td>
                ) : null}
              </tr>
            );
          })}
        </Table>
      </section>
      <LoadState load={bundle} />
      {bundle.data ? (
        <>
          <section aria-labelledby="flows-heading">
            <h2 id="flows-heading">Flows</h2>
            {bundle.data.sharedFlows().map((flow) => (
              <Fragment key={flow.file}>
                <h3>SharedFlow {flow.name}</h3>
                <Table caption={`Steps of SharedFlow ${flow.name}`} columns={['Step', 'Policy type', 'Condition']}>
                {flow.steps.map((step, i) => (
                  <tr key={i}>
                    <td>{step.policy}</td>
                    <td>{policies.find((policy) => policy.name === step.policy)?.type ?? <span class="muted">missing</span>}</td>
                    <td>{step.condition ? <code>{step.condition}</code> : <span class="muted">always</span>}</td>
                  </tr>
                ))}
                  {flow.steps.length === 0 ? <EmptyRow columns={3}>SharedFlow {flow.name} has no steps.</EmptyRow> : null}
                </Table>
              </Fragment>
            ))}
          </section>
          <section aria-labelledby="policies-heading">
            <h2 id="policies-heading">Policies</h2>
            {policies.length === 0 ? <p class="muted">No policies.</p> : null}
            {policies.map((policy) => (
              <details key={policy.file}>
                <summary>
                  {policy.name} <span class="muted">{policy.type}</span>
                </summary>
                <pre class="xml">{bundle.data!.text(policy.file)}</pre>
              </details>
            ))}
          </section>
        </>
      ) : null}
      {writable ? (
        <section aria-labelledby="danger-heading">
          <h2 id="danger-heading">Danger zone</h2>
          <ConfirmButton
            label="Delete shared flow"
            title={`Delete shared flow ${name}?`}
            message="All its revisions are deleted. A deployed shared flow must be undeployed first."
            onConfirm={async () => {
              await api('DELETE', flowPath(name));
              navigate(`${BASE}/sharedflows`);
            }}
          />
        </section>
      ) : null}
    </>
  );
}
