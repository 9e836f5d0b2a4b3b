// What silently broke an AWS deploy, checked on the synthesized stack with the
// context `cdk synth` really uses (cdk.json's, feature flags included):
// every documented setting synthesizes with cdk-nag on; the token service's
// challenges reach clients; the route table, API Gateway and the local
// matcher agree on methods; throttles are one setting per method and keep the
// stage's execution logging.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { matchResource, PLATFORM_ROUTES, RUNTIME_ROUTES } from '../../shared/http/api-routes.js';
import { synthesize, type Synthesized } from '../support/synth.js';

const cdkJson = JSON.parse(readFileSync(fileURLToPath(new URL('../../cdk.json', import.meta.url)), 'utf8')) as { context: Record<string, unknown> };
/** As `cdk synth` runs in an account and region (CDK_DEFAULT_ACCOUNT, CDK_DEFAULT_REGION). */
const withCdkJson = (settings: Record<string, unknown>) => synthesize({ ...cdkJson.context, ...settings }, { account: '123456789012', region: 'eu-west-1' });

const CERTIFICATE = 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
/** Every setting docs/deploy.md documents, each with a value that turns it on. */
const DOCUMENTED: Record<string, Record<string, unknown>> = {
  'tollgate:stage': { 'tollgate:stage': 'dev' },
  'tollgate:adminEmail': { 'tollgate:adminEmail': 'ops@example.com' },
  'tollgate:organization': { 'tollgate:organization': 'acme' },
  'tollgate:allowedRedirectOrigins': { 'tollgate:allowedRedirectOrigins': 'https://app.example.com' },
  'tollgate:tokenLifetimeSeconds': { 'tollgate:tokenLifetimeSeconds': '600' },
  'tollgate:tokenAudience': { 'tollgate:tokenAudience': 'https://api.example.com' },
  'tollgate:logRetentionDays': { 'tollgate:logRetentionDays': '7' },
  'tollgate:retainData': { 'tollgate:retainData': 'false' },
  'tollgate:encryption': { 'tollgate:encryption': 'customer-managed' },
  'tollgate:tracing': { 'tollgate:tracing': 'true' },
  'tollgate:sourceMapStackTraces': { 'tollgate:sourceMapStackTraces': 'true' },
  'tollgate:domainName': { 'tollgate:domainName': 'api.example.com', 'tollgate:certificateArn': CERTIFICATE },
  'tollgate:runtimeDomains': { 'tollgate:runtimeDomains': '{"prod":"gw.example.com","test":"gw-test.example.com"}', 'tollgate:runtimeCertificateArn': CERTIFICATE },
  'tollgate:hostedZoneId': { 'tollgate:domainName': 'api.example.com', 'tollgate:certificateArn': CERTIFICATE, 'tollgate:hostedZoneId': 'Z123456ABCDEFG', 'tollgate:hostedZoneName': 'example.com' },
  'tollgate:disableExecuteApiEndpoint': {
    'tollgate:domainName': 'api.example.com',
    'tollgate:certificateArn': CERTIFICATE,
    'tollgate:runtimeDomains': '{"prod":"gw.example.com","test":"gw-test.example.com"}',
    'tollgate:runtimeCertificateArn': CERTIFICATE,
    'tollgate:disableExecuteApiEndpoint': 'true',
  },
  'tollgate:webAclArn': { 'tollgate:webAclArn': 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/tollgate/abc' },
  'tollgate:throttles': { 'tollgate:throttles': '{"/{proxy+}/*":{"rateLimit":200,"burstLimit":100},"/oauth/token/POST":{"rateLimit":10,"burstLimit":5}}' },
  'tollgate:functions': { 'tollgate:functions': '{"proxy":{"memorySize":2048,"timeoutSeconds":20,"reservedConcurrency":100}}' },
  'tollgate:alarms': { 'tollgate:alarms': '{"serverErrorRatePercent":5}' },
  'tollgate:alarmEmail': { 'tollgate:alarmEmail': 'ops@example.com' },
  'tollgate:usagePlan': { 'tollgate:usagePlan': '{"resources":["/{proxy+}","/"],"rateLimit":50,"burstLimit":100,"quota":{"limit":100000,"period":"DAY"}}' },
};

describe('cdk synth passes with cdk.json context and every documented setting', () => {
  it('documents every setting this test turns on, and tests every setting deploy.md documents', () => {
    const documented = [...readFileSync(fileURLToPath(new URL('../../docs/deploy.md', import.meta.url)), 'utf8').matchAll(/^\| `(tollgate:[A-Za-z]+)`/gm)].map((m) => m[1]!);
    for (const key of documented) expect(Object.keys(DOCUMENTED), key).toContain(key);
  });

  it.each(Object.entries(DOCUMENTED))('synthesizes with %s (cdk-nag on)', (_key, settings) => {
    const { error } = withCdkJson(settings);
    expect(error).toBeUndefined();
  });

  it('synthesizes with every setting on at once', () => {
    const all = Object.assign({}, ...Object.values(DOCUMENTED)) as Record<string, unknown>;
    expect(withCdkJson(all).error).toBeUndefined();
  });
});

let synth: Synthesized;
beforeAll(() => {
  synth = withCdkJson({});
}, 120_000);

/** The functions' logical ids, by function name (`Functions<Name>Function...`). */
function functionIds(): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const [id] of synth.resources('AWS::Lambda::Function')) {
    const name = /^Functions([A-Z][a-z]+)Function/.exec(id)?.[1];
    if (name) ids[name.toLowerCase()] = id;
  }
  return ids;
}

