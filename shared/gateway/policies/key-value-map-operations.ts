// KeyValueMapOperations: Get, Put and Delete on key value maps at organization,
// environment or API proxy scope. Gets are cached per container for
// ExpiryTimeInSecs; values of encrypted maps are decrypted only here, into
// flow variables (Apigee asks for `private.` names for those).
import * as z from 'zod';
import { deleteEntry, createMap, findMap, kvmCache, putEntry, type KvmScope } from '../kvm.js';
import { definePolicy } from '../policy.js';
import type { Exchange } from '../exchange.js';
import { resolveValue, ValueSchema } from './common.js';

const Key = z.object({ parameters: z.array(ValueSchema).min(1) });

const schema = z.object({
  mapIdentifier: z.string().min(1),
  scope: z.enum(['organization', 'environment', 'apiproxy', 'policy']).default('environment'),
  expiryTimeInSecs: z.number().int().min(0).max(86_400).default(300),
  operations: z
    .array(
      z.discriminatedUnion('op', [
        z.object({ op: z.literal('get'), key: Key, assignTo: z.string().min(1), index: z.number().int().min(1).optional() }),
        z.object({ op: z.literal('put'), key: Key, values: z.array(ValueSchema).min(1), override: z.boolean().default(false) }),
        z.object({ op: z.literal('delete'), key: Key }),
      ]),
    )
    .min(1),
});

/** Apigee joins multi-part keys with `__`. */
function keyOf(exchange: Exchange, key: z.infer<typeof Key>): string | undefined {
  const parts = key.parameters.map((parameter) => resolveValue(exchange, parameter));
  return parts.some((part) => part === undefined) ? undefined : parts.join('__');
}

export const keyValueMapOperations = definePolicy({
  type: 'KeyValueMapOperations',
  schema,
  execute: async ({ config, exchange, deployment, rt }) => {
    const scope: KvmScope =
      config.scope === 'organization'
        ? { kind: 'organization' }
        : config.scope === 'environment'
          ? { kind: 'environment', environment: deployment.environment }
          : { kind: 'apiproxy', api: deployment.apiName };
    for (const operation of config.operations) {
      const key = keyOf(exchange, operation.key);
      if (key === undefined) continue;
      if (operation.op === 'get') {
        const value = await kvmCache(rt).get(deployment.organization, scope, config.mapIdentifier, key, config.expiryTimeInSecs);
        if (value === undefined) continue;
        // Multi-valued entries are stored comma-separated; Index picks one (1-based).
        exchange.set(operation.assignTo, operation.index ? value.split(',')[operation.index - 1] : value);
      } else if (operation.op === 'put') {
        if (!(await findMap(rt, deployment.organization, scope, config.mapIdentifier))) {
          await createMap(rt, deployment.organization, scope, config.mapIdentifier, false).catch(() => undefined);
        }
        const values = operation.values.map((value) => resolveValue(exchange, value) ?? '');
        const existing = await kvmCache(rt).get(deployment.organization, scope, config.mapIdentifier, key, 0);
        if (existing !== undefined && !operation.override) continue;
        await putEntry(rt, deployment.organization, scope, config.mapIdentifier, key, values.join(','), 'upsert');
      } else {
        await deleteEntry(rt, deployment.organization, scope, config.mapIdentifier, key).catch(() => undefined);
      }
    }
  },
});
