// Least privilege that stays true: every AWS SDK command the Lambda code can
// send must map to an action the stack grants, and every granted table or
// secret action must be used by some command. A capability that starts calling
// BatchWriteItem fails here, not with AccessDenied after a deploy.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DYNAMODB_COMMAND_ACTIONS,
  LOCAL_ONLY_COMMANDS,
  QUEUE_SEND_ACTIONS,
  SECRET_READ_ACTIONS,
  SECRET_WRITE_ACTIONS,
  SECRETS_COMMAND_ACTIONS,
  SFN_COMMAND_ACTIONS,
  SQS_COMMAND_ACTIONS,
  STATE_MACHINE_START_ACTIONS,
  TABLE_ACTIONS,
} from '../../infra/access.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Command classes imported from an AWS SDK package, by file. */
function sdkCommands(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of [...sourceFiles(join(root, 'shared')), ...sourceFiles(join(root, 'functions'))]) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'@aws-sdk\/[^']+'/g)) {
      for (const raw of match[1]!.split(',')) {
        const name = raw.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!;
        if (/Command$/.test(name) && !raw.trim().startsWith('type ')) {
          found.set(name, [...(found.get(name) ?? []), relative(root, file)]);
        }
      }
    }
  }
  return found;
}

describe('IAM actions against the code', () => {
  const commands = sdkCommands();

  it('finds the commands the store and the secret backend send', () => {
    for (const name of ['GetCommand', 'PutCommand', 'UpdateCommand', 'DeleteCommand', 'QueryCommand', 'GetSecretValueCommand', 'CreateSecretCommand', 'SendMessageCommand', 'StartExecutionCommand']) {
      expect([...commands.keys()]).toContain(name);
    }
  });

  it('grants an action for every command the Lambda code can send', () => {
    const granted = new Set([...TABLE_ACTIONS, ...SECRET_READ_ACTIONS, ...SECRET_WRITE_ACTIONS, ...QUEUE_SEND_ACTIONS, ...STATE_MACHINE_START_ACTIONS]);
    for (const [command, files] of commands) {
      if (LOCAL_ONLY_COMMANDS.has(command)) continue;
      const action = DYNAMODB_COMMAND_ACTIONS[command] ?? SECRETS_COMMAND_ACTIONS[command] ?? SQS_COMMAND_ACTIONS[command] ?? SFN_COMMAND_ACTIONS[command];
      expect(action, `${command} (${files.join(', ')}) has no IAM action in infra/access.ts`).toBeDefined();
      expect(granted.has(action!), `${command} needs ${action}, which the stack does not grant`).toBe(true);
    }
  });

  it('uses every table, secret, queue and state machine action it grants', () => {
    const used = new Set([...commands.keys()].map((command) => DYNAMODB_COMMAND_ACTIONS[command] ?? SECRETS_COMMAND_ACTIONS[command] ?? SQS_COMMAND_ACTIONS[command] ?? SFN_COMMAND_ACTIONS[command]));
    // CreateSecret sends tags, which IAM authorizes as TagResource.
    if (used.has('secretsmanager:CreateSecret')) used.add('secretsmanager:TagResource');
    for (const action of [...TABLE_ACTIONS, ...SECRET_READ_ACTIONS, ...SECRET_WRITE_ACTIONS, ...QUEUE_SEND_ACTIONS, ...STATE_MACHINE_START_ACTIONS]) {
      expect(used.has(action), `${action} is granted but no code sends it`).toBe(true);
    }
  });

  it('keeps table management calls out of the Lambda path', () => {
    for (const command of LOCAL_ONLY_COMMANDS) {
      for (const file of commands.get(command) ?? []) expect(file).toBe('shared/store/schema.ts');
    }
  });
});
