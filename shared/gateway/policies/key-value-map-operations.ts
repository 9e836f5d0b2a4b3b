// KeyValueMapOperations: Get, Put and Delete on key value maps at organization,
// environment or API proxy scope. Gets are cached per container for
// ExpiryTimeInSecs; values of encrypted maps are decrypted only here, into
// flow variables (Apigee asks for `private.` names for those).
import * as z from 'zod';
import { el, type XmlElement } from './xml-model.js';
import { definePolicy, policyXml } from './define-policy.js';
import type { PolicyExchange } from '../engine/policy.js';
import { defineFaults, raise, resolveValue, valueFromXml, valueToXml, ValueSchema, type Value } from './common.js';

const KVM_FAULTS = defineFaults({
  MapNameNotResolved: ['steps.keyvaluemapoperations.MapNameNotResolved', 500],
});
import type { KvmScopeName } from './services.js';

const Key = z.lazy(() => z.object({ parameters: z.array(ValueSchema).min(1) }));

const schema = z.lazy(() => z
  .object({
  /** The map's name as written (`mapIdentifier`), or where to find it (`<MapName ref=..>`, which wins when set). */
  mapIdentifier: z.string().min(1).optional(),
  mapName: ValueSchema.optional(),
  /** `<InitialEntries>`: values a Get falls back to while the map has none for the key. */
  initialEntries: z.array(z.object({ key: z.array(z.string()).min(1), values: z.array(z.string()).min(1) })).default([]),
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
  })
  .refine((config) => config.mapIdentifier !== undefined || config.mapName !== undefined, { message: 'a mapIdentifier or a <MapName> is required' }));

/** Apigee joins multi-part keys with `__`. */
function keyOf(exchange: PolicyExchange, key: z.infer<typeof Key>): string | undefined {
  const parts = key.parameters.map((parameter) => resolveValue(exchange, parameter));
  return parts.some((part) => part === undefined) ? undefined : parts.join('__');
}

function keyFromXml(operation: XmlElement) {
  const key = operation.child('Key');
  if (!key) {
    operation.report('a <Key> is required');
    return undefined;
  }
  return { parameters: key.all('Parameter').map((parameter) => valueFromXml(parameter) ?? { value: '' }) };
}

const keyToXml = (key: { parameters: Value[] }) => el('Key', {}, key.parameters.map((parameter) => valueToXml('Parameter', parameter) ?? el('Parameter')));

const OPERATIONS = new Set(['Get', 'Put', 'Delete']);

export const keyValueMapOperations = definePolicy({
  type: 'KeyValueMapOperations',
  schema,
  faults: KVM_FAULTS,
  services: ['kvm'],
  execute: async ({ config, exchange, policy, services: { kvm } }) => {
    const initial = new Map(config.initialEntries.map((entry) => [entry.key.join('__'), entry.values.join(',')]));
    // Apigee's policy scope is the proxy's.
    const scope: KvmScopeName = config.scope === 'policy' ? 'apiproxy' : config.scope;
    const map = resolveValue(exchange, config.mapName) ?? config.mapIdentifier;
    if (!map) throw raise(KVM_FAULTS, 'MapNameNotResolved', `${policy.name}: the map name could not be resolved`);
    for (const operation of config.operations) {
      const key = keyOf(exchange, operation.key);
      if (key === undefined) continue;
      if (operation.op === 'get') {
        const value = (await kvm.get(scope, map, key, config.expiryTimeInSecs)) ?? initial.get(key);
        if (value === undefined) continue;
        // Multi-valued entries are stored comma-separated; Index picks one (1-based).
        exchange.set(operation.assignTo, operation.index ? value.split(',')[operation.index - 1] : value);
      } else if (operation.op === 'put') {
        const values = operation.values.map((value) => resolveValue(exchange, value) ?? '');
        // Without override an existing entry stays.
        if (!operation.override && (await kvm.get(scope, map, key, 0)) !== undefined) continue;
        await kvm.put(scope, map, key, values.join(','));
      } else {
        await kvm.delete(scope, map, key);
      }
    }
  },
});

export const keyValueMapOperationsXml = /* @__PURE__ */ policyXml(keyValueMapOperations, {
  fromXml: (root) => {
    const operations = root.children
      .filter((child) => OPERATIONS.has(child.name))
      .map((child) => {
        child.used = true;
        if (child.name === 'Get') return { op: 'get', key: keyFromXml(child), assignTo: child.attr('assignTo'), index: child.int('index') };
        if (child.name === 'Put') {
          return { op: 'put', key: keyFromXml(child), values: child.all('Value').map((value) => valueFromXml(value) ?? { value: '' }), override: child.bool('override') };
        }
        return { op: 'delete', key: keyFromXml(child) };
      });
    // A per-proxy cache of entries: the per-container KVM cache already is one.
    root.child('ExclusiveCache')?.consume();
    const initial = root.child('InitialEntries');
    return {
      mapIdentifier: root.attr('mapIdentifier'),
      mapName: valueFromXml(root.child('MapName')),
      initialEntries: (initial?.all('Entry') ?? []).map((entry) => ({
        key: (entry.child('Key')?.all('Parameter') ?? []).map((parameter) => parameter.text()),
        values: entry.all('Value').map((value) => value.text()),
      })),
      scope: root.child('Scope')?.oneOf(['organization', 'environment', 'apiproxy', 'policy'] as const),
      expiryTimeInSecs: root.child('ExpiryTimeInSecs')?.int(),
      operations,
    };
  },
  toXml: (config) => ({
    attributes: { mapIdentifier: config.mapIdentifier },
    children: [
      valueToXml('MapName', config.mapName),
      config.initialEntries.length
        ? el(
            'InitialEntries',
            {},
            config.initialEntries.map((entry) =>
              el('Entry', {}, [el('Key', {}, entry.key.map((part) => el('Parameter', {}, part))), ...entry.values.map((value) => el('Value', {}, value))]),
            ),
          )
        : undefined,
      el('ExpiryTimeInSecs', {}, config.expiryTimeInSecs),
      el('Scope', {}, config.scope),
      ...config.operations.map((operation) => {
        if (operation.op === 'get') return el('Get', { assignTo: operation.assignTo, index: operation.index }, [keyToXml(operation.key)]);
        if (operation.op === 'put') {
          return el('Put', { override: operation.override }, [keyToXml(operation.key), ...operation.values.map((value) => valueToXml('Value', value) ?? el('Value'))]);
        }
        return el('Delete', {}, [keyToXml(operation.key)]);
      }),
    ].filter((node) => node !== undefined),
  }),
});
