// Starts the whole platform in-process for an HTTP test: dynalite in memory,
// the local server on a free loopback port, the default organization.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ensureOrganization } from '../../shared/auth/organizations.js';
import { useRuntime } from '../../shared/runtime.js';
import { localHandlers } from '../../local/handlers.js';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime.js';
import { createLocalServer } from '../../local/server.js';

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

export interface TestPlatform {
  url: string;
  local: LocalRuntime;
  /** `User .., Organization ..` of the default organization. */
  auth: string;
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
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

export async function startPlatform(env: Record<string, string> = {}): Promise<TestPlatform> {
  const server = createLocalServer({ handlers: localHandlers });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const local = await startLocalRuntime({
    dataDir: null,
    publicUrl: url,
    env: { ...process.env, TOLLGATE_ORGANIZATION_SECRET: '', TOLLGATE_USER_SECRET: '', ...env },
  });
  useRuntime(local.runtime);
  const auth = `User ${local.credentials.userSecret}, Organization ${local.credentials.organizationSecret}`;

  const request = async (method: string, path: string, options: RequestOptions = {}): Promise<TestResponse> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.auth !== false && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) {
      headers.authorization = options.auth ?? auth;
    }
    let body: string | Buffer | undefined = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(url + path, { method, headers, body, redirect: 'manual' });
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

  const addOrganization = async (name: string) => {
    const { credentials } = await ensureOrganization(local.runtime, name);
    return `User ${credentials.userSecret}, Organization ${credentials.organizationSecret}`;
  };

  return {
    url,
    local,
    auth,
    request,
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
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      useRuntime(undefined);
      await local.close();
    },
  };
}
