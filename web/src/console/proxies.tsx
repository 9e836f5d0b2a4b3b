// API proxies: the list with bundle import, creation from an API provider
// (with Cloud Integration Discover) or a URL, and one proxy's page: overview
// with revisions and deployments per environment, resources, and the policy
// editor (flows and XML). Saving imports the edited bundle as a new revision.
// Read-only callers see the proxies, revisions, deployments, resources and
// policies, and export bundles; they get no write controls.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, enc, errorOf, orgPath } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { canWrite, currentSession } from '../lib/session.js';
import { asApiError, ConfirmButton, Dialog, ErrorAlert, Field, FormActions, Loading, LoadState, Notice, PageHeader, ReadOnlyNote, Table, Tabs, useForm, useLoad } from '../lib/ui.js';
import { runtimeUrl } from '../lib/runtime.js';
import { BASE } from './base.js';
import { Bundle } from './bundle.js';
import { FlowEditor } from './flow-editor.js';
import { listProviders, type IntegrationFlow, type Provider } from './providers.js';

export interface ProxySummary {
  name: string;
  revision: string[];
  latestRevisionId: string;
}

export interface Deployments {
  environment: { name: string; revision: { name: string }[] }[];
}

/** The revision deployed to `env`, if any. */
export const deployedRevision = (deployments: Deployments | undefined, env: string) => deployments?.environment.find((e) => e.name === env)?.revision[0]?.name;

/** Where bundles go: API proxies (`apiproxy/`) or shared flows (`sharedflowbundle/`). */
export type BundleCollection = 'apis' | 'sharedflows';

/** Sends a bundle zip to be checked (validate, proxies only) or stored as the next revision. */
export async function importBundle(name: string, zip: Uint8Array, validate = false, collection: BundleCollection = 'apis'): Promise<{ revision?: string }> {
  const session = currentSession();
  const response = await fetch(orgPath(`/${collection}?action=${validate ? 'validate' : 'import'}&name=${enc(name)}`), {
    method: 'POST',
    headers: { authorization: session?.authorization ?? '', 'content-type': 'application/octet-stream', accept: 'application/json' },
    body: zip as BlobPart,
  });
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as { revision?: string };
}

export async function downloadBundle(name: string, revision: string, collection: BundleCollection = 'apis'): Promise<Uint8Array> {
  const response = await api<Response>('GET', orgPath(`/${collection}/${enc(name)}/revisions/${enc(revision)}?format=bundle`), { raw: true, headers: { accept: 'application/zip' } });
  return new Uint8Array(await response.arrayBuffer());
}

const IMPORTS: Record<BundleCollection, { heading: string; label: string }> = {
  apis: { heading: 'Import an Apigee bundle', label: 'Proxy name' },
  sharedflows: { heading: 'Import a shared flow bundle', label: 'Shared flow name' },
};

/** A bundle zip from the caller's disk, stored under its name (the file's by default) as the next revision. */
export function ImportBundle({ onDone, collection = 'apis' }: { onDone: (name: string) => void; collection?: BundleCollection }) {
  const form = useForm({ name: '' });
  const [file, setFile] = useState<File>();
  const save = form.submit(async (values) => {
    if (!file) throw new ApiError(422, 'validation_failed', 'Choose a bundle zip', [{ path: 'file', message: 'choose a bundle zip' }]);
    const name = values.name.trim() || file.name.replace(/(_rev\d+)?\.zip$/i, '');
    await importBundle(name, new Uint8Array(await file.arrayBuffer()), false, collection);
    onDone(name);
  });
  const text = IMPORTS[collection];
  return (
    <form class="card" onSubmit={save} noValidate aria-label={text.heading}>
      <h2>{text.heading}</h2>
      <div class={`field${form.error?.fields.some((f) => f.path === 'file') ? ' invalid' : ''}`}>
        <label for={`bundle-file-${collection}`}>Bundle zip</label>
        <input id={`bundle-file-${collection}`} type="file" accept=".zip,application/zip" onChange={(event) => setFile(event.currentTarget.files?.[0])} />
      </div>
      <Field label={text.label} path="name" error={form.error} hint="Defaults to the file name; an existing one gets a new revision." {...form.bind('name')} />
      <ErrorAlert error={form.error} claimed={['name']} />
      <FormActions submit="Import" busy={form.busy} />
    </form>
  );
}

