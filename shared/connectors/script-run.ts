// One run of an element's or a transformation's JavaScript in the JavaScript
// policy's sandbox (QuickJS: no network, no filesystem, CPU and memory
// limits), with Open Connectors' CE library. The script reads its input from
// the `script.input` variable and leaves its answer in `script.output`, both
// JSON (no answer is `output: undefined`); `print` takes the script's
// `print` lines. The sandbox module is loaded on first use.
import { createHash } from 'node:crypto';

export type ScriptRun = { ok: true; output: unknown } | { ok: false; message: string };

export async function runConnectorScript(name: string, code: string, input: unknown, timeLimitMs: number, print: (text: string) => void = () => undefined): Promise<ScriptRun> {
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
      print,
      flow: () => 'CONNECTOR',
      http: async () => ({ error: 'httpClient is not available in connector and formula scripts (a formula calls out with an httpRequest step)' }),
      hash: (algorithm, data, encoding) => createHash(algorithm).update(data).digest(encoding),
    },
  });
  if (!outcome.ok) return { ok: false, message: outcome.message };
  const raw = variables.get('script.output');
  return { ok: true, output: typeof raw === 'string' ? (JSON.parse(raw) as unknown) : undefined };
}
