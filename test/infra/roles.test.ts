// Each Lambda role, on its own, allows what its own function's code calls:
// the functions run as the local runtime runs them (the same handler modules)
// on a fresh store, as after a first deploy, every DynamoDB and Secrets
// Manager call is recorded with the function that made it, and each call is
// checked against the policy statements the synthesized stack gives that
// function's role. A proxy whose GenerateAccessToken runs before anything
// else created the signing keys is the case a union of all roles would hide.
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DYNAMODB_COMMAND_ACTIONS, SIGNING_KEYS_SECRET } from '../../infra/access.js';
import { SIGNING_KEYS_SECRET as SIGNING_KEYS_SECRET_OF_CODE } from '../../shared/oauth/keys.js';
import { localHandlers } from '../../local/handlers.js';
import type { FunctionName } from '../../shared/http/api-routes.js';
import type { SecretBackend } from '../../shared/secrets/store.js';
import { formBasic, FORM, provisionApp } from '../support/consumers.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { deployProxy } from '../support/proxies.js';
import { synthesize } from '../support/synth.js';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const cdkJson = JSON.parse(readFileSync(fileURLToPath(new URL('../../cdk.json', import.meta.url)), 'utf8')) as { context: Record<string, string> };
const prefix = `tollgate/${cdkJson.context['tollgate:stage']}/`;

interface Statement {
  actions: string[];
  resources: string[];
}

/** CloudFormation values with the pseudo-parameters of one account and region filled in. */
function resolve(value: unknown): string {
  if (typeof value === 'string') return value;
  const object = value as Record<string, unknown>;
  if ('Ref' in object) return ({ 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com' } as Record<string, string>)[object.Ref as string] ?? `{${String(object.Ref)}}`;
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map(resolve).join(separator);
  }
  if ('Fn::GetAtt' in object) return `{${(object['Fn::GetAtt'] as string[]).join('.')}}`;
  return JSON.stringify(object);
}

const glob = (pattern: string) => new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);

/** The Allow statements of each function's role. */
function rolePolicies(): Record<FunctionName, Statement[]> {
  const synth = synthesize(cdkJson.context, { account: ACCOUNT, region: REGION });
  expect(synth.error).toBeUndefined();
  const roles = Object.fromEntries(
    synth.resources('AWS::IAM::Role').flatMap(([id, role]) => {
      const name = /^Tollgate (\w+) function$/.exec(String(role.Properties.Description))?.[1];
      return name ? [[id, name]] : [];
    }),
  ) as Record<string, FunctionName>;
  const policies = {} as Record<FunctionName, Statement[]>;
  for (const [, policy] of synth.resources('AWS::IAM::Policy')) {
    for (const ref of policy.Properties.Roles as { Ref: string }[]) {
      const name = roles[ref.Ref];
      if (!name) continue;
      for (const statement of policy.Properties.PolicyDocument.Statement as { Effect: string; Action: string | string[]; Resource: unknown }[]) {
        if (statement.Effect !== 'Allow') continue;
        const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
        const resources = (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]).map(resolve);
        (policies[name] ??= []).push({ actions, resources });
      }
    }
  }
  return policies;
}

interface Call {
  fn: FunctionName;
  action: string;
  resource: string;
}

const current = new AsyncLocalStorage<FunctionName>();
const calls: Call[] = [];
let platform: TestPlatform;
let policies: Record<FunctionName, Statement[]>;
const originals = { ...localHandlers };

