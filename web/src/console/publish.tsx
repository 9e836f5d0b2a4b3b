// Publish: API products (proxies, scopes, quota, access), developers and their
// applications (credentials: key shown, secret shown once when issued; add a
// key, revoke or delete one). Destructive actions ask first. Read-only
// callers see the lists and details, and no write controls.
import { useState } from 'preact/hooks';
import { api, type ApiError, enc, orgPath } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { canWrite } from '../lib/session.js';
import { asApiError, ConfirmButton, ErrorAlert, Field, FormActions, Loading, LoadState, Notice, PageHeader, Secret, Table, useForm, useLoad } from '../lib/ui.js';
import { BASE } from './base.js';

export interface Product {
  name: string;
  displayName?: string;
  description?: string;
  proxies: string[];
  scopes: string[];
  quota?: string;
  quotaInterval?: string;
  quotaTimeUnit?: string;
  attributes?: { name: string; value: string }[];
}

export interface Credential {
  consumerKey: string;
  consumerSecret: string;
  status: string;
  apiProducts: { apiproduct: string; status: string }[];
}

interface App {
  appId: string;
  name: string;
  status: string;
  apiProducts?: string[];
  credentials: Credential[];
  developerId?: string;
}

const list = (text: string) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
const accessOf = (p: Product) => p.attributes?.find((a) => a.name === 'access')?.value ?? 'public';

function productPayload(v: { name: string; displayName: string; description: string; proxies: string[]; scopes: string; quota: string; quotaInterval: string; quotaTimeUnit: string; access: string }, previous?: Product) {
  const attributes = (previous?.attributes ?? []).filter((a) => a.name !== 'access');
  return {
    name: v.name.trim(),
    ...(v.displayName.trim() ? { displayName: v.displayName.trim() } : {}),
    ...(v.description.trim() ? { description: v.description.trim() } : {}),
    proxies: v.proxies,
    scopes: list(v.scopes),
    quota: v.quota.trim(),
    quotaInterval: v.quotaInterval.trim(),
    quotaTimeUnit: v.quotaTimeUnit.trim(),
    attributes: [...attributes, { name: 'access', value: v.access }],
  };
}

function ProductForm({ product, onSaved }: { product?: Product; onSaved: (name: string) => void }) {
  const proxies = useLoad(() => api<string[]>('GET', orgPath('/apis')));
  const form = useForm({
    name: product?.name ?? '',
    displayName: product?.displayName ?? '',
    description: product?.description ?? '',
    proxies: product?.proxies ?? ([] as string[]),
    scopes: (product?.scopes ?? []).join(' '),
    quota: product?.quota ?? '',
    quotaInterval: product?.quotaInterval ?? '',
    quotaTimeUnit: product?.quotaTimeUnit ?? '',
    access: product ? accessOf(product) : 'public',
  });
  const save = form.submit(async (values) => {
    const payload = productPayload(values, product);
    if (product) await api('PUT', orgPath(`/apiproducts/${enc(product.name)}`), { json: payload });
    else await api('POST', orgPath('/apiproducts'), { json: payload });
    onSaved(payload.name);
  });
  const { values } = form;
  return (
    <form class="card" onSubmit={save} noValidate aria-label={product ? 'Edit product' : 'New product'}>
      <h2>{product ? 'Edit product' : 'New product'}</h2>
      {product ? null : <Field label="Name" path="name" error={form.error} required {...form.bind('name')} />}
      <Field label="Title" path="displayName" error={form.error} {...form.bind('displayName')} />
      <Field label="Description" path="description" error={form.error} multiline {...form.bind('description')} />
      <fieldset class={form.error?.fields.some((f) => f.path.startsWith('proxies')) ? 'invalid' : ''}>
        <legend>APIs</legend>
        {(proxies.data ?? []).map((name) => (
          <label class="choice" key={name}>
            <input type="checkbox" checked={values.proxies.includes(name)} onChange={(event) => form.set('proxies', event.currentTarget.checked ? [...values.proxies, name] : values.proxies.filter((p) => p !== name))} /> {name}
          </label>
        ))}
        {proxies.data?.length === 0 ? <p>No API proxies yet.</p> : null}
      </fieldset>
      <Field label="Scopes" path="scopes" error={form.error} hint="Separated by spaces or commas." {...form.bind('scopes')} />
      <div class="row">
        <Field label="Quota (requests)" path="quota" error={form.error} type="number" {...form.bind('quota')} />
        <Field label="per interval" path="quotaInterval" error={form.error} type="number" {...form.bind('quotaInterval')} />
        <Field label="Time unit" path="quotaTimeUnit" error={form.error} options={[['', '—'], 'minute', 'hour', 'day', 'month']} {...form.bind('quotaTimeUnit')} />
      </div>
      <Field label="Access" path="attributes" error={form.error} options={[['public', 'Public: listed in the developer portal'], ['private', 'Private: signed-in developers only'], ['internal', 'Internal: not in the portal']]} {...form.bind('access')} />
      <ErrorAlert error={form.error} claimed={['name', 'displayName', 'description', 'proxies', 'scopes', 'quota', 'quotaInterval', 'quotaTimeUnit', 'attributes']} />
      <div class="actions">
        <button type="submit" class="primary" disabled={form.busy}>
          {product ? 'Save' : 'Publish'}
        </button>
      </div>
    </form>
  );
}

