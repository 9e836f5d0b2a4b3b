// API providers (SAP API Management): Internet, Open Connectors and Cloud
// Integration backends, with Test Connection and, for Cloud Integration,
// Discover of the tenant's integration flows. Read-only callers see the
// providers and Discover, and no write controls.
import { useState } from 'preact/hooks';
import { api, enc, orgPath } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { canWrite } from '../lib/session.js';
import { asApiError, ConfirmButton, ErrorAlert, Field, FormActions, Loading, LoadState, Notice, PageHeader, Table, useForm, useLoad } from '../lib/ui.js';
import { BASE } from './base.js';

export interface Provider {
  name: string;
  type: 'Internet' | 'OpenConnectors' | 'CloudIntegration';
  description?: string;
  url?: string;
  authentication?: { type: string; tokenUrl?: string; clientId?: string; username?: string; scope?: string };
}

export interface IntegrationFlow {
  id: string;
  name: string;
  version?: string;
  status?: string;
  endpoints: { name: string; url: string; type?: string }[];
}

export const listProviders = () => api<Provider[]>('GET', orgPath('/apiproviders?expand=true'));

const TYPES: [string, string][] = [
  ['Internet', 'Internet'],
  ['OpenConnectors', 'Open Connectors'],
  ['CloudIntegration', 'Cloud Integration'],
];

const EMPTY = { name: '', description: '', type: 'Internet', url: '', tokenUrl: '', clientId: '', clientSecret: '', scope: '', organizationSecret: '', userSecret: '', username: '', password: '', basic: 'None' };
type ProviderForm = typeof EMPTY;

export function providerPayload(v: ProviderForm): Record<string, unknown> {
  const base = { name: v.name.trim(), ...(v.description.trim() ? { description: v.description.trim() } : {}) };
  if (v.type === 'CloudIntegration') {
    return { ...base, type: v.type, url: v.url.trim(), authentication: { type: 'OAuth2ClientCredentials', tokenUrl: v.tokenUrl.trim(), clientId: v.clientId.trim(), clientSecret: v.clientSecret, ...(v.scope.trim() ? { scope: v.scope.trim() } : {}) } };
  }
  if (v.type === 'OpenConnectors') {
    return { ...base, type: v.type, ...(v.url.trim() ? { url: v.url.trim() } : {}), organizationSecret: v.organizationSecret.trim(), userSecret: v.userSecret.trim() };
  }
  return { ...base, type: v.type, url: v.url.trim(), authentication: v.basic === 'Basic' ? { type: 'Basic', username: v.username, password: v.password } : { type: 'None' } };
}

function ProviderFields({ form }: { form: ReturnType<typeof useForm<ProviderForm>> }) {
  const { values, error, bind } = form;
  return (
    <>
      <fieldset>
        <legend>Overview</legend>
        <Field label="Name" path="name" error={error} required {...bind('name')} />
        <Field label="Description" path="description" error={error} {...bind('description')} />
      </fieldset>
      <fieldset>
        <legend>Connection</legend>
        <Field label="Type" path="type" error={error} options={TYPES} {...bind('type')} />
        {values.type === 'CloudIntegration' ? (
          <>
            <Field label="Host (Cloud Integration management URL)" path="url" error={error} required placeholder="https://tenant.it-cpi001.cfapps.eu10.hana.ondemand.com" {...bind('url')} />
            <p class="hint">Authentication: OAuth2ClientCredentials, from the service key of the Process Integration Runtime (api plan).</p>
            <Field label="Token URL" path="authentication.tokenUrl" error={error} required {...bind('tokenUrl')} />
            <Field label="Client ID" path="authentication.clientId" error={error} required autocomplete="off" {...bind('clientId')} />
            <Field label="Client Secret" path="authentication.clientSecret" type="password" error={error} required autocomplete="off" {...bind('clientSecret')} />
          </>
        ) : values.type === 'OpenConnectors' ? (
          <>
            <Field label="Open Connectors API URL" path="url" error={error} hint="Leave empty for this Tollgate's own connectors." {...bind('url')} />
            <Field label="Organization Secret" path="organizationSecret" type="password" error={error} required autocomplete="off" {...bind('organizationSecret')} />
            <Field label="User Secret" path="userSecret" type="password" error={error} required autocomplete="off" {...bind('userSecret')} />
          </>
        ) : (
          <>
            <Field label="URL" path="url" error={error} required placeholder="https://api.example.com" {...bind('url')} />
            <Field label="Authentication" path="authentication.type" error={error} options={['None', 'Basic']} {...bind('basic')} />
            {values.basic === 'Basic' ? (
              <>
                <Field label="Username" path="authentication.username" error={error} required {...bind('username')} />
                <Field label="Password" path="authentication.password" type="password" error={error} required {...bind('password')} />
              </>
            ) : null}
          </>
        )}
      </fieldset>
      <ErrorAlert error={error} claimed={['name', 'description', 'type', 'url', 'authentication', 'organizationSecret', 'userSecret']} />
    </>
  );
}

