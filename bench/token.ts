// `npm run bench:token`: warm token issuance through the Lambda handler and
// JWT verification through the shared verifier, each next to raw jose ES256
// sign/verify measured in the same run with the same key. One request at a
// time (one core). Targets: issuance >= 50% of raw signing, verification >= 80%
// of raw verification (a token seen for the first time); a token seen before is
// remembered with its claims and skips the signature check. The warm paths must
// make no table reads.

export {};

process.env.LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_DEV = 'false';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const { SignJWT, jwtVerify, importJWK } = await import('jose');
const { startLocalRuntime } = await import('../local/runtime.js');
const { useRuntime } = await import('../shared/runtime.js');
const { benchApp, lambdaContext, tokenEvent } = await import('./fixtures.js');
const { invocationCpu, invocationCpuLines } = await import('./invocation-cpu.js');
const { signingKeys, SIGNING_KEYS_SECRET } = await import('../shared/oauth/keys.js');
const { verifyAccessToken, VERIFIED_TOKENS } = await import('../shared/oauth/verifier.js');
const { handler } = await import('../functions/token/handler.js');

const ROUND_MS = Number(process.env.BENCH_ROUND_MS || 1500);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);

const local = await startLocalRuntime({ dataDir: null, publicUrl: 'http://127.0.0.1:8080', env: { TOLLGATE_ORG: 'bench' } });
const rt = local.runtime;
useRuntime(rt);

const issued = await benchApp(rt, 'bench', ['read', 'write']);
const basic = `Basic ${Buffer.from(`${issued.consumerKey}:${issued.consumerSecret}`).toString('base64')}`;
const event = tokenEvent(basic);
const context = lambdaContext('token');

async function issueThroughHandler(): Promise<string> {
  const result = await handler(event, context);
  if (result.statusCode !== 200) throw new Error(`token request failed: ${result.statusCode} ${result.body}`);
  return (JSON.parse(result.body) as { access_token: string }).access_token;
}

// Warm up: signing keys, data key, client cache, revocation list, JIT.
let token = '';
for (let i = 0; i < 300; i++) token = await issueThroughHandler();

const { kid, key: privateKey } = await signingKeys(rt).signingKey();
const stored = JSON.parse((await rt.secrets.get(SIGNING_KEYS_SECRET))!) as { keys: { kid: string; publicJwk: Record<string, unknown> }[] };
const publicKey = await importJWK(stored.keys.find((k) => k.kid === kid)!.publicJwk, 'ES256');
const rawClaims = () => {
  const iat = Math.floor(Date.now() / 1000);
  // The same claim set the token endpoint signs, so both sides sign equal payloads.
  return {
    iss: rt.config.issuer,
    sub: issued.consumerKey,
    client_id: issued.consumerKey,
    scope: 'read',
    api_products: ['bench'],
    jti: crypto.randomUUID(),
    iat,
    exp: iat + 3600,
    organization: 'bench',
    developer_email: 'bench@example.com',
    app_name: 'bench',
  };
};
const rawSign = () => new SignJWT(rawClaims()).setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' }).sign(privateKey);
const rawVerify = () => jwtVerify(token, publicKey, { issuer: rt.config.issuer, algorithms: ['ES256'] });
const ourVerify = () => verifyAccessToken(rt, token);
// More distinct tokens than the verifier remembers, used in turn: each one is seen for the first time
// (its signature checked), as when every call brings a new client.
const pool = await Promise.all(Array.from({ length: VERIFIED_TOKENS + 512 }, rawSign));
let next = 0;
const firstSight = () => verifyAccessToken(rt, pool[next++ % pool.length]!);
for (let i = 0; i < 300; i++) {
  await rawSign();
  await rawVerify();
  await ourVerify();
  await firstSight();
}

/**
 * Runs the operations in small interleaved batches and returns each one's
 * rate. Interleaving makes the ratios robust when other processes share the
 * machine: a slow patch slows every operation alike.
 */
async function interleaved<K extends string>(operations: Record<K, () => Promise<unknown>>, totalMs: number, batch = 25): Promise<Record<K, number>> {
  const names = Object.keys(operations) as K[];
  const spent = Object.fromEntries(names.map((name) => [name, 0])) as Record<K, number>;
  const counts = Object.fromEntries(names.map((name) => [name, 0])) as Record<K, number>;
  const until = performance.now() + totalMs;
  while (performance.now() < until) {
    for (const name of names) {
      const started = performance.now();
      for (let i = 0; i < batch; i++) await operations[name]();
      spent[name] += performance.now() - started;
      counts[name] += batch;
    }
  }
  return Object.fromEntries(names.map((name) => [name, (counts[name] * 1000) / spent[name]])) as Record<K, number>;
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
const tableCallsBefore = rt.table.calls;
const secretCallsBefore = rt.secrets.backendCalls;
const rounds: Record<'rawSign' | 'issue' | 'rawVerify' | 'verify' | 'firstSight', number>[] = [];
for (let round = 0; round < ROUNDS; round++) {
  rounds.push(await interleaved({ rawSign, issue: issueThroughHandler, rawVerify, verify: ourVerify, firstSight }, ROUND_MS * 5));
}
const tableCalls = rt.table.calls - tableCallsBefore;
const secretCalls = rt.secrets.backendCalls - secretCallsBefore;
const samples = {
  rawSign: rounds.map((r) => r.rawSign),
  issue: rounds.map((r) => r.issue),
  rawVerify: rounds.map((r) => r.rawVerify),
  verify: rounds.map((r) => r.verify),
  firstSight: rounds.map((r) => r.firstSight),
};

const rawSignRate = median(samples.rawSign);
const issueRate = median(samples.issue);
const rawVerifyRate = median(samples.rawVerify);
const verifyRate = median(samples.verify);
const firstSightRate = median(samples.firstSight);
const pct = (value: number) => `${Math.round(value * 100)}%`;
const rows = [
  ['raw jose ES256 sign', rawSignRate, '', ''],
  ['POST /oauth/token through the handler', issueRate, pct(issueRate / rawSignRate), '>= 50%'],
  ['raw jose ES256 jwtVerify', rawVerifyRate, '', ''],
  ['verifyAccessToken, a token seen for the first time (signature checked)', firstSightRate, pct(firstSightRate / rawVerifyRate), '>= 80%'],
  ['verifyAccessToken, the same token again (remembered)', verifyRate, pct(verifyRate / rawVerifyRate), ''],
] as const;

const cpu = await invocationCpu('token');

const out = [
  `Token service benchmark: node ${process.version}, ${ROUNDS} rounds of ${ROUND_MS * 5} ms (operations interleaved in batches of 25), median, one request at a time`,
  '',
  '| operation | ops/s | ratio to raw jose | target |',
  '|---|---:|---:|---:|',
  ...rows.map(([name, rate, ratio, target]) => `| ${name} | ${Math.round(rate)} | ${ratio} | ${target} |`),
  '',
  `Table calls during the measured runs: ${tableCalls} (revocation-list refreshes only: one Query every few seconds); secret store calls: ${secretCalls} (signing keys re-read when the 30 s secret cache expires).`,
  ...invocationCpuLines('token', cpu, 250),
  '',
  `Issuance ${issueRate / rawSignRate >= 0.5 ? 'meets' : 'MISSES'} its target; verification ${firstSightRate / rawVerifyRate >= 0.8 ? 'meets' : 'MISSES'} its target. Revocation, consumer, product and scope checks run on every verification, remembered or not.`,
  '',
];
process.stdout.write(out.join('\n'));
await local.close();
