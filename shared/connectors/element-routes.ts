// The element catalog on Open Connectors paths: elements, their keys and
// metadata, export and clone, activation, OAuth URLs, and each part of a
// definition as a sub-resource (configuration, parameters, hooks, resources
// with their parameters, hooks and model, objects with their fields).
// Built-in elements are read-only; clone one to change it.
import * as z from 'zod';
import { readJson, validate } from '../http/body.js';
import { ok } from '../http/response.js';
import type { PlatformRouter, Principal } from '../auth/principal.js';
import { lazySchema, type RouteDoc } from '../http/router.js';
import type { HttpRequest } from '../http/request.js';
import type { Runtime } from '../runtime.js';
import {
  cloneElement,
  createCustomElement,
  deleteCustomElement,
  elementObjects,
  elementView,
  listElements,
  replaceCustomElement,
  requireElement,
  type ResolvedElement,
} from './catalog.js';
import { elementDocs } from './element-docs.js';
import { DOCS_FORMAT_QUERY, docsFormat, inFormat } from './element-docs-openapi3.js';
import { ELEMENT, change, readElement, registerElementPartRoutes } from './element-part-routes.js';
import { elementSchema } from './element-schema.js';
import { buildOAuthUrl } from './hosted-oauth.js';
import { oauth1RequestToken } from './oauth1-flow.js';
import { BASE, listHeaders, optionalJson } from './http.js';
import { countInstancesOfElement } from './instances.js';
import { legacyElementSchema } from './legacy-element.js';

const OAUTH_URL_DOC: RouteDoc = {
  summary: 'Build the vendor authorization URL',
  description:
    'Open Connectors mode (`callbackUrl`): your app receives the code and posts it to `/instances`. Hosted mode (`returnUrl`): Tollgate ' +
    'is the redirect URI (`/elements/api-v2/oauth/callback`), stores the state and PKCE verifier single-use for 10 minutes, creates the ' +
    'instance and redirects the browser to `returnUrl` (an allowed origin of the organization). POST takes the same values as a JSON body.',
  query: {
    apiKey: { description: 'The OAuth client id of your app at the vendor.', required: true },
    apiSecret: { description: 'The OAuth client secret; required in hosted mode.' },
    callbackUrl: { description: 'Open Connectors mode: your redirect URI.' },
    returnUrl: { description: 'Hosted mode: where the browser goes after the connection, with `instanceId` and `state` (or `error`).' },
    state: { description: 'Your state, returned unchanged.' },
    scope: { description: 'Scopes to request instead of the element\'s.' },
    name: { description: 'Hosted mode: the new instance\'s name.' },
    instanceId: { description: 'Hosted mode: re-authenticate this instance instead of creating one.' },
    tags: { description: 'Hosted mode: the new instance\'s tags (comma-separated or repeated).' },
  },
  responses: { 200: '`{oauthUrl, element}`; hosted mode adds `callbackUrl` and `expiresIn`.' },
};

/** What POST and PUT take: Open Connectors' element JSON, or Tollgate's first format. */
const elementBody = lazySchema(() => z.union([elementSchema, legacyElementSchema]));

const oauthUrlBody = z.lazy(() => z.record(z.string().max(100), z.union([z.string().max(4096), z.number(), z.boolean(), z.array(z.string().max(100)).max(50)])));

export function metadataView(element: ResolvedElement, expand: boolean): Record<string, unknown> {
  const { definition } = element;
  return {
    id: definition.id,
    key: definition.key,
    name: definition.name,
    description: definition.description,
    hub: definition.hub,
    active: definition.active,
    private: element.private,
    protocolType: definition.protocolType,
    authentication: { type: definition.authentication.type },
    // Events and bulk are capabilities Tollgate's elements do not have yet.
    events: { supported: false, methods: [] },
    bulk: { supported: false },
    objects: elementObjects(definition).map((object) => object.name),
    ...(expand ? { resources: definition.resources, objectDefinitions: definition.objects } : {}),
  };
}

