import { LIVE_ACTIONS, RECORD_ACTIONS, type RecordAction } from "./reconcile";

// A job's counters as the coordinator keeps them: each record's outcome counted once by its action's name,
// and the bytes of every request the job made. The coordinator folds each checkpoint's outcomes and bytes
// with these functions and merges the result into its tally, so the properties tested here hold for runs.
export type JobCounters = Record<RecordAction, number> & { processed: number; bytes_sent: number; bytes_received: number };

const COUNTER_KEYS = ["processed", "bytes_sent", "bytes_received", ...RECORD_ACTIONS] as const;

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
    drifted: 0,
    verified: 0,
    verify_mismatch: 0,
    bytes_sent: 0,
    bytes_received: 0,
  };
}

export function applyOutcome(counters: JobCounters, action: RecordAction): JobCounters {
  const next = { ...counters, processed: counters.processed + 1 };
  next[action] += 1;
  return next;
}

// Bytes are counted per request, not per record: listing and source pages cost bytes too.
export function addTraffic(counters: JobCounters, sent: number, received: number): JobCounters {
  return { ...counters, bytes_sent: counters.bytes_sent + sent, bytes_received: counters.bytes_received + received };
}

export function mergeCounters(a: JobCounters, b: JobCounters): JobCounters {
  const merged = emptyCounters();
  for (const key of COUNTER_KEYS) merged[key] = a[key] + b[key];
  return merged;
}

export function isEmpty(counters: JobCounters): boolean {
  return COUNTER_KEYS.every((key) => counters[key] === 0);
}

export function skippedTotal(counters: JobCounters): number {
  return counters.skipped_rule + counters.skipped_no_change;
}

export type InvariantResult = { ok: true } | { ok: false; message: string };

// processed = the sum of every action's count. would_update is counted only in a dry job and
// updated|verified|verify_mismatch|drifted only in a live one.
export function checkInvariant(counters: JobCounters): InvariantResult {
  for (const key of COUNTER_KEYS) {
    const value = counters[key];
    if (!Number.isSafeInteger(value) || value < 0) return { ok: false, message: `${key} is ${value}, not a count` };
  }
  const live = LIVE_ACTIONS.find((action) => counters[action] > 0);
  if (counters.would_update > 0 && live !== undefined) {
    return { ok: false, message: `both would_update and ${live} are counted, but a job is either dry or live` };
  }
  let sum = 0;
  for (const action of RECORD_ACTIONS) sum += counters[action];
  if (sum !== counters.processed) {
    return { ok: false, message: `processed is ${counters.processed} but the outcomes add up to ${sum}` };
  }
  return { ok: true };
}