export function ProxiesPage() {
  const list = useLoad(() => api<{ proxies: ProxySummary[] }>('GET', orgPath('/apis?expand=true')));
  const [importing, setImporting] = useState(false);
  return (
    <>
      <PageHeader title="API proxies">
        {canWrite() ? (
          <>
            <a class="button primary" href={`${BASE}/apis/new`}>
              Create
            </a>
            <button type="button" onClick={() => setImporting(!importing)} aria-expanded={importing}>
              Import bundle
            </button>
          </>
        ) : null}
      </PageHeader>
      {importing ? <ImportBundle onDone={(name) => navigate(`${BASE}/apis/${enc(name)}`)} /> : null}
      <LoadState load={list} />
      {list.data ? (
        list.data.proxies.length ? (
          <Table caption="API proxies" columns={['Name', 'Latest revision']}>
            {list.data.proxies.map((p) => (
              <tr key={p.name}>
                <td>
                  <a href={`${BASE}/apis/${enc(p.name)}`}>{p.name}</a>
                </td>
                <td>{p.latestRevisionId}</td>
              </tr>
            ))}
          </Table>
        ) : (
          <p>No API proxies yet.</p>
        )
      ) : null}
    </>
  );
}

const safeName = (text: string) => text.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[^A-Za-z0-9]+/, '').slice(0, 200);

export function NewProxyPage() {
  if (!canWrite()) {
    return (
      <>
        <PageHeader title="Create API" />
        <ReadOnlyNote>an orgadmin creates API proxies.</ReadOnlyNote>
      </>
    );
  }
  return <NewProxyForm />;
}

