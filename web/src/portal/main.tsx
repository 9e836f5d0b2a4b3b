// The developer portal (API Business Hub Enterprise): the product catalog
// for everyone, sign-up / sign-in / invitations for developers, their apps
// with key and secret, and a console to get a token and call an API.
import '../styles.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, enc } from '../lib/api.js';
import { interceptLinks, match, navigate, usePath } from '../lib/router.js';
import { runtimeUrl } from '../lib/runtime.js';
import { ErrorAlert, Field, FormActions, Loading, LoadState, PageHeader, Secret, Table, useForm, useLoad } from '../lib/ui.js';

const BASE = '/portal';
const ORG = document.documentElement.dataset.organization ?? 'default';
const API = `/v1/organizations/${enc(ORG)}/portal`;
const KEY = 'tollgate.portal.session';

interface PortalSession {
  token: string;
  email: string;
  expiresAt: number;
}

interface CatalogProduct {
  name: string;
  displayName: string;
  description?: string;
  access: string;
  scopes: string[];
  apis: string[] | CatalogApi[];
}

interface CatalogApi {
  name: string;
  deployments: { environment: string; basePaths: string[] }[];
  resources: { name: string; description?: string; path?: string; method?: string }[];
}

interface PortalApp {
  name: string;
  status: string;
  credentials: { consumerKey: string; consumerSecret: string; status: string; apiProducts: { apiproduct: string; status: string }[] }[];
}

function readSession(): PortalSession | undefined {
  try {
    const session = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as PortalSession | null;
    return session && session.expiresAt > Date.now() ? session : undefined;
  } catch {
    return undefined;
  }
}

let session = readSession();
const listeners = new Set<() => void>();
function setSession(next: PortalSession | undefined) {
  session = next;
  if (next) sessionStorage.setItem(KEY, JSON.stringify(next));
  else sessionStorage.removeItem(KEY);
  listeners.forEach((listener) => listener());
}
function useSession() {
  const [, setTick] = useState(0);
  useEffect(() => {
    const update = () => setTick((n) => n + 1);
    listeners.add(update);
    return () => listeners.delete(update);
  }, []);
  return session;
}

/** Portal calls: the developer's session when signed in; a 401 signs them out. */
async function portal<T>(method: string, path: string, json?: unknown): Promise<T> {
  try {
    return await api<T>(method, API + path, { auth: session ? { authorization: `Bearer ${session.token}` } : 'none', ...(json === undefined ? {} : { json }) });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401 && session) setSession(undefined);
    throw error;
  }
}

/** Secrets are shown once; the portal keeps them for this tab so "Try it" can use them. */
const revealed = new Map<string, string>(Object.entries(JSON.parse(sessionStorage.getItem('tollgate.portal.secrets') ?? '{}') as Record<string, string>));
function remember(key: string, secret: string) {
  revealed.set(key, secret);
  sessionStorage.setItem('tollgate.portal.secrets', JSON.stringify(Object.fromEntries(revealed)));
}

function signedIn(result: { access_token: string; expires_in: number; developer: { email: string } }) {
  setSession({ token: result.access_token, email: result.developer.email, expiresAt: Date.now() + result.expires_in * 1000 });
}

function Catalog() {
  const products = useLoad(() => portal<CatalogProduct[]>('GET', '/products'), [session?.token]);
  return (
    <>
      <PageHeader title="API products" />
      <LoadState load={products} />
      {products.data?.length === 0 ? <p>No products are published yet.</p> : null}
      <ul class="product-grid" aria-label="Products">
        {(products.data ?? []).map((p) => (
          <li key={p.name}>
            <h2>
              <a href={`${BASE}/products/${enc(p.name)}`}>{p.displayName}</a>
            </h2>
            {p.description ? <p>{p.description}</p> : null}
            <p class="muted">
              {(p.apis as string[]).length} API{(p.apis as string[]).length === 1 ? '' : 's'}
              {p.access === 'private' ? ' · for signed-in developers' : ''}
            </p>
          </li>
        ))}
      </ul>
    </>
  );
}

