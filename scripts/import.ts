// `npm run import -- <bundle.zip|dir> [options]`: imports an Apigee / SAP API
// Management proxy bundle into the running local server (migration by hand).
// A directory is zipped first (it may be the `apiproxy` folder itself or hold
// one). Credentials come from TOLLGATE_AUTHORIZATION, or from the local secret
// store under DATA_DIR, like `npm run credentials`.
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { zipSync } from 'fflate';
import { orgSecretNames } from '../shared/auth/organizations.js';

const USAGE = `Usage: npm run import -- <bundle.zip|directory> [options]

Options:
  --name <name>          proxy name (default: the bundle descriptor's name)
  --org <org>            organization (default: $TOLLGATE_ORG or "default")
  --url <url>            Tollgate URL (default: $TOLLGATE_URL or http://127.0.0.1:$PORT, port 8080)
  --deploy <env>         deploy the new revision to this environment
  --validate             only validate; store nothing
  --allow-unsupported    import unsupported policies as skipped steps

Credentials: $TOLLGATE_AUTHORIZATION ("User ..., Organization ..."), or the
local secret store in $DATA_DIR (default ./.data) written by npm start.`;

interface Options {
  source: string;
  name?: string;
  org: string;
  url: string;
  deploy?: string;
  validate: boolean;
  allowUnsupported: boolean;
}

function parseArgs(argv: string[], env: NodeJS.ProcessEnv): Options | string {
  const options: Partial<Options> = {
    org: env.TOLLGATE_ORG || 'default',
    url: env.TOLLGATE_URL || `http://127.0.0.1:${env.PORT || 8080}`,
    validate: false,
    allowUnsupported: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new Error(`${arg} needs a value`);
      return next;
    };
    try {
      if (arg === '--name') options.name = value();
      else if (arg === '--org') options.org = value();
      else if (arg === '--url') options.url = value().replace(/\/+$/, '');
      else if (arg === '--deploy') options.deploy = value();
      else if (arg === '--validate') options.validate = true;
      else if (arg === '--allow-unsupported') options.allowUnsupported = true;
      else if (arg === '--help' || arg === '-h') return USAGE;
      else if (arg.startsWith('--')) return `Unknown option ${arg}\n\n${USAGE}`;
      else if (options.source === undefined) options.source = arg;
      else return `Only one bundle at a time\n\n${USAGE}`;
    } catch (error) {
      return `${(error as Error).message}\n\n${USAGE}`;
    }
  }
  if (!options.source) return USAGE;
  return options as Options;
}

/** The `Authorization` header: from the environment, or the local secret store. */
function authorization(env: NodeJS.ProcessEnv, org: string): string {
  if (env.TOLLGATE_AUTHORIZATION) return env.TOLLGATE_AUTHORIZATION;
  const file = join(resolve(env.DATA_DIR || './.data'), 'secrets.json');
  if (!existsSync(file)) throw new Error(`No credentials: set TOLLGATE_AUTHORIZATION, or run npm start once so ${file} exists`);
  const secrets = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  const names = orgSecretNames(org);
  const user = secrets[names.user];
  const organization = secrets[names.organization];
  if (!user || !organization) throw new Error(`Organization "${org}" has no credentials in ${file}`);
  return `User ${user}, Organization ${organization}`;
}

/** Zips a directory that is, or holds, an `apiproxy` folder; regular files only. */
export function zipDirectory(directory: string): Buffer {
  const root = existsSync(join(directory, 'apiproxy')) ? join(directory, 'apiproxy') : directory;
  if (basename(root) !== 'apiproxy' && !readdirSync(root).some((name) => name === 'proxies')) {
    throw new Error(`${directory} is not an API proxy bundle folder (no apiproxy/ or proxies/ in it)`);
  }
  const files: Record<string, Uint8Array> = {};
  const walk = (folder: string) => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      const stat = lstatSync(path);
      if (stat.isDirectory()) walk(path);
      else if (stat.isFile()) files[`apiproxy/${relative(root, path).split(sep).join('/')}`] = readFileSync(path);
    }
  };
  walk(root);
  return Buffer.from(zipSync(files));
}

interface Problem {
  path: string;
  message: string;
  line?: number;
}

/** Runs the command; returns the exit code. `print` receives each output line. */
export async function runImport(argv: string[], env: NodeJS.ProcessEnv, print: (line: string) => void): Promise<number> {
  const options = parseArgs(argv, env);
  if (typeof options === 'string') {
    print(options);
    return options === USAGE && argv.some((arg) => arg === '--help' || arg === '-h') ? 0 : 2;
  }
  let zip: Buffer;
  let auth: string;
  try {
    zip = statSync(options.source).isDirectory() ? zipDirectory(options.source) : readFileSync(options.source);
    auth = authorization(env, options.org);
  } catch (error) {
    print((error as Error).message);
    return 1;
  }
  const query = new URLSearchParams({ action: 'import' });
  if (options.name) query.set('name', options.name);
  if (options.validate) query.set('action', 'validate');
  if (options.allowUnsupported) query.set('allowUnsupported', 'true');
  const base = `${options.url}/v1/organizations/${encodeURIComponent(options.org)}`;
  let response: Response;
  try {
    response = await fetch(`${base}/apis?${query}`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/zip' }, body: zip });
  } catch (error) {
    print(`Cannot reach Tollgate at ${options.url} (${(error as Error).message}); is npm start running?`);
    return 1;
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown> & { error?: { message?: string; fields?: Problem[] } };
  if (!response.ok) {
    print(`Import failed (${response.status}): ${body.error?.message ?? response.statusText}`);
    for (const problem of body.error?.fields ?? []) print(`  ${problem.path}${problem.line ? ` (line ${problem.line})` : ''}: ${problem.message}`);
    return 1;
  }
  const skipped = (body.skippedPolicies as { name: string; reason: string }[] | undefined) ?? [];
  const what = `${body.name as string}: ${(body.policies as string[]).length} policies, base paths ${(body.basepaths as string[]).join(', ')}`;
  print(options.validate ? `Valid bundle ${what}` : `Imported ${what} as revision ${body.revision as string}`);
  for (const policy of skipped) print(`  skipped ${policy.name}: ${policy.reason}`);
  if (options.deploy && !options.validate) {
    const deployed = await fetch(`${base}/environments/${encodeURIComponent(options.deploy)}/apis/${encodeURIComponent(body.name as string)}/revisions/${body.revision as string}/deployments`, {
      method: 'POST',
      headers: { authorization: auth },
    });
    if (!deployed.ok) {
      const failure = (await deployed.json().catch(() => ({}))) as { error?: { message?: string } };
      print(`Deployment to ${options.deploy} failed (${deployed.status}): ${failure.error?.message ?? deployed.statusText}`);
      return 1;
    }
    print(`Deployed revision ${body.revision as string} to ${options.deploy}`);
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runImport(process.argv.slice(2), process.env, (line) => process.stdout.write(`${line}\n`)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
