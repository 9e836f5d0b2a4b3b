// The local API Gateway: a node:http server per plane that turns each request
// into an API Gateway proxy event (payload format 1.0, which both the REST and
// the HTTP API send), calls the same handler module Lambda runs, and writes the
// proxy result back. Routing follows shared/http/api-routes.ts, the tables the
// CDK stack builds both APIs from.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { matchResource, type ApiRoute, type FunctionName } from '../shared/http/api-routes.js';
import { HttpError, platformErrors, type ErrorRenderer } from '../shared/http/errors.js';
import { requestTooLarge } from '../shared/http/lambda.js';
import type { HttpResponse } from '../shared/http/response.js';

export type LambdaHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface LocalServerOptions {
  handlers: Record<FunctionName, LambdaHandler>;
  /** The plane's routes (PLATFORM_ROUTES or RUNTIME_ROUTES). */
  routes: readonly ApiRoute[];
  /** The stage's variables: the runtime stage of an environment carries `environment`. */
  stageVariables?: Record<string, string>;
  /** Media types API Gateway passes base64-encoded; the stack uses `*\/*`. */
  binaryMediaTypes?: string[];
  /** API Gateway's payload limit. */
  maxBodyBytes?: number;
  /**
   * How the plane writes what is refused before any function runs (a body over
   * the payload limit, headers too large, an unparsable request): its
   * functions' error shape, and the error for a body that is too large
   * (default: the platform's).
   */
  errors?: { renderer: ErrorRenderer; bodyTooLarge: () => HttpError };
  /** Lambda timeout seen through `getRemainingTimeInMillis`. */
  timeoutMs?: number;
  stage?: string;
}

const STAGE = 'local';

export function createLocalServer(options: LocalServerOptions): Server {
  const errors = options.errors ?? { renderer: platformErrors, bodyTooLarge: requestTooLarge };
  const maxBody = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const server = createServer((req, res) => {
    handle(req, res, options, errors, maxBody).catch((error: unknown) => {
      // Only reached if writing the response itself failed.
      if (!res.headersSent) writeJson(res, 502, { message: 'Internal server error' });
      else res.destroy(error instanceof Error ? error : undefined);
    });
  });
  server.keepAliveTimeout = 5_000;
  // What node's parser refuses (headers over its limit, malformed requests) in the plane's error shape, not a bare status line.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const refused =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? new HttpError(431, 'request_header_fields_too_large', 'The request headers are too large')
        : new HttpError(400, 'bad_request', 'The request is not valid HTTP');
    const response = errors.renderer.render(refused, randomUUID());
    const body = typeof response.body === 'string' ? response.body : (response.body ?? Buffer.alloc(0)).toString();
    const reason = refused.status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
    socket.end(`HTTP/1.1 ${refused.status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  return server;
}

/** The request target as a URL: origin-form (`/path`, even `//x`) or absolute-form; undefined if neither. */
function requestUrl(target: string | undefined): URL | undefined {
  const value = target ?? '/';
  try {
    return value.startsWith('/') ? new URL(`http://localhost${value}`) : new URL(value);
  } catch {
    return undefined;
  }
}

async function handle(req: IncomingMessage, res: ServerResponse, options: LocalServerOptions, errors: NonNullable<LocalServerOptions['errors']>, maxBody: number) {
  const url = requestUrl(req.url);
  if (!url) {
    writeJson(res, 400, { message: 'Bad Request' });
    return;
  }
  const match = matchResource(options.routes, url.pathname, req.method ?? 'GET');
  if (!match) {
    // What the platform's HTTP API answers for a path no route serves.
    writeJson(res, 404, { message: 'Not Found' });
    return;
  }
  const body = await readBody(req, maxBody);
  if (body === 'too-large') {
    writeResponse(res, errors.renderer.render(errors.bodyTooLarge(), randomUUID()));
    return;
  }
  const event = toEvent(req, url, match.route.resource, match.pathParameters, body, options);
  const context = lambdaContext(match.route.function, event.requestContext.requestId, options.timeoutMs ?? 29_000);
  let result: APIGatewayProxyResult;
  try {
    result = await options.handlers[match.route.function](event, context);
  } catch {
    // What API Gateway answers when the function throws.
    writeJson(res, 502, { message: 'Internal server error' });
    return;
  }
  writeResult(res, result);
}

function readBody(req: IncomingMessage, maxBody: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBody) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function isBinary(contentType: string | undefined, binaryTypes: string[]): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return binaryTypes.some((pattern) => {
    if (pattern === '*/*') return true;
    if (pattern.endsWith('/*')) return type.startsWith(pattern.slice(0, -1));
    return type === pattern;
  });
}

export function toEvent(
  req: IncomingMessage,
  url: URL,
  resource: string,
  pathParameters: Record<string, string> | null,
  body: Buffer,
  options: Pick<LocalServerOptions, 'binaryMediaTypes' | 'stage' | 'stageVariables'>,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  // One pass: each lower-cased name to the spelling it arrived in first.
  const spelling = new Map<string, string>();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    // API Gateway keeps the client's header-name case; repeated headers keep every value.
    const lower = name.toLowerCase();
    let existing = spelling.get(lower);
    if (existing === undefined) {
      existing = name;
      spelling.set(lower, name);
      multiValueHeaders[name] = [value];
    } else multiValueHeaders[existing]!.push(value);
    headers[existing] = value;
  }
  // API Gateway appends the caller's address to X-Forwarded-For (creating it if absent).
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  const forwardedName = spelling.get('x-forwarded-for') ?? 'X-Forwarded-For';
  const forwarded = [...(multiValueHeaders[forwardedName] ?? []), sourceIp].join(', ');
  multiValueHeaders[forwardedName] = [forwarded];
  headers[forwardedName] = forwarded;
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    (multiValueQueryStringParameters[name] ??= []).push(value);
    queryStringParameters[name] = value;
  }
  const hasQuery = url.searchParams.size > 0;
  const stage = options.stage ?? STAGE;
  const binary = body.length > 0 && isBinary(req.headers['content-type'], options.binaryMediaTypes ?? ['*/*']);
  const requestId = randomUUID();
  return {
    resource,
    path: url.pathname,
    httpMethod: (req.method ?? 'GET').toUpperCase(),
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? queryStringParameters : null,
    multiValueQueryStringParameters: hasQuery ? multiValueQueryStringParameters : null,
    pathParameters,
    stageVariables: options.stageVariables ?? null,
    body: body.length === 0 ? null : binary ? body.toString('base64') : body.toString('utf8'),
    isBase64Encoded: binary,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: undefined,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: (req.method ?? 'GET').toUpperCase(),
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: null,
        userAgent: req.headers['user-agent'] ?? null,
        userArn: null,
      },
      path: `/${stage}${url.pathname}`,
      stage,
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: resource,
      domainName: req.headers.host ?? 'localhost',
    },
  };
}