function ProductPage({ name }: { name: string }) {
  const product = useLoad(() => portal<CatalogProduct>('GET', `/products/${enc(name)}`), [name, session?.token]);
  const [subscribing, setSubscribing] = useState(false);
  const form = useForm({ title: '' });
  const [created, setCreated] = useState<PortalApp>();
  const save = form.submit(async (values) => {
    const app = await portal<PortalApp>('POST', '/apps', { name: values.title.trim(), apiProducts: [name] });
    remember(app.credentials[0]!.consumerKey, app.credentials[0]!.consumerSecret);
    setCreated(app);
    setSubscribing(false);
  });
  if (!product.data) return product.error ? <ErrorAlert error={product.error} /> : <Loading />;
  const p = product.data;
  return (
    <>
      <PageHeader title={p.displayName}>
        <button type="button" class="primary" onClick={() => (session ? setSubscribing(true) : navigate(`${BASE}/sign-in?next=${enc(location.pathname)}`))}>
          Subscribe
        </button>
      </PageHeader>
      {p.description ? <p>{p.description}</p> : null}
      {created ? (
        <div class="alert success" role="status">
          <p>
            <strong>Application {created.name} created</strong>, subscribed to {p.displayName}. Copy the secret now: it is not shown again.
          </p>
          <Secret label="Application Key" value={created.credentials[0]!.consumerKey} testId="consumer-key" masked={false} />
          <Secret label="Application Secret" value={created.credentials[0]!.consumerSecret} testId="consumer-secret" />
          <p>
            <a href={`${BASE}/apps/${enc(created.name)}`}>Try it with this application</a>
          </p>
        </div>
      ) : null}
      {subscribing ? (
        <form class="card" onSubmit={save} noValidate aria-label="Create New Application">
          <h2>Create New Application</h2>
          <Field label="Application Title" path="name" error={form.error} required {...form.bind('title')} />
          <ErrorAlert error={form.error} claimed={['name']} />
          <FormActions submit="Save" busy={form.busy} onCancel={() => setSubscribing(false)} />
        </form>
      ) : null}
      <h2>APIs</h2>
      <Table caption="APIs of this product" columns={['API', 'URL', 'Resources']}>
        {(p.apis as CatalogApi[]).map((a) => (
          <tr key={a.name}>
            <td>{a.name}</td>
            <td>
              {a.deployments.length
                ? a.deployments.flatMap((d) => d.basePaths.map((path) => <div key={d.environment + path}><code>{runtimeUrl(d.environment) + path}</code> ({d.environment})</div>))
                : 'not deployed yet'}
            </td>
            <td>
              {a.resources.length ? (
                <ul class="plain">
                  {a.resources.map((r) => (
                    <li key={r.name}>
                      {r.method || r.path ? <code>{`${r.method ?? 'ANY'} ${r.path ?? ''}`.trim()}</code> : r.name}
                      {r.description ? ` ${r.description}` : ''}
                    </li>
                  ))}
                </ul>
              ) : (
                'every path under its URL'
              )}
            </td>
          </tr>
        ))}
      </Table>
      {p.scopes.length ? <p>Scopes: {p.scopes.join(', ')}</p> : null}
      <p>
        Tokens: <code>POST {location.origin}/oauth/token</code> with <code>grant_type=client_credentials</code> and the application key and secret (HTTP Basic).
      </p>
    </>
  );
}

