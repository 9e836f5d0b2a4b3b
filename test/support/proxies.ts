// Creating and deploying proxies through the management API, for tests.
import { expect } from 'vitest';
import type { ProxyModelInput } from '../../shared/gateway/engine/model.js';
import type { TestPlatform } from './platform.js';

/** Seed 002's token-flow condition, verbatim from the blog. */
export const SEED_002_TOKEN_CONDITION =
  '(proxy.pathsuffix MatchesPath "/OAuthToken" OR proxy.pathsuffix MatchesPath "/OAuthToken/**" OR proxy.pathsuffix MatchesPath "/OAuthToken(**")AND(request.verb = "POST")';

export async function deployProxy(platform: TestPlatform, model: ProxyModelInput, options: { env?: string; auth?: string; org?: string } = {}) {
  const org = options.org ?? 'default';
  const auth = options.auth ?? platform.auth;
  const created = await platform.request('POST', `/v1/organizations/${org}/apis`, { json: model, auth });
  expect(created.status, created.text).toBe(201);
  const revision = created.json.revision as string;
  const deployed = await platform.request(
    'POST',
    // Replacing the revision deployed before, as apigeetool deploys (Apigee's seamless deployment).
    `/v1/organizations/${org}/environments/${options.env ?? 'prod'}/apis/${model.name}/revisions/${revision}/deployments?override=true`,
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

/** A proxy that counts every call with a Quota of `allow` per hour and answers `body` itself (no target). */
export function quotaProxy(name: string, allow: number, body = 'ok'): ProxyModelInput {
  return {
    name,
    policies: [
      { name: 'q', type: 'Quota', config: { allow, interval: 1, timeUnit: 'hour' } },
      { name: 'done', type: 'AssignMessage', config: { set: { payload: { content: body, contentType: 'text/plain' } } } },
    ],
    proxyEndpoints: [{ basePath: `/${name}`, preFlow: { request: [{ name: 'q' }], response: [{ name: 'done' }] } }],
  };
}
