import { contractUrls, outboundUrlPolicy, unsafeUrlError } from "../auth/url-safety";
import { validateConnectionConfig, type ConnectionConfig } from "../engine/contracts";
import { credentialClientAuth, type CredentialHeaders } from "../engine/credential-auth";
import { diagnoseJob, EngineError } from "../engine/errors";
import { createHttpClient, type HttpClient, type HttpEvent } from "../engine/http-client";
import { buildListingIndex, createDestinationLookup, type ListFetchContract } from "../engine/lookup";
import { compileUpdateContract, type CompiledUpdate } from "../engine/payload";
import { compileMappingFor, type CompiledMapping } from "../engine/reconcile";
import type { EngineRuntime } from "../engine/runtime";
import { readSourcePages, type HttpSourceContract, type SourcePage } from "../engine/source-reader";
import type { Env } from "../env";
import type { JobError } from "../ledger/run-rows";
import type { JobStatus } from "../schemas/vocabulary";
import {
  countDatasetScope,
  countRetrySerials,
  readDatasetBatch,
  readDatasetRecord,
  readRunConnection,
  retrySerialsAmong,
  type DatasetScope,
} from "../ledger/run-scope";
import type { CoordinatorStore, JobCheckpoint, JobRuntime, RunPlan, SourceProgress } from "./coordinator-store";
import { executeSlice, type RecordOutcome } from "./slice-executor";
import { createSqliteSerialIndex } from "./sqlite-serial-index";
import type { SliceBudget } from "./slice-budget";
import { errorMessage } from "../engine/lang";

// One alarm invocation's work on the current job: start it, read the destination listing, fill the queue
// from the source, run a slice over the engine. Everything it learns is checkpointed in the store as it
// happens; the coordinator flushes to D1 and commits status changes.

export interface JobWorkerTuning {
  checkpointEvery: number;
  sourceBatchRecords: number;
  failureStreakLimit: number;
  failureLogLimit: number;
  eventLogLimit: number;
}

export interface JobWorkerContext {
  env: Env;
  store: CoordinatorStore;
  plan: RunPlan;
  budget: SliceBudget;
  runtime: EngineRuntime;
  cancelSignal: AbortSignal;
  credentialHeaders: () => Promise<CredentialHeaders>;
  // Settles when the storage writes made so far are durable.
  durable: () => Promise<void>;
  compiled: Map<string, CompiledContracts>;
  tuning: JobWorkerTuning;
  // Called after each checkpoint, so open dashboards see a slice's progress while it runs.
  onProgress?: () => void;
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
  runtime: JobRuntime;
  setupError: JobError | null;
}

const errorOf = (error: EngineError): JobError => error.toJSON();

export class JobWorker {
  private suppressedEvents = 0;
  private loggedEvents = 0;
  private unsaved: RecordOutcome[] = [];
  // Bytes of this invocation's requests, added to the tally with the next checkpoint.
  private readonly bytes = { sent: 0, received: 0 };

  constructor(
    private readonly ctx: JobWorkerContext,
    private readonly job: JobCheckpoint,
  ) {}

  private get jobId(): string {
    return this.job.plan.job_id;
  }

  private log(level: "INFO" | "WARN" | "ERROR" | "DEBUG", message: string, serial: string | null = null): void {
    this.ctx.store.appendLog({ job_id: this.jobId, at: this.ctx.runtime.now(), level, message, serial });
  }

