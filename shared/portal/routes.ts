// The developer portal's API, on `/v1/organizations/{org}/portal/...`:
// sign-up, invitations, sign-in (a portal session token), the product
// catalog (products whose attribute `access` is `public`, or absent, to
// everyone; `private` ones to signed-in developers; `internal` never), and the
// signed-in developer's own apps. A portal session reaches exactly one
// developer's data, never another developer's, never management data.
import * as z from 'zod';
import { jsonBody } from '../http/body.js';
import { HttpError, notFound, unprocessable } from '../http/errors.js';
import { created, noContent, ok } from '../http/response.js';
import { lazySchema } from '../http/router.js';
import type { Runtime } from '../runtime.js';
import type { PlatformRouter } from '../auth/principal.js';
import { getOrganization } from '../auth/organizations.js';
import { appCredentials } from '../consumers/app-credentials.js';
import { apigeeApp } from '../consumers/app-views.js';
import { createApp, deleteApp, developerAppRefs, getApp, requireDeveloperApp, type StoredApp } from '../consumers/apps.js';
import { forgetConsumers } from '../consumers/consumer-cache.js';
import { requireDeveloper } from '../consumers/developers.js';
import type { StoredProduct } from '../consumers/products.js';
import { decodeModel, getRevision } from '../gateway/stores/apis.js';
import { listDeployments, type DeploymentItem } from '../gateway/stores/deployments.js';
import { orgPartition, SORT_PREFIX } from '../store/keys.js';
import { acceptInvitation, developerIn, invite, MIN_PASSWORD, optionalDeveloper, signIn, signOut, signUp, startSession, type DeveloperSession } from './accounts.js';

const BASE = '/v1/organizations/:org/portal';

const password = z.string().min(1).max(256);
const signUpInput = z.lazy(() => z.object({
  email: z.email().max(254),
  firstName: z.string().trim().min(1).max(255),
  lastName: z.string().trim().min(1).max(255),
  password,
}));
const signInInput = z.lazy(() => z.object({ email: z.email().max(254), password }));
const acceptInput = z.lazy(() => z.object({ token: z.string().min(1).max(200), password }));
const appInput = z.lazy(() => z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,254}$/, 'must start with a letter or digit and contain only letters, digits, spaces and . _ -'),
  apiProducts: z.array(z.string().min(1).max(255)).min(1, 'subscribe to at least one product').max(20),
  callbackUrl: z.string().url().max(2048).optional(),
}));
const sessionSchema = lazySchema(() => z.object({ access_token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number().int(), developer: z.object({ email: z.string(), firstName: z.string(), lastName: z.string() }) }));

type Visibility = 'public' | 'private' | 'internal';

function visibility(product: StoredProduct): Visibility {
  const access = (product.attributes ?? {})['access']?.toLowerCase();
  return access === 'private' || access === 'internal' ? access : 'public';
}

function visibleTo(product: StoredProduct, session: DeveloperSession | undefined): boolean {
  const access = visibility(product);
  return access === 'public' || (access === 'private' && session !== undefined);
}

async function assertOrganization(rt: Runtime, org: string): Promise<void> {
  if (!(await getOrganization(rt, org))) throw notFound(`Organization ${org} has no developer portal`);
}

const PATH_CONDITION = /proxy\.pathsuffix\s+MatchesPath\s+"([^"]+)"/i;
const VERB_CONDITION = /request\.verb\s*=\s*"([A-Z]+)"/i;

/**
 * An API's resources as its developers need them: the conditional flows of the
 * deployed revision, with the path and verb their conditions name (the way SAP
 * API Management turns resources into flows).
 */
async function resourcesOf(rt: Runtime, org: string, deployment: DeploymentItem) {
  const model = decodeModel((await getRevision(rt, org, deployment.api, deployment.revision)).model);
  return model.proxyEndpoints.flatMap((endpoint) =>
    endpoint.flows.map((flow) => ({
      name: flow.name,
      ...(flow.description ? { description: flow.description } : {}),
      ...(PATH_CONDITION.exec(flow.condition ?? '') ? { path: PATH_CONDITION.exec(flow.condition ?? '')![1] } : {}),
      ...(VERB_CONDITION.exec(flow.condition ?? '') ? { method: VERB_CONDITION.exec(flow.condition ?? '')![1]!.toUpperCase() } : {}),
    })),
  );
}

