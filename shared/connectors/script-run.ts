// One run of an element's or a transformation's JavaScript in the JavaScript
// policy's sandbox (QuickJS: no network, no filesystem, CPU and memory
// limits), with Open Connectors' CE library. The script reads its input from
// the `script.input` variable and leaves its answer in `script.output`, both
// JSON; the sandbox module is loaded on first use.
import { createHash } from 'node:crypto';

export type ScriptRun = { ok: true; output: unknown } | { ok: false; message: string };

export async function runConnectorScript(name: string, code: string, input: unknown, timeLimitMs: number): Promise<ScriptRun> {
  const { runInSandbox } = await import('../gateway/policies/javascript-sandbox.js');
  const variables = new Map<string, unknown>([['script.input', JSON.stringify(input)]]);
  const outcome = await runInSandbox({
    scripts: [{ name, code }],
    timeLimitMs,
    properties: {},
    library: 'open-connectors',
    host: {
      getVariable: (variable) => variables.get(variable),
      setVariable: (variable, value) => variables.set(variable, value),
      removeVariable: (variable) => variables.delete(variable),
      names: () => [],
      print: () => undefined,
      flow: () => 'CONNECTOR',
      http: async () => ({ error: 'httpClient is not available here' }),
      hash: (algorithm, data, encoding) => createHash(algorithm).update(data).digest(encoding),
    },
  });
  if (!outcome.ok) return { ok: false, message: outcome.message };
  const raw = variables.get('script.output');
  if (typeof raw !== 'string') return { ok: false, message: 'the script did not finish' };
  return { ok: true, output: JSON.parse(raw) as unknown };
}
