// Web function: the console, the developer portal and the API reference page,
// with the built assets beside the bundle (TOLLGATE_WEB_DIR). It reads no table
// and no secret; the pages call the platform API from the browser.
import { platformErrors } from '../../shared/http/errors.js';
import { httpFunction } from '../../shared/http/lambda.js';
import { Site, siteOptionsFromEnv, siteRouter } from '../../shared/web/site.js';

/** The web function; the local runtime passes the runtime URLs it listens on (on AWS: TOLLGATE_RUNTIME_URLS). */
export function webHandler(runtimeUrls?: () => Record<string, string>) {
  const router = siteRouter(new Site(() => siteOptionsFromEnv(process.env, runtimeUrls?.())));
  return httpFunction({
    name: 'web',
    errors: platformErrors,
    // The site sets its own headers: a per-page CSP with a nonce, long caching for hashed assets.
    securityHeaders: false,
    handle: (request) => router.handle(request, undefined),
  });
}

export const handler = webHandler();
