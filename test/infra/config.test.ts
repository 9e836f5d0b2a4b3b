// Stack settings and the pieces derived from them, without a synth: context
// parsing and validation, throttle keys against the route table, and the
// function environment read back by the code that consumes it.
import { App } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_THROTTLES, parseSettings, SettingsError, settingsFrom } from '../../infra/config.js';
import { functionEnvironment } from '../../infra/environment.js';
import { methodThrottles, planeThrottles, routeThrottles, usagePlanRoutes } from '../../infra/routes.js';
import { TollgateStack } from '../../infra/stack.js';
import { loadConfig } from '../../shared/config.js';
import { PLATFORM_ROUTES, RUNTIME_ROUTES, type ApiRoute } from '../../shared/http/api-routes.js';

const settingsWith = (context: Record<string, unknown>) => settingsFrom(new App({ context }).node);

describe('settings', () => {
  it('has production defaults: stage prod, data retained, AWS managed keys, 30-day logs, no tracing', () => {
    const settings = parseSettings({});
    expect(settings).toMatchObject({
      stage: 'prod',
      organization: 'default',
      allowedRedirectOrigins: [],
      tokenLifetimeSeconds: 3600,
      logRetentionDays: RetentionDays.ONE_MONTH,
      retainData: true,
      tracing: false,
      encryption: 'aws-managed',
      throttles: DEFAULT_THROTTLES,
      throttleOverrides: [],
      functions: {},
      alarms: { serverErrorRatePercent: 2, minRequests: 20, durationP99Ms: 5000 },
    });
    expect(settings.customDomain).toBeUndefined();
    expect(settings.usagePlan).toBeUndefined();
  });

  it('reads command-line context strings: booleans, numbers, lists and JSON objects', () => {
    const settings = settingsWith({
      'tollgate:stage': 'dev',
      'tollgate:retainData': 'false',
      'tollgate:tracing': 'true',
      'tollgate:logRetentionDays': '7',
      'tollgate:tokenLifetimeSeconds': '600',
      'tollgate:allowedRedirectOrigins': 'https://a.example.com, http://localhost:3000',
      'tollgate:throttles': '{"/v1/{proxy+}/*": {"rateLimit": 5, "burstLimit": 2}}',
      'tollgate:alarmEmail': 'ops@example.com',
    });
    expect(settings).toMatchObject({
      stage: 'dev',
      retainData: false,
      tracing: true,
      logRetentionDays: 7,
      tokenLifetimeSeconds: 600,
      allowedRedirectOrigins: ['https://a.example.com', 'http://localhost:3000'],
      throttleOverrides: ['/v1/{proxy+}/*'],
      alarms: { email: 'ops@example.com' },
    });
    expect(settings.throttles['/v1/{proxy+}/*']).toEqual({ rateLimit: 5, burstLimit: 2 });
    expect(settings.throttles['/{proxy+}/*']).toEqual(DEFAULT_THROTTLES['/{proxy+}/*']);
  });

  it('reads cdk.json-style values (arrays, objects, booleans) as they are', () => {
    const settings = settingsWith({
      'tollgate:allowedRedirectOrigins': ['https://a.example.com'],
      'tollgate:retainData': true,
      'tollgate:functions': { proxy: { reservedConcurrency: 20 } },
      'tollgate:domainName': 'api.example.com',
      'tollgate:certificateArn': 'arn:aws:acm:us-east-1:123456789012:certificate/abc-def',
    });
    expect(settings.allowedRedirectOrigins).toEqual(['https://a.example.com']);
    expect(settings.functions).toEqual({ proxy: { reservedConcurrency: 20 } });
    expect(settings.customDomain).toEqual({
      domainName: 'api.example.com',
      certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-def',
      disableExecuteApiEndpoint: false,
    });
  });

  it.each([
    [{ 'tollgate:stage': 'Prod' }, 'tollgate:stage'],
    [{ 'tollgate:organization': 'Acme Corp' }, 'tollgate:organization'],
    [{ 'tollgate:logRetentionDays': '31' }, 'tollgate:logRetentionDays'],
    [{ 'tollgate:tokenLifetimeSeconds': '10' }, 'tollgate:tokenLifetimeSeconds'],
    [{ 'tollgate:allowedRedirectOrigins': 'https://a.example.com/path' }, 'tollgate:allowedRedirectOrigins.0'],
    [{ 'tollgate:encryption': 'none' }, 'tollgate:encryption'],
    [{ 'tollgate:domainName': 'api.example.com' }, 'tollgate:certificateArn'],
    [{ 'tollgate:disableExecuteApiEndpoint': 'true' }, 'tollgate:disableExecuteApiEndpoint'],
    [{ 'tollgate:throttles': '{"/v1": {"rateLimit": 1, "burstLimit": 1}}' }, 'tollgate:throttles./v1'],
    [{ 'tollgate:throttles': '{"default": {"rateLimit": 1}}' }, 'tollgate:throttles.default.burstLimit'],
    [{ 'tollgate:functions': '{"proxy": {"memory": 512}}' }, 'tollgate:functions.proxy'],
    [{ 'tollgate:alarms': '{"durationP99Ms": 0}' }, 'tollgate:alarms.durationP99Ms'],
    [{ 'tollgate:webAclArn': 'arn:aws:wafv2:eu-west-1:123456789012:global/webacl/x/1' }, 'tollgate:webAclArn'],
    [{ 'tollgate:usagePlan': '{"resources": [], "rateLimit": 1, "burstLimit": 1}' }, 'tollgate:usagePlan.resources'],
  ])('refuses %j naming %s', (context, key) => {
    expect(() => settingsWith(context)).toThrow(SettingsError);
    expect(() => settingsWith(context)).toThrow(key);
  });

  it('refuses an unknown tollgate: context key, so a typo is not silently ignored', () => {
    expect(() => settingsWith({ 'tollgate:retainDta': 'false' })).toThrow(/Unknown Tollgate settings: tollgate:retainDta/);
  });

  it('takes props overrides on top of context', () => {
    expect(settingsFrom(new App({ context: { 'tollgate:stage': 'dev' } }).node, { stage: 'qa' }).stage).toBe('qa');
  });
});

