// What the published-client tests share: the platform, a loopback backend, a
// scratch folder, and the first management user's password and a management
// token for it (the credentials Apigee's clients are given).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startBackend, type Backend } from './backend.js';
import { startPlatform, type TestPlatform } from './platform.js';

export interface ClientTarget {
  platform: TestPlatform;
  backend: Backend;
  /** A scratch folder (also the clients' HOME: no ~/.netrc of the machine reaches them). */
  work: string;
  /** admin@localhost's password. */
  password: string;
  /** A management token of admin@localhost (POST /v1/users/{email}/tokens). */
  token: string;
  close(): Promise<void>;
}

export async function startClientTarget(prefix: string): Promise<ClientTarget> {
  const platform = await startPlatform();
  const backend = await startBackend();
  const work = mkdtempSync(join(tmpdir(), prefix));
  const password = (await platform.local.runtime.secrets.get('admin-password'))!;
  const issued = await platform.request('POST', '/v1/users/admin@localhost/tokens', { auth: await platform.adminBasic() });
  expect(issued.status, issued.text).toBe(200);
  return {
    platform,
    backend,
    work,
    password,
    token: issued.json.access_token as string,
    async close() {
      await platform.close();
      await backend.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
