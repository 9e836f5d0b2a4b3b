// StatisticsCollector: custom analytics. Each Statistic reads a flow variable
// (`ref`), or takes its default (the element's text) when the variable is
// unset, and adds it to the call's analytics record under its name: strings
// and booleans as custom dimensions (`/stats/{name}`), numbers as custom
// metrics (`select=sum({name})`, `avg({name})`). A statistic with neither a
// value nor a default is not recorded, as in Apigee. When the policy runs
// more than once in a call, the last value of a name counts.
import * as z from 'zod';
import { definePolicy } from './define-policy.js';
import { el } from './xml-model.js';

const TYPES = ['string', 'integer', 'long', 'float', 'double', 'boolean'] as const;

/** Analytics' own dimension and metric names: a statistic may not take one. */
const RESERVED = new Set([
  'apiproxy', 'apis', 'apiproxy_revision', 'proxy_basepath', 'proxy_pathsuffix', 'request_verb', 'response_status_code',
  'target_response_code', 'target_host', 'developer_email', 'devs', 'developer_app', 'apps', 'api_product', 'apiproducts',
  'client_id', 'ax_edge_execution_fault_code', 'ax_execution_fault_policy_name', 'message_count', 'is_error', 'policy_error',
  'target_error', 'total_response_time', 'target_response_time', 'request_size', 'response_size', 'tps',
]);

const StatisticSchema = z.object({
  name: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,99}$/, 'name must be 1-100 letters, digits or underscores, not starting with a digit')
    .refine((name) => !RESERVED.has(name.toLowerCase()), { message: 'name is one of analytics\' own dimensions or metrics' }),
  /** The flow variable whose value is collected. */
  ref: z.string().min(1).optional(),
  type: z.enum(TYPES).default('string'),
  /** Recorded when the variable is unset (the element's text). */
  default: z.string().optional(),
});

const schema = z.object({
  statistics: z
    .array(StatisticSchema)
    .min(1, 'Statistics needs at least one Statistic')
    .max(20, 'at most 20 statistics')
    .refine((list) => new Set(list.map((s) => s.name)).size === list.length, { message: 'each statistic needs its own name' }),
});

type Statistic = z.infer<typeof StatisticSchema>;

/** The value as the statistic's type records it: undefined when it is not one. */
function typed(statistic: Statistic, raw: string): string | number | undefined {
  switch (statistic.type) {
    case 'string':
      return raw;
    case 'boolean':
      return /^(true|false)$/i.test(raw) ? raw.toLowerCase() : undefined;
    case 'integer':
    case 'long':
      return /^[-+]?\d{1,15}$/.test(raw.trim()) ? Number(raw) : undefined;
    default: {
      const number = raw.trim() === '' ? Number.NaN : Number(raw);
      return Number.isFinite(number) ? number : undefined;
    }
  }
}

export const statisticsCollector = definePolicy({
  type: 'StatisticsCollector',
  schema,
  xml: {
    fromXml: (root) => ({
      statistics: (root.child('Statistics')?.all('Statistic') ?? []).map((statistic) => ({
        name: statistic.attr('name'),
        ref: statistic.attr('ref') || undefined,
        type: statistic.attr('type')?.toLowerCase() || undefined,
        default: statistic.text() || undefined,
      })),
    }),
    toXml: (config) => ({
      children: [el('Statistics', {}, config.statistics.map((s) => el('Statistic', { name: s.name, ref: s.ref, type: s.type }, s.default ?? '')))],
    }),
  },
  execute: ({ config, exchange }) => {
    for (const statistic of config.statistics) {
      const value = statistic.ref === undefined ? undefined : exchange.get(statistic.ref);
      const collected = value === undefined || value === null || value === '' ? undefined : typed(statistic, String(value));
      const recorded = collected ?? (statistic.default === undefined ? undefined : typed(statistic, statistic.default));
      if (recorded !== undefined) exchange.statistics.set(statistic.name, recorded);
    }
  },
});
