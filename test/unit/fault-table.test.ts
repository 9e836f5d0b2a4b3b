// docs/faults.md lists every fault a policy raises, with Apigee's error code
// and HTTP status, exactly as the policies' own tables (common.ts
// defineFaults) declare them; and every error code the runtime itself answers
// with (targets, flows, limits) appears in its second table.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { policyDefinition, supportedPolicyTypes } from '../../shared/gateway/policies/index.js';

const doc = readFileSync('docs/faults.md', 'utf8');

/** The policy faults as the table in docs/faults.md writes them, one line each. */
function policyFaultRows(): string[] {
  return supportedPolicyTypes()
    .map((type) => policyDefinition(type)!)
    .filter((policy) => policy.faults && Object.keys(policy.faults).length)
    .sort((a, b) => a.type.localeCompare(b.type))
    .flatMap((policy) => Object.entries(policy.faults!).map(([name, [code, status]]) => `| ${policy.type} | \`${name}\` | \`${code}\` | ${status} |`));
}

describe('docs/faults.md', () => {
  it("lists each policy's faults as its table declares them", () => {
    const documented = doc.split('\n').filter((line) => /^\| [A-Za-z0-9]+ \| `[^`]+` \| `/.test(line));
    expect(documented).toEqual(policyFaultRows());
  });

  it('names every error code the runtime answers with', () => {
    const engine = 'shared/gateway/engine';
    const sources = readdirSync(engine).map((file) => readFileSync(`${engine}/${file}`, 'utf8')).join('\n');
    const codes = new Set([...sources.matchAll(/'((?:messaging|protocol)\.[A-Za-z.]+)'/g)].map((match) => match[1]!));
    expect(codes.size).toBeGreaterThan(5);
    for (const code of codes) expect(doc, code).toContain(`\`${code}\``);
  });
});