describe('stage method throttles', () => {
  const routes: ApiRoute[] = [
    { resource: '/oauth/token', methods: ['POST', 'ANY'], function: 'platform' },
    { resource: '/v1/{proxy+}', methods: ['ANY'], function: 'platform' },
    { resource: '/{proxy+}', methods: ['ANY'], function: 'proxy' },
    { resource: '/', methods: ['ANY'], function: 'proxy' },
  ];
  const t = { rateLimit: 5, burstLimit: 2 };

  it('maps keys to CDK method option paths, the root and the stage default included', () => {
    expect(methodThrottles({ default: t, '/oauth/token/POST': t, '/v1/{proxy+}/*': t, '//*': t }, routes, [])).toEqual([
      { path: '/*/*', resource: '/*', method: '*', ...t },
      { path: '/oauth/token/POST', resource: '/oauth/token', method: 'POST', ...t },
      { path: '/v1/{proxy+}/*', resource: '/v1/{proxy+}', method: '*', ...t },
      { path: '//*', resource: '/', method: '*', ...t },
    ]);
  });

  it('skips default keys for routes this build does not have', () => {
    const applied = methodThrottles(DEFAULT_THROTTLES, routes, []).map((m) => m.path);
    expect(applied).toContain('/oauth/token/POST');
    expect(applied).not.toContain('/elements/api-v2/oauth/callback/GET');
    expect(applied).not.toContain('/healthz/GET');
  });

  it('refuses operator keys naming a missing route or an undeclared method', () => {
    expect(() => methodThrottles({ '/nope/*': t }, routes, ['/nope/*'])).toThrow(/no route \/nope/);
    expect(() => methodThrottles({ '/oauth/token/GET': t }, routes, ['/oauth/token/GET'])).toThrow(/declares POST, ANY; use one of POST, \*/);
    // A route served by ANY is addressed as a whole.
    expect(() => methodThrottles({ '/v1/{proxy+}/POST': t }, routes, ['/v1/{proxy+}/POST'])).toThrow(/use one of \*/);
    expect(() => methodThrottles({ '/v1/{proxy+}/ANY': t }, routes, ['/v1/{proxy+}/ANY'])).toThrow(SettingsError);
  });

  it('throttles every route of this build by default', () => {
    const planes = planeThrottles(DEFAULT_THROTTLES, []);
    for (const [plane, routes] of [['platform', PLATFORM_ROUTES], ['runtime', RUNTIME_ROUTES]] as const) {
      const covered = new Set(planes[plane].map((m) => m.resource));
      for (const route of routes) expect(covered, route.resource).toContain(route.resource);
    }
  });

  it('splits throttles by plane: a key of either plane is valid, one of neither fails, and each API gets only its own', () => {
    const t = { rateLimit: 1, burstLimit: 1 };
    const split = planeThrottles({ default: t, '/v1/{proxy+}/*': t, '/{proxy+}/*': t }, ['/v1/{proxy+}/*', '/{proxy+}/*']);
    expect(split.platform.map((m) => m.path)).toEqual(['/*/*', '/v1/{proxy+}/*']);
    expect(split.runtime.map((m) => m.path)).toEqual(['/*/*', '/{proxy+}/*']);
    expect(() => planeThrottles({ '/nope/*': t }, ['/nope/*'])).toThrow(/no route \/nope/);
    // HTTP API route keys: `*` covers each method of the route.
    expect(routeThrottles(split.platform, PLATFORM_ROUTES)).toEqual([['ANY /v1/{proxy+}', t]]);
    expect(routeThrottles(planeThrottles({ '/oauth/token/*': t }, []).platform, PLATFORM_ROUTES)).toEqual([
      ['POST /oauth/token', t],
      ['ANY /oauth/token', t],
    ]);
  });

  it('names usage-plan resources from the route table', () => {
    expect(usagePlanRoutes(['/{proxy+}'], routes)).toEqual([routes[2]]);
    expect(() => usagePlanRoutes(['/proxy'], routes)).toThrow(/tollgate:usagePlan.resources: no route \/proxy/);
  });
});

