import { DurableObject } from "cloudflare:workers";
import { createCredentialHeaders, type CredentialHeaders } from "../engine/credential-auth";
import { createRedactor } from "../engine/redactor";
import { createSystemRuntime } from "../engine/runtime";
import type { Env } from "../env";
import { pokeAlertDispatcher } from "../alerts/poke";
import { publishLive } from "../live/publish";
import { readRunDetail } from "../ledger/run-reads";
import { toJobSummary } from "../ledger/run-views";
import type { JobCounterValues, JobError, JobRow } from "../ledger/run-rows";
import { TERMINAL_STATUS, type RunStatus } from "../schemas/vocabulary";
import {
  commit,
  getRunRow,
  jobFinishStatements,
  jobStartStatements,
  listRunJobRows,
  runFinishStatements,
  sliceFlushStatements,
  type ScopedCounterValues,
} from "../ledger/run-writes";
import { outboundFetch } from "../outbound";
import { CoordinatorStore, scopeCounted, type JobCheckpoint, type JobRuntime, type RunPlan } from "./coordinator-store";
import { loadCredentialAuth } from "./credential-loader";
import { JobWorker, type CompiledContracts } from "./job-worker";
import { LivePublisher } from "./live-publisher";
import { startNextRun } from "./run-service";
import { SliceBudget } from "./slice-budget";

// Slices are bounded so one alarm stays well inside Workers' limits on any plan; tests shrink them.
export const coordinatorTuning = {
  sliceRecords: 200,
  sliceSubrequests: 400,
  sliceWallMs: 5_000,
  // Pause between slices; tests make it long and drive every alarm themselves.
  sliceGapMs: 0,
  // If an invocation dies mid-slice, this alarm (set before the work) resumes the run.
  watchdogMs: 30_000,
  // A failed step is retried after retryDelayMs, doubling per failure in a row up to maxRetryDelayMs.
  retryDelayMs: 2_000,
  maxRetryDelayMs: 60_000,
  // Finished records are checkpointed in batches of this size (and at the end of every slice).
  checkpointEvery: 20,
  // Dataset records read from D1 into the queue at a time.
  sourceBatchRecords: 1_000,
  // The outbox goes to D1 when it holds this many outcomes or its oldest entry is this old, and at every
  // status change: a few statements per thousand records, and the ledger never more than seconds behind.
  flushEveryRecords: 1_000,
  flushEveryMs: 2_000,
  failureStreakLimit: 25,
  failureLogLimit: 50,
  eventLogLimit: 20,
};
export type CoordinatorTuning = typeof coordinatorTuning;

// Returns a function that restores the previous values.
export function tuneCoordinator(changes: Partial<CoordinatorTuning>): () => void {
  const before = { ...coordinatorTuning };
  Object.assign(coordinatorTuning, changes);
  return () => Object.assign(coordinatorTuning, before);
}

export function stepRetryDelay(failuresInARow: number, tuning: Pick<CoordinatorTuning, "retryDelayMs" | "maxRetryDelayMs"> = coordinatorTuning): number {
  const doubled = tuning.retryDelayMs * 2 ** Math.max(0, failuresInARow - 1);
  return Math.min(doubled, Math.max(tuning.retryDelayMs, tuning.maxRetryDelayMs));
}

const FLUSH_ROWS = 1_000;

export interface CoordinatorJobSnapshot {
  job_id: string;
  connection_id: string;
  status: RunStatus;
  phase: string;
  queued: number;
  counters: JobCounterValues;
  error: JobError | null;
}

export interface CoordinatorSnapshot {
  run_id: string | null;
  status: RunStatus | "unknown";
  cancel_requested: boolean;
  jobs: CoordinatorJobSnapshot[];
}

type FinalizeReason = "done" | "cancel" | "stop";