export function registerElementRoutes(router: PlatformRouter): void {
  const catalog = router.group({ tag: 'Elements' });
  catalog.get(`${BASE}/elements`, { operationId: 'listElements', summary: 'List the elements: built-in and the organization\'s own' }, async (request, rt, principal) => {
    const elements = (await listElements(rt, principal.organization)).map(elementView);
    return ok(elements, listHeaders(elements.length, undefined, elements.length));
  });
  catalog.get(`${BASE}/elements/keys`, { operationId: 'listElementKeys', summary: 'List the keys of all elements' }, async (request, rt, principal) => {
    const keys = (await listElements(rt, principal.organization)).map((element) => element.definition.key);
    return ok(keys, listHeaders(keys.length));
  });
  catalog.get(`${BASE}/elements/metadata`, { operationId: 'listElementMetadata', summary: 'The metadata of all elements', query: { expand: { description: '`true` adds resources and object definitions.' } } }, async (request, rt, principal) => {
    const expand = request.query.get('expand') === 'true';
    const all = (await listElements(rt, principal.organization)).map((element) => metadataView(element, expand));
    return ok(all, listHeaders(all.length));
  });
  catalog.post(
    `${BASE}/elements`,
    {
      operationId: 'createElement',
      summary: 'Add a custom element',
      description:
        'Open Connectors\' element JSON (the vendor base URL is the `base.url` configuration entry; `key` is derived from `name` when left out), ' +
        'or Tollgate\'s first format with `baseUrl`. 409 if the key is taken, by a built-in element or one of the organization\'s.',
      body: elementBody,
    },
    async (request, rt, principal) => ok(elementView(await createCustomElement(rt, principal.organization, readJson(request)))),
  );
  catalog.get(ELEMENT, { operationId: 'getElement', summary: 'Get an element' }, async (request, rt, principal) => ok(elementView(await readElement(rt, request, principal))));
  catalog.put(ELEMENT, { operationId: 'replaceElement', summary: 'Replace a custom element', description: 'Built-in elements cannot be changed (403): clone them.', body: elementBody }, async (request, rt, principal) => {
    const org = principal.organization;
    return ok(elementView(await replaceCustomElement(rt, org, request.params.keyOrId!, readJson(request))));
  });
  catalog.delete(ELEMENT, { operationId: 'deleteElement', summary: 'Delete a custom element', description: 'Refused (409) while instances of it exist.' }, async (request, rt, principal) => {
    const org = principal.organization;
    const element = await requireElement(rt, org, request.params.keyOrId!);
    await deleteCustomElement(rt, org, request.params.keyOrId!, (key) => countInstancesOfElement(rt, org, key));
    return ok(elementView(element));
  });
  catalog.get(`${ELEMENT}/metadata`, { operationId: 'getElementMetadata', summary: 'An element\'s metadata', query: { expand: { description: '`true` adds resources and object definitions.' } } }, async (request, rt, principal) =>
    ok(metadataView(await readElement(rt, request, principal), request.query.get('expand') === 'true')),
  );
  catalog.get(`${ELEMENT}/export`, { operationId: 'exportElement', summary: 'The element\'s JSON, to import elsewhere with POST /elements' }, async (request, rt, principal) => {
    const element = await readElement(rt, request, principal);
    return ok(elementView(element), { 'content-disposition': `attachment; filename="${element.definition.key}.json"` });
  });
  catalog.post(`${ELEMENT}/clone`, { operationId: 'cloneElement', summary: 'Copy an element into a custom element of the organization', description: 'The copy gets the key `{key}-copy` (or `-copy-2` ...) and can be changed freely.' }, async (request, rt, principal) =>
    ok(elementView(await cloneElement(rt, principal.organization, request.params.keyOrId!))),
  );
  const setActive = (active: boolean) => async (request: HttpRequest, rt: Runtime, principal: Principal) =>
    ok(await change(rt, request, principal, (definition) => {
      definition.active = active;
      return { id: definition.id, key: definition.key, active };
    }));
  catalog.put(`${ELEMENT}/active`, { operationId: 'activateElement', summary: 'Activate a custom element' }, setActive(true));
  catalog.delete(`${ELEMENT}/active`, { operationId: 'deactivateElement', summary: 'Deactivate a custom element', description: 'An inactive element takes no new instances.' }, setActive(false));
  catalog.get(`${ELEMENT}/docs`, { operationId: 'getElementDocs', summary: 'The element\'s API as Swagger 2.0 (or OpenAPI 3.0)', description: 'Its resources and canonical objects, with their parameters and models, under `/elements/api-v2`.', query: DOCS_FORMAT_QUERY }, async (request, rt, principal) => {
    const format = docsFormat(request.query);
    return ok(inFormat(elementDocs((await readElement(rt, request, principal)).definition, rt.config.issuer), format));
  });

  // Account users connect their own vendor accounts: the instance is theirs.
  const oauth = router.group({ tag: 'Elements', userAccess: 'own' });
  oauth.get(`${ELEMENT}/oauth/url`, { ...OAUTH_URL_DOC, operationId: 'getElementOAuthUrl' }, async (request, rt, principal) => {
    const element = await requireElement(rt, principal.organization, request.params.keyOrId!);
    return ok(await buildOAuthUrl(rt, principal, element, request.query), { 'cache-control': 'no-store' });
  });
  oauth.get(
    `${ELEMENT}/oauth/token`,
    {
      operationId: 'getElementOAuthRequestToken',
      summary: 'An OAuth 1.0a request token for the app\'s callback URL',
      description: 'OAuth 1.0a elements (RFC 5849 2.1): Tollgate asks the vendor for temporary credentials, signed with the consumer key and secret, and keeps the secret for 10 minutes; send the user to the `oauthUrl` of `GET /elements/{keyOrId}/oauth/url?requestToken=`, then post `providerData.oauth_token` and `oauth_verifier` to `/instances`.',
      query: { apiKey: { description: 'The consumer key.', required: true }, apiSecret: { description: 'The consumer secret (RSA-SHA1: the PEM private key).', required: true }, callbackUrl: { description: 'Where the vendor sends the user back.', required: true } },
      responses: { 200: '`{token, secret, element, expiresIn}`.' },
    },
    async (request, rt, principal) => ok(await oauth1RequestToken(rt, principal.organization, await readElement(rt, request, principal), request.query)),
  );
  oauth.post(`${ELEMENT}/oauth/url`, { ...OAUTH_URL_DOC, operationId: 'postElementOAuthUrl', query: {}, body: oauthUrlBody }, async (request, rt, principal) => {
    const element = await requireElement(rt, principal.organization, request.params.keyOrId!);
    const query = new URLSearchParams(request.query);
    for (const [name, value] of Object.entries(validate(oauthUrlBody, optionalJson(request)))) {
      for (const one of Array.isArray(value) ? value : [value]) query.append(name, String(one));
    }
    return ok(await buildOAuthUrl(rt, principal, element, query), { 'cache-control': 'no-store' });
  });

  registerElementPartRoutes(router.group({ tag: 'Element parts' }));
}
