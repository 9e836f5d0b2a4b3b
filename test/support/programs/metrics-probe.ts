// Child program for test/unit/metrics.test.ts: one HTTP function behind the
// local server, three requests (200, 404, 500), then exit. Whatever the
// metrics middleware writes lands on this process's stdout.
import type { AddressInfo } from 'node:net';
import { httpFunction } from '../../../shared/http/lambda.js';
import { HttpError } from '../../../shared/http/errors.js';
import { json } from '../../../shared/http/response.js';
import { createLocalServer, type LambdaHandler } from '../../../local/server.js';

const probe = httpFunction({
  name: 'probe',
  errorStyle: 'platform',
  handle: async (request) => {
    const status = Number(request.path.slice(1));
    if (status >= 400) throw new HttpError(status, 'probe', `status ${status}`);
    return json(status, { ok: true });
  },
}) as unknown as LambdaHandler;

const server = createLocalServer({ handlers: { platform: probe, proxy: probe } });
server.listen(0, '127.0.0.1', async () => {
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const status of [200, 404, 500]) await fetch(`${base}/${status}`);
  server.close();
});
