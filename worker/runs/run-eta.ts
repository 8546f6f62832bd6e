import type { JobCounterValues } from "../ledger/run-rows";
import { etaView } from "../ledger/run-views";
import type { RunSummary } from "../schemas/runs";
import { lastCompletedDurations } from "../ledger/job-durations";
import { scopedCounters } from "./checkpoint-job-row";
import type { JobCheckpoint } from "./coordinator-store";
import { EtaTracker, jobRemainingMs, runRemainingMs } from "./eta";
import { log } from "../observability/log";

// The coordinator's side of the ETA: samples each job's processed count when it publishes or flushes it, and
// turns the checkpoints into the finish times the live feed shows and the flush writes (migration 0027).
// Run messages go out on status changes; between them the run is sent again only when its ETA moved this much.
const RUN_ETA_REPUBLISH_MS = 5_000;

export class RunEstimates {
  private readonly tracker = new EtaTracker();
  private typical: Map<string, number> | null = null;
  private lastRun: RunSummary | null = null;

  published(run: RunSummary): void {
    this.lastRun = run;
  }

  // The run as last published with a new ETA, or null when it has not moved enough to be worth a message.
  runUpdate(finishAt: number | null, now: number): RunSummary | null {
    const run = this.lastRun;
    if (run === null || run.status !== "running") return null;
    const before = run.eta === null ? null : Date.parse(run.eta.finish_at);
    const moved = finishAt === null || before === null ? finishAt !== before : Math.abs(finishAt - before) >= RUN_ETA_REPUBLISH_MS;
    if (!moved) return null;
    this.lastRun = { ...run, eta: etaView(run.status, finishAt, now) };
    return this.lastRun;
  }

  // The queued jobs' connections' last durations, read once per coordinator; without them a run has no ETA.
  async loadHistory(db: D1Database, jobs: readonly JobCheckpoint[]): Promise<void> {
    if (this.typical !== null) return;
    const queued = jobs.filter((job) => job.status === "pending").map((job) => job.plan.connection_id);
    try {
      this.typical = await lastCompletedDurations(db, [...new Set(queued)]);
    } catch (error) {
      // An estimate is never worth failing a flush: this run shows no run ETA.
      log.warn("could not read the connections' last durations", { error });
      this.typical = new Map();
    }
  }

  jobFinishAt(job: JobCheckpoint, counters: JobCounterValues, now: number): number | null {
    if (job.status !== "running") {
      this.tracker.forget(job.plan.job_id);
      return null;
    }
    this.tracker.record(job.plan.job_id, counters.processed, now);
    const remaining = jobRemainingMs(scopedCounters(counters, job.progress), this.tracker.rateOf(job.plan.job_id, now));
    return remaining === null ? null : now + remaining;
  }

  runFinishAt(jobs: readonly JobCheckpoint[], countersOf: (jobId: string) => JobCounterValues, now: number): number | null {
    const running = jobs.find((job) => job.status === "running");
    if (running === undefined || this.typical === null) return null;
    const queued = jobs
      .filter((job) => job.status === "pending")
      .map((job) => ({ in_scope: null, typical_ms: this.typical?.get(job.plan.connection_id) ?? null }));
    const counters = scopedCounters(countersOf(running.plan.job_id), running.progress);
    const remaining = runRemainingMs(counters, queued, this.tracker.rateOf(running.plan.job_id, now));
    return remaining === null ? null : now + remaining;
  }
}
