// The platform plane's API: an HTTP API (API Gateway v2) for the management
// API, token service, connectors, hosted OAuth callback and health check.
// Why an HTTP API: a REST API rewrites an integration's `WWW-Authenticate` to
// `x-amzn-Remapped-WWW-Authenticate` (API Gateway's important notes for REST
// APIs), so no 401 challenge would reach a client; an HTTP API passes it
// through. Its `$default` stage has no path either, so the issuer has none and
// RFC 8414 discovery works at `/.well-known/oauth-authorization-server` as
// clients look for it. Per-route throttles are stage route settings. What it
// gives up (WAF, usage plans, X-Ray on the API) is in docs/deploy.md.
import { Aws, CfnOutput, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import { PLATFORM_ROUTES, type FunctionName } from '../shared/http/api-routes.js';
import type { StackSettings } from './config.js';
import { routeThrottles, type MethodThrottle } from './routes.js';

export interface PlatformApiProps {
  settings: StackSettings;
  throttles: MethodThrottle[];
}

export class PlatformApi extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogs: logs.LogGroup;
  /** Public base URL, no trailing slash: the custom domain, else the execute-api URL (no stage path). */
  readonly baseUrl: string;

  constructor(scope: Construct, id: string, props: PlatformApiProps) {
    super(scope, id);
    const { settings } = props;
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: settings.logRetentionDays, removalPolicy: RemovalPolicy.DESTROY });
    this.api = new apigwv2.HttpApi(this, 'Api', {
      apiName: `tollgate-${settings.stage}-platform`,
      description: 'Tollgate platform: management API, token service, connectors',
      createDefaultStage: false,
      disableExecuteApiEndpoint: settings.customDomain?.disableExecuteApiEndpoint ?? false,
    });
    const stageDefault = props.throttles.find((t) => t.path === '/*/*');
    this.stage = this.api.addStage('Stage', {
      stageName: '$default',
      autoDeploy: true,
      ...(stageDefault ? { throttle: { rateLimit: stageDefault.rateLimit, burstLimit: stageDefault.burstLimit } } : {}),
      accessLogSettings: { destination: new apigwv2.LogGroupLogDestination(this.accessLogs), format: accessLogFormat('platform') },
    });
    const cfnStage = this.stage.node.defaultChild as apigwv2.CfnStage;
    cfnStage.routeSettings = Object.fromEntries(
      routeThrottles(props.throttles.filter((t) => t !== stageDefault), PLATFORM_ROUTES).map(([routeKey, t]) => [
        routeKey,
        // A JSON property: CloudFormation's own (Pascal case) names.
        { ThrottlingRateLimit: t.rateLimit, ThrottlingBurstLimit: t.burstLimit },
      ]),
    );
    this.baseUrl = settings.customDomain ? `https://${settings.customDomain.domainName}` : `https://${this.api.apiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`;

    if (settings.customDomain) {
      const domain = new apigwv2.DomainName(this, 'Domain', {
        domainName: settings.customDomain.domainName,
        certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', settings.customDomain.certificateArn),
        endpointType: apigwv2.EndpointType.REGIONAL,
        securityPolicy: apigwv2.SecurityPolicy.TLS_1_2,
      });
      new apigwv2.ApiMapping(this, 'Mapping', { api: this.api, domainName: domain, stage: this.stage });
      if (settings.customDomain.hostedZoneId && settings.customDomain.hostedZoneName) {
        const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
          hostedZoneId: settings.customDomain.hostedZoneId,
          zoneName: settings.customDomain.hostedZoneName,
        });
        new route53.ARecord(this, 'DomainAlias', {
          zone,
          recordName: settings.customDomain.domainName,
          target: route53.RecordTarget.fromAlias(new targets.ApiGatewayv2DomainProperties(domain.regionalDomainName, domain.regionalHostedZoneId)),
        });
      }
      new CfnOutput(scope, 'CustomDomainTarget', {
        value: domain.regionalDomainName,
        description: `DNS target for ${settings.customDomain.domainName} (CNAME, or alias with zone ${domain.regionalHostedZoneId})`,
      });
    }
  }

  /** Adds every platform route, each to its function (payload format 1.0, the event the handlers read). */
  route(functions: Record<FunctionName, lambda.IFunction>): void {
    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    for (const route of PLATFORM_ROUTES) {
      let integration = integrations.get(route.function);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${route.function}-integration`, functions[route.function], {
          payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_1_0,
        });
        integrations.set(route.function, integration);
      }
      const routes = this.api.addRoutes({ path: route.resource, methods: route.methods.map((method) => method as apigwv2.HttpMethod), integration });
      for (const created of routes) {
        Validations.of(created).acknowledge({
          id: 'AwsSolutions::AwsSolutions-APIG4',
          reason:
            'The platform authenticates every call itself (the router enforces each route\'s scheme: platform header, management users, OAuth client credentials) so the OpenAPI document and the enforcement cannot differ; an API Gateway authorizer would duplicate it.',
        });
      }
    }
  }
}

/**
 * One JSON object per request; no query string, headers or bodies (they can
 * carry credentials). The platform logs its route key, not the path: paths of
 * key routes carry consumer keys (the functions' own log masks them).
 */
export function accessLogFormat(plane: 'platform' | 'runtime'): apigateway.AccessLogFormat {
  const f = apigateway.AccessLogField;
  return apigateway.AccessLogFormat.custom(
    JSON.stringify({
      plane,
      requestId: f.contextRequestId(),
      extendedRequestId: f.contextExtendedRequestId(),
      time: f.contextRequestTimeEpoch(),
      ip: f.contextIdentitySourceIp(),
      userAgent: f.contextIdentityUserAgent(),
      method: f.contextHttpMethod(),
      resource: plane === 'platform' ? '$context.routeKey' : f.contextResourcePath(),
      ...(plane === 'runtime' ? { path: f.contextPath() } : {}),
      protocol: f.contextProtocol(),
      stage: f.contextStage(),
      status: f.contextStatus(),
      responseLength: f.contextResponseLength(),
      responseLatency: f.contextResponseLatency(),
      integrationLatency: f.contextIntegrationLatency(),
      integrationStatus: f.contextIntegrationStatus(),
      error: f.contextErrorMessage(),
      integrationError: f.contextIntegrationErrorMessage(),
      domain: f.contextDomainName(),
      ...(plane === 'runtime' ? { errorType: f.contextErrorResponseType(), xrayTraceId: f.contextXrayTraceId() } : {}),
    }),
  );
}
