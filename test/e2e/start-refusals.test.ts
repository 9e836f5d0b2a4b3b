// `npm start` refuses what it cannot run with: a wrong LOG_LEVEL, PORT or
// RUNTIME_PORT, a short platform secret or admin password, an access-token
// lifetime out of range. Each is named in one clear line and the start leaves
// no data directory behind (nor does a start that fails later, on a port in
// use). And SIGTERM to the npm process itself stops the server: the port
// closes and the data directory's lock is released.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let root: string;
let busy: Server;
let busyPort: number;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tollgate-refusals-'));
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => busy.close(() => resolve()));
  rmSync(root, { recursive: true, force: true });
});

const BASE_ENV = { PORT: '0', RUNTIME_PORT: '0', TOLLGATE_ORGANIZATION_SECRET: '', TOLLGATE_USER_SECRET: '', TOLLGATE_ADMIN_PASSWORD: '', LOG_LEVEL: 'SILENT' };

function start(env: Record<string, string>, dataDir: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], { env: { ...process.env, ...BASE_ENV, DATA_DIR: dataDir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    // A start that was not refused would run on: stopped well within the test's timeout.
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('npm start refuses a wrong configuration with a clear message, leaving no data directory', () => {
  it.each([
    ['LOG_LEVEL', { LOG_LEVEL: 'LOUD' }],
    ['PORT', { PORT: 'abc' }],
    ['RUNTIME_PORT', { RUNTIME_PORT: '70000' }],
    ['TOLLGATE_ORGANIZATION_SECRET', { TOLLGATE_ORGANIZATION_SECRET: 'x' }],
    ['TOLLGATE_USER_SECRET', { TOLLGATE_USER_SECRET: 'y' }],
    ['TOLLGATE_ADMIN_PASSWORD', { TOLLGATE_ADMIN_PASSWORD: 'z' }],
    ['TOKEN_LIFETIME_SECONDS', { TOKEN_LIFETIME_SECONDS: '999999' }],
    ['TOKEN_LIFETIME_SECONDS', { TOKEN_LIFETIME_SECONDS: '12abc' }],
  ])('refuses a wrong %s', async (name, env) => {
    const dataDir = join(root, `data-${name}-${Object.values(env)[0]}`);
    const { code, stderr } = await start(env, dataDir);
    expect(code).toBe(1);
    expect(stderr).toContain(name);
    expect(stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(existsSync(dataDir)).toBe(false);
  });

  it('leaves no data directory behind when the start fails later (a port in use)', async () => {
    const dataDir = join(root, 'data-port-in-use');
    const { code, stderr } = await start({ PORT: String(busyPort) }, dataDir);
    expect(code).toBe(1);
    expect(stderr).toContain('already in use');
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('SIGTERM to npm start stops the server', () => {
  it('closes the ports and releases the data directory', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-sigterm-'));
    // Its own process group, so that whatever npm started can be cleaned up if the test fails.
    const npm = spawn('npm', ['start', '--silent'], { env: { ...process.env, ...BASE_ENV, DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let banner = '';
    const platformUrl = await new Promise<string>((resolve, reject) => {
      npm.stdout.on('data', (chunk: Buffer) => {
        banner += chunk.toString('utf8');
        const url = /^platform: (http:\/\/127\.0\.0\.1:\d+)/m.exec(banner)?.[1];
        if (url && banner.includes('Management user:')) resolve(url);
      });
      npm.once('exit', (code) => reject(new Error(`npm start exited with ${code}`)));
    });
    try {
      expect((await fetch(`${platformUrl}/healthz`)).status).toBe(200);
      const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
      npm.kill('SIGTERM');
      await exited;
      // Every process of it is gone: nothing answers on the port, the lock is released.
      await expect(fetch(`${platformUrl}/healthz`)).rejects.toThrow();
      expect(existsSync(join(dataDir, 'tollgate.lock'))).toBe(false);
    } finally {
      try {
        process.kill(-npm.pid!, 'SIGKILL');
      } catch {
        // the group is gone: as it should be
      }
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
