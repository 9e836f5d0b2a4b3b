// The Tollgate stack: one DynamoDB table, the platform secrets, one Lambda
// function per entry in functions/, and a REST API wired from the same route
// table the local server uses (shared/http/api-routes.ts). Everything below
// FUNCTIONS loops over it and over API_ROUTES, so a new function or route is
// bundled, granted, throttled, alarmed and graphed without further edits.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, Token, Validations, type StackProps } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { API_ROUTES, type FunctionName } from '../shared/http/api-routes.js';
import { TABLE_KEYS } from '../shared/store/schema.js';
import { KMS_ACTIONS, SECRET_READ_ACTIONS, SECRET_WRITE_ACTIONS, TABLE_ACTIONS } from './access.js';
import { BUNDLE_ASSETS, BUNDLING } from './bundling.js';
import { SettingsError, type StackSettings } from './config.js';
import { functionEnvironment, secretPrefix as prefixOf } from './environment.js';
import { Observability } from './observability.js';
import { methodThrottles, usagePlanRoutes } from './routes.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface FunctionSpec {
  memorySize: number;
  timeout: Duration;
  description: string;
  /** Creates or updates secrets at run time (JWT keys, provider credentials). */
  writesSecrets: boolean;
}

const FUNCTIONS: Record<FunctionName, FunctionSpec> = {
  platform: { memorySize: 1024, timeout: Duration.seconds(29), description: 'Management and connectors API', writesSecrets: true },
  proxy: { memorySize: 1024, timeout: Duration.seconds(29), description: 'API proxy runtime', writesSecrets: false },
  token: { memorySize: 1024, timeout: Duration.seconds(15), description: 'OAuth 2.0 token service', writesSecrets: true },
  callback: { memorySize: 512, timeout: Duration.seconds(29), description: 'Hosted OAuth callback for connector instances', writesSecrets: false },
};

export interface TollgateStackProps extends StackProps {
  settings: StackSettings;
}

/** Fixed public paths, published as stack outputs. */
export const PUBLIC_PATHS = {
  token: '/oauth/token',
  jwks: '/.well-known/jwks.json',
  callback: '/elements/api-v2/oauth/callback',
} as const;

export class TollgateStack extends Stack {
  readonly api: apigateway.RestApi;
  readonly table: dynamodb.TableV2;
  readonly functions: Record<FunctionName, nodejs.NodejsFunction>;
  readonly observability: Observability;
  /** Public base URL (no trailing slash): the custom domain, else the stage's execute-api URL. */
  readonly baseUrl: string;