export class RunCoordinator extends DurableObject<Env> {
  private readonly store: CoordinatorStore;
  private readonly live: LivePublisher;
  private readonly cancelController = new AbortController();
  private readonly compiled = new Map<string, CompiledContracts>();
  private credentialHeaders: Promise<CredentialHeaders> | null = null;
  // The credential the current job sends with; what it sends (tokens fetched later included) is masked
  // in everything the store keeps.
  private sending: CredentialHeaders | null = null;
  private busy: Promise<void> | null = null;
  private lastFlushAt: number | null = null;
  private failedSteps = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const redactor = createRedactor(() => this.sending?.secrets() ?? []);
    this.store = new CoordinatorStore(ctx.storage.sql, (fn) => ctx.storage.transactionSync(fn), redactor);
    this.live = new LivePublisher((message) => publishLive(env, message));
    void ctx.blockConcurrencyWhile(async () => {
      // After an eviction or restart an unfinished run must have an alarm, or nothing would resume it.
      if (this.store.plan() !== null && !this.finished() && (await ctx.storage.getAlarm()) === null) {
        await ctx.storage.setAlarm(Date.now() + coordinatorTuning.retryDelayMs);
      }
    });
  }

  async start(runId: string): Promise<CoordinatorSnapshot> {
    const plan = await this.ensurePlan(runId);
    if (plan !== null && !this.finished()) {
      await this.ctx.storage.setAlarm(Date.now() + coordinatorTuning.sliceGapMs);
      await this.publishRun(plan.run_id);
    }
    return this.snapshot();
  }

  // Takes effect at once: in-flight requests are aborted and the run is finished before this returns.
  async cancel(runId: string): Promise<CoordinatorSnapshot> {
    const plan = await this.ensurePlan(runId);
    if (plan === null || this.finished()) return this.snapshot();
    this.store.requestCancel(Date.now());
    this.cancelController.abort(new Error("the run was canceled"));
    await this.runStep();
    if (!this.finished()) await this.runStep();
    return this.snapshot();
  }

  async snapshot(): Promise<CoordinatorSnapshot> {
    const plan = this.store.plan();
    if (plan === null) return { run_id: null, status: "unknown", cancel_requested: false, jobs: [] };
    const finish = this.store.runFinish();
    return {
      run_id: plan.run_id,
      status: finish?.committed ? finish.status : "running",
      cancel_requested: this.store.cancelRequestedAt() !== null,
      jobs: this.store.jobs().map((job) => ({
        job_id: job.plan.job_id,
        connection_id: job.plan.connection_id,
        status: job.status,
        phase: job.runtime.phase,
        queued: this.store.queueSize(job.plan.job_id),
        counters: this.store.counters(job.plan.job_id),
        error: job.runtime.finish?.error ?? null,
      })),
    };
  }

  override async alarm(): Promise<void> {
    await this.runStep();
  }

  private finished(): boolean {
    return this.store.runFinish()?.committed === true;
  }

  // One step at a time: an alarm arriving while a step runs (a test driving alarms, a watchdog) waits for it.
  private runStep(): Promise<void> {
    this.busy ??= this.step().finally(() => {
      this.busy = null;
    });
    return this.busy;
  }

  private async ensurePlan(runId: string): Promise<RunPlan | null> {
    const existing = this.store.plan();
    if (existing !== null) return existing;
    const run = await getRunRow(this.env.LEDGER, runId);
    // Only a promoted run is executed; a pending one waits for its credential's slot.
    if (run === null || run.status !== "running") return null;
    const jobs = await listRunJobRows(this.env.LEDGER, runId);
    const plan: RunPlan = {
      run_id: run.id,
      credential_id: run.credential_id,
      credential_name: run.credential_name,
      type: run.type,
      serial: run.serial,
      reset: run.reset === 1,
      started_at: run.started_at ?? Date.now(),
      jobs: jobs.map((job) => ({
        job_id: job.id,
        connection_id: job.connection_id,
        connection_name: job.connection_name,
        position: job.position,
        mode: job.mode ?? run.mode,
        created_at: job.created_at,
      })),
    };
    this.store.initialise(plan);
    if (run.cancel_requested_at !== null) this.store.requestCancel(run.cancel_requested_at);
    return plan;
  }

  private async step(): Promise<void> {
    const plan = this.store.plan();
    if (plan === null || this.finished()) return;
    const startedAt = Date.now();
    await this.ctx.storage.setAlarm(startedAt + coordinatorTuning.watchdogMs);
    let more: boolean;
    try {
      more = await this.advance(plan, startedAt);
    } catch (error) {
      // D1 or storage trouble: the checkpoint is intact, so the same step is tried again, backing off so an
      // outage of minutes costs a few invocations rather than one every two seconds.
      this.failedSteps += 1;
      const delay = stepRetryDelay(this.failedSteps);
      console.error(`run coordinator step failed (${this.failedSteps} in a row); retrying in ${delay} ms`, plan.run_id, error);
      await this.ctx.storage.setAlarm(Date.now() + delay);
      return;
    }
    this.failedSteps = 0;
    if (more) await this.ctx.storage.setAlarm(Date.now() + coordinatorTuning.sliceGapMs);
    else await this.ctx.storage.deleteAlarm();
  }

  private async advance(plan: RunPlan, startedAt: number): Promise<boolean> {
    if (this.store.runFinish() !== null) {
      await this.finalizeRun(plan, "done");
      return false;
    }
    // Leftovers of an interrupted invocation (or simply due): the ledger catches up first.
    if (this.flushDue()) await this.flushOutbox(plan);
    let jobs = this.store.jobs();
    // A finish decided before a crash is committed before anything else.
    const decided = jobs.find((job) => job.runtime.finish !== null && !TERMINAL_STATUS[job.status]);
    if (decided !== undefined) {
      await this.commitJobFinish(plan, decided);
      jobs = this.store.jobs();
    }
    if (this.store.cancelRequestedAt() !== null) {
      await this.finalizeRun(plan, "cancel");
      return false;
    }
    const current = jobs.find((job) => !TERMINAL_STATUS[job.status]);
    if (current === undefined) {
      await this.finalizeRun(plan, "done");
      return false;
    }
    const stopper = jobs.find((job) => job.status === "failed" && job.runtime.config?.limits.stop_on_failure === true);
    if (stopper !== undefined) {
      await this.finalizeRun(plan, "stop");
      return false;
    }

    const budget = new SliceBudget(
      { records: coordinatorTuning.sliceRecords, subrequests: coordinatorTuning.sliceSubrequests, wallMs: coordinatorTuning.sliceWallMs },
      startedAt,
    );
    const runtime = createSystemRuntime({ fetch: outboundFetch(this.env) });
    const worker = new JobWorker(
      {
        env: this.env,
        store: this.store,
        plan,
        budget,
        runtime,
        cancelSignal: this.cancelController.signal,
        credentialHeaders: () => this.credentials(plan, runtime),
        durable: () => this.ctx.storage.sync(),
        compiled: this.compiled,
        tuning: coordinatorTuning,
        // Throttled by the publisher; a status change is published apart from this.
        onProgress: () => void this.publishJob(plan, current, false),
      },
      current,
    );

    if (current.status === "pending") {
      await this.startJob(plan, current, worker);
      return true;
    }
    const result = await worker.work();
    const [after] = this.store.jobs().filter((job) => job.plan.job_id === current.plan.job_id);
    if (result === "finished" && after !== undefined) await this.commitJobFinish(plan, after);
    else if (this.flushDue()) await this.flushOutbox(plan);
    if (result === "canceled" || this.store.cancelRequestedAt() !== null) {
      await this.finalizeRun(plan, "cancel");
      return false;
    }
    // A finished job was published by commitJobFinish with its final status.
    if (after !== undefined && result !== "finished") await this.publishJob(plan, after, false);
    return true;
  }

  private credentials(plan: RunPlan, runtime: ReturnType<typeof createSystemRuntime>): Promise<CredentialHeaders> {
    this.credentialHeaders ??= loadCredentialAuth(this.env, plan.credential_id)
      .then((auth) => {
        this.sending = createCredentialHeaders(auth, { runtime });
        return this.sending;
      })
      .catch((error: unknown) => {
        this.credentialHeaders = null;
        throw error;
      });
    return this.credentialHeaders;
  }

  private async startJob(plan: RunPlan, job: JobCheckpoint, worker: JobWorker): Promise<void> {
    // Each job reads the credential afresh, so a secret replaced meanwhile is used from the next job on.
    this.credentialHeaders = null;
    const started = await worker.prepare();
    const jobId = job.plan.job_id;
    await commit(
      this.env.LEDGER,
      jobStartStatements(this.env.LEDGER, {
        job: this.identity(plan, job),
        now: started.runtime.started_at ?? Date.now(),
        connectionVersion: started.version,
        inScope: started.inScope,
        mode: job.plan.mode,
        resetConnection: plan.reset && plan.type === "full" && started.setupError === null,
      }),
    );
    this.pokeAlerts();
    this.store.atomically(() => {
      this.store.saveJob(jobId, "running", started.runtime);
      this.store.setTally(jobId, { in_scope: started.inScope ?? 0 });
      this.store.appendLog({ job_id: jobId, at: Date.now(), level: "INFO", message: worker.describeStart(started), serial: null });
    });
    if (started.setupError !== null) worker.decideFinish(started.runtime, "failed", started.setupError);
    const [after] = this.store.jobs().filter((j) => j.plan.job_id === jobId);
    if (after !== undefined) await this.publishJob(plan, after, true);
  }

  private flushDue(): boolean {
    return this.lastFlushAt === null ||
      Date.now() - this.lastFlushAt >= coordinatorTuning.flushEveryMs ||
      this.store.outboxOutcomes() >= coordinatorTuning.flushEveryRecords ||
      this.store.cancelRequestedAt() !== null;
  }

  // Outcomes, logs and counters in one D1 batch of a few statements, then dropped from the outbox.
  private async flushOutbox(plan: RunPlan, extra: D1PreparedStatement[] = []): Promise<void> {
    this.lastFlushAt = Date.now();
    for (;;) {
      const outbox = this.store.outbox(FLUSH_ROWS);
      const emptied = this.store.outboxSize() === outbox.outcomes.length + outbox.logs.length;
      const jobIds = new Set([...outbox.outcomes.map((o) => o.job_id), ...outbox.logs.map((l) => l.job_id)]);
      for (const job of this.store.jobs()) if (job.status === "running") jobIds.add(job.plan.job_id);
      const runtimes = new Map(this.store.jobs().map((job) => [job.plan.job_id, job.runtime]));
      const counters = [...jobIds].map((jobId) => ({ jobId, counters: this.scopedCounters(jobId, runtimes.get(jobId) ?? null) }));
      const statements = [
        ...sliceFlushStatements(this.env.LEDGER, plan.run_id, outbox.outcomes, outbox.logs, counters),
        ...(emptied ? extra : []),
      ];
      await commit(this.env.LEDGER, statements);
      if (outbox.lastOutcomeId > 0 || outbox.lastLogId > 0) this.store.dropFlushed(outbox.lastOutcomeId, outbox.lastLogId);
      if (emptied) return;
    }
  }

  private identity(plan: RunPlan, job: JobCheckpoint) {
    return { id: job.plan.job_id, run_id: plan.run_id, connection_id: job.plan.connection_id, connection_name: job.plan.connection_name };
  }

  private async commitJobFinish(plan: RunPlan, job: JobCheckpoint): Promise<void> {
    const finish = job.runtime.finish;
    if (finish === null) return;
    const runtime = job.runtime;
    const advance = finish.status === "completed" && plan.type === "full" && job.plan.mode === "live"
      ? { cursor: nextCursor(runtime) }
      : null;
    await this.flushOutbox(
      plan,
      jobFinishStatements(this.env.LEDGER, {
        job: this.identity(plan, job),
        from: "running",
        status: finish.status,
        now: finish.at,
        startedAt: runtime.started_at,
        counters: this.store.counters(job.plan.job_id),
        error: finish.error,
        connection: finish.ran ? { mode: job.plan.mode, advanceCursor: advance } : null,
      }),
    );
    this.pokeAlerts();
    this.store.atomically(() => {
      this.store.saveJob(job.plan.job_id, finish.status, { ...runtime, phase: "done" });
      this.store.clearQueue(job.plan.job_id);
    });
    const [after] = this.store.jobs().filter((j) => j.plan.job_id === job.plan.job_id);
    if (after !== undefined) await this.publishJob(plan, after, true);
  }

  // Every job not yet finished becomes canceled (by request, or because a stop-on-failure job failed),
  // then the run's status follows its jobs. Decided once and stored first, so a replay commits the same.
  private async finalizeRun(plan: RunPlan, reason: FinalizeReason): Promise<void> {
    const decided = this.store.runFinish();
    const at = decided?.at ?? Date.now();
    const jobs = this.store.jobs();
    const stopper = jobs.find((job) => job.status === "failed" && job.runtime.config?.limits.stop_on_failure === true);
    const statements: D1PreparedStatement[] = [];
    const finals = new Map<string, { runtime: JobRuntime; status: RunStatus }>();

    for (const job of jobs) {
      if (TERMINAL_STATUS[job.status]) {
        finals.set(job.plan.job_id, { runtime: job.runtime, status: job.status });
        continue;
      }
      const ran = job.status === "running";
      const error: JobError | null = !ran && stopper !== undefined && reason !== "cancel"
        ? {
            code: "stopped_by_failure",
            http_status: null,
            message: `Not run: "${stopper.plan.connection_name}" failed and its connection stops the run on failure`,
            hint: "Fix the failed connection, then rerun the failed connections",
          }
        : null;
      if (ran && decided === null) {
        const counters = this.store.counters(job.plan.job_id);
        this.store.appendLog({
          job_id: job.plan.job_id,
          at,
          level: "INFO",
          message: `Canceled after ${counters.processed} of ${counters.in_scope} records; results so far are kept`,
          serial: null,
        });
      }
      statements.push(
        ...jobFinishStatements(this.env.LEDGER, {
          job: this.identity(plan, job),
          from: ran ? "running" : "pending",
          status: "canceled",
          now: at,
          startedAt: job.runtime.started_at,
          counters: ran ? this.store.counters(job.plan.job_id) : null,
          error,
          connection: ran ? { mode: job.plan.mode, advanceCursor: null } : null,
        }),
      );
      finals.set(job.plan.job_id, { runtime: { ...job.runtime, phase: "done", finish: { status: "canceled", at, error, ran } }, status: "canceled" });
    }

    const statuses = [...finals.values()].map((f) => f.status);
    const canceledNow = jobs.some((job) => !TERMINAL_STATUS[job.status]);
    const status: "completed" | "failed" | "canceled" = decided?.status ??
      (reason === "cancel" && canceledNow
        ? "canceled"
        : statuses.includes("failed") ? "failed" : statuses.includes("canceled") ? "canceled" : "completed");
    if (decided === null) this.store.setRunFinish({ status, at, committed: false });
    const firstFailure = jobs.find((job) => job.status === "failed");
    const errorSummary = status === "canceled"
      ? "Canceled"
      : firstFailure?.runtime.finish?.error
        ? `${firstFailure.plan.connection_name}: ${firstFailure.runtime.finish.error.message}`
        : null;
    statements.push(
      ...runFinishStatements(this.env.LEDGER, {
        run: { id: plan.run_id, credential_id: plan.credential_id },
        status,
        now: at,
        startedAt: plan.started_at,
        succeeded: statuses.filter((s) => s === "completed").length,
        failed: statuses.filter((s) => s === "failed").length,
        errorSummary,
      }),
    );
    await this.flushOutbox(plan, statements);
    this.pokeAlerts();
    this.store.atomically(() => {
      for (const [jobId, final] of finals) this.store.saveJob(jobId, final.status, final.runtime);
      this.store.setRunFinish({ status, at, committed: true });
    });
    this.store.releaseWorkState();

    for (const job of this.store.jobs()) await this.publishJob(plan, job, true);
    await this.publishRun(plan.run_id);
    // The credential's slot is free: the oldest pending run (if any) starts now.
    try {
      await startNextRun(this.env, plan.credential_id);
    } catch (error) {
      console.error("could not start the next pending run", plan.credential_id, error);
    }
  }

  private async publishJob(plan: RunPlan, job: JobCheckpoint, force: boolean): Promise<void> {
    await this.live.offerJob(toJobSummary(this.jobRow(plan, job), job.plan.mode), force);
  }

  // Run messages carry the jobs too: a dashboard may see this run for the first time.
  private async publishRun(runId: string): Promise<void> {
    const detail = await readRunDetail(this.env.LEDGER, runId);
    if (detail === null) return;
    const { jobs, ...run } = detail;
    await this.live.publishRun(run, jobs);
  }

  // Status changes wrote events: the dispatcher turns them into alert deliveries now rather than at the next cron.
  private pokeAlerts(): void {
    this.ctx.waitUntil(pokeAlertDispatcher(this.env));
  }

  private scopedCounters(jobId: string, runtime: JobRuntime | null): ScopedCounterValues {
    const counters = this.store.counters(jobId);
    return runtime === null || scopeCounted(runtime) ? counters : { ...counters, in_scope: null };
  }

  private jobRow(plan: RunPlan, job: JobCheckpoint): JobRow {
    const counters = this.scopedCounters(job.plan.job_id, job.runtime);
    const finish = TERMINAL_STATUS[job.status] ? job.runtime.finish : null;
    const error = finish?.error ?? null;
    const startedAt = job.runtime.started_at;
    return {
      id: job.plan.job_id,
      run_id: plan.run_id,
      connection_id: job.plan.connection_id,
      connection_name: job.plan.connection_name,
      connection_version: job.runtime.version,
      position: job.plan.position,
      status: job.status,
      mode: job.plan.mode,
      ...counters,
      in_scope: counters.in_scope,
      error_code: error?.code ?? null,
      error_http_status: error?.http_status ?? null,
      error_message: error?.message ?? null,
      error_hint: error?.hint ?? null,
      created_at: job.plan.created_at,
      started_at: startedAt,
      finished_at: finish?.at ?? null,
      duration_ms: finish && startedAt !== null ? finish.at - startedAt : null,
    };
  }
}

// The highest updated-at the job saw, never behind the cursor it started from.
function nextCursor(runtime: JobRuntime): string | null {
  const previous = runtime.cursor === null ? Number.NaN : Date.parse(runtime.cursor);
  if (runtime.max_seen_ms === null) return runtime.cursor;
  const next = Number.isNaN(previous) ? runtime.max_seen_ms : Math.max(previous, runtime.max_seen_ms);
  return new Date(next).toISOString();
}
