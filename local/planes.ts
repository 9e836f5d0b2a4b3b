// The local planes, as the stack has them on AWS: the platform API on one
// port, and the runtime once per environment (`prod` on RUNTIME_PORT, `test`
// on RUNTIME_PORT + 1), each a stage whose `environment` variable the proxy
// function routes by. Used by `npm start` and by the HTTP tests (port 0: free ports).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { reserveOwnEndpoint } from '../shared/net/outbound.js';
import { PLATFORM_ROUTES, RUNTIME_ENVIRONMENTS, RUNTIME_ROUTES } from '../shared/http/api-routes.js';
import { localHandlers, planeErrors } from './handlers.js';
import { createLocalServer } from './server.js';

export interface LocalPlanes {
  platformUrl: string;
  /** Base URL of the runtime per environment. */
  runtimeUrls: Record<string, string>;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

async function closeAll(servers: Server[]): Promise<void> {
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          if (!server.listening) return resolve();
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
}

/**
 * Opens the platform and runtime ports. The handlers read the runtime that is
 * installed with `useRuntime`, so install it before the first request.
 */
export async function listenPlanes(options: { host: string; port: number; runtimePort: number }): Promise<LocalPlanes> {
  const platform = createLocalServer({ handlers: localHandlers, routes: PLATFORM_ROUTES, errors: planeErrors.platform });
  const runtimes = RUNTIME_ENVIRONMENTS.map((environment) => ({
    environment,
    server: createLocalServer({ handlers: localHandlers, routes: RUNTIME_ROUTES, stage: environment, stageVariables: { environment }, errors: planeErrors.runtime }),
  }));
  const servers = [platform, ...runtimes.map((r) => r.server)];
  try {
    const platformPort = await listen(platform, options.port, options.host);
    const runtimeUrls: Record<string, string> = {};
    for (const [i, { environment, server }] of runtimes.entries()) {
      const port = await listen(server, options.runtimePort === 0 ? 0 : options.runtimePort + i, options.host);
      runtimeUrls[environment] = `http://${options.host}:${port}`;
    }
    const platformUrl = `http://${options.host}:${platformPort}`;
    // No tenant's target reaches a plane of this process (an OpenConnectors provider reaches the platform as Tollgate routes it).
    const releases = [reserveOwnEndpoint('platform', platformUrl), ...Object.values(runtimeUrls).map((url) => reserveOwnEndpoint('runtime', url))];
    return {
      platformUrl,
      runtimeUrls,
      close: async () => {
        await closeAll(servers);
        for (const release of releases) release();
      },
    };
  } catch (error) {
    await closeAll(servers);
    throw error;
  }
}