function NewProxyForm() {
  const query = new URLSearchParams(location.search);
  const providers = useLoad(listProviders);
  const form = useForm({ source: query.get('provider') ? 'provider' : 'url', provider: query.get('provider') ?? '', url: '', path: '', name: '', title: '', basePath: '', version: '' });
  const [flows, setFlows] = useState<IntegrationFlow[]>();
  const [flowId, setFlowId] = useState('');
  const [runtime, setRuntime] = useState<{ tokenUrl: string; clientId: string; clientSecret: string }>();
  const [askRuntime, setAskRuntime] = useState(false);
  const [discoverError, setDiscoverError] = useState<ApiError>();
  const v = form.values;
  const provider: Provider | undefined = providers.data?.find((p) => p.name === v.provider);
  useEffect(() => {
    if (!v.provider && providers.data?.[0]) form.set('provider', providers.data[0].name);
  }, [providers.data]);
  const flow = flows?.find((f) => f.id === flowId);

  const discover = async () => {
    setDiscoverError(undefined);
    try {
      setFlows(await api<IntegrationFlow[]>('GET', orgPath(`/apiproviders/${enc(v.provider)}/integrationflows`)));
    } catch (error) {
      setDiscoverError(asApiError(error));
    }
  };
  const chooseFlow = () => {
    if (!flow) return;
    form.set('name', safeName(flow.id));
    form.set('title', flow.name);
    form.set('basePath', `/${safeName(flow.id).toLowerCase()}`);
    setAskRuntime(true);
  };

  const save = form.submit(async (values) => {
    const version = values.version.trim();
    const name = values.name.trim() + (version ? `_${version}` : '');
    const basePath = (values.basePath.trim() || `/${values.name.trim()}`) + (version ? `/${version}` : '');
    let connection: Record<string, unknown>;
    if (values.source === 'url') connection = { url: values.url.trim() };
    else if (flow && runtime) {
      // The integration flow's endpoint, reached with the credentials of its integration-flow service key.
      const endpoint = new URL(flow.endpoints[0]!.url);
      const runtimeProvider = safeName(`${values.provider}_${flow.id}`);
      await api('POST', orgPath('/apiproviders'), {
        json: {
          name: runtimeProvider,
          type: 'CloudIntegration',
          description: `Runtime of integration flow ${flow.name}`,
          url: endpoint.origin,
          authentication: { type: 'OAuth2ClientCredentials', ...runtime },
        },
      }).catch((error: unknown) => {
        if (!(error instanceof ApiError && error.status === 409)) throw error;
      });
      connection = { provider: runtimeProvider, path: endpoint.pathname };
    } else connection = { provider: values.provider, ...(values.path.trim() ? { path: values.path.trim() } : {}) };
    await api('POST', orgPath('/apis'), {
      json: {
        name,
        ...(values.title.trim() ? { displayName: values.title.trim() } : {}),
        proxyEndpoints: [{ name: 'default', basePath }],
        targetEndpoints: [{ name: 'default', connection }],
      },
    });
    navigate(`${BASE}/apis/${enc(name)}`);
  });

  return (
    <>
      <PageHeader title="Create API" />
      <form class="card" onSubmit={save} noValidate aria-label="Create API">
        <fieldset>
          <legend>Source</legend>
          <div class="radios">
            <label>
              <input type="radio" name="source" value="provider" checked={v.source === 'provider'} onChange={() => form.set('source', 'provider')} /> API Provider
            </label>
            <label>
              <input type="radio" name="source" value="url" checked={v.source === 'url'} onChange={() => form.set('source', 'url')} /> URL
            </label>
          </div>
          {v.source === 'provider' ? (
            <>
              <Field label="API Provider" path="provider" error={form.error} options={(providers.data ?? []).map((p) => [p.name, `${p.name} (${p.type})`])} {...form.bind('provider')} />
              {provider?.type === 'CloudIntegration' ? (
                <button type="button" onClick={discover}>
                  Discover
                </button>
              ) : (
                <Field label="Path on the provider" path="targetEndpoints.0.connection.path" error={form.error} placeholder="/messages" {...form.bind('path')} />
              )}
              <ErrorAlert error={discoverError} />
              {flows ? (
                <fieldset>
                  <legend>Integration flows</legend>
                  {flows.length === 0 ? <p>The tenant runs no integration flow.</p> : null}
                  {flows.map((f) => (
                    <label class="choice" key={f.id}>
                      <input type="radio" name="iflow" value={f.id} checked={flowId === f.id} disabled={!f.endpoints.length} onChange={() => setFlowId(f.id)} />
                      {f.name} <span class="muted">({f.endpoints[0]?.url ?? 'no HTTPS endpoint'})</span>
                    </label>
                  ))}
                  <button type="button" disabled={!flow} onClick={chooseFlow}>
                    Next
                  </button>
                </fieldset>
              ) : null}
              {runtime && flow ? <Notice kind="success">Integration flow {flow.name}: runtime credentials set.</Notice> : null}
            </>
          ) : (
            <Field label="URL" path="targetEndpoints.0.connection.url" error={form.error} required placeholder="https://backend.example.com/v1" {...form.bind('url')} />
          )}
        </fieldset>
        <fieldset>
          <legend>API</legend>
          <Field label="Name" path="name" error={form.error} required {...form.bind('name')} />
          <Field label="Title" path="displayName" error={form.error} {...form.bind('title')} />
          <Field label="API Base Path" path="proxyEndpoints.0.basePath" error={form.error} placeholder="/my-api" {...form.bind('basePath')} />
          <Field label="Version" path="version" error={form.error} hint="Optional; added to the name and the base path." {...form.bind('version')} />
        </fieldset>
        <ErrorAlert error={form.error} claimed={['name', 'displayName', 'proxyEndpoints.0.basePath', 'targetEndpoints.0.connection']} />
        <FormActions submit="Create" busy={form.busy} />
      </form>
      {askRuntime && flow ? <RuntimeCredentials flow={flow} onDone={(credentials) => { setRuntime(credentials); setAskRuntime(false); }} onClose={() => setAskRuntime(false)} /> : null}
    </>
  );
}