/** What every invocation of one function shares; each request's context adds its id and deadline. */
const contextBases = new Map<string, Context>();

function contextBase(functionName: string): Context {
  let base = contextBases.get(functionName);
  if (!base) {
    base = {
      callbackWaitsForEmptyEventLoop: false,
      functionName: `tollgate-${functionName}`,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:tollgate-${functionName}`,
      memoryLimitInMB: '1024',
      awsRequestId: '',
      logGroupName: `/aws/lambda/tollgate-${functionName}`,
      logStreamName: 'local',
      getRemainingTimeInMillis(this: Context & { deadline: number }) {
        return Math.max(0, this.deadline - Date.now());
      },
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    contextBases.set(functionName, base);
  }
  return base;
}

function lambdaContext(functionName: string, requestId: string, timeoutMs: number): Context {
  const context = Object.create(contextBase(functionName)) as Context & { deadline: number };
  context.awsRequestId = requestId;
  context.deadline = Date.now() + timeoutMs;
  return context;
}

function writeResult(res: ServerResponse, result: APIGatewayProxyResult) {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    if (value !== undefined && value !== null) headers[name.toLowerCase()] = String(value);
  }
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    headers[name.toLowerCase()] = values.map(String);
  }
  const body = result.body ? Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0);
  delete headers['transfer-encoding'];
  delete headers.connection;
  headers['content-length'] = String(body.length);
  res.writeHead(result.statusCode, headers);
  res.end(body);
}

function writeResponse(res: ServerResponse, response: HttpResponse) {
  const body = typeof response.body === 'string' ? Buffer.from(response.body) : (response.body ?? Buffer.alloc(0));
  res.writeHead(response.status, { ...response.headers, 'content-length': String(body.length) });
  res.end(body);
}

function writeJson(res: ServerResponse, status: number, value: unknown) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}
