// One run of an element's, a transformation's or a formula's JavaScript in
// the JavaScript policy's sandbox (QuickJS: no network, no filesystem, CPU and
// memory limits), with Open Connectors' CE library. The script reads its input from
// the `script.input` variable and leaves its answer in `script.output`, both
// JSON (no answer is `output: undefined`); `print` takes the script's
// `print` lines. The sandbox module is loaded on first use.
import { createHash } from 'node:crypto';

// Open Connectors' CE library (its documented functions), on the sandbox's __hostHelpers and crypto.
const CE_LIBRARY = `(() => {
  'use strict';
  const hmac = (algorithm) => (encoding) => (secret, value) => __hostHelpers.hmac(algorithm, encoding, secret, value);
  const CE = { hmac, md5: (value) => crypto.getMD5().update(String(value)).digest(), b64: (value) => __hostHelpers.base64(value) };
  CE.randomString = () => { let text = ''; while (text.length < 10) text += Math.random().toString(36).slice(2); return text.slice(0, 10); };
  CE.randomEmail = () => CE.randomString() + '@' + CE.randomString() + '.com';
  for (const [name, algorithm] of [['Sha1', 'sha1'], ['Sha256', 'sha256'], ['Md5', 'md5']]) {
    CE['hmac' + name + 'Hex'] = hmac(algorithm)('hex');
    CE['hmac' + name + 'Base64'] = CE['hmac' + name + 'base64'] = hmac(algorithm)('base64');
  }
  Object.defineProperty(globalThis, 'CE', { value: Object.freeze(CE), writable: true, configurable: true });
})();`;

/** A JSON object (not an array, not null): what a script's answer must be to count as a record or a change. */
export const isJsonObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

export type ScriptRun = { ok: true; output: unknown } | { ok: false; message: string };

export async function runConnectorScript(name: string, code: string, input: unknown, timeLimitMs: number, print: (text: string) => void = () => undefined): Promise<ScriptRun> {
  const { runInSandbox } = await import('../gateway/policies/javascript-sandbox.js');
  const variables = new Map<string, unknown>([['script.input', JSON.stringify(input)]]);
  const outcome = await runInSandbox({
    scripts: [
      { name: 'ce-library.js', code: CE_LIBRARY },
      { name, code },
    ],
    timeLimitMs,
    properties: {},
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
