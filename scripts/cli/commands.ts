// The commands of the `tollgate` CLI. Each one is a few management API calls
// (the same paths Apigee's tools use) and a human-readable answer, or with
// --json the API's JSON.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import { zipDirectory } from './bundle-folder.js';
import { call, CliError, orgPath, platformHeader, type Connection } from './connection.js';

export interface Output {
  /** A line for people (not printed with --json). */
  line(text: string): void;
  /** The command's result: printed as JSON with --json. */
  result(value: unknown): void;
}

export interface Command {
  summary: string;
  usage: string;
  options?: ParseArgsConfig['options'];
  run(args: { positionals: string[]; values: Record<string, string | boolean | undefined> }, connection: Connection, out: Output): Promise<void>;
}

/** Thrown for a usage mistake: the CLI prints the command's usage and exits 2. */
export class UsageError extends Error {}

function positional(positionals: string[], index: number, name: string): string {
  const value = positionals[index];
  if (value === undefined) throw new UsageError(`missing <${name}>`);
  return value;
}

const text = (values: Record<string, string | boolean | undefined>, name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
const list = (value: string | undefined) => (value ? value.split(',').map((item) => item.trim()).filter(Boolean) : []);

interface Revisions {
  name: string;
  revision: string[];
}

interface Deployments {
  environment: { name: string; revision: { name: string; state: string; basePaths?: string[] }[] }[];
}

async function latestRevision(connection: Connection, api: string): Promise<string> {
  const proxy = (await call(connection, 'GET', orgPath(connection, 'apis', api))).json as Revisions;
  return proxy.revision.map(Number).sort((a, b) => b - a)[0]!.toString();
}

async function deployRevision(connection: Connection, out: Output, api: string, revision: string, env: string, override: boolean) {
  const form = new URLSearchParams({ action: 'deploy', override: String(override) });
  const deployed = await call(connection, 'POST', orgPath(connection, 'environments', env, 'apis', api, 'revisions', revision, 'deployments'), {
    bytes: Buffer.from(form.toString()),
    type: 'application/x-www-form-urlencoded',
  });
  const view = deployed.json as { basePaths?: string[] };
  const runtime = connection.server?.runtimeUrls[env];
  out.line(`Deployed ${api} revision ${revision} to ${env}${view.basePaths?.length ? `: ${view.basePaths.map((path) => (runtime ? runtime + path : path)).join(', ')}` : ''}`);
  return deployed.json;
}

const importCommand: Command = {
  summary: 'Import an Apigee bundle (zip or folder) as a new revision, and deploy it',
  usage: `tollgate import <bundle.zip|folder> [--name <name>] [--deploy <env>] [--validate] [--allow-unsupported]

  --name <name>          the proxy name (default: the bundle descriptor's)
  --deploy <env>         deploy the new revision to this environment (replacing the one deployed there)
  --validate             check the bundle only; store nothing
  --allow-unsupported    keep unsupported policies (their steps fault at run time unless continueOnError)`,
  options: { name: { type: 'string' }, deploy: { type: 'string' }, validate: { type: 'boolean' }, 'allow-unsupported': { type: 'boolean' } },
  async run({ positionals, values }, connection, out) {
    const source = positional(positionals, 0, 'bundle.zip|folder');
    let zip: Buffer;
    try {
      zip = statSync(source).isDirectory() ? zipDirectory(source) : readFileSync(source);
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`Cannot read ${source}: ${(error as Error).message}`);
    }
    const query = new URLSearchParams({ action: values.validate ? 'validate' : 'import' });
    if (text(values, 'name')) query.set('name', text(values, 'name')!);
    if (values['allow-unsupported']) query.set('allowUnsupported', 'true');
    const imported = (await call(connection, 'POST', `${orgPath(connection, 'apis')}?${query}`, { bytes: zip, type: 'application/zip' })).json as {
      name: string;
      revision?: string;
      policies: string[];
      basepaths: string[];
      unsupportedPolicies?: { name: string; type: string }[];
      skippedPolicies?: { name: string; type: string }[];
    };
    const kept = imported.unsupportedPolicies ?? imported.skippedPolicies ?? [];
    const what = `${imported.name}: ${imported.policies.length} policies, base paths ${imported.basepaths.join(', ') || '(none yet)'}`;
    out.line(values.validate ? `Valid bundle ${what}` : `Imported ${what} as revision ${imported.revision}`);
    for (const policy of kept) out.line(`  kept unsupported policy ${policy.name} (${policy.type})`);
    const deploy = text(values, 'deploy');
    const result: Record<string, unknown> = { imported };
    if (deploy && !values.validate) result.deployment = await deployRevision(connection, out, imported.name, imported.revision!, deploy, true);
    out.result(result);
  },
};

