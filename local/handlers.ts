// The Lambda handler modules the local server calls, by function name.
import { handler as callback } from '../functions/callback/handler.js';
import { handler as platform } from '../functions/platform/handler.js';
import { errors as proxyErrors, handler as proxy, requestTooLarge as proxyRequestTooLarge } from '../functions/proxy/handler.js';
import { handler as token } from '../functions/token/handler.js';
import { webHandler } from '../functions/web/handler.js';
import { runtime } from '../shared/runtime.js';
import type { FunctionName } from '../shared/http/api-routes.js';
import { platformErrors } from '../shared/http/errors.js';
import { requestTooLarge } from '../shared/http/lambda.js';
import type { LambdaHandler } from './server.js';

export const localHandlers: Record<FunctionName, LambdaHandler> = {
  platform: platform as unknown as LambdaHandler,
  proxy: proxy as unknown as LambdaHandler,
  token: token as unknown as LambdaHandler,
  callback: callback as unknown as LambdaHandler,
  // The pages name the runtime's URLs, which only the running local runtime knows.
  web: webHandler(() => runtime().config.runtimeUrls) as unknown as LambdaHandler,
};

/** How each plane refuses what never reaches a function: in its functions' error shape. */
export const planeErrors = {
  platform: { renderer: platformErrors, bodyTooLarge: requestTooLarge },
  runtime: { renderer: proxyErrors, bodyTooLarge: proxyRequestTooLarge },
};