export function ProductsPage() {
  const products = useLoad(() => api<{ apiProduct: Product[] }>('GET', orgPath('/apiproducts?expand=true')));
  const [creating, setCreating] = useState(false);
  return (
    <>
      <PageHeader title="Products">
        {canWrite() ? (
          <button type="button" class="primary" onClick={() => setCreating(!creating)} aria-expanded={creating}>
            Create
          </button>
        ) : null}
      </PageHeader>
      {creating ? <ProductForm onSaved={(name) => navigate(`${BASE}/products/${enc(name)}`)} /> : null}
      <LoadState load={products} />
      {products.data ? (
        <Table caption="Products" columns={['Name', 'APIs', 'Access']}>
          {products.data.apiProduct.map((p) => (
            <tr key={p.name}>
              <td>
                <a href={`${BASE}/products/${enc(p.name)}`}>{p.displayName ?? p.name}</a>
              </td>
              <td>{p.proxies.join(', ') || '—'}</td>
              <td>{accessOf(p)}</td>
            </tr>
          ))}
        </Table>
      ) : null}
    </>
  );
}

export function ProductPage({ params }: { params: Record<string, string> }) {
  const product = useLoad(() => api<Product>('GET', orgPath(`/apiproducts/${enc(params.name!)}`)), [params.name]);
  const [saved, setSaved] = useState(false);
  const writable = canWrite();
  if (!product.data) return product.error ? <ErrorAlert error={product.error} /> : <Loading />;
  return (
    <>
      <PageHeader title={`Product ${product.data.displayName ?? product.data.name}`}>
        {writable ? (
          <ConfirmButton
            label="Delete"
            title={`Delete product ${product.data.name}?`}
            message="Apps subscribed to it lose access to its APIs."
            onConfirm={async () => {
              await api('DELETE', orgPath(`/apiproducts/${enc(params.name!)}`));
              navigate(`${BASE}/products`);
            }}
          />
        ) : null}
      </PageHeader>
      {saved ? <Notice kind="success">Saved.</Notice> : null}
      {writable ? <ProductForm product={product.data} onSaved={() => { setSaved(true); product.reload(); }} /> : <ProductDetails product={product.data} />}
    </>
  );
}

/** A product as a read-only caller sees it: what the edit form would show. */
function ProductDetails({ product }: { product: Product }) {
  return (
    <dl class="details" aria-label={`Product ${product.name}`}>
      <dt>Name</dt>
      <dd>{product.name}</dd>
      {product.description ? (
        <>
          <dt>Description</dt>
          <dd>{product.description}</dd>
        </>
      ) : null}
      <dt>APIs</dt>
      <dd>{product.proxies.join(', ') || '—'}</dd>
      <dt>Scopes</dt>
      <dd>{product.scopes.join(' ') || '—'}</dd>
      <dt>Quota</dt>
      <dd>{product.quota ? `${product.quota} requests per ${product.quotaInterval ?? '1'} ${product.quotaTimeUnit ?? ''}`.trim() : 'none'}</dd>
      <dt>Access</dt>
      <dd>{accessOf(product)}</dd>
    </dl>
  );
}

