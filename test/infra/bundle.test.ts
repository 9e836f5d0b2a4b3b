// The Lambda artifacts themselves: every function bundled exactly as the stack
// bundles it, loaded by plain Node as CommonJS (as the Lambda runtime does),
// and invoked with API Gateway events. The platform bundle talks to a real
// DynamoDB API (dynalite) through its bundled AWS SDK.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_ASSETS, buildFunction, LAZY_PACKAGES } from '../../infra/bundling.js';
import { startTable } from '../support/dynalite.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const functions = readdirSync(join(root, 'functions')).filter((name) => existsSync(join(root, 'functions', name, 'handler.ts')));
const secret = (c: string) => c.repeat(48);

let dir: string;
let dynamo: Awaited<ReturnType<typeof startTable>>;
const bundles: Record<string, string> = {};
const metafiles: Record<string, Metafile> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-bundle-'));
  // No "type": "module" above the bundle, as in the Lambda asset.
  writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
  for (const name of functions) {
    const { file, metafile } = await buildFunction(name, root, join(dir, name));
    bundles[name] = file;
    metafiles[name] = metafile;
  }
  dynamo = await startTable();
  // What the stack generates in Secrets Manager, here in the local secret file.
  writeFileSync(
    join(dir, 'secrets.json'),
    JSON.stringify({ 'data-key': secret('D'), 'orgs/default/organization-secret': secret('O'), 'orgs/default/user-secret': secret('U') }),
    { mode: 0o600 },
  );
}, 60_000);

afterAll(async () => {
  await dynamo?.close();
  rmSync(dir, { recursive: true, force: true });
});

function event(method: string, resource: string, path: string, headers: Record<string, string> = {}, body: unknown = null): APIGatewayProxyEvent {
  const proxy = /\{proxy\+\}/.test(resource) ? path.slice(resource.indexOf('{proxy+}')) : undefined;
  return {
    resource,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: proxy ? { proxy } : null,
    stageVariables: null,
    body: body === null ? null : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: `req-${Math.random()}`, stage: 'prod', identity: { sourceIp: '203.0.113.9' } } as never,
  };
}

