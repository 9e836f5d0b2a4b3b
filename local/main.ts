// `npm start`: the platform on 127.0.0.1:$PORT and the runtime per environment
// (`prod` on $RUNTIME_PORT, `test` on $RUNTIME_PORT + 1), data under $DATA_DIR.
import { resolve } from 'node:path';
import { ConfigError, loadConfig, portFrom } from '../shared/config.js';
import { useRuntime } from '../shared/runtime.js';
import { listenPlanes, type LocalPlanes } from './planes.js';
import { DataDirLockedError, startLocalRuntime } from './runtime.js';
import { removeServerState, writeServerState } from './state.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.TOLLGATE_MODE = 'local';

const host = process.env.HOST || '127.0.0.1';
const dataDir = process.env.DATA_DIR || './.data';

async function main() {
  // Every setting is checked before anything opens or is written.
  const port = portFrom(process.env, 'PORT', 8080);
  const runtimePort = portFrom(process.env, 'RUNTIME_PORT', 9080);
  if (runtimePort === 65_535) throw new ConfigError('RUNTIME_PORT must leave room for the test environment on RUNTIME_PORT + 1 (at most 65534)');
  loadConfig({ ...process.env, TOLLGATE_MODE: 'local' });
  // The ports open first (so their URLs are known), but no handler runs before the runtime is installed.
  let planes: LocalPlanes;
  try {
    planes = await listenPlanes({ host, port, runtimePort });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`Port ${(error as { port?: number }).port ?? port} is already in use; set PORT and RUNTIME_PORT to free ports (the runtime takes two).`);
    }
    throw error;
  }
  const runtimeUrls = Object.entries(planes.runtimeUrls).map(([env, url]) => `${env}=${url}`).join(',');
  let local;
  try {
    local = await startLocalRuntime({ dataDir, publicUrl: planes.platformUrl, env: { ...process.env, TOLLGATE_RUNTIME_URLS: process.env.TOLLGATE_RUNTIME_URLS || runtimeUrls } });
  } catch (error) {
    await planes.close();
    throw error;
  }
  useRuntime(local.runtime);
  const org = local.runtime.config.defaultOrganization;
  // For the tollgate CLI: where this server listens, next to the lock it holds.
  writeServerState(resolve(dataDir), {
    pid: process.pid,
    platformUrl: planes.platformUrl,
    runtimeUrls: planes.runtimeUrls,
    organization: org,
    dataDir: resolve(dataDir),
    startedAt: new Date().toISOString(),
  });
  const secrets = local.secretsFile ?? 'memory';
  const adminPassword = local.runtime.config.adminPassword
    ? 'TOLLGATE_ADMIN_PASSWORD'
    : `the "${local.admin.passwordSecret}" entry of ${secrets}${local.admin.generatedPassword ? ' (generated now)' : ''}`;
  process.stdout.write(
    [
      `Tollgate (organization "${org}", data in ${resolve(dataDir)})`,
      `platform: ${planes.platformUrl}   management API, token service, connectors, /healthz`,
      ...Object.entries(planes.runtimeUrls).map(([env, url]) => `runtime ${env}: ${url}`),
      `OpenAPI: ${planes.platformUrl}/v1/openapi.json`,
      local.generatedCredentials
        ? `Platform credentials for "${org}" were generated and stored in ${secrets}.`
        : `Platform credentials for "${org}" are in ${secrets}.`,
      'Print the platform Authorization header with: npx tollgate credentials',
      `Management user: ${local.admin.email} (orgadmin of "${org}"); its password is ${adminPassword}.`,
      `Console: ${planes.platformUrl}/console · developer portal: ${planes.platformUrl}/portal · API reference: ${planes.platformUrl}/docs`,
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: shutting down\n`);
    removeServerState(resolve(dataDir));
    await planes.close();
    await local.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // `npm start` execs this process in place of its shell, so npm's SIGTERM reaches it and npm
  // exits only once it has stopped. Should npm itself die (SIGKILL), stop with it rather than
  // keep the ports and the data directory's lock.
  if (process.env.npm_lifecycle_event) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) void stop('npm exited');
    }, 250).unref();
  }
}

main().catch((error: unknown) => {
  if (error instanceof DataDirLockedError) process.stderr.write(`${error.message}\n`);
  else if (error instanceof ConfigError) process.stderr.write(`Tollgate cannot start: ${error.message}\n`);
  else process.stderr.write(`Tollgate failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
