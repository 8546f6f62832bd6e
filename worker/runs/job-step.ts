import { outboundUrlPolicy } from "../auth/url-safety";
import { createAdaptiveConcurrency, type AdaptiveConcurrency, type AdaptiveConcurrencyState } from "../engine/adaptive-concurrency";
import type { ConnectionConfig } from "../engine/contracts";
import { addTraffic, emptyCounters } from "../engine/counters";
import { credentialClientAuth, type CredentialHeaders } from "../engine/credential-auth";
import { diagnoseJob } from "../engine/errors";
import { createHttpClient, type HttpClient, type HttpEvent, type RequestAttempt, type TraceContext } from "../engine/http-client";
import { buildListingIndex, createDestinationLookup, type ListFetchContract } from "../engine/lookup";
import { pagedReadSpec, readRecordPages } from "../engine/paged-reader";
import { compareReadBack, readBackPlan, sampledForReadBack, verifiesWrites } from "../engine/read-back";
import { compileUpdateContract, type CompiledUpdate } from "../engine/payload";
import { compileMappingFor, type CompiledMapping } from "../engine/reconcile";
import type { EngineRuntime } from "../engine/runtime";
import { readSourcePages, type HttpSourceContract, type SourcePage } from "../engine/source-reader";
import type { Env } from "../env";
import { readConfigSettings, readRequestLogSetting } from "../ledger/config-settings";
import type { JobError } from "../ledger/run-rows";
import { REQUEST_BODY_EXCERPT_DEFAULT } from "../schemas/requests";
import type { JobStatus } from "../schemas/vocabulary";
import { countDatasetScope, countRetrySerials, readDatasetBatch, readDatasetRecord, readRunConnection, retrySerialsAmong } from "../ledger/run-scope";
import type { CoordinatorConfig } from "./coordinator-config";
import type { CoordinatorStore, JobCheckpoint, JobProgress, RunPlan, SourceProgress } from "./coordinator-store";
import { takeDatasetRows } from "./dataset-feed";
import { incrementalSince, needsRetryCount, planScope, startCursor } from "./job-scope";
import { sliceRecordsFor } from "./bulk-writes";
import { checkConnection, credentialError } from "./job-setup";
import { outcomeBatch } from "./outcome-batch";
import { distinctRecords, takeSourcePage } from "./paged-source-feed";
import { toRequestRecord, type RequestRecord } from "./request-record";
import { jobEnding } from "./run-finish";
import * as wording from "./run-log";
import { takeSingleSerial } from "./single-serial-feed";
import { readBackOutcome, settleWaitingReadBacks } from "./read-back-outcomes";
import { executeSlice, type RecordOutcome, type SliceReadBack } from "./slice-executor";
import type { SliceBudget } from "./slice-budget";
import type { FeedStep } from "./source-feed";
import { PhaseClock } from "./phase-clock";
import { createSqliteSerialIndex } from "./sqlite-serial-index";
import { archivedPlan } from "../archive/archive-reader";
import { readDatasetRecords, readPlanJob } from "../ledger/run-plans";
import { planExpiredMessage, planExpiresAt } from "./plan-state";
import { takePlannedRows, withPlannedRest } from "./plan-feed";

// One coordinator step's work on the current job, for the length of one alarm invocation: start the job, or
// read the destination listing, fill the queue from the source and run a slice over the engine. Everything
// it learns is checkpointed in the store as it happens; the coordinator flushes to D1 and commits status
// changes. The decisions are made by pure pieces (job-scope, job-setup, the source feeds, run-finish,
// run-log); this class does the reading, the storing and the order.

// Listing pages read between two saves of the read's position.
const LISTING_SAVE_EVERY_PAGES = 10;

export type JobStepConfig = Pick<
  CoordinatorConfig,
  | "checkpointEvery"
  | "checkpointEveryMs"
  | "sourceBatchRecords"
  | "failureStreakLimit"
  | "failureLogLimit"
  | "eventLogLimit"
  | "writeAhead"
  | "releaseBatchRows"
>;

