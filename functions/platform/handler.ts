// Platform function: the management API (Apigee Edge paths), the connectors
// API (Open Connectors paths) and the health check.
import { platformErrors } from '../../shared/http/errors.js';
import { httpFunction } from '../../shared/http/lambda.js';
import { platformRouter } from '../../shared/platform/platform-router.js';
import { drainOnSigterm, runtime } from '../../shared/runtime.js';

const router = platformRouter();

export const handler = httpFunction({
  name: 'platform',
  errors: platformErrors,
  handle: (request) => router.handle(request, runtime()),
});

// Buffered analytics records (and captured traces) are written before Lambda retires the container.
drainOnSigterm();
