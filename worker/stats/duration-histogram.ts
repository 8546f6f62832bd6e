// Completed-job durations counted per log-scale bucket, as the job_stats_hourly triggers store them
// (migrations/0007): bucket floor(ln(ms) / ln(1.04)), -1 for under 1 ms. Each bucket spans 4%, so a
// percentile read from its geometric middle is within 2% (at least 1 ms) of the exact value.
export const BUCKET_RATIO = 1.04;
export const PERCENTILE_TOLERANCE = { relative: 0.02, absoluteMs: 1 } as const;

export type DurationHistogram = Map<number, number>;

export function bucketOf(ms: number): number {
  return ms < 1 ? -1 : Math.trunc(Math.log(ms) / Math.log(BUCKET_RATIO));
}

/** The whole-millisecond value that stands for a bucket: its geometric middle, kept inside the bucket. */
export function bucketValue(bucket: number): number {
  if (bucket < 0) return 0;
  const low = BUCKET_RATIO ** bucket;
  const high = BUCKET_RATIO ** (bucket + 1);
  const middle = Math.round(Math.sqrt(low * high));
  return Math.min(Math.max(middle, Math.ceil(low)), Math.max(Math.ceil(low), Math.ceil(high) - 1));
}

export function addToHistogram(into: DurationHistogram, bucket: number, count: number): void {
  into.set(bucket, (into.get(bucket) ?? 0) + count);
}

export interface MergedDurations {
  histogram: DurationHistogram;
  exact: number[];
  minMs: number | null;
  maxMs: number | null;
}

/**
 * The duration at a 1-based rank among the histogram's counts and the exact values together. A bucket
 * holding only exact values answers exactly; the lowest and highest ranks are the exact min and max.
 */
export function durationAtRank(durations: MergedDurations, rank: number): number | null {
  const total = [...durations.histogram.values()].reduce((sum, n) => sum + n, 0) + durations.exact.length;
  if (total === 0 || rank < 1 || rank > total) return null;
  if (rank === 1 && durations.minMs !== null) return durations.minMs;
  if (rank === total && durations.maxMs !== null) return durations.maxMs;
  const exactByBucket = new Map<number, number[]>();
  for (const ms of durations.exact) {
    const bucket = bucketOf(ms);
    const list = exactByBucket.get(bucket);
    if (list) list.push(ms);
    else exactByBucket.set(bucket, [ms]);
  }
  const buckets = [...new Set([...durations.histogram.keys(), ...exactByBucket.keys()])].sort((a, b) => a - b);
  let before = 0;
  for (const bucket of buckets) {
    const counted = durations.histogram.get(bucket) ?? 0;
    const exact = exactByBucket.get(bucket) ?? [];
    if (before + counted + exact.length >= rank) {
      if (counted === 0) return exact.sort((a, b) => a - b)[rank - before - 1] ?? null;
      const value = bucketValue(bucket);
      return Math.min(Math.max(value, durations.minMs ?? value), durations.maxMs ?? value);
    }
    before += counted + exact.length;
  }
  return null;
}
