// A tenant's proxy never reaches Tollgate's own store, secret store or planes,
// whatever the loopback setting: the replay of an attack on the embedded
// dynalite through a templated target port. Loopback targets are allowed
// here (the local default), as in the assessment.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../support/backend.js';
import type { TestPlatform } from '../support/platform.js';
import { deployProxy } from '../support/proxies.js';
import { usePlatformAndBackend } from '../support/suite.js';
import { scanAll } from '../support/store-integrity.js';

let platform: TestPlatform;
let backend: Backend;

usePlatformAndBackend((started) => ({ platform, backend } = started));
beforeAll(async () => {
  // target.url = http://{request.queryparam.h}:{request.queryparam.p}/ : host and port chosen by the caller.
  await deployProxy(platform, {
    name: 'anywhere',
    policies: [{ name: 'aim', type: 'AssignMessage', config: { assignVariables: [{ name: 'target.url', template: 'http://{request.queryparam.h}:{request.queryparam.p}/' }] } }],
    proxyEndpoints: [{ basePath: '/anywhere', preFlow: { request: [], response: [] } }],
    targetEndpoints: [{ name: 'default', connection: { url: backend.url }, preFlow: { request: [{ name: 'aim' }], response: [] } }],
  });
});

const port = (url: string) => new URL(url).port;
const dynamo = (target: string, body: unknown, query: string) =>
  platform.proxy('POST', `/anywhere?${query}`, {
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `DynamoDB_20120810.${target}`,
      authorization: 'AWS4-HMAC-SHA256 Credential=x/20260101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=00',
    },
    body: JSON.stringify(body),
  });

describe("a tenant's target never reaches Tollgate's own store, secret store or planes", () => {
  it('replays the attack on the embedded dynalite: refused, and the store is unchanged', async () => {
    const dynaPort = port(platform.local.runtime.config.dynamoEndpoint!);
    const before = await scanAll(platform.local.runtime.table);
    const table = platform.local.runtime.config.tableName;
    for (const host of ['127.0.0.1', 'localhost', '127.1.2.3', '[::ffff:127.0.0.1]']) {
      const scan = await dynamo('Scan', { TableName: table }, `h=${encodeURIComponent(host)}&p=${dynaPort}`);
      expect(scan.status, `${host}: ${scan.text}`).toBe(502);
      expect(scan.json.fault.detail.errorcode).toBe('messaging.adaptors.http.flow.TargetNotAllowed');
      expect(scan.text).not.toContain('"Items"');
      const put = await dynamo('PutItem', { TableName: table, Item: { pk: { S: 'ORG#default' }, sk: { S: 'ORG' }, owned: { S: 'yes' } } }, `h=${encodeURIComponent(host)}&p=${dynaPort}`);
      expect(put.status).toBe(502);
    }
    expect(await scanAll(platform.local.runtime.table)).toEqual(before);
  });

  it('refuses the platform plane and the runtime planes as a target', async () => {
    for (const url of [platform.url, platform.runtimeUrls.prod, platform.runtimeUrls.test]) {
      const answer = await platform.proxy('GET', `/anywhere?h=127.0.0.1&p=${port(url)}`);
      expect(answer.status, url).toBe(502);
      expect(answer.json.fault.detail.errorcode).toBe('messaging.adaptors.http.flow.TargetNotAllowed');
    }
  });

  it("refuses a provider aimed at the store or a plane, and lets this Tollgate's own OpenConnectors provider through", async () => {
    const providers = '/v1/organizations/default/apiproviders';
    const targets = { store: platform.local.runtime.config.dynamoEndpoint!, platform: platform.url, runtime: platform.runtimeUrls.prod };
    for (const [name, url] of Object.entries(targets)) {
      const made = await platform.request('POST', providers, { json: { name: `at-${name}`, type: 'Internet', url } });
      expect(made.status, name).toBe(422);
      expect(made.json.error.message).toContain("is Tollgate's own");
    }
    const { organizationSecret, userSecret } = platform.local.credentials;
    expect((await platform.request('POST', providers, { json: { name: 'own-connectors', type: 'OpenConnectors', organizationSecret, userSecret } })).status).toBe(201);
    expect((await platform.request('POST', `${providers}/own-connectors/connection`)).json.ok).toBe(true);
  });

  it('still reaches a loopback backend on another port', async () => {
    const answer = await platform.proxy('GET', `/anywhere?h=127.0.0.1&p=${backend.port}`);
    expect(answer.status, answer.text).toBe(200);
  });
});
