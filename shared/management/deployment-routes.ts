// Environments and deployments on Apigee Edge paths, in Apigee Edge's JSON:
// every view lists revisions as `{configuration:{basePath,steps}, name, server,
// state}` (plus Tollgate's `basePaths`, the runtime paths the revision claimed),
// which apigeetool and apigee-edge-js parse. Deploy and undeploy come in every
// form those clients send: DELETE, or POST with `action=deploy|undeploy` and
// the environment and revision in the path, the query or a form body.
import type { PlatformRouter } from '../auth/principal.js';
import { getOrganization } from '../auth/organizations.js';
import { booleanParam, secondsParam } from '../http/apigee-values.js';
import { formBody } from '../http/body.js';
import { badRequest, notFound } from '../http/errors.js';
import { mediaType, type HttpRequest } from '../http/request.js';
import { ok } from '../http/response.js';
import type { RouteDoc } from '../http/router.js';
import type { Runtime } from '../runtime.js';
import { getApi } from '../gateway/stores/apis.js';
import { assertEnvironment, deploy, getDeployment, listDeployments, undeploy, type DeploymentItem } from '../gateway/stores/deployments.js';

const ORG = '/v1/organizations/:org';

type State = 'deployed' | 'undeployed';

/** Apigee's deployment base path (`basepath`): segments of URL path characters, no `.` or `..` segment. */
const DEPLOYMENT_BASE_PATH = /^(\/[A-Za-z0-9_~!$&'()*+,;=:@%-][A-Za-z0-9._~!$&'()*+,;=:@%-]*)*\/?$/;

/** One revision's state, as every Apigee deployment view lists it. */
function revisionState(item: DeploymentItem, state: State = 'deployed') {
  return {
    configuration: { basePath: item.deploymentBasePath ?? '/', steps: [] },
    name: String(item.revision),
    // Apigee lists the message processors and routers here; a serverless gateway has none to report.
    server: [],
    state,
    basePaths: item.basePaths,
  };
}

/** A revision in one environment: the answer of deploy, undeploy and GET .../revisions/{rev}/deployments. */
function environmentRevisionView(org: string, item: DeploymentItem, state: State = 'deployed') {
  return {
    aPIProxy: item.api,
    ...revisionState(item, state),
    environment: item.environment,
    organization: org,
    revision: String(item.revision),
    deployStartTime: item.deployedAt,
  };
}

const revisionNumber = (value: string | null | undefined) => (/^\d{1,6}$/.test(value ?? '') ? Number(value) : Number.NaN);

/** A deploy or undeploy command's parameters: the query and, when there is one, the form body (form values win). */
function commandParams(request: HttpRequest): URLSearchParams {
  const params = new URLSearchParams(request.query);
  if (request.body.length > 0 && mediaType(request) === 'application/x-www-form-urlencoded') {
    for (const [name, value] of formBody(request)) params.set(name, value);
  }
  return params;
}

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (!value) throw badRequest(`${name} is required`, 'invalid_parameter');
  return value;
}

function revisionParam(value: string): number {
  const revision = revisionNumber(value);
  if (Number.isNaN(revision)) throw badRequest('revision must be a revision number', 'invalid_parameter');
  return revision;
}

type Action = 'deploy' | 'undeploy';

function actionOf(params: URLSearchParams, fallback?: Action): Action {
  const action = params.get('action') ?? fallback;
  if (action !== 'deploy' && action !== 'undeploy') throw badRequest('action must be deploy or undeploy', 'invalid_action');
  return action;
}

/** Runs a deploy or undeploy command and answers as Apigee does. */
async function runCommand(rt: Runtime, org: string, action: Action, env: string, api: string, revision: number, params: URLSearchParams) {
  if (action === 'undeploy') return ok(environmentRevisionView(org, await undeploy(rt, org, env, api, revision), 'undeployed'));
  const basePath = params.get('basepath') || '/';
  if (basePath.length > 200 || !DEPLOYMENT_BASE_PATH.test(basePath)) {
    throw badRequest(`basepath ${basePath.slice(0, 60)} is not a base path: /segment/segment, URL path characters only`, 'invalid_basepath');
  }
  // `delay` is how long Apigee lets the replaced revision finish its requests; here the switch is one write
  // and requests in flight finish on the revision they started on, so it is checked and needs no wait.
  secondsParam(params, 'delay');
  const item = await deploy(rt, org, env, api, revision, { override: booleanParam(params, 'override', false), basePath });
  return ok(environmentRevisionView(org, item));
}

