// The Tollgate stack: one DynamoDB table, the platform secrets, one Lambda
// function per entry in functions/, and a REST API wired from the same route
// table the local server uses (shared/http/api-routes.ts).
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { API_ROUTES, type FunctionName } from '../shared/http/api-routes.js';
import { TABLE_KEYS } from '../shared/store/schema.js';
import type { StackSettings } from './config.js';

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

export class TollgateStack extends Stack {
  readonly api: apigateway.RestApi;
  readonly table: dynamodb.TableV2;
  readonly functions: Record<FunctionName, nodejs.NodejsFunction>;

  constructor(scope: Construct, id: string, props: TollgateStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const removalPolicy = settings.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const secretPrefix = `tollgate/${settings.stage}/`;

    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: settings.retainData,
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
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
        generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      });
    const secrets = [
      generated('DataKey', 'data-key', 'Tollgate data-encryption key material (AES-256-GCM via HKDF)'),
      generated('OrganizationSecret', `orgs/${settings.organization}/organization-secret`, 'Tollgate organization secret'),
      generated('UserSecret', `orgs/${settings.organization}/user-secret`, 'Tollgate user secret'),
    ];
    for (const secret of secrets) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions::AwsSolutions-SMG4',
        reason:
          'Platform secrets are bearer credentials handed to API clients; rotating them is an explicit operator action (docs/deploy.md), not an automatic schedule that would lock clients out.',
      });
    }

    // Pseudo-parameters rather than the app's env, so the ARN (and its cdk-nag finding id) is the same everywhere.
    const secretArnPattern = `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${secretPrefix}*`;
    const secretFinding = `Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${secretPrefix}*`;

    const environment: Record<string, string> = {
      TOLLGATE_MODE: 'aws',
      TOLLGATE_STAGE: settings.stage,
      TABLE_NAME: this.table.tableName,
      SECRET_PREFIX: secretPrefix,
      TOLLGATE_ORG: settings.organization,
      TOLLGATE_ALLOWED_REDIRECT_ORIGINS: settings.allowedRedirectOrigins.join(','),
      TOKEN_LIFETIME_SECONDS: String(settings.tokenLifetimeSeconds),
      POWERTOOLS_SERVICE_NAME: 'tollgate',
      NODE_OPTIONS: '--enable-source-maps',
    };

    this.functions = {} as Record<FunctionName, nodejs.NodejsFunction>;
    for (const [name, spec] of Object.entries(FUNCTIONS) as [FunctionName, FunctionSpec][]) {
      const logGroup = new logs.LogGroup(this, `${cap(name)}Logs`, {
        retention: settings.logRetentionDays as logs.RetentionDays,
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
      const fn = new nodejs.NodejsFunction(this, `${cap(name)}Function`, {
        entry: path.join(root, 'functions', name, 'handler.ts'),
        handler: 'handler',
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: spec.memorySize,
        timeout: spec.timeout,
        description: spec.description,
        role,
        logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
        tracing: settings.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
        environment,
        depsLockFilePath: path.join(root, 'package-lock.json'),
        projectRoot: root,
        bundling: {
          format: nodejs.OutputFormat.CJS,
          target: 'node22',
          minify: true,
          sourceMap: true,
          // The AWS SDK is bundled deliberately: pinned versions, tree-shaken, same code as tested.
          externalModules: [],
          forceDockerBundling: false,
        },
      });
      // The table and its one index, by name: narrower than grantReadWriteData's index/*.
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: [
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
            'dynamodb:DeleteItem',
            'dynamodb:Query',
            'dynamodb:BatchGetItem',
            'dynamodb:BatchWriteItem',
            'dynamodb:ConditionCheckItem',
          ],
          resources: [this.table.tableArn, `${this.table.tableArn}/index/${TABLE_KEYS.gsi1.name}`],
        }),
      );
      role.addToPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secretArnPattern] }));
      if (spec.writesSecrets) {
        role.addToPolicy(
          new iam.PolicyStatement({
            actions: ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:DeleteSecret', 'secretsmanager:TagResource'],
            resources: [secretArnPattern],
          }),
        );
      }
      Validations.of(role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[${secretFinding}]`,
        reason: `Secret names are created at run time (provider credentials, signing keys), so access is scoped to the stack's own prefix ${secretPrefix}* rather than to fixed ARNs.`,
      });
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions::AwsSolutions-L1',
        reason:
          'nodejs22.x is the runtime Tollgate is built (esbuild target node22) and tested for; moving to a newer major is a deliberate, tested change.',
      });
      this.functions[name] = fn;
    }

    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: settings.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const methodOptions: Record<string, apigateway.MethodDeploymentOptions> = {};
    for (const [key, throttle] of Object.entries(settings.throttles)) {
      const target = key === 'default' ? '/*/*' : key;
      methodOptions[target] = { throttlingRateLimit: throttle.rateLimit, throttlingBurstLimit: throttle.burstLimit };
    }
    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: `tollgate-${settings.stage}`,
      description: 'Tollgate API gateway, token service and connectors',
      binaryMediaTypes: ['*/*'],
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY,
      deployOptions: {
        stageName: settings.stage,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: false,
        }),
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        tracingEnabled: settings.tracing,
        methodOptions,
      },
    });

    const integrations = Object.fromEntries(
      Object.entries(this.functions).map(([name, fn]) => [name, new apigateway.LambdaIntegration(fn, { proxy: true })]),
    ) as Record<FunctionName, apigateway.LambdaIntegration>;
    for (const route of API_ROUTES) {
      const resource = route.resource === '/' ? this.api.root : this.api.root.resourceForPath(route.resource);
      for (const method of route.methods) resource.addMethod(method, integrations[route.function]);
    }

    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions::AwsSolutions-APIG4',
      reason:
        'Authorization is the platform\'s own (Open Connectors header, OAuth 2.0 bearer tokens, API keys) and is enforced in the functions; proxy routes are public by design, protected by the policies each proxy declares.',
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
      id: 'AwsSolutions::AwsSolutions-APIG3',
      reason: 'A WAF web ACL is an optional, account-specific add-on (docs/deploy.md); per-route method throttling is always on.',
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'Only the API Gateway account CloudWatch role uses an AWS managed policy (AmazonAPIGatewayPushToCloudWatchLogs), as API Gateway requires.',
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'OrganizationSecretArn', { value: secrets[1]!.secretArn });
    new CfnOutput(this, 'UserSecretArn', { value: secrets[2]!.secretArn });
  }
}

function cap(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