function secretArn(name: string): string {
  return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${prefix}${name}-AbCdEf`;
}

function recordSecrets(backend: SecretBackend): void {
  const record = (actions: string[], name: string) => {
    const fn = current.getStore();
    if (fn) for (const action of actions) calls.push({ fn, action, resource: secretArn(name) });
  };
  const { get, put, delete: remove } = backend;
  backend.get = (name) => (record(['secretsmanager:GetSecretValue'], name), get.call(backend, name));
  // The Secrets Manager backend puts a value, and creates (with tags) the secret the first time.
  backend.put = (name, value) => (record(['secretsmanager:PutSecretValue', 'secretsmanager:CreateSecret', 'secretsmanager:TagResource'], name), put.call(backend, name, value));
  backend.delete = (name) => (record(['secretsmanager:DeleteSecret'], name), remove.call(backend, name));
}

beforeAll(async () => {
  policies = rolePolicies();
  platform = await startPlatform();
  for (const name of Object.keys(localHandlers) as FunctionName[]) {
    localHandlers[name] = (event, context) => current.run(name, () => originals[name](event, context));
  }
  recordSecrets(platform.local.runtime.secrets.backend);
  platform.local.runtime.table.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const fn = current.getStore();
      const action = DYNAMODB_COMMAND_ACTIONS[String(context.commandName)];
      if (fn && action) calls.push({ fn, action, resource: `{TableArn}` });
      return next(args);
    },
    { step: 'initialize', name: 'recordCalls' },
  );
}, 120_000);
afterAll(async () => {
  Object.assign(localHandlers, originals);
  await platform.close();
});

describe("each Lambda role allows what its own function's code calls", () => {
  it('records the calls of a first deploy: management, a proxy issuing the first token, the token service, a provider', async () => {
    const app = await provisionApp(platform, { product: 'roles', productFields: { proxies: ['issuer', 'guarded'] } });
    await deployProxy(platform, {
      name: 'issuer',
      policies: [{ name: 'issue', type: 'OAuthV2', config: { operation: 'GenerateAccessToken', grantTypes: ['client_credentials'] } }],
      proxyEndpoints: [{ basePath: '/issuer', preFlow: { request: [{ name: 'issue' }], response: [] } }],
    });
    // The proxy is the first to need the signing keys on this fresh store.
    const issued = await platform.proxy('POST', '/issuer/token', { auth: formBasic(app.consumerKey, app.consumerSecret), headers: FORM, body: 'grant_type=client_credentials' });
    expect(issued.status, issued.text).toBe(200);
    const token = await platform.request('POST', '/oauth/token', { auth: formBasic(app.consumerKey, app.consumerSecret), headers: FORM, body: 'grant_type=client_credentials' });
    expect(token.status).toBe(200);
    expect((await platform.request('POST', '/v1/organizations/default/apiproviders', { json: { name: 'roles-backend', type: 'Internet', url: 'https://backend.example.com', authentication: { type: 'Basic', username: 'u', password: 'p' } } })).status).toBe(201);
    expect((await platform.request('DELETE', '/v1/organizations/default/apiproviders/roles-backend')).status).toBe(200);
    expect(calls.some((call) => call.fn === 'proxy' && call.action === 'secretsmanager:PutSecretValue')).toBe(true);
  });

  it.each(['platform', 'proxy', 'token', 'callback'] as FunctionName[])('%s: every call it made is allowed by its own role', (fn) => {
    const statements = policies[fn] ?? [];
    for (const call of calls.filter((candidate) => candidate.fn === fn)) {
      const allowed = statements.some(
        (statement) => statement.actions.some((action) => glob(action).test(call.action)) && statement.resources.some((resource) => resource.startsWith('{') ? call.resource.startsWith('{') : glob(resource).test(call.resource)),
      );
      expect(allowed, `${fn} calls ${call.action} on ${call.resource}`).toBe(true);
    }
  });

  it('grants the proxy no secret write beyond its signing keys', () => {
    expect(SIGNING_KEYS_SECRET).toBe(SIGNING_KEYS_SECRET_OF_CODE);
    const writes = (policies.proxy ?? []).filter((statement) => statement.actions.some((action) => action !== 'secretsmanager:GetSecretValue' && action.startsWith('secretsmanager:')));
    for (const statement of writes) {
      for (const resource of statement.resources) expect(resource).toMatch(/secret:tollgate\/prod\/jwt-keys\*$/);
      expect(statement.actions).not.toContain('secretsmanager:DeleteSecret');
    }
  });
});
