// JSONThreatProtection: enforces structure limits on a JSON payload in one
// linear scan, without building the document, so a hostile payload (deep
// nesting, huge arrays) costs no more than reading it.
import * as z from 'zod';
import { optional } from './xml-model.js';
import { definePolicy, policyXml } from './define-policy.js';
import { defineFaults, raise } from './common.js';

export const JSON_THREAT_FAULTS = defineFaults({
  ExecutionFailed: ['steps.jsonthreatprotection.ExecutionFailed', 500],
  SourceUnavailable: ['steps.jsonthreatprotection.SourceUnavailable', 500],
});

const limit = z.number().int().min(-1).optional();

const schema = z.lazy(() => z.object({
  source: z.string().default('request'),
  arrayElementCount: limit,
  containerDepth: limit,
  objectEntryCount: limit,
  objectEntryNameLength: limit,
  stringValueLength: limit,
}));

type Limits = Omit<z.infer<typeof schema>, 'source'>;

interface Frame {
  kind: 'object' | 'array';
  count: number;
  expectKey: boolean;
}

/** Returns the first violated limit, or 'invalid' for malformed JSON, or undefined. */
export function scanJson(text: string, limits: Limits): string | undefined {
  const over = (max: number | undefined, value: number) => max !== undefined && max >= 0 && value > max;
  const stack: Frame[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '{' || c === '[') {
      // A container is an element of the array it opens in, the first one too.
      const parent = stack[stack.length - 1];
      if (parent?.kind === 'array' && parent.count === 0) {
        parent.count = 1;
        if (over(limits.arrayElementCount, 1)) return `Exceeded array element count, max ${limits.arrayElementCount} allowed`;
      }
      stack.push({ kind: c === '{' ? 'object' : 'array', count: 0, expectKey: c === '{' });
      if (over(limits.containerDepth, stack.length)) return `Exceeded container depth, max ${limits.containerDepth} allowed`;
      i++;
    } else if (c === '}' || c === ']') {
      const frame = stack.pop();
      if (!frame || (c === '}') !== (frame.kind === 'object')) return 'invalid';
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= n) return 'invalid';
      const length = j - i - 1;
      const frame = stack[stack.length - 1];
      if (frame?.kind === 'object' && frame.expectKey) {
        if (over(limits.objectEntryNameLength, length)) return `Exceeded object entry name length, max ${limits.objectEntryNameLength} allowed`;
        frame.count++;
        if (over(limits.objectEntryCount, frame.count)) return `Exceeded object entry count, max ${limits.objectEntryCount} allowed`;
        frame.expectKey = false;
      } else {
        if (over(limits.stringValueLength, length)) return `Exceeded string value length, max ${limits.stringValueLength} allowed`;
        if (frame?.kind === 'array' && frame.count === 0) {
          frame.count = 1;
          if (over(limits.arrayElementCount, frame.count)) return `Exceeded array element count, max ${limits.arrayElementCount} allowed`;
        }
      }
      i = j + 1;
    } else if (c === ',') {
      const frame = stack[stack.length - 1];
      if (!frame) return 'invalid';
      if (frame.kind === 'object') frame.expectKey = true;
      else {
        frame.count++;
        if (over(limits.arrayElementCount, frame.count)) return `Exceeded array element count, max ${limits.arrayElementCount} allowed`;
      }
      i++;
    } else {
      // Scalars (numbers, true/false/null) and whitespace: count a first array element.
      const frame = stack[stack.length - 1];
      if (frame?.kind === 'array' && frame.count === 0 && !/\s/.test(c)) {
        frame.count = 1;
        if (over(limits.arrayElementCount, 1)) return `Exceeded array element count, max ${limits.arrayElementCount} allowed`;
      }
      i++;
    }
  }
  return stack.length === 0 ? undefined : 'invalid';
}

export const jsonThreatProtection = definePolicy({
  type: 'JSONThreatProtection',
  schema,
  faults: JSON_THREAT_FAULTS,
  execute: ({ config, exchange, policy }) => {
    const message = exchange.messageByName(config.source);
    if (!message) {
      throw raise(JSON_THREAT_FAULTS, 'SourceUnavailable', `${policy.name}: source ${config.source} is not available`);
    }
    const type = (message.headers.get('content-type') ?? '').toLowerCase();
    if (message.body.length === 0 || !(type.includes('json'))) return; // only JSON payloads are checked
    const text = message.content;
    const problem = scanJson(text, config);
    if (problem === 'invalid') {
      throw raise(JSON_THREAT_FAULTS, 'ExecutionFailed', `JSONThreatProtection[${policy.name}]: Execution failed. reason: invalid JSON`);
    }
    if (problem) {
      throw raise(JSON_THREAT_FAULTS, 'ExecutionFailed', `JSONThreatProtection[${policy.name}]: Execution failed. reason: ${problem}`);
    }
    // Malformed input the scanner tolerates (e.g. stray tokens) still must parse.
    try {
      JSON.parse(text);
    } catch {
      throw raise(JSON_THREAT_FAULTS, 'ExecutionFailed', `JSONThreatProtection[${policy.name}]: Execution failed. reason: invalid JSON`);
    }
  },
});

export const jsonThreatProtectionXml = /* @__PURE__ */ policyXml(jsonThreatProtection, {
  fromXml: (root) => {
    const limit = (name: string) => root.child(name)?.int();
    return {
      source: root.childText('Source') || undefined,
      arrayElementCount: limit('ArrayElementCount'),
      containerDepth: limit('ContainerDepth'),
      objectEntryCount: limit('ObjectEntryCount'),
      objectEntryNameLength: limit('ObjectEntryNameLength'),
      stringValueLength: limit('StringValueLength'),
    };
  },
  toXml: (config) => ({
    children: [
      optional('ArrayElementCount', config.arrayElementCount),
      optional('ContainerDepth', config.containerDepth),
      optional('ObjectEntryCount', config.objectEntryCount),
      optional('ObjectEntryNameLength', config.objectEntryNameLength),
      optional('Source', config.source),
      optional('StringValueLength', config.stringValueLength),
    ].filter((node) => node !== undefined),
  }),
});
