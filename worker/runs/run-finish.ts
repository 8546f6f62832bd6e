import { EngineError } from "../engine/errors";
import type { JobError } from "../ledger/run-rows";
import { TERMINAL_STATUS, type RunMode, type RunType } from "../schemas/vocabulary";
import type { JobCheckpoint, JobFinish, JobProgress, RunFinish } from "./coordinator-store";

// Which status a job and a run end in, and why. Pure: the coordinator commits what is decided here.

// How an engine error ends the job: a cancel is no failure of the job, anything else fails it with the
// error's code and hint. An error that is not the engine's is a fault of the step and is thrown on.
export function jobEnding(error: unknown): "canceled" | JobError {
  if (!(error instanceof EngineError)) throw error;
  return error.code === "canceled" ? "canceled" : error.toJSON();
}

// Only a completed live full run moves the connection's cursor: a dry run or a single serial proves nothing
// about the records it did not cover.
export function cursorAdvance(
  finish: Pick<JobFinish, "status">,
  run: { type: RunType },
  mode: RunMode,
  progress: Pick<JobProgress, "cursor" | "max_seen_ms">,
): { cursor: string | null } | null {
  return finish.status === "completed" && run.type === "full" && mode === "live" ? { cursor: nextCursor(progress) } : null;
}

// The highest updated-at the job saw, never behind the cursor it started from.
export function nextCursor(progress: Pick<JobProgress, "cursor" | "max_seen_ms">): string | null {
  const previous = progress.cursor === null ? Number.NaN : Date.parse(progress.cursor);
  if (progress.max_seen_ms === null) return progress.cursor;
  const next = Number.isNaN(previous) ? progress.max_seen_ms : Math.max(previous, progress.max_seen_ms);
  return new Date(next).toISOString();
}

// A failed job whose connection stops the run on failure: the jobs after it are not run.
export function stoppingJob(jobs: readonly JobCheckpoint[]): JobCheckpoint | undefined {
  return jobs.find((job) => job.status === "failed" && job.progress.config?.limits.stop_on_failure === true);
}

// Why the run ends: its jobs are done, a cancel was requested, or a stop-on-failure job failed.
export type FinishReason = "done" | "cancel" | "stop";

export interface JobEnd {
  job: JobCheckpoint;
  status: JobCheckpoint["status"];
  progress: JobProgress;
  // Set for a job the run's end cancels: whether it had started, and why it did not run (if it did not).
  canceled: { ran: boolean; error: JobError | null } | null;
}

export interface RunEnd {
  status: RunFinish["status"];
  jobs: JobEnd[];
  succeeded: number;
  failed: number;
  errorSummary: string | null;
}

// Every job not yet finished becomes canceled (by request, or because a stop-on-failure job failed), then the
// run's status follows its jobs. A finish decided earlier (before a crash) keeps its status and time.
export function decideRunFinish(jobs: readonly JobCheckpoint[], reason: FinishReason, decided: RunFinish | null, at: number): RunEnd {
  const stopper = stoppingJob(jobs);
  const ends: JobEnd[] = jobs.map((job) => {
    if (TERMINAL_STATUS[job.status]) return { job, status: job.status, progress: job.progress, canceled: null };
    const ran = job.status === "running";
    const error: JobError | null =
      !ran && stopper !== undefined && reason !== "cancel"
        ? {
            code: "stopped_by_failure",
            http_status: null,
            message: `Not run: "${stopper.plan.connection_name}" failed and its connection stops the run on failure`,
            hint: "Fix the failed connection, then rerun the failed connections",
          }
        : null;
    return {
      job,
      status: "canceled",
      progress: { ...job.progress, phase: "done", finish: { status: "canceled", at, error, ran } },
      canceled: { ran, error },
    };
  });
  const statuses = ends.map((end) => end.status);
  const canceledNow = ends.some((end) => end.canceled !== null);
  const status: RunEnd["status"] =
    decided?.status ??
    (reason === "cancel" && canceledNow ? "canceled" : statuses.includes("failed") ? "failed" : statuses.includes("canceled") ? "canceled" : "completed");
  const firstFailure = jobs.find((job) => job.status === "failed");
  const errorSummary =
    status === "canceled"
      ? "Canceled"
      : firstFailure?.progress.finish?.error
        ? `${firstFailure.plan.connection_name}: ${firstFailure.progress.finish.error.message}`
        : null;
  return {
    status,
    jobs: ends,
    succeeded: statuses.filter((s) => s === "completed").length,
    failed: statuses.filter((s) => s === "failed").length,
    errorSummary,
  };
}
