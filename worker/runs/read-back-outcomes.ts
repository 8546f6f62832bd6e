import { emptyCounters } from "../engine/counters";
import type { ReadBackResult } from "../engine/read-back";
import type { CoordinatorStore, ReadBackWaiting } from "./coordinator-store";
import { outcomeBatch } from "./outcome-batch";
import type { RecordOutcome } from "./slice-executor";

// The outcomes of written records held back for a list-mode job's verifying phase: what reading them back found,
// or, when the job ends without that phase (failed, canceled) or the listing cannot be read again, Updated.

// Held-back records have left the queue: their outcomes carry no queue position.
const NO_ORD = -1;

function fromWaiting(waiting: ReadBackWaiting, action: RecordOutcome["action"], extra: Partial<RecordOutcome>): RecordOutcome {
  return {
    ord: NO_ORD,
    serial: waiting.serial,
    action,
    changes: waiting.changes,
    http_status: waiting.http_status,
    payload_excerpt: waiting.payload_excerpt,
    error: null,
    hint: null,
    transient: false,
    reason: null,
    journaled: false,
    confirmed: false,
    differences: null,
    read_back: true,
    ...extra,
  };
}

export function readBackOutcome(waiting: ReadBackWaiting, result: ReadBackResult): RecordOutcome {
  return fromWaiting(waiting, result.verified ? "verified" : "verify_mismatch", {
    differences: result.differences.length === 0 ? null : result.differences,
    reason: result.hint,
  });
}

export function unverifiedOutcome(waiting: ReadBackWaiting, why: string): RecordOutcome {
  return fromWaiting(waiting, "updated", { reason: `written, not verified: ${why}` });
}

const SETTLE_BATCH = 1_000;

// Every record still held back becomes Updated, a batch per transaction (each drops its rows, so a replay
// after a crash settles only the rest). Returns how many were settled.
export function settleWaitingReadBacks(store: CoordinatorStore, jobId: string, options: { at: number; why: string; failureLogLimit: number }): number {
  let settled = 0;
  for (;;) {
    const waiting = store.waitingReadBacks(jobId, { limit: SETTLE_BATCH });
    if (waiting.length === 0) return settled;
    store.atomically(() => {
      const batch = outcomeBatch(
        waiting.map((w) => unverifiedOutcome(w, options.why)),
        emptyCounters(),
        { jobId, at: options.at, failureLogs: store.tally(jobId).failure_logs, failureLogLimit: options.failureLogLimit, debug: false },
      );
      for (const w of waiting) store.dropReadBack(jobId, w.serial);
      for (const outcome of batch.outcomes) store.appendOutcome(outcome);
      store.addCounters(jobId, batch.counted);
    });
    settled += waiting.length;
  }
}
