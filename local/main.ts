// `npm start`: the whole platform on 127.0.0.1:$PORT with data under $DATA_DIR.
import { useRuntime } from '../shared/runtime.js';
import { localHandlers } from './handlers.js';
import { DataDirLockedError, startLocalRuntime } from './runtime.js';
import { createLocalServer } from './server.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.TOLLGATE_MODE = 'local';

const port = Number(process.env.PORT || 8080);
const host = process.env.HOST || '127.0.0.1';
const dataDir = process.env.DATA_DIR || './.data';

async function main() {
  const publicUrl = `http://${host}:${port}`;
  // The runtime is ready before the port opens: no request ever sees a half-started platform.
  const local = await startLocalRuntime({ dataDir, publicUrl });
  useRuntime(local.runtime);
  const server = createLocalServer({ handlers: localHandlers });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  } catch (error) {
    await local.close();
    throw error;
  }
  const org = local.runtime.config.defaultOrganization;
  process.stdout.write(
    [
      `Tollgate is listening on ${publicUrl} (organization "${org}", data in ${dataDir})`,
      local.generatedCredentials
        ? `Generated platform credentials for "${org}"; they are stored in ${local.secretsFile}.`
        : `Platform credentials for "${org}" are in ${local.secretsFile ?? 'memory'}.`,
      'Print the Authorization header to use with: npm run credentials',
      `Console: ${publicUrl}/console (sign in with those secrets) · developer portal: ${publicUrl}/portal · API reference: ${publicUrl}/docs`,
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: shutting down\n`);
    server.close();
    server.closeAllConnections();
    await local.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof DataDirLockedError) process.stderr.write(`${error.message}\n`);
  else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    process.stderr.write(`Port ${port} is already in use; set PORT to another port.\n`);
  } else process.stderr.write(`Tollgate failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