const COMMAND_QUERY: RouteDoc['query'] = {
  override: { description: '`true` replaces the revision deployed in the environment (seamless deployment); without it that is a 409. Also accepted in a form body.', enum: ['true', 'false'] },
  delay: { description: 'Seconds Apigee waits before undeploying the replaced revision; accepted and checked (requests in flight always finish on the revision they started on).' },
  basepath: { description: 'Apigee\'s deployment base path, put before every proxy endpoint\'s `<BasePath>`: `/v2` and `/weather` serve `/v2/weather`. `/` by default.' },
};

const FORM_BODY: Pick<RouteDoc, 'bodies' | 'bodyOptional'> = { bodies: { 'application/x-www-form-urlencoded': 'binary' }, bodyOptional: true };

const envDoc = (doc: RouteDoc): RouteDoc => ({ tag: 'Environments', ...doc });

export function registerDeploymentRoutes(router: PlatformRouter): void {
  router.get(`${ORG}/environments`, envDoc({ operationId: 'listEnvironments', summary: 'List environments' }), async (request, rt, { organization }) => {
    return ok((await getOrganization(rt, organization))?.environments ?? []);
  });

  router.get(`${ORG}/environments/:env`, envDoc({ operationId: 'getEnvironment', summary: 'Get an environment' }), async (request, rt, { organization }) => {
    await assertEnvironment(rt, organization, request.params.env!);
    return ok({ name: request.params.env, properties: { property: [] } });
  });

  router.get(`${ORG}/deployments`, envDoc({ operationId: 'listOrganizationDeployments', summary: 'Every deployment of every environment' }), async (request, rt, { organization }) => {
    const environments = (await getOrganization(rt, organization))?.environments ?? [];
    const deployments = await listDeployments(rt, organization);
    return ok({
      environment: environments.map((env) => ({
        aPIProxy: deployments.filter((d) => d.environment === env).map((d) => ({ name: d.api, revision: [revisionState(d)] })),
        name: env,
      })),
      name: organization,
    });
  });

  router.get(`${ORG}/environments/:env/deployments`, envDoc({ operationId: 'listEnvironmentDeployments', summary: 'The deployments of an environment' }), async (request, rt, { organization }) => {
    const env = request.params.env!;
    await assertEnvironment(rt, organization, env);
    const deployments = await listDeployments(rt, organization, env);
    return ok({ aPIProxy: deployments.map((d) => ({ name: d.api, revision: [revisionState(d)] })), name: env, organization });
  });

  router.get(`${ORG}/apis/:api/deployments`, envDoc({ operationId: 'listApiProxyDeployments', summary: 'Where an API proxy is deployed' }), async (request, rt, { organization }) => {
    const api = await getApi(rt, organization, request.params.api!);
    const deployments = (await listDeployments(rt, organization)).filter((d) => d.api === api.name);
    return ok({
      environment: deployments.map((d) => ({ name: d.environment, revision: [revisionState(d)] })),
      name: api.name,
      organization,
    });
  });

  router.get(
    `${ORG}/environments/:env/apis/:api/deployments`,
    envDoc({ operationId: 'getApiProxyEnvironmentDeployment', summary: 'The revision of an API proxy deployed in an environment', responses: { 200: 'The deployment.', 404: 'The proxy is not deployed there.' } }),
    async (request, rt, { organization }) => {
      const env = request.params.env!;
      await assertEnvironment(rt, organization, env);
      const api = await getApi(rt, organization, request.params.api!);
      const deployment = await getDeployment(rt, organization, env, api.name);
      if (!deployment) throw notFound(`API proxy ${api.name} is not deployed in environment ${env}`, 'distribution.ApplicationNotDeployed');
      return ok({ environment: env, name: api.name, organization, revision: [revisionState(deployment)] });
    },
  );

  router.get(
    `${ORG}/apis/:api/revisions/:rev/deployments`,
    envDoc({ operationId: 'getApiProxyRevisionDeployments', summary: 'The environments a revision is deployed in' }),
    async (request, rt, { organization }) => {
      const api = await getApi(rt, organization, request.params.api!);
      const revision = revisionNumber(request.params.rev);
      if (!api.revisions.includes(revision)) throw notFound(`Revision ${request.params.rev} of API proxy ${api.name} does not exist`, 'messaging.config.beans.RevisionDoesNotExist');
      const deployments = (await listDeployments(rt, organization)).filter((d) => d.api === api.name && d.revision === revision);
      return ok({
        aPIProxy: api.name,
        environment: deployments.map((d) => {
          const { name: _revision, ...state } = revisionState(d);
          return { ...state, name: d.environment };
        }),
        name: String(revision),
        organization,
      });
    },
  );

  // apigeetool's undeploy: POST .../apis/{api}/deployments with action=undeploy&env=..&revision=.. (form or query).
  router.post(
    `${ORG}/apis/:api/deployments`,
    envDoc({
      operationId: 'runApiProxyDeploymentCommand',
      summary: 'Deploy or undeploy a revision (Apigee\'s action form)',
      description: '`action=deploy|undeploy`, `env` and `revision`, in the query or an `application/x-www-form-urlencoded` body.',
      ...FORM_BODY,
      query: {
        action: { description: 'What to do.', required: true, enum: ['deploy', 'undeploy'] },
        env: { description: 'The environment.', required: true },
        revision: { description: 'The revision.', required: true },
        ...COMMAND_QUERY,
      },
    }),
    async (request, rt, { organization }) => {
      const params = commandParams(request);
      const action = actionOf(params);
      return runCommand(rt, organization, action, required(params, 'env'), request.params.api!, revisionParam(required(params, 'revision')), params);
    },
  );

  // Apigee's force undeploy (and the older deploy form): POST .../apis/{api}/revisions/{rev}/deployments?action=..&env=..
  router.post(
    `${ORG}/apis/:api/revisions/:rev/deployments`,
    envDoc({
      operationId: 'runApiProxyRevisionDeploymentCommand',
      summary: 'Deploy or undeploy this revision (Apigee\'s action form)',
      description: '`action=deploy|undeploy` and `env`, in the query or a form body; `force=true` is accepted (an undeploy always completes).',
      ...FORM_BODY,
      query: {
        action: { description: 'What to do.', required: true, enum: ['deploy', 'undeploy'] },
        env: { description: 'The environment.', required: true },
        force: { description: 'Accepted for Apigee\'s force undeploy.', enum: ['true', 'false'] },
        ...COMMAND_QUERY,
      },
    }),
    async (request, rt, { organization }) => {
      const params = commandParams(request);
      booleanParam(params, 'force', false);
      const action = actionOf(params);
      return runCommand(rt, organization, action, required(params, 'env'), request.params.api!, revisionNumber(request.params.rev), params);
    },
  );

  const deploymentPath = `${ORG}/environments/:env/apis/:api/revisions/:rev/deployments`;
  router.get(deploymentPath, envDoc({ operationId: 'getDeployment', summary: 'The deployment of a revision in an environment' }), async (request, rt, { organization }) => {
    const env = request.params.env!;
    await assertEnvironment(rt, organization, env);
    const found = await getDeployment(rt, organization, env, request.params.api!);
    if (!found || found.revision !== revisionNumber(request.params.rev)) {
      throw notFound(`Revision ${request.params.rev} of ${request.params.api} is not deployed in ${env}`, 'distribution.RevisionNotDeployed');
    }
    return ok(environmentRevisionView(organization, found));
  });

  router.post(
    deploymentPath,
    envDoc({
      operationId: 'deployApiProxyRevision',
      summary: 'Deploy a revision',
      description:
        'Claims the revision\'s base paths in the environment. With `override=true` it replaces the revision deployed there before ' +
        '(seamless: the switch is one write); without it, another deployed revision is a 409. A base path another proxy holds is a 409; ' +
        'a revision that does not compile is a 422. The revision is read-only from then on. ' +
        'Parameters in the query or a form body (`action=deploy&override=true&delay=60`, as apigeetool sends); `action=undeploy` undeploys.',
      ...FORM_BODY,
      query: { action: { description: '`deploy` (default) or `undeploy`.', enum: ['deploy', 'undeploy'] }, ...COMMAND_QUERY },
      responses: { 200: 'The deployment.', 409: 'Another revision is deployed (without override), or a base path is taken.', 422: 'The revision cannot be deployed.' },
    }),
    async (request, rt, { organization }) => {
      const params = commandParams(request);
      const action = actionOf(params, 'deploy');
      return runCommand(rt, organization, action, request.params.env!, request.params.api!, revisionNumber(request.params.rev), params);
    },
  );

  router.delete(deploymentPath, envDoc({ operationId: 'undeployApiProxyRevision', summary: 'Undeploy a revision' }), async (request, rt, { organization }) => {
    return ok(environmentRevisionView(organization, await undeploy(rt, organization, request.params.env!, request.params.api!, revisionNumber(request.params.rev)), 'undeployed'));
  });
}
