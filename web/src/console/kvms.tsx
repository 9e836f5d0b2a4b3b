// Key value maps of an environment: create (encrypted or not), entries, and
// values of encrypted maps shown as the API shows them: masked. Read-only
// callers see the maps and no write controls.
import { useState } from 'preact/hooks';
import { api, enc, orgPath } from '../lib/api.js';
import { canWrite } from '../lib/session.js';
import { ConfirmButton, ErrorAlert, Field, FormActions, LoadState, PageHeader, Table, useForm, useLoad } from '../lib/ui.js';

interface Map {
  name: string;
  encrypted: boolean;
  entry: { name: string; value: string }[];
}

export function KvmsPage() {
  const [scope, setScope] = useState<'environment' | 'apiproxy'>('environment');
  const [env, setEnv] = useState('prod');
  const [proxy, setProxy] = useState('');
  const environments = useLoad(() => api<string[]>('GET', orgPath('/environments')));
  const proxies = useLoad(() => api<string[]>('GET', orgPath('/apis')));
  const chosenProxy = proxy || proxies.data?.[0] || '';
  const base = scope === 'environment' ? orgPath(`/environments/${enc(env)}/keyvaluemaps`) : orgPath(`/apis/${enc(chosenProxy)}/keyvaluemaps`);
  const maps = useLoad(async () => {
    if (scope === 'apiproxy' && !chosenProxy) return [];
    const names = await api<string[]>('GET', base);
    return Promise.all(names.map((name) => api<Map>('GET', `${base}/${enc(name)}`)));
  }, [base]);
  const form = useForm({ name: '', encrypted: 'true' });
  const create = form.submit(async (v) => {
    await api('POST', base, { json: { name: v.name.trim(), encrypted: v.encrypted === 'true', entry: [] } });
    form.set('name', '');
    maps.reload();
  });
  const writable = canWrite();
  return (
    <>
      <PageHeader title="Key value maps" />
      <div class="row">
        <div class="field">
          <label for="kvm-scope">Scope</label>
          <select id="kvm-scope" value={scope} onChange={(event) => setScope(event.currentTarget.value as 'environment')}>
            <option value="environment">Environment</option>
            <option value="apiproxy">API proxy</option>
          </select>
        </div>
        {scope === 'environment' ? (
          <div class="field">
            <label for="kvm-env">Environment</label>
            <select id="kvm-env" value={env} onChange={(event) => setEnv(event.currentTarget.value)}>
              {(environments.data ?? ['prod', 'test']).map((e) => (
                <option key={e}>{e}</option>
              ))}
            </select>
          </div>
        ) : (
          <div class="field">
            <label for="kvm-proxy">API proxy</label>
            <select id="kvm-proxy" value={chosenProxy} onChange={(event) => setProxy(event.currentTarget.value)}>
              {(proxies.data ?? []).map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          </div>
        )}
      </div>
      {writable ? (
        <form class="card" onSubmit={create} noValidate aria-label="New key value map">
          <div class="row">
            <Field label="Map name" path="name" error={form.error} required {...form.bind('name')} />
            <Field label="Encrypted" path="encrypted" error={form.error} options={[['true', 'Encrypted (values masked)'], ['false', 'Plain']]} {...form.bind('encrypted')} />
          </div>
          <ErrorAlert error={form.error} claimed={['name', 'encrypted']} />
          <FormActions submit="Create map" busy={form.busy} />
        </form>
      ) : null}
      <LoadState load={maps} />
      {maps.data && !maps.data.length && !writable ? <p>No key value maps here.</p> : null}
      {(maps.data ?? []).map((map) => (
        <MapCard key={map.name} map={map} base={`${base}/${enc(map.name)}`} onChange={maps.reload} writable={writable} />
      ))}
    </>
  );
}

function MapCard({ map, base, onChange, writable }: { map: Map; base: string; onChange: () => void; writable: boolean }) {
  const form = useForm({ name: '', value: '' });
  const add = form.submit(async (v) => {
    await api('POST', `${base}/entries`, { json: { name: v.name.trim(), value: v.value } });
    form.set('name', '');
    form.set('value', '');
    onChange();
  });
  return (
    <section class="card" aria-label={`Map ${map.name}`}>
      <h2>
        {map.name} {map.encrypted ? <span class="badge">encrypted</span> : null}
      </h2>
      <Table columns={['Key', 'Value', ...(writable ? ['Actions'] : [])]}>
        {map.entry.map((entry) => (
          <tr key={entry.name}>
            <td>{entry.name}</td>
            <td>
              <code>{entry.value}</code>
            </td>
            {writable ? (
              <td>
                <ConfirmButton label="Delete" ariaLabel={`Delete entry ${entry.name}`} title={`Delete entry ${entry.name}?`} message="Policies that read it get no value." onConfirm={async () => { await api('DELETE', `${base}/entries/${enc(entry.name)}`); onChange(); }} />
              </td>
            ) : null}
          </tr>
        ))}
      </Table>
      {writable ? (
        <>
          <form onSubmit={add} noValidate aria-label={`Add entry to ${map.name}`} class="row">
            <Field label="Key" path="name" error={form.error} required {...form.bind('name')} />
            <Field label="Value" path="value" error={form.error} type={map.encrypted ? 'password' : 'text'} autocomplete="off" {...form.bind('value')} />
            <div class="actions">
              <button type="submit" disabled={form.busy}>
                Add entry
              </button>
            </div>
          </form>
          <ErrorAlert error={form.error} claimed={['name', 'value']} />
          <ConfirmButton label="Delete map" title={`Delete map ${map.name}?`} message="All its entries are deleted." onConfirm={async () => { await api('DELETE', base); onChange(); }} />
        </>
      ) : null}
    </section>
  );
}