const deployCommand: Command = {
  summary: 'Deploy a revision of an API proxy to an environment',
  usage: `tollgate deploy <api> [<revision>] --env <env> [--no-override]

  <revision>      a revision number (default: the latest)
  --env <env>     the environment (prod, test)
  --no-override   refuse (409) instead of replacing a revision deployed there`,
  options: { env: { type: 'string' }, 'no-override': { type: 'boolean' } },
  async run({ positionals, values }, connection, out) {
    const api = positional(positionals, 0, 'api');
    const env = text(values, 'env');
    if (!env) throw new UsageError('--env is required');
    const revision = positionals[1] ?? (await latestRevision(connection, api));
    out.result(await deployRevision(connection, out, api, revision, env, !values['no-override']));
  },
};

const undeployCommand: Command = {
  summary: 'Undeploy an API proxy from an environment',
  usage: `tollgate undeploy <api> --env <env> [--revision <n>]

  --revision <n>   the revision (default: the one deployed there)`,
  options: { env: { type: 'string' }, revision: { type: 'string' } },
  async run({ positionals, values }, connection, out) {
    const api = positional(positionals, 0, 'api');
    const env = text(values, 'env');
    if (!env) throw new UsageError('--env is required');
    let revision = text(values, 'revision');
    if (!revision) {
      const deployed = (await call(connection, 'GET', orgPath(connection, 'environments', env, 'apis', api, 'deployments'))).json as { revision: { name: string }[] };
      revision = deployed.revision[0]!.name;
    }
    const undeployed = await call(connection, 'DELETE', orgPath(connection, 'environments', env, 'apis', api, 'revisions', revision, 'deployments'));
    out.line(`Undeployed ${api} revision ${revision} from ${env}`);
    out.result(undeployed.json);
  },
};

const exportCommand: Command = {
  summary: 'Export a revision as an Apigee bundle zip',
  usage: `tollgate export <api> [<revision>] [--out <file>]

  <revision>     a revision number (default: the latest)
  --out <file>   where to write the zip (default: <api>_rev<revision>.zip)`,
  options: { out: { type: 'string' } },
  async run({ positionals, values }, connection, out) {
    const api = positional(positionals, 0, 'api');
    const revision = positionals[1] ?? (await latestRevision(connection, api));
    const zip = await call(connection, 'GET', `${orgPath(connection, 'apis', api, 'revisions', revision)}?format=bundle`);
    const file = text(values, 'out') ?? `${api}_rev${revision}.zip`;
    writeFileSync(file, zip.bytes);
    out.line(`Wrote ${file} (${zip.bytes.length} bytes)`);
    out.result({ api, revision, file, bytes: zip.bytes.length });
  },
};

const listCommand: Command = {
  summary: 'List the API proxies, their revisions and where each is deployed',
  usage: 'tollgate list',
  async run(_args, connection, out) {
    const names = (await call(connection, 'GET', orgPath(connection, 'apis'))).json as string[];
    const proxies = [];
    for (const name of names) {
      const proxy = (await call(connection, 'GET', orgPath(connection, 'apis', name))).json as Revisions;
      const deployments = (await call(connection, 'GET', orgPath(connection, 'apis', name, 'deployments'))).json as Deployments;
      const deployed = deployments.environment.map((env) => ({ environment: env.name, revision: env.revision[0]!.name, basePaths: env.revision[0]!.basePaths ?? [] }));
      proxies.push({ name, revisions: proxy.revision, deployed });
      const where = deployed.map((d) => `${d.environment}: r${d.revision} ${d.basePaths.join(' ')}`).join('; ');
      out.line(`${name}  revisions ${proxy.revision.join(',')}${where ? `  deployed ${where}` : ''}`);
    }
    if (names.length === 0) out.line('No API proxies yet (tollgate import <bundle>)');
    out.result(proxies);
  },
};

/** The KVM path of a scope: organization, `--env` or `--api`. */
function kvmBase(connection: Connection, values: Record<string, string | boolean | undefined>, ...rest: string[]): string {
  const env = text(values, 'env');
  const api = text(values, 'api');
  if (env && api) throw new UsageError('--env and --api exclude each other');
  if (env) return orgPath(connection, 'environments', env, 'keyvaluemaps', ...rest);
  if (api) return orgPath(connection, 'apis', api, 'keyvaluemaps', ...rest);
  return orgPath(connection, 'keyvaluemaps', ...rest);
}

