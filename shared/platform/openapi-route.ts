// `GET /v1/openapi.json`, served without authentication. The document is built
// on the first request of a container, from every router's route list at that
// moment, and kept for the container's life: routes only change with a
// deployment. (Loading the builder lazily with import() was measured: esbuild's
// CommonJS output then wraps every module the import reaches, which made the
// platform bundle 60 KB larger and its cold start slower, not faster.)
import { createHash } from 'node:crypto';
import type { HttpRequest } from '../http/request.js';
import type { HttpResponse } from '../http/response.js';
import type { RegisteredRoute, Router } from '../http/router.js';
import type { Runtime } from '../runtime.js';
import { buildOpenApiDocument } from './openapi.js';

export const OPENAPI_PATH = '/v1/openapi.json';
/** Open Connectors' path of the platform's own API description. */
export const CONNECTORS_DOCS_PATH = '/elements/api-v2/docs';

interface ServedDocument {
  body: string;
  etag: string;
}

function build(rt: Runtime, routes: readonly RegisteredRoute[]): ServedDocument {
  const body = JSON.stringify(buildOpenApiDocument({ issuer: rt.config.issuer, routes }));
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

export function registerOpenApiRoute(router: Router<Runtime>, routes: () => readonly RegisteredRoute[]): void {
  const serve = async (request: HttpRequest, rt: Runtime): Promise<HttpResponse> => {
    const served = rt.service<ServedDocument>('openapi.document', () => build(rt, routes()));
    // Public and credential-free, so any origin may read it (API explorers, editors).
    const headers = { 'cache-control': 'public, max-age=300', etag: served.etag, 'access-control-allow-origin': '*' };
    const match = request.headers['if-none-match'];
    if (match && match.split(',').some((tag) => tag.trim().replace(/^W\//, '') === served.etag)) return { status: 304, headers };
    return { status: 200, headers: { ...headers, 'content-type': 'application/json; charset=utf-8' }, body: served.body };
  };
  const doc = {
    tag: 'Platform',
    auth: 'none',
    description: 'Public and cacheable (`Cache-Control: public, max-age=300`, `ETag`); generated from the routes that serve the API.',
    responses: {
      200: { description: 'This document.', type: 'application/json', headers: { ETag: 'Validator for `If-None-Match`.' } },
      304: 'Not modified since the `If-None-Match` ETag.',
    },
  } as const;
  router.get(OPENAPI_PATH, { ...doc, operationId: 'getOpenApiDocument', summary: 'The OpenAPI 3.1 document of this API' }, serve);
  router.get(CONNECTORS_DOCS_PATH, { ...doc, errors: 'connectors', operationId: 'getPlatformDocs', summary: 'The same document at Open Connectors\' path of the platform docs' }, serve);
}
