// The CDK stack: synthesizes offline (bundling skipped), passes cdk-nag's AWS
// Solutions checks, and has the settings a security review looks for.
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { settingsFrom } from '../../infra/config.js';
import { TollgateStack } from '../../infra/stack.js';
import { API_ROUTES } from '../../shared/http/api-routes.js';

let template: Template;
let synthError: unknown;

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], 'tollgate:stage': 'test' } });
  const stack = new TollgateStack(app, 'Tollgate-test', { settings: settingsFrom(app.node) });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
  } catch (error) {
    synthError = error;
  }
  template = Template.fromStack(stack);
}, 60_000);

describe('TollgateStack', () => {
  it('passes cdk-nag AWS Solutions checks with no unacknowledged finding', () => {
    expect(synthError).toBeUndefined();
  });

  it('runs every function on nodejs22.x arm64', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const ours = Object.values(functions).filter((f) => String(f.Properties.Handler).startsWith('index.'));
    expect(ours.length).toBe(new Set(API_ROUTES.map((r) => r.function)).size);
    for (const fn of ours) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
    }
  });

  it('has the table with PITR, encryption, TTL on expiresAt and the GSI', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: Match.objectLike({ SSEEnabled: Match.anyValue() }),
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'gsi1' })],
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true })],
    });
  });

  it('generates the platform secrets under the stage prefix', () => {
    for (const name of ['data-key', 'orgs/default/organization-secret', 'orgs/default/user-secret']) {
      template.hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: `tollgate/test/${name}`,
        GenerateSecretString: Match.objectLike({ PasswordLength: 48 }),
      });
    }
  });

  it('wires every route family to its function', () => {
    const resources = Object.values(template.findResources('AWS::ApiGateway::Resource')).map((r) => r.Properties.PathPart);
    for (const part of ['healthz', 'v1', 'elements', 'apiportal', '{proxy+}']) expect(resources).toContain(part);
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    expect(methods.length).toBeGreaterThanOrEqual(API_ROUTES.reduce((n, r) => n + r.methods.length, 0));
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: ['*/*'] });
  });

  it('throttles routes individually at the stage', () => {
    const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0]!;
    const settings = stage.Properties.MethodSettings as { ResourcePath: string; HttpMethod: string; ThrottlingRateLimit: number }[];
    const find = (path: string, method: string) => settings.find((s) => s.ResourcePath === path && s.HttpMethod === method);
    expect(find('/~1oauth~1token', 'POST')?.ThrottlingRateLimit).toBe(100);
    expect(find('/~1elements~1api-v2~1oauth~1callback', 'GET')?.ThrottlingRateLimit).toBe(10);
    expect(find('/~1{proxy+}', '*')?.ThrottlingRateLimit).toBe(1000);
    expect(stage.Properties.AccessLogSetting).toBeDefined();
  });

  it('scopes IAM to the table, its index and the stack secret prefix', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const flat = JSON.stringify(statements);
    expect(flat).not.toContain('"Resource":"*"');
    expect(flat).toContain(':secret:tollgate/test/*');
    expect(flat).toContain('/index/gsi1');
  });
});
