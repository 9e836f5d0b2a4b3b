// `npm run demo` against a running platform: the seed bundles deployed, the
// product, developer, app and connector instance created, and a second run
// that keeps them (new revisions only). Then the scenarios answer.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORM, rawBasic } from '../support/consumers.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';

const run = promisify(execFile);
let platform: TestPlatform;
let output: string;

async function demo(): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/demo.ts'], { env: { ...process.env, TOLLGATE_URL: platform.url, TOLLGATE_AUTHORIZATION: platform.auth } });
  return stdout;
}

beforeAll(async () => {
  platform = await startPlatform();
  output = await demo();
}, 60_000);
afterAll(async () => {
  await platform.close();
});

describe('npm run demo', () => {
  it('deploys the seed bundles and prints the app key and secret once', () => {
    for (const name of ['hello-world', 'api-connectivity-test', 'iflow-token']) expect(output).toContain(`proxy ${name}: revision 1 deployed to prod and test`);
    expect(output).toMatch(/app demo-app: key \S+\n\s+secret \S+ \(shown once; keep it\)/);
    expect(output).toContain('connector instance "Demo JSONPlaceholder": id 1');
  });

  it('makes the scenarios work: an API key call, and seed 002\'s token then API call', async () => {
    const key = /key (\S+)/.exec(output)![1]!;
    const secret = /secret (\S+)/.exec(output)![1]!;
    expect(output).toContain(`proxies run at ${platform.runtimeUrls.prod}`);
    const hello = await fetch(`${platform.runtimeUrls.prod}/hello?apikey=${key}`);
    expect(await hello.json()).toEqual({ hello: 'demo-app', product: 'demo' });
    expect((await fetch(`${platform.runtimeUrls.prod}/hello`)).status).toBe(401);
    const token = await platform.proxy('POST', '/iflow-token/OAuthToken?grant_type=client_credentials', { auth: rawBasic(key, secret), headers: FORM, body: '' });
    expect(token.status, token.text).toBe(200);
    const api = await fetch(`${platform.runtimeUrls.prod}/cpi/api_connectivity_test/v1`, { headers: { authorization: `Bearer ${token.json.access_token}` } });
    expect(await api.text()).toBe('Hello world from IFlow');
    const products = await platform.request('GET', '/v1/organizations/default/portal/products', { auth: false });
    expect(products.json.map((p: { name: string }) => p.name)).toEqual(['demo']);
  });

  it('can run again: nothing duplicated, the bundles get a new revision', async () => {
    const again = await demo();
    expect(again).toContain('proxy hello-world: revision 2 deployed to prod and test');
    expect(again).toContain('(created before; its secret was shown then)');
    expect(((await platform.request('GET', '/elements/api-v2/instances')).json as unknown[]).length).toBe(1);
  });
});
