// `npm start` as a user runs it: one process, the platform and the runtime of
// each environment on their ports, the URLs and where the credentials are in
// the banner, and never a secret value in it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let child: ChildProcess;
let banner = '';
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tollgate-start-'));
  child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    env: { ...process.env, PORT: '0', RUNTIME_PORT: '0', DATA_DIR: dataDir, TOLLGATE_ORGANIZATION_SECRET: '', TOLLGATE_USER_SECRET: '', TOLLGATE_ADMIN_PASSWORD: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      banner += chunk.toString('utf8');
      if (banner.includes('Management user:')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}`)));
  });
});
afterAll(async () => {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  rmSync(dataDir, { recursive: true, force: true });
});

const url = (label: string) => new RegExp(`^${label}: (http://127\\.0\\.0\\.1:\\d+)`, 'm').exec(banner)?.[1];

describe('npm start', () => {
  it('prints the platform URL, `runtime <env>: <url>` for prod and test, and where the credentials and the admin password are', () => {
    expect(url('platform')).toBeDefined();
    expect(url('runtime prod')).toBeDefined();
    expect(url('runtime test')).toBeDefined();
    expect(banner).toContain('npx tollgate credentials');
    expect(banner).toMatch(/Management user: admin@localhost .*"admin-password" entry of .*secrets\.json/);
    const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as Record<string, string>;
    for (const value of Object.values(secrets)) expect(banner).not.toContain(value);
  });

  it('serves the platform on its port and proxies (none deployed yet) on each runtime port', async () => {
    expect(await (await fetch(`${url('platform')}/healthz`)).json()).toEqual({ status: 'ok' });
    const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as Record<string, string>;
    const basic = `Basic ${Buffer.from(`admin@localhost:${secrets['admin-password']}`).toString('base64')}`;
    expect((await fetch(`${url('platform')}/v1/organizations/default`, { headers: { authorization: basic } })).status).toBe(200);
    for (const env of ['prod', 'test']) {
      const answer = (await (await fetch(`${url(`runtime ${env}`)}/healthz`)).json()) as { fault: { faultstring: string } };
      expect(answer.fault.faultstring).toBe(`Unable to identify proxy for host: ${env} and url: /healthz`);
    }
  });
});