  constructor(scope: Construct, id: string, props: TollgateStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const removalPolicy = settings.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const secretPrefix = prefixOf(settings);
    for (const name of Object.keys(settings.functions)) {
      if (!(name in FUNCTIONS)) throw new SettingsError(`tollgate:functions.${name}: no such function; functions: ${Object.keys(FUNCTIONS).join(', ')}`);
    }

    // One customer managed key for the table, the secrets and the alarm topic, when asked for.
    const key =
      settings.encryption === 'customer-managed'
        ? new kms.Key(this, 'EncryptionKey', {
            alias: `alias/tollgate-${settings.stage}`,
            description: `Tollgate ${settings.stage}: table, secrets and alarm topic`,
            enableKeyRotation: true,
            removalPolicy,
          })
        : undefined;
    if (key && Token.isUnresolved(this.region)) {
      throw new SettingsError('tollgate:encryption=customer-managed needs the stack region: deploy with a region configured (CDK_DEFAULT_REGION / AWS profile)');
    }
    if (key) {
      // CloudWatch alarms publish to the encrypted topic as the CloudWatch service
      // (SNS developer guide, "compatibility with AWS services"); only this stack's alarms.
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'], // in a key policy, `*` is this key
          conditions: {
            StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
            ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:tollgate-${settings.stage}-*` },
          },
        }),
      );
    }

    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: settings.retainData,
      encryption: key ? dynamodb.TableEncryptionV2.customerManagedKey(key) : dynamodb.TableEncryptionV2.awsManagedKey(),
      timeToLiveAttribute: TABLE_KEYS.ttlAttribute,
      removalPolicy,
      globalSecondaryIndexes: [
        {
          indexName: TABLE_KEYS.gsi1.name,
          partitionKey: { name: TABLE_KEYS.gsi1.partitionKey, type: dynamodb.AttributeType.STRING },
          sortKey: { name: TABLE_KEYS.gsi1.sortKey, type: dynamodb.AttributeType.STRING },
        },
      ],
    });

    // Secrets Manager generates every platform secret; no value passes through CloudFormation.
    const generated = (idName: string, secretName: string, description: string) =>
      new secretsmanager.Secret(this, idName, {
        secretName: secretPrefix + secretName,
        description,
        removalPolicy,
        ...(key ? { encryptionKey: key } : {}),
        generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      });
    const secrets = {
      dataKey: generated('DataKey', 'data-key', 'Tollgate data-encryption key material (AES-256-GCM via HKDF)'),
      organization: generated('OrganizationSecret', `orgs/${settings.organization}/organization-secret`, 'Tollgate organization secret'),
      user: generated('UserSecret', `orgs/${settings.organization}/user-secret`, 'Tollgate user secret'),
    };
    for (const secret of Object.values(secrets)) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions::AwsSolutions-SMG4',
        reason:
          'Platform secrets are bearer credentials handed to API clients, and the data key seals stored values; rotating either is an explicit operator action (docs/deploy.md), not an automatic schedule that would lock clients out or orphan sealed data.',
      });
    }

    // Pseudo-parameters rather than the app's env, so the ARN (and its cdk-nag finding id) is the same everywhere.
    const secretArnPattern = `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${secretPrefix}*`;
    const secretFinding = `Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${secretPrefix}*`;

    // The REST API exists before the functions so their environment can carry its URL (the issuer).
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: settings.logRetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const throttles = methodThrottles(settings.throttles, API_ROUTES, settings.throttleOverrides);
    const stageDefault = throttles.find((t) => t.path === '/*/*');
    const perMethod = throttles.filter((t) => t !== stageDefault);
    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: `tollgate-${settings.stage}`,
      description: 'Tollgate API gateway, token service and connectors',
      // Bodies reach the functions base64-encoded whatever their type: bundle zips, binary proxy payloads.
      binaryMediaTypes: ['*/*'],
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      disableExecuteApiEndpoint: settings.customDomain?.disableExecuteApiEndpoint ?? false,
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY,
      deployOptions: {
        stageName: settings.stage,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: accessLogFormat(),
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        tracingEnabled: settings.tracing,
        // The stage default lives in the same `/*/*` method setting as the logging level (a second one would clash).
        ...(stageDefault ? { throttlingRateLimit: stageDefault.rateLimit, throttlingBurstLimit: stageDefault.burstLimit } : {}),
        methodOptions: Object.fromEntries(
          perMethod.map((t) => [t.path, { throttlingRateLimit: t.rateLimit, throttlingBurstLimit: t.burstLimit }]),
        ),
      },
    });
    this.baseUrl = settings.customDomain
      ? `https://${settings.customDomain.domainName}`
      : `https://${this.api.restApiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}/${settings.stage}`;

    const environment = functionEnvironment(settings, {
      tableName: this.table.tableName,
      issuer: this.baseUrl,
      ...(key ? { secretsKmsKeyId: key.keyArn } : {}),
    });

    this.functions = {} as Record<FunctionName, nodejs.NodejsFunction>;
    const timeouts = {} as Record<FunctionName, Duration>;
    for (const [name, spec] of Object.entries(FUNCTIONS) as [FunctionName, FunctionSpec][]) {
      const override = settings.functions[name] ?? {};
      const timeout = override.timeoutSeconds ? Duration.seconds(override.timeoutSeconds) : spec.timeout;
      timeouts[name] = timeout;
      const logGroup = new logs.LogGroup(this, `${cap(name)}Logs`, {
        retention: settings.logRetentionDays,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const role = new iam.Role(this, `${cap(name)}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `Tollgate ${name} function`,
      });
      // Only this function's own log group: no AWSLambdaBasicExecutionRole (which allows every group).
      role.addToPolicy(
        new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
      );
      // The table and its one index, by name: narrower than grantReadWriteData's index/*.
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: TABLE_ACTIONS,
          resources: [this.table.tableArn, `${this.table.tableArn}/index/${TABLE_KEYS.gsi1.name}`],
        }),
      );
      role.addToPolicy(new iam.PolicyStatement({ actions: SECRET_READ_ACTIONS, resources: [secretArnPattern] }));
      if (spec.writesSecrets) {
        role.addToPolicy(new iam.PolicyStatement({ actions: SECRET_WRITE_ACTIONS, resources: [secretArnPattern] }));
      }
      if (key) {
        role.addToPolicy(
          new iam.PolicyStatement({
            actions: KMS_ACTIONS,
            resources: [key.keyArn],
            conditions: {
              StringEquals: {
                'kms:ViaService': [`dynamodb.${Aws.REGION}.${Aws.URL_SUFFIX}`, `secretsmanager.${Aws.REGION}.${Aws.URL_SUFFIX}`],
              },
            },
          }),
        );
      }
      Validations.of(role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[${secretFinding}]`,
        reason: `Secret names are created at run time (provider credentials, signing keys), so access is scoped to the stack's own prefix ${secretPrefix}* rather than to fixed ARNs.`,
      });
      if (settings.tracing) {
        Validations.of(role).acknowledge({
          id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
          reason: 'Added by Lambda active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.',
        });
      }

      const fn = new nodejs.NodejsFunction(this, `${cap(name)}Function`, {
        entry: path.join(root, 'functions', name, 'handler.ts'),
        handler: 'handler',
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: override.memorySize ?? spec.memorySize,
        timeout,
        description: spec.description,
        ...(override.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: override.reservedConcurrency } : {}),
        role,
        logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
        tracing: settings.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
        environment: { ...environment },
        depsLockFilePath: path.join(root, 'package-lock.json'),
        projectRoot: root,
        bundling: {
          format: BUNDLING.format === 'cjs' ? nodejs.OutputFormat.CJS : nodejs.OutputFormat.ESM,
          target: BUNDLING.target,
          minify: BUNDLING.minify,
          sourceMap: BUNDLING.sourceMap,
          mainFields: [...BUNDLING.mainFields],
          externalModules: [...BUNDLING.externalModules],
          esbuildArgs: Object.fromEntries(Object.entries(BUNDLING.alias).map(([name, file]) => [`--alias:${name}`, file])),
          forceDockerBundling: false,
          commandHooks: {
            beforeBundling: () => [],
            beforeInstall: () => [],
            afterBundling: (_input: string, output: string) => (BUNDLE_ASSETS[name] ?? []).map((asset) => `cp "${asset.from}" "${path.join(output, asset.to)}"`),
          },
        },
      });
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions::AwsSolutions-L1',
        reason:
          'nodejs22.x is the runtime Tollgate is built (esbuild target node22) and tested for; moving to a newer major is a deliberate, tested change.',
      });
      this.functions[name] = fn;
    }

    const integrations = Object.fromEntries(
      Object.entries(this.functions).map(([name, fn]) => [name, new apigateway.LambdaIntegration(fn, { proxy: true })]),
    ) as Record<FunctionName, apigateway.LambdaIntegration>;
    const keyed = new Set(settings.usagePlan ? usagePlanRoutes(settings.usagePlan.resources, API_ROUTES) : []);
    for (const route of API_ROUTES) {
      const resource = route.resource === '/' ? this.api.root : this.api.root.resourceForPath(route.resource);
      for (const method of route.methods) {
        resource.addMethod(method, integrations[route.function], keyed.has(route) ? { apiKeyRequired: true } : {});
      }
    }

    if (settings.usagePlan) {
      const plan = settings.usagePlan;
      const usagePlan = this.api.addUsagePlan('UsagePlan', {
        name: `tollgate-${settings.stage}`,
        description: `API keys for ${plan.resources.join(', ')}`,
        throttle: { rateLimit: plan.rateLimit, burstLimit: plan.burstLimit },
        ...(plan.quota ? { quota: { limit: plan.quota.limit, period: apigateway.Period[plan.quota.period] } } : {}),
        apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
      });
      new CfnOutput(this, 'UsagePlanId', { value: usagePlan.usagePlanId, description: 'Add API keys to this plan (docs/deploy.md)' });
    }

    if (settings.webAclArn) {
      new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
        resourceArn: this.api.deploymentStage.stageArn,
        webAclArn: settings.webAclArn,
      });
    } else {
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions::AwsSolutions-APIG3',
        reason:
          'A WAF web ACL is account-specific and priced per request; set tollgate:webAclArn to associate one (docs/deploy.md). Per-route method throttling is always on.',
      });
    }

    if (settings.customDomain) {
      const domain = new apigateway.DomainName(this, 'Domain', {
        domainName: settings.customDomain.domainName,
        certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', settings.customDomain.certificateArn),
        endpointType: apigateway.EndpointType.REGIONAL,
        securityPolicy: apigateway.SecurityPolicy.TLS_1_2,
      });
      domain.addBasePathMapping(this.api, { stage: this.api.deploymentStage });
      if (settings.customDomain.hostedZoneId && settings.customDomain.hostedZoneName) {
        const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
          hostedZoneId: settings.customDomain.hostedZoneId,
          zoneName: settings.customDomain.hostedZoneName,
        });
        new route53.ARecord(this, 'DomainAlias', {
          zone,
          recordName: settings.customDomain.domainName,
          target: route53.RecordTarget.fromAlias(new targets.ApiGatewayDomain(domain)),
        });
      }
      new CfnOutput(this, 'CustomDomainTarget', {
        value: domain.domainNameAliasDomainName,
        description: `DNS target for ${settings.customDomain.domainName} (CNAME, or alias with zone ${domain.domainNameAliasHostedZoneId})`,
      });
    }

    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions::AwsSolutions-APIG4',
      reason:
        "Authorization is the platform's own (Open Connectors header, OAuth 2.0 bearer tokens, API keys) and is enforced in the functions; proxy routes are public by design, protected by the policies each proxy declares.",
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions::AwsSolutions-COG4',
      reason: 'Tollgate is itself the authorization server; Cognito user pools do not apply.',
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions::AwsSolutions-APIG2',
      reason: 'Requests are validated in the functions (zod schemas, Apigee policies); proxy traffic is arbitrary by design.',
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'Only the API Gateway account CloudWatch role uses an AWS managed policy (AmazonAPIGatewayPushToCloudWatchLogs), as API Gateway requires.',
    });

    this.observability = new Observability(this, 'Observability', {
      stage: settings.stage,
      api: this.api,
      accessLogs,
      functions: (Object.keys(FUNCTIONS) as FunctionName[]).map((name) => ({ name, fn: this.functions[name], timeout: timeouts[name] })),
      table: this.table,
      gsiNames: [TABLE_KEYS.gsi1.name],
      alarms: settings.alarms,
      ...(key ? { encryptionKey: key } : {}),
    });

    const output = (name: string, value: string, description: string) => new CfnOutput(this, name, { value, description });
    output('ApiUrl', `${this.baseUrl}/`, 'Base URL of the API (proxies, management, connectors)');
    output('TokenUrl', this.baseUrl + PUBLIC_PATHS.token, 'OAuth 2.0 token endpoint (client_credentials)');
    output('JwksUrl', this.baseUrl + PUBLIC_PATHS.jwks, 'JSON Web Key Set that verifies access tokens');
    output('CallbackUrl', this.baseUrl + PUBLIC_PATHS.callback, 'OAuth redirect URI to register with connector vendors');
    output('TableName', this.table.tableName, 'DynamoDB table');
    output('DataKeySecretArn', secrets.dataKey.secretArn, 'Data-encryption key material (never rotate without re-sealing, docs/deploy.md)');
    output('OrganizationSecretArn', secrets.organization.secretArn, `Organization secret of ${settings.organization}`);
    output('UserSecretArn', secrets.user.secretArn, `User secret of ${settings.organization}`);
    output('AlarmTopicArn', this.observability.topic.topicArn, 'SNS topic every alarm notifies');
    output('DashboardUrl', this.observability.dashboardUrl(), 'CloudWatch dashboard');
    if (key) output('KmsKeyArn', key.keyArn, 'Customer managed key of the table, secrets and alarm topic');
  }
}

/** One JSON object per request; no query string, headers or bodies (they can carry credentials). */
function accessLogFormat(): apigateway.AccessLogFormat {
  const f = apigateway.AccessLogField;
  return apigateway.AccessLogFormat.custom(
    JSON.stringify({
      requestId: f.contextRequestId(),
      extendedRequestId: f.contextExtendedRequestId(),
      time: f.contextRequestTimeEpoch(),
      ip: f.contextIdentitySourceIp(),
      userAgent: f.contextIdentityUserAgent(),
      method: f.contextHttpMethod(),
      resource: f.contextResourcePath(),
      path: f.contextPath(),
      protocol: f.contextProtocol(),
      stage: f.contextStage(),
      status: f.contextStatus(),
      responseLength: f.contextResponseLength(),
      responseLatency: f.contextResponseLatency(),
      integrationLatency: f.contextIntegrationLatency(),
      integrationStatus: f.contextIntegrationStatus(),
      errorType: f.contextErrorResponseType(),
      error: f.contextErrorMessage(),
      integrationError: f.contextIntegrationErrorMessage(),
      domain: f.contextDomainName(),
      xrayTraceId: f.contextXrayTraceId(),
    }),
  );
}

function cap(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
