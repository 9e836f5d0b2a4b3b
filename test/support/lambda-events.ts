// A runtime request as API Gateway hands it to the proxy function (payload
// format 1.0, a stage per environment), and a Lambda context with a given
// remaining time: for tests that call a handler the way Lambda does.
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

export function runtimeEvent(options: { host: string; path: string; headers?: Record<string, string>; sourceIp?: string; environment?: string }): APIGatewayProxyEvent {
  const environment = options.environment ?? 'prod';
  const headers = { host: options.host, ...options.headers };
  return {
    resource: '/{proxy+}',
    path: options.path,
    httpMethod: 'GET',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { proxy: options.path.slice(1) },
    stageVariables: { environment },
    body: null,
    isBase64Encoded: false,
    requestContext: { requestId: `event-${Math.random()}`, identity: { sourceIp: options.sourceIp ?? '127.0.0.1' }, stage: environment, httpMethod: 'GET', path: `/${environment}${options.path}` },
  } as unknown as APIGatewayProxyEvent;
}

/** A context whose remaining time runs out at `deadline` (epoch ms). */
export function lambdaContext(deadline: number): Context {
  return { awsRequestId: 'test', functionName: 'tollgate-proxy', getRemainingTimeInMillis: () => deadline - Date.now() } as unknown as Context;
}
