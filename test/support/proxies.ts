// Creating and deploying proxies through the management API, for tests.
import { expect } from 'vitest';
import type { ProxyModelInput } from '../../shared/gateway/engine/model.js';
import type { TestPlatform } from './platform.js';

export async function deployProxy(platform: TestPlatform, model: ProxyModelInput, options: { env?: string; auth?: string; org?: string } = {}) {
  const org = options.org ?? 'default';
  const auth = options.auth ?? platform.auth;
  const created = await platform.request('POST', `/v1/organizations/${org}/apis`, { json: model, auth });
  expect(created.status, created.text).toBe(201);
  const revision = created.json.revision as string;
  const deployed = await platform.request(
    'POST',
    `/v1/organizations/${org}/environments/${options.env ?? 'prod'}/apis/${model.name}/revisions/${revision}/deployments`,
    { auth },
  );
  expect(deployed.status, deployed.text).toBe(200);
  return { revision: Number(revision) };
}

/** A proxy with one target and the given PreFlow request steps. */
export function simpleProxy(name: string, basePath: string, targetUrl: string, policies: ProxyModelInput['policies'] = [], steps: string[] = []): ProxyModelInput {
  return {
    name,
    policies,
    proxyEndpoints: [{ name: 'default', basePath, preFlow: { request: steps.map((step) => ({ name: step })), response: [] } }],
    targetEndpoints: [{ name: 'default', connection: { url: targetUrl } }],
  };
}
