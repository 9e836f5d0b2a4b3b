// `npm run import`: a bundle folder or zip imported into a running server,
// with credentials from the environment or the local secret store.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runImport } from '../../scripts/import.js';
import { orgSecretNames } from '../../shared/auth/organizations.js';
import { startBackend, type Backend } from '../support/backend.js';
import { bundle, proxyEndpoint, targetEndpoint } from '../support/bundles.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;
let backend: Backend;
let work: string;

beforeAll(async () => {
  platform = await startPlatform();
  backend = await startBackend();
  work = mkdtempSync(join(tmpdir(), 'tollgate-import-'));
});
afterAll(async () => {
  await platform.close();
  await backend.close();
  rmSync(work, { recursive: true, force: true });
});

/** Writes a bundle as files: <dir>/apiproxy/... */
function writeBundleFolder(dir: string, basePath: string): void {
  const files: Record<string, string> = {
    'apiproxy/cli.xml': '<APIProxy name="cli"><Policies><Policy>AM-1</Policy><Policy>JS-1</Policy></Policies></APIProxy>',
    'apiproxy/proxies/default.xml': proxyEndpoint({ basePath, request: ['JS-1'], response: ['AM-1'] }),
    'apiproxy/targets/default.xml': targetEndpoint(backend.url),
    'apiproxy/policies/AM-1.xml': '<AssignMessage name="AM-1"><Set><Headers><Header name="x-imported">by-cli</Header></Headers></Set></AssignMessage>',
    'apiproxy/policies/JS-1.xml': '<Javascript name="JS-1"><ResourceURL>jsc://a.js</ResourceURL></Javascript>',
    'apiproxy/resources/jsc/a.js': 'var a = 1;',
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

describe('npm run import', () => {
  it('zips a folder, imports, deploys and reports skipped policies', async () => {
    const folder = join(work, 'folder');
    writeBundleFolder(folder, '/cli');
    const lines: string[] = [];
    const refused = await runImport([folder, '--url', platform.url], { TOLLGATE_AUTHORIZATION: platform.auth }, (line) => lines.push(line));
    expect(refused).toBe(1);
    expect(lines.join('\n')).toContain('policies/JS-1.xml: /Javascript');

    lines.length = 0;
    const code = await runImport([join(folder, 'apiproxy'), '--url', platform.url, '--allow-unsupported', '--deploy', 'prod'], { TOLLGATE_AUTHORIZATION: platform.auth }, (line) => lines.push(line));
    expect(code, lines.join('\n')).toBe(0);
    expect(lines[0]).toBe('Imported cli: 2 policies, base paths /cli as revision 1');
    expect(lines.join('\n')).toContain('skipped JS-1');
    expect(lines.join('\n')).toContain('Deployed revision 1 to prod');
    const called = await platform.proxy('GET', '/cli/x', { auth: false });
    expect(called.headers.get('x-imported')).toBe('by-cli');
  });

  it('reads the credentials from the local secret store and imports a zip file as a separate process', async () => {
    const dataDir = join(work, 'data');
    mkdirSync(dataDir, { recursive: true });
    const names = orgSecretNames('default');
    writeFileSync(
      join(dataDir, 'secrets.json'),
      JSON.stringify({ [names.user]: platform.local.credentials.userSecret, [names.organization]: platform.local.credentials.organizationSecret }),
    );
    const zipFile = join(work, 'renamed.zip');
    writeFileSync(zipFile, bundle('cli', { proxies: { default: proxyEndpoint({ basePath: '/cli-zip' }) }, targets: { default: targetEndpoint(backend.url) } }));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/import.ts', zipFile, '--name', 'cli-zip', '--url', platform.url, '--validate'], {
      env: { ...process.env, DATA_DIR: dataDir, TOLLGATE_AUTHORIZATION: '' },
    });
    expect(stdout).toBe('Valid bundle cli-zip: 0 policies, base paths /cli-zip\n');
    expect((await platform.request('GET', '/v1/organizations/default/apis/cli-zip')).status).toBe(404);
  });

  it('explains what is missing', async () => {
    const lines: string[] = [];
    expect(await runImport([], {}, (line) => lines.push(line))).toBe(2);
    expect(lines[0]).toContain('Usage: npm run import');
    lines.length = 0;
    expect(await runImport([join(work, 'nowhere.zip')], { TOLLGATE_AUTHORIZATION: 'x' }, (line) => lines.push(line))).toBe(1);
    lines.length = 0;
    const folder = join(work, 'folder2');
    writeBundleFolder(folder, '/cli2');
    expect(await runImport([folder, '--url', platform.url], { DATA_DIR: join(work, 'empty') }, (line) => lines.push(line))).toBe(1);
    expect(lines[0]).toContain('No credentials');
    lines.length = 0;
    expect(await runImport([folder, '--url', 'http://127.0.0.1:9'], { TOLLGATE_AUTHORIZATION: platform.auth }, (line) => lines.push(line))).toBe(1);
    expect(lines[0]).toContain('Cannot reach Tollgate');
  });
});
