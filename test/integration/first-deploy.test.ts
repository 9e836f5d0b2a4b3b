// The state right after `cdk deploy`: the stack has generated the data key and
// the default organization's secrets, the table is empty, and the functions
// run with the environment the stack gives them. The first authenticated call
// must create the organization record, seeded from the stack settings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getOrganization } from '../../shared/auth/organizations.js';
import { PlatformAuthenticator } from '../../shared/auth/platform.js';
import { checkPassword } from '../../shared/auth/users.js';
import { loadConfig } from '../../shared/config.js';
import type { HttpRequest } from '../../shared/http/request.js';
import { Runtime } from '../../shared/runtime.js';
import { MemorySecretBackend } from '../../shared/secrets/local.js';
import { CachedSecrets } from '../../shared/secrets/store.js';
import { functionEnvironment } from '../../infra/environment.js';
import { parseSettings } from '../../infra/config.js';
import { startTable } from '../support/dynalite.js';

let close: () => Promise<void>;
let rt: Runtime;
let secrets: MemorySecretBackend;

beforeAll(async () => {
  const started = await startTable();
  close = started.close;
  const settings = parseSettings({ stage: 'dev', allowedRedirectOrigins: ['https://app.example.com'] });
  const env = functionEnvironment(settings, { tableName: 'test', issuer: 'https://abc.execute-api.eu-west-1.amazonaws.com', runtimeUrls: { prod: 'https://rt.execute-api.eu-west-1.amazonaws.com/prod' },
    queueUrls: { poll: 'https://sqs.eu-west-1.amazonaws.com/123456789012/poll', delivery: 'https://sqs.eu-west-1.amazonaws.com/123456789012/delivery' },
  });
  secrets = new MemorySecretBackend();
  // What Secrets Manager holds after the deploy (generated, 48 characters).
  await secrets.put('data-key', 'A'.repeat(48));
  await secrets.put('orgs/default/organization-secret', 'O'.repeat(48));
  await secrets.put('orgs/default/user-secret', 'U'.repeat(48));
  await secrets.put('admin-password', 'P'.repeat(48));
  rt = new Runtime(loadConfig({ ...env, AWS_REGION: 'eu-west-1' }), started.table, new CachedSecrets(secrets));
});
afterAll(() => close());

const request = (authorization: string): HttpRequest => ({
  method: 'GET',
  path: '/v1/organizations/default',
  params: {},
  query: new URLSearchParams(),
  headers: { authorization },
  multiHeaders: { authorization: [authorization] },
  body: Buffer.alloc(0),
  requestId: 'r',
  sourceIp: '203.0.113.1',
  receivedAt: Date.now(),
});


/** The organization's own user secret stands for its organization user: the first management user, orgadmin. */
const ORGANIZATION_USER = {
  via: 'platform',
  organization: 'default',
  roles: { default: 'orgadmin' },
  user: 'admin@localhost',
  connector: { userId: 1, accountId: 1, accountAdmin: true, organizationUser: true },
};
describe('first call after a deploy', () => {
  it('authenticates with the generated secrets and creates the organization with the allowed redirect origins', async () => {
    expect(await getOrganization(rt, 'default')).toBeUndefined();
    const principal = await new PlatformAuthenticator(rt).authenticate(request(`User ${'U'.repeat(48)}, Organization ${'O'.repeat(48)}`));
    expect(principal).toEqual(ORGANIZATION_USER);
    const organization = await getOrganization(rt, 'default');
    expect(organization?.allowedRedirectOrigins).toEqual(['https://app.example.com']);
    // The stack's secrets are used as they are, never replaced.
    expect(await secrets.get('orgs/default/organization-secret')).toBe('O'.repeat(48));
  });

  it('takes a rotated organization secret once Secrets Manager has it, and refuses the old one', async () => {
    const authenticator = new PlatformAuthenticator(rt);
    const old = request(`User ${'U'.repeat(48)}, Organization ${'O'.repeat(48)}`);
    expect(await authenticator.authenticate(old)).toEqual(ORGANIZATION_USER);
    // The operator rotates the secret in Secrets Manager; containers see it when their secret cache expires.
    await secrets.put('orgs/default/organization-secret', 'R'.repeat(48));
    rt.secrets.invalidate();
    authenticator.invalidate();
    const rotated = await authenticator.authenticate(request(`User ${'U'.repeat(48)}, Organization ${'R'.repeat(48)}`));
    expect(rotated).toEqual(ORGANIZATION_USER);
    const error = await authenticator.authenticate(old).catch((e: unknown) => e);
    expect((error as { status?: number }).status).toBe(401);
    // The record now points at the new secret, so other containers find it directly.
    const organization = await getOrganization(rt, 'default');
    expect(organization?.gsi1pk).toBe(`ORGSECRET#${(await rt.dataKey()).fingerprint('R'.repeat(48))}`);
    await secrets.put('orgs/default/organization-secret', 'O'.repeat(48));
    rt.secrets.invalidate();
  });

  it('has made the first management user with the stack\'s generated password, orgadmin of the organization', async () => {
    const found = await checkPassword(rt, 'admin@localhost', 'P'.repeat(48));
    expect(found?.roles).toEqual({ default: 'orgadmin' });
    expect(await checkPassword(rt, 'admin@localhost', 'wrong')).toBeUndefined();
    // Never a copy of the password outside Secrets Manager.
    expect(JSON.stringify(await rt.table.queryAll('USER#admin@localhost'))).not.toContain('P'.repeat(48));
  });

  it('refuses other credentials', async () => {
    const error = await new PlatformAuthenticator(rt).authenticate(request(`User ${'U'.repeat(48)}, Organization ${'X'.repeat(48)}`)).catch((e: unknown) => e);
    expect((error as { status?: number }).status).toBe(401);
  });
});
