import { DurableObject } from "cloudflare:workers";
import { createCredentialHeaders, type CredentialHeaders } from "../engine/credential-auth";
import { createRedactor } from "../engine/redactor";
import { createSystemRuntime } from "../engine/runtime";
import type { Env } from "../env";
import { enqueueAlertEvents } from "../alerts/alert-queue";
import { judgeConnectionPause } from "../alerts/pause-alerts";
import { publishLive } from "../live/publish";
import { readRunDetail } from "../ledger/run-reads";
import { toJobSummary } from "../ledger/run-views";
import { jobCountersOf, type JobCounterValues, type JobError, type JobRow } from "../ledger/run-rows";
import { TERMINAL_STATUS, type RunStatus } from "../schemas/vocabulary";
import { commit, getRunRow, jobFinishStatements, jobStartStatements, listRunJobRows, runFinishStatements, sliceFlushStatements } from "../ledger/run-writes";
import { outboundFetch } from "../outbound";
import { coordinatorConfig, stepRetryDelay, type CoordinatorConfig } from "./coordinator-config";
import { checkpointJobRow, scopedCounters } from "./checkpoint-job-row";
import { archiveDayOf, exceptionsOmitted, planFlush } from "./archive-flush";
import { CoordinatorStore, type JobCheckpoint, type RunPlan } from "./coordinator-store";
import { jobArchives, writeJobArchives } from "./job-archives";
import { loadCredentialAuth } from "./credential-loader";
import { JobStep, type CompiledContracts } from "./job-step";
import { incrementalSince } from "./job-scope";
import { settleWaitingReadBacks } from "./read-back-outcomes";
import { LivePublisher } from "./live-publisher";
import { PhaseClock, type PhaseTotals } from "./phase-clock";
import { RunEstimates } from "./run-eta";
import type { PromotedRunStart } from "./promoted-run-start";
import { cursorAdvance, decideRunFinish, stoppingJob, type FinishReason } from "./run-finish";
import { jobCanceled } from "./run-log";
import { startNextRun } from "./run-service";
import { SliceBudget } from "./slice-budget";
import { admitSlice, reportSlice, type GateVerdict } from "../breakers/breaker-gate";
import { destinationHosts, HostTallies } from "../breakers/host-tallies";
import { resumedLine, waitingReason } from "../breakers/breaker-words";
import { jobWaitingStatement } from "../ledger/destination-breakers";
import { log } from "../observability/log";
import { RunTelemetry } from "../observability/run-telemetry";

// Rows of each outbox table per flush pass: one archive chunk each and one index rewrite per pass, so a job of
// 100,000 records rewrites its growing index.json 20 times rather than 100.
const FLUSH_ROWS = 5_000;
// A probe of a destination whose breaker is open: one record, stopped after its first answer.
const PROBE_LIMITS = { records: 1, subrequests: 1 } as const;

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