export function DevelopersPage() {
  const developers = useLoad(() => api<{ developer: { email: string; firstName: string; lastName: string; status: string; apps?: string[] }[] }>('GET', orgPath('/developers?expand=true')));
  const form = useForm({ email: '', firstName: '', lastName: '' });
  const [creating, setCreating] = useState(false);
  const [invitation, setInvitation] = useState<{ email: string; url: string }>();
  const [inviteError, setInviteError] = useState<ApiError>();
  const invite = async (email: string) => {
    setInviteError(undefined);
    try {
      setInvitation(await api<{ email: string; url: string }>('POST', orgPath(`/developers/${enc(email)}/invitations`)));
    } catch (caught) {
      setInviteError(asApiError(caught));
    }
  };
  const save = form.submit(async (v) => {
    await api('POST', orgPath('/developers'), { json: { email: v.email.trim(), firstName: v.firstName.trim(), lastName: v.lastName.trim(), userName: v.email.trim() } });
    setCreating(false);
    developers.reload();
  });
  const writable = canWrite();
  return (
    <>
      <PageHeader title="Developers">
        {writable ? (
          <button type="button" class="primary" onClick={() => setCreating(!creating)} aria-expanded={creating}>
            Create
          </button>
        ) : null}
      </PageHeader>
      {creating ? (
        <form class="card" onSubmit={save} noValidate aria-label="New developer">
          <Field label="Email" path="email" type="email" error={form.error} required {...form.bind('email')} />
          <Field label="First name" path="firstName" error={form.error} required {...form.bind('firstName')} />
          <Field label="Last name" path="lastName" error={form.error} required {...form.bind('lastName')} />
          <ErrorAlert error={form.error} claimed={['email', 'firstName', 'lastName']} />
          <FormActions submit="Save" busy={form.busy} />
        </form>
      ) : null}
      {invitation ? (
        <Notice kind="success">
          Send {invitation.email} this link to choose a password (valid 7 days, once): <code data-testid="invitation-url">{invitation.url}</code>
        </Notice>
      ) : null}
      <ErrorAlert error={inviteError} />
      <LoadState load={developers} />
      {developers.data ? (
        <Table caption="Developers" columns={['Email', 'Name', 'Status', 'Apps', ...(writable ? ['Actions'] : [])]}>
          {developers.data.developer.map((d) => (
            <tr key={d.email}>
              <td>{d.email}</td>
              <td>
                {d.firstName} {d.lastName}
              </td>
              <td>{d.status}</td>
              <td>
                {(d.apps ?? []).map((app) => (
                  <a key={app} href={`${BASE}/apps/${enc(d.email)}/${enc(app)}`}>
                    {app}{' '}
                  </a>
                ))}
              </td>
              {writable ? (
                <td>
                  <button type="button" aria-label={`Invite ${d.email} to the developer portal`} onClick={() => void invite(d.email)}>
                    Invite
                  </button>{' '}
                  <ConfirmButton label="Delete" ariaLabel={`Delete developer ${d.email}`} title={`Delete developer ${d.email}?`} message="Their apps and credentials are deleted too." onConfirm={async () => { await api('DELETE', orgPath(`/developers/${enc(d.email)}`)); developers.reload(); }} />
                </td>
              ) : null}
            </tr>
          ))}
        </Table>
      ) : null}
    </>
  );
}

export function AppsPage() {
  const developers = useLoad(() => api<{ developer: { email: string; apps?: string[] }[] }>('GET', orgPath('/developers?expand=true')));
  const products = useLoad(() => api<string[]>('GET', orgPath('/apiproducts')));
  const form = useForm({ developer: '', name: '', products: [] as string[] });
  const [creating, setCreating] = useState(false);
  const [issued, setIssued] = useState<{ email: string; app: string; credential: Credential }>();
  const save = form.submit(async (v) => {
    const email = v.developer || developers.data?.developer[0]?.email || '';
    const app = await api<App>('POST', orgPath(`/developers/${enc(email)}/apps`), { json: { name: v.name.trim(), apiProducts: v.products } });
    setIssued({ email, app: app.name, credential: app.credentials[0]! });
    setCreating(false);
    developers.reload();
  });
  return (
    <>
      <PageHeader title="Applications">
        {canWrite() ? (
          <button type="button" class="primary" onClick={() => setCreating(!creating)} aria-expanded={creating}>
            Create
          </button>
        ) : null}
      </PageHeader>
      {issued ? <IssuedCredential credential={issued.credential} title={`Application ${issued.app} created`} /> : null}
      {creating ? (
        <form class="card" onSubmit={save} noValidate aria-label="New application">
          <Field label="Developer" path="developer" error={form.error} options={(developers.data?.developer ?? []).map((d) => d.email)} {...form.bind('developer')} />
          <Field label="Name" path="name" error={form.error} required {...form.bind('name')} />
          <fieldset>
            <legend>Products</legend>
            {(products.data ?? []).map((name) => (
              <label class="choice" key={name}>
                <input type="checkbox" checked={form.values.products.includes(name)} onChange={(event) => form.set('products', event.currentTarget.checked ? [...form.values.products, name] : form.values.products.filter((p) => p !== name))} /> {name}
              </label>
            ))}
          </fieldset>
          <ErrorAlert error={form.error} claimed={['name', 'developer']} />
          <FormActions submit="Save" busy={form.busy} />
        </form>
      ) : null}
      <LoadState load={developers} />
      <Table caption="Applications" columns={['Application', 'Developer']}>
        {(developers.data?.developer ?? []).flatMap((d) =>
          (d.apps ?? []).map((app) => (
            <tr key={`${d.email}/${app}`}>
              <td>
                <a href={`${BASE}/apps/${enc(d.email)}/${enc(app)}`}>{app}</a>
              </td>
              <td>{d.email}</td>
            </tr>
          )),
        )}
      </Table>
    </>
  );
}