export interface JobStepContext {
  // The ledger it reads the connection and the dataset from; the rules for outbound URLs.
  env: Pick<Env, "LEDGER" | "ENVIRONMENT" | "SANDBOX" | "ARCHIVE">;
  store: CoordinatorStore;
  plan: RunPlan;
  budget: SliceBudget;
  runtime: EngineRuntime;
  cancelSignal: AbortSignal;
  credentialHeaders: () => Promise<CredentialHeaders>;
  compiled: Map<string, CompiledContracts>;
  config: JobStepConfig;
  // Called after each checkpoint, so open dashboards see a slice's progress while it runs.
  onProgress?: () => void;
  // Every attempt of this step's requests, as it is answered (the destination breakers count them).
  onRequest?: (attempt: RequestAttempt) => void;
  // While traces are exported, each attempt's context (sent as its traceparent); null or absent otherwise.
  traceContext?: (() => TraceContext) | null;
  // Where the step's time goes (listing, filling the queue, the slice, checkpoints, waits for intents).
  clock?: PhaseClock;
}

export interface CompiledContracts {
  version: number;
  mapping: CompiledMapping;
  update: CompiledUpdate;
}

export type WorkResult = "more" | "finished" | "canceled";

export interface StartedJob {
  version: number;
  inScope: number | null;
  progress: JobProgress;
  setupError: JobError | null;
}

export class JobStep {
  private suppressedEvents = 0;
  private loggedEvents = 0;
  private unsaved: RecordOutcome[] = [];
  // Bytes of this invocation's requests, added to the tally with the next checkpoint.
  private readonly bytes = { sent: 0, received: 0 };
  // Request log entries since the last checkpoint: stored with it rather than one storage write per request,
  // so an invocation cut off before its checkpoint loses its entries (its records are looked up again).
  private requests: RequestRecord[] = [];
  private readonly clock: PhaseClock;
  private lastCheckpointAt: number;
  // This step's requests in flight, adapted to how the destination copes; its state is kept with the job.
  private adaptive: AdaptiveConcurrency | null = null;

  constructor(
    private readonly ctx: JobStepContext,
    private readonly job: JobCheckpoint,
  ) {
    this.clock = ctx.clock ?? new PhaseClock();
    this.lastCheckpointAt = ctx.runtime.now();
  }

  private get jobId(): string {
    return this.job.plan.job_id;
  }

  private log(level: wording.LogLevel, message: string, serial: string | null = null): void {
    this.ctx.store.appendLog({ job_id: this.jobId, at: this.ctx.runtime.now(), level, message, serial });
  }

  // One attempt of a request of this job (the client's, or the credential's token request).
  recordRequest(attempt: RequestAttempt): void {
    this.ctx.onRequest?.(attempt);
    this.requests.push(toRequestRecord(this.jobId, attempt, this.job.progress.request_body_bytes ?? REQUEST_BODY_EXCERPT_DEFAULT));
  }

  private saveRequests(): void {
    const records = this.requests;
    this.requests = [];
    this.ctx.store.appendRequests(this.jobId, records);
  }

  // Reads the connection as it is now (its version is the one the job runs with) and decides the scope.
  async prepare(): Promise<StartedJob> {
    try {
      return await this.prepareJob();
    } finally {
      // The token request made to check the credential.
      this.saveRequests();
    }
  }

  private async prepareJob(): Promise<StartedJob> {
    const { env, plan } = this.ctx;
    // Set on the job's own progress too, so the token request below is cut to it.
    this.job.progress.request_body_bytes = (await readRequestLogSetting(env.LEDGER)).body_excerpt_bytes;
    const progress: JobProgress = { ...this.job.progress, started_at: this.ctx.runtime.now() };
    const failed = (error: JobError, version: number): StartedJob => ({ version, inScope: null, progress, setupError: error });

    const connection = await readRunConnection(env.LEDGER, this.job.plan.connection_id);
    const check = checkConnection(connection, plan.credential_id, outboundUrlPolicy(env));
    if (!check.ok) return failed(check.error, check.version);
    const { config } = check;
    const { id, version, sync_cursor, debug } = connection!;
    try {
      await this.ctx.credentialHeaders();
    } catch (error) {
      return failed(credentialError(error), version);
    }

    const planJobId = this.job.plan.plan_job_id ?? null;
    if (planJobId !== null) {
      const refused = await this.loadPlan(planJobId, connection!.name, version);
      if (refused !== null) return failed(refused, version);
    }
    // An apply job reads its plan's serials whatever the cursor says, and leaves the cursor alone.
    const cursor = planJobId === null ? startCursor(plan, sync_cursor) : null;
    const retries = needsRetryCount(config.source, cursor) && (await countRetrySerials(env.LEDGER, id)) > 0;
    const scope = planScope(plan, config.source, cursor, retries);
    const inScope =
      planJobId !== null && scope.source.kind !== "single"
        ? this.ctx.store.plannedCount(this.jobId)
        : scope.source.kind === "dataset"
          ? await countDatasetScope(env.LEDGER, id, scope.source.scope)
          : scope.inScope;
    Object.assign(progress, {
      phase: config.fetch.mode === "list" ? "listing" : "records",
      config,
      version,
      debug: debug === 1,
      source: scope.source,
      listing: null,
      cursor,
      max_seen_ms: null,
      finish: null,
    } satisfies Partial<JobProgress>);
    return { version, inScope, progress, setupError: null };
  }