const kvmCommand: Command = {
  summary: 'Key value maps: list, get, set, delete',
  usage: `tollgate kvm list [--env <env> | --api <api>]
tollgate kvm get <map> [<key>] [--env <env> | --api <api>]
tollgate kvm set <map> <key> <value> [--encrypted] [--env <env> | --api <api>]
tollgate kvm delete <map> [<key>] [--env <env> | --api <api>]

  Without --env or --api the map is the organization's. set creates the map when
  it does not exist (--encrypted: values sealed at rest and read back as *****).`,
  options: { env: { type: 'string' }, api: { type: 'string' }, encrypted: { type: 'boolean' } },
  async run({ positionals, values }, connection, out) {
    const action = positional(positionals, 0, 'list|get|set|delete');
    if (action === 'list') {
      const maps = (await call(connection, 'GET', kvmBase(connection, values))).json as string[];
      for (const map of maps) out.line(map);
      return out.result(maps);
    }
    const map = positional(positionals, 1, 'map');
    const key = positionals[2];
    if (action === 'get') {
      const found = (await call(connection, 'GET', key === undefined ? kvmBase(connection, values, map) : kvmBase(connection, values, map, 'entries', key))).json as {
        name: string;
        value?: string;
        entry?: { name: string; value: string }[];
      };
      if (key !== undefined) out.line(found.value ?? '');
      else for (const entry of found.entry ?? []) out.line(`${entry.name}=${entry.value}`);
      return out.result(found);
    }
    if (action === 'set') {
      const value = positional(positionals, 3, 'value');
      positional(positionals, 2, 'key');
      const exists = await call(connection, 'GET', kvmBase(connection, values, map)).then(
        () => true,
        (error: unknown) => {
          if (error instanceof CliError && / 404 /.test(error.message)) return false;
          throw error;
        },
      );
      if (!exists) await call(connection, 'POST', kvmBase(connection, values), { json: { name: map, encrypted: Boolean(values.encrypted), entry: [] } });
      const written = await call(connection, 'POST', kvmBase(connection, values, map), { json: { name: map, entry: [{ name: key!, value }] } });
      out.line(`${exists ? 'Set' : 'Created map and set'} ${map}/${key}`);
      return out.result(written.json);
    }
    if (action === 'delete') {
      const deleted = await call(connection, 'DELETE', key === undefined ? kvmBase(connection, values, map) : kvmBase(connection, values, map, 'entries', key));
      out.line(`Deleted ${key === undefined ? `map ${map}` : `${map}/${key}`}`);
      return out.result(deleted.json);
    }
    throw new UsageError(`unknown kvm action ${action}`);
  },
};

const productsCommand: Command = {
  summary: 'API products: list, get, create, delete',
  usage: `tollgate products list
tollgate products get <name>
tollgate products create <name> [--proxies a,b] [--scopes s1,s2] [--environments prod,test] [--approval auto|manual]
tollgate products delete <name>`,
  options: { proxies: { type: 'string' }, scopes: { type: 'string' }, environments: { type: 'string' }, approval: { type: 'string' } },
  async run({ positionals, values }, connection, out) {
    const action = positional(positionals, 0, 'list|get|create|delete');
    if (action === 'list') {
      const names = (await call(connection, 'GET', orgPath(connection, 'apiproducts'))).json as string[];
      for (const name of names) out.line(name);
      return out.result(names);
    }
    const name = positional(positionals, 1, 'name');
    if (action === 'get') {
      const product = (await call(connection, 'GET', orgPath(connection, 'apiproducts', name))).json as { proxies: string[]; scopes: string[] };
      out.line(`${name}  proxies ${product.proxies.join(',') || '-'}  scopes ${product.scopes.join(',') || '-'}`);
      return out.result(product);
    }
    if (action === 'create') {
      const product = {
        name,
        displayName: name,
        approvalType: text(values, 'approval') ?? 'auto',
        proxies: list(text(values, 'proxies')),
        scopes: list(text(values, 'scopes')),
        environments: list(text(values, 'environments')),
      };
      const made = await call(connection, 'POST', orgPath(connection, 'apiproducts'), { json: product });
      out.line(`Created product ${name}`);
      return out.result(made.json);
    }
    if (action === 'delete') {
      const deleted = await call(connection, 'DELETE', orgPath(connection, 'apiproducts', name));
      out.line(`Deleted product ${name}`);
      return out.result(deleted.json);
    }
    throw new UsageError(`unknown products action ${action}`);
  },
};

interface AppView {
  appId: string;
  name: string;
  status: string;
  credentials: { consumerKey: string; consumerSecret: string; apiProducts: { apiproduct: string }[] }[];
}

