// fetch for the platform API: JSON in and out, the session's Authorization
// header, and the platform's error shape turned into an ApiError whose
// `fields` name each bad field ({path, message}).
import { currentSession, signOut, touch } from './session.js';

export interface FieldProblem {
  path: string;
  message: string;
  file?: string;
  line?: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldProblem[] = [],
  ) {
    super(message);
  }
}

export interface ApiOptions {
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  /** `session` (default): the signed-in user's header; `none`; or an Authorization value. */
  auth?: 'session' | 'none' | { authorization: string };
  /** Resolve with the Response instead of parsing JSON. */
  raw?: boolean;
}

export async function api<T = unknown>(method: string, path: string, options: ApiOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  const auth = options.auth ?? 'session';
  if (auth === 'session') {
    const session = currentSession();
    if (!session) throw new ApiError(401, 'unauthorized', 'Not signed in');
    headers.authorization = session.authorization;
  } else if (auth !== 'none') headers.authorization = auth.authorization;
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  }
  let response: Response;
  try {
    response = await fetch(path, { method, headers, ...(body === undefined ? {} : { body }), credentials: 'omit' });
  } catch {
    throw new ApiError(0, 'network_error', 'The server could not be reached');
  }
  if (response.status === 401 && auth === 'session') {
    signOut('Your session ended (the server no longer accepts it). Sign in again.');
  }
  if (!response.ok) throw await errorOf(response);
  if (auth === 'session') touch();
  if (options.raw) return response as T;
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const error = body.error as { code?: string; message?: string; fields?: FieldProblem[] } | string | undefined;
    if (error && typeof error === 'object') return new ApiError(response.status, error.code ?? 'error', error.message ?? response.statusText, error.fields ?? []);
    if (typeof error === 'string') return new ApiError(response.status, error, String(body.error_description ?? error));
    // Open Connectors' shape (the connectors API): {message, code, fields, providerMessage}.
    if (typeof body.message === 'string') {
      const detail = typeof body.providerMessage === 'string' && body.providerMessage ? ` (${body.providerMessage})` : '';
      return new ApiError(response.status, typeof body.code === 'string' ? body.code : 'error', body.message + detail, Array.isArray(body.fields) ? (body.fields as FieldProblem[]) : []);
    }
    const fault = body.fault as { faultstring?: string; detail?: { errorcode?: string } } | undefined;
    if (fault) return new ApiError(response.status, fault.detail?.errorcode ?? 'fault', fault.faultstring ?? 'Fault');
  } catch {
    // not JSON
  }
  return new ApiError(response.status, 'http_error', `${response.status} ${response.statusText}`.trim());
}

/** The management API base of the signed-in organization. */
export function orgPath(path = ''): string {
  const session = currentSession();
  return `/v1/organizations/${encodeURIComponent(session?.organization ?? '')}${path}`;
}

export const enc = encodeURIComponent;
