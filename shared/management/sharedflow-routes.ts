// Apigee's management paths for shared flows, their revisions and
// deployments, and the environments' flow hooks.
import * as z from 'zod';
import { importSharedFlowBundle, sharedFlowBundleResponse } from '../bundles/bundle-transfer.js';
import { jsonBody } from '../http/body.js';
import { badRequest, notFound } from '../http/errors.js';
import { created, ok } from '../http/response.js';
import type { HttpRequest } from '../http/request.js';
import type { RouteDoc, Router } from '../http/router.js';
import type { Runtime } from '../runtime.js';
import { FLOW_HOOKS, SharedFlowModelSchema, type SharedFlowModel } from '../gateway/engine/model.js';
import {
  assertFlowHook,
  attachFlowHook,
  createSharedFlowRevision,
  decodeSharedFlow,
  deleteSharedFlow,
  deploySharedFlow,
  detachFlowHook,
  getFlowHook,
  getSharedFlow,
  getSharedFlowRevision,
  listSharedFlowDeployments,
  listSharedFlows,
  undeploySharedFlow,
  type SharedFlowDeploymentItem,
  type SharedFlowRevisionItem,
} from '../gateway/stores/shared-flows.js';
import { assertEnvironment } from '../gateway/stores/deployments.js';

const ORG = '/v1/organizations/:org';
const revisionNumber = (value: string | undefined) => (/^\d{1,6}$/.test(value ?? '') ? Number(value) : Number.NaN);

function summary(model: SharedFlowModel) {
  return {
    name: model.name,
    displayName: model.displayName ?? model.name,
    description: model.description,
    policies: model.policies.map((policy) => policy.name),
    sharedFlows: model.sharedFlows.map((flow) => flow.name),
    resources: model.resources.map((resource) => resource.path),
    unsupportedPolicies: model.policies.filter((policy) => policy.unsupported).map((policy) => ({ name: policy.name, type: policy.type, reason: policy.unsupported })),
  };
}

function revisionView(item: SharedFlowRevisionItem, includeModel = false) {
  const model = decodeSharedFlow(item.model);
  return { ...summary(model), revision: String(item.revision), source: item.source, createdAt: Date.parse(item.createdAt), ...(includeModel ? { model } : {}) };
}

const deploymentView = (item: SharedFlowDeploymentItem) => ({ environment: item.environment, name: item.name, revision: String(item.revision), state: 'deployed', deployStartTime: item.deployedAt });

const FlowHookInput = z.lazy(() => z.object({ sharedFlow: z.string().min(1), continueOnError: z.boolean().default(true), description: z.string().max(1000).optional() }));

const CREATE_DOC: RouteDoc = {
  operationId: 'createSharedFlow',
  summary: 'Create a shared flow revision',
  description: 'A JSON shared flow model creates the next revision; with `action=import&name={name}` the body is a `sharedflowbundle/` zip (`application/octet-stream`, `application/zip`, or multipart field `file`).',
  body: SharedFlowModelSchema,
  bodies: { 'application/octet-stream': 'binary', 'application/zip': 'binary', 'multipart/form-data': 'binary' },
  query: {
    action: { description: '`import` to upload a shared flow bundle zip.', enum: ['import'] },
    name: { description: 'With `action=import`: the name the shared flow is stored under.' },
    validate: { description: 'With `action=import`: `true` to check the bundle without storing it.', enum: ['true', 'false'] },
  },
  responses: { 201: "The new revision's summary.", 200: "With `validate=true`: the bundle's summary, nothing stored." },
};

