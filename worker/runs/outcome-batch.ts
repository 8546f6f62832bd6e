import { applyOutcome, type JobCounters } from "../engine/counters";
import type { OutcomeRecord } from "../ledger/run-writes";
import * as wording from "./run-log";
import type { LogNote } from "./run-log";
import type { RecordOutcome } from "./slice-executor";

// What one checkpoint of finished records writes: their outcome rows, their log lines and the counters they
// add. Pure; the job step stores it in one transaction with the records' removal from the queue.

export interface OutcomeBatchOptions {
  jobId: string;
  at: number;
  // Failed records logged one by one so far in this job, and how many may be.
  failureLogs: number;
  failureLogLimit: number;
  // A debug connection logs every outcome with its changes.
  debug: boolean;
}

export interface OutcomeBatch {
  outcomes: OutcomeRecord[];
  logs: LogNote[];
  counted: JobCounters;
  failureLogs: number;
}

export function outcomeBatch(batch: readonly RecordOutcome[], counted: JobCounters, options: OutcomeBatchOptions): OutcomeBatch {
  const outcomes: OutcomeRecord[] = [];
  const logs: LogNote[] = [];
  let failureLogs = options.failureLogs;
  for (const outcome of batch) {
    // Held back for the job's verifying phase: no outcome and no count until it is read back.
    if (outcome.awaiting_readback !== undefined) continue;
    if (outcome.confirmed) logs.push({ level: "INFO", message: wording.writeConfirmed(outcome.serial), serial: outcome.serial });
    const error = wording.outcomeError(outcome);
    outcomes.push({
      job_id: options.jobId,
      serial: outcome.serial,
      action: outcome.action,
      changes: outcome.changes.length === 0 ? null : JSON.stringify(outcome.changes),
      differences: outcome.differences == null || outcome.differences.length === 0 ? null : JSON.stringify(outcome.differences),
      http_status: outcome.http_status,
      payload_excerpt: outcome.payload_excerpt,
      error: error ?? outcome.reason,
      at: options.at,
    });
    counted = applyOutcome(counted, outcome.action);
    if (outcome.action === "failed" || outcome.action === "verify_mismatch") {
      if (failureLogs < options.failureLogLimit) {
        const message = outcome.action === "failed" ? wording.recordFailed(outcome.serial, error) : wording.verifyMismatch(outcome.serial, outcome.reason);
        logs.push({ level: outcome.action === "failed" ? "ERROR" : "WARN", message, serial: outcome.serial });
      } else if (failureLogs === options.failureLogLimit) {
        logs.push({ level: "WARN", message: wording.FAILURES_NO_LONGER_LOGGED, serial: null });
      }
      failureLogs += 1;
    }
    if (options.debug) logs.push({ level: "DEBUG", message: wording.outcomeDetail(outcome), serial: outcome.serial });
  }
  return { outcomes, logs, counted, failureLogs };
}
