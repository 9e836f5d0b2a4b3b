// One Lambda function invoked in its own process, for the per-invocation CPU
// of bench:gateway and bench:token (bench/invocation-cpu.ts): argv `proxy` or
// `token`, and `silent` (LOG_LEVEL=SILENT, metrics off) or `info` (the
// production setting: LOG_LEVEL=INFO and EMF metrics, as in Lambda). Its
// stdout is discarded by the parent, so writing the lines is part of the
// cost, as it is on Lambda. On `round` it runs that many warm invocations and
// answers each one's CPU time (user + system, microseconds); for `token` also
// the CPU of a raw jose ES256 signature of the same claims, so the parent can
// report the invocation excluding the signature.
import type { APIGatewayProxyEvent } from 'aws-lambda';

const [fn, mode] = process.argv.slice(2) as ['proxy' | 'token', 'silent' | 'info'];
Object.assign(process.env, {
  POWERTOOLS_DEV: 'false',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  ...(mode === 'info'
    ? { LOG_LEVEL: 'INFO', AWS_LAMBDA_FUNCTION_NAME: `tollgate-${fn}`, POWERTOOLS_METRICS_DISABLED: 'false' }
    : { LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' }),
});

const { SignJWT } = await import('jose');
const { startLocalRuntime } = await import('../local/runtime.js');
const { useRuntime } = await import('../shared/runtime.js');
const { issueClientCredentialsToken } = await import('../shared/oauth/issue.js');
const { signingKeys } = await import('../shared/oauth/keys.js');
const { benchApp, deployBenchProxies, lambdaContext, proxyEvent, tokenEvent } = await import('./fixtures.js');
const { handler } = fn === 'proxy' ? await import('../functions/proxy/handler.js') : await import('../functions/token/handler.js');

const ORG = 'bench';
const local = await startLocalRuntime({ dataDir: null, publicUrl: 'http://127.0.0.1:8080', env: { TOLLGATE_ORG: ORG } });
const rt = local.runtime;
useRuntime(rt);
const issued = await benchApp(rt, ORG, ['read']);
let event: APIGatewayProxyEvent;
if (fn === 'proxy') {
  await deployBenchProxies(rt, ORG);
  const { access_token: token } = await issueClientCredentialsToken(rt, { clientId: issued.consumerKey, clientSecret: issued.consumerSecret });
  event = proxyEvent(token);
} else {
  event = tokenEvent(`Basic ${Buffer.from(`${issued.consumerKey}:${issued.consumerSecret}`).toString('base64')}`);
}
const context = lambdaContext(fn);
const { kid, key } = await signingKeys(rt).signingKey();
const rawSign = () => {
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({ client_id: issued.consumerKey, scope: 'read', api_products: ['bench'], organization: ORG, app_name: 'bench' })
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
    .setIssuer(rt.config.issuer)
    .setSubject(issued.consumerKey)
    .setJti(crypto.randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + 3600)
    .sign(key);
};

async function cpuOf(work: () => Promise<unknown>): Promise<number> {
  const started = process.cpuUsage();
  await work();
  const used = process.cpuUsage(started);
  return used.user + used.system;
}

async function round(calls: number): Promise<{ invocation: number[]; signature: number[] }> {
  const invocation: number[] = [];
  const signature: number[] = [];
  for (let i = 0; i < calls; i++) {
    invocation.push(
      await cpuOf(async () => {
        const result = await handler(event, context);
        if (result.statusCode !== 200) throw new Error(`${fn} answered ${result.statusCode}: ${result.body}`);
      }),
    );
    if (fn === 'token') signature.push(await cpuOf(rawSign));
  }
  return { invocation, signature };
}

await round(500); // warm: JIT, caches, keys
process.on('message', (message: { type?: string; calls?: number }) => {
  if (message.type === 'round') {
    round(message.calls ?? 500).then(
      (result) => process.send?.({ type: 'round', ...result }),
      (error: unknown) => {
        process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
        process.exit(1);
      },
    );
  } else if (message.type === 'stop') void local.close().then(() => process.exit(0));
});
process.send?.({ type: 'ready' });
