import type { ArchivedLog, ArchivedOutcome, PlanLine } from "../archive/chunk-codec";
import type { ArchivedRequest } from "../archive/request-codec";
import type { RecordAction } from "../engine/reconcile";
import type { JobCounterValues } from "../ledger/run-rows";
import type { LatestOutcome, LogRecord, OutcomeRecord } from "../ledger/run-writes";
import type { LogLevel } from "../schemas/vocabulary";
import type { JobPlan, OutboxRequest } from "./coordinator-store";

// Where one flush of the outbox goes, decided before anything is written. Pure. An archived job's outcomes
// and log lines become one chunk each in R2 and only its first exceptions (changed, failed, missing) rows of
// D1; a job created before the archive (no archive day) keeps writing every row to D1, as its readers expect.
// Request log entries go only to the archive: a job without one keeps no request log (and no D1 row per request).
// Every outcome is offered to latest_outcomes, which keeps it only when the serial's action changed.

export const EXCEPTION_ACTIONS: Readonly<Record<RecordAction, boolean>> = {
  would_update: true,
  updated: true,
  failed: true,
  missing_source: true,
  missing_destination: true,
  skipped_rule: false,
  skipped_no_change: false,
  drifted: true,
  verified: true,
  verify_mismatch: true,
};

export interface JobArchiveState {
  plan: JobPlan;
  nextOutcomeChunk: number;
  nextLogChunk: number;
  nextRequestChunk: number;
  nextPlanChunk: number;
  exceptionsKept: number;
}

// A dry job's planned write waiting in the outbox, as the JSON text of its PlanEntry.
export interface PlannedRow extends PlanLine {
  job_id: string;
}

export interface ChunkToWrite<T> {
  chunk: number;
  rows: T[];
}

export interface JobFlush {
  jobId: string;
  outcomes: ChunkToWrite<ArchivedOutcome> | null;
  logs: ChunkToWrite<ArchivedLog> | null;
  requests: ChunkToWrite<ArchivedRequest> | null;
  plan: ChunkToWrite<PlanLine> | null;
  exceptionsTaken: number;
}

export interface FlushPlan {
  archived: JobFlush[];
  ledgerOutcomes: OutcomeRecord[];
  ledgerLogs: LogRecord[];
  latest: LatestOutcome[];
}

export function archiveDayOf(plan: JobPlan): string | null {
  return plan.archive_day ?? null;
}

export function planFlush(
  outcomes: readonly OutcomeRecord[],
  logs: readonly LogRecord[],
  jobs: ReadonlyMap<string, JobArchiveState>,
  exceptionLimit: number,
  requests: readonly OutboxRequest[] = [],
  plans: readonly PlannedRow[] = [],
): FlushPlan {
  const stateOf = (jobId: string): JobArchiveState => {
    const state = jobs.get(jobId);
    if (state === undefined) throw new Error(`the outbox holds rows of job ${jobId}, which is not in the run's plan`);
    return state;
  };
  const archived = new Map<string, JobFlush>();
  const flushOf = (jobId: string): JobFlush => {
    let flush = archived.get(jobId);
    if (flush === undefined) {
      flush = { jobId, outcomes: null, logs: null, requests: null, plan: null, exceptionsTaken: 0 };
      archived.set(jobId, flush);
    }
    return flush;
  };
  const plan: FlushPlan = { archived: [], ledgerOutcomes: [], ledgerLogs: [], latest: [] };

  for (const outcome of outcomes) {
    const state = stateOf(outcome.job_id);
    plan.latest.push({ connection_id: state.plan.connection_id, serial: outcome.serial, action: outcome.action, job_id: outcome.job_id, at: outcome.at });
    if (archiveDayOf(state.plan) === null) {
      plan.ledgerOutcomes.push(outcome);
      continue;
    }
    const flush = flushOf(outcome.job_id);
    flush.outcomes ??= { chunk: state.nextOutcomeChunk, rows: [] };
    flush.outcomes.rows.push(toArchivedOutcome(outcome));
    if (EXCEPTION_ACTIONS[outcome.action as RecordAction] && state.exceptionsKept + flush.exceptionsTaken < exceptionLimit) {
      plan.ledgerOutcomes.push(outcome);
      flush.exceptionsTaken += 1;
    }
  }
  for (const log of logs) {
    const state = stateOf(log.job_id);
    if (archiveDayOf(state.plan) === null) {
      plan.ledgerLogs.push(log);
      continue;
    }
    const flush = flushOf(log.job_id);
    flush.logs ??= { chunk: state.nextLogChunk, rows: [] };
    flush.logs.rows.push({ seq: log.seq, at: log.at, level: log.level as LogLevel, message: log.message, serial: log.serial });
  }
  for (const { job_id: jobId, ...request } of requests) {
    const state = stateOf(jobId);
    if (archiveDayOf(state.plan) === null) continue;
    const flush = flushOf(jobId);
    flush.requests ??= { chunk: state.nextRequestChunk, rows: [] };
    flush.requests.rows.push(request);
  }
  // A job without an archive has nowhere to keep a plan: it cannot be applied.
  for (const row of plans) {
    const state = stateOf(row.job_id);
    if (archiveDayOf(state.plan) === null) continue;
    const flush = flushOf(row.job_id);
    flush.plan ??= { chunk: state.nextPlanChunk, rows: [] };
    flush.plan.rows.push({ serial: row.serial, text: row.text });
  }
  plan.archived = [...archived.values()];
  return plan;
}

function toArchivedOutcome(outcome: OutcomeRecord): ArchivedOutcome {
  const { serial, action, changes, http_status, payload_excerpt, error, at } = outcome;
  return { serial, action: action as RecordAction, changes, differences: outcome.differences ?? null, http_status, payload_excerpt, error, at };
}

// How many of the job's exceptions the bounded table leaves to the archive: it keeps the first ones.
export function exceptionsOmitted(counters: Pick<JobCounterValues, RecordAction>, exceptionLimit: number): number {
  let exceptions = 0;
  for (const action of Object.keys(EXCEPTION_ACTIONS) as RecordAction[]) if (EXCEPTION_ACTIONS[action]) exceptions += counters[action];
  return Math.max(0, exceptions - exceptionLimit);
}
