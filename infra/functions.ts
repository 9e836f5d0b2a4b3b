// The Lambda functions, one per entry in functions/: each with its own log
// group and role (its log group, the table and its index, the stack's secret
// prefix; secret writes only where the function creates secrets; the web
// function, which only serves files, gets its log group alone). Everything
// loops over FUNCTIONS, so a new function is bundled, granted and observed
// without further edits. The connector events' functions (infra/events.ts) are
// built by the same tollgateFunction.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FunctionName } from '../shared/http/api-routes.js';
import { TABLE_KEYS } from '../shared/store/schema.js';
import { KMS_ACTIONS, SECRET_READ_ACTIONS, SECRET_WRITE_ACTIONS, SIGNING_KEY_WRITE_ACTIONS, SIGNING_KEYS_SECRET, TABLE_ACTIONS } from './access.js';
import { BUNDLE_ASSETS, BUNDLING, externalsOf, LAZY_PACKAGES, lazyPackageArgs } from './bundling.js';
import type { StackSettings } from './config.js';
import { secretPrefix as prefixOf, type FunctionEnvironment } from './environment.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The esbuild NodejsFunction bundles with (the project's), for the lazy packages. */
const ESBUILD = path.join(root, 'node_modules', '.bin', 'esbuild');

export interface FunctionSpec {
  memorySize: number;
  timeout: Duration;
  description: string;
  /**
   * Which secrets it creates or updates at run time: any of the stack's
   * (provider credentials, platform secrets, signing keys), only the signing
   * keys (the proxy's OAuthV2 GenerateAccessToken creates them when it is the
   * first to issue a token after a deploy), or none.
   */
  writesSecrets: 'all' | 'signing-keys' | false;
  /** Buffers analytics records (proxy calls, connector calls): gets the shutdown extension, so Lambda sends SIGTERM before retiring a container. */
  buffersAnalytics: boolean;
  /** Reads the table and the secrets; false for the web function, which only serves files. */
  data?: false;
  /** A folder (from the repository root) copied beside the bundle as `web/`: the built console. */
  assets?: string;
}

/**
 * Builds and copies what a function needs beside its bundle: its LAZY_PACKAGES, the files named in
 * BUNDLE_ASSETS (the QuickJS WebAssembly, the element catalog) and a built folder as `web/` (it must exist: npm ci builds web/dist,
 * and so does npm run build:web).
 */
function copyAssets(name: string, folder: string | undefined): nodejs.ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir: string, outputDir: string) => [
      ...(LAZY_PACKAGES[name] ?? []).map((pkg) => `cd "${inputDir}" && ${[ESBUILD, ...lazyPackageArgs(pkg, outputDir)].map((arg) => `"${arg}"`).join(' ')}`),
      ...(BUNDLE_ASSETS[name] ?? []).map((asset) => `cp -R "${asset.from}" "${path.join(outputDir, asset.to)}"`),
      ...(folder
        ? [
            `test -f "${inputDir}/${folder}/manifest.json" || { echo "${folder} is not built: run npm run build:web" >&2; exit 1; }`,
            `cp -R "${inputDir}/${folder}" "${outputDir}/web"`,
          ]
        : []),
    ],
  };
}

export const FUNCTIONS: Record<FunctionName, FunctionSpec> = {
  platform: { memorySize: 1024, timeout: Duration.seconds(29), description: 'Management and connectors API', writesSecrets: 'all', buffersAnalytics: true },
  proxy: { memorySize: 1024, timeout: Duration.seconds(29), description: 'API proxy runtime', writesSecrets: 'signing-keys', buffersAnalytics: true },
  token: { memorySize: 1024, timeout: Duration.seconds(15), description: 'OAuth 2.0 token service', writesSecrets: 'all', buffersAnalytics: false },
  callback: { memorySize: 512, timeout: Duration.seconds(29), description: 'Hosted OAuth callback for connector instances', writesSecrets: false, buffersAnalytics: false },
  // The console's files ride in this function's package beside a small handler, not inside the API functions' bundles.
  web: {
    memorySize: 256,
    timeout: Duration.seconds(10),
    description: 'Console, developer portal and API reference pages',
    writesSecrets: false,
    buffersAnalytics: false,
    data: false,
    assets: 'web/dist',
  },
};

const cap = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

export interface FunctionsProps {
  settings: StackSettings;
  table: dynamodb.TableV2;
  key?: kms.IKey;
  environment: FunctionEnvironment;
}

