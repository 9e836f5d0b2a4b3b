// StatisticsCollector: adds custom dimensions to the call's analytics record:
// each statistic's value is its variable's, or the default written in the
// policy, cast to its declared type. They go to the exchange's `statistics`
// map, the one place the analytics record reads them from.
import * as z from 'zod';
import { stringify } from '../language/template.js';
import { defineFaults, raise } from './common.js';
import { definePolicy, policyXml } from './define-policy.js';
import { el } from './xml-model.js';

export const STATISTICS_COLLECTOR_FAULTS = defineFaults({
  UnsupportedDatatype: ['steps.statisticscollector.UnsupportedDatatype', 500],
});

const TYPES = ['string', 'integer', 'float', 'long', 'double', 'boolean'] as const;

const schema = z.lazy(() => z.object({
  statistics: z
    .array(
      z.object({
        name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,99}$/, 'must start with a letter and contain only letters, digits and _'),
        ref: z.string().min(1).optional(),
        type: z.enum(TYPES).default('string'),
        /** Used when the variable is not set. */
        default: z.string().optional(),
      }),
    )
    .min(1),
}));

export const statisticsCollector = definePolicy({
  type: 'StatisticsCollector',
  schema,
  faults: STATISTICS_COLLECTOR_FAULTS,
  execute: ({ config, exchange, policy }) => {
    for (const statistic of config.statistics) {
      const raw = statistic.ref ? exchange.get(statistic.ref) : undefined;
      const text = raw === undefined || raw === null || raw === '' ? statistic.default : stringify(raw);
      if (text === undefined) continue;
      let value: string | number | boolean = text;
      if (statistic.type === 'boolean') value = text.toLowerCase() === 'true';
      else if (statistic.type !== 'string') {
        value = Number(text);
        const whole = statistic.type === 'integer' || statistic.type === 'long';
        if (text.trim() === '' || !Number.isFinite(value) || (whole && !Number.isInteger(value))) {
          throw raise(STATISTICS_COLLECTOR_FAULTS, 'UnsupportedDatatype', `${policy.name}: the value of ${statistic.name} is not of type ${statistic.type}`);
        }
      }
      exchange.statistics.set(statistic.name, value);
    }
  },
});

export const statisticsCollectorXml = /* @__PURE__ */ policyXml(statisticsCollector, {
  fromXml: (root) => ({
    statistics: (root.child('Statistics')?.all('Statistic') ?? []).map((statistic) => ({
      name: statistic.attr('name'),
      ref: statistic.attr('ref') || undefined,
      type: statistic.oneOf(TYPES, 'type'),
      default: statistic.text() || undefined,
    })),
  }),
  toXml: (config) => ({
    children: [el('Statistics', {}, config.statistics.map((statistic) => el('Statistic', { name: statistic.name, ref: statistic.ref, type: statistic.type }, statistic.default ?? '')))],
  }),
});