describe('function environment', () => {
  it('is read back by loadConfig as the settings meant it', () => {
    const settings = parseSettings({
      stage: 'dev',
      organization: 'acme',
      allowedRedirectOrigins: ['https://app.example.com', 'http://localhost:3000'],
    });
    const env = functionEnvironment(settings, {
      tableName: 'Tollgate-dev-Table',
      issuer: 'https://abc123.execute-api.eu-west-1.amazonaws.com',
      runtimeUrls: { prod: 'https://rt.execute-api.eu-west-1.amazonaws.com/prod', test: 'https://rt.execute-api.eu-west-1.amazonaws.com/test' },
      secretsKmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/k',
      queueUrls: { poll: 'https://sqs.eu-west-1.amazonaws.com/123456789012/poll', delivery: 'https://sqs.eu-west-1.amazonaws.com/123456789012/delivery' },
    });
    const config = loadConfig({ ...env, AWS_REGION: 'eu-west-1' });
    expect(config).toMatchObject({
      mode: 'aws',
      stage: 'dev',
      tableName: 'Tollgate-dev-Table',
      region: 'eu-west-1',
      secretPrefix: 'tollgate/dev/',
      secretsKmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/k',
      defaultOrganization: 'acme',
      issuer: 'https://abc123.execute-api.eu-west-1.amazonaws.com',
      runtimeUrls: { prod: 'https://rt.execute-api.eu-west-1.amazonaws.com/prod', test: 'https://rt.execute-api.eu-west-1.amazonaws.com/test' },
      adminEmail: 'admin@localhost',
      allowLoopback: false,
      allowedRedirectOrigins: ['https://app.example.com', 'http://localhost:3000'],
      eventQueues: { poll: 'https://sqs.eu-west-1.amazonaws.com/123456789012/poll', delivery: 'https://sqs.eu-west-1.amazonaws.com/123456789012/delivery' },
    });
    expect(env.TOKEN_LIFETIME_SECONDS).toBe('3600');
    expect(env.TOKEN_AUDIENCE).toBeUndefined();
  });
});

describe('stack settings checks', () => {
  it('refuses per-function settings for a function that does not exist', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const settings = parseSettings({ functions: { tokens: { memorySize: 512 } } });
    expect(() => new TollgateStack(app, 'T', { settings })).toThrow(/tollgate:functions.tokens: no such function/);
  });

  it('refuses a customer managed key without a concrete region', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    expect(() => new TollgateStack(app, 'T', { settings: parseSettings({ encryption: 'customer-managed' }) })).toThrow(/needs the stack region/);
  });

  it('refuses an operator throttle key for a route that does not exist', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const settings = parseSettings({ throttles: { '/v2/{proxy+}/*': { rateLimit: 1, burstLimit: 1 } } });
    expect(() => new TollgateStack(app, 'T', { settings })).toThrow(/tollgate:throttles.\/v2\/\{proxy\+\}\/\*: no route/);
  });
});
