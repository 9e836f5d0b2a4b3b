// Connectors (Open Connectors): the catalog as cards with search; each card's
// instances banner opens its instance cards (id, View Token, Edit with Update
// or Re-Authenticate, API Docs, Delete; an instance with events shows their
// settings and an Events button); Authenticate creates an instance:
// OAuth through Tollgate's hosted callback in a popup, or basic / API key with
// the element's configuration fields. Read-only callers see the catalog and
// no write controls; instances, which carry their tokens, are not listed to
// them (the API refuses the readonly role secret values).
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, enc } from '../lib/api.js';
import { canWrite, currentSession } from '../lib/session.js';
import { asApiError, ConfirmButton, Dialog, ErrorAlert, Field, Loading, Notice, PageHeader, ReadOnlyNote, useForm, useLoad } from '../lib/ui.js';
import { BASE } from './base.js';
import { EventSettings, EventsDialog, eventsEnabled } from './instance-events.js';

export interface ElementSummary {
  id: number;
  key: string;
  name: string;
  description?: string;
  private: boolean;
  authenticationType: 'oauth2' | 'apiKey' | 'basic';
  authentication: { type: string; configKey?: string; scopes?: string[] };
  /** Open Connectors configuration entries; `hidden` ones are the platform's to fill. */
  configuration: { key: string; name: string; type?: string; required: boolean; hidden?: boolean; defaultValue?: string }[];
}

export interface Instance {
  id: number;
  name: string;
  token?: string;
  tags: string[];
  element: { id: number; key: string; name?: string };
  valid: boolean;
  configuration: Record<string, string>;
}

const RETURN_PATH = `${BASE}/oauth/return`;
const CHANNEL = 'tollgate-oauth';

/** The page the hosted callback sends the popup back to: it tells the console and closes. */
export function OAuthReturn() {
  const params = new URLSearchParams(location.search);
  useEffect(() => {
    const channel = new BroadcastChannel(CHANNEL);
    channel.postMessage({ state: params.get('state'), instanceId: params.get('instanceId'), error: params.get('error'), description: params.get('error_description') });
    channel.close();
    setTimeout(() => window.close(), 300);
  }, []);
  return (
    <main id="main" class="sign-in">
      <h1>{params.get('error') ? 'Authorization failed' : 'Connected'}</h1>
      <p>{params.get('error_description') ?? params.get('error') ?? 'You can close this window.'}</p>
    </main>
  );
}

/** Runs the hosted OAuth flow in a popup; resolves with the new (or re-authenticated) instance id. */
function authorizeInPopup(url: (state: string) => Promise<string>): Promise<number> {
  const state = crypto.randomUUID();
  // Opened at once (inside the click), pointed at the vendor when the URL is known.
  const popup = window.open('about:blank', 'tollgate-oauth', 'popup,width=600,height=720');
  return new Promise<number>((resolve, reject) => {
    const channel = new BroadcastChannel(CHANNEL);
    channel.onmessage = (event: MessageEvent<{ state: string; instanceId?: string; error?: string; description?: string }>) => {
      if (event.data.state !== state) return;
      channel.close();
      if (event.data.error) reject(new ApiError(400, event.data.error, event.data.description ?? `The vendor answered ${event.data.error}`));
      else resolve(Number(event.data.instanceId));
    };
    (async () => {
      try {
        const target = new URL(await url(state));
        if (!popup) throw new ApiError(0, 'popup_blocked', 'The browser blocked the authorization window; allow popups for this site');
        popup.location.href = target.href;
      } catch (error) {
        channel.close();
        popup?.close();
        reject(error);
      }
    })();
  });
}

function oauthUrl(element: ElementSummary, values: Record<string, string>, extra: Record<string, string>): (state: string) => Promise<string> {
  return async (state) => {
    const query = new URLSearchParams({
      apiKey: values['oauth.api.key'] ?? '',
      apiSecret: values['oauth.api.secret'] ?? '',
      returnUrl: location.origin + RETURN_PATH,
      state,
      ...extra,
    });
    for (const field of element.configuration) if (values[field.key]) query.set(field.key, values[field.key]!);
    const { oauthUrl } = await api<{ oauthUrl: string }>('GET', `/elements/api-v2/elements/${enc(element.key)}/oauth/url?${query}`);
    return oauthUrl;
  };
}

