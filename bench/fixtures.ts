// What the in-process benchmarks (bench:gateway, bench:token and their
// per-invocation CPU children) set up in a local runtime, and the API
// Gateway events and Lambda context they invoke the handlers with.
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import type { Runtime } from '../shared/runtime.js';
import { validate } from '../shared/http/body.js';
import { createProduct, productInput } from '../shared/consumers/products.js';
import { createDeveloper, developerInput } from '../shared/consumers/developers.js';
import { createApp, appInput } from '../shared/consumers/apps.js';
import { createRevision } from '../shared/gateway/stores/apis.js';
import { deploy } from '../shared/gateway/stores/deployments.js';
import { createMap, putEntry } from '../shared/gateway/stores/kvm.js';
import { ProxyModelSchema } from '../shared/gateway/engine/model.js';

/** An API product `bench` with the given scopes, a developer and an app granted it. */
export async function benchApp(rt: Runtime, org: string, scopes: string[]) {
  await createProduct(rt, org, validate(productInput, { name: 'bench', scopes }));
  const developer = await createDeveloper(rt, org, validate(developerInput, { email: 'bench@example.com', firstName: 'B', lastName: 'B', userName: 'b' }));
  const { issued } = await createApp(rt, org, developer, validate(appInput, { name: 'bench', apiProducts: ['bench'] }));
  return issued;
}

/**
 * An encrypted KVM and the four-policy proxy (SpikeArrest, VerifyAccessToken
 * with scope `read`, KVM Get, AssignMessage), deployed to prod: at /bench to
 * `backendUrl` when given, and at /bench-null without a target.
 */
export async function deployBenchProxies(rt: Runtime, org: string, backendUrl?: string): Promise<void> {
  await createMap(rt, org, { kind: 'environment', environment: 'prod' }, 'settings', true);
  await putEntry(rt, org, { kind: 'environment', environment: 'prod' }, 'settings', 'tier', 'gold', 'create');
  const policies = [
    { name: 'spike', type: 'SpikeArrest', config: { rate: '1000000ps', useEffectiveCount: true } },
    { name: 'verify', type: 'OAuthV2', config: { operation: 'VerifyAccessToken', scope: 'read' } },
    {
      name: 'kvm',
      type: 'KeyValueMapOperations',
      config: { mapIdentifier: 'settings', scope: 'environment', operations: [{ op: 'get', key: { parameters: [{ value: 'tier' }] }, assignTo: 'private.tier' }] },
    },
    { name: 'assign', type: 'AssignMessage', config: { set: { headers: [{ name: 'x-tier', value: '{private.tier}' }, { name: 'x-app', value: '{developer.app.name}' }] } } },
  ];
  const steps = policies.map((policy) => ({ name: policy.name }));
  const proxies: [string, string, string | undefined][] = [
    ...(backendUrl ? [['bench', '/bench', backendUrl] as [string, string, string]] : []),
    ['bench-null', '/bench-null', undefined],
  ];
  for (const [name, basePath, target] of proxies) {
    const model = ProxyModelSchema.parse({
      name,
      policies,
      proxyEndpoints: [{ basePath, preFlow: { request: steps, response: [] } }],
      targetEndpoints: target ? [{ connection: { url: target } }] : [],
    });
    const revision = await createRevision(rt, org, model, 'json');
    await deploy(rt, org, 'prod', name, revision.revision);
  }
}

function event(fields: Partial<APIGatewayProxyEvent> & { path: string; httpMethod: string; headers: Record<string, string> }): APIGatewayProxyEvent {
  const multiValueHeaders = Object.fromEntries(Object.entries(fields.headers).map(([name, value]) => [name, [value]]));
  return {
    resource: '/{proxy+}',
    multiValueHeaders,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { requestId: 'bench', identity: { sourceIp: '127.0.0.1' }, requestTimeEpoch: Date.now() } as APIGatewayProxyEvent['requestContext'],
    ...fields,
  };
}

/** GET /bench-null/items?page=1 with the token: the four policies, no target. */
export const proxyEvent = (token: string) =>
  event({
    path: '/bench-null/items',
    httpMethod: 'GET',
    headers: { Authorization: `Bearer ${token}`, Host: 'bench' },
    queryStringParameters: { page: '1' },
    multiValueQueryStringParameters: { page: ['1'] },
    pathParameters: { proxy: 'bench-null/items' },
  });

/** POST /oauth/token, client_credentials with scope read, client_secret_basic. */
export const tokenEvent = (basic: string) =>
  event({
    resource: '/oauth/token',
    path: '/oauth/token',
    httpMethod: 'POST',
    headers: { Authorization: basic, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=read',
  });

export const lambdaContext = (fn: string): Context => ({
  awsRequestId: 'bench',
  functionName: `tollgate-${fn}`,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:tollgate-${fn}`,
  memoryLimitInMB: '1024',
  logGroupName: 'bench',
  logStreamName: 'bench',
  callbackWaitsForEmptyEventLoop: false,
  getRemainingTimeInMillis: () => 29_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});