  // Reads the connection as it is now (its version is the one the job runs with) and decides the scope.
  async prepare(): Promise<StartedJob> {
    const { env, plan } = this.ctx;
    const now = this.ctx.runtime.now();
    const runtime: JobRuntime = { ...this.job.runtime, started_at: now };
    const failed = (error: JobError, version: number): StartedJob => ({ version, inScope: null, runtime, setupError: error });

    const connection = await readRunConnection(env.LEDGER, this.job.plan.connection_id);
    if (connection === null) {
      return failed({ code: "connection_missing", http_status: null, message: "The connection was deleted before its job started", hint: "Rerun to use the remaining connections" }, 0);
    }
    if (connection.credential_id !== plan.credential_id) {
      return failed({ code: "connection_moved", http_status: null, message: "The connection moved to another credential before its job started", hint: "Start a new run for its credential" }, connection.version);
    }
    const validated = validateConnectionConfig(JSON.parse(connection.config_json));
    if (!validated.ok) {
      const issues = validated.issues.map((i) => `${i.path || "(config)"}: ${i.message}`).join("; ");
      return failed({ code: "invalid_contract", http_status: null, message: `The connection's contracts are invalid: ${issues}`, hint: "Fix the contracts in the connection editor, then rerun" }, connection.version);
    }
    const config = validated.value;
    // Checked again under this deployment's rules, which may be stricter than where the contracts were saved.
    const unsafe = unsafeUrlError(contractUrls(config), outboundUrlPolicy(env));
    if (unsafe !== null) return failed(errorOf(unsafe), connection.version);
    try {
      await this.ctx.credentialHeaders();
    } catch (error) {
      const jobError = error instanceof EngineError
        ? errorOf(error)
        : { code: "auth_failed", http_status: null, message: `The credential cannot be used: ${errorMessage(error)}`, hint: "Check the credential and the deployment's SECRETS_KEY" };
      return failed(jobError, connection.version);
    }

    // A reset run ignores the cursor; the coordinator clears it in the same batch that starts the job.
    const cursor = plan.type === "full" && !plan.reset ? connection.sync_cursor : null;
    const cursorMs = cursor === null ? Number.NaN : Date.parse(cursor);
    const incremental = cursor !== null && !Number.isNaN(cursorMs);
    let source: SourceProgress;
    let inScope: number | null;
    if (plan.type === "single") {
      source = { kind: "single", serial: plan.serial ?? "", state: null, done: false };
      inScope = 1;
    } else if (config.source.kind === "dataset") {
      const scope: DatasetScope = incremental ? { kind: "changed", sinceMs: cursorMs } : { kind: "all" };
      source = { kind: "dataset", scope, after: "", done: false };
      inScope = await countDatasetScope(env.LEDGER, connection.id, scope);
    } else {
      const retries = incremental && config.source.updated_at_path !== undefined
        ? (await countRetrySerials(env.LEDGER, connection.id)) > 0
        : false;
      const filtered = incremental && config.source.updated_at_path !== undefined;
      // Retry serials may be older than the cursor, so with any of them the source is read whole and filtered here.
      const since = filtered && !retries && config.source.since_param !== undefined ? cursor : null;
      source = { kind: "http", state: null, since, filter: filtered ? { afterMs: cursorMs, retries } : null, done: false };
      // Unknown until the first source page: its X-Total-Count, or the records counted as the pages arrive.
      inScope = null;
    }
    Object.assign(runtime, {
      phase: config.fetch.mode === "list" ? "listing" : "records",
      config,
      version: connection.version,
      debug: connection.debug === 1,
      source,
      listing: null,
      cursor: incremental ? cursor : null,
      max_seen_ms: null,
      finish: null,
    } satisfies Partial<JobRuntime>);
    return { version: connection.version, inScope, runtime, setupError: null };
  }

  describeStart(started: StartedJob): string {
    const { plan } = this.ctx;
    const mode = this.job.plan.mode === "dry" ? "Dry" : "Live";
    if (plan.type === "single") return `${mode} single run of ${plan.serial ?? ""} started (contract version ${started.version})`;
    const scope = started.runtime.cursor === null
      ? plan.reset ? "complete reconciliation (reset)" : "complete"
      : `incremental since ${started.runtime.cursor} plus last run's failed serials`;
    const count = started.inScope === null || started.runtime.source?.kind === "http" ? "" : `: ${started.inScope} records in scope`;
    return `${mode} full run started, ${scope}${count} (contract version ${started.version})`;
  }

