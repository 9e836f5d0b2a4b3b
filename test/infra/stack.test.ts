// The CDK stack, synthesized offline with cdk-nag: what a security review and
// an operator look for. One synth with the defaults, one with every option on.
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_THROTTLES } from '../../infra/config.js';
import { EVENT_FUNCTIONS } from '../../infra/events.js';
import { POLL_LEASE_MS } from '../../shared/connectors/events/poller.js';
import { PLATFORM_ROUTES, RUNTIME_ROUTES } from '../../shared/http/api-routes.js';
import { synthesize, type Synthesized } from '../support/synth.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Functions behind the two APIs. */
const API_FUNCTIONS = [...new Set([...PLATFORM_ROUTES, ...RUNTIME_ROUTES].map((route) => route.function))];
/** The connector events' functions, started by the schedule and the queues. */
const EVENT_FUNCTION_NAMES = Object.keys(EVENT_FUNCTIONS);
/** The function the formulas state machine invokes, one step at a time. */
const FUNCTION_NAMES = [...API_FUNCTIONS, ...EVENT_FUNCTION_NAMES, 'formulas'];
/** Functions that use the table and the secrets (the web function only serves files). */
const DATA_FUNCTIONS = FUNCTION_NAMES.filter((name) => name !== 'web');
/** Functions that send to the events' queues: the webhook receiver's (platform) and the events' own. */
const QUEUE_FUNCTIONS = ['platform', ...EVENT_FUNCTION_NAMES];
/** Functions whose triggers start formula executions. */
const FORMULA_STARTERS = ['platform', 'scheduler', 'delivery'];
const cap = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);
/** The construct a function is built in. */
const scopeOf = (name: string) => (name === 'formulas' ? 'Formulas' : EVENT_FUNCTION_NAMES.includes(name) ? 'Events' : 'Functions');

/** `{resource}` path of every method of the runtime's REST API, with the logical id of the function it invokes. */
function methodsOf(synth: Synthesized): { path: string; method: string; functionId: string; apiKeyRequired: boolean }[] {
  const resources = new Map(synth.resources('AWS::ApiGateway::Resource').map(([id, r]) => [id, r.Properties]));
  const pathOf = (ref: Json): string => {
    if (ref['Fn::GetAtt']) return '';
    const resource = resources.get(ref.Ref)!;
    return `${pathOf(resource.ParentId)}/${resource.PathPart}`;
  };
  const functionIds = synth.resources('AWS::Lambda::Function').map(([id]) => id);
  return synth.resources('AWS::ApiGateway::Method').map(([, m]) => ({
    path: pathOf(m.Properties.ResourceId) || '/',
    method: m.Properties.HttpMethod,
    functionId: functionIds.find((id) => JSON.stringify(m.Properties.Integration.Uri).includes(`"${id}"`)) ?? '',
    apiKeyRequired: m.Properties.ApiKeyRequired === true,
  }));
}