  // An apply job's plan, streamed from its dry job's archive into the store; refused when the connection changed
  // since the dry job ran (the plan was made under other contracts).
  private async loadPlan(planJobId: string, connectionName: string, version: number): Promise<JobError | null> {
    const { env, store } = this.ctx;
    const [dry, settings] = await Promise.all([readPlanJob(env.LEDGER, planJobId), readConfigSettings(env.LEDGER)]);
    const ttlHours = settings.plans.ttl_hours;
    if (dry === null || dry.archive_day === null) {
      return {
        code: "plan_missing",
        http_status: null,
        message: `The plan of dry job ${planJobId} is not in the archive`,
        hint: "Run a new dry run and apply it",
      };
    }
    if (dry.connection_version !== version) {
      return {
        code: "plan_outdated",
        http_status: null,
        message: `Connection "${connectionName}" changed since the dry run (version ${dry.connection_version}, now ${version}): its plan no longer applies`,
        hint: "Run a new dry run, review it, and apply that one",
      };
    }
    // Accepted while it was fresh, the apply may have waited behind its credential's other runs since: a plan is
    // only applied within its TTL, however long the wait.
    const expiresAt = dry.run_finished_at === null ? null : planExpiresAt(dry.run_finished_at, ttlHours);
    if (expiresAt !== null && this.ctx.runtime.now() > expiresAt) {
      return {
        code: "plan_expired",
        http_status: null,
        message: `${planExpiredMessage(dry.run_id, expiresAt, ttlHours)} It expired before this apply started`,
        hint: "Run a new dry run, review it, and apply that one",
      };
    }
    for await (const entries of archivedPlan({ bucket: env.ARCHIVE }, { jobId: dry.id, runId: dry.run_id, day: dry.archive_day })) {
      store.loadPlan(this.jobId, entries);
    }
    this.log("INFO", wording.planLoaded(store.plannedCount(this.jobId), dry.id));
    return null;
  }

  describeStart(started: StartedJob): string {
    const { plan } = this.ctx;
    return wording.jobStarted({
      mode: this.job.plan.mode,
      type: plan.type,
      serial: plan.serial,
      reset: plan.reset,
      version: started.version,
      // Said incremental only when the source is read that way (see incrementalSince).
      cursor: incrementalSince(started.progress.source) === null ? null : started.progress.cursor,
      inScope: started.progress.source?.kind === "http" ? null : started.inScope,
    });
  }

