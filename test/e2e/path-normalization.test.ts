// Flow conditions cannot be bypassed with un-normalized paths: routing,
// proxy.pathsuffix and the target path all use one normal form (unreserved
// characters decoded, dot-segments removed, empty segments collapsed, matrix
// parameters dropped), so `//admin/x`, `/%61dmin/x`, `/admin;a=b/x`,
// `/./admin` and `/x/../admin` meet the `MatchesPath "/admin/**"` guard, and
// what the backend receives is what the condition saw. Sent with node:http:
// fetch would normalize some of these itself.
import { request as httpRequest } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../support/backend.js';
import type { TestPlatform } from '../support/platform.js';
import { deployProxy } from '../support/proxies.js';
import { usePlatformAndBackend } from '../support/suite.js';

let platform: TestPlatform;
let backend: Backend;

usePlatformAndBackend((started) => ({ platform, backend } = started));
beforeAll(async () => {
  await deployProxy(platform, {
    name: 'normalized',
    policies: [{ name: 'deny', type: 'RaiseFault', config: { statusCode: 403, reasonPhrase: 'Forbidden', payload: { content: 'admin is closed', contentType: 'text/plain' } } }],
    proxyEndpoints: [
      {
        basePath: '/shop',
        preFlow: { request: [], response: [] },
        flows: [{ name: 'admin', condition: 'proxy.pathsuffix MatchesPath "/admin/**" or proxy.pathsuffix = "/admin"', request: [{ name: 'deny' }], response: [] }],
      },
    ],
    targetEndpoints: [{ name: 'default', connection: { url: `${backend.url}/base` } }],
  });
});

function send(path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(platform.runtimeUrls.prod);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('flow conditions and the target path agree on one normalized path', () => {
  it.each(['/shop//admin/x', '/shop/%61dmin/x', '/shop/admin;a=b/x', '/shop/./admin', '/shop/x/../admin', '/shop/%2e/admin/x', '/shop/ADMIN/../admin/x', '//shop/admin/x', '/shop/admin/'])(
    '%s meets the admin guard and never reaches the backend',
    async (path) => {
      const before = backend.requests.length;
      const answer = await send(path);
      expect(answer.status, answer.body).toBe(403);
      expect(backend.requests.length).toBe(before);
    },
  );

  it.each([
    ['/shop/items//7', '/base/items/7'],
    ['/shop/%69tems/7', '/base/items/7'],
    ['/shop/items;v=2/7', '/base/items/7'],
    ['/shop/x/../items/7?q=a%20b', '/base/items/7?q=a+b'],
    ['/shop/files/a%2Fb', '/base/files/a%2Fb'],
    ['/shop/files/%7euser', '/base/files/~user'],
  ])('%s reaches the backend as %s', async (path, seen) => {
    const answer = await send(path);
    expect(answer.status, answer.body).toBe(200);
    expect(JSON.parse(answer.body).url).toBe(seen);
  });
});