const appsCommand: Command = {
  summary: 'Developer apps and their credentials: list, get, create, delete',
  usage: `tollgate apps list [<developer-email>]
tollgate apps get <developer-email> <app>
tollgate apps create <developer-email> <app> --products p1,p2 [--callback <url>]
tollgate apps delete <developer-email> <app>

  create makes the developer too when there is none with that email, and shows
  the app's consumer key and secret (the secret only this once).`,
  options: { products: { type: 'string' }, callback: { type: 'string' } },
  async run({ positionals, values }, connection, out) {
    const action = positional(positionals, 0, 'list|get|create|delete');
    if (action === 'list') {
      const email = positionals[1];
      const apps = (await call(connection, 'GET', email ? orgPath(connection, 'developers', email, 'apps') : `${orgPath(connection, 'apps')}?expand=true`)).json as string[] | { app: AppView[] };
      const names = Array.isArray(apps) ? apps : apps.app.map((app) => app.name);
      for (const name of names) out.line(name);
      return out.result(apps);
    }
    const email = positional(positionals, 1, 'developer-email');
    const app = positional(positionals, 2, 'app');
    if (action === 'get') {
      const found = (await call(connection, 'GET', orgPath(connection, 'developers', email, 'apps', app))).json as AppView;
      out.line(`${found.name} (${found.status})  ${found.credentials.map((c) => `key ${c.consumerKey} [${c.apiProducts.map((p) => p.apiproduct).join(',')}]`).join('; ')}`);
      return out.result(found);
    }
    if (action === 'create') {
      const products = list(text(values, 'products'));
      if (products.length === 0) throw new UsageError('--products is required');
      const developer = await call(connection, 'GET', orgPath(connection, 'developers', email)).catch((error: unknown) => {
        if (error instanceof CliError && / 404 /.test(error.message)) return undefined;
        throw error;
      });
      if (!developer) {
        const local = email.split('@')[0]!;
        await call(connection, 'POST', orgPath(connection, 'developers'), { json: { email, firstName: local, lastName: local, userName: local } });
        out.line(`Created developer ${email}`);
      }
      const made = (await call(connection, 'POST', orgPath(connection, 'developers', email, 'apps'), { json: { name: app, apiProducts: products, ...(text(values, 'callback') ? { callbackUrl: text(values, 'callback') } : {}) } }))
        .json as AppView;
      const credential = made.credentials[0]!;
      out.line(`Created app ${app}\nconsumer key:    ${credential.consumerKey}\nconsumer secret: ${credential.consumerSecret} (shown only now)`);
      return out.result(made);
    }
    if (action === 'delete') {
      const deleted = await call(connection, 'DELETE', orgPath(connection, 'developers', email, 'apps', app));
      out.line(`Deleted app ${app}`);
      return out.result(deleted.json);
    }
    throw new UsageError(`unknown apps action ${action}`);
  },
};

const instancesCommand: Command = {
  summary: 'Connector instances: list, get, delete (needs the platform credentials)',
  usage: `tollgate instances list
tollgate instances get <id>
tollgate instances delete <id>`,
  async run({ positionals }, connection, out) {
    if (!connection.platformCredentials()) throw new CliError('The connectors API takes the platform credentials (User .., Organization ..), not a management user: leave out --user/--token');
    const action = positional(positionals, 0, 'list|get|delete');
    if (action === 'list') {
      const instances = (await call(connection, 'GET', '/elements/api-v2/instances')).json as { id: number; name: string; element: { key: string }; valid: boolean }[];
      for (const instance of instances) out.line(`${instance.id}  ${instance.name}  ${instance.element.key}${instance.valid ? '' : '  (invalid)'}`);
      return out.result(instances);
    }
    const id = positional(positionals, 1, 'id');
    if (action === 'get') {
      const instance = (await call(connection, 'GET', `/elements/api-v2/instances/${encodeURIComponent(id)}`)).json as { id: number; name: string };
      out.line(`${instance.id}  ${instance.name}`);
      return out.result(instance);
    }
    if (action === 'delete') {
      const deleted = await call(connection, 'DELETE', `/elements/api-v2/instances/${encodeURIComponent(id)}`);
      out.line(`Deleted instance ${id}`);
      return out.result(deleted.json ?? { id });
    }
    throw new UsageError(`unknown instances action ${action}`);
  },
};

const credentialsCommand: Command = {
  summary: 'Print the organization\'s platform Authorization header (from the local secret store)',
  usage: `tollgate credentials

  Prints "Authorization: User .., Organization .." for the organization (--org),
  read from the data directory's secret store; with --json also the URLs of the
  server running on it.`,
  async run(_args, connection, out) {
    const header = platformHeader(connection.dataDir, connection.org);
    out.line(`Authorization: ${header}`);
    out.result({
      organization: connection.org,
      authorization: header,
      url: connection.url,
      ...(connection.server ? { runtimeUrls: connection.server.runtimeUrls, dataDir: connection.server.dataDir } : {}),
    });
  },
};

export const COMMANDS: Record<string, Command> = {
  import: importCommand,
  deploy: deployCommand,
  undeploy: undeployCommand,
  export: exportCommand,
  list: listCommand,
  kvm: kvmCommand,
  products: productsCommand,
  apps: appsCommand,
  instances: instancesCommand,
  credentials: credentialsCommand,
};