describe('the token service\'s WWW-Authenticate challenge reaches clients', () => {
  it('serves /oauth and /.well-known on the HTTP API, whose Lambda integrations pass WWW-Authenticate through', () => {
    const ids = functionIds();
    const integrations = Object.fromEntries(synth.resources('AWS::ApiGatewayV2::Integration').map(([id, integration]) => [id, integration.Properties]));
    const routes = synth.resources('AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties);
    for (const key of ['POST /oauth/token', 'ANY /oauth/{proxy+}', 'ANY /.well-known/{proxy+}']) {
      const route = routes.find((candidate) => candidate.RouteKey === key);
      expect(route, key).toBeDefined();
      const integrationId = (route!.Target['Fn::Join'][1] as unknown[]).find((part) => typeof part === 'object') as { Ref: string };
      const integration = integrations[integrationId.Ref]!;
      // An HTTP API Lambda proxy integration (payload 1.0): no header remapping (a REST API would turn the
      // challenge into x-amzn-Remapped-WWW-Authenticate).
      expect(integration.IntegrationType).toBe('AWS_PROXY');
      expect(integration.PayloadFormatVersion).toBe('1.0');
      expect(JSON.stringify(integration.IntegrationUri)).toContain(ids.token);
    }
    // No REST API method serves a token path.
    const restPaths = synth.resources('AWS::ApiGateway::Resource').map(([, resource]) => resource.Properties.PathPart);
    expect(restPaths.filter((part) => part === 'oauth' || part === '.well-known')).toEqual([]);
  });
});

describe('the route table, API Gateway and the local matcher agree on methods', () => {
  const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
  it('routes each method of each platform path to the same function on AWS and locally, or to none on both', () => {
    const ids = functionIds();
    const byIntegration = Object.fromEntries(
      synth.resources('AWS::ApiGatewayV2::Integration').map(([id, integration]) => [id, Object.entries(ids).find(([, fnId]) => JSON.stringify(integration.Properties.IntegrationUri).includes(fnId))?.[0]]),
    );
    const routeKeys = new Map(
      synth.resources('AWS::ApiGatewayV2::Route').map(([, route]) => {
        const integrationId = (route.Properties.Target['Fn::Join'][1] as unknown[]).find((part) => typeof part === 'object') as { Ref: string };
        return [route.Properties.RouteKey as string, byIntegration[integrationId.Ref]];
      }),
    );
    const samplePaths = ['/healthz', '/v1/organizations/x', '/apiportal/api/1.0/x', '/elements/api-v2/oauth/callback', '/elements/api-v2/elements', '/oauth/token', '/oauth/introspect', '/.well-known/jwks.json', '/console', '/console/apis/x', '/portal', '/portal/x', '/docs', '/'];
    for (const path of samplePaths) {
      for (const method of METHODS) {
        // API Gateway HTTP APIs: the most specific path first, then the exact method over ANY.
        const candidates = PLATFORM_ROUTES.filter((route) => matchResource([route], path) !== undefined);
        const onAws = candidates.map((route) => routeKeys.get(`${method} ${route.resource}`) ?? routeKeys.get(`ANY ${route.resource}`)).find(Boolean);
        const local = matchResource(PLATFORM_ROUTES, path, method)?.route.function;
        expect(local, `${method} ${path}`).toBe(onAws);
      }
    }
    expect(matchResource(PLATFORM_ROUTES, '/healthz', 'HEAD')?.route.function).toBe('platform');
    expect(matchResource(PLATFORM_ROUTES, '/healthz', 'POST')).toBeUndefined();
  });

  it('serves every method of every runtime path on the proxy function', () => {
    for (const method of METHODS) expect(matchResource(RUNTIME_ROUTES, '/anything/x', method)?.route.function).toBe('proxy');
  });
});

describe('throttles are one setting per method and keep execution logging', () => {
  it('writes no `*` method for a single resource, and every throttled method logs at the stage level', () => {
    for (const [, stage] of synth.resources('AWS::ApiGateway::Stage')) {
      const settings = stage.Properties.MethodSettings as { ResourcePath: string; HttpMethod: string; LoggingLevel?: string; ThrottlingRateLimit?: number; MetricsEnabled?: boolean; DataTraceEnabled?: boolean }[];
      const stageDefault = settings.find((s) => s.ResourcePath === '/*' && s.HttpMethod === '*');
      expect(stageDefault?.LoggingLevel).toBe('ERROR');
      for (const setting of settings.filter((s) => s !== stageDefault)) {
        expect(setting.HttpMethod, setting.ResourcePath).not.toBe('*');
        expect(setting.HttpMethod).not.toBe('ANY');
        expect(setting.LoggingLevel, `${setting.ResourcePath} ${setting.HttpMethod}`).toBe('ERROR');
        expect(setting.DataTraceEnabled).toBe(false);
        expect(setting.ThrottlingRateLimit).toBeGreaterThan(0);
      }
      // The catch-all's methods each get the catch-all's throttle.
      const proxyMethods = settings.filter((s) => s.ResourcePath === '/~1{proxy+}').map((s) => s.HttpMethod).sort();
      expect(proxyMethods).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
    }
  });
});

describe("bodies over API Gateway's own limit get the runtime's fault shape", () => {
  it('answers REQUEST_TOO_LARGE on the runtime with Apigee TooBigBody', () => {
    const responses = synth.resources('AWS::ApiGateway::GatewayResponse').map(([, response]) => response.Properties);
    const tooLarge = responses.find((response) => response.ResponseType === 'REQUEST_TOO_LARGE');
    expect(tooLarge?.StatusCode).toBe('413');
    expect(JSON.parse(tooLarge!.ResponseTemplates['application/json']).fault.detail.errorcode).toBe('protocol.http.TooBigBody');
  });
});
