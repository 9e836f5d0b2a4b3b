// The one place that knows how the browser signs in to the management API:
// as a management user (email and password, exchanged once for a management
// Bearer token that expires when the token does) or with the platform
// credentials (`User .., Organization ..`, the Open Connectors header, idle
// expiry of an hour). A session lives in sessionStorage (gone with the tab)
// and ends at once when the server answers 401.
export interface Session {
  organization: string;
  /** The Authorization header value sent with every management call. */
  authorization: string;
  /** Who is signed in, for the header bar. */
  label: string;
  /** Epoch ms; for platform credentials every successful call moves it forward (idle expiry). */
  expiresAt: number;
  /** A management user's token expires at a fixed time; platform credentials expire when idle. */
  fixedExpiry?: boolean;
  /** Signed in with the platform credentials: shown on the account panel (Open Connectors shows them there too). */
  secrets?: { user: string; organization: string };
  /** The caller's role in the organization (`GET /v1/organizations/{org}/me`); `readonly` sees no write controls. */
  role?: 'orgadmin' | 'readonly' | 'connectoruser';
}

const KEY = 'tollgate.console.session';
export const IDLE_MS = 60 * 60 * 1000;

type Listener = (session: Session | undefined, reason?: string) => void;
const listeners = new Set<Listener>();
let timer: ReturnType<typeof setTimeout> | undefined;

function read(): Session | undefined {
  try {
    const value = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Session | null;
    return value && typeof value.authorization === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

function schedule(session: Session | undefined) {
  if (timer) clearTimeout(timer);
  timer = session ? setTimeout(() => expireIfDue(), Math.max(1000, session.expiresAt - Date.now() + 50)) : undefined;
}

function expireIfDue() {
  const session = read();
  if (session && session.expiresAt <= Date.now()) signOut('Your session expired. Sign in again.');
  else schedule(session);
}

export function currentSession(): Session | undefined {
  const session = read();
  if (session && session.expiresAt <= Date.now()) {
    signOut('Your session expired. Sign in again.');
    return undefined;
  }
  return session;
}

/** The session a page load starts with, or why there is none (it expired while the tab was away). */
export function restoreSession(): { session?: Session; reason?: string } {
  const session = read();
  if (!session) return {};
  if (session.expiresAt > Date.now()) return { session };
  sessionStorage.removeItem(KEY);
  return { reason: 'Your session expired. Sign in again.' };
}

/** Signs in with the platform credentials: the user and organization secrets. */
export function platformSession(organization: string, userSecret: string, organizationSecret: string): Session {
  return {
    organization,
    authorization: `User ${userSecret.trim()}, Organization ${organizationSecret.trim()}`,
    label: `Organization ${organization}`,
    expiresAt: Date.now() + IDLE_MS,
    secrets: { user: userSecret.trim(), organization: organizationSecret.trim() },
  };
}

export function signIn(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
  schedule(session);
  for (const listener of listeners) listener(session);
}

export function signOut(reason?: string): void {
  sessionStorage.removeItem(KEY);
  schedule(undefined);
  for (const listener of listeners) listener(undefined, reason);
}

/** Signs in as a management user: its email and password buy a Bearer token (`POST /v1/users/{email}/tokens`). */
export async function userSession(organization: string, email: string, password: string): Promise<Session> {
  const basic = `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${email.trim()}:${password}`)))}`;
  const response = await fetch(`/v1/users/${encodeURIComponent(email.trim())}/tokens`, { method: 'POST', headers: { authorization: basic, accept: 'application/json' }, credentials: 'omit' });
  if (!response.ok) throw response;
  const token = (await response.json()) as { access_token: string; expires_in: number };
  return {
    organization,
    authorization: `Bearer ${token.access_token}`,
    label: `${email.trim()} · ${organization}`,
    expiresAt: Date.now() + token.expires_in * 1000,
    fixedExpiry: true,
  };
}

/** A call succeeded: a platform-credentials session stays alive another idle period. */
export function touch(): void {
  const session = read();
  if (!session || session.fixedExpiry) return;
  session.expiresAt = Date.now() + IDLE_MS;
  sessionStorage.setItem(KEY, JSON.stringify(session));
  schedule(session);
}

/** Whether the signed-in caller may change things (the server decides regardless; this hides what it would refuse). */
export function canWrite(): boolean {
  return currentSession()?.role !== 'readonly';
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  schedule(read());
  return () => listeners.delete(listener);
}