function RuntimeCredentials({ flow, onDone, onClose }: { flow: IntegrationFlow; onDone: (c: { tokenUrl: string; clientId: string; clientSecret: string }) => void; onClose: () => void }) {
  const form = useForm({ tokenUrl: '', clientId: '', clientSecret: '' });
  const done = form.submit(async (values) => {
    const fields = Object.entries(values)
      .filter(([, value]) => !value.trim())
      .map(([path]) => ({ path, message: 'is required' }));
    if (fields.length) throw new ApiError(422, 'validation_failed', 'Fill in the service key credentials', fields);
    onDone({ tokenUrl: values.tokenUrl.trim(), clientId: values.clientId.trim(), clientSecret: values.clientSecret });
  });
  return (
    <Dialog title="Create API Provider for the integration flow" onClose={onClose}>
      <form onSubmit={done} noValidate>
        <p>
          {flow.name} runs at {flow.endpoints[0]?.url}. Enter the token URL, client id and secret of the integration-flow service key.
        </p>
        <Field label="Token URL" path="tokenUrl" error={form.error} required {...form.bind('tokenUrl')} />
        <Field label="Client ID" path="clientId" error={form.error} required autocomplete="off" {...form.bind('clientId')} />
        <Field label="Client Secret" path="clientSecret" type="password" error={form.error} required autocomplete="off" {...form.bind('clientSecret')} />
        <FormActions submit="Done" />
      </form>
    </Dialog>
  );
}

type Tab = 'overview' | 'resources' | 'policies';

