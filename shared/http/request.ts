// The request every handler works with: built once from the API Gateway (REST,
// v1 proxy) event, free of AWS types, with lower-cased headers and a Buffer body.
import type { APIGatewayProxyEvent } from 'aws-lambda';

export interface HttpRequest {
  method: string;
  /** Request path without stage or custom-domain base path, percent-decoded per API Gateway. */
  path: string;
  /** Route parameters filled in by the router. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** Lower-cased header names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** Lower-cased header names with every value. */
  multiHeaders: Record<string, string[]>;
  body: Buffer;
  requestId: string;
  sourceIp: string;
  /** Epoch milliseconds when API Gateway received the request. */
  receivedAt: number;
  /** Epoch milliseconds every outbound call of the request must end by (set by the function, see http/lambda.ts). */
  deadline?: number;
  /** The API Gateway stage's variables (the runtime stage names its environment). */
  stageVariables?: Record<string, string>;
}

/**
 * Reconstructs the path from the matched resource template and its path
 * parameters. `event.path` is unreliable: behind a custom domain it carries the
 * base path mapping, and sometimes the stage.
 */
export function pathOf(event: Pick<APIGatewayProxyEvent, 'resource' | 'pathParameters' | 'path'>): string {
  const resource = event.resource;
  if (!resource) return event.path || '/';
  const params = event.pathParameters ?? {};
  return resource.replace(/\{([^}+]+)\+?\}/g, (_match, name: string) => params[name] ?? '');
}

function addHeader(multiHeaders: Record<string, string[]>, name: string, value: string): void {
  const key = name.toLowerCase();
  const values = multiHeaders[key];
  if (values) values.push(value);
  else multiHeaders[key] = [value];
}

export function requestFromEvent(event: APIGatewayProxyEvent): HttpRequest {
  const multiHeaders: Record<string, string[]> = {};
  if (event.multiValueHeaders) {
    for (const name in event.multiValueHeaders) {
      const values = event.multiValueHeaders[name];
      if (values) for (const value of values) addHeader(multiHeaders, name, value);
    }
  } else if (event.headers) {
    for (const name in event.headers) {
      const value = event.headers[name];
      if (value !== undefined) addHeader(multiHeaders, name, value);
    }
  }
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(multiHeaders)) headers[name] = values.join(', ');

  const query = new URLSearchParams();
  if (event.multiValueQueryStringParameters) {
    for (const [name, values] of Object.entries(event.multiValueQueryStringParameters)) {
      for (const value of values ?? []) query.append(name, value);
    }
  } else if (event.queryStringParameters) {
    for (const [name, value] of Object.entries(event.queryStringParameters)) {
      if (value !== undefined) query.append(name, value);
    }
  }

  const body = event.body == null ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  return {
    method: event.httpMethod.toUpperCase(),
    path: pathOf(event),
    params: {},
    query,
    headers,
    multiHeaders,
    body,
    requestId: event.requestContext?.requestId ?? 'local',
    sourceIp: event.requestContext?.identity?.sourceIp ?? '127.0.0.1',
    receivedAt: event.requestContext?.requestTimeEpoch ?? Date.now(),
    ...(event.stageVariables ? { stageVariables: Object.fromEntries(Object.entries(event.stageVariables).filter((e): e is [string, string] => e[1] !== undefined)) } : {}),
  };
}

/** The media type of the request without parameters, lower-cased ('' if absent). */
export function mediaType(request: Pick<HttpRequest, 'headers'>): string {
  return (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}
