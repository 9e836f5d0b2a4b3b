// The import rule of the layers (eslint.layers.js) catches what it exists
// for: an upward import, a module importing one it is not allowed to, a
// source folder nobody placed in the table. `npm run lint` applies it to the
// whole tree; here it is shown failing on fixtures.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { layerRules } from '../../eslint.layers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: root });

/** The layer violations eslint reports for `code` as if it were the file at `path`. */
async function violations(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  return result!.messages.filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

describe('the layer import rule', () => {
  it('refuses an upward import: the engine reaching into a store', async () => {
    const found = await violations('shared/gateway/engine/fixture.ts', "import { kvmCache } from '../stores/kvm.js';\nexport const cache = kvmCache;\n");
    expect(found).toEqual([expect.stringContaining('shared/gateway/engine may not import shared/gateway/stores')]);
  });

  it('refuses the runtime loading bundle import code, and a policy the whole runtime', async () => {
    expect(await violations('shared/gateway/policies/fixture.ts', "import { parseXml } from '../../bundles/xml.js';\nimport type { Runtime } from '../../runtime.js';\nexport type R = Runtime;\nexport const p = parseXml;\n")).toEqual([
      expect.stringContaining('may not import shared/bundles'),
      expect.stringContaining('may not import shared/runtime'),
    ]);
  });

  it('refuses consumers importing the token service, which imports them', async () => {
    expect(await violations('shared/consumers/fixture.ts', "export { issueClientCredentialsToken } from '../oauth/issue.js';\n")).toEqual([
      expect.stringContaining('shared/consumers may not import shared/oauth'),
    ]);
  });

  it('refuses any module importing test code, and lets allowed imports through', async () => {
    expect(await violations('shared/http/fixture.ts', "export { startPlatform } from '../../test/support/platform.js';\n")).toEqual([expect.stringContaining('may not import test')]);
    expect(await violations('shared/gateway/engine/fixture.ts', "export { compileCondition } from '../language/condition.js';\nexport { logger } from '../../log.js';\n")).toEqual([]);
  });

  it('refuses to run with a source folder the table does not place', () => {
    const tree = mkdtempSync(join(tmpdir(), 'tollgate-layers-'));
    try {
      mkdirSync(join(tree, 'shared', 'newthing'), { recursive: true });
      writeFileSync(join(tree, 'shared', 'newthing', 'a.ts'), 'export {};\n');
      for (const folder of ['functions', 'infra', 'local']) mkdirSync(join(tree, folder));
      expect(() => layerRules(tree)).toThrow(/shared\/newthing holds sources but is no module/);
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  });
});