export function ProxyPage({ params }: { params: Record<string, string> }) {
  const name = params.api!;
  const info = useLoad(() => api<ProxySummary>('GET', orgPath(`/apis/${enc(name)}`)), [name]);
  const deployments = useLoad(() => api<Deployments>('GET', orgPath(`/apis/${enc(name)}/deployments`)), [name]);
  const environments = useLoad(() => api<string[]>('GET', orgPath('/environments')));
  const [revision, setRevision] = useState<string>();
  const [bundle, setBundle] = useState<Bundle>();
  const [version, setVersion] = useState(0);
  const [dirty, setDirty] = useState(false);
  const [tab, setTab] = useState<Tab>('overview');
  const [error, setError] = useState<ApiError>();
  const [message, setMessage] = useState<string>();
  const current = revision ?? info.data?.latestRevisionId;
  const writable = canWrite();

  useEffect(() => {
    if (!current) return;
    let live = true;
    downloadBundle(name, current).then(
      (zip) => live && (setBundle(Bundle.fromZip(zip, name)), setDirty(false)),
      (caught: unknown) => live && setError(asApiError(caught)),
    );
    return () => {
      live = false;
    };
  }, [name, current]);

  const changed = () => {
    setVersion((n) => n + 1);
    setDirty(true);
  };
  const act = async (action: () => Promise<void>) => {
    setError(undefined);
    setMessage(undefined);
    try {
      await action();
    } catch (caught) {
      setError(asApiError(caught));
    }
  };
  const save = () =>
    act(async () => {
      const saved = await importBundle(name, bundle!.toZip());
      setDirty(false);
      setMessage(`Saved as revision ${saved.revision}.`);
      setRevision(String(saved.revision));
      info.reload();
    });

  const basePaths = useMemo(() => (bundle ? basePathsOf(bundle) : []), [bundle, version]);
  if (!info.data) return info.error ? <ErrorAlert error={info.error} /> : <Loading />;
  return (
    <>
      <PageHeader title={`API proxy ${name}`}>
        {writable ? (
          <button type="button" class="primary" disabled={!bundle || !dirty} onClick={save}>
            Save
          </button>
        ) : null}
        <a class="button" href={orgPath(`/apis/${enc(name)}/revisions/${enc(current ?? '1')}?format=bundle`)} onClick={(event) => { event.preventDefault(); void act(() => exportBundle(name, current!)); }}>
          Export
        </a>
      </PageHeader>
      {message ? <Notice kind="success">{message}</Notice> : null}
      {dirty ? <Notice>Unsaved changes: Save stores them as a new revision.</Notice> : null}
      <ErrorAlert error={error} />
      <Tabs
        label="Proxy"
        tabs={[
          ['overview', 'Overview'],
          ['resources', 'Resources'],
          ['policies', 'Policies'],
        ]}
        current={tab}
        onChange={setTab}
      />
      <div role="tabpanel" class="tabpanel">
        {tab === 'overview' ? (
          <section>
            <dl class="details">
              <dt>Revision</dt>
              <dd>
                <label for="revision" class="sr-only">
                  Revision
                </label>
                <RevisionSelect id="revision" revisions={info.data.revision} value={current} onChange={setRevision} />
              </dd>
              <dt>Base path</dt>
              <dd>{basePaths.join(', ') || '…'}</dd>
            </dl>
            <h2>Deployments</h2>
            <Table columns={['Environment', 'Deployed revision', 'Proxy URL', ...(writable ? ['Actions'] : [])]}>
              {(environments.data ?? []).map((env) => {
                const rev = deployedRevision(deployments.data, env);
                return (
                  <tr key={env}>
                    <td>{env}</td>
                    <td>{rev ?? 'not deployed'}</td>
                    <td>{rev ? basePaths.map((path) => <code key={path}>{runtimeUrl(env) + path}</code>) : '—'}</td>
                    {writable ? (
                      <td>
                        <DeployButtons
                          env={env}
                          revision={current!}
                          deployed={rev}
                          title={`Undeploy ${name} from ${env}?`}
                          message={`Calls to revision ${rev} in ${env} stop being served.`}
                          onDeploy={() => act(async () => { await api('POST', orgPath(`/environments/${enc(env)}/apis/${enc(name)}/revisions/${enc(current!)}/deployments?override=true`)); deployments.reload(); setMessage(`Revision ${current} deployed to ${env}.`); })}
                          onUndeploy={async (deployed) => {
                            await api('DELETE', orgPath(`/environments/${enc(env)}/apis/${enc(name)}/revisions/${enc(deployed)}/deployments`));
                            deployments.reload();
                          }}
                        />
                      </td>
                    ) : null}
                  </tr>
                );
              })}
            </Table>
            {writable ? (
              <>
                <h2>Danger zone</h2>
                <ConfirmButton
                  label="Delete proxy"
                  title={`Delete API proxy ${name}?`}
                  message="All its revisions are deleted. A deployed proxy must be undeployed first."
                  onConfirm={async () => {
                    await api('DELETE', orgPath(`/apis/${enc(name)}`));
                    navigate(`${BASE}/apis`);
                  }}
                />
              </>
            ) : null}
          </section>
        ) : !bundle ? (
          <Loading what="Loading the revision" />
        ) : tab === 'resources' ? (
          <Resources bundle={bundle} version={version} onChange={changed} writable={writable} />
        ) : (
          <FlowEditor bundle={bundle} version={version} onChange={changed} onSave={save} proxy={name} writable={writable} />
        )}
      </div>
    </>
  );
}

/** The revision a page shows, chosen from the revisions there are. */
export function RevisionSelect({ id, revisions, value, onChange }: { id: string; revisions: string[]; value: string | undefined; onChange: (revision: string) => void }) {
  return (
    <select id={id} value={value} onChange={(event) => onChange(event.currentTarget.value)}>
      {revisions.map((r) => (
        <option key={r} value={r}>
          {r}
        </option>
      ))}
    </select>
  );
}