function statementsOf(synth: Synthesized, name: string): Json[] {
  const roleId = synth.resources('AWS::IAM::Role').find(([id]) => id.startsWith(`${scopeOf(name)}${cap(name)}Role`))![0];
  return synth
    .resources('AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
}

const actionsOf = (statement: Json): string[] => [statement.Action].flat();

/** Every route of the platform's HTTP API: its key and the logical id of the function it invokes. */
function routesOf(synth: Synthesized): { routeKey: string; functionId: string }[] {
  const integrations = new Map(synth.resources('AWS::ApiGatewayV2::Integration').map(([id, i]) => [id, JSON.stringify(i.Properties.IntegrationUri)]));
  const functionIds = synth.resources('AWS::Lambda::Function').map(([id]) => id);
  return synth.resources('AWS::ApiGatewayV2::Route').map(([, r]) => {
    const integrationId = (r.Properties.Target['Fn::Join'][1] as Json[]).find((part) => part.Ref)?.Ref as string;
    const uri = integrations.get(integrationId) ?? '';
    return { routeKey: r.Properties.RouteKey, functionId: functionIds.find((id) => uri.includes(`"${id}"`)) ?? '' };
  });
}

/** The REST stage of a runtime environment. */
function runtimeStage(synth: Synthesized, environment: string): Json {
  return synth.resources('AWS::ApiGateway::Stage').find(([, stage]) => stage.Properties.StageName === environment)![1].Properties;
}

function stageSettings(synth: Synthesized, environment = 'prod'): Json[] {
  return runtimeStage(synth, environment).MethodSettings;
}

function platformStage(synth: Synthesized): Json {
  return synth.resources('AWS::ApiGatewayV2::Stage')[0]![1].Properties;
}

describe('the default stack', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize({ 'tollgate:stage': 'test' });
  }, 60_000);

  it('passes cdk-nag AWS Solutions checks with no unacknowledged finding', () => {
    expect(synth.error).toBeUndefined();
  });

  it('gives every cdk-nag acknowledgement a specific reason', () => {
    expect(synth.acknowledgements.length).toBeGreaterThan(0);
    for (const ack of synth.acknowledgements) {
      expect(ack.reason.length, ack.acknowledgedId).toBeGreaterThan(60);
    }
    // Wildcard resources are acknowledged only for the stack's own secret prefix.
    const iam5 = synth.acknowledgements.filter((ack) => ack.ruleName.startsWith('AwsSolutions-IAM5'));
    expect(iam5.map((ack) => ack.ruleName).sort()).toEqual(
      [
        ...DATA_FUNCTIONS.map(() => 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:tollgate/test/*]'),
        // The proxy may create the signing keys, and only them (roles.test.ts).
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:tollgate/test/jwt-keys*]',
        // Step Functions' log delivery actions take no resource (formulas-state-machine.test.ts).
        'AwsSolutions-IAM5[Resource::*]',
      ].sort(),
    );
  });

  it('wires every platform route to its function on the HTTP API, and every path of the runtime to the proxy function', () => {
    const routes = routesOf(synth);
    expect(routes).toHaveLength(PLATFORM_ROUTES.reduce((n, route) => n + route.methods.length, 0));
    for (const route of PLATFORM_ROUTES) {
      for (const method of route.methods) {
        const found = routes.find((r) => r.routeKey === `${method} ${route.resource}`);
        expect(found, `${method} ${route.resource}`).toBeDefined();
        expect(found!.functionId.startsWith(`Functions${cap(route.function)}Function`), `${method} ${route.resource} -> ${route.function}`).toBe(true);
      }
    }
    // Payload format 1.0: the event the handlers read, on both APIs.
    for (const [, integration] of synth.resources('AWS::ApiGatewayV2::Integration')) expect(integration.Properties.PayloadFormatVersion).toBe('1.0');
    // The runtime reserves nothing: its only methods are the catch-all and the root, to the proxy function.
    const methods = methodsOf(synth);
    expect(methods.map((m) => `${m.method} ${m.path}`).sort()).toEqual(['ANY /', 'ANY /{proxy+}']);
    for (const method of methods) {
      expect(method.functionId.startsWith('FunctionsProxyFunction')).toBe(true);
      expect(method.apiKeyRequired).toBe(false);
    }
  });

  it('serves each runtime environment from its own stage, which names the environment', () => {
    for (const environment of ['prod', 'test']) {
      expect(runtimeStage(synth, environment).Variables).toEqual({ environment });
    }
    expect(platformStage(synth)).toMatchObject({ StageName: '$default', AutoDeploy: true });
  });

  it('throttles each route: HTTP API route settings on the platform, method settings on every runtime stage', () => {
    const platform = platformStage(synth);
    expect(platform.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 50 });
    const route = (key: string) => platform.RouteSettings[key];
    expect(route('ANY /v1/{proxy+}')).toMatchObject({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 25 });
    expect(route('ANY /elements/{proxy+}')).toMatchObject({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 50 });
    expect(route('ANY /apiportal/{proxy+}')).toMatchObject({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 10 });
    expect(route('POST /oauth/token')).toMatchObject({ ThrottlingRateLimit: DEFAULT_THROTTLES['/oauth/token/POST']!.rateLimit });
    expect(route('GET /elements/api-v2/oauth/callback')).toMatchObject({ ThrottlingRateLimit: DEFAULT_THROTTLES['/elements/api-v2/oauth/callback/GET']!.rateLimit });
    expect(route('GET /healthz')).toMatchObject({ ThrottlingRateLimit: 10 });
    // Every route setting names a route that exists.
    const keys = new Set(routesOf(synth).map((r) => r.routeKey));
    for (const key of Object.keys(platform.RouteSettings)) expect(keys.has(key), key).toBe(true);

    for (const environment of ['prod', 'test']) {
      const settings = stageSettings(synth, environment);
      const find = (path: string, method: string) => settings.find((s) => s.ResourcePath === path && s.HttpMethod === method);
      expect(find('/*', '*')).toMatchObject({ LoggingLevel: 'ERROR', ThrottlingRateLimit: 100, ThrottlingBurstLimit: 50 });
      expect(settings.filter((s) => s.ResourcePath === '/*')).toHaveLength(1);
      // One setting per method of the ANY routes, each with the stage's logging (deploy-settings.test.ts).
      for (const method of ['GET', 'POST', 'DELETE']) {
        expect(find('/~1{proxy+}', method)).toMatchObject({ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 500, LoggingLevel: 'ERROR' });
        expect(find('/', method)).toMatchObject({ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 500, LoggingLevel: 'ERROR' });
      }
      // No platform route is throttled on the runtime: it has none.
      expect([...new Set(settings.map((s) => s.ResourcePath))].sort()).toEqual(['/', '/*', '/~1{proxy+}']);
    }
  });

  it('logs every request of both APIs as JSON without query strings, headers or bodies', () => {
    const formats = [runtimeStage(synth, 'prod').AccessLogSetting.Format, runtimeStage(synth, 'test').AccessLogSetting.Format, platformStage(synth).AccessLogSettings.Format];
    for (const raw of formats) {
      const format = JSON.parse(raw);
      expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status', stage: '$context.stage', plane: expect.stringMatching(/^(platform|runtime)$/) });
      expect(raw).not.toMatch(/querystring|header|body|authorizer/i);
    }
    expect(JSON.parse(formats[2]).resource).toBe('$context.routeKey');
    expect(runtimeStage(synth, 'prod').TracingEnabled).toBe(false);
    synth.template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      BinaryMediaTypes: ['*/*'],
      EndpointConfiguration: { Types: ['REGIONAL'] },
      DisableExecuteApiEndpoint: false,
    });
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP', DisableExecuteApiEndpoint: false });
  });

  it('runs every function on nodejs22.x arm64 with JSON logs, its own log group and the typed environment', () => {
    const functions = synth.resources('AWS::Lambda::Function');
    expect(functions.map(([id]) => id.replace(/^(Functions|Events|Formulas)/, '').replace(/Function.*$/, '')).sort()).toEqual(FUNCTION_NAMES.map(cap).sort());
    for (const [id, fn] of functions) {
      if (/^Functions(Platform|Proxy)Function/.test(id)) expect(fn.Properties.MemorySize).toBe(1024);
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.stringMatching(/Logs/) } },
      });
      // API Gateway gives up on an integration after 29 s; no function behind it may run longer.
      if (id.startsWith('Functions')) expect(fn.Properties.Timeout).toBeLessThanOrEqual(29);
      expect(fn.Properties.TracingConfig).toBeUndefined();
      expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
      const env = fn.Properties.Environment.Variables;
      expect(env).toMatchObject({
        TOLLGATE_MODE: 'aws',
        TOLLGATE_STAGE: 'test',
        SECRET_PREFIX: 'tollgate/test/',
        TOLLGATE_ORG: 'default',
        TOKEN_LIFETIME_SECONDS: '3600',
        POWERTOOLS_SERVICE_NAME: 'tollgate',
      });
      // Source-mapped stack traces cost cold-start time; they are opt-in.
      expect(env.NODE_OPTIONS).toBeUndefined();
      expect(JSON.stringify(env.TABLE_NAME)).toContain('Table');
      // The issuer is the platform API's URL, built from its id, with no stage path (RFC 8414 discovery at the root).
      expect(JSON.stringify(env.TOLLGATE_ISSUER)).toMatch(/"https:\/\/",\{"Ref":"PlatformApi[0-9A-F]+"\},".execute-api."/);
      expect(JSON.stringify(env.TOLLGATE_ISSUER)).not.toContain('/test');
      // The runtime's URL per environment, for the management API's virtual host views.
      expect(JSON.stringify(env.TOLLGATE_RUNTIME_URLS)).toMatch(/"prod=https:\/\/",\{"Ref":"RuntimeApi[0-9A-F]+"\},".*\/prod,test=https:\/\//);
      expect(env.TOLLGATE_ADMIN_EMAIL).toBe('admin@localhost');
      expect(env.SECRETS_KMS_KEY_ID).toBeUndefined();
      // Every function may record an event, so every one knows where deliveries queue.
      expect(env.TOLLGATE_POLL_QUEUE_URL).toEqual({ Ref: expect.stringMatching(/^EventsPollQueue/) });
      expect(env.TOLLGATE_DELIVERY_QUEUE_URL).toEqual({ Ref: expect.stringMatching(/^EventsDeliveryQueue/) });
    }
    for (const [, group] of synth.resources('AWS::Logs::LogGroup')) expect(group.Properties.RetentionInDays).toBe(30);
  });

  it('gives the functions that buffer analytics the shutdown extension and saved Logs Insights queries over their records', () => {
    const layers = synth.resources('AWS::Lambda::LayerVersion');
    expect(layers).toHaveLength(1);
    expect(layers[0]![1].Properties).toMatchObject({ CompatibleArchitectures: ['arm64'], CompatibleRuntimes: ['nodejs22.x'] });
    for (const [id, fn] of synth.resources('AWS::Lambda::Function')) {
      const buffers = /^(Functions(Platform|Proxy)|FormulasFormulas)Function/.test(id);
      expect(Boolean(fn.Properties.Layers), id).toBe(buffers);
    }
    const queries = synth.resources('AWS::Logs::QueryDefinition').map(([, q]) => q.Properties);
    expect(queries.map((q) => q.Name).sort()).toEqual(['tollgate/analytics/calls-by-proxy', 'tollgate/analytics/connector-calls', 'tollgate/analytics/faults-by-policy', 'tollgate/analytics/slow-targets']);
    for (const query of queries) expect(query.QueryString).toContain('message = "analytics record"');
  });

  it('has the table on demand with PITR, deletion protection, encryption, TTL on expiresAt and gsi1, retained', () => {
    synth.template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        GlobalSecondaryIndexes: [
          Match.objectLike({
            IndexName: 'gsi1',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          }),
        ],
        Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true })],
      }),
    });
  });

  it('generates the platform secrets under the stage prefix and retains them', () => {
    for (const name of ['data-key', 'orgs/default/organization-secret', 'orgs/default/user-secret', 'admin-password']) {
      synth.template.hasResource('AWS::SecretsManager::Secret', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({
          Name: `tollgate/test/${name}`,
          GenerateSecretString: Match.objectLike({ PasswordLength: 48, ExcludePunctuation: true }),
          KmsKeyId: Match.absent(),
        }),
      });
    }
  });

  it('grants each function only its log group, the table and gsi1, and the stage secret prefix', () => {
    const tableArn = { 'Fn::GetAtt': [expect.stringMatching(/^Table/), 'Arn'] };
    const secretPattern = {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':secret:tollgate/test/*']],
    };
    // The web function may write its logs and nothing else.
    const web = statementsOf(synth, 'web');
    expect(web.flatMap(actionsOf)).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    const signingKeysPattern = {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':secret:tollgate/test/jwt-keys*']],
    };
    for (const name of DATA_FUNCTIONS) {
      const statements = statementsOf(synth, name);
      expect(JSON.stringify(statements)).not.toContain('"Resource":"*"');
      expect(statements.every((s) => s.Effect === 'Allow' && !s.NotAction && !s.NotResource)).toBe(true);
      const logs = statements.find((s) => actionsOf(s).includes('logs:PutLogEvents'))!;
      expect(logs.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${scopeOf(name)}${cap(name)}Logs`)), 'Arn'] });
      const table = statements.find((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')))!;
      expect(actionsOf(table).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
      expect(table.Resource).toEqual([tableArn, { 'Fn::Join': ['', [tableArn, '/index/gsi1']] }]);
      const secretStatements = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
      for (const statement of secretStatements) expect([secretPattern, signingKeysPattern]).toContainEqual(statement.Resource);
      const secretActions = secretStatements.flatMap(actionsOf);
      expect(secretActions).toContain('secretsmanager:GetSecretValue');
      const queueStatements = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
      expect(queueStatements.length > 0).toBe(QUEUE_FUNCTIONS.includes(name));
      const startStatements = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('states:')));
      expect(startStatements.length > 0).toBe(FORMULA_STARTERS.includes(name));
      // Every statement is one of the above: nothing else is granted.
      expect(statements.length).toBe(2 + secretStatements.length + queueStatements.length + startStatements.length);
    }
    // Only functions that create secrets may write them: the proxy runtime reads, and creates only the signing keys.
    const proxySecrets = statementsOf(synth, 'proxy').filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    expect(proxySecrets.filter((s) => s.Resource === secretPattern || JSON.stringify(s.Resource) === JSON.stringify(secretPattern)).flatMap(actionsOf)).toEqual(['secretsmanager:GetSecretValue']);
    expect(proxySecrets.filter((s) => JSON.stringify(s.Resource) === JSON.stringify(signingKeysPattern)).flatMap(actionsOf).sort()).toEqual(['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource']);
    expect(statementsOf(synth, 'platform').flatMap(actionsOf)).toEqual(
      expect.arrayContaining(['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:DeleteSecret', 'secretsmanager:TagResource']),
    );
  });

  it('runs connector events on a one-minute schedule, two queues with dead-letter queues, and roles that send and consume only their own', () => {
    const queueId = (name: string) => synth.resources('AWS::SQS::Queue').find(([id]) => id.startsWith(`Events${name}`))![0];
    const queueArn = (name: string) => ({ 'Fn::GetAtt': [queueId(name), 'Arn'] });
    const functionId = (name: string) => synth.resources('AWS::Lambda::Function').find(([id]) => id.startsWith(`Events${cap(name)}Function`))![0];

    const [, schedule] = synth.resources('AWS::Scheduler::Schedule')[0]!;
    expect(schedule.Properties).toMatchObject({ ScheduleExpression: 'rate(1 minute)', FlexibleTimeWindow: { Mode: 'OFF' }, State: 'ENABLED' });
    expect(schedule.Properties.Target).toMatchObject({ Arn: { 'Fn::GetAtt': [functionId('scheduler'), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } });
    // The schedule's role: assumed by EventBridge Scheduler for this account only, may invoke the scheduler function and nothing else.
    const scheduleRoleId = schedule.Properties.Target.RoleArn['Fn::GetAtt'][0] as string;
    const [, scheduleRole] = synth.resources('AWS::IAM::Role').find(([id]) => id === scheduleRoleId)!;
    expect(scheduleRole.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } }),
    ]);
    const scheduleStatements = synth.resources('AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(`"${scheduleRoleId}"`)).flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
    expect(scheduleStatements).toEqual([expect.objectContaining({ Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [functionId('scheduler'), 'Arn'] } })]);

    // Each queue: encrypted, TLS only, five receives then its dead-letter queue; visible again only after the consumer's timeout six times over.
    const queues = Object.fromEntries(synth.resources('AWS::SQS::Queue').map(([id, q]) => [id, q.Properties]));
    expect(Object.keys(queues)).toHaveLength(4);
    for (const queue of Object.values(queues)) expect(queue.SqsManagedSseEnabled).toBe(true);
    for (const [name, consumer] of [['Poll', 'poller'], ['Delivery', 'delivery']] as const) {
      expect(queues[queueId(`${name}Queue`)]).toMatchObject({ RedrivePolicy: { deadLetterTargetArn: queueArn(`${name}DeadLetters`), maxReceiveCount: 5 }, VisibilityTimeout: EVENT_FUNCTIONS[consumer].timeout.toSeconds() * 6 });
      expect(queues[queueId(`${name}DeadLetters`)]).toMatchObject({ MessageRetentionPeriod: 14 * 86_400 });
    }
    for (const [, policy] of synth.resources('AWS::SQS::QueuePolicy')) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]);
    }
    expect(synth.resources('AWS::SQS::QueuePolicy')).toHaveLength(4);
    // A poll run never outlives the lease that keeps a second run off the instance.
    expect(EVENT_FUNCTIONS.poller.timeout.toMilliseconds()).toBeLessThan(POLL_LEASE_MS);

    // One message per invocation, failures reported one by one.
    const mappings = synth.resources('AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties);
    expect(mappings).toHaveLength(2);
    for (const [queue, consumer] of [['PollQueue', 'poller'], ['DeliveryQueue', 'delivery']]) {
      expect(mappings).toContainEqual(expect.objectContaining({ EventSourceArn: queueArn(queue!), FunctionName: { Ref: functionId(consumer!) }, BatchSize: 1, FunctionResponseTypes: ['ReportBatchItemFailures'] }));
    }

    // Who may send where, and who may consume what.
    const queueAccess = (name: string) =>
      statementsOf(synth, name)
        .filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')))
        .map((s) => ({ actions: actionsOf(s).sort(), resources: [s.Resource].flat() }));
    const send = (...queues: string[]) => ({ actions: ['sqs:SendMessage'], resources: queues.map(queueArn) });
    const consume = (queue: string) => ({ actions: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'], resources: [queueArn(queue)] });
    expect(queueAccess('scheduler')).toEqual([send('PollQueue', 'DeliveryQueue')]);
    expect(queueAccess('poller')).toEqual(expect.arrayContaining([consume('PollQueue'), send('DeliveryQueue')]));
    expect(queueAccess('poller')).toHaveLength(2);
    expect(queueAccess('delivery')).toEqual(expect.arrayContaining([consume('DeliveryQueue'), send('DeliveryQueue')]));
    expect(queueAccess('delivery')).toHaveLength(2);
    expect(queueAccess('platform')).toEqual([send('DeliveryQueue')]);
    for (const name of ['proxy', 'token', 'callback', 'web']) expect(queueAccess(name)).toEqual([]);
  });

  it('alarms on API 5xx rate and throttling, per-function errors, throttles and p99, and table throttles', () => {
    const alarms = synth.resources('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const names = alarms.map((a) => a.AlarmName);
    const expected = ['platform', 'runtime'].flatMap((plane) => [`tollgate-test-${plane}-api-5xx-rate`, `tollgate-test-${plane}-api-throttled`]);
    expected.push('tollgate-test-table-throttles');
    for (const name of FUNCTION_NAMES) expected.push(`tollgate-test-${name}-errors`, `tollgate-test-${name}-throttles`, `tollgate-test-${name}-duration-p99`);
    expected.push('tollgate-test-poll-queue-dead-letters', 'tollgate-test-delivery-queue-dead-letters');
    expect(names.sort()).toEqual(expected.sort());
    const topic = synth.resources('AWS::SNS::Topic')[0]![0];
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topic }]);
      expect(alarm.OKActions).toEqual([{ Ref: topic }]);
      expect(alarm.TreatMissingData).toBe('notBreaching');
    }
    const byName = (name: string) => alarms.find((a) => a.AlarmName === name)!;
    expect(byName('tollgate-test-proxy-duration-p99')).toMatchObject({ MetricName: 'Duration', ExtendedStatistic: 'p99', Threshold: 5000 });
    const rate = byName('tollgate-test-runtime-api-5xx-rate');
    expect(rate.Threshold).toBe(2);
    expect(JSON.stringify(rate.Metrics)).toContain('IF(requests >= 20, 100 * errors / requests, 0)');
    expect(JSON.stringify(rate.Metrics)).toContain('"5XXError"');
    // The HTTP API publishes its own metric names.
    expect(JSON.stringify(byName('tollgate-test-platform-api-5xx-rate').Metrics)).toContain('"5xx"');
    const table = JSON.stringify(byName('tollgate-test-table-throttles').Metrics);
    for (const metric of ['ReadThrottleEvents', 'WriteThrottleEvents', 'gsi1']) expect(table).toContain(metric);
    // API Gateway has no metric for its own 429s: a metric filter counts them in the access log.
    synth.template.resourcePropertiesCountIs(
      'AWS::Logs::MetricFilter',
      { FilterPattern: '{ $.status = "429" }', MetricTransformations: [Match.objectLike({ MetricNamespace: 'Tollgate', MetricName: 'ApiThrottled', Dimensions: [{ Key: 'plane', Value: '$.plane' }] })] },
      2,
    );
    synth.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.absent() });
    synth.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('has a dashboard covering the API, every function with its own metrics, and the table', () => {
    const [, dashboard] = synth.resources('AWS::CloudWatch::Dashboard')[0]!;
    expect(dashboard.Properties.DashboardName).toBe('Tollgate-test');
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const name of FUNCTION_NAMES) {
      expect(body).toContain(`${name}: duration`);
      expect(body).toContain(`\\"Tollgate\\",\\"Requests\\",\\"function\\",\\"${name}\\",\\"service\\",\\"tollgate\\"`);
    }
    for (const part of ['Dead-letter queues', 'platform API latency', 'runtime API latency', 'platform API 5xx %', 'runtime API 5xx %', 'Table throttles', 'ConsumedReadCapacityUnits', 'ApiThrottled', 'alarms']) expect(body).toContain(part);
  });

  it('outputs the URLs an operator needs and the secret ARNs', () => {
    const outputs = synth.template.toJSON().Outputs as Record<string, { Value: Json }>;
    const value = (name: string) => JSON.stringify(outputs[name]?.Value);
    expect(value('PlatformUrl')).toMatch(/PlatformApi.*\/"\]\]\}$/);
    expect(value('RuntimeProdUrl')).toMatch(/RuntimeApi.*\/prod\/"\]\]\}$/);
    expect(value('RuntimeTestUrl')).toMatch(/RuntimeApi.*\/test\/"\]\]\}$/);
    expect(value('TokenUrl')).toMatch(/com\/oauth\/token"\]\]\}$|\/oauth\/token"\]\]\}$/);
    expect(value('TokenUrl')).not.toContain('/test');
    expect(value('JwksUrl')).toMatch(/\/\.well-known\/jwks\.json"\]\]\}$/);
    expect(value('CallbackUrl')).toMatch(/\/elements\/api-v2\/oauth\/callback"\]\]\}$/);
    for (const [output, secret] of [
      ['DataKeySecretArn', 'DataKey'],
      ['OrganizationSecretArn', 'OrganizationSecret'],
      ['UserSecretArn', 'UserSecret'],
      ['AdminPasswordSecretArn', 'AdminPassword'],
    ]) {
      expect(outputs[output!]!.Value).toEqual({ Ref: expect.stringMatching(new RegExp(`^${secret}[0-9A-F]{8}$`)) });
    }
    for (const name of ['TableName', 'AlarmTopicArn', 'DashboardUrl']) expect(outputs[name]).toBeDefined();
  });
});

describe('the stack with every option', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize(
      {
        'tollgate:stage': 'dev',
        'tollgate:encryption': 'customer-managed',
        'tollgate:tracing': 'true',
        'tollgate:sourceMapStackTraces': 'true',
        'tollgate:retainData': 'false',
        'tollgate:logRetentionDays': '90',
        'tollgate:allowedRedirectOrigins': 'https://app.example.com,http://localhost:3000',
        'tollgate:tokenLifetimeSeconds': '900',
        'tollgate:tokenAudience': 'https://api.example.com',
        'tollgate:domainName': 'api.example.com',
        'tollgate:certificateArn': 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
        'tollgate:hostedZoneId': 'Z0123456789ABC',
        'tollgate:hostedZoneName': 'example.com',
        'tollgate:disableExecuteApiEndpoint': 'true',
        'tollgate:runtimeDomains': '{"prod": "gw.example.com", "test": "gw-test.example.com"}',
        'tollgate:runtimeCertificateArn': 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
        'tollgate:adminEmail': 'ops@example.com',
        'tollgate:webAclArn': 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/tollgate/0a1b2c3d',
        'tollgate:alarmEmail': 'ops@example.com',
        'tollgate:alarms': '{"durationP99Ms": 60000, "serverErrorRatePercent": 5}',
        'tollgate:functions': '{"proxy": {"memorySize": 2048, "timeoutSeconds": 10, "reservedConcurrency": 50}}',
        'tollgate:throttles': '{"/v1/{proxy+}/*": {"rateLimit": 7, "burstLimit": 3}, "default": {"rateLimit": 20, "burstLimit": 10}}',
        'tollgate:usagePlan': '{"resources": ["/{proxy+}", "/"], "rateLimit": 10, "burstLimit": 20, "quota": {"limit": 10000, "period": "DAY"}}',
      },
      { account: '123456789012', region: 'eu-west-1' },
    );
  }, 60_000);

  it('still passes cdk-nag, acknowledging only what tracing adds', () => {
    expect(synth.error).toBeUndefined();
    // The WAF association satisfies APIG3; no acknowledgement is left for it.
    expect(synth.acknowledgements.map((a) => a.ruleName)).not.toContain('AwsSolutions-APIG3');
    const wildcard = synth.acknowledgements.filter((a) => a.ruleName === 'AwsSolutions-IAM5[Resource::*]');
    // One per function and the formulas state machine's role (its log delivery too).
    expect(wildcard).toHaveLength(FUNCTION_NAMES.length + 1);
    for (const name of FUNCTION_NAMES) {
      const star = statementsOf(synth, name).filter((s) => s.Resource === '*');
      expect(star.flatMap(actionsOf).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    }
  });

  it('encrypts the table, secrets and alarm topic with one rotating customer managed key, used only through DynamoDB and Secrets Manager', () => {
    const [keyId, key] = synth.resources('AWS::KMS::Key')[0]!;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    const keyArn = { 'Fn::GetAtt': [keyId, 'Arn'] };
    synth.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [Match.objectLike({ SSESpecification: { KMSMasterKeyId: keyArn } })],
    });
    for (const [, secret] of synth.resources('AWS::SecretsManager::Secret')) expect(secret.Properties.KmsKeyId).toEqual(keyArn);
    synth.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: keyArn });
    const cloudwatch = key.Properties.KeyPolicy.Statement.find((s: Json) => s.Principal?.Service === 'cloudwatch.amazonaws.com');
    expect(cloudwatch.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(JSON.stringify(cloudwatch.Condition.ArnLike)).toContain(':alarm:tollgate-dev-*');
    expect(statementsOf(synth, 'web').flatMap(actionsOf).filter((a) => a.startsWith('kms:'))).toEqual([]);
    for (const name of DATA_FUNCTIONS) {
      const kms = statementsOf(synth, name).filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));
      expect(kms).toHaveLength(QUEUE_FUNCTIONS.includes(name) ? 2 : 1);
      for (const statement of kms) expect(statement.Resource).toEqual(keyArn);
      expect(actionsOf(kms[0]).sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']);
      expect(JSON.stringify(kms[0].Condition)).toMatch(/kms:ViaService.*dynamodb\..*secretsmanager\./);
      // The queues' messages: only through SQS, and only what sending and receiving need.
      if (kms[1]) {
        expect(actionsOf(kms[1]).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
        expect(kms[1].Condition).toEqual({ StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['sqs.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] } } });
      }
    }
    for (const [, queue] of synth.resources('AWS::SQS::Queue')) expect(queue.Properties.KmsMasterKeyId).toEqual(keyArn);
    for (const [, fn] of synth.resources('AWS::Lambda::Function')) expect(fn.Properties.Environment.Variables.SECRETS_KMS_KEY_ID).toEqual(keyArn);
  });

  it('deletes data with the stack when told to', () => {
    synth.template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })] }),
    });
    for (const [, secret] of synth.resources('AWS::SecretsManager::Secret')) expect(secret.DeletionPolicy).toBe('Delete');
  });

  it('serves the platform\'s custom domain, with its DNS record, as the issuer and in every URL output, and each runtime environment at its own', () => {
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'api.example.com',
      DomainNameConfigurations: [
        Match.objectLike({ CertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789', EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }),
      ],
    });
    synth.template.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    synth.template.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'api.example.com.', Type: 'A', HostedZoneId: 'Z0123456789ABC' });
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: true });
    for (const name of ['gw.example.com', 'gw-test.example.com']) {
      synth.template.hasResourceProperties('AWS::ApiGateway::DomainName', {
        DomainName: name,
        RegionalCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
        EndpointConfiguration: { Types: ['REGIONAL'] },
        SecurityPolicy: 'TLS_1_2',
      });
    }
    synth.template.resourceCountIs('AWS::ApiGateway::BasePathMapping', 2);
    synth.template.hasResourceProperties('AWS::ApiGateway::RestApi', { DisableExecuteApiEndpoint: true });
    const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.TokenUrl!.Value).toBe('https://api.example.com/oauth/token');
    expect(outputs.JwksUrl!.Value).toBe('https://api.example.com/.well-known/jwks.json');
    expect(outputs.CallbackUrl!.Value).toBe('https://api.example.com/elements/api-v2/oauth/callback');
    expect(outputs.CustomDomainTarget).toBeDefined();
    expect(outputs.RuntimeProdUrl!.Value).toBe('https://gw.example.com/');
    expect(outputs.RuntimeTestUrl!.Value).toBe('https://gw-test.example.com/');
    expect(outputs.RuntimeProdDomainTarget).toBeDefined();
    for (const [, fn] of synth.resources('AWS::Lambda::Function')) {
      expect(fn.Properties.Environment.Variables).toMatchObject({
        TOLLGATE_ISSUER: 'https://api.example.com',
        TOLLGATE_RUNTIME_URLS: 'prod=https://gw.example.com,test=https://gw-test.example.com',
        TOLLGATE_ADMIN_EMAIL: 'ops@example.com',
        TOLLGATE_STAGE: 'dev',
        SECRET_PREFIX: 'tollgate/dev/',
        TOLLGATE_ALLOWED_REDIRECT_ORIGINS: 'https://app.example.com,http://localhost:3000',
        TOKEN_LIFETIME_SECONDS: '900',
        TOKEN_AUDIENCE: 'https://api.example.com',
        NODE_OPTIONS: '--enable-source-maps',
      });
    }
  });

  it('applies per-function settings, tracing and log retention', () => {
    const proxy = synth.resources('AWS::Lambda::Function').find(([id]) => id.startsWith('FunctionsProxyFunction'))![1].Properties;
    expect(proxy).toMatchObject({ MemorySize: 2048, Timeout: 10, ReservedConcurrentExecutions: 50, TracingConfig: { Mode: 'Active' } });
    const platform = synth.resources('AWS::Lambda::Function').find(([id]) => id.startsWith('FunctionsPlatformFunction'))![1].Properties;
    expect(platform).toMatchObject({ MemorySize: 1024, Timeout: 29 });
    expect(platform.ReservedConcurrentExecutions).toBeUndefined();
    for (const environment of ['prod', 'test']) expect(runtimeStage(synth, environment).TracingEnabled).toBe(true);
    for (const [, group] of synth.resources('AWS::Logs::LogGroup')) expect(group.Properties.RetentionInDays).toBe(90);
    // The p99 alarm never exceeds 80 % of the function's timeout.
    const alarms = synth.resources('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    expect(alarms.find((a) => a.AlarmName === 'tollgate-dev-proxy-duration-p99')!.Threshold).toBe(8000);
    expect(alarms.find((a) => a.AlarmName === 'tollgate-dev-platform-duration-p99')!.Threshold).toBe(23200);
    expect(alarms.find((a) => a.AlarmName === 'tollgate-dev-runtime-api-5xx-rate')!.Threshold).toBe(5);
    synth.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });

  it('takes throttle overrides and the stage defaults from settings', () => {
    const platform = platformStage(synth);
    expect(platform.RouteSettings['ANY /v1/{proxy+}']).toMatchObject({ ThrottlingRateLimit: 7, ThrottlingBurstLimit: 3 });
    expect(platform.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 10 });
    for (const environment of ['prod', 'test']) {
      expect(stageSettings(synth, environment).find((s) => s.ResourcePath === '/*')).toMatchObject({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 10, LoggingLevel: 'ERROR' });
    }
  });

  it('puts the proxy routes behind API keys of the usage plan, and nothing else', () => {
    const methods = methodsOf(synth);
    expect(methods.filter((m) => m.apiKeyRequired).map((m) => m.path).sort()).toEqual(['/', '/{proxy+}']);
    synth.template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 10, BurstLimit: 20 },
      Quota: { Limit: 10000, Period: 'DAY' },
      ApiStages: [Match.objectLike({ Stage: Match.anyValue() }), Match.objectLike({ Stage: Match.anyValue() })],
    });
    expect(synth.template.toJSON().Outputs.UsagePlanId).toBeDefined();
  });

  it('associates the WAF web ACL with every runtime stage', () => {
    const associations = synth.resources('AWS::WAFv2::WebACLAssociation');
    expect(associations).toHaveLength(2);
    for (const [, association] of associations) {
      expect(association.Properties.WebACLArn).toBe('arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/tollgate/0a1b2c3d');
      expect(JSON.stringify(association.Properties.ResourceArn)).toContain('/stages/');
    }
  });
});