function SignInPage({ mode }: { mode: 'sign-in' | 'sign-up' | 'accept' }) {
  const params = new URLSearchParams(location.search);
  const form = useForm({ email: '', firstName: '', lastName: '', password: '' });
  const save = form.submit(async (v) => {
    const result =
      mode === 'sign-up'
        ? await portal<{ access_token: string; expires_in: number; developer: { email: string } }>('POST', '/signup', { email: v.email.trim(), firstName: v.firstName.trim(), lastName: v.lastName.trim(), password: v.password })
        : mode === 'accept'
          ? await portal<{ access_token: string; expires_in: number; developer: { email: string } }>('POST', '/invitations/accept', { token: params.get('token') ?? '', password: v.password })
          : await portal<{ access_token: string; expires_in: number; developer: { email: string } }>('POST', '/sessions', { email: v.email.trim(), password: v.password });
    signedIn(result);
    navigate(params.get('next')?.startsWith(`${BASE}/`) ? params.get('next')! : `${BASE}/apps`);
  });
  const title = mode === 'sign-up' ? 'Sign up' : mode === 'accept' ? 'Accept your invitation' : 'Sign in';
  return (
    <section class="sign-in">
      <PageHeader title={title} />
      <form onSubmit={save} noValidate>
        {mode !== 'accept' ? <Field label="Email" path="email" type="email" autocomplete="email" error={form.error} required {...form.bind('email')} /> : null}
        {mode === 'sign-up' ? (
          <>
            <Field label="First name" path="firstName" autocomplete="given-name" error={form.error} required {...form.bind('firstName')} />
            <Field label="Last name" path="lastName" autocomplete="family-name" error={form.error} required {...form.bind('lastName')} />
          </>
        ) : null}
        <Field label="Password" path="password" type="password" autocomplete={mode === 'sign-in' ? 'current-password' : 'new-password'} hint={mode === 'sign-in' ? undefined : 'At least 10 characters.'} error={form.error} required {...form.bind('password')} />
        <ErrorAlert error={form.error} claimed={['email', 'firstName', 'lastName', 'password']} />
        <div class="actions">
          <button type="submit" class="primary" disabled={form.busy}>
            {title}
          </button>
        </div>
      </form>
      {mode === 'sign-in' ? (
        <p>
          New here? <a href={`${BASE}/sign-up${location.search}`}>Sign up</a>
        </p>
      ) : mode === 'sign-up' ? (
        <p>
          Registered already? <a href={`${BASE}/sign-in${location.search}`}>Sign in</a>
        </p>
      ) : null}
    </section>
  );
}

function AppsPage() {
  const apps = useLoad(() => portal<PortalApp[]>('GET', '/apps'), [session?.token]);
  if (!session) return <SignInPage mode="sign-in" />;
  return (
    <>
      <PageHeader title="My applications" />
      <LoadState load={apps} />
      {apps.data?.length === 0 ? (
        <p>
          No applications yet: choose a <a href={BASE}>product</a> and Subscribe.
        </p>
      ) : null}
      <ul class="product-grid">
        {(apps.data ?? []).map((app) => (
          <li key={app.name}>
            <h2>
              <a href={`${BASE}/apps/${enc(app.name)}`}>{app.name}</a>
            </h2>
            <p class="muted">{app.credentials.flatMap((c) => c.apiProducts.map((p) => p.apiproduct)).join(', ')}</p>
          </li>
        ))}
      </ul>
    </>
  );
}