export function IssuedCredential({ credential, title }: { credential: Credential; title: string }) {
  return (
    <div class="alert success" role="status">
      <p>
        <strong>{title}.</strong> Copy the secret now: it is stored hashed and never shown again.
      </p>
      <Secret label="Application Key" value={credential.consumerKey} testId="consumer-key" masked={false} />
      <Secret label="Application Secret" value={credential.consumerSecret} testId="consumer-secret" />
    </div>
  );
}

export function AppPage({ params }: { params: Record<string, string> }) {
  const path = orgPath(`/developers/${enc(params.email!)}/apps/${enc(params.app!)}`);
  const app = useLoad(() => api<App>('GET', path), [path]);
  const [issued, setIssued] = useState<Credential>();
  const [error, setError] = useState<Error>();
  const writable = canWrite();
  if (!app.data) return app.error ? <ErrorAlert error={app.error} /> : <Loading />;
  const products = [...new Set(app.data.credentials.flatMap((c) => c.apiProducts.map((p) => p.apiproduct)))];
  return (
    <>
      <PageHeader title={`Application ${app.data.name}`}>
        {writable ? (
          <>
            <button
              type="button"
              onClick={async () => {
                try {
                  setIssued(await api<Credential>('POST', `${path}/keys/create`, { json: { apiProducts: products } }));
                  app.reload();
                } catch (caught) {
                  setError(caught as Error);
                }
              }}
            >
              Add key
            </button>
            <ConfirmButton label="Delete" title={`Delete application ${app.data.name}?`} message="Its credentials stop working at once." onConfirm={async () => { await api('DELETE', path); navigate(`${BASE}/apps`); }} />
          </>
        ) : null}
      </PageHeader>
      {issued ? <IssuedCredential credential={issued} title="Key added" /> : null}
      {error ? <Notice kind="error">{error.message}</Notice> : null}
      <p>
        Developer {params.email} · status {app.data.status}
      </p>
      <h2>Credentials</h2>
      <Table columns={['Application Key', 'Application Secret', 'Products', 'Status', ...(writable ? ['Actions'] : [])]}>
        {app.data.credentials.map((c) => (
          <tr key={c.consumerKey}>
            <td>
              <code data-testid="app-key">{c.consumerKey}</code>
            </td>
            <td>{c.consumerSecret === '*****' ? 'shown once, when issued' : c.consumerSecret}</td>
            <td>{c.apiProducts.map((p) => `${p.apiproduct} (${p.status})`).join(', ')}</td>
            <td>{c.status}</td>
            {writable ? (
              <td>
                {c.status !== 'revoked' ? (
                  <ConfirmButton
                  label="Revoke"
                  ariaLabel={`Revoke key ${c.consumerKey.slice(0, 8)}`}
                  title="Revoke this key?"
                  message="Calls and token requests with it are refused from now on."
                  confirm="Revoke"
                    onConfirm={async () => {
                      await api('POST', `${path}/keys/${enc(c.consumerKey)}?action=revoke`);
                      app.reload();
                    }}
                  />
                ) : null}
              </td>
            ) : null}
          </tr>
        ))}
      </Table>
    </>
  );
}
