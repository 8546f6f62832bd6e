import type { RunStatus, RunSummary } from "./run-types";

export interface RunBucket {
  start: number;
  end: number;
  completed: number;
  failed: number;
  // Pending, running and canceled: counted, drawn neutral.
  other: number;
}

const HOUR_MS = 3_600_000;

const KIND: Record<RunStatus, "completed" | "failed" | "other"> = {
  pending: "other",
  running: "other",
  completed: "completed",
  failed: "failed",
  canceled: "other",
};

// Runs per hour over the window ending at `now`, oldest bucket first; runs outside the window are left out.
export function bucketRuns(runs: readonly Pick<RunSummary, "created_at" | "status">[], now: number, hours = 24): RunBucket[] {
  const end = Math.ceil(now / HOUR_MS) * HOUR_MS;
  const start = end - hours * HOUR_MS;
  const buckets: RunBucket[] = Array.from({ length: hours }, (_, i) => ({
    start: start + i * HOUR_MS,
    end: start + (i + 1) * HOUR_MS,
    completed: 0,
    failed: 0,
    other: 0,
  }));
  for (const run of runs) {
    const at = Date.parse(run.created_at);
    if (Number.isNaN(at) || at < start || at >= end || at < now - hours * HOUR_MS) continue;
    const bucket = buckets[Math.floor((at - start) / HOUR_MS)];
    if (bucket) bucket[KIND[run.status]] += 1;
  }
  return buckets;
}

export function bucketTotal(bucket: RunBucket): number {
  return bucket.completed + bucket.failed + bucket.other;
}
