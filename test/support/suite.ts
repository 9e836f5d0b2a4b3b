// Setup the e2e files share: the platform and a loopback backend started
// once per file and closed after it, and the capture of everything the
// handlers log, for files that check no secret reaches a log line.
import { afterAll, beforeAll, vi } from 'vitest';
import { startBackend, type Backend, type BackendHandler } from './backend.js';
import { startPlatform, type TestPlatform } from './platform.js';

export interface Started {
  platform: TestPlatform;
  backend: Backend;
}

/**
 * Starts the platform and a backend (answering with `handler`, an echo by
 * default) before the file's tests and closes both after them; `use` receives
 * them, usually to assign the file's own variables.
 */
export function usePlatformAndBackend(use: (started: Started) => void, handler?: BackendHandler): void {
  let started: Partial<Started> = {};
  beforeAll(async () => {
    started = { platform: await startPlatform() };
    started.backend = await startBackend(handler);
    use(started as Started);
  });
  afterAll(async () => {
    await started.platform?.close();
    await started.backend?.close();
  });
}

export interface LogCapture {
  /** Everything written to stdout and stderr since the capture started. */
  text(): string;
  restore(): void;
}

/** Captures stdout and stderr (where Powertools writes) instead of printing them. */
export function captureLogs(): LogCapture {
  const lines: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }),
  );
  return {
    text: () => lines.join(''),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}
