// The shared token verifier and issuance against a real table (dynalite) and
// real jose, with two runtimes on the same table and secret store standing in
// for two Lambda containers.
import { importJWK, SignJWT, UnsecuredJWT, exportSPKI, type CryptoKey, type JWK } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig, type Config } from '../../shared/config.js';
import { createApp, appInput } from '../../shared/consumers/apps.js';
import { appCredentials, setCredentialStatus } from '../../shared/consumers/app-credentials.js';
import { createDeveloper, developerInput } from '../../shared/consumers/developers.js';
import { createProduct, productInput } from '../../shared/consumers/products.js';
import { validate } from '../../shared/http/body.js';
import { issueClientCredentialsToken } from '../../shared/oauth/issue.js';
import { signingKeys, SIGNING_KEYS_SECRET } from '../../shared/oauth/keys.js';
import { revocationList, revokeTokenId } from '../../shared/credentials/revocation.js';
import { verifyAccessToken, verifySignedToken } from '../../shared/oauth/verifier.js';
import { Runtime } from '../../shared/runtime.js';
import { MemorySecretBackend } from '../../shared/secrets/local.js';
import { CachedSecrets } from '../../shared/secrets/store.js';
import type { Table } from '../../shared/store/table.js';
import { startTable } from '../support/dynalite.js';

const ISSUER = 'https://tollgate.test';
let db: Awaited<ReturnType<typeof startTable>>;
const backend = new MemorySecretBackend();

function container(overrides: Partial<Config> = {}, table: Table = db.table): Runtime {
  const config: Config = { ...loadConfig({ TOLLGATE_MODE: 'local' }), issuer: ISSUER, ...overrides };
  return new Runtime(config, table, new CachedSecrets(backend));
}

let a: Runtime;
let b: Runtime;
let client: { clientId: string; clientSecret: string; appId: string };

beforeAll(async () => {
  db = await startTable();
  a = container();
  await a.dataKey();
  b = container();
  const product = validate(productInput, { name: 'orders', scopes: ['orders.read', 'orders.write'] });
  await createProduct(a, 'acme', product);
  const developer = await createDeveloper(a, 'acme', validate(developerInput, { email: 'dev@acme.test', firstName: 'D', lastName: 'E', userName: 'de' }));
  const { app, issued } = await createApp(a, 'acme', developer, validate(appInput, { name: 'shop', apiProducts: ['orders'] }));
  client = { clientId: issued.consumerKey, clientSecret: issued.consumerSecret, appId: app.appId };
});
afterAll(() => db.close());
afterEach(() => {
  vi.useRealTimers();
});

const issue = (rt: Runtime, scope?: string) =>
  issueClientCredentialsToken(rt, { clientId: client.clientId, clientSecret: client.clientSecret, ...(scope !== undefined ? { scope } : {}) });

async function privateSigningKey(): Promise<{ kid: string; key: CryptoKey; publicJwk: JWK }> {
  const set = JSON.parse((await backend.get(SIGNING_KEYS_SECRET))!) as { keys: { kid: string; privateJwk: JWK; publicJwk: JWK; retiredAt?: number }[] };
  const active = set.keys.filter((k) => k.retiredAt === undefined).at(-1)!;
  return { kid: active.kid, key: (await importJWK(active.privateJwk, 'ES256')) as CryptoKey, publicJwk: active.publicJwk };
}

function claims(overrides: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return { sub: client.clientId, client_id: client.clientId, scope: 'orders.read', api_products: ['orders'], organization: 'acme', jti: crypto.randomUUID(), iat: now, exp: now + 600, iss: ISSUER, ...overrides };
}

const reasonOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return (error as { reason?: string }).reason ?? String(error);
  }
};

