// The latency sketch: every reported quantile is within the documented
// relative error of the exact one (same rank definition), for any values,
// whether one sketch took them or many merged ones did.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addToBuckets, bucketOf, mergeBuckets, MIN_TRACKED_MS, quantile, RELATIVE_ACCURACY, valueOfBucket, type Buckets } from '../../../shared/analytics/sketch.js';

const exact = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.floor(q * (values.length - 1))]!;
const latency = fc.double({ min: 0.02, max: 120_000, noNaN: true });

describe('latency sketch', () => {
  it('keeps every value within 1% of its bucket value', () => {
    fc.assert(
      fc.property(latency, (ms) => {
        expect(Math.abs(valueOfBucket(bucketOf(ms)) - ms)).toBeLessThanOrEqual(ms * RELATIVE_ACCURACY * (1 + 1e-9));
      }),
    );
  });

  it('answers quantiles within the documented error, merged or not', () => {
    fc.assert(
      fc.property(fc.array(latency, { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 5 }), fc.double({ min: 0, max: 1, noNaN: true }), (values, parts, q) => {
        const merged: Buckets = new Map();
        for (let part = 0; part < parts; part++) {
          const piece: Buckets = new Map();
          values.filter((_, i) => i % parts === part).forEach((ms) => addToBuckets(piece, ms));
          mergeBuckets(merged, piece);
        }
        const truth = exact(values, q);
        expect(Math.abs(quantile(merged, q)! - truth)).toBeLessThanOrEqual(truth * RELATIVE_ACCURACY * (1 + 1e-9));
      }),
    );
  });

  it('puts values at or below the tracked minimum in the zero bucket and has nothing to say about no values', () => {
    const buckets: Buckets = new Map();
    addToBuckets(buckets, 0);
    addToBuckets(buckets, MIN_TRACKED_MS / 2);
    expect(quantile(buckets, 0.5)).toBe(0);
    expect(quantile(new Map(), 0.5)).toBeUndefined();
  });
});
