// Where the `tollgate` CLI sends its calls and with which credentials.
//
// The server: `--url` or TOLLGATE_URL; else the server running on the data
// directory (`--data-dir`, DATA_DIR, or ./.data), found by the state file
// `npm start` writes there; else http://127.0.0.1:$PORT (8080).
// The credentials: `--authorization` or TOLLGATE_AUTHORIZATION (a whole
// header value); `--token` / TOLLGATE_TOKEN (a management token, Bearer);
// `--user` and `--password` / TOLLGATE_USERNAME and TOLLGATE_PASSWORD (Basic);
// else the organization's platform credentials in the local secret store.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { orgSecretNames } from '../../shared/auth/organizations.js';
import { readServerState, type ServerState } from '../../local/state.js';

export interface GlobalOptions {
  url?: string;
  org?: string;
  dataDir?: string;
  authorization?: string;
  token?: string;
  user?: string;
  password?: string;
}

/** A failure the CLI reports in one line and exits 1 for. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface Connection {
  url: string;
  org: string;
  dataDir: string;
  /** The local server's state, when the URL came from it. */
  server?: ServerState;
  authorization(): string;
  /** Whether the credentials are the platform header (connector routes need it). */
  platformCredentials(): boolean;
}

export function connect(options: GlobalOptions, env: NodeJS.ProcessEnv): Connection {
  const dataDir = resolve(options.dataDir ?? (env.DATA_DIR || './.data'));
  const explicitUrl = options.url ?? env.TOLLGATE_URL;
  const server = explicitUrl ? undefined : readServerState(dataDir);
  const url = (explicitUrl ?? server?.platformUrl ?? `http://127.0.0.1:${env.PORT || 8080}`).replace(/\/+$/, '');
  const org = options.org ?? (env.TOLLGATE_ORG || server?.organization || 'default');
  const header = options.authorization ?? env.TOLLGATE_AUTHORIZATION;
  const token = options.token ?? env.TOLLGATE_TOKEN;
  const user = options.user ?? env.TOLLGATE_USERNAME;
  const password = options.password ?? env.TOLLGATE_PASSWORD;
  const authorization = () => {
    if (header) return header;
    if (token) return `Bearer ${token}`;
    if (user) {
      if (!password) throw new CliError('--user needs --password (or TOLLGATE_PASSWORD)');
      return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    }
    return platformHeader(dataDir, org);
  };
  return {
    url,
    org,
    dataDir,
    ...(server ? { server } : {}),
    authorization,
    platformCredentials: () => (header ? /^User /.test(header) : !token && !user),
  };
}

/** `User .., Organization ..` of an organization, from the local secret store. */
export function platformHeader(dataDir: string, org: string): string {
  const file = join(dataDir, 'secrets.json');
  if (!existsSync(file)) {
    throw new CliError(`No credentials: pass --user/--password, --token or --authorization, or run npm start once so ${file} exists`);
  }
  const secrets = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  const names = orgSecretNames(org);
  const user = secrets[names.user];
  const organization = secrets[names.organization];
  if (!user || !organization) throw new CliError(`Organization "${org}" has no credentials in ${file}`);
  return `User ${user}, Organization ${organization}`;
}

export interface Reply {
  status: number;
  headers: Headers;
  json: unknown;
  bytes: Buffer;
}

/** One call to the platform; a non-2xx answer is a CliError with the server's message. */
export async function call(connection: Connection, method: string, path: string, body?: { json?: unknown; bytes?: Buffer; type?: string }): Promise<Reply> {
  const headers: Record<string, string> = { authorization: connection.authorization(), accept: 'application/json' };
  let payload: string | Buffer | undefined;
  if (body?.json !== undefined) {
    payload = JSON.stringify(body.json);
    headers['content-type'] = 'application/json';
  } else if (body?.bytes) {
    payload = body.bytes;
    headers['content-type'] = body.type ?? 'application/octet-stream';
  }
  let response: Response;
  try {
    response = await fetch(connection.url + path, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
  } catch (error) {
    throw new CliError(`Cannot reach Tollgate at ${connection.url} (${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}); is it running? (npm start, or --url)`);
  }
  const bytes = Buffer.from(await response.arrayBuffer());
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const error = (json as { error?: { message?: string; fields?: { path: string; message: string }[] } } | undefined)?.error;
    throw new CliError(`${method} ${path}: ${response.status} ${error?.message ?? response.statusText}`, error?.fields);
  }
  return { status: response.status, headers: response.headers, json, bytes };
}

/** `/v1/organizations/{org}` plus `path`, each segment encoded. */
export function orgPath(connection: Connection, ...segments: (string | number)[]): string {
  return `/v1/organizations/${[connection.org, ...segments].map((segment) => encodeURIComponent(String(segment))).join('/')}`;
}
