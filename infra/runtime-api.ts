// The runtime plane's API: a REST API whose every path goes to the proxy
// function, with one stage per environment (`prod`, `test`) that names its
// environment in the stage variable `environment`, each with the per-method
// throttles, access logs and (optionally) a custom domain, the WAF web ACL and
// the usage plan. A REST API here, not an HTTP API: the public proxy traffic
// keeps AWS WAF, API keys with usage plans and X-Ray, which HTTP APIs lack.
// The cost: a backend's `WWW-Authenticate` reaches clients as
// `x-amzn-Remapped-WWW-Authenticate` (docs/deploy.md).
import { Aws, CfnOutput, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { RUNTIME_ENVIRONMENTS, RUNTIME_ROUTES } from '../shared/http/api-routes.js';
import type { StackSettings } from './config.js';
import { accessLogFormat } from './platform-api.js';
import { usagePlanRoutes, type MethodThrottle } from './routes.js';

export interface RuntimeApiProps {
  settings: StackSettings;
  throttles: MethodThrottle[];
}

export class RuntimeApi extends Construct {
  readonly api: apigateway.RestApi;
  readonly accessLogs: logs.LogGroup;
  /** The stage of each environment. */
  readonly stages: Record<string, apigateway.Stage>;
  /** Base URL per environment, no trailing slash: its custom domain, else the stage's execute-api URL. */
  readonly urls: Record<string, string>;

  constructor(scope: Construct, id: string, private readonly props: RuntimeApiProps) {
    super(scope, id);
    const { settings } = props;
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: settings.logRetentionDays, removalPolicy: RemovalPolicy.DESTROY });
    const stageDefault = props.throttles.find((t) => t.path === '/*/*');
    const perMethod = props.throttles.filter((t) => t !== stageDefault);
    const stageOptions = (environment: string): apigateway.StageOptions => ({
      stageName: environment,
      variables: { environment },
      accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
      accessLogFormat: accessLogFormat('runtime'),
      loggingLevel: LOGGING_LEVEL,
      dataTraceEnabled: false,
      tracingEnabled: settings.tracing,
      // The stage default lives in the same `/*/*` method setting as the logging level (a second one would clash).
      ...(stageDefault ? { throttlingRateLimit: stageDefault.rateLimit, throttlingBurstLimit: stageDefault.burstLimit } : {}),
      methodOptions: methodSettings(perMethod),
    });
    const [first, ...others] = RUNTIME_ENVIRONMENTS;
    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: `tollgate-${settings.stage}-runtime`,
      description: 'Tollgate runtime: deployed API proxies, one stage per environment',
      // Bodies reach the proxy function base64-encoded whatever their type: binary payloads pass byte-exact.
      binaryMediaTypes: ['*/*'],
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      disableExecuteApiEndpoint: settings.runtimeDomains.length === RUNTIME_ENVIRONMENTS.length && (settings.customDomain?.disableExecuteApiEndpoint ?? false),
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY,
      deployOptions: stageOptions(first),
    });
    // A body over API Gateway's own limit never reaches the proxy function: answered as Apigee would.
    this.api.addGatewayResponse('RequestTooLarge', {
      type: apigateway.ResponseType.REQUEST_TOO_LARGE,
      statusCode: '413',
      templates: { 'application/json': JSON.stringify({ fault: { faultstring: 'Request payload is too large', detail: { errorcode: 'protocol.http.TooBigBody' } } }) },
    });
    this.stages = { [first]: this.api.deploymentStage };
    for (const environment of others) {
      this.stages[environment] = new apigateway.Stage(this, `${environment}Stage`, { deployment: this.api.latestDeployment!, ...stageOptions(environment) });
    }
    this.urls = Object.fromEntries(
      RUNTIME_ENVIRONMENTS.map((environment) => {
        const domain = settings.runtimeDomains.find((d) => d.environment === environment);
        return [environment, domain ? `https://${domain.domainName}` : `https://${this.api.restApiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}/${environment}`];
      }),
    );

    for (const domainSettings of settings.runtimeDomains) {
      const domain = new apigateway.DomainName(this, `${domainSettings.environment}Domain`, {
        domainName: domainSettings.domainName,
        certificate: acm.Certificate.fromCertificateArn(this, `${domainSettings.environment}Certificate`, domainSettings.certificateArn),
        endpointType: apigateway.EndpointType.REGIONAL,
        securityPolicy: apigateway.SecurityPolicy.TLS_1_2,
      });
      domain.addBasePathMapping(this.api, { stage: this.stages[domainSettings.environment]! });
      new CfnOutput(scope, `Runtime${cap(domainSettings.environment)}DomainTarget`, {
        value: domain.domainNameAliasDomainName,
        description: `DNS target for ${domainSettings.domainName} (CNAME, or alias with zone ${domain.domainNameAliasHostedZoneId})`,
      });
    }

    if (settings.webAclArn) {
      for (const [environment, stage] of Object.entries(this.stages)) {
        new wafv2.CfnWebACLAssociation(this, `${environment}WebAcl`, { resourceArn: stage.stageArn, webAclArn: settings.webAclArn });
      }
    } else {
      Validations.of(this).acknowledge({
        id: 'AwsSolutions::AwsSolutions-APIG3',
        reason:
          'A WAF web ACL is account-specific and priced per request; set tollgate:webAclArn to associate one with the runtime stages (docs/deploy.md). Per-route method throttling is always on.',
      });
    }
    const acknowledged: [rule: string, reason: string][] = [
      ['AwsSolutions-APIG4', 'Proxy routes are public by design: each deployed proxy enforces the policies it declares (VerifyAPIKey, OAuthV2, BasicAuthentication ...), as on Apigee.'],
      ['AwsSolutions-COG4', 'Tollgate is itself the authorization server of its proxies; Cognito user pools do not apply.'],
      ['AwsSolutions-APIG2', 'Proxy traffic is arbitrary by design; each proxy validates what it declares (JSONThreatProtection, conditions, policies).'],
      [
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        'Only the API Gateway account CloudWatch role uses an AWS managed policy (AmazonAPIGatewayPushToCloudWatchLogs), as API Gateway requires.',
      ],
    ];
    for (const [rule, reason] of acknowledged) Validations.of(this.api).acknowledge({ id: `AwsSolutions::${rule}`, reason });
  }

  /** Wires every runtime route to the proxy function, behind the usage plan's API keys where configured. */
  route(proxy: lambda.IFunction): void {
    const { settings } = this.props;
    const integration = new apigateway.LambdaIntegration(proxy, { proxy: true });
    const keyed = new Set(settings.usagePlan ? usagePlanRoutes(settings.usagePlan.resources, RUNTIME_ROUTES) : []);
    for (const route of RUNTIME_ROUTES) {
      const resource = route.resource === '/' ? this.api.root : this.api.root.resourceForPath(route.resource);
      for (const method of route.methods) resource.addMethod(method, integration, keyed.has(route) ? { apiKeyRequired: true } : {});
    }
    if (settings.usagePlan) {
      const plan = settings.usagePlan;
      const usagePlan = this.api.addUsagePlan('UsagePlan', {
        name: `tollgate-${settings.stage}`,
        description: `API keys for ${plan.resources.join(', ')}`,
        throttle: { rateLimit: plan.rateLimit, burstLimit: plan.burstLimit },
        ...(plan.quota ? { quota: { limit: plan.quota.limit, period: apigateway.Period[plan.quota.period] } } : {}),
        apiStages: Object.values(this.stages).map((stage) => ({ api: this.api, stage })),
      });
      new CfnOutput(Stack.of(this), 'UsagePlanId', { value: usagePlan.usagePlanId, description: 'Add API keys to this plan (docs/deploy.md)' });
    }
  }
}

/** Execution logging of every stage and of every method with its own settings. */
const LOGGING_LEVEL = apigateway.MethodLoggingLevel.ERROR;

/**
 * One setting per method. A method setting replaces the stage's for that method
 * (an unset logging level is OFF), so each repeats the stage's logging. A
 * throttle for every method of a resource (`*`, the resource's ANY method) is
 * written once per HTTP method: AWS documents `*` only with the `/*` resource
 * path, and throttles a request by its own method, never by `ANY`.
 */
export function methodSettings(throttles: readonly MethodThrottle[]): Record<string, apigateway.MethodDeploymentOptions> {
  const options: Record<string, apigateway.MethodDeploymentOptions> = {};
  for (const t of throttles) {
    const methods = t.method === '*' ? ANY_METHODS : [t.method];
    for (const method of methods) {
      options[`${t.resource === '/' ? '/' : t.resource}/${method}`] = {
        throttlingRateLimit: t.rateLimit,
        throttlingBurstLimit: t.burstLimit,
        loggingLevel: LOGGING_LEVEL,
        dataTraceEnabled: false,
      };
    }
  }
  return options;
}

/** What an ANY method serves. */
const ANY_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];

function cap(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