export function ProvidersPage() {
  const list = useLoad(listProviders);
  const [creating, setCreating] = useState(false);
  const form = useForm(EMPTY);
  const save = form.submit(async (values) => {
    await api('POST', orgPath('/apiproviders'), { json: providerPayload(values) });
    navigate(`${BASE}/providers/${enc(values.name.trim())}`);
  });
  return (
    <>
      <PageHeader title="API providers">
        {!creating && canWrite() ? (
          <button type="button" class="primary" onClick={() => setCreating(true)}>
            Create
          </button>
        ) : null}
      </PageHeader>
      {creating ? (
        <form class="card" onSubmit={save} noValidate aria-label="New API provider">
          <h2>New API provider</h2>
          <ProviderFields form={form} />
          <FormActions submit="Save" busy={form.busy} onCancel={() => setCreating(false)} />
        </form>
      ) : null}
      <LoadState load={list} />
      {list.data ? (
        list.data.length ? (
          <Table caption="API providers" columns={['Name', 'Type', 'URL']}>
            {list.data.map((p) => (
              <tr key={p.name}>
                <td>
                  <a href={`${BASE}/providers/${enc(p.name)}`}>{p.name}</a>
                </td>
                <td>{p.type}</td>
                <td>{p.url ?? 'this Tollgate'}</td>
              </tr>
            ))}
          </Table>
        ) : (
          <p>No API providers yet.</p>
        )
      ) : null}
    </>
  );
}

export function ProviderPage({ params }: { params: Record<string, string> }) {
  const provider = useLoad(() => api<Provider>('GET', orgPath(`/apiproviders/${enc(params.name!)}`)), [params.name]);
  const [result, setResult] = useState<{ ok: boolean; message: string }>();
  const [flows, setFlows] = useState<IntegrationFlow[]>();
  const [error, setError] = useState<ReturnType<typeof asApiError>>();
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setBusy(false);
    }
  };
  const writable = canWrite();
  if (!provider.data) return provider.error ? <ErrorAlert error={provider.error} /> : <Loading />;
  const p = provider.data;
  return (
    <>
      <PageHeader title={`API provider ${p.name}`}>
        {writable ? (
          <button type="button" disabled={busy} onClick={() => run(async () => setResult(await api('POST', orgPath(`/apiproviders/${enc(p.name)}/connection`))))}>
            Test Connection
          </button>
        ) : null}
        {p.type === 'CloudIntegration' ? (
          <button type="button" disabled={busy} onClick={() => run(async () => setFlows(await api('GET', orgPath(`/apiproviders/${enc(p.name)}/integrationflows`))))}>
            Discover
          </button>
        ) : null}
        {writable ? (
          <ConfirmButton
            label="Delete"
            title={`Delete API provider ${p.name}?`}
            message="Proxies that target it stop working. Its stored credentials are deleted."
            onConfirm={async () => {
              await api('DELETE', orgPath(`/apiproviders/${enc(p.name)}`));
              navigate(`${BASE}/providers`);
            }}
          />
        ) : null}
      </PageHeader>
      {result ? (
        <Notice kind={result.ok ? 'success' : 'error'}>
          <strong>{result.ok ? 'Connection successful. ' : 'Connection failed. '}</strong>
          {result.message}
        </Notice>
      ) : null}
      <ErrorAlert error={error} />
      <dl class="details">
        <dt>Type</dt>
        <dd>{p.type}</dd>
        <dt>URL</dt>
        <dd>{p.url ?? 'this Tollgate'}</dd>
        {p.description ? (
          <>
            <dt>Description</dt>
            <dd>{p.description}</dd>
          </>
        ) : null}
        {p.authentication && p.authentication.type !== 'None' ? (
          <>
            <dt>Authentication</dt>
            <dd>
              {p.authentication.type}
              {p.authentication.clientId ? ` (client ${p.authentication.clientId}, token URL ${p.authentication.tokenUrl})` : ''}
              {p.authentication.username ? ` (user ${p.authentication.username})` : ''}
            </dd>
          </>
        ) : null}
      </dl>
      {flows ? (
        <section aria-labelledby="flows-title">
          <h2 id="flows-title">Integration flows</h2>
          {flows.length ? (
            <ul class="plain">
              {flows.map((flow) => (
                <li key={flow.id}>
                  <strong>{flow.name}</strong> ({flow.id}
                  {flow.version ? `, version ${flow.version}` : ''}
                  {flow.status ? `, ${flow.status}` : ''}) — {flow.endpoints.map((e) => e.url).join(', ') || 'no HTTPS endpoint'}
                </li>
              ))}
            </ul>
          ) : (
            <p>The tenant runs no integration flow.</p>
          )}
          {writable ? (
            <a class="button" href={`${BASE}/apis/new?provider=${enc(p.name)}`}>
              Create an API from an integration flow
            </a>
          ) : null}
        </section>
      ) : null}
    </>
  );
}