export class Functions extends Construct {
  readonly byName = {} as Record<FunctionName, nodejs.NodejsFunction>;
  readonly timeouts = {} as Record<FunctionName, Duration>;
  /** A do-nothing external extension: with it, Lambda sends SIGTERM before retiring a container, and buffered analytics get written. */
  readonly shutdownExtension: lambda.LayerVersion;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    this.shutdownExtension = new lambda.LayerVersion(this, 'ShutdownExtension', {
      code: lambda.Code.fromAsset(path.join(root, 'infra', 'shutdown-extension')),
      compatibleArchitectures: [lambda.Architecture.ARM_64],
      compatibleRuntimes: [lambda.Runtime.NODEJS_22_X],
      description: 'Tollgate shutdown extension: registers for SHUTDOWN so the runtime receives SIGTERM',
    });
    const { shutdownExtension } = this;
    for (const [name, spec] of Object.entries(FUNCTIONS) as [FunctionName, FunctionSpec][]) {
      const sized = withOverrides(spec, props.settings.functions[name]);
      this.timeouts[name] = sized.timeout;
      const made = tollgateFunction(this, name, sized, props, spec.buffersAnalytics ? [shutdownExtension] : []);
      this.byName[name] = made.fn;
      if (spec.buffersAnalytics) this.analyticsQueries(name, made.logGroup);
    }
  }

  /**
   * Saved Logs Insights queries over the function's analytics records (one
   * JSON line per call, `message = "analytics record"`, Apigee's field names).
   */
  private analyticsQueries(name: FunctionName, logGroup: logs.LogGroup): void {
    const queries: Record<string, { fields: string[]; filter: string[]; stats: string; sort: string }> =
      name === 'proxy'
        ? {
            'calls-by-proxy': {
              fields: ['apiproxy', 'response_status_code', 'total_response_time'],
              filter: ['message = "analytics record"'],
              stats: 'count(*) as calls, sum(is_error) as errors, avg(total_response_time) as avg_ms, pct(total_response_time, 95) as p95_ms by apiproxy',
              sort: 'calls desc',
            },
            'faults-by-policy': {
              fields: ['apiproxy', 'ax_execution_fault_policy_name', 'ax_edge_execution_fault_code'],
              filter: ['message = "analytics record"', 'ispresent(ax_edge_execution_fault_code)'],
              stats: 'count(*) as faults by apiproxy, ax_execution_fault_policy_name, ax_edge_execution_fault_code',
              sort: 'faults desc',
            },
            'slow-targets': {
              fields: ['apiproxy', 'target_host', 'target_response_time'],
              filter: ['message = "analytics record"', 'ispresent(target_response_time)'],
              stats: 'count(*) as calls, pct(target_response_time, 50) as p50_ms, pct(target_response_time, 99) as p99_ms by apiproxy, target_host',
              sort: 'p99_ms desc',
            },
          }
        : {
            'connector-calls': {
              fields: ['element_key', 'instance_id', 'response_status_code', 'total_response_time'],
              filter: ['message = "analytics record"', 'analytics = "connector"'],
              stats: 'count(*) as calls, avg(total_response_time) as avg_ms by element_key, instance_id',
              sort: 'calls desc',
            },
          };
    for (const [query, spec] of Object.entries(queries)) {
      new logs.QueryDefinition(this, `${cap(name)}${query.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase())}Query`, {
        queryDefinitionName: `tollgate/analytics/${query}`,
        queryString: new logs.QueryString({ fields: spec.fields, filterStatements: spec.filter, stats: spec.stats, sort: spec.sort }),
        logGroups: [logGroup],
      });
    }
  }
}

/** A function's spec with the memory size, timeout and reserved concurrency an operator set in tollgate:functions. */
export function withOverrides(spec: FunctionSpec, override: StackSettings['functions'][string] = {}): FunctionSpec & { reservedConcurrency?: number } {
  return {
    ...spec,
    ...(override.memorySize ? { memorySize: override.memorySize } : {}),
    ...(override.timeoutSeconds ? { timeout: Duration.seconds(override.timeoutSeconds) } : {}),
    ...(override.reservedConcurrency !== undefined ? { reservedConcurrency: override.reservedConcurrency } : {}),
  };
}

/**
 * One function of functions/{name}/handler.ts with its own log group and role:
 * its log group; unless it serves files only, the table and its one index,
 * reading the stack's secrets, writing those the spec says, and the customer
 * managed key only through DynamoDB and Secrets Manager.
 */