describe('verifyAccessToken', () => {
  it('accepts a token issued by another container and reads nothing when warm', async () => {
    const { access_token, claims: issued } = await issue(a, 'orders.read');
    // A frozen clock keeps the revocation list's periodic refresh out of the count.
    vi.useFakeTimers({ toFake: ['Date'] });
    const verified = await verifyAccessToken(b, access_token, { requiredScopes: ['orders.read'], organization: 'acme' });
    expect(verified).toEqual(issued);
    const tableCalls = b.table.calls;
    const secretCalls = b.secrets.backendCalls;
    for (let i = 0; i < 50; i++) await verifyAccessToken(b, access_token);
    expect(b.table.calls).toBe(tableCalls);
    expect(b.secrets.backendCalls).toBe(secretCalls);
  });

  it('refuses alg none, HS256 keyed with the public key, an unknown kid and a wrong typ', async () => {
    const { kid, key, publicJwk } = await privateSigningKey();
    const unsecured = new UnsecuredJWT(claims()).encode();
    expect(await reasonOf(verifyAccessToken(b, unsecured))).toBe('invalid_token');

    const pem = await exportSPKI((await importJWK(publicJwk, 'ES256', { extractable: true })) as CryptoKey);
    for (const secret of [pem, publicJwk.x!]) {
      const confused = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid, typ: 'at+jwt' }).sign(new TextEncoder().encode(secret));
      expect(await reasonOf(verifyAccessToken(b, confused))).toBe('invalid_token');
    }
    const unknownKid = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: 'unknown', typ: 'at+jwt' }).sign(key);
    expect(await reasonOf(verifyAccessToken(b, unknownKid))).toBe('invalid_token');
    const idTokenTyp = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' }).sign(key);
    expect(await reasonOf(verifyAccessToken(b, idTokenTyp))).toBe('invalid_token');
    const control = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' }).sign(key);
    expect(await reasonOf(verifyAccessToken(b, control))).toBe('accepted');
  });

  it('refuses a foreign issuer, an expired token, missing claims and another organization', async () => {
    const { kid, key } = await privateSigningKey();
    const sign = (payload: Record<string, unknown>) => new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' }).sign(key);
    expect(await reasonOf(verifyAccessToken(b, await sign(claims({ iss: 'https://evil.test' }))))).toBe('invalid_token');
    const past = Math.floor(Date.now() / 1000) - 7200;
    expect(await reasonOf(verifyAccessToken(b, await sign(claims({ iat: past, exp: past + 60 }))))).toBe('token_expired');
    expect(await reasonOf(verifyAccessToken(b, await sign(claims({ api_products: 'orders' }))))).toBe('invalid_token');
    expect(await reasonOf(verifyAccessToken(b, await sign(claims()), { organization: 'other' }))).toBe('invalid_token');
    expect(await reasonOf(verifyAccessToken(b, 'a.b.c'))).toBe('invalid_token');
    expect(await reasonOf(verifyAccessToken(b, 'x'.repeat(10_000)))).toBe('invalid_token');
  });

  it('checks required scopes', async () => {
    const { access_token } = await issue(a, 'orders.read');
    expect(await reasonOf(verifyAccessToken(b, access_token, { requiredScopes: ['orders.write'] }))).toBe('insufficient_scope');
    expect(await reasonOf(verifyAccessToken(b, access_token, { requiredScopes: [] }))).toBe('accepted');
  });
});

describe('verified tokens remembered', () => {
  it('skips the signature check for a token seen before, and still checks expiry, organization and scopes', async () => {
    const { access_token } = await issue(a, 'orders.read');
    expect(await reasonOf(verifyAccessToken(b, access_token, { organization: 'acme' }))).toBe('accepted');
    const verify = vi.spyOn(signingKeys(b), 'verificationKey');
    const again = await verifyAccessToken(b, access_token, { organization: 'acme' });
    // The remembered entry is checked against the key set (is the kid still verified by the same key?), not re-verified.
    expect(verify).toHaveBeenCalledTimes(1);
    verify.mockRestore();
    again.api_products.push('mutated');
    expect((await verifyAccessToken(b, access_token)).api_products).toEqual(['orders']);
    expect(await reasonOf(verifyAccessToken(b, access_token, { organization: 'other' }))).toBe('invalid_token');
    expect(await reasonOf(verifyAccessToken(b, access_token, { requiredScopes: ['orders.write'] }))).toBe('insufficient_scope');
    const { exp } = await verifySignedToken(b, access_token);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(exp * 1000);
    expect(await reasonOf(verifyAccessToken(b, access_token))).toBe('token_expired');
  });

  it('forgets a token once its kid is no longer verified by the key that verified it', async () => {
    const other = await startTable();
    const otherBackend = new MemorySecretBackend();
    const secrets = new CachedSecrets(otherBackend);
    const c = new Runtime({ ...loadConfig({ TOLLGATE_MODE: 'local' }), issuer: ISSUER }, other.table, secrets);
    const { kid, key } = await signingKeys(c).signingKey();
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' }).sign(key);
    expect((await verifySignedToken(c, token)).organization).toBe('acme');
    // The key set is replaced (a key compromised and removed): the remembered token goes with it.
    const replaced = new Runtime({ ...loadConfig({ TOLLGATE_MODE: 'local' }), issuer: ISSUER }, other.table, new CachedSecrets(new MemorySecretBackend()));
    await signingKeys(replaced).signingKey();
    await otherBackend.put(SIGNING_KEYS_SECRET, (await replaced.secrets.get(SIGNING_KEYS_SECRET))!);
    secrets.invalidate(SIGNING_KEYS_SECRET);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 1_500);
    expect(await reasonOf(verifySignedToken(c, token))).toBe('invalid_token');
    await other.close();
  });
});

