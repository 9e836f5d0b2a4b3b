// The `tollgate` CLI (`npx tollgate <command>`): import, deploy, undeploy,
// export, list, kvm, products, apps, instances, credentials, against the local
// server (found through its data directory) or any Tollgate URL.
// Exit codes: 0 done, 1 failed (the server refused, or could not be reached), 2 usage.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { COMMANDS, UsageError, type Output } from './cli/commands.js';
import { CliError, connect } from './cli/connection.js';

const GLOBAL_OPTIONS = {
  url: { type: 'string' },
  org: { type: 'string' },
  'data-dir': { type: 'string' },
  authorization: { type: 'string' },
  token: { type: 'string' },
  user: { type: 'string' },
  password: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

const GLOBAL_HELP = `Options of every command:
  --url <url>             the platform URL (default: $TOLLGATE_URL, else the server running on the data
                          directory, else http://127.0.0.1:$PORT)
  --data-dir <dir>        the local data directory (default: $DATA_DIR or ./.data)
  --org <org>             the organization (default: $TOLLGATE_ORG or the server's, "default")
  --user <email> --password <password>   a management user ($TOLLGATE_USERNAME, $TOLLGATE_PASSWORD)
  --token <token>         a management token from POST /v1/users/{email}/tokens ($TOLLGATE_TOKEN)
  --authorization <value> a whole Authorization header value ($TOLLGATE_AUTHORIZATION)
                          (default credentials: the organization's, from the local secret store)
  --json                  print the result as JSON
  -h, --help              this help`;

function overview(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    'Usage: tollgate <command> [arguments] [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
    '',
    'tollgate <command> --help shows a command\'s arguments.',
    '',
    GLOBAL_HELP,
  ].join('\n');
}

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout)(`${overview()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.stderr(`Unknown command "${name}"\n\n${overview()}\n`);
    return 2;
  }
  const usage = `Usage: ${command.usage}\n\n${GLOBAL_HELP}\n`;
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    io.stdout(`${command.summary}\n\n${usage}`);
    return 0;
  }
  const json = Boolean(values.json);
  const out: Output = {
    line: (text) => {
      if (!json) io.stdout(`${text}\n`);
    },
    result: (value) => {
      if (json) io.stdout(`${JSON.stringify(value, null, 2)}\n`);
    },
  };
  try {
    const connection = connect(
      {
        url: values.url as string | undefined,
        org: values.org as string | undefined,
        dataDir: values['data-dir'] as string | undefined,
        authorization: values.authorization as string | undefined,
        token: values.token as string | undefined,
        user: values.user as string | undefined,
        password: values.password as string | undefined,
      },
      env,
    );
    await command.run({ positionals: parsed.positionals, values }, connection, out);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\n\n${usage}`);
      return 2;
    }
    if (error instanceof CliError) {
      io.stderr(`${error.message}\n`);
      for (const field of (error.details as { path: string; message: string; line?: number }[] | undefined) ?? []) {
        io.stderr(`  ${field.path}${field.line ? ` (line ${field.line})` : ''}: ${field.message}\n`);
      }
      return 1;
    }
    throw error;
  }
}