interface Result {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Loads the bundle in a fresh Node process (no TypeScript loader) and invokes
 * its handler with each event in turn. Asynchronous: dynalite runs in this process.
 */
async function invoke(name: string, events: APIGatewayProxyEvent[]): Promise<Result[]> {
  const script = `
    const { handler } = require(${JSON.stringify(bundles[name])});
    const events = JSON.parse(process.env.EVENTS);
    const context = { functionName: 'tollgate-${name}', functionVersion: '$LATEST', memoryLimitInMB: '1024',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:tollgate-${name}', awsRequestId: 'aws-req',
      getRemainingTimeInMillis: () => 29000 };
    (async () => {
      const results = [];
      for (const event of events) results.push(await handler(event, context));
      process.stdout.write(JSON.stringify(results));
    })().catch((error) => { console.error(error); process.exit(1); });`;
  const env = {
    PATH: process.env.PATH,
    EVENTS: JSON.stringify(events),
    TOLLGATE_MODE: 'local',
    TABLE_NAME: 'test',
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    AWS_REGION: 'eu-west-1',
    LOCAL_SECRETS_FILE: join(dir, 'secrets.json'),
    LOG_LEVEL: 'SILENT',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8', timeout: 30_000, env }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Result[];
}

describe('function bundles', () => {
  // A budget against creeping cold starts, far below Lambda's own limits: Node compiles all of index.js at a
  // cold start. The platform's carries the management and connectors APIs and every policy's codec (bundle
  // import); the proxy's has the policies without their codecs; the rarely used libraries and the element files
  // are beside each bundle, not in it (LAZY_PACKAGES, BUNDLE_ASSETS). bench:cold reports each bundle's size and
  // import time, docs/performance.md the numbers.
  const BUDGET_KB: Record<string, number> = { platform: 1200, proxy: 640 };
  it('bundles every function under 700 KB, the proxy under 640 KB, the platform under 1.2 MB', () => {
    expect(functions).toEqual(expect.arrayContaining(['platform', 'proxy']));
    for (const name of functions) expect(statSync(bundles[name]!).size, name).toBeLessThan((BUDGET_KB[name] ?? 700) * 1024);
  });

  it('leaves the policies\' XML codecs out of the runtime\'s bundle: only bundle import and export read XML', () => {
    const code = readFileSync(bundles.proxy!, 'utf8');
    expect(code.includes('fromXml:'), 'the proxy bundles a policy codec').toBe(false);
    expect(Object.keys(metafiles.proxy!.inputs).filter((path) => path.startsWith('shared/bundles/'))).toEqual([]);
    expect(readFileSync(bundles.platform!, 'utf8').includes('fromXml:')).toBe(true);
  });

  it('leaves out of index.js only the lazy packages it ships beside it, and the element files for the catalog', () => {
    for (const name of functions) {
      const external = new Set<string>();
      for (const input of Object.values(metafiles[name]!.inputs)) {
        for (const imported of input.imports) if (imported.external && !imported.path.startsWith('node:')) external.add(imported.path);
      }
      // Node's built-ins imported without the node: prefix by bundled libraries.
      const packages = [...external].filter((path) => !/^(assert|async_hooks|buffer|child_process|crypto|events|fs|fs\/promises|http|http2|https|module|net|os|path|process|stream|string_decoder|tls|url|util|worker_threads|zlib)$/.test(path));
      expect(packages.sort(), name).toEqual([...(LAZY_PACKAGES[name] ?? [])].sort());
      for (const pkg of packages) expect(existsSync(join(dir, name, 'node_modules', pkg, 'index.js')), `${name}: ${pkg}`).toBe(true);
      const catalog = Object.keys(metafiles[name]!.inputs).includes('shared/connectors/catalog.ts');
      expect((BUNDLE_ASSETS[name] ?? []).some((asset) => asset.to === 'elements'), `${name} reads the element catalog`).toBe(catalog);
      if (catalog) expect(existsSync(join(dir, name, 'elements', 'salesforce.json')), name).toBe(true);
    }
  });

  it('loads the XML libraries and the element catalog beside the platform bundle when first needed', async () => {
    const auth = { Authorization: `User ${secret('U')}, Organization ${secret('O')}` };
    const extract = (xpath: string) => ({
      name: 'xml-extract',
      policies: [{ name: 'extract', type: 'ExtractVariables', config: { xmlPayload: { namespaces: { o: 'urn:order' }, variables: [{ name: 'id', xpath }] } } }],
      proxyEndpoints: [{ name: 'default', basePath: '/xml-extract', preFlow: { request: [{ name: 'extract' }], response: [] } }],
      targetEndpoints: [{ name: 'default', connection: { url: 'https://backend.example.com' } }],
    });
    const [created, undeclared, elements] = await invoke('platform', [
      event('POST', '/v1/{proxy+}', '/v1/organizations/default/apis', { ...auth, 'Content-Type': 'application/json' }, extract('/o:order/o:id')),
      event('POST', '/v1/{proxy+}', '/v1/organizations/default/apis', { ...auth, 'Content-Type': 'application/json' }, extract('/x:order/x:id')),
      event('GET', '/elements/{proxy+}', '/elements/api-v2/elements', auth),
    ]);
    expect(created!.statusCode, created!.body).toBe(201);
    // The XPath is checked at creation, with the prefixes the policy declares.
    expect(undeclared!.statusCode, undeclared!.body).toBe(422);
    expect(undeclared!.body).toContain('Cannot resolve QName x');
    expect(elements!.statusCode, elements!.body).toBe(200);
    expect((JSON.parse(elements!.body) as { key: string }[]).map((element) => element.key)).toContain('salesforce');
  });

  it('exports and imports a bundle and checks a formula schedule with the libraries shipped beside the platform bundle', async () => {
    const auth = { Authorization: `User ${secret('U')}, Organization ${secret('O')}` };
    const json = { ...auth, 'Content-Type': 'application/json' };
    const plain = {
      name: 'zip-roundtrip',
      proxyEndpoints: [{ name: 'default', basePath: '/zip-roundtrip' }],
      targetEndpoints: [{ name: 'default', connection: { url: 'https://backend.example.com' } }],
    };
    const exportEvent = { ...event('GET', '/v1/{proxy+}', '/v1/organizations/default/apis/zip-roundtrip/revisions/1', auth), queryStringParameters: { format: 'bundle' }, multiValueQueryStringParameters: { format: ['bundle'] } };
    const formula = (cron: string) => ({ name: `every ${cron}`, triggers: [{ type: 'scheduled', properties: { cron }, onSuccess: ['a'] }], steps: [{ name: 'a', type: 'script', properties: { body: 'done(1)' } }] });
    const [created, exported, scheduled, unscheduled] = await invoke('platform', [
      event('POST', '/v1/{proxy+}', '/v1/organizations/default/apis', json, plain),
      exportEvent,
      event('POST', '/elements/{proxy+}', '/elements/api-v2/formulas', json, formula('0 0/15 * * * ?')),
      event('POST', '/elements/{proxy+}', '/elements/api-v2/formulas', json, formula('not a schedule')),
    ]);
    expect(created!.statusCode, created!.body).toBe(201);
    // fflate writes the zip, fast-xml-parser reads it back, croner reads the schedules.
    expect(exported!.statusCode, exported!.body).toBe(200);
    const importEvent = {
      ...event('POST', '/v1/{proxy+}', '/v1/organizations/default/apis', { ...auth, 'Content-Type': 'application/octet-stream' }),
      queryStringParameters: { action: 'import', name: 'zip-roundtrip' },
      multiValueQueryStringParameters: { action: ['import'], name: ['zip-roundtrip'] },
      body: exported!.body,
      isBase64Encoded: true,
    };
    const [imported] = await invoke('platform', [importEvent]);
    expect(imported!.statusCode, imported!.body).toBe(201);
    expect(JSON.parse(imported!.body).revision).toBe('2');
    expect(scheduled!.statusCode, scheduled!.body).toBe(200);
    expect(unscheduled!.statusCode, unscheduled!.body).toBe(422);
    expect(unscheduled!.body).toContain('is not a cron expression');
  });

  it('leaves the SDK credential chain out: Lambda credentials come from the environment', () => {
    // The web function talks to no AWS service: no SDK at all, a small bundle.
    if (functions.includes('web')) expect(statSync(bundles.web!).size).toBeLessThan(100 * 1024);
    for (const name of functions.filter((f) => f !== 'web')) {
      const code = readFileSync(bundles[name]!, 'utf8');
      // Booleans, not toContain: a failure must not print a megabyte of bundle.
      expect(code.includes('sso_start_url'), `${name} bundles the SSO credential provider`).toBe(false);
      expect(code.includes('AWS credentials are not in the environment'), `${name} lacks the environment provider`).toBe(true);
    }
  });

  it('serves the platform API from the platform bundle, against DynamoDB through the bundled SDK', async () => {
    const auth = { Authorization: `User ${secret('U')}, Organization ${secret('O')}` };
    const [health, organization, denied] = await invoke('platform', [
      event('GET', '/healthz', '/healthz'),
      event('GET', '/v1/{proxy+}', '/v1/organizations/default', auth),
      event('GET', '/v1/{proxy+}', '/v1/organizations/default', { Authorization: `User ${secret('U')}, Organization ${secret('X')}` }),
    ]);
    expect(health!.statusCode).toBe(200);
    expect(JSON.parse(health!.body)).toEqual({ status: 'ok' });
    expect(organization!.statusCode, organization!.body).toBe(200);
    expect(JSON.parse(organization!.body).name).toBe('default');
    expect(denied!.statusCode).toBe(401);
  });

  it('answers with an Apigee fault from the proxy bundle', async () => {
    const [missing] = await invoke('proxy', [event('GET', '/{proxy+}', '/no-such-proxy/items')]);
    expect(missing!.statusCode).toBe(404);
    expect(JSON.parse(missing!.body).fault.detail.errorcode).toBe('messaging.adaptors.http.flow.ApplicationNotFound');
  });
});