  async work(): Promise<WorkResult> {
    const progress = this.job.progress;
    const config = progress.config;
    if (config === null) throw new Error(`job ${this.jobId} is running without a configuration`);
    const client = this.client(config);
    try {
      if (progress.phase === "listing") {
        const listing = await this.clock.time("listing", this.readListing(progress, config, client));
        if (listing !== "done") return listing;
      }
      for (let reads = 0; progress.source !== null && !progress.source.done && this.queueWants(progress, config, reads); reads += 1) {
        const filled = await this.clock.time("fill", this.fillQueue(progress, config, client, reads > 0));
        if (filled === "held") break;
        if (filled !== "more") return filled;
      }
      if (this.ctx.store.queueSize(this.jobId) > 0 && !this.ctx.budget.exhausted()) {
        const slice = await this.clock.time("slice", this.runSlice(progress, config, client));
        if (slice !== "more") return slice;
      }
      if (progress.phase === "records" && this.ctx.store.queueSize(this.jobId) === 0 && progress.source?.done === true) {
        const waiting = this.ctx.store.readBacksWaiting(this.jobId);
        if (waiting === 0) {
          this.decideFinish(progress, "completed", null);
          return "finished";
        }
        progress.phase = "verifying";
        progress.readback_listing = null;
        this.save(progress);
        this.log("INFO", wording.readingBackListing(waiting));
      }
      if (progress.phase === "verifying" && !this.ctx.budget.exhausted()) {
        const verified = await this.readBackListing(progress, config, client);
        if (verified !== "done") return verified;
        this.decideFinish(progress, "completed", null);
        return "finished";
      }
      return "more";
    } finally {
      this.checkpoint(progress);
      if (this.suppressedEvents > 0) this.log("WARN", wording.moreHttpEvents(this.suppressedEvents));
    }
  }

  private client(config: ConnectionConfig): HttpClient {
    this.adaptive = createAdaptiveConcurrency({ max: config.limits.concurrency, now: this.ctx.runtime.now(), state: this.job.progress.concurrency });
    return createHttpClient({
      runtime: this.ctx.runtime,
      limits: config.limits,
      adaptive: this.adaptive,
      ...credentialClientAuth(() => this.ctx.credentialHeaders()),
      onEvent: (event) => this.onHttpEvent(event),
      ...(this.ctx.traceContext ? { traceContext: this.ctx.traceContext } : {}),
    });
  }

  private onHttpEvent(event: HttpEvent): void {
    const { budget } = this.ctx;
    if (event.type === "request") {
      this.recordRequest(event.entry);
      return;
    }
    if (event.type === "concurrency") {
      // Paced by the controller (a line at most every 20 s), so not counted against the event log limit.
      const note = wording.concurrencyChanged(event.note);
      this.log(note.level, note.message);
      return;
    }
    if (event.type === "response") {
      this.bytes.sent += event.bytes_sent;
      this.bytes.received += event.bytes_received;
    }
    // A retry after a network failure, and the token request of a refresh (even when a concurrent 401 already
    // fetched the new token), are requests the response events do not count.
    if (event.type === "response" || event.type === "auth_refresh" || (event.type === "retry" && event.status === null)) {
      budget.countSubrequest();
    }
    const line = wording.httpEventLine(event);
    if (line === null) return;
    if (this.loggedEvents >= this.ctx.config.eventLogLimit) {
      this.suppressedEvents += 1;
      return;
    }
    this.loggedEvents += 1;
    this.log("WARN", line);
  }

  private save(progress: JobProgress, status: JobStatus = "running"): void {
    this.ctx.store.saveJob(this.jobId, status, progress);
  }

  private failWith(progress: JobProgress, error: unknown): WorkResult {
    const ending = jobEnding(error);
    if (ending === "canceled") return "canceled";
    this.decideFinish(progress, "failed", ending);
    return "finished";
  }

  private async readListing(progress: JobProgress, config: ConnectionConfig, client: HttpClient): Promise<WorkResult | "done"> {
    const { store, budget } = this.ctx;
    const index = createSqliteSerialIndex(store.sqlStorage, this.jobId);
    if (progress.listing === null) {
      // A listing read starts from an empty index: an earlier job's listing or an interrupted read's goes first,
      // a bounded batch per step, so the coordinator holds at most one listing at a time.
      if (index.dropBatch(this.ctx.config.releaseBatchRows) >= this.ctx.config.releaseBatchRows) return "more";
      progress.listing_started_at = this.ctx.runtime.now();
    }
    try {
      const pages = buildListingIndex({
        client,
        contract: config.fetch as ListFetchContract,
        index,
        resume: progress.listing,
        signal: this.ctx.cancelSignal,
        maxPages: config.limits.max_pages,
        // A step that stops after this page would throw the next one away.
        prefetch: () => !budget.exhausted(),
        ...(this.ctx.runtime.yieldToIo === undefined ? {} : { nextTurn: this.ctx.runtime.yieldToIo }),
      });
      for await (const page of pages) {
        if (page.duplicates.length > 0) this.log("WARN", wording.listingRepeats(page.duplicates));
        if (page.unreadable.length > 0) this.log("WARN", wording.listingUnreadable(page.unreadable));
        if (page.nextState === null) break;
        progress.listing = page.nextState;
        // Saved every few pages rather than after each: a read resumed from an earlier page indexes the same records again.
        if (page.nextState.pages_read % LISTING_SAVE_EVERY_PAGES === 0 || budget.exhausted()) this.save(progress);
        if (budget.exhausted()) return "more";
      }
    } catch (error) {
      return this.failWith(progress, error);
    }
    progress.phase = "records";
    progress.listing = null;
    this.save(progress);
    this.log("INFO", wording.listingRead(index.count()));
    return "done";
  }