export class RunCoordinator extends DurableObject<Env> {
  private readonly store: CoordinatorStore;
  private readonly live: LivePublisher;
  private readonly cancelController = new AbortController();
  private readonly compiled = new Map<string, CompiledContracts>();
  private credentialHeaders: Promise<CredentialHeaders> | null = null;
  // The credential the current job sends with; what it sends (tokens fetched later included) is masked
  // in everything the store keeps.
  private sending: CredentialHeaders | null = null;
  // The step at work, which the token requests of the credential are logged to.
  private currentStep: JobStep | null = null;
  private busy: Promise<void> | null = null;
  private lastFlushAt: number | null = null;
  // Outbox flushes run one at a time, in order. One that fell due during a slice runs beside it (the slice does
  // not wait for the archive and the ledger) and is awaited where the step ends, so its failure fails the step.
  private flushChain: Promise<unknown> = Promise.resolve();
  private besideFlush: Promise<void> | null = null;
  private besideRunning = false;
  private failedSteps = 0;
  // Set by a step whose job waits on an open destination breaker: when to look again.
  private resumeAt: number | null = null;
  private readonly estimates = new RunEstimates();
  // Where this object's time went (the throughput bench reads it through phases()); when the last step ended.
  private readonly clock = new PhaseClock();
  private lastStepEnd: number | null = null;
  // Read once per object from the env; a test may give one object its own (see run-fixtures' tuneRun).
  private config: CoordinatorConfig;
  private readonly telemetry: RunTelemetry;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = coordinatorConfig(env);
    const redactor = createRedactor(() => this.sending?.secrets() ?? []);
    this.store = new CoordinatorStore(ctx.storage.sql, (fn) => ctx.storage.transactionSync(fn), redactor);
    this.telemetry = new RunTelemetry(
      env,
      (work) => ctx.waitUntil(work),
      (text) => redactor.redact(text),
    );
    // Fire and forget: a step hands messages over and goes on; waitUntil keeps their delivery alive.
    this.live = new LivePublisher(
      (credentialId, message) => publishLive(env, credentialId, message),
      (work) => ctx.waitUntil(work),
    );
    void ctx.blockConcurrencyWhile(async () => {
      // After an eviction or restart an unfinished run must have an alarm, or nothing would resume it; a
      // finished one keeps one until its storage is released.
      if (this.store.plan() !== null && (await ctx.storage.getAlarm()) === null) {
        await ctx.storage.setAlarm(Date.now() + this.config.retryDelayMs);
      }
    });
  }

  async start(runId: string): Promise<CoordinatorSnapshot> {
    const plan = await this.ensurePlan(runId);
    if (plan !== null && !this.finished()) {
      await this.ctx.storage.setAlarm(Date.now() + this.config.sliceGapMs);
      await this.publishRun(plan.run_id);
    }
    return this.snapshot(runId);
  }

  // start() for a caller that has just promoted the run and hands over its rows: nothing is read from D1. A
  // start lost on the way is recovered as start's is: the minute trigger's kickRuns starts running runs again.
  async startPromoted(start: PromotedRunStart): Promise<void> {
    if (this.store.plan() !== null) {
      await this.start(start.plan.run_id);
      return;
    }
    this.store.initialise(start.plan);
    await this.ctx.storage.setAlarm(Date.now() + this.config.sliceGapMs);
    const { jobs, ...run } = start.detail;
    this.estimates.published(run);
    this.live.publishRun(run, jobs);
  }

  // Takes effect at once: in-flight requests are aborted and the run is finished before this returns.
  async cancel(runId: string): Promise<CoordinatorSnapshot> {
    const plan = await this.ensurePlan(runId);
    if (plan === null || this.finished()) return this.snapshot(runId);
    this.store.requestCancel(Date.now());
    this.cancelController.abort(new Error("the run was canceled"));
    await this.runStep();
    if (!this.finished()) await this.runStep();
    return this.snapshot(runId);
  }

  // Without a plan (not started yet, or finished and its storage released) the ledger's rows answer.
  async snapshot(runId: string | undefined = this.ctx.id.name): Promise<CoordinatorSnapshot> {
    const plan = this.store.plan();
    if (plan === null) return this.ledgerSnapshot(runId ?? null);
    const finish = this.store.runFinish();
    return {
      run_id: plan.run_id,
      status: finish?.committed ? finish.status : "running",
      cancel_requested: this.store.cancelRequestedAt() !== null,
      jobs: this.store.jobs().map((job) => ({
        job_id: job.plan.job_id,
        connection_id: job.plan.connection_id,
        status: job.status,
        phase: job.progress.phase,
        queued: this.store.queueSize(job.plan.job_id),
        counters: this.store.counters(job.plan.job_id),
        error: job.progress.finish?.error ?? null,
      })),
    };
  }

  private async ledgerSnapshot(runId: string | null): Promise<CoordinatorSnapshot> {
    const run = runId === null ? null : await getRunRow(this.env.LEDGER, runId);
    if (run === null) return { run_id: null, status: "unknown", cancel_requested: false, jobs: [] };
    const jobs = await listRunJobRows(this.env.LEDGER, run.id);
    return {
      run_id: run.id,
      status: run.status,
      cancel_requested: run.cancel_requested_at !== null,
      jobs: jobs.map((job) => ({
        job_id: job.id,
        connection_id: job.connection_id,
        status: job.status,
        phase: TERMINAL_STATUS[job.status] ? "done" : "pending",
        queued: 0,
        counters: ledgerCounters(job),
        error:
          job.error_code === null
            ? null
            : { code: job.error_code, http_status: job.error_http_status, message: job.error_message ?? "", hint: job.error_hint ?? "" },
      })),
    };
  }

  override async alarm(): Promise<void> {
    await this.runStep();
  }

  /** Milliseconds per phase of the steps this object ran since it was loaded (for the throughput bench). */
  phases(): PhaseTotals {
    return this.clock.snapshot();
  }

  // A destination breaker this run waits on has closed: look again now rather than at the next probe time.
  async wake(): Promise<void> {
    if (this.store.plan() === null || this.finished()) return;
    await this.ctx.storage.setAlarm(Date.now());
  }

  private finished(): boolean {
    return this.store.runFinish()?.committed === true;
  }

  // One step at a time: an alarm arriving while a step runs (a test driving alarms, a watchdog) waits for it.
  private runStep(): Promise<void> {
    this.busy ??= this.step().finally(() => {
      this.busy = null;
      this.telemetry.flush();
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
        archive_day: job.archive_day,
        ...(job.plan_job_id ? { plan_job_id: job.plan_job_id } : {}),
      })),
    };
    this.store.initialise(plan);
    if (run.cancel_requested_at !== null) this.store.requestCancel(run.cancel_requested_at);
    return plan;
  }

  private async step(): Promise<void> {
    const plan = this.store.plan();
    if (plan === null) return;
    if (this.finished()) {
      await this.release(plan);
      return;
    }
    const startedAt = Date.now();
    if (this.lastStepEnd !== null) this.clock.since("between_steps", this.lastStepEnd);
    try {
      await this.clock.time("alarm", this.ctx.storage.setAlarm(startedAt + this.config.watchdogMs));
      await this.stepFrom(plan, startedAt);
    } finally {
      this.lastStepEnd = Date.now();
    }
  }

  private async stepFrom(plan: RunPlan, startedAt: number): Promise<void> {
    let more: boolean;
    this.resumeAt = null;
    try {
      more = await this.advance(plan, startedAt);
    } catch (error) {
      // D1 or storage trouble: the checkpoint is intact, so the same step is tried again, backing off so an
      // outage of minutes costs a few invocations rather than one every two seconds.
      this.failedSteps += 1;
      const delay = stepRetryDelay(this.failedSteps, this.config);
      log.error("run coordinator step failed; retrying", { run_id: plan.run_id, failed_steps: this.failedSteps, retry_in_ms: delay, error });
      await this.ctx.storage.setAlarm(Date.now() + delay);
      return;
    }
    this.failedSteps = 0;
    // A finished run keeps an alarm too: its storage is released in the steps that follow.
    if (more || this.finished()) await this.clock.time("alarm", this.ctx.storage.setAlarm(this.resumeAt ?? Date.now() + this.config.sliceGapMs));
    else await this.ctx.storage.deleteAlarm();
  }

  // Once the run is finished and committed: every job's archive sealed, the tables that grow with the run's
  // records emptied one bounded batch per alarm, then the whole storage deleted. The ledger answers from then on.
  private async release(plan: RunPlan): Promise<void> {
    const unsealed = plan.jobs.filter((job) => archiveDayOf(job) !== null && !this.store.archive(job.job_id).sealed).map((job) => job.job_id);
    if (unsealed.length > 0) await this.flushOutbox(plan, [], unsealed);
    if (this.store.releaseBatch(this.config.releaseBatchRows) > 0) {
      await this.ctx.storage.setAlarm(Date.now() + this.config.sliceGapMs);
      return;
    }
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  private async advance(plan: RunPlan, startedAt: number): Promise<boolean> {
    if (this.store.runFinish() !== null) {
      await this.clock.time("finish", this.finalizeRun(plan, "done"));
      return false;
    }
    // Leftovers of an interrupted invocation (or simply due): the ledger catches up first.
    if (this.flushDue()) await this.clock.time("flush", this.flushOutbox(plan));
    let jobs = this.store.jobs();
    // A finish decided before a crash is committed before anything else.
    const decided = jobs.find((job) => job.progress.finish !== null && !TERMINAL_STATUS[job.status]);
    if (decided !== undefined) {
      await this.commitJobFinish(plan, decided);
      jobs = this.store.jobs();
    }
    if (this.store.cancelRequestedAt() !== null) {
      await this.clock.time("finish", this.finalizeRun(plan, "cancel"));
      return false;
    }
    const current = jobs.find((job) => !TERMINAL_STATUS[job.status]);
    if (current === undefined) {
      await this.clock.time("finish", this.finalizeRun(plan, "done"));
      return false;
    }
    if (stoppingJob(jobs) !== undefined) {
      await this.clock.time("finish", this.finalizeRun(plan, "stop"));
      return false;
    }

    // Before a slice of a started job: may it send to its destination hosts, and is it their probe?
    let probe = false;
    if (current.status === "running") {
      const verdict = await this.clock.time("admit", this.admitJob(plan, current));
      if (verdict.kind === "wait") {
        await this.holdJob(plan, current, verdict);
        this.resumeAt = verdict.until;
        return true;
      }
      probe = verdict.probe;
      if (!probe && current.progress.waiting) await this.releaseJob(plan, current);
    }
    const tallies = new HostTallies();
    const budget = new SliceBudget(
      {
        records: probe ? PROBE_LIMITS.records : this.config.sliceRecords,
        subrequests: probe ? PROBE_LIMITS.subrequests : this.config.sliceSubrequests,
        wallMs: this.config.sliceWallMs,
      },
      startedAt,
    );
    const runtime = createSystemRuntime({ fetch: outboundFetch(this.env) });
    const slice = this.telemetry.slice(plan, current, () => this.store.counters(current.plan.job_id));
    const jobStep = new JobStep(
      {
        env: this.env,
        store: this.store,
        plan,
        budget,
        runtime,
        cancelSignal: this.cancelController.signal,
        credentialHeaders: () => this.credentials(plan, runtime),
        compiled: this.compiled,
        config: this.config,
        // Throttled by the publisher; a status change is published apart from this.
        onProgress: () => {
          this.publishJob(plan, current, false);
          this.flushBeside(plan);
        },
        onRequest: (attempt) => {
          tallies.observe(attempt);
          slice.request(attempt);
        },
        traceContext: slice.context,
        clock: this.clock,
      },
      current,
    );

    this.currentStep = jobStep;
    if (current.status === "pending") {
      await this.clock.time("job_start", this.startJob(plan, current, jobStep));
      return true;
    }
    let result: Awaited<ReturnType<JobStep["work"]>>;
    try {
      result = await jobStep.work();
    } finally {
      // A cancel is answered first; what a canceled slice saw is not worth its wait.
      if (this.store.cancelRequestedAt() === null) await this.clock.time("report", reportSlice(this.env, tallies, plan.run_id));
      await this.awaitBesideFlush();
    }
    const [after] = this.store.jobs().filter((job) => job.plan.job_id === current.plan.job_id);
    if (result === "finished" && after !== undefined) await this.clock.time("finish", this.commitJobFinish(plan, after));
    else if (this.flushDue()) await this.clock.time("flush", this.flushOutbox(plan));
    if (result === "canceled" || this.store.cancelRequestedAt() !== null) {
      await this.clock.time("finish", this.finalizeRun(plan, "cancel"));
      return false;
    }
    // A finished job was published by commitJobFinish with its final status.
    if (after !== undefined && result !== "finished") this.publishJob(plan, after, false);
    return true;
  }

  private async admitJob(plan: RunPlan, job: JobCheckpoint): Promise<GateVerdict> {
    const config = job.progress.config;
    if (config === null) return { kind: "go", probe: false };
    return admitSlice(this.env, destinationHosts(config), plan.run_id);
  }

  // The job stays running and holds its place; the ledger, the log and the live feed say why and until when.
  private async holdJob(plan: RunPlan, job: JobCheckpoint, verdict: Extract<GateVerdict, { kind: "wait" }>): Promise<void> {
    const before = job.progress.waiting ?? null;
    if (before?.host === verdict.host && before.until === verdict.until) return;
    const waiting = { host: verdict.host, until: verdict.until };
    const progress = { ...job.progress, waiting };
    this.store.atomically(() => {
      this.store.saveJob(job.plan.job_id, "running", progress);
      if (before === null)
        this.store.appendLog({ job_id: job.plan.job_id, at: Date.now(), level: "WARN", message: waitingReason(waiting.host, waiting.until), serial: null });
    });
    await commit(this.env.LEDGER, [jobWaitingStatement(this.env.LEDGER, job.plan.job_id, waiting)]);
    this.publishJob(plan, { ...job, progress }, true);
  }

  private async releaseJob(plan: RunPlan, job: JobCheckpoint): Promise<void> {
    const host = job.progress.waiting?.host ?? "";
    job.progress.waiting = null;
    this.store.atomically(() => {
      this.store.saveJob(job.plan.job_id, "running", job.progress);
      this.store.appendLog({ job_id: job.plan.job_id, at: Date.now(), level: "INFO", message: resumedLine(host), serial: null });
    });
    await commit(this.env.LEDGER, [jobWaitingStatement(this.env.LEDGER, job.plan.job_id, null)]);
    this.publishJob(plan, job, true);
  }

  private credentials(plan: RunPlan, runtime: ReturnType<typeof createSystemRuntime>): Promise<CredentialHeaders> {
    this.credentialHeaders ??= loadCredentialAuth(this.env, plan.credential_id)
      .then((auth) => {
        this.sending = createCredentialHeaders(auth, { runtime, onAttempt: (attempt) => this.currentStep?.recordRequest(attempt) });
        return this.sending;
      })
      .catch((error: unknown) => {
        this.credentialHeaders = null;
        throw error;
      });
    return this.credentialHeaders;
  }

  private async startJob(plan: RunPlan, job: JobCheckpoint, jobStep: JobStep): Promise<void> {
    // Each job reads the credential afresh, so a secret replaced meanwhile is used from the next job on.
    this.credentialHeaders = null;
    const started = await jobStep.prepare();
    const jobId = job.plan.job_id;
    const events = await commit(
      this.env.LEDGER,
      jobStartStatements(this.env.LEDGER, {
        job: this.identity(plan, job),
        now: started.progress.started_at ?? Date.now(),
        connectionVersion: started.version,
        inScope: started.inScope,
        mode: job.plan.mode,
        incrementalSince: incrementalSince(started.progress.source),
        // A dry reset run previews complete reconciliation: it reads everything but leaves the cursor and retry list
        // to the live runs, so the next live run is the one it would have been.
        resetConnection: plan.reset && plan.type === "full" && job.plan.mode === "live" && started.setupError === null,
      }),
    );
    this.pokeAlerts(events);
    this.store.atomically(() => {
      this.store.saveJob(jobId, "running", started.progress);
      this.store.setTally(jobId, { in_scope: started.inScope ?? 0 });
      this.store.appendLog({ job_id: jobId, at: Date.now(), level: "INFO", message: jobStep.describeStart(started), serial: null });
    });
    if (started.setupError !== null) jobStep.decideFinish(started.progress, "failed", started.setupError);
    const [after] = this.store.jobs().filter((j) => j.plan.job_id === jobId);
    if (after !== undefined) this.publishJob(plan, after, true);
  }

  private flushDue(): boolean {
    return (
      this.lastFlushAt === null ||
      Date.now() - this.lastFlushAt >= this.config.flushEveryMs ||
      this.store.outboxOutcomes() >= this.config.flushEveryRecords ||
      this.store.cancelRequestedAt() !== null
    );
  }

  // Each pass: the outbox's outcomes and its log lines as one chunk per job in the archive and each such job's
  // index, then counters, the bounded exceptions and the latest-outcome changes in one D1 batch, then the rows
  // are dropped in the transaction that advances the jobs' chunk numbers, so a pass replayed after a crash
  // writes the same chunk keys and the same rows again. `seal`: jobs whose index is sealed once the outbox is empty.
  // Returns the ids of the outbox events `extra` wrote.
  private flushOutbox(plan: RunPlan, extra: D1PreparedStatement[] = [], seal: readonly string[] = []): Promise<string[]> {
    const flush = this.flushChain.then(() => this.drainOutbox(plan, extra, seal));
    this.flushChain = flush.catch(() => undefined);
    return flush;
  }

  private flushBeside(plan: RunPlan): void {
    if (this.besideRunning || !this.flushDue()) return;
    this.besideRunning = true;
    this.lastFlushAt = Date.now();
    const flush = this.clock.time("flush_beside", this.flushOutbox(plan)).finally(() => {
      this.besideRunning = false;
    });
    const all = this.besideFlush === null ? flush.then(() => undefined) : Promise.all([this.besideFlush, flush]).then(() => undefined);
    // Handled where the step awaits it.
    all.catch(() => undefined);
    this.besideFlush = all;
  }

  private async awaitBesideFlush(): Promise<void> {
    const flush = this.besideFlush;
    this.besideFlush = null;
    if (flush !== null) await flush;
  }

  private async drainOutbox(plan: RunPlan, extra: D1PreparedStatement[], seal: readonly string[]): Promise<string[]> {
    this.lastFlushAt = Date.now();
    for (;;) {
      const outbox = this.store.outbox(FLUSH_ROWS);
      const emptied = this.store.outboxSize() === outbox.outcomes.length + outbox.logs.length + outbox.requests.length + outbox.plans.length;
      const checkpoints = this.store.jobs();
      const now = Date.now();
      const archived = jobArchives(this.store);
      const flush = planFlush(outbox.outcomes, outbox.logs, archived.states, this.config.exceptionsPerJob, outbox.requests, outbox.plans);
      const archives = await writeJobArchives(this.env.ARCHIVE, plan.run_id, archived, flush, new Set(emptied ? seal : []));

      const jobIds = new Set([...outbox.outcomes.map((o) => o.job_id), ...outbox.logs.map((l) => l.job_id)]);
      for (const job of checkpoints) if (job.status === "running") jobIds.add(job.plan.job_id);
      const counters = checkpoints
        .filter((job) => jobIds.has(job.plan.job_id))
        .map((job) => {
          const values = this.store.counters(job.plan.job_id);
          const omitted = archiveDayOf(job.plan) === null ? 0 : exceptionsOmitted(values, this.config.exceptionsPerJob);
          const etaFinishAt = this.estimates.jobFinishAt(job, values, now);
          return { jobId: job.plan.job_id, counters: scopedCounters(values, job.progress), exceptionsOmitted: omitted, etaFinishAt };
        });
      await this.estimates.loadHistory(this.env.LEDGER, checkpoints);
      const runEtaFinishAt = this.estimates.runFinishAt(checkpoints, (jobId) => this.store.counters(jobId), now);
      const statements = sliceFlushStatements(this.env.LEDGER, plan.run_id, {
        outcomes: flush.ledgerOutcomes,
        logs: flush.ledgerLogs,
        latest: flush.latest,
        counters,
        runEtaFinishAt,
      });
      const events = await commit(this.env.LEDGER, [...statements, ...(emptied ? extra : [])]);
      const runUpdate = this.estimates.runUpdate(runEtaFinishAt, now);
      if (runUpdate !== null) this.live.publishRun(runUpdate);
      if (outbox.lastOutcomeId > 0 || outbox.lastLogId > 0 || outbox.lastRequestId > 0 || outbox.lastPlanId > 0 || archives.length > 0) {
        this.store.dropFlushed(outbox, archives);
      }
      if (emptied) return events;
    }
  }

  private identity(plan: RunPlan, job: JobCheckpoint) {
    return { id: job.plan.job_id, run_id: plan.run_id, connection_id: job.plan.connection_id, connection_name: job.plan.connection_name };
  }

  private async commitJobFinish(plan: RunPlan, job: JobCheckpoint): Promise<void> {
    const { progress } = job;
    const finish = progress.finish;
    if (finish === null) return;
    const events = await this.flushOutbox(
      plan,
      jobFinishStatements(this.env.LEDGER, {
        job: this.identity(plan, job),
        from: "running",
        status: finish.status,
        now: finish.at,
        startedAt: progress.started_at,
        counters: this.store.counters(job.plan.job_id),
        error: finish.error,
        connection: finish.ran ? { mode: job.plan.mode, advanceCursor: this.retryList(job, this.cursorAdvanceOf(plan, job)) } : null,
      }),
      [job.plan.job_id],
    );
    this.pokeAlerts(events);
    this.telemetry.jobFinished(plan, job, this.store.counters(job.plan.job_id));
    // A finish moves the failure streak, and with it the auto-pause warning, the pause and their recovery.
    if (finish.ran) {
      this.ctx.waitUntil(judgeConnectionPause(this.env, job.plan.connection_id, { now: finish.at, runId: plan.run_id, jobId: job.plan.job_id }));
    }
    this.store.atomically(() => {
      this.store.saveJob(job.plan.job_id, finish.status, { ...progress, phase: "done" });
      this.store.clearQueue(job.plan.job_id);
    });
    const [after] = this.store.jobs().filter((j) => j.plan.job_id === job.plan.job_id);
    if (after !== undefined) this.publishJob(plan, after, true);
  }

  // An apply job read only its plan's serials: the cursor and the retry list stay as the last full read left them.
  private cursorAdvanceOf(plan: RunPlan, job: JobCheckpoint) {
    const finish = job.progress.finish;
    if (finish === null || job.plan.plan_job_id) return null;
    return cursorAdvance(finish, plan, job.plan.mode, job.progress);
  }

  private retryList(job: JobCheckpoint, advance: { cursor: string | null } | null) {
    return advance === null ? null : { ...advance, failedSerials: this.store.failedSerials(job.plan.job_id) };
  }

  // Decided once (run-finish) and stored first, so a replay after a crash commits the same.
  private async finalizeRun(plan: RunPlan, reason: FinishReason): Promise<void> {
    const decided = this.store.runFinish();
    const at = decided?.at ?? Date.now();
    const end = decideRunFinish(this.store.jobs(), reason, decided, at);
    const statements: D1PreparedStatement[] = [];
    for (const { job, canceled } of end.jobs) {
      if (canceled === null) continue;
      const { ran, error } = canceled;
      // Writes held back for a verifying phase that will not come are counted before the counters are read.
      if (ran)
        settleWaitingReadBacks(this.store, job.plan.job_id, {
          at,
          why: "the run was canceled before they were read back",
          failureLogLimit: this.config.failureLogLimit,
        });
      if (ran && decided === null) {
        this.store.appendLog({ job_id: job.plan.job_id, at, level: "INFO", message: jobCanceled(this.store.counters(job.plan.job_id)), serial: null });
      }
      statements.push(
        ...jobFinishStatements(this.env.LEDGER, {
          job: this.identity(plan, job),
          from: ran ? "running" : "pending",
          status: "canceled",
          now: at,
          startedAt: job.progress.started_at,
          counters: ran ? this.store.counters(job.plan.job_id) : null,
          error,
          connection: ran ? { mode: job.plan.mode, advanceCursor: null } : null,
        }),
      );
    }
    if (decided === null) this.store.setRunFinish({ status: end.status, at, committed: false });
    statements.push(
      ...runFinishStatements(this.env.LEDGER, {
        run: { id: plan.run_id, credential_id: plan.credential_id },
        status: end.status,
        now: at,
        startedAt: plan.started_at,
        succeeded: end.succeeded,
        failed: end.failed,
        errorSummary: end.errorSummary,
      }),
    );
    // Every job's archive is complete with the run: jobs finished earlier are sealed already.
    const events = await this.flushOutbox(
      plan,
      statements,
      plan.jobs.filter((job) => !this.store.archive(job.job_id).sealed).map((job) => job.job_id),
    );
    this.pokeAlerts(events);
    this.store.atomically(() => {
      for (const final of end.jobs) this.store.saveJob(final.job.plan.job_id, final.status, final.progress);
      this.store.setRunFinish({ status: end.status, at, committed: true });
    });
    this.telemetry.runFinished(plan, end.status, at);

    for (const job of this.store.jobs()) this.publishJob(plan, job, true);
    await this.publishRun(plan.run_id);
    // The credential's slot is free: the oldest pending run (if any) starts now.
    try {
      await startNextRun(this.env, plan.credential_id);
    } catch (error) {
      log.error("could not start the next pending run", { run_id: plan.run_id, credential_id: plan.credential_id, error });
    }
  }

  private publishJob(plan: RunPlan, job: JobCheckpoint, force: boolean): void {
    const counters = this.store.counters(job.plan.job_id);
    const now = Date.now();
    const row = { ...checkpointJobRow(plan.run_id, job, counters), eta_finish_at: this.estimates.jobFinishAt(job, counters, now) };
    const summary = toJobSummary(row, job.plan.mode, now);
    this.live.offerJob(plan.credential_id, summary, force);
  }

  // Run messages carry the jobs too: a dashboard may see this run for the first time.
  private async publishRun(runId: string): Promise<void> {
    const detail = await readRunDetail(this.env.LEDGER, runId);
    if (detail === null) return;
    const { jobs, ...run } = detail;
    this.estimates.published(run);
    this.live.publishRun(run, jobs);
  }

  // Status changes wrote events: they go on the alerts queue now rather than at the next cron's sweep. A batch
  // replayed after a crash writes none; what the first attempt wrote is swept onto the queue by the minute cron.
  private pokeAlerts(eventIds: readonly string[]): void {
    if (eventIds.length > 0) this.ctx.waitUntil(enqueueAlertEvents(this.env, eventIds));
  }
}

function ledgerCounters(job: JobRow): JobCounterValues {
  const counters = jobCountersOf(job);
  return { ...counters, in_scope: counters.in_scope ?? 0 };
}