  async work(): Promise<WorkResult> {
    const runtime = this.job.runtime;
    const config = runtime.config;
    if (config === null) throw new Error(`job ${this.jobId} is running without a configuration`);
    const client = this.client(config);
    try {
      if (runtime.phase === "listing") {
        const listing = await this.readListing(runtime, config, client);
        if (listing !== "done") return listing;
      }
      if (this.ctx.store.queueSize(this.jobId) === 0 && runtime.source !== null && !runtime.source.done) {
        const filled = await this.fillQueue(runtime, config, client);
        if (filled !== "more") return filled;
      }
      if (this.ctx.store.queueSize(this.jobId) > 0 && !this.ctx.budget.exhausted()) {
        const slice = await this.runSlice(runtime, config, client);
        if (slice !== "more") return slice;
      }
      if (this.ctx.store.queueSize(this.jobId) === 0 && runtime.source?.done === true) {
        this.decideFinish(runtime, "completed", null);
        return "finished";
      }
      return "more";
    } finally {
      this.checkpoint(runtime);
      if (this.suppressedEvents > 0) {
        this.log("WARN", `…and ${this.suppressedEvents} more retries, rate-limit waits or token refreshes in this slice`);
      }
    }
  }

  private client(config: ConnectionConfig): HttpClient {
    return createHttpClient({
      runtime: this.ctx.runtime,
      limits: config.limits,
      ...credentialClientAuth(() => this.ctx.credentialHeaders()),
      onEvent: (event) => this.onHttpEvent(event),
    });
  }

  private onHttpEvent(event: HttpEvent): void {
    const { budget } = this.ctx;
    switch (event.type) {
      case "response":
        budget.countSubrequest();
        this.bytes.sent += event.bytes_sent;
        this.bytes.received += event.bytes_received;
        return;
      case "retry": {
        if (event.status === null) budget.countSubrequest();
        const what = event.status === null ? event.reason.replace("_", " ") : `status ${event.status}`;
        return this.eventLog(`Retrying ${event.method} ${pathOf(event.url)} after ${what} (attempt ${event.attempt}), waiting ${event.delay_ms} ms`);
      }
      case "rate_limited": {
        const asked = event.retry_after === null ? "" : ` (Retry-After: ${event.retry_after})`;
        return this.eventLog(`Rate limited (429) on ${event.method} ${pathOf(event.url)}: waiting ${event.delay_ms} ms${asked}`);
      }
      case "auth_refresh":
        // Counted for the token request, even when a concurrent 401 already fetched the new token.
        budget.countSubrequest();
        return this.eventLog(`Access token rejected (401) on ${event.method} ${pathOf(event.url)}; fetching a new token and retrying once`);
    }
  }

  private eventLog(message: string): void {
    if (this.loggedEvents >= this.ctx.tuning.eventLogLimit) {
      this.suppressedEvents += 1;
      return;
    }
    this.loggedEvents += 1;
    this.log("WARN", message);
  }

  private save(runtime: JobRuntime, status: JobStatus = "running"): void {
    this.ctx.store.saveJob(this.jobId, status, runtime);
  }

  private failWith(runtime: JobRuntime, error: unknown): WorkResult {
    if (error instanceof EngineError) {
      if (error.code === "canceled") return "canceled";
      this.decideFinish(runtime, "failed", errorOf(error));
      return "finished";
    }
    throw error;
  }

  private async readListing(runtime: JobRuntime, config: ConnectionConfig, client: HttpClient): Promise<WorkResult | "done"> {
    const { store, budget } = this.ctx;
    const index = createSqliteSerialIndex(store.sqlStorage, this.jobId);
    if (runtime.listing === null) {
      index.clear();
      runtime.listing_started_at = this.ctx.runtime.now();
    }
    try {
      const pages = buildListingIndex({
        client,
        contract: config.fetch as ListFetchContract,
        index,
        resume: runtime.listing,
        signal: this.ctx.cancelSignal,
        maxPages: config.limits.max_pages,
      });
      for await (const page of pages) {
        if (page.duplicates.length > 0) {
          this.log("WARN", `Destination listing repeats ${page.duplicates.length} serial(s) on one page, e.g. ${page.duplicates[0]}; the last one is used`);
        }
        if (page.unreadable.length > 0) {
          this.log("WARN", `Destination listing: ${page.unreadable.length} record(s) without a readable serial, e.g. ${page.unreadable[0]!.reason}`);
        }
        if (page.nextState === null) break;
        runtime.listing = page.nextState;
        this.save(runtime);
        if (budget.exhausted()) return "more";
      }
    } catch (error) {
      return this.failWith(runtime, error);
    }
    runtime.phase = "records";
    runtime.listing = null;
    this.save(runtime);
    this.log("INFO", `Destination listing read: ${index.count()} records indexed by serial`);
    return "done";
  }