function AppPage({ name }: { name: string }) {
  const app = useLoad(() => portal<PortalApp>('GET', `/apps/${enc(name)}`), [name, session?.token]);
  const credential = app.data?.credentials.find((c) => c.status === 'approved') ?? app.data?.credentials[0];
  const token = useForm({ tokenUrl: `${location.origin}/oauth/token`, clientId: '', clientSecret: '' });
  const call = useForm({ method: 'GET', url: `${runtimeUrl('prod')}/`, body: '' });
  const [accessToken, setAccessToken] = useState('');
  const [result, setResult] = useState<{ status: number; body: string }>();
  useEffect(() => {
    if (!credential) return;
    token.set('clientId', credential.consumerKey);
    token.set('clientSecret', revealed.get(credential.consumerKey) ?? '');
  }, [credential?.consumerKey]);
  if (!session) return <SignInPage mode="sign-in" />;
  const getToken = token.submit(async (v) => {
    const basic = btoa(`${encodeURIComponent(v.clientId)}:${encodeURIComponent(v.clientSecret)}`);
    const response = await fetch(v.tokenUrl, { method: 'POST', headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials', credentials: 'omit' });
    const text = await response.text();
    let parsed: { access_token?: string; error_description?: string; error?: string; fault?: { faultstring?: string } } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      // not JSON
    }
    if (!response.ok || !parsed.access_token) throw new ApiError(response.status, parsed.error ?? 'token_error', parsed.error_description ?? parsed.fault?.faultstring ?? `The token URL answered ${response.status}`);
    setAccessToken(parsed.access_token);
  });
  const send = call.submit(async (v) => {
    const response = await fetch(v.url, { method: v.method, headers: { ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}), ...(v.body ? { 'content-type': 'application/json' } : {}) }, ...(v.body && v.method !== 'GET' ? { body: v.body } : {}), credentials: 'omit' });
    setResult({ status: response.status, body: await response.text() });
  });
  if (!app.data) return app.error ? <ErrorAlert error={app.error} /> : <Loading />;
  return (
    <>
      <PageHeader title={`Application ${app.data.name}`} />
      {credential ? (
        <section aria-labelledby="creds">
          <h2 id="creds">Credentials</h2>
          <Secret label="Application Key" value={credential.consumerKey} testId="app-key" masked={false} />
          {revealed.get(credential.consumerKey) ? <Secret label="Application Secret" value={revealed.get(credential.consumerKey)!} testId="app-secret" /> : <p>The Application Secret was shown when the application was created.</p>}
        </section>
      ) : null}
      <form class="card" onSubmit={getToken} noValidate aria-label="Get a token">
        <h2>Get a token</h2>
        <Field label="Access Token URL" path="tokenUrl" error={token.error} {...token.bind('tokenUrl')} />
        <Field label="Client ID" path="clientId" error={token.error} {...token.bind('clientId')} />
        <Field label="Client Secret" path="clientSecret" type="password" error={token.error} autocomplete="off" {...token.bind('clientSecret')} />
        <ErrorAlert error={token.error} claimed={['tokenUrl', 'clientId', 'clientSecret']} />
        <FormActions submit="Get New Access Token" busy={token.busy} />
        {accessToken ? <Secret label="Access token" value={accessToken} testId="access-token" /> : null}
      </form>
      <form class="card" onSubmit={send} noValidate aria-label="Try an API">
        <h2>Try an API</h2>
        <div class="row">
          <Field label="Method" path="method" options={['GET', 'POST', 'PUT', 'DELETE']} {...call.bind('method')} />
          <Field label="Request URL" path="url" error={call.error} {...call.bind('url')} />
        </div>
        <Field label="Body" path="body" multiline {...call.bind('body')} />
        <ErrorAlert error={call.error} />
        <FormActions submit="Send" busy={call.busy} />
        {result ? (
          <div aria-live="polite">
            <p>
              Status: <strong data-testid="status">{result.status}</strong>
            </p>
            <pre class="result" data-testid="response-body">
              {result.body}
            </pre>
          </div>
        ) : null}
      </form>
    </>
  );
}

function App() {
  const path = usePath();
  const current = useSession();
  useEffect(() => {
    requestAnimationFrame(() => document.querySelector<HTMLElement>('main h1')?.focus({ preventScroll: true }));
  }, [path]);
  const inner = path.slice(BASE.length) || '/';
  let content = <p>Not found.</p>;
  let params: Record<string, string> | undefined;
  if (inner === '/' || inner === '') content = <Catalog />;
  else if ((params = match('/products/:name', inner))) content = <ProductPage name={params.name!} key={params.name} />;
  else if (inner === '/sign-in') content = <SignInPage mode="sign-in" key="in" />;
  else if (inner === '/sign-up') content = <SignInPage mode="sign-up" key="up" />;
  else if (inner === '/accept') content = <SignInPage mode="accept" key="accept" />;
  else if (inner === '/apps') content = <AppsPage />;
  else if ((params = match('/apps/:name', inner))) content = <AppPage name={params.name!} key={params.name} />;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href={BASE}>
          API Business Hub
        </a>
        <nav aria-label="Portal" class="portal-nav">
          <a href={BASE}>Products</a> {current ? <a href={`${BASE}/apps`}>My applications</a> : null}
        </nav>
        <span class="who">{current ? current.email : ''}</span>
        {current ? (
          <button
            type="button"
            onClick={async () => {
              await portal('DELETE', '/sessions/current').catch(() => undefined);
              setSession(undefined);
              navigate(BASE);
            }}
          >
            Sign out
          </button>
        ) : (
          <>
            <a href={`${BASE}/sign-in`}>Sign in</a>
            <a href={`${BASE}/sign-up`}>Sign up</a>
          </>
        )}
      </header>
      <main id="main" class="portal-main">
        {content}
      </main>
    </>
  );
}

interceptLinks(BASE);
render(<App />, document.getElementById('app')!);