export function tollgateFunction(
  scope: Construct,
  name: string,
  spec: FunctionSpec & { reservedConcurrency?: number },
  props: FunctionsProps,
  layers: lambda.ILayerVersion[] = [],
): { fn: nodejs.NodejsFunction; logGroup: logs.LogGroup } {
  const { settings, table, key } = props;
  const secretPrefix = prefixOf(settings);
  // Pseudo-parameters rather than the app's env, so the ARN (and its cdk-nag finding id) is the same everywhere.
  const secretArnPattern = `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${secretPrefix}*`;
  const secretFinding = `Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${secretPrefix}*`;
  const signingKeysArn = `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${secretPrefix}${SIGNING_KEYS_SECRET}`;
  const signingKeysFinding = `arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${secretPrefix}${SIGNING_KEYS_SECRET}`;
  const logGroup = new logs.LogGroup(scope, `${cap(name)}Logs`, { retention: settings.logRetentionDays, removalPolicy: RemovalPolicy.DESTROY });
  const role = new iam.Role(scope, `${cap(name)}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: `Tollgate ${name} function` });
  // Only this function's own log group: no AWSLambdaBasicExecutionRole (which allows every group).
  role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
  if (spec.data !== false) {
    // The table and its one index, by name: narrower than grantReadWriteData's index/*.
    role.addToPolicy(new iam.PolicyStatement({ actions: TABLE_ACTIONS, resources: [table.tableArn, `${table.tableArn}/index/${TABLE_KEYS.gsi1.name}`] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: SECRET_READ_ACTIONS, resources: [secretArnPattern] }));
    if (spec.writesSecrets === 'all') role.addToPolicy(new iam.PolicyStatement({ actions: SECRET_WRITE_ACTIONS, resources: [secretArnPattern] }));
    if (spec.writesSecrets === 'signing-keys') {
      role.addToPolicy(new iam.PolicyStatement({ actions: SIGNING_KEY_WRITE_ACTIONS, resources: [`${signingKeysArn}*`] }));
      Validations.of(role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${signingKeysFinding}*]`,
        reason: 'Secrets Manager appends a random suffix to a secret\'s ARN: the signing-key secret is matched by its name followed by *.',
      });
    }
    if (key) {
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: KMS_ACTIONS,
          resources: [key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': [`dynamodb.${Aws.REGION}.${Aws.URL_SUFFIX}`, `secretsmanager.${Aws.REGION}.${Aws.URL_SUFFIX}`] } },
        }),
      );
    }
    Validations.of(role).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[${secretFinding}]`,
      reason: `Secret names are created at run time (provider credentials, signing keys), so access is scoped to the stack's own prefix ${secretPrefix}* rather than to fixed ARNs.`,
    });
  }

  const fn = new nodejs.NodejsFunction(scope, `${cap(name)}Function`, {
    entry: path.join(root, 'functions', name, 'handler.ts'),
    handler: 'handler',
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: spec.memorySize,
    timeout: spec.timeout,
    description: spec.description,
    ...(spec.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: spec.reservedConcurrency } : {}),
    role,
    logGroup,
    ...(layers.length ? { layers } : {}),
    loggingFormat: lambda.LoggingFormat.JSON,
    tracing: settings.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
    environment: spec.assets ? { ...props.environment, TOLLGATE_WEB_DIR: '/var/task/web' } : { ...props.environment },
    depsLockFilePath: path.join(root, 'package-lock.json'),
    projectRoot: root,
    bundling: {
      format: BUNDLING.format === 'cjs' ? nodejs.OutputFormat.CJS : nodejs.OutputFormat.ESM,
      target: BUNDLING.target,
      minify: BUNDLING.minify,
      sourceMap: BUNDLING.sourceMap,
      mainFields: [...BUNDLING.mainFields],
      externalModules: externalsOf(name),
      esbuildArgs: Object.fromEntries(Object.entries(BUNDLING.alias).map(([module, file]) => [`--alias:${module}`, file])),
      forceDockerBundling: false,
      ...(spec.assets || BUNDLE_ASSETS[name] || LAZY_PACKAGES[name] ? { commandHooks: copyAssets(name, spec.assets) } : {}),
    },
  });
  if (settings.tracing) {
    // Lambda's active tracing adds the X-Ray statement itself: to the role's default policy, or (with
    // cdk.json's @aws-cdk/aws-lambda:createNewPoliciesWithAddToRolePolicy) to a new policy under the function.
    for (const scoped of [role, fn]) {
      Validations.of(scoped).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 'Added by Lambda active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.',
      });
    }
  }
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions::AwsSolutions-L1',
    reason: 'nodejs22.x is the runtime Tollgate is built (esbuild target node22) and tested for; moving to a newer major is a deliberate, tested change.',
  });
  return { fn, logGroup };
}