describe('revocation across containers', () => {
  it('applies a token revocation made elsewhere within seconds, with one query per refresh', async () => {
    const { access_token, claims: issued } = await issue(a);
    // Freeze the clock past b's refresh interval: the next check refreshes (awaited), then b's copy stays fresh.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 10_000);
    expect(await reasonOf(verifyAccessToken(b, access_token))).toBe('accepted');
    await revokeTokenId(a, { organization: 'acme', jti: issued.jti, exp: issued.exp });
    expect(await reasonOf(verifyAccessToken(a, access_token))).toBe('token_revoked');
    // b's copy is still fresh: it has not seen the revocation yet, and reads nothing.
    const refreshes = revocationList(b).refreshes;
    expect(await reasonOf(verifyAccessToken(b, access_token))).toBe('accepted');
    expect(revocationList(b).refreshes).toBe(refreshes);
    vi.setSystemTime(Date.now() + 6_000);
    expect(await reasonOf(verifyAccessToken(b, access_token))).toBe('token_revoked');
    expect(revocationList(b).refreshes).toBe(refreshes + 1);
  });

  it('stops a revoked credential\'s tokens and new issuance in another container', async () => {
    const developer = await createDeveloper(a, 'acme', validate(developerInput, { email: 'other@acme.test', firstName: 'O', lastName: 'T', userName: 'ot' }));
    const { app, issued } = await createApp(a, 'acme', developer, validate(appInput, { name: 'revoked', apiProducts: ['orders'] }));
    const request = { clientId: issued.consumerKey, clientSecret: issued.consumerSecret };
    const { access_token } = await issueClientCredentialsToken(b, request);
    // Verified once first: the token, and its client's fingerprint, are remembered.
    expect((await verifyAccessToken(b, access_token)).client_id).toBe(issued.consumerKey);
    const [credential] = await appCredentials(a, 'acme', app.appId);
    await setCredentialStatus(a, credential!, 'revoked');
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 6_000);
    expect(await reasonOf(verifyAccessToken(b, access_token))).toBe('token_revoked');
    expect(await reasonOf(issueClientCredentialsToken(b, request))).toBe('key_revoked');
  });
});

describe('issuance', () => {
  it('reads nothing from the table or secret store when warm', async () => {
    const fresh = container();
    vi.useFakeTimers({ toFake: ['Date'] });
    await issue(fresh);
    const tableCalls = fresh.table.calls;
    const secretCalls = fresh.secrets.backendCalls;
    for (let i = 0; i < 20; i++) await issue(fresh);
    expect(fresh.table.calls).toBe(tableCalls);
    expect(fresh.secrets.backendCalls).toBe(secretCalls);
  });

  it('adds the configured audience and the verifier then requires it', async () => {
    const withAudience = container({ tokenAudience: 'https://api.acme.test' });
    const { access_token, claims: issued } = await issue(withAudience);
    expect(issued.aud).toBe('https://api.acme.test');
    expect(await reasonOf(verifyAccessToken(withAudience, access_token))).toBe('accepted');
    const { access_token: noAudience } = await issue(a);
    expect(await reasonOf(verifyAccessToken(withAudience, noAudience))).toBe('invalid_token');
  });

  it('refuses a wrong secret, a foreign organization and a scope outside the products', async () => {
    expect(await reasonOf(issueClientCredentialsToken(a, { clientId: client.clientId, clientSecret: 'wrong' }))).toBe('invalid_client');
    expect(await reasonOf(issueClientCredentialsToken(a, { ...client, organization: 'other' }))).toBe('invalid_client');
    expect(await reasonOf(issue(a, 'orders.read admin'))).toBe('invalid_scope');
  });
});

describe('signing keys', () => {
  it('creates one key set when two containers start at once', async () => {
    const other = await startTable();
    const otherBackend = new MemorySecretBackend();
    const make = () => new Runtime({ ...loadConfig({ TOLLGATE_MODE: 'local' }), issuer: ISSUER }, other.table, new CachedSecrets(otherBackend));
    const [first, second] = [make(), make()];
    const [k1, k2] = await Promise.all([signingKeys(first).signingKey(), signingKeys(second).signingKey()]);
    expect(k1.kid).toBe(k2.kid);
    expect(JSON.parse((await otherBackend.get(SIGNING_KEYS_SECRET))!).keys).toHaveLength(1);
    await other.close();
  });

  it('keeps verifying tokens of the previous key after a rotation in another container', async () => {
    const { access_token: old } = await issue(b);
    const rotated = await signingKeys(a).rotate();
    expect(rotated.filter((k) => k.status === 'active')).toHaveLength(1);
    const { access_token: fresh } = await issue(a);
    // b re-reads the key set for an unknown kid at most once a second; an earlier test just made it look.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 1_500);
    expect(await reasonOf(verifyAccessToken(b, fresh))).toBe('accepted');
    expect(await reasonOf(verifyAccessToken(b, old))).toBe('accepted');
    const jwks = await signingKeys(a).jwks();
    expect(jwks.keys.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(jwks)).not.toContain('"d"');
  });
});