export function registerSharedFlowRoutes(router: Router<Runtime>): void {
  router.get(`${ORG}/sharedflows`, { operationId: 'listSharedFlows', summary: 'List shared flows' }, async (request, rt, { organization }) => {
    return ok((await listSharedFlows(rt, organization)).map((flow) => flow.name));
  });

  router.post(`${ORG}/sharedflows`, CREATE_DOC, async (request, rt, { organization }) => {
    const action = request.query.get('action');
    if (action === 'import') {
      const imported = await importSharedFlowBundle(rt, organization, request);
      return imported.revision ? created(revisionView(imported.revision)) : ok({ ...summary(imported.model), validated: true });
    }
    if (action !== null) throw badRequest(`Unknown action "${action}"; use action=import with a shared flow bundle zip`);
    return created(revisionView(await createSharedFlowRevision(rt, organization, jsonBody(request, SharedFlowModelSchema), 'json')));
  });

  router.get(`${ORG}/sharedflows/:name`, { operationId: 'getSharedFlow', summary: 'Get a shared flow and its revision numbers' }, async (request, rt, { organization }) => {
    const flow = await getSharedFlow(rt, organization, request.params.name!);
    return ok({ name: flow.name, revision: flow.revisions.map(String), latestRevisionId: String(flow.latestRevision) });
  });

  router.delete(`${ORG}/sharedflows/:name`, { operationId: 'deleteSharedFlow', summary: 'Delete a shared flow with all its revisions', description: 'Refused (409) while a revision is deployed.' }, async (request, rt, { organization }) => {
    const flow = await deleteSharedFlow(rt, organization, request.params.name!);
    return ok({ name: flow.name, revision: flow.revisions.map(String) });
  });

  router.get(`${ORG}/sharedflows/:name/revisions`, { operationId: 'listSharedFlowRevisions', summary: 'List the revisions of a shared flow' }, async (request, rt, { organization }) => {
    return ok((await getSharedFlow(rt, organization, request.params.name!)).revisions.map(String));
  });

  router.get(
    `${ORG}/sharedflows/:name/revisions/:rev`,
    { operationId: 'getSharedFlowRevision', summary: 'Get a shared flow revision (JSON model or bundle zip)', query: { format: { description: '`bundle` for the `sharedflowbundle/` zip.', enum: ['bundle'] } } },
    async (request, rt, { organization }) => {
      const item = await getSharedFlowRevision(rt, organization, request.params.name!, revisionNumber(request.params.rev));
      return request.query.get('format') === 'bundle' ? sharedFlowBundleResponse(item) : ok(revisionView(item, true));
    },
  );

  router.get(`${ORG}/sharedflows/:name/deployments`, { tag: 'Environments', operationId: 'listSharedFlowDeployments', summary: 'Where a shared flow is deployed' }, async (request, rt, { organization }) => {
    const name = (await getSharedFlow(rt, organization, request.params.name!)).name;
    const deployments = (await listSharedFlowDeployments(rt, organization)).filter((item) => item.name === name);
    return ok({ name, environment: deployments.map((item) => ({ name: item.environment, revision: [{ name: String(item.revision), state: 'deployed' }] })) });
  });

  const deploymentPath = `${ORG}/environments/:env/sharedflows/:name/revisions/:rev/deployments`;
  router.get(deploymentPath, { tag: 'Environments', operationId: 'getSharedFlowDeployment', summary: 'Get the deployment of a shared flow revision' }, async (request, rt, { organization }) => {
    const found = (await listSharedFlowDeployments(rt, organization, request.params.env)).find((item) => item.name === request.params.name && item.revision === revisionNumber(request.params.rev));
    if (!found) throw notFound(`Revision ${request.params.rev} of shared flow ${request.params.name} is not deployed in ${request.params.env}`);
    return ok(deploymentView(found));
  });

  router.post(deploymentPath, { tag: 'Environments', operationId: 'deploySharedFlowRevision', summary: 'Deploy a shared flow revision', description: 'Replaces the revision deployed in the environment before; FlowCallout steps and flow hooks of the environment use it within seconds.' }, async (request, rt, { organization }) => {
    return ok(deploymentView(await deploySharedFlow(rt, organization, request.params.env!, request.params.name!, revisionNumber(request.params.rev))));
  });

  router.delete(deploymentPath, { tag: 'Environments', operationId: 'undeploySharedFlowRevision', summary: 'Undeploy a shared flow revision' }, async (request, rt, { organization }) => {
    const item = await undeploySharedFlow(rt, organization, request.params.env!, request.params.name!, revisionNumber(request.params.rev));
    return ok({ ...deploymentView(item), state: 'undeployed' });
  });

  router.get(`${ORG}/environments/:env/flowhooks`, { tag: 'Environments', operationId: 'listFlowHooks', summary: 'List the flow hooks of an environment' }, async (request, rt, { organization }) => {
    await assertEnvironment(rt, organization, request.params.env!);
    return ok([...FLOW_HOOKS]);
  });

  router.get(`${ORG}/environments/:env/flowhooks/:hook`, { tag: 'Environments', operationId: 'getFlowHook', summary: 'Get a flow hook' }, async (request, rt, { organization }) => {
    const hook = request.params.hook!;
    assertFlowHook(hook);
    await assertEnvironment(rt, organization, request.params.env!);
    const item = await getFlowHook(rt, organization, request.params.env!, hook);
    return ok(item ? { name: hook, sharedFlow: item.sharedFlow, continueOnError: item.continueOnError } : { name: hook, continueOnError: true });
  });

  const attach = async (request: HttpRequest, rt: Runtime, { organization }: { organization: string }) => {
    const hook = request.params.hook!;
    assertFlowHook(hook);
    const input = jsonBody(request, FlowHookInput);
    const item = await attachFlowHook(rt, organization, request.params.env!, hook, input.sharedFlow, input.continueOnError);
    return ok({ name: hook, sharedFlow: item.sharedFlow, continueOnError: item.continueOnError });
  };
  const hookDoc = (operationId: string): RouteDoc => ({
    tag: 'Environments',
    operationId,
    summary: 'Attach a shared flow to a flow hook',
    description: 'PreProxyFlowHook, PreTargetFlowHook, PostTargetFlowHook or PostProxyFlowHook; the shared flow runs there for every proxy deployed in the environment.',
    body: FlowHookInput,
  });
  router.put(`${ORG}/environments/:env/flowhooks/:hook`, hookDoc('attachFlowHook'), attach);
  router.post(`${ORG}/environments/:env/flowhooks/:hook`, hookDoc('attachFlowHookEdge'), attach);

  router.delete(`${ORG}/environments/:env/flowhooks/:hook`, { tag: 'Environments', operationId: 'detachFlowHook', summary: 'Detach the shared flow from a flow hook' }, async (request, rt, { organization }) => {
    const hook = request.params.hook!;
    assertFlowHook(hook);
    const item = await detachFlowHook(rt, organization, request.params.env!, hook);
    return ok({ name: hook, sharedFlow: item.sharedFlow, continueOnError: item.continueOnError });
  });
}
