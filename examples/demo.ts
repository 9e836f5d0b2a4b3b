// `npm run demo`: loads the seed scenarios into a running local Tollgate
// (npm start): the bundles in examples/bundles, imported and deployed to prod
// and test, and examples/demo.json (a KVM, a public product, a developer and
// an app, a custom connector element and an instance). Run it again at any
// time: existing things are kept, bundles get a new revision.
// The server and credentials are found as the tollgate CLI finds them: the
// running server recorded in DATA_DIR, or TOLLGATE_URL, TOLLGATE_AUTHORIZATION ...
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { zipSync } from 'fflate';
import { connect } from '../scripts/cli/connection.js';

interface Demo {
  keyValueMaps: { environment: string; name: string; encrypted: boolean; entry: { name: string; value: string }[] }[];
  products: Record<string, unknown>[];
  developers: { email: string; firstName: string; lastName: string; userName: string }[];
  apps: { developer: string; name: string; apiProducts: string[] }[];
  elements: { key: string }[];
  instances: { element: string; name: string; tags: string[]; configuration: Record<string, string> }[];
}

const here = new URL('.', import.meta.url).pathname;
const connection = connect({}, process.env);
const base = connection.url;
const org = connection.org;
const ORG = `/v1/organizations/${encodeURIComponent(org)}`;

const auth = connection.authorization();

async function call(method: string, path: string, body?: unknown, type = 'application/json'): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const response = await fetch(base + path, {
    method,
    headers: { authorization: auth, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': type }) },
    ...(body === undefined ? {} : { body: body instanceof Uint8Array ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, json };
}

/** Creates unless it exists (409): what makes the demo safe to run again. */
async function ensure(what: string, path: string, body: unknown): Promise<boolean> {
  const response = await call('POST', path, body);
  if (response.status === 409) return false;
  if (response.status >= 300) throw new Error(`${what}: ${response.status} ${JSON.stringify(response.json)}`);
  return true;
}

function zipFolder(folder: string): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files[relative(folder, path)] = readFileSync(path);
    }
  };
  walk(folder);
  return zipSync(files);
}

async function main() {
  const health = await fetch(`${base}/healthz`).catch(() => undefined);
  if (!health?.ok) throw new Error(`No Tollgate at ${base}: start it with npm start (or set TOLLGATE_URL)`);
  const demo = JSON.parse(readFileSync(join(here, 'demo.json'), 'utf8')) as Demo;
  const lines: string[] = [];

  for (const name of readdirSync(join(here, 'bundles')).sort()) {
    const imported = await call('POST', `${ORG}/apis?action=import&name=${encodeURIComponent(name)}`, zipFolder(join(here, 'bundles', name)), 'application/octet-stream');
    if (imported.status !== 201) throw new Error(`bundle ${name}: ${imported.status} ${JSON.stringify(imported.json)}`);
    for (const env of ['prod', 'test']) {
      const deployed = await call('POST', `${ORG}/environments/${env}/apis/${encodeURIComponent(name)}/revisions/${imported.json.revision}/deployments?override=true`);
      if (deployed.status >= 300) throw new Error(`deploy ${name} to ${env}: ${deployed.status} ${JSON.stringify(deployed.json)}`);
    }
    lines.push(`proxy ${name}: revision ${imported.json.revision} deployed to prod and test`);
  }
  for (const map of demo.keyValueMaps) {
    await ensure(`key value map ${map.name}`, `${ORG}/environments/${map.environment}/keyvaluemaps`, { name: map.name, encrypted: map.encrypted, entry: map.entry });
  }
  for (const product of demo.products) await ensure(`product ${String(product.name)}`, `${ORG}/apiproducts`, product);
  for (const developer of demo.developers) await ensure(`developer ${developer.email}`, `${ORG}/developers`, developer);
  for (const app of demo.apps) {
    const path = `${ORG}/developers/${encodeURIComponent(app.developer)}/apps`;
    const created = await call('POST', path, { name: app.name, apiProducts: app.apiProducts });
    if (created.status === 201) {
      const [credential] = created.json.credentials as { consumerKey: string; consumerSecret: string }[];
      lines.push(`app ${app.name}: key ${credential!.consumerKey}`, `  secret ${credential!.consumerSecret} (shown once; keep it)`);
    } else if (created.status === 409) {
      const existing = (await call('GET', `${path}/${encodeURIComponent(app.name)}`)).json as { credentials: { consumerKey: string }[] };
      lines.push(`app ${app.name}: key ${existing.credentials[0]?.consumerKey} (created before; its secret was shown then)`);
    } else throw new Error(`app ${app.name}: ${created.status} ${JSON.stringify(created.json)}`);
  }
  for (const element of demo.elements) {
    const response = await call('POST', '/elements/api-v2/elements', element);
    if (response.status !== 200 && response.status !== 409) throw new Error(`element ${element.key}: ${response.status} ${JSON.stringify(response.json)}`);
  }
  const instances = (await call('GET', '/elements/api-v2/instances')).json as { name: string; id: number }[];
  for (const instance of demo.instances) {
    const existing = instances.find((i) => i.name === instance.name);
    const id = existing?.id ?? (await call('POST', '/elements/api-v2/instances', { element: { key: instance.element }, name: instance.name, tags: instance.tags, configuration: instance.configuration })).json.id;
    lines.push(`connector instance "${instance.name}": id ${id}`);
  }

  // Proxies are served on the runtime plane: its URL is the prod environment's default virtual host.
  const runtimeBase = String((await call('GET', `${ORG}/environments/prod/virtualhosts/default`)).json?.baseUrl ?? base).replace(/\/+$/, '');
  process.stdout.write(
    [
      `Demo loaded into ${base} (organization ${org}); proxies run at ${runtimeBase}:`,
      ...lines.map((line) => `  ${line}`),
      '',
      `Open the console: ${base}/console  ·  the developer portal: ${base}/portal  ·  the API reference: ${base}/docs`,
      `Try the proxy:    curl "${runtimeBase}/hello?apikey=<the app key>"`,
      `Seed 002:         curl -u "<key>:<secret>" -X POST "${runtimeBase}/iflow-token/OAuthToken?grant_type=client_credentials"`,
      `                  curl -H "Authorization: Bearer <access_token>" ${runtimeBase}/cpi/api_connectivity_test/v1`,
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`npm run demo: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