  // The verifying phase of a list-mode job: one more read of the listing, page by page, gives each held-back
  // written record its outcome; a page's outcomes are checkpointed (leaving the waiting list) before its position
  // is saved, so a replay reads that page again and finds them gone. What the listing no longer holds is gone.
  private async readBackListing(progress: JobProgress, config: ConnectionConfig, client: HttpClient): Promise<WorkResult | "done"> {
    const { store, budget } = this.ctx;
    const { mapping } = this.compiledFor(progress, config);
    const spec = pagedReadSpec("readback", config.fetch as ListFetchContract, { max_pages: config.limits.max_pages });
    try {
      for await (const page of readRecordPages(client, spec, progress.readback_listing ?? null, this.ctx.cancelSignal)) {
        const records = new Map(page.records.map((r) => [r.serial, r.record]));
        for (const waiting of store.waitingReadBacks(this.jobId, { serials: [...records.keys()] })) {
          this.unsaved.push(readBackOutcome(waiting, compareReadBack(mapping, waiting.payload, records.get(waiting.serial)!)));
        }
        this.checkpoint(progress);
        if (page.nextState === null) break;
        progress.readback_listing = page.nextState;
        this.save(progress);
        if (budget.exhausted()) return "more";
      }
    } catch (error) {
      if (jobEnding(error) === "canceled") return "canceled";
      // The writes landed; only their check could not be made, so they count as written and the job completes.
      const message = error instanceof Error ? error.message : String(error);
      this.log("WARN", wording.readBackListingFailed(store.readBacksWaiting(this.jobId), message));
      this.settleReadBacks(`reading the listing back failed: ${message}`);
      return "done";
    }
    for (;;) {
      const gone = store.waitingReadBacks(this.jobId, { limit: this.ctx.config.checkpointEvery });
      if (gone.length === 0) return "done";
      for (const waiting of gone) this.unsaved.push(readBackOutcome(waiting, compareReadBack(mapping, waiting.payload, null, "not in the listing read back")));
      this.checkpoint(progress);
    }
  }

  private settleReadBacks(why: string): void {
    settleWaitingReadBacks(this.ctx.store, this.jobId, { at: this.ctx.runtime.now(), why, failureLogLimit: this.ctx.config.failureLogLimit });
  }