/** Fields asked for when connecting: credentials by authentication type, then the element's own. */
function credentialFields(element: ElementSummary): { key: string; label: string; secret: boolean; required: boolean }[] {
  const auth =
    element.authenticationType === 'oauth2'
      ? [
          { key: 'oauth.api.key', label: 'OAuth API Key (client id)', secret: false, required: true },
          { key: 'oauth.api.secret', label: 'OAuth API Secret', secret: true, required: true },
        ]
      : element.authenticationType === 'basic'
        ? [
            { key: 'username', label: 'Username', secret: false, required: true },
            { key: 'password', label: 'Password', secret: true, required: true },
          ]
        : [{ key: element.authentication.configKey ?? 'api.key', label: 'API Key', secret: true, required: true }];
  const taken = new Set(auth.map((field) => field.key));
  const own = element.configuration
    .filter((entry) => !entry.hidden && !taken.has(entry.key) && entry.key !== 'base.url')
    .map((entry) => ({ key: entry.key, label: entry.name, secret: entry.type === 'PASSWORD', required: entry.required && !entry.defaultValue }));
  return [...auth, ...own];
}

function ConnectDialog({ element, instance, onDone, onClose }: { element: ElementSummary; instance?: Instance; onDone: (id: number) => void; onClose: () => void }) {
  const fields = credentialFields(element);
  const form = useForm<Record<string, string>>({
    name: instance?.name ?? '',
    tags: (instance?.tags ?? []).join(', '),
    ...Object.fromEntries(fields.map((f) => [f.key, instance?.configuration[f.key] ?? element.configuration.find((c) => c.key === f.key)?.defaultValue ?? ''])),
  });
  const tags = (text: string) => text.split(',').map((t) => t.trim()).filter(Boolean);
  const save = form.submit(async (values) => {
    const configuration = Object.fromEntries(fields.filter((f) => values[f.key]?.trim()).map((f) => [f.key, values[f.key]!]));
    if (element.authenticationType === 'oauth2') {
      const id = await authorizeInPopup(oauthUrl(element, values, { name: values.name!.trim() || `${element.name} instance`, ...(instance ? { instanceId: String(instance.id) } : {}), ...(tags(values.tags!).length ? { tags: tags(values.tags!).join(',') } : {}) }));
      onDone(id);
      return;
    }
    const payload = { element: { key: element.key }, name: values.name!.trim(), tags: tags(values.tags!), configuration };
    const saved = instance
      ? await api<Instance>('PUT', `/elements/api-v2/instances/${instance.id}`, { json: payload })
      : await api<Instance>('POST', '/elements/api-v2/instances', { json: payload });
    onDone(saved.id);
  });
  return (
    <Dialog title={`${instance ? 'Re-authenticate' : 'Authenticate'} ${element.name}`} onClose={onClose}>
      <form onSubmit={save} noValidate>
        <Field label="Instance name" path="name" error={form.error} required={element.authenticationType !== 'oauth2'} {...form.bind('name')} />
        <Field label="Tags" path="tags" error={form.error} hint="Separated by commas." {...form.bind('tags')} />
        {fields.map((f) => (
          <Field key={f.key} label={f.label} path={`configuration.${f.key}`} name={f.key} error={form.error} required={f.required} type={f.secret ? 'password' : 'text'} autocomplete="off" {...form.bind(f.key)} />
        ))}
        {element.authenticationType === 'oauth2' ? <p class="hint">A window opens at the vendor to grant access; Tollgate receives the code at its hosted callback.</p> : null}
        <ErrorAlert error={form.error} claimed={['name', 'tags', 'configuration', ...fields.map((f) => f.key)]} />
        <div class="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={form.busy}>
            {instance ? 'Re-Authenticate' : 'Create Instance'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function EditDialog({ element, instance, onDone, onClose }: { element: ElementSummary; instance: Instance; onDone: (message: string) => void; onClose: () => void }) {
  const form = useForm({ name: instance.name, tags: instance.tags.join(', ') });
  const [reauth, setReauth] = useState(false);
  const save = form.submit(async (values) => {
    await api('PATCH', `/elements/api-v2/instances/${instance.id}`, { json: { name: values.name.trim(), tags: values.tags.split(',').map((t) => t.trim()).filter(Boolean) } });
    onDone('Updated.');
  });
  if (reauth) return <ConnectDialog element={element} instance={{ ...instance, name: form.values.name, tags: form.values.tags.split(',').map((t) => t.trim()).filter(Boolean) }} onDone={() => onDone('Re-authenticated.')} onClose={onClose} />;
  return (
    <Dialog title={`Edit ${instance.name}`} onClose={onClose}>
      <form onSubmit={save} noValidate>
        <Field label="Instance name" path="name" error={form.error} required {...form.bind('name')} />
        <Field label="Tags" path="tags" error={form.error} hint="Separated by commas." {...form.bind('tags')} />
        <ErrorAlert error={form.error} claimed={['name', 'tags']} />
        <div class="actions">
          <button type="button" onClick={() => setReauth(true)}>
            Re-Authenticate
          </button>
          <button type="submit" class="primary" disabled={form.busy}>
            Update
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function InstanceCard({ instance, element, onChange }: { instance: Instance; element: ElementSummary; onChange: () => void }) {
  const [token, setToken] = useState<string>();
  const [editing, setEditing] = useState(false);
  const [showEvents, setShowEvents] = useState(false);
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<ApiError>();
  const withEvents = eventsEnabled(instance.configuration);
  const writable = canWrite();
  return (
    <article class="instance-card" aria-label={`Instance ${instance.name}`}>
      <p class="instance-id">
        ID <strong data-testid="instance-id">{instance.id}</strong>
      </p>
      <h4>{instance.name}</h4>
      {instance.tags.length ? <p class="tags">{instance.tags.map((t) => <span class="badge" key={t}>{t}</span>)}</p> : null}
      {!instance.valid ? <p class="badge warn">needs re-authentication</p> : null}
      {withEvents ? <EventSettings configuration={instance.configuration} /> : null}
      <div class="card-actions">
        <button
          type="button"
          onClick={async () => {
            try {
              setToken((await api<Instance>('GET', `/elements/api-v2/instances/${instance.id}`)).token);
            } catch (caught) {
              setError(asApiError(caught));
            }
          }}
        >
          View Token
        </button>
        {writable ? (
          <button type="button" onClick={() => setEditing(true)}>
            Edit
          </button>
        ) : null}
        {withEvents ? (
          <button type="button" onClick={() => setShowEvents(true)}>
            Events
          </button>
        ) : null}
        <a class="button" href={`${BASE}/connectors/instances/${instance.id}/docs`}>
          API Docs
        </a>
        {writable ? (
          <ConfirmButton
            label="Delete"
            ariaLabel={`Delete instance ${instance.name}`}
            title={`Delete instance ${instance.name}?`}
            message="The instance and its token are deleted permanently; calls with the token stop working."
            onConfirm={async () => {
              await api('DELETE', `/elements/api-v2/instances/${instance.id}`);
              onChange();
            }}
          />
        ) : null}
      </div>
      <ErrorAlert error={error} />
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      {token ? (
        <Dialog title={`Token of ${instance.name}`} onClose={() => setToken(undefined)}>
          <p>Send it as <code>Authorization: User …, Organization …, Element &lt;token&gt;</code>.</p>
          <code class="token" data-testid="instance-token">
            {token}
          </code>
          <div class="actions">
            <button type="button" onClick={() => navigator.clipboard?.writeText(token).catch(() => undefined)}>
              Copy
            </button>
            <button type="button" class="primary" onClick={() => setToken(undefined)}>
              Close
            </button>
          </div>
        </Dialog>
      ) : null}
      {showEvents ? <EventsDialog instance={instance} onClose={() => setShowEvents(false)} /> : null}
      {editing ? <EditDialog element={element} instance={instance} onClose={() => setEditing(false)} onDone={(message) => { setEditing(false); setNotice(message); onChange(); }} /> : null}
    </article>
  );
}

function ConnectorsCatalog() {
  const elements = useLoad(() => api<ElementSummary[]>('GET', '/elements/api-v2/elements'));
  const writable = canWrite();
  const instances = useLoad(async () => (writable ? api<Instance[]>('GET', '/elements/api-v2/instances') : []));
  const [search, setSearch] = useState('');
  const [open, setOpen] = useState<string | null>(new URLSearchParams(location.search).get('element'));
  const [connecting, setConnecting] = useState<ElementSummary>();
  const [created, setCreated] = useState<number>();
  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return (elements.data ?? []).filter((e) => !needle || `${e.name} ${e.key} ${e.description ?? ''}`.toLowerCase().includes(needle));
  }, [elements.data, search]);
  const byElement = (key: string) => (instances.data ?? []).filter((i) => i.element.key === key);
  return (
    <>
      <PageHeader title="Connectors" />
      <div class="field search">
        <label for="connector-search">Search connectors</label>
        <input id="connector-search" type="search" value={search} onInput={(event) => setSearch(event.currentTarget.value)} placeholder="Salesforce, GitHub …" />
      </div>
      {writable ? null : <ReadOnlyNote>instances and their tokens are their owners’ and an orgadmin’s to see and manage.</ReadOnlyNote>}
      {created ? <Notice kind="success">Instance {created} created.</Notice> : null}
      {elements.loading && !elements.data ? <Loading /> : <ErrorAlert error={elements.error ?? instances.error} />}
      <ul class="cards" aria-label="Connector catalog">
        {shown.map((element) => {
          const mine = byElement(element.key);
          const expanded = open === element.key;
          return (
            <li class={`connector-card${expanded ? ' expanded' : ''}`} key={element.key} aria-label={element.name}>
              <h2>{element.name}</h2>
              <p class="muted">
                {element.key} · {element.authenticationType}
                {element.private ? ' · custom' : ''}
              </p>
              {element.description ? <p>{element.description}</p> : null}
              <div class="card-actions">
                {writable ? (
                  <button type="button" class="primary" onClick={() => setConnecting(element)}>
                    Authenticate
                  </button>
                ) : null}
                {mine.length ? (
                  <button type="button" class="banner" aria-expanded={expanded} onClick={() => setOpen(expanded ? null : element.key)}>
                    {mine.length} {mine.length === 1 ? 'instance' : 'instances'}
                  </button>
                ) : null}
              </div>
              {expanded ? (
                <div class="instances">
                  {mine.map((instance) => (
                    <InstanceCard key={instance.id} instance={instance} element={element} onChange={instances.reload} />
                  ))}
                </div>
              ) : null}
            </li>
          );
        })}
      </ul>
      {shown.length === 0 && elements.data ? <p>No connector matches “{search}”.</p> : null}
      {connecting ? (
        <ConnectDialog
          element={connecting}
          onClose={() => setConnecting(undefined)}
          onDone={(id) => {
            setConnecting(undefined);
            setCreated(id);
            setOpen(connecting.key);
            instances.reload();
          }}
        />
      ) : null}
    </>
  );
}

/** The connectors API takes the platform credentials only (Open Connectors' header), not a management user's token. */
export function withPlatformCredentials<P extends object>(Page: (props: P) => ReturnType<typeof ConnectorsCatalog>) {
  return (props: P) =>
    currentSession()?.secrets ? (
      <Page {...props} />
    ) : (
      <>
        <PageHeader title="Connectors" />
        <Notice>The connectors API (Open Connectors) takes the platform credentials: sign out and sign in with the user and organization secret to manage connectors.</Notice>
      </>
    );
}

export const ConnectorsPage = withPlatformCredentials(ConnectorsCatalog);
