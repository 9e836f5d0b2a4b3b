// Starts the whole platform in-process for an HTTP test: dynalite in memory,
// the platform and the runtime of each environment on free loopback ports,
// the default organization and its first management user.
import { randomUUID } from 'node:crypto';
import { ensureOrganization } from '../../shared/auth/organizations.js';
import { useRuntime } from '../../shared/runtime.js';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime.js';
import { listenPlanes } from '../../local/planes.js';

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body, or undefined if the body is not JSON. */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  bytes: Buffer;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  json?: unknown;
  body?: string | Buffer;
  auth?: string | false;
}

export interface ProxyRequestOptions extends RequestOptions {
  /** The runtime environment to call (`prod` by default). */
  env?: 'prod' | 'test';
}

export interface TestPlatform {
  /** The platform plane: management, token service, connectors. */
  url: string;
  /** The runtime plane per environment. */
  runtimeUrls: { prod: string; test: string };
  local: LocalRuntime;
  /** `User .., Organization ..` of the default organization. */
  auth: string;
  /** A call to the platform plane, with the default organization's platform header unless `auth` says otherwise. */
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
  /** A call to a deployed proxy on the runtime plane (`prod` unless `env` says otherwise); no Authorization unless `auth` gives one. */
  proxy(method: string, path: string, options?: ProxyRequestOptions): Promise<TestResponse>;
  /** Creates another organization and returns its Authorization header value. */
  addOrganization(name: string): Promise<string>;
  /** The first management user (orgadmin of `default`) as a Basic Authorization value. */
  adminBasic(): Promise<string>;
  /** Creates a management user with a role in an organization; returns its Basic Authorization value. */
  addUser(org: string, role: 'orgadmin' | 'readonly', email?: string): Promise<string>;
  close(): Promise<void>;
}

/** `Basic base64(email:password)`. */
export const basic = (email: string, password: string) => `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`;

let users = 0;

/**
 * The platform with a fresh in-memory store (or `dataDir`, to restart on the
 * same data). Connector events' scheduler runs only when the test ticks it
 * (`local.events.tick()`) unless TOLLGATE_EVENTS_TICK_MS says otherwise.
 */
export async function startPlatform(env: Record<string, string> = {}, options: { dataDir?: string } = {}): Promise<TestPlatform> {
  const planes = await listenPlanes({ host: '127.0.0.1', port: 0, runtimePort: 0 });
  const url = planes.platformUrl;
  const runtimeUrls = planes.runtimeUrls as { prod: string; test: string };
  const local = await startLocalRuntime({
    dataDir: options.dataDir ?? null,
    publicUrl: url,
    env: {
      ...process.env,
      TOLLGATE_EVENTS_TICK_MS: '0',
      // Formulas' schedules run when a test ticks them (`local.formulas.tick()`).
      TOLLGATE_FORMULAS_TICK_MS: '0',
      TOLLGATE_ORGANIZATION_SECRET: '',
      TOLLGATE_USER_SECRET: '',
      TOLLGATE_RUNTIME_URLS: `prod=${runtimeUrls.prod},test=${runtimeUrls.test}`,
      ...env,
    },
  });
  useRuntime(local.runtime);
  const auth = `User ${local.credentials.userSecret}, Organization ${local.credentials.organizationSecret}`;

  const send = async (base: string, method: string, path: string, options: RequestOptions, defaultAuth: string | undefined): Promise<TestResponse> => {
    const headers: Record<string, string> = { ...options.headers };
    const authorization = options.auth === false ? undefined : (options.auth ?? defaultAuth);
    if (authorization !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) headers.authorization = authorization;
    let body: string | Buffer | undefined = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(base + path, { method, headers, body, redirect: 'manual' });
    const bytes = Buffer.from(await response.arrayBuffer());
    const text = bytes.toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json, bytes };
  };
  const request = (method: string, path: string, options: RequestOptions = {}) => send(url, method, path, options, auth);
  const proxy = (method: string, path: string, options: ProxyRequestOptions = {}) => send(runtimeUrls[options.env ?? 'prod'], method, path, options, undefined);

  const addOrganization = async (name: string) => {
    const { credentials } = await ensureOrganization(local.runtime, name);
    return `User ${credentials.userSecret}, Organization ${credentials.organizationSecret}`;
  };

  return {
    url,
    runtimeUrls,
    local,
    auth,
    request,
    proxy,
    addOrganization,
    async adminBasic() {
      const password = await local.runtime.secrets.get('admin-password');
      return basic(local.admin.email, password!);
    },
    async addUser(org: string, role: 'orgadmin' | 'readonly', email = `${role}-${++users}@${org}.example`) {
      const password = `pw-${randomUUID()}`;
      const made = await request('POST', `/v1/organizations/${org}/users`, { auth: org === 'default' ? auth : await addOrganization(org), json: { email, password, role } });
      if (made.status !== 201) throw new Error(`user ${email} not created: ${made.status} ${made.text}`);
      return basic(email, password);
    },
    async close() {
      await planes.close();
      useRuntime(undefined);
      await local.close();
    },
  };
}
