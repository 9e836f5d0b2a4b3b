// The Tollgate server for `npm run bench:load`, in its own process so that
// the load generator does not share its event loop: the same runtime and
// handlers as `npm start`, on a free port, with data under DATA_DIR. It tells
// its parent the port, then its memory every second (IPC), and collects
// garbage on request (run with --expose-gc) to report the live heap, and
// writes its waiting analytics on request.
import { useRuntime } from '../shared/runtime.js';
import { startLocalRuntime } from '../local/runtime.js';
import { listenPlanes } from '../local/planes.js';
import { analyticsRecorder } from '../shared/analytics/recorder.js';
import { answerParent } from './processes.js';

process.env.TOLLGATE_MODE = 'local';

export type ServerMessage =
  | { type: 'listening'; url: string; runtimeUrl: string }
  | { type: 'memory'; at: number; rss: number; heapUsed: number }
  | { type: 'heap-after-gc'; heapUsed: number; rss: number }
  | { type: 'flushed' };

const send = (message: ServerMessage) => process.send?.(message);

async function main() {
  const planes = await listenPlanes({ host: '127.0.0.1', port: 0, runtimePort: 0 });
  const url = planes.platformUrl;
  const runtimeUrl = planes.runtimeUrls.prod!;
  const local = await startLocalRuntime({ dataDir: process.env.DATA_DIR ?? null, publicUrl: url });
  useRuntime(local.runtime);
  setInterval(() => {
    const { rss, heapUsed } = process.memoryUsage();
    send({ type: 'memory', at: Date.now(), rss, heapUsed });
  }, 1000).unref();
  answerParent(() => {
    void planes.close();
    void local.close().then(() => process.exit(0));
  });
  process.on('message', (message: { type?: string }) => {
    // Writes the analytics the requests so far left waiting (bench:compare counts that CPU for their path).
    if (message.type === 'flush') void analyticsRecorder(local.runtime).flush().then(() => send({ type: 'flushed' }));
    if (message.type === 'gc') {
      const collect = (globalThis as { gc?: () => void }).gc;
      collect?.();
      collect?.();
      const { rss, heapUsed } = process.memoryUsage();
      send({ type: 'heap-after-gc', heapUsed, rss });
    }
  });
  send({ type: 'listening', url, runtimeUrl });
}

main().catch((error: unknown) => {
  process.stderr.write(`load server failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
