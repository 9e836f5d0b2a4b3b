// Latency percentiles from a mergeable log-bucketed histogram (DDSketch's
// logarithmic mapping, Masson, Rim and Lee, VLDB 2019). A value v > 0 falls in
// bucket i = ceil(log_gamma(v)) with gamma = (1 + a) / (1 - a); the bucket
// stands for 2 gamma^i / (gamma + 1), which is within a relative error `a` of
// every value in the bucket. A quantile is the value of the bucket holding the
// rank-th value, so it is within RELATIVE_ACCURACY of the exact quantile of
// the recorded values (the lower-rank definition: rank = floor(q * (n - 1))).
// Sketches merge by adding bucket counts, which is what lets every container
// ADD its counts into the same DynamoDB item.

/** The documented bound: a reported percentile is within 1% of the exact one. */
export const RELATIVE_ACCURACY = 0.01;
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
/** Values at or below this (ms) share the zero bucket and read back as 0. */
export const MIN_TRACKED_MS = 0.01;
/** Added to the logarithmic index so that every stored index is a small positive integer. */
const OFFSET = 240;
/** Index of the zero bucket. */
export const ZERO_BUCKET = 0;

/** The bucket a latency in milliseconds falls in. */
export function bucketOf(ms: number): number {
  if (!(ms > MIN_TRACKED_MS)) return ZERO_BUCKET;
  return Math.max(1, Math.ceil(Math.log(ms) / LOG_GAMMA) + OFFSET);
}

/** The value a bucket stands for (ms). */
export function valueOfBucket(bucket: number): number {
  if (bucket <= ZERO_BUCKET) return 0;
  return (2 * Math.pow(GAMMA, bucket - OFFSET)) / (GAMMA + 1);
}

/** Bucket counts of one latency metric; merge by adding. */
export type Buckets = Map<number, number>;

export function addToBuckets(buckets: Buckets, ms: number, count = 1): void {
  const bucket = bucketOf(ms);
  buckets.set(bucket, (buckets.get(bucket) ?? 0) + count);
}

export function mergeBuckets(into: Buckets, from: Buckets): void {
  for (const [bucket, count] of from) into.set(bucket, (into.get(bucket) ?? 0) + count);
}

/** The q-quantile (0..1) of the values counted, or undefined when there are none. */
export function quantile(buckets: Buckets, q: number): number | undefined {
  let total = 0;
  for (const count of buckets.values()) total += count;
  if (total === 0) return undefined;
  const rank = Math.floor(Math.min(1, Math.max(0, q)) * (total - 1));
  const ordered = [...buckets.entries()].filter(([, count]) => count > 0).sort((a, b) => a[0] - b[0]);
  let seen = 0;
  for (const [bucket, count] of ordered) {
    seen += count;
    if (seen > rank) return valueOfBucket(bucket);
  }
  return valueOfBucket(ordered[ordered.length - 1]![0]);
}