  // Reads the next part of the source and queues it; the feed of the source's kind decides what is queued.
  // `ahead`: read while records are still queued (a bulk slice's). A page that fails then is "held": the queued
  // records go first, and the read after them (queue empty) meets the same failure and ends the job with it.
  private async fillQueue(progress: JobProgress, config: ConnectionConfig, client: HttpClient, ahead = false): Promise<WorkResult | "held"> {
    const { env, store } = this.ctx;
    const source = progress.source!;
    const connectionId = this.job.plan.connection_id;

    const applying = this.job.plan.plan_job_id != null;
    if (source.kind === "dataset" && applying) {
      const limit = this.ctx.config.sourceBatchRecords;
      const serials = store.plannedAfter(this.jobId, source.after, limit);
      const rows = await readDatasetRecords(env.LEDGER, connectionId, serials);
      store.atomically(() => this.apply(progress, takePlannedRows(source, serials, rows, limit)));
      return "more";
    }

    if (source.kind === "dataset") {
      // Larger than a slice: one D1 read fills the queue for several slices.
      const limit = this.ctx.config.sourceBatchRecords;
      const rows = await readDatasetBatch(env.LEDGER, connectionId, source.scope, source.after, limit);
      store.atomically(() => this.apply(progress, takeDatasetRows(source, rows, limit, progress.max_seen_ms)));
      return "more";
    }

    if (source.kind === "single" && config.source.kind === "dataset") {
      const row = await readDatasetRecord(env.LEDGER, connectionId, source.serial);
      store.atomically(() => this.apply(progress, takeSingleSerial(source, { record_json: row?.record_json ?? null, last: true, nextState: null })));
      return "more";
    }

    if (config.source.kind !== "http") throw new Error("an http source progress needs an http source contract");
    let page: SourcePage | null;
    try {
      page = await this.readSourcePage(config.source, config.limits.max_pages, client, source);
    } catch (error) {
      if (ahead) return "held";
      return this.failWith(progress, error);
    }

    if (source.kind === "single") {
      const match = page?.records.find((r) => r.serial === source.serial);
      const read = {
        record_json: match === undefined ? null : JSON.stringify(match.record),
        last: page === null || page.nextState === null,
        nextState: page?.nextState ?? null,
      };
      store.atomically(() => this.apply(progress, takeSingleSerial(source, read)));
      return "more";
    }

    if (applying) {
      const records = distinctRecords(page);
      store.atomically(() => {
        const fresh = store.markSeen(
          this.jobId,
          records.map((r) => r.serial),
        );
        const planned = store.planEntries(
          this.jobId,
          records.map((r) => r.serial),
        );
        const keptBefore = source.kept ?? 0;
        const step = takeSourcePage(
          source,
          page,
          records.filter((r) => planned.has(r.serial)),
          { fresh, retries: new Set(), keptBefore, maxSeenMs: null },
        );
        const last = step.source.done;
        this.apply(progress, withPlannedRest(step, last ? store.plannedUnseen(this.jobId) : [], store.plannedCount(this.jobId)));
      });
      return "more";
    }

    const records = distinctRecords(page);
    const retries = source.filter?.retries
      ? await retrySerialsAmong(
          env.LEDGER,
          connectionId,
          records.map((r) => r.serial),
        )
      : new Set<string>();
    store.atomically(() => {
      const fresh = store.markSeen(
        this.jobId,
        records.map((r) => r.serial),
      );
      const keptBefore = source.kept ?? store.tally(this.jobId).in_scope;
      this.apply(progress, takeSourcePage(source, page, records, { fresh, retries, keptBefore, maxSeenMs: progress.max_seen_ms }));
    });
    return "more";
  }

  // Inside the caller's transaction: what a feed read is queued and checkpointed together.
  private apply(progress: JobProgress, step: FeedStep): void {
    const { store } = this.ctx;
    for (const note of step.logs) this.log(note.level, note.message, note.serial);
    store.enqueue(this.jobId, step.queue);
    progress.source = step.source;
    progress.max_seen_ms = step.maxSeenMs ?? progress.max_seen_ms;
    if (step.inScope !== undefined) store.setTally(this.jobId, { in_scope: step.inScope });
    this.save(progress);
  }

  private async readSourcePage(
    contract: HttpSourceContract,
    maxPages: number,
    client: HttpClient,
    source: Extract<SourceProgress, { kind: "http" | "single" }>,
  ): Promise<SourcePage | null> {
    const since = source.kind === "http" ? source.since : null;
    const pages = readSourcePages({
      client,
      contract,
      start: source.state === null ? { since } : { resume: source.state },
      signal: this.ctx.cancelSignal,
      maxPages,
    });
    try {
      const first = await pages.next();
      return first.done ? null : first.value;
    } finally {
      await pages.return(undefined);
    }
  }

  // Intents left by an interrupted invocation that are newer than the listing read: the index shows those
  // records as they were before the writes, so it cannot tell whether the writes landed.
  private listingPredatesIntents(progress: JobProgress): boolean {
    const latest = this.ctx.store.latestIntentAt(this.jobId);
    return latest !== null && latest >= (progress.listing_started_at ?? 0);
  }

  private compiledFor(progress: JobProgress, config: ConnectionConfig): CompiledContracts {
    const cached = this.ctx.compiled.get(this.jobId);
    if (cached !== undefined && cached.version === progress.version) return cached;
    const compiled = { version: progress.version, mapping: compileMappingFor(config), update: compileUpdateContract(config.update) };
    this.ctx.compiled.set(this.jobId, compiled);
    return compiled;
  }

