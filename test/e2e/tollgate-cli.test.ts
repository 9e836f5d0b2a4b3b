// The `tollgate` CLI as a user runs it: `npm start` in its own process on ports
// of its choosing, then `node scripts/tollgate.mjs <command>` (what `npx
// tollgate` runs) as child processes that are told only the data directory:
// they find the server's URL and the credentials there.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../support/backend.js';
import { main } from '../../scripts/tollgate.js';
import { bundle, proxyEndpoint, targetEndpoint } from '../support/bundles.js';

const execute = promisify(execFile);

let server: ChildProcess;
let backend: Backend;
let work: string;
let dataDir: string;
let platformUrl: string;
let runtimeUrl: string;

beforeAll(async () => {
  backend = await startBackend();
  work = mkdtempSync(join(tmpdir(), 'tollgate-cli-'));
  dataDir = join(work, 'data');
  server = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    env: { ...process.env, PORT: '0', RUNTIME_PORT: '0', DATA_DIR: dataDir, TOLLGATE_ORGANIZATION_SECRET: '', TOLLGATE_USER_SECRET: '', TOLLGATE_ADMIN_PASSWORD: '', LOG_LEVEL: 'SILENT' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let banner = '';
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on('data', (chunk: Buffer) => {
      banner += chunk.toString('utf8');
      if (banner.includes('Management user:')) resolve();
    });
    server.once('exit', (code) => reject(new Error(`npm start exited with ${code}`)));
  });
  platformUrl = /^platform: (\S+)/m.exec(banner)![1]!;
  runtimeUrl = /^runtime prod: (\S+)/m.exec(banner)![1]!;
});
afterAll(async () => {
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  await exited;
  await backend.close();
  rmSync(work, { recursive: true, force: true });
});