/** Deploy the chosen revision to an environment; Undeploy (asking first) the one deployed there. */
export function DeployButtons(props: { env: string; revision: string; deployed: string | undefined; title: string; message: string; onDeploy: () => unknown; onUndeploy: (deployed: string) => Promise<void> }) {
  const { env, deployed } = props;
  return (
    <>
      <button type="button" aria-label={`Deploy revision ${props.revision} to ${env}`} onClick={props.onDeploy}>
        Deploy
      </button>
      {deployed ? <ConfirmButton label="Undeploy" ariaLabel={`Undeploy from ${env}`} title={props.title} message={props.message} confirm="Undeploy" onConfirm={() => props.onUndeploy(deployed)} /> : null}
    </>
  );
}

async function exportBundle(name: string, revision: string): Promise<void> {
  const zip = await downloadBundle(name, revision);
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([zip as BlobPart], { type: 'application/zip' }));
  link.download = `${name}_rev${revision}.zip`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

function basePathsOf(bundle: Bundle): string[] {
  return bundle
    .list('proxies/')
    .map((file) => /<BasePath>([^<]*)<\/BasePath>/.exec(bundle.text(file))?.[1]?.trim())
    .filter((path): path is string => Boolean(path));
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** Resources, as SAP API Management shows them: conditional flows on a path and verb. */
function Resources({ bundle, version, onChange, writable }: { bundle: Bundle; version: number; onChange: () => void; writable: boolean }) {
  const endpoints = useMemo(() => bundle.endpoints().filter((e) => e.kind === 'proxy'), [bundle, version]);
  const endpoint = endpoints[0];
  const form = useForm({ path: '', description: '' });
  const [methods, setMethods] = useState<string[]>(['GET']);
  if (!endpoint) return <p>This revision has no proxy endpoint.</p>;
  const resources = endpoint.flows.filter((f) => f.ref.kind === 'Flow' && f.ref.phase === 'Request');
  const add = form.submit(async (values) => {
    const path = values.path.trim();
    if (!/^\/[^\s"]*$/.test(path)) throw new ApiError(422, 'validation_failed', 'Check the resource', [{ path: 'path', message: 'must start with / and contain no spaces or quotes' }]);
    if (!methods.length) throw new ApiError(422, 'validation_failed', 'Check the resource', [{ path: 'methods', message: 'choose at least one operation' }]);
    for (const method of methods) {
      const name = `${path.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'root'}_${method}`;
      bundle.addFlow(endpoint.file, name, `(proxy.pathsuffix MatchesPath "${path}") and (request.verb = "${method}")`);
    }
    form.set('path', '');
    onChange();
  });
  return (
    <section>
      <h2>Resources</h2>
      {resources.length ? (
        <Table columns={['Flow', 'Condition', ...(writable ? ['Actions'] : [])]}>
          {resources.map((flow) => (
            <tr key={flow.label}>
              <td>{flow.ref.kind === 'Flow' ? flow.ref.name : ''}</td>
              <td>
                <code>{flow.condition ?? '(always)'}</code>
              </td>
              {writable ? (
                <td>
                  <button type="button" class="danger" onClick={() => { bundle.removeFlow(endpoint.file, flow.ref); onChange(); }}>
                    Remove
                  </button>
                </td>
              ) : null}
            </tr>
          ))}
        </Table>
      ) : (
        <p>No resources: every path under the base path is served.</p>
      )}
      {writable ? (
        <form class="card" onSubmit={add} noValidate aria-label="Add resource">
          <h3>Add resource</h3>
          <Field label="Resource path" path="path" error={form.error} required placeholder="/messages" {...form.bind('path')} />
          <fieldset class={form.error?.fields.some((f) => f.path === 'methods') ? 'invalid' : ''}>
            <legend>Operations</legend>
            <div class="radios">
              {METHODS.map((method) => (
                <label key={method}>
                  <input type="checkbox" checked={methods.includes(method)} onChange={(event) => setMethods(event.currentTarget.checked ? [...methods, method] : methods.filter((m) => m !== method))} /> {method}
                </label>
              ))}
            </div>
          </fieldset>
          <ErrorAlert error={form.error} claimed={['path']} />
          <div class="actions">
            <button type="submit">Add</button>
          </div>
        </form>
      ) : null}
    </section>
  );
}
