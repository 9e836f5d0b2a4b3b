// The running server's addresses, in its data directory next to the lock:
// `npm start` writes `tollgate.json` once it listens and removes it when it
// stops, so the `tollgate` CLI finds the platform and runtime URLs of the
// server that owns a data directory, whatever PORT and RUNTIME_PORT it was
// given. No secret is in it.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const STATE_FILE = 'tollgate.json';

export interface ServerState {
  pid: number;
  platformUrl: string;
  runtimeUrls: Record<string, string>;
  organization: string;
  dataDir: string;
  startedAt: string;
}

export function writeServerState(dataDir: string, state: ServerState): void {
  writeFileSync(join(dataDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

export function removeServerState(dataDir: string): void {
  rmSync(join(dataDir, STATE_FILE), { force: true });
}

/** The state of the server running on `dataDir`; undefined when none is (no file, or its process is gone). */
export function readServerState(dataDir: string): ServerState | undefined {
  const file = join(dataDir, STATE_FILE);
  if (!existsSync(file)) return undefined;
  let state: ServerState;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as ServerState;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(state.pid) || typeof state.platformUrl !== 'string') return undefined;
  try {
    process.kill(state.pid, 0);
  } catch (error) {
    // EPERM: it runs, as another user; anything else: it is gone and the file is stale.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  return state;
}
