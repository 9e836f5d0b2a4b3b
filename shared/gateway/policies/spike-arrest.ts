// SpikeArrest: smooths traffic per container. `10ps` admits one request every
// 100 ms (Apigee's smoothing); with `useEffectiveCount` it admits up to the
// full rate per window from a continuously refilled bucket. An Identifier
// keeps separate counts per client; MessageWeight lets a call count more.
import * as z from 'zod';
import { TtlCache } from '../../cache/ttl-cache.js';
import { el } from './xml-model.js';
import { definePolicy, policyXml } from './define-policy.js';
import { defineFaults, raise, resolveValue, valueFromXml, valueToXml, ValueSchema } from './common.js';

const RATE = /^(\d+)\s*(ps|pm)$/i;

const schema = z.lazy(() => z.object({
  /** `10ps` (per second) or `30pm` (per minute). */
  rate: z.string().regex(RATE, 'rate must look like 10ps or 30pm').optional(),
  /** Variable holding the rate, e.g. from a product attribute. */
  rateRef: z.string().optional(),
  identifier: ValueSchema.optional(),
  messageWeight: ValueSchema.optional(),
  useEffectiveCount: z.boolean().default(false),
}).refine((c) => c.rate || c.rateRef, { message: 'rate or rateRef is required' }));

interface Bucket {
  /** Smoothing: the earliest time the next request is admitted. */
  next: number;
  /** Effective count: tokens left and when they were counted. */
  tokens: number;
  at: number;
}

function parseRate(text: string | undefined): { count: number; windowMs: number } | undefined {
  const match = RATE.exec((text ?? '').trim());
  if (!match) return undefined;
  const count = Number(match[1]);
  if (count <= 0) return undefined;
  return { count, windowMs: match[2]!.toLowerCase() === 'ps' ? 1_000 : 60_000 };
}

export const SPIKE_ARREST_FAULTS = defineFaults({
  SpikeArrestViolation: ['policies.ratelimit.SpikeArrestViolation', 429],
  InvalidMessageRate: ['policies.ratelimit.InvalidMessageRate', 500],
});

export const spikeArrest = definePolicy({
  type: 'SpikeArrest',
  faults: SPIKE_ARREST_FAULTS,
  schema,
  // Buckets per identifier; one left alone until it is as full as a new one is forgotten.
  prepare: (config) => ({ buckets: new TtlCache<string, Bucket>({ ttlMs: 60_000, maxEntries: 50_000 }), fixedRate: parseRate(config.rate) }),
  execute: ({ config, prepared, exchange, policy }) => {
    const rate = (config.rateRef ? parseRate(String(exchange.get(config.rateRef) ?? '')) : undefined) ?? prepared.fixedRate;
    if (!rate) throw raise(SPIKE_ARREST_FAULTS, 'InvalidMessageRate', 'Invalid message rate');
    const identifier = resolveValue(exchange, config.identifier) ?? '';
    const weight = Math.max(1, Number(resolveValue(exchange, config.messageWeight) ?? 1) || 1);
    const key = `${identifier}\n${rate.count}/${rate.windowMs}`;
    const now = Date.now();
    const bucket = prepared.buckets.peek(key)?.value ?? { next: 0, tokens: rate.count, at: now };
    let admitted: boolean;
    if (config.useEffectiveCount) {
      bucket.tokens = Math.min(rate.count, bucket.tokens + ((now - bucket.at) * rate.count) / rate.windowMs);
      bucket.at = now;
      admitted = bucket.tokens >= weight;
      if (admitted) bucket.tokens -= weight;
    } else {
      const interval = rate.windowMs / rate.count;
      admitted = now >= bucket.next;
      if (admitted) bucket.next = now + interval * weight;
    }
    prepared.buckets.set(key, bucket, Math.max(rate.windowMs, bucket.next - now));
    exchange.set(`ratelimit.${policy.name}.failed`, !admitted);
    if (!admitted) {
      const unit = rate.windowMs === 1_000 ? 'ps' : 'pm';
      throw raise(
        SPIKE_ARREST_FAULTS,
        'SpikeArrestViolation',
        `Spike arrest violation. Allowed rate : ${rate.count}${unit}`,
      );
    }
  },
});

export const spikeArrestXml = /* @__PURE__ */ policyXml(spikeArrest, {
  fromXml: (root) => {
    const rate = root.child('Rate');
    return {
      rate: rate?.text() || undefined,
      rateRef: rate?.attr('ref') || undefined,
      identifier: valueFromXml(root.child('Identifier')),
      messageWeight: valueFromXml(root.child('MessageWeight')),
      useEffectiveCount: root.child('UseEffectiveCount')?.bool(),
    };
  },
  toXml: (config) => ({
    children: [
      valueToXml('Identifier', config.identifier),
      valueToXml('MessageWeight', config.messageWeight),
      el('Rate', { ref: config.rateRef }, config.rate ?? ''),
      el('UseEffectiveCount', {}, config.useEffectiveCount),
    ].filter((node) => node !== undefined),
  }),
});
