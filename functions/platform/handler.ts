// Platform function: the management API (Apigee Edge paths), the connectors
// API (Open Connectors paths) and the health check.
import { httpFunction } from '../../shared/http/lambda.js';
import { platformRouter } from '../../shared/platform/routes.js';
import { runtime } from '../../shared/runtime.js';

const router = platformRouter();

export const handler = httpFunction({
  name: 'platform',
  errorStyle: 'platform',
  handle: (request) => router.handle(request, runtime()),
});