  // The queue is filled when empty; a bulk slice takes more records than one read of the source gives, so its queue
  // is filled up to that first (within the budget): a slice boundary stalls every batch in flight.
  private queueWants(progress: JobProgress, config: ConnectionConfig, reads: number): boolean {
    const queued = this.ctx.store.queueSize(this.jobId);
    if (queued === 0) return reads === 0;
    const { update } = this.compiledFor(progress, config);
    return update.bulk !== null && !this.ctx.budget.exhausted() && queued < sliceRecordsFor(update, this.ctx.budget.limits.records);
  }

  private async runSlice(progress: JobProgress, config: ConnectionConfig, client: HttpClient): Promise<WorkResult> {
    const { store, budget } = this.ctx;
    if (config.fetch.mode === "list" && this.listingPredatesIntents(progress)) {
      // Writes sent before an interruption are checked against the destination as it is now, not as listed before them.
      progress.phase = "listing";
      progress.listing = null;
      this.save(progress);
      this.log("INFO", wording.RELISTING_AFTER_INTERRUPTION);
      return "more";
    }
    const { mapping, update } = this.compiledFor(progress, config);
    const rows = store.queued(this.jobId, sliceRecordsFor(update, budget.limits.records));
    const applying = this.job.plan.plan_job_id != null;
    const plans = applying
      ? store.planEntries(
          this.jobId,
          rows.map((row) => row.serial),
        )
      : null;
    const lookup = createDestinationLookup({
      client,
      contract: config.fetch,
      // The slice's records read from the listing index in one query.
      ...(config.fetch.mode === "list" ? { index: createSqliteSerialIndex(store.sqlStorage, this.jobId).preload(rows.map((row) => row.serial)) } : {}),
    });
    const result = await executeSlice({
      records: rows.map((row) => ({
        ord: row.ord,
        serial: row.serial,
        source: row.source,
        intent: row.intent,
        ...(plans === null ? {} : { plan: plans.get(row.serial) ?? null }),
      })),
      mode: this.job.plan.mode,
      applying,
      mapping,
      update,
      lookup,
      client,
      concurrency: config.limits.concurrency,
      // List lookups are local, so records are decided far ahead of their writes; per-serial lookups are requests
      // whose pipelining is the executor's own.
      writeAhead: config.fetch.mode === "list" ? this.ctx.config.writeAhead : 0,
      signal: this.ctx.cancelSignal,
      shouldStop: () => budget.exhausted(),
      onOutcome: (outcome) => this.commitOutcome(progress, outcome),
      failureStreak: { current: store.tally(this.jobId).failure_streak, limit: this.ctx.config.failureStreakLimit },
      keyScope: this.jobId,
      readBack: this.readBack(config),
      journal: (intents) => {
        // A dry run writes nothing, so it has nothing to journal.
        if (this.job.plan.mode !== "live") return;
        // The outcomes so far go in the same storage commit: each commit holds every outgoing request until it
        // is durable, so the group's requests pay for one. The output gate holds them until their intents are durable.
        this.checkpoint(progress);
        store.recordIntents(this.jobId, intents);
      },
      now: () => this.ctx.runtime.now(),
      log: (level, message) => this.log(level, message),
      ...(this.ctx.runtime.yieldToIo === undefined ? {} : { nextTurn: this.ctx.runtime.yieldToIo }),
    });
    this.checkpoint(progress);
    store.setTally(this.jobId, { failure_streak: result.failureStreak });
    if (result.kind === "continue") this.keepConcurrency(progress);
    switch (result.kind) {
      case "canceled":
        return "canceled";
      case "failed":
        this.decideFinish(progress, "failed", result.error.toJSON());
        return "finished";
      case "continue":
        return "more";
    }
  }

  // The adaptive limit carries over to the job's next slice; saved only when it (or what the log said) changed.
  private keepConcurrency(progress: JobProgress): void {
    if (this.adaptive === null) return;
    const state = this.adaptive.state();
    const before = progress.concurrency;
    progress.concurrency = state;
    if (before === undefined || before === null || concurrencyMoved(before, state)) this.save(progress);
  }