/** The product as a portal shows it: no quota internals beyond what a developer needs. */
async function catalogProduct(rt: Runtime, product: StoredProduct, withApis: boolean): Promise<Record<string, unknown>> {
  const base = {
    name: product.name,
    displayName: product.displayName ?? product.name,
    ...(product.description ? { description: product.description } : {}),
    access: visibility(product),
    scopes: product.scopes,
    ...(product.quota ? { quota: { limit: product.quota, interval: product.quotaInterval, timeUnit: product.quotaTimeUnit } } : {}),
  };
  if (!withApis) return { ...base, apis: product.proxies };
  const deployments = (await listDeployments(rt, product.organization)).filter((d) => product.proxies.includes(d.api));
  return {
    ...base,
    apis: await Promise.all(
      product.proxies.map(async (api) => {
        const deployed = deployments.filter((d) => d.api === api);
        const shown = deployed.find((d) => d.environment === rt.config.runtimeEnvironment) ?? deployed[0];
        return {
          name: api,
          deployments: deployed.map((d) => ({ environment: d.environment, basePaths: d.basePaths })),
          resources: shown ? await resourcesOf(rt, product.organization, shown) : [],
        };
      }),
    ),
  };
}

async function products(rt: Runtime, org: string): Promise<StoredProduct[]> {
  return rt.table.queryAll<StoredProduct>(orgPartition(org), { prefix: SORT_PREFIX.product });
}

function developerView(developer: { email: string; firstName: string; lastName: string }) {
  return { email: developer.email, firstName: developer.firstName, lastName: developer.lastName };
}

async function ownApp(rt: Runtime, session: DeveloperSession, name: string): Promise<StoredApp> {
  const developer = await requireDeveloper(rt, session.organization, session.email);
  if (developer.developerId !== session.developerId) throw new HttpError(401, 'unauthorized', 'The portal session is no longer valid; sign in again');
  return requireDeveloperApp(rt, session.organization, developer, name);
}

async function appView(rt: Runtime, app: StoredApp) {
  const view = await apigeeApp(rt, app, await appCredentials(rt, app.organization, app.appId));
  return { name: view.name, appId: view.appId, status: view.status, createdAt: view.createdAt, credentials: view.credentials };
}