/** `tollgate <args>` with only DATA_DIR (and `env`) to go by. */
async function tollgate(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await execute(process.execPath, ['scripts/tollgate.mjs', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: work, DATA_DIR: dataDir, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function ok(args: string[], env: Record<string, string> = {}) {
  const result = await tollgate(args, env);
  expect(result.code, `tollgate ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

function writeFolder(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

describe('the server records where it listens', () => {
  it('in tollgate.json next to the lock, without a secret', () => {
    const state = JSON.parse(readFileSync(join(dataDir, 'tollgate.json'), 'utf8'));
    expect(state).toMatchObject({ platformUrl, runtimeUrls: { prod: runtimeUrl }, organization: 'default', pid: server.pid });
    const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as Record<string, string>;
    for (const value of Object.values(secrets)) expect(JSON.stringify(state)).not.toContain(value);
  });
});

describe('tollgate', () => {
  it('credentials: the platform header of the running server\'s data directory, and its URLs with --json', async () => {
    const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as Record<string, string>;
    const line = await ok(['credentials']);
    expect(line).toMatch(/^Authorization: User \S+, Organization \S+\n$/);
    expect(Object.values(secrets).some((secret) => line.includes(secret))).toBe(true);
    const json = JSON.parse(await ok(['credentials', '--json']));
    expect(json).toMatchObject({ organization: 'default', url: platformUrl, runtimeUrls: { prod: runtimeUrl } });
    // npm run credentials is the same command.
    const { stdout } = await execute('npm', ['run', '-s', 'credentials'], { env: { PATH: process.env.PATH ?? '', HOME: work, DATA_DIR: dataDir } });
    expect(stdout).toBe(line);
  });

  it('import: refuses an unsupported policy with its place, imports it kept with --allow-unsupported, and deploys', async () => {
    const folder = join(work, 'cli');
    writeFolder(folder, {
      'apiproxy/cli.xml': '<APIProxy name="cli"/>',
      'apiproxy/proxies/default.xml': proxyEndpoint({ basePath: '/cli', request: [['JC-1', 'request.header.never = "set"']], response: ['AM-1'] }),
      'apiproxy/targets/default.xml': targetEndpoint(backend.url),
      'apiproxy/policies/AM-1.xml': '<AssignMessage name="AM-1"><Set><Headers><Header name="x-imported">by-cli</Header></Headers></Set></AssignMessage>',
      // Java cannot run here: a JavaCallout is kept only when asked, and faults if a step reaches it.
      'apiproxy/policies/JC-1.xml': '<JavaCallout name="JC-1"><ClassName>com.example.Callout</ClassName><ResourceURL>java://callout.jar</ResourceURL></JavaCallout>',
    });
    const refused = await tollgate(['import', folder]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('policies/JC-1.xml: /JavaCallout');

    const imported = await ok(['import', join(folder, 'apiproxy'), '--allow-unsupported', '--deploy', 'prod']);
    expect(imported).toContain('Imported cli: 2 policies, base paths /cli as revision 1');
    expect(imported).toContain('kept unsupported policy JC-1 (JavaCallout)');
    expect(imported).toContain(`Deployed cli revision 1 to prod: ${runtimeUrl}/cli`);
    const called = await fetch(`${runtimeUrl}/cli/x`);
    expect(called.headers.get('x-imported')).toBe('by-cli');
  });

  it('import --validate stores nothing; import of a zip with --name; deploy, list, export, undeploy', async () => {
    const zipFile = join(work, 'shop.zip');
    writeFileSync(zipFile, bundle('anything', { proxies: { default: proxyEndpoint({ basePath: '/shop' }) }, targets: { default: targetEndpoint(backend.url) } }));
    expect(await ok(['import', zipFile, '--name', 'shop', '--validate'])).toBe('Valid bundle shop: 0 policies, base paths /shop\n');
    expect((await tollgate(['deploy', 'shop', '--env', 'prod'])).code).toBe(1);

    expect(await ok(['import', zipFile, '--name', 'shop'])).toContain('as revision 1');
    expect(await ok(['import', zipFile, '--name', 'shop'])).toContain('as revision 2');
    expect(await ok(['deploy', 'shop', '1', '--env', 'test'])).toContain('Deployed shop revision 1 to test');
    // The latest revision by default, replacing what is deployed unless --no-override.
    expect(await ok(['deploy', 'shop', '--env', 'test'])).toContain('Deployed shop revision 2 to test');
    const refused = await tollgate(['deploy', 'shop', '1', '--env', 'test', '--no-override']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('409');

    expect(await ok(['list'])).toMatch(/^shop {2}revisions 1,2 {2}deployed test: r2 \/shop$/m);
    const listed = JSON.parse(await ok(['list', '--json'])) as { name: string; deployed: unknown[] }[];
    expect(listed.find((proxy) => proxy.name === 'shop')).toEqual({ name: 'shop', revisions: ['1', '2'], deployed: [{ environment: 'test', revision: '2', basePaths: ['/shop'] }] });

    const out = join(work, 'exported.zip');
    expect(await ok(['export', 'shop', '--out', out])).toContain(`Wrote ${out}`);
    expect(Object.keys(unzipSync(readFileSync(out)))).toContain('apiproxy/proxies/default.xml');

    expect(await ok(['undeploy', 'shop', '--env', 'test'])).toBe('Undeployed shop revision 2 from test\n');
    expect((await tollgate(['undeploy', 'shop', '--env', 'test'])).code).toBe(1);
  });

  it('kvm: set creates the map, get, list, delete, at environment and proxy scope', async () => {
    expect(await ok(['kvm', 'set', 'settings', 'colour', 'blue', '--env', 'prod'])).toBe('Created map and set settings/colour\n');
    expect(await ok(['kvm', 'set', 'settings', 'size', 'L', '--env', 'prod'])).toBe('Set settings/size\n');
    expect(await ok(['kvm', 'get', 'settings', 'colour', '--env', 'prod'])).toBe('blue\n');
    expect(await ok(['kvm', 'get', 'settings', '--env', 'prod'])).toBe('colour=blue\nsize=L\n');
    expect(await ok(['kvm', 'list', '--env', 'prod'])).toBe('settings\n');
    expect(await ok(['kvm', 'set', 'vault', 'password', 'hunter2', '--api', 'shop', '--encrypted'])).toContain('Created map');
    expect(await ok(['kvm', 'get', 'vault', 'password', '--api', 'shop'])).toBe('*****\n');
    expect(await ok(['kvm', 'delete', 'settings', 'colour', '--env', 'prod'])).toBe('Deleted settings/colour\n');
    expect(await ok(['kvm', 'delete', 'settings', '--env', 'prod'])).toBe('Deleted map settings\n');
    expect((await tollgate(['kvm', 'get', 'settings', '--env', 'prod'])).code).toBe(1);
  });

  it('products and apps: create, list, get, delete; the new app\'s key gets a token', async () => {
    expect(await ok(['products', 'create', 'gold', '--proxies', 'shop', '--scopes', 'read,write'])).toBe('Created product gold\n');
    expect(await ok(['products', 'list'])).toBe('gold\n');
    expect(await ok(['products', 'get', 'gold'])).toBe('gold  proxies shop  scopes read,write\n');

    const made = JSON.parse(await ok(['apps', 'create', 'ada@example.com', 'shopper', '--products', 'gold', '--json']));
    const { consumerKey, consumerSecret } = made.credentials[0];
    const token = await fetch(`${platformUrl}/oauth/token?grant_type=client_credentials`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${consumerKey}:${consumerSecret}`).toString('base64')}` },
    });
    expect(token.status).toBe(200);
    expect(await ok(['apps', 'list', 'ada@example.com'])).toBe('shopper\n');
    expect(await ok(['apps', 'list'])).toBe('shopper\n');
    expect(await ok(['apps', 'get', 'ada@example.com', 'shopper'])).toContain(`key ${consumerKey} [gold]`);
    expect(await ok(['apps', 'delete', 'ada@example.com', 'shopper'])).toBe('Deleted app shopper\n');
    expect(await ok(['products', 'delete', 'gold'])).toBe('Deleted product gold\n');
  });

  it('instances: lists the organization\'s connector instances with the platform credentials only', async () => {
    expect(await ok(['instances', 'list', '--json'])).toBe('[]\n');
    const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as Record<string, string>;
    const refused = await tollgate(['instances', 'list', '--user', 'admin@localhost', `--password=${secrets['admin-password']!}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('platform credentials');
  });

  it('takes a management user (Basic) or a management token instead of the local credentials, and any URL', async () => {
    const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as Record<string, string>;
    const elsewhere = { DATA_DIR: join(work, 'nowhere') };
    expect(await ok(['list', '--url', platformUrl, '--user', 'admin@localhost', `--password=${secrets['admin-password']!}`], elsewhere)).toContain('cli  revisions 1');
    const issued = await fetch(`${platformUrl}/v1/users/admin@localhost/tokens`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`admin@localhost:${secrets['admin-password']}`).toString('base64')}` },
    });
    const { access_token: token } = (await issued.json()) as { access_token: string };
    expect(await ok(['products', 'list', '--json'], { ...elsewhere, TOLLGATE_URL: platformUrl, TOLLGATE_TOKEN: token })).toBe('[]\n');
    const wrong = await tollgate(['list', '--url', platformUrl, '--user', 'admin@localhost', '--password', 'wrong'], elsewhere);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('401');
  });

  it('has --help for every command, exits 2 on a usage mistake and 1 when the server cannot be reached', async () => {
    const overview = await ok(['--help']);
    expect((await tollgate(['deploy', 'shop'])).code).toBe(2);
    // The rest in-process (the same main() the child processes run), to keep the suite quick.
    const run = async (args: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await main(args, { DATA_DIR: dataDir }, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
      return { code, stdout, stderr };
    };
    for (const command of ['import', 'deploy', 'undeploy', 'export', 'list', 'kvm', 'products', 'apps', 'instances', 'credentials']) {
      expect(overview).toContain(`  ${command}`);
      const help = await run([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: tollgate ${command}`);
    }
    expect((await run([])).code).toBe(2);
    expect((await run(['nonsense'])).code).toBe(2);
    expect((await run(['kvm', 'get'])).code).toBe(2);
    expect((await run(['kvm', 'frobnicate', 'x'])).code).toBe(2);
    expect((await run(['list', '--bogus'])).code).toBe(2);
    const unreachable = await tollgate(['list', '--url', 'http://127.0.0.1:9'], { TOLLGATE_AUTHORIZATION: 'User x, Organization y' });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('Cannot reach Tollgate at http://127.0.0.1:9');
  });

  it('without a running server on the data directory falls back to $PORT, and says where credentials are missing', async () => {
    const empty = join(work, 'empty');
    const result = await tollgate(['list'], { DATA_DIR: empty, PORT: '9' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('No credentials');
    expect(existsSync(empty)).toBe(false);
  });
});