  private readBack(config: ConnectionConfig): SliceReadBack | null {
    const plan = readBackPlan(config.update);
    if (this.job.plan.mode !== "live" || !verifiesWrites(plan)) return null;
    return {
      sampled: (serial) => sampledForReadBack(plan, this.jobId, serial),
      fetch: config.fetch.mode === "per_serial" ? config.fetch : "deferred",
    };
  }

  // Outcomes are checkpointed in batches (with the next group of write intents, or at checkpointEvery records or
  // checkpointEveryMs), each with its counters and log lines in one storage transaction: every commit holds
  // outgoing requests until it is durable, so one per record would dominate a slice. What is checkpointed is never
  // processed again; what is not stays queued and is looked up again after a restart, so a write is never repeated blindly.
  private commitOutcome(progress: JobProgress, outcome: RecordOutcome): void {
    this.unsaved.push(outcome);
    const { checkpointEvery, checkpointEveryMs } = this.ctx.config;
    if (this.unsaved.length >= checkpointEvery || this.ctx.runtime.now() - this.lastCheckpointAt >= checkpointEveryMs) this.checkpoint(progress);
  }

  checkpoint(progress: JobProgress): void {
    const started = this.clock.read();
    this.lastCheckpointAt = this.ctx.runtime.now();
    try {
      this.saveCheckpoint(progress);
    } finally {
      this.clock.since("checkpoint", started);
    }
  }

  private saveCheckpoint(progress: JobProgress): void {
    const { store, config } = this.ctx;
    this.saveRequests();
    const counted = addTraffic(emptyCounters(), this.bytes.sent, this.bytes.received);
    this.bytes.sent = 0;
    this.bytes.received = 0;
    const batch = this.unsaved;
    this.unsaved = [];
    if (batch.length === 0) {
      store.addCounters(this.jobId, counted);
      return;
    }
    const at = this.ctx.runtime.now();
    store.atomically(() => {
      const options = {
        jobId: this.jobId,
        at,
        failureLogs: store.tally(this.jobId).failure_logs,
        failureLogLimit: config.failureLogLimit,
        debug: progress.debug,
      };
      const written = outcomeBatch(batch, counted, options);
      store.dequeueMany(
        this.jobId,
        batch.filter((outcome) => outcome.read_back !== true),
      );
      for (const outcome of batch) {
        if (outcome.read_back === true) store.dropReadBack(this.jobId, outcome.serial);
        if (outcome.awaiting_readback !== undefined) {
          const { serial, changes, http_status, payload_excerpt } = outcome;
          store.awaitReadBack(this.jobId, { serial, payload: outcome.awaiting_readback, changes, http_status, payload_excerpt });
        }
      }
      store.appendOutcomes(written.outcomes);
      store.appendPlans(
        this.jobId,
        batch.flatMap((outcome) => (outcome.plan === undefined ? [] : [outcome.plan])),
      );
      for (const note of written.logs) this.log(note.level, note.message, note.serial);
      store.addCounters(this.jobId, written.counted);
      store.setTally(this.jobId, { failure_logs: written.failureLogs });
    });
    this.ctx.onProgress?.();
  }

  decideFinish(progress: JobProgress, status: "completed" | "failed", error: JobError | null): void {
    const { store } = this.ctx;
    this.checkpoint(progress);
    // A job that ends before its verifying phase still counts every write it made.
    if (status === "failed") this.settleReadBacks("the job failed before its writes were read back");
    const now = this.ctx.runtime.now();
    store.atomically(() => {
      const counters = store.counters(this.jobId);
      if (status === "completed") {
        this.log("INFO", wording.jobFinished(now - (progress.started_at ?? now), counters, this.job.plan.mode));
        for (const diagnosis of diagnoseJob({ ...counters, incremental_since: incrementalSince(progress.source) }))
          this.log(diagnosis.severity === "warning" ? "WARN" : "INFO", wording.diagnosed(diagnosis));
      } else if (error !== null) {
        this.log("ERROR", wording.jobFailed(counters.processed, error));
      }
      progress.finish = { status, at: now, error, ran: true };
      this.save(progress);
    });
  }
}

function concurrencyMoved(a: AdaptiveConcurrencyState, b: AdaptiveConcurrencyState): boolean {
  return a.limit !== b.limit || a.ceiling !== b.ceiling || a.logged_at !== b.logged_at || a.pending !== b.pending;
}