  private async fillQueue(runtime: JobRuntime, config: ConnectionConfig, client: HttpClient): Promise<WorkResult> {
    const { env, store } = this.ctx;
    const source = runtime.source!;
    const connectionId = this.job.plan.connection_id;
    // Larger than a slice: one D1 read fills the queue for several slices.
    const limit = this.ctx.tuning.sourceBatchRecords;

    if (source.kind === "dataset") {
      const rows = await readDatasetBatch(env.LEDGER, connectionId, source.scope, source.after, limit);
      store.atomically(() => {
        store.enqueue(this.jobId, rows.map((r) => ({ serial: r.serial, record_json: r.record_json })));
        source.after = rows.at(-1)?.serial ?? source.after;
        source.done = rows.length < limit;
        for (const row of rows) runtime.max_seen_ms = Math.max(runtime.max_seen_ms ?? row.updated_at, row.updated_at);
        this.save(runtime);
      });
      return "more";
    }

    if (source.kind === "single" && config.source.kind === "dataset") {
      const row = await readDatasetRecord(env.LEDGER, connectionId, source.serial);
      store.atomically(() => {
        if (row === null) this.notInSource(source.serial);
        store.enqueue(this.jobId, [{ serial: source.serial, record_json: row?.record_json ?? null }]);
        source.done = true;
        this.save(runtime);
      });
      return "more";
    }

    if (config.source.kind !== "http") throw new Error("an http source progress needs an http source contract");
    let page: SourcePage | null;
    try {
      page = await this.readSourcePage(config.source, config.limits.max_pages, client, source);
    } catch (error) {
      return this.failWith(runtime, error);
    }

    if (source.kind === "single") {
      const match = page?.records.find((r) => r.serial === source.serial);
      const last = page === null || page.nextState === null;
      store.atomically(() => {
        if (match !== undefined) store.enqueue(this.jobId, [{ serial: match.serial, record_json: JSON.stringify(match.record) }]);
        else if (last) {
          this.notInSource(source.serial);
          store.enqueue(this.jobId, [{ serial: source.serial, record_json: null }]);
        }
        source.state = page?.nextState ?? null;
        source.done = match !== undefined || last;
        this.save(runtime);
      });
      return "more";
    }

    if (source.kind !== "http") throw new Error("unexpected source progress");
    const records = page === null ? [] : [...new Map(page.records.map((r) => [r.serial, r])).values()];
    const retries = source.filter?.retries ? await retrySerialsAmong(env.LEDGER, connectionId, records.map((r) => r.serial)) : new Set<string>();
    store.atomically(() => {
      const fresh = store.markSeen(this.jobId, records.map((r) => r.serial));
      const kept = records.filter((r) => {
        if (!fresh.has(r.serial)) return false;
        if (source.filter === null || retries.has(r.serial)) return true;
        const at = r.updatedAt === undefined ? Number.NaN : Date.parse(r.updatedAt);
        return Number.isNaN(at) || at > source.filter.afterMs;
      });
      for (const r of records) {
        const at = r.updatedAt === undefined ? Number.NaN : Date.parse(r.updatedAt);
        if (!Number.isNaN(at)) runtime.max_seen_ms = Math.max(runtime.max_seen_ms ?? at, at);
      }
      store.enqueue(this.jobId, kept.map((r) => ({ serial: r.serial, record_json: JSON.stringify(r.record) })));
      // A complete read's scope is the size the source announces (X-Total-Count) until the last page gives the count.
      if (source.state === null && source.since === null && source.filter === null) source.reported_total = page?.total ?? null;
      source.kept = (source.kept ?? store.tally(this.jobId).in_scope) + kept.length;
      const last = page === null || page.nextState === null;
      store.setTally(this.jobId, { in_scope: last ? source.kept : Math.max(source.reported_total ?? 0, source.kept) });
      if (page !== null && page.unreadable.length > 0) {
        this.log("WARN", `Source page ${page.fetch.url}: ${page.unreadable.length} record(s) skipped, e.g. ${page.unreadable[0]!.reason}`);
      }
      source.state = page?.nextState ?? null;
      source.done = last;
      this.save(runtime);
    });
    return "more";
  }

