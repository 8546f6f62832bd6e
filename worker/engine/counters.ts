import { RECORD_ACTIONS, type RecordAction } from "./reconcile";

// Plain JSON so the coordinator can checkpoint it as is. Actions are counted by their own name.
export type JobCounters = Record<RecordAction, number> & { processed: number; bytes: number };

export function emptyCounters(): JobCounters {
  return {
    processed: 0,
    would_update: 0,
    updated: 0,
    skipped_rule: 0,
    skipped_no_change: 0,
    missing_source: 0,
    missing_destination: 0,
    failed: 0,
    bytes: 0,
  };
}

export function applyOutcome(counters: JobCounters, action: RecordAction, bytes = 0): JobCounters {
  const next = { ...counters, processed: counters.processed + 1, bytes: counters.bytes + bytes };
  next[action] += 1;
  return next;
}

export function mergeCounters(a: JobCounters, b: JobCounters): JobCounters {
  const merged = emptyCounters();
  merged.processed = a.processed + b.processed;
  merged.bytes = a.bytes + b.bytes;
  for (const action of RECORD_ACTIONS) merged[action] = a[action] + b[action];
  return merged;
}

export function skippedTotal(counters: JobCounters): number {
  return counters.skipped_rule + counters.skipped_no_change;
}

export type InvariantResult = { ok: true } | { ok: false; message: string };

// processed = would_update|updated + skipped_rule + skipped_no_change + missing_source + missing_destination + failed
export function checkInvariant(counters: JobCounters): InvariantResult {
  for (const key of ["processed", "bytes", ...RECORD_ACTIONS] as const) {
    const value = counters[key];
    if (!Number.isSafeInteger(value) || value < 0) return { ok: false, message: `${key} is ${value}, not a count` };
  }
  if (counters.would_update > 0 && counters.updated > 0) {
    return { ok: false, message: "both would_update and updated are counted, but a job is either dry or live" };
  }
  let sum = 0;
  for (const action of RECORD_ACTIONS) sum += counters[action];
  if (sum !== counters.processed) {
    return { ok: false, message: `processed is ${counters.processed} but the outcomes add up to ${sum}` };
  }
  return { ok: true };
}