export function registerPortalRoutes(router: PlatformRouter): void {
  const open = router.group({ auth: 'none' });
  // A developer acts in no organization's management: the handlers check the path's organization against the session's.
  const developer = router.group({ auth: 'developer', scope: 'global' });

  open.post(`${BASE}/signup`, { operationId: 'portalSignUp', summary: 'Sign up as a developer', description: `Creates the developer and their account (password of ${MIN_PASSWORD} to 256 characters, stored as an scrypt hash) and signs them in. An email already registered is 409: sign in, or accept an invitation.`, body: signUpInput, responses: { 201: { description: 'Signed in.', schema: sessionSchema } } }, async (request, rt) => {
    const org = request.params.org!;
    await assertOrganization(rt, org);
    const input = jsonBody(request, signUpInput);
    const created_ = await signUp(rt, org, input);
    const session = await startSession(rt, created_);
    return created({ access_token: session.token, token_type: 'Bearer', expires_in: session.expiresIn, developer: developerView(created_) }, { 'cache-control': 'no-store' });
  });

  open.post(`${BASE}/invitations/accept`, { operationId: 'portalAcceptInvitation', summary: 'Accept an invitation: set the password of an invited developer', body: acceptInput, responses: { 201: { description: 'Signed in.', schema: sessionSchema } } }, async (request, rt) => {
    const org = request.params.org!;
    const input = jsonBody(request, acceptInput);
    const invited = await acceptInvitation(rt, org, input.token, input.password);
    const session = await startSession(rt, invited);
    return created({ access_token: session.token, token_type: 'Bearer', expires_in: session.expiresIn, developer: developerView(invited) }, { 'cache-control': 'no-store' });
  });

  open.post(`${BASE}/sessions`, { operationId: 'portalSignIn', summary: 'Sign in as a developer', description: 'A wrong email and a wrong password get the same 401 `invalid_credentials`.', body: signInInput, responses: { 200: { description: 'The portal session.', schema: sessionSchema } } }, async (request, rt) => {
    const org = request.params.org!;
    const input = jsonBody(request, signInInput);
    const session = await signIn(rt, org, input.email, input.password);
    const signedIn = await requireDeveloper(rt, org, input.email);
    return ok({ access_token: session.token, token_type: 'Bearer', expires_in: session.expiresIn, developer: developerView(signedIn) }, { 'cache-control': 'no-store' });
  });

  developer.delete(`${BASE}/sessions/current`, { operationId: 'portalSignOut', summary: 'Sign out: the session token stops working', responses: { 204: 'Signed out.' } }, async (request, rt, principal) => {
    developerIn(principal, request.params.org!);
    await signOut(rt, request);
    return noContent();
  });

  developer.get(`${BASE}/me`, { operationId: 'portalMe', summary: 'The signed-in developer' }, async (request, rt, principal) => {
    const session = developerIn(principal, request.params.org!);
    return ok(developerView(await requireDeveloper(rt, session.organization, session.email)));
  });

  open.get(`${BASE}/products`, { operationId: 'portalProducts', summary: 'The product catalog', description: 'Without a session: products whose `access` attribute is `public` (or absent). With a portal session (`Authorization: Bearer`): `private` ones too. `internal` products are never listed.' }, async (request, rt) => {
    const org = request.params.org!;
    await assertOrganization(rt, org);
    const session = await optionalDeveloper(rt, request, org);
    const visible = (await products(rt, org)).filter((product) => visibleTo(product, session));
    return ok(await Promise.all(visible.map((product) => catalogProduct(rt, product, false))), { 'cache-control': 'no-store' });
  });

  open.get(`${BASE}/products/:product`, { operationId: 'portalProduct', summary: 'A product of the catalog with its APIs and where they are deployed' }, async (request, rt) => {
    const org = request.params.org!;
    await assertOrganization(rt, org);
    const session = await optionalDeveloper(rt, request, org);
    const product = (await products(rt, org)).find((p) => p.name === request.params.product);
    if (!product || !visibleTo(product, session)) throw notFound(`No product ${request.params.product} in the catalog`);
    return ok(await catalogProduct(rt, product, true), { 'cache-control': 'no-store' });
  });

  developer.get(`${BASE}/apps`, { operationId: 'portalListApps', summary: 'The signed-in developer\'s apps (secrets masked)' }, async (request, rt, principal) => {
    const session = developerIn(principal, request.params.org!);
    const apps = await Promise.all((await developerAppRefs(rt, session.organization, session.developerId)).map((ref) => getApp(rt, session.organization, ref.appId)));
    return ok(await Promise.all(apps.filter((app): app is StoredApp => app !== undefined && app.developerId === session.developerId).map((app) => appView(rt, app))));
  });

  developer.post(`${BASE}/apps`, { operationId: 'portalCreateApp', summary: 'Create an app subscribed to catalog products', description: 'The response is the only time the consumer secret is shown.', body: appInput, responses: { 201: 'The app with its key and secret.' } }, async (request, rt, principal) => {
    const session = developerIn(principal, request.params.org!);
    const input = jsonBody(request, appInput);
    const catalog = await products(rt, session.organization);
    const unknown = input.apiProducts.filter((name) => !catalog.some((p) => p.name === name && visibleTo(p, session)));
    if (unknown.length) throw unprocessable('Subscribe only to products of the catalog', [{ path: 'apiProducts', message: `not in the catalog: ${unknown.join(', ')}` }]);
    const owner = await requireDeveloper(rt, session.organization, session.email);
    const { app, issued } = await createApp(rt, session.organization, owner, { name: input.name, apiProducts: input.apiProducts, callbackUrl: input.callbackUrl, scopes: [], attributes: [] } as Parameters<typeof createApp>[3]);
    forgetConsumers(rt);
    const view = await apigeeApp(rt, app, await appCredentials(rt, app.organization, app.appId), issued);
    return created({ name: view.name, appId: view.appId, status: view.status, credentials: view.credentials }, { 'cache-control': 'no-store' });
  });

  developer.get(`${BASE}/apps/:app`, { operationId: 'portalGetApp', summary: 'One of the signed-in developer\'s apps' }, async (request, rt, principal) => {
    const session = developerIn(principal, request.params.org!);
    return ok(await appView(rt, await ownApp(rt, session, request.params.app!)));
  });

  developer.delete(`${BASE}/apps/:app`, { operationId: 'portalDeleteApp', summary: 'Delete one of the signed-in developer\'s apps', responses: { 204: 'Deleted; its credentials stop working.' } }, async (request, rt, principal) => {
    const session = developerIn(principal, request.params.org!);
    await deleteApp(rt, await ownApp(rt, session, request.params.app!));
    forgetConsumers(rt);
    return noContent();
  });

  // The API team invites a developer it created (management, platform credentials).
  router.post(
    '/v1/organizations/:org/developers/:email/invitations',
    { tag: 'Developers', operationId: 'inviteDeveloper', summary: 'Invite a developer to the developer portal', description: 'A single-use invitation token, valid 7 days; the developer accepts it on the portal (`/portal/accept?token=`) by choosing a password.', bodyOptional: true, responses: { 201: 'The invitation: `token`, `expiresAt` (epoch seconds) and the portal `url`.' } },
    async (request, rt, { organization }) => {
      const invited = await requireDeveloper(rt, organization, request.params.email!);
      const invitation = await invite(rt, invited);
      return created({ email: invited.email, token: invitation.token, expiresAt: invitation.expiresAt, url: `${rt.config.issuer}/portal/accept?token=${encodeURIComponent(invitation.token)}` }, { 'cache-control': 'no-store' });
    },
  );
}

