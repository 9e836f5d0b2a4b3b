// The management console: sign-in, then one page per capability. A page is one
// entry in PAGES (path pattern, navigation group, component), so adding one
// (Analyze, Trace ...) touches nothing else.
import '../styles.css';
import { render, type FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { interceptLinks, match, navigate, usePath } from '../lib/router.js';
import { onSessionChange, restoreSession, signOut, type Session } from '../lib/session.js';
import { Dialog, Secret } from '../lib/ui.js';
import { AnalyzePage } from './analyze.js';
import { ConnectorActivityPage } from './connector-usage.js';
import { ConnectorsPage, OAuthReturn } from './connectors.js';
import { FormulaExecutionPage, FormulaInstancePage } from './formula-executions.js';
import { EditFormulaPage, FormulaPage, FormulasPage, NewFormulaPage } from './formulas.js';
import { InstanceDocsPage } from './instance-docs.js';
import { KvmsPage } from './kvms.js';
import { ProviderPage, ProvidersPage } from './providers.js';
import { ProxyPage, ProxiesPage, NewProxyPage } from './proxies.js';
import { AppPage, AppsPage, DevelopersPage, ProductPage, ProductsPage } from './publish.js';
import { SignIn } from './sign-in.js';
import { TracePage } from './trace.js';
import { BASE } from './base.js';


interface PageEntry {
  path: string;
  component: FunctionComponent<{ params: Record<string, string> }>;
  /** Shown in the navigation under this group when set. */
  nav?: [group: string, label: string];
}

const PAGES: PageEntry[] = [
  { path: '/apis', component: ProxiesPage, nav: ['Develop', 'API proxies'] },
  { path: '/apis/new', component: NewProxyPage },
  { path: '/apis/:api', component: ProxyPage },
  { path: '/providers', component: ProvidersPage, nav: ['Develop', 'API providers'] },
  { path: '/providers/:name', component: ProviderPage },
  { path: '/kvms', component: KvmsPage, nav: ['Develop', 'Key value maps'] },
  { path: '/products', component: ProductsPage, nav: ['Publish', 'Products'] },
  { path: '/products/:name', component: ProductPage },
  { path: '/developers', component: DevelopersPage, nav: ['Publish', 'Developers'] },
  { path: '/apps', component: AppsPage, nav: ['Publish', 'Applications'] },
  { path: '/apps/:email/:app', component: AppPage },
  { path: '/analytics', component: AnalyzePage, nav: ['Analyze', 'API traffic'] },
  { path: '/trace', component: TracePage, nav: ['Analyze', 'Trace'] },
  { path: '/connectors', component: ConnectorsPage, nav: ['Connectors', 'Catalog'] },
  { path: '/connectors/formulas', component: FormulasPage, nav: ['Connectors', 'Formulas'] },
  { path: '/connectors/formulas/new', component: NewFormulaPage },
  { path: '/connectors/formulas/:id', component: FormulaPage },
  { path: '/connectors/formulas/:id/edit', component: EditFormulaPage },
  { path: '/connectors/formulas/:id/instances/:instanceId', component: FormulaInstancePage },
  { path: '/connectors/formulas/:id/instances/:instanceId/executions/:executionId', component: FormulaExecutionPage },
  { path: '/connectors/activity', component: ConnectorActivityPage, nav: ['Connectors', 'Activity'] },
  { path: '/connectors/instances/:id/docs', component: InstanceDocsPage },
];

function Nav({ path }: { path: string }) {
  const groups = new Map<string, PageEntry[]>();
  for (const page of PAGES) if (page.nav) groups.set(page.nav[0], [...(groups.get(page.nav[0]) ?? []), page]);
  // The deepest navigation entry the path is under: /connectors/activity is Activity, not Catalog.
  const current = PAGES.filter((page) => page.nav && (path === BASE + page.path || path.startsWith(`${BASE}${page.path}/`))).sort((a, b) => b.path.length - a.path.length)[0];
  return (
    <nav aria-label="Console">
      {[...groups].map(([group, pages]) => (
        <div class="nav-group" key={group}>
          <h2>{group}</h2>
          <ul>
            {pages.map((page) => {
              return (
                <li key={page.path}>
                  <a href={BASE + page.path} aria-current={page === current ? 'page' : undefined}>
                    {page.nav![1]}
                  </a>
                </li>
              );
            })}
          </ul>
        </div>
      ))}
      <div class="nav-group">
        <h2>Reference</h2>
        <ul>
          <li>
            <a href="/docs">Platform API reference</a>
          </li>
          <li>
            <a href="/portal">Developer portal</a>
          </li>
        </ul>
      </div>
    </nav>
  );
}

function Shell({ session }: { session: Session }) {
  const path = usePath();
  const [account, setAccount] = useState(false);
  const inner = path.slice(BASE.length) || '/';
  useEffect(() => {
    if (inner === '/' || inner === '') navigate(`${BASE}/apis`, true);
    // Move focus to the new page's heading so keyboard and screen reader users land on it.
    requestAnimationFrame(() => document.querySelector<HTMLElement>('main h1')?.focus({ preventScroll: true }));
  }, [inner]);
  let content = <p>Not found.</p>;
  for (const page of PAGES) {
    const params = match(page.path, inner);
    if (params) {
      const Component = page.component;
      content = <Component params={params} key={inner} />;
      break;
    }
  }
  return (
    <div class="layout">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href={`${BASE}/apis`}>
          Tollgate
        </a>
        <span class="who">{session.label}</span>
        <button type="button" onClick={() => setAccount(true)}>
          Account
        </button>
        <button type="button" onClick={() => signOut('You signed out.')}>
          Sign out
        </button>
      </header>
      <Nav path={path} />
      <main id="main">{content}</main>
      {account ? (
        <Dialog title="Account" onClose={() => setAccount(false)}>
          <p>Organization {session.organization}</p>
          {session.secrets ? (
            <>
              <p>The platform credentials, for Open Connectors API providers and the Authorization header.</p>
              <Secret label="Organization Secret" value={session.secrets.organization} testId="organization-secret" />
              <Secret label="User Secret" value={session.secrets.user} testId="user-secret" />
            </>
          ) : null}
        </Dialog>
      ) : null}
    </div>
  );
}

function App() {
  const [restored] = useState(restoreSession);
  const [session, setSession] = useState(restored.session);
  const [reason, setReason] = useState(restored.reason);
  useEffect(
    () =>
      onSessionChange((next, why) => {
        setSession(next);
        setReason(why);
      }),
    [],
  );
  return session ? <Shell session={session} /> : <SignIn reason={reason} />;
}

interceptLinks(BASE);
render(location.pathname === `${BASE}/oauth/return` ? <OAuthReturn /> : <App />, document.getElementById('app')!);