  // A single run's serial that no source holds is Missing Source; the log says so before anything is looked up.
  private notInSource(serial: string): void {
    this.log("WARN", `${serial} is not in the source: nothing to look up or write`, serial);
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
  private listingPredatesIntents(runtime: JobRuntime): boolean {
    const latest = this.ctx.store.latestIntentAt(this.jobId);
    return latest !== null && latest >= (runtime.listing_started_at ?? 0);
  }

  private compiledFor(runtime: JobRuntime, config: ConnectionConfig): CompiledContracts {
    const cached = this.ctx.compiled.get(this.jobId);
    if (cached !== undefined && cached.version === runtime.version) return cached;
    const compiled = { version: runtime.version, mapping: compileMappingFor(config), update: compileUpdateContract(config.update) };
    this.ctx.compiled.set(this.jobId, compiled);
    return compiled;
  }

  private async runSlice(runtime: JobRuntime, config: ConnectionConfig, client: HttpClient): Promise<WorkResult> {
    const { store, budget, tuning } = this.ctx;
    if (config.fetch.mode === "list" && this.listingPredatesIntents(runtime)) {
      // Writes sent before an interruption are checked against the destination as it is now, not as listed before them.
      runtime.phase = "listing";
      runtime.listing = null;
      this.save(runtime);
      this.log("INFO", "Reading the destination listing again to check the writes sent before the interruption");
      return "more";
    }
    const rows = store.queued(this.jobId, budget.limits.records);
    const { mapping, update } = this.compiledFor(runtime, config);
    const lookup = createDestinationLookup({
      client,
      contract: config.fetch,
      ...(config.fetch.mode === "list" ? { index: createSqliteSerialIndex(store.sqlStorage, this.jobId) } : {}),
    });
    const result = await executeSlice({
      records: rows.map((row) => ({
        ord: row.ord,
        serial: row.serial,
        source: row.record_json === null ? null : (JSON.parse(row.record_json) as Record<string, unknown>),
        intent: row.intent,
      })),
      mode: this.job.plan.mode,
      mapping,
      update,
      lookup,
      client,
      concurrency: config.limits.concurrency,
      signal: this.ctx.cancelSignal,
      shouldStop: () => budget.exhausted(),
      onOutcome: (outcome) => this.commitOutcome(runtime, outcome),
      failureStreak: { current: store.tally(this.jobId).failure_streak, limit: tuning.failureStreakLimit },
      keyScope: this.jobId,
      journal: (intents) => {
        // A dry run writes nothing, so it has nothing to journal.
        if (this.job.plan.mode !== "live") return;
        store.recordIntents(this.jobId, intents);
        return this.ctx.durable();
      },
      now: () => this.ctx.runtime.now(),
    });
    this.checkpoint(runtime);
    store.setTally(this.jobId, { failure_streak: result.failureStreak });
    switch (result.kind) {
      case "canceled":
        return "canceled";
      case "failed":
        this.decideFinish(runtime, "failed", errorOf(result.error));
        return "finished";
      case "continue":
        return "more";
    }
  }

  // Outcomes are checkpointed in small batches, each with its counters and log lines in one storage
  // transaction: every checkpoint holds outgoing requests until it is durable, so one per record would
  // dominate a slice. What is checkpointed is never processed again; what is not stays queued and is
  // looked up again after a restart, so a write is never repeated blindly.
  private commitOutcome(runtime: JobRuntime, outcome: RecordOutcome): void {
    this.unsaved.push(outcome);
    if (this.unsaved.length >= this.ctx.tuning.checkpointEvery) this.checkpoint(runtime);
  }

  checkpoint(runtime: JobRuntime): void {
    const { store, tuning } = this.ctx;
    if (this.bytes.sent > 0 || this.bytes.received > 0) {
      store.addToTally(this.jobId, { bytes_sent: this.bytes.sent, bytes_received: this.bytes.received });
      this.bytes.sent = 0;
      this.bytes.received = 0;
    }
    if (this.unsaved.length === 0) return;
    const batch = this.unsaved;
    this.unsaved = [];
    const now = this.ctx.runtime.now();
    store.atomically(() => {
      let failureLogs = store.tally(this.jobId).failure_logs;
      for (const outcome of batch) {
        store.dequeue(this.jobId, outcome.ord, outcome.journaled);
        if (outcome.confirmed) {
          this.log("INFO", `${outcome.serial}: write confirmed after restart (the destination holds the values sent before the interruption)`, outcome.serial);
        }
        const error = outcome.error === null ? null : outcome.hint === null ? outcome.error : `${outcome.error} — Hint: ${outcome.hint}`;
        store.appendOutcome({
          job_id: this.jobId,
          serial: outcome.serial,
          action: outcome.action,
          changes: outcome.changes.length === 0 ? null : JSON.stringify(outcome.changes),
          http_status: outcome.http_status,
          payload_excerpt: outcome.payload_excerpt,
          error: error ?? outcome.reason,
          at: now,
        });
        store.addToTally(this.jobId, { processed: 1, [outcome.action]: 1 });
        if (outcome.action === "failed") {
          if (failureLogs < tuning.failureLogLimit) {
            this.log("ERROR", `${outcome.serial} failed: ${error ?? "unknown error"}`, outcome.serial);
          } else if (failureLogs === tuning.failureLogLimit) {
            this.log("WARN", "Further failed records are not logged one by one: filter the Records tab by Failed");
          }
          failureLogs += 1;
        }
        if (runtime.debug) this.log("DEBUG", describeOutcome(outcome), outcome.serial);
      }
      store.setTally(this.jobId, { failure_logs: failureLogs });
    });
    this.ctx.onProgress?.();
  }

  decideFinish(runtime: JobRuntime, status: "completed" | "failed", error: JobError | null): void {
    const { store } = this.ctx;
    this.checkpoint(runtime);
    const now = this.ctx.runtime.now();
    store.atomically(() => {
      const counters = store.counters(this.jobId);
      const duration = ((now - (runtime.started_at ?? now)) / 1000).toFixed(1);
      if (status === "completed") {
        this.log("INFO", `Finished in ${duration} s: ${summarise(counters, this.job.plan.mode)}`);
        for (const diagnosis of diagnoseJob(counters)) this.log("WARN", `${diagnosis.message}. Hint: ${diagnosis.hint}`);
      } else if (error !== null) {
        this.log("ERROR", `Job failed after ${counters.processed} record(s): ${error.message}. Hint: ${error.hint}`);
      }
      runtime.finish = { status, at: now, error, ran: true };
      this.save(runtime);
    });
  }
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return "(invalid URL)";
  }
}

function summarise(counters: Record<string, number>, mode: "dry" | "live"): string {
  const written = mode === "dry" ? `${counters.would_update} would update` : `${counters.updated} updated`;
  const skipped = (counters.skipped_rule ?? 0) + (counters.skipped_no_change ?? 0);
  return `${counters.processed} of ${counters.in_scope} processed — ${written}, ${skipped} skipped, ` +
    `${counters.missing_source} missing source, ${counters.missing_destination} missing destination, ${counters.failed} failed`;
}

function describeOutcome(outcome: RecordOutcome): string {
  const changes = outcome.changes
    .map((c) => `${c.field}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}${c.written ? "" : " (not written)"}`)
    .join(", ");
  const status = outcome.http_status === null ? "" : ` (HTTP ${outcome.http_status})`;
  const detail = changes !== "" ? ` — ${changes}` : outcome.reason !== null ? ` — ${outcome.reason}` : "";
  return `${outcome.serial}: ${outcome.action}${status}${detail}`;
}
