// Child program for test/unit/metrics.test.ts: one HTTP function behind the
// local server, three requests (200, 404, 500), then exit. Whatever the
// metrics middleware writes lands on this process's stdout.
import type { AddressInfo } from 'node:net';
import { PLATFORM_ROUTES, RUNTIME_ROUTES, type FunctionName } from '../../../shared/http/api-routes.js';
import { httpFunction } from '../../../shared/http/lambda.js';
import { HttpError, platformErrors } from '../../../shared/http/errors.js';
import { json } from '../../../shared/http/response.js';
import { createLocalServer, type LambdaHandler } from '../../../local/server.js';

const probe = httpFunction({
  name: 'probe',
  errors: platformErrors,
  handle: async (request) => {
    const status = Number(request.path.slice(1));
    if (status >= 400) throw new HttpError(status, 'probe', `status ${status}`);
    return json(status, { ok: true });
  },
}) as unknown as LambdaHandler;

// Every function of the route table is the probe, whichever functions this build has.
const handlers = Object.fromEntries([...PLATFORM_ROUTES, ...RUNTIME_ROUTES].map((route) => [route.function, probe])) as Record<FunctionName, LambdaHandler>;
const server = createLocalServer({ handlers, routes: RUNTIME_ROUTES });
server.listen(0, '127.0.0.1', async () => {
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const status of [200, 404, 500]) await fetch(`${base}/${status}`);
  server.close();
});
