// The CDK stack, synthesized offline with cdk-nag: what a security review and
// an operator look for. One synth with the defaults, one with every option on.
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_THROTTLES } from '../../infra/config.js';
import { API_ROUTES } from '../../shared/http/api-routes.js';
import { synthesize, type Synthesized } from '../support/synth.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const FUNCTION_NAMES = [...new Set(API_ROUTES.map((route) => route.function))];
/** Functions that use the table and the secrets (the web function only serves files). */
const DATA_FUNCTIONS = FUNCTION_NAMES.filter((name) => name !== 'web');
const cap = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/** `{resource}` path of every API Gateway method, with the logical id of the function it invokes. */
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
  const roleId = synth.resources('AWS::IAM::Role').find(([id]) => id.startsWith(`${cap(name)}Role`))![0];
  return synth
    .resources('AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
}

const actionsOf = (statement: Json): string[] => [statement.Action].flat();

function stageSettings(synth: Synthesized): Json[] {
  return synth.resources('AWS::ApiGateway::Stage')[0]![1].Properties.MethodSettings;
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
    expect(iam5.map((ack) => ack.ruleName)).toEqual(
      DATA_FUNCTIONS.map(() => 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:tollgate/test/*]'),
    );
  });

  it('wires every route of the route table to its function', () => {
    const methods = methodsOf(synth);
    expect(methods).toHaveLength(API_ROUTES.reduce((n, route) => n + route.methods.length, 0));
    for (const route of API_ROUTES) {
      for (const method of route.methods) {
        const found = methods.find((m) => m.path === route.resource && m.method === method);
        expect(found, `${method} ${route.resource}`).toBeDefined();
        expect(found!.functionId.startsWith(`${cap(route.function)}Function`), `${method} ${route.resource} -> ${route.function}`).toBe(true);
        expect(found!.apiKeyRequired).toBe(false);
      }
    }
    // The route families: management, SAP compatibility, connectors, health, and the proxy catch-all on the root.
    const families = new Set(methods.map((m) => m.path));
    for (const family of ['/v1/{proxy+}', '/apiportal/{proxy+}', '/elements/{proxy+}', '/healthz', '/{proxy+}', '/']) expect(families).toContain(family);
    expect(methods.filter((m) => m.path === '/{proxy+}' || m.path === '/').map((m) => m.method)).toEqual(['ANY', 'ANY']);
  });

  it('throttles each route at the stage, with the stage default beside the logging level', () => {
    const settings = stageSettings(synth);
    const find = (path: string, method: string) => settings.find((s) => s.ResourcePath === path && s.HttpMethod === method);
    expect(find('/*', '*')).toMatchObject({ LoggingLevel: 'ERROR', ThrottlingRateLimit: 100, ThrottlingBurstLimit: 50 });
    expect(settings.filter((s) => s.ResourcePath === '/*')).toHaveLength(1);
    expect(find('/~1v1~1{proxy+}', '*')).toMatchObject({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 25 });
    expect(find('/~1elements~1{proxy+}', '*')).toMatchObject({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 50 });
    expect(find('/~1apiportal~1{proxy+}', '*')).toMatchObject({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 10 });
    expect(find('/~1{proxy+}', '*')).toMatchObject({ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 500 });
    expect(find('/', '*')).toMatchObject({ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 500 });
    // Token and callback routes get theirs as soon as the route table has them, never before (API
    // Gateway refuses method settings for methods that do not exist).
    const has = (resource: string, method: string) => API_ROUTES.some((r) => r.resource === resource && r.methods.includes(method));
    expect(find('/~1oauth~1token', 'POST')?.ThrottlingRateLimit).toBe(has('/oauth/token', 'POST') ? DEFAULT_THROTTLES['/oauth/token/POST']!.rateLimit : undefined);
    expect(find('/~1elements~1api-v2~1oauth~1callback', 'GET')?.ThrottlingRateLimit).toBe(
      has('/elements/api-v2/oauth/callback', 'GET') ? DEFAULT_THROTTLES['/elements/api-v2/oauth/callback/GET']!.rateLimit : undefined,
    );
    // Every per-method setting names a method that exists.
    const methods = methodsOf(synth);
    for (const setting of settings.filter((s) => s.ResourcePath !== '/*')) {
      const path = setting.ResourcePath === '/' ? '/' : setting.ResourcePath.slice(1).replaceAll('~1', '/');
      expect(methods.some((m) => m.path === path && (setting.HttpMethod === '*' || m.method === setting.HttpMethod)), path).toBe(true);
    }
  });

  it('logs every request as JSON without query strings, headers or bodies', () => {
    const stage = synth.resources('AWS::ApiGateway::Stage')[0]![1].Properties;
    const format = JSON.parse(stage.AccessLogSetting.Format);
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status', resource: '$context.resourcePath', stage: '$context.stage' });
    expect(stage.AccessLogSetting.Format).not.toMatch(/querystring|header|body|authorizer/i);
    expect(stage.TracingEnabled).toBe(false);
    synth.template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      BinaryMediaTypes: ['*/*'],
      EndpointConfiguration: { Types: ['REGIONAL'] },
      DisableExecuteApiEndpoint: false,
    });
  });

  it('runs every function on nodejs22.x arm64 with JSON logs, its own log group and the typed environment', () => {
    const functions = synth.resources('AWS::Lambda::Function');
    expect(functions.map(([id]) => id.replace(/Function.*$/, '')).sort()).toEqual(FUNCTION_NAMES.map(cap).sort());
    for (const [id, fn] of functions) {
      if (/^(Platform|Proxy)Function/.test(id)) expect(fn.Properties.MemorySize).toBe(1024);
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.stringMatching(/Logs/) } },
      });
      // API Gateway gives up on an integration after 29 s; no function may run longer.
      expect(fn.Properties.Timeout).toBeLessThanOrEqual(29);
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
      // The issuer is the stage URL, built from the API id (not api.url, which would be circular).
      expect(JSON.stringify(env.TOLLGATE_ISSUER)).toMatch(/"https:\/\/",\{"Ref":"Api[0-9A-F]+"\},".execute-api."/);
      expect(JSON.stringify(env.TOLLGATE_ISSUER)).toContain('"/test"');
      expect(env.SECRETS_KMS_KEY_ID).toBeUndefined();
    }
    for (const [, group] of synth.resources('AWS::Logs::LogGroup')) expect(group.Properties.RetentionInDays).toBe(30);
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
    for (const name of ['data-key', 'orgs/default/organization-secret', 'orgs/default/user-secret']) {
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
    for (const name of DATA_FUNCTIONS) {
      const statements = statementsOf(synth, name);
      expect(JSON.stringify(statements)).not.toContain('"Resource":"*"');
      expect(statements.every((s) => s.Effect === 'Allow' && !s.NotAction && !s.NotResource)).toBe(true);
      const logs = statements.find((s) => actionsOf(s).includes('logs:PutLogEvents'))!;
      expect(logs.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${cap(name)}Logs`)), 'Arn'] });
      const table = statements.find((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')))!;
      expect(actionsOf(table).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
      expect(table.Resource).toEqual([tableArn, { 'Fn::Join': ['', [tableArn, '/index/gsi1']] }]);
      const secretStatements = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
      for (const statement of secretStatements) expect(statement.Resource).toEqual(secretPattern);
      const secretActions = secretStatements.flatMap(actionsOf);
      expect(secretActions).toContain('secretsmanager:GetSecretValue');
      // Every statement is one of the above: nothing else is granted.
      expect(statements.length).toBe(2 + secretStatements.length);
    }
    // Only functions that create secrets may write them: the proxy runtime only reads.
    expect(statementsOf(synth, 'proxy').flatMap(actionsOf).filter((a) => a.startsWith('secretsmanager:'))).toEqual(['secretsmanager:GetSecretValue']);
    expect(statementsOf(synth, 'platform').flatMap(actionsOf)).toEqual(
      expect.arrayContaining(['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:DeleteSecret', 'secretsmanager:TagResource']),
    );
  });

  it('alarms on API 5xx rate and throttling, per-function errors, throttles and p99, and table throttles', () => {
    const alarms = synth.resources('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const names = alarms.map((a) => a.AlarmName);
    const expected = ['tollgate-test-api-5xx-rate', 'tollgate-test-api-throttled', 'tollgate-test-table-throttles'];
    for (const name of FUNCTION_NAMES) expected.push(`tollgate-test-${name}-errors`, `tollgate-test-${name}-throttles`, `tollgate-test-${name}-duration-p99`);
    expect(names.sort()).toEqual(expected.sort());
    const topic = synth.resources('AWS::SNS::Topic')[0]![0];
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topic }]);
      expect(alarm.OKActions).toEqual([{ Ref: topic }]);
      expect(alarm.TreatMissingData).toBe('notBreaching');
    }
    const byName = (name: string) => alarms.find((a) => a.AlarmName === name)!;
    expect(byName('tollgate-test-proxy-duration-p99')).toMatchObject({ MetricName: 'Duration', ExtendedStatistic: 'p99', Threshold: 5000 });
    const rate = byName('tollgate-test-api-5xx-rate');
    expect(rate.Threshold).toBe(2);
    expect(JSON.stringify(rate.Metrics)).toContain('IF(requests >= 20, 100 * errors / requests, 0)');
    expect(JSON.stringify(rate.Metrics)).toContain('"5XXError"');
    const table = JSON.stringify(byName('tollgate-test-table-throttles').Metrics);
    for (const metric of ['ReadThrottleEvents', 'WriteThrottleEvents', 'gsi1']) expect(table).toContain(metric);
    // API Gateway has no metric for its own 429s: a metric filter counts them in the access log.
    synth.template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.status = "429" }',
      MetricTransformations: [Match.objectLike({ MetricNamespace: 'Tollgate', MetricName: 'ApiThrottled' })],
    });
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
    for (const part of ['API latency', 'API 5xx %', 'Table throttles', 'ConsumedReadCapacityUnits', 'ApiThrottled', 'alarms']) expect(body).toContain(part);
  });

  it('outputs the URLs an operator needs and the secret ARNs', () => {
    const outputs = synth.template.toJSON().Outputs as Record<string, { Value: Json }>;
    const value = (name: string) => JSON.stringify(outputs[name]?.Value);
    expect(value('ApiUrl')).toMatch(/\/test\/"\]\]\}$/);
    expect(value('TokenUrl')).toMatch(/\/test\/oauth\/token"\]\]\}$/);
    expect(value('JwksUrl')).toMatch(/\/test\/\.well-known\/jwks\.json"\]\]\}$/);
    expect(value('CallbackUrl')).toMatch(/\/test\/elements\/api-v2\/oauth\/callback"\]\]\}$/);
    for (const [output, secret] of [
      ['DataKeySecretArn', 'DataKey'],
      ['OrganizationSecretArn', 'OrganizationSecret'],
      ['UserSecretArn', 'UserSecret'],
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
    expect(wildcard).toHaveLength(FUNCTION_NAMES.length);
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
      expect(kms).toHaveLength(1);
      expect(kms[0].Resource).toEqual(keyArn);
      expect(actionsOf(kms[0]).sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']);
      expect(JSON.stringify(kms[0].Condition)).toMatch(/kms:ViaService.*dynamodb\..*secretsmanager\./);
    }
    for (const [, fn] of synth.resources('AWS::Lambda::Function')) expect(fn.Properties.Environment.Variables.SECRETS_KMS_KEY_ID).toEqual(keyArn);
  });

  it('deletes data with the stack when told to', () => {
    synth.template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })] }),
    });
    for (const [, secret] of synth.resources('AWS::SecretsManager::Secret')) expect(secret.DeletionPolicy).toBe('Delete');
  });

  it('serves the custom domain, with its DNS record, as the issuer and in every URL output', () => {
    synth.template.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'api.example.com',
      RegionalCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
      EndpointConfiguration: { Types: ['REGIONAL'] },
      SecurityPolicy: 'TLS_1_2',
    });
    synth.template.resourceCountIs('AWS::ApiGateway::BasePathMapping', 1);
    synth.template.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'api.example.com.', Type: 'A', HostedZoneId: 'Z0123456789ABC' });
    synth.template.hasResourceProperties('AWS::ApiGateway::RestApi', { DisableExecuteApiEndpoint: true });
    const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.TokenUrl!.Value).toBe('https://api.example.com/oauth/token');
    expect(outputs.JwksUrl!.Value).toBe('https://api.example.com/.well-known/jwks.json');
    expect(outputs.CallbackUrl!.Value).toBe('https://api.example.com/elements/api-v2/oauth/callback');
    expect(outputs.CustomDomainTarget).toBeDefined();
    for (const [, fn] of synth.resources('AWS::Lambda::Function')) {
      expect(fn.Properties.Environment.Variables).toMatchObject({
        TOLLGATE_ISSUER: 'https://api.example.com',
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
    const proxy = synth.resources('AWS::Lambda::Function').find(([id]) => id.startsWith('ProxyFunction'))![1].Properties;
    expect(proxy).toMatchObject({ MemorySize: 2048, Timeout: 10, ReservedConcurrentExecutions: 50, TracingConfig: { Mode: 'Active' } });
    const platform = synth.resources('AWS::Lambda::Function').find(([id]) => id.startsWith('PlatformFunction'))![1].Properties;
    expect(platform).toMatchObject({ MemorySize: 1024, Timeout: 29 });
    expect(platform.ReservedConcurrentExecutions).toBeUndefined();
    expect(synth.resources('AWS::ApiGateway::Stage')[0]![1].Properties.TracingEnabled).toBe(true);
    for (const [, group] of synth.resources('AWS::Logs::LogGroup')) expect(group.Properties.RetentionInDays).toBe(90);
    // The p99 alarm never exceeds 80 % of the function's timeout.
    const alarms = synth.resources('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    expect(alarms.find((a) => a.AlarmName === 'tollgate-dev-proxy-duration-p99')!.Threshold).toBe(8000);
    expect(alarms.find((a) => a.AlarmName === 'tollgate-dev-platform-duration-p99')!.Threshold).toBe(23200);
    expect(alarms.find((a) => a.AlarmName === 'tollgate-dev-api-5xx-rate')!.Threshold).toBe(5);
    synth.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });

  it('takes throttle overrides and the stage default from settings', () => {
    const settings = stageSettings(synth);
    expect(settings.find((s) => s.ResourcePath === '/~1v1~1{proxy+}')).toMatchObject({ ThrottlingRateLimit: 7, ThrottlingBurstLimit: 3 });
    expect(settings.find((s) => s.ResourcePath === '/*')).toMatchObject({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 10, LoggingLevel: 'ERROR' });
  });

  it('puts the proxy routes behind API keys of the usage plan, and nothing else', () => {
    const methods = methodsOf(synth);
    expect(methods.filter((m) => m.apiKeyRequired).map((m) => m.path).sort()).toEqual(['/', '/{proxy+}']);
    synth.template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 10, BurstLimit: 20 },
      Quota: { Limit: 10000, Period: 'DAY' },
      ApiStages: [Match.objectLike({ Stage: Match.anyValue() })],
    });
    expect(synth.template.toJSON().Outputs.UsagePlanId).toBeDefined();
  });

  it('associates the WAF web ACL with the stage', () => {
    const [, association] = synth.resources('AWS::WAFv2::WebACLAssociation')[0]!;
    expect(association.Properties.WebACLArn).toBe('arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/tollgate/0a1b2c3d');
    expect(JSON.stringify(association.Properties.ResourceArn)).toContain('/stages/');
  });
});
