import { api, asApiError, downloadFile, isAbort, logLevelsParam, type ApiError, type RerunScope } from "../lib/api";
import { OutcomeList } from "./outcome-list.svelte";
import { Resource } from "../lib/resource.svelte";
import type { JobDetail, JobSummary, LogLevel, LogLine, RecordOutcome, RunDetail } from "../lib/run-types";
import { isActive } from "../lib/statuses";
import { runs } from "./runs.svelte";

export const JOB_TABS = ["summary", "records", "logs", "requests"] as const;
export type JobTab = (typeof JOB_TABS)[number];
export const JOB_TAB_LABEL: Record<JobTab, string> = { summary: "Summary", records: "Records", logs: "Logs", requests: "Requests" };

// The job page: its detail read once, then kept current by the run state (live feed or its polling).
export class JobDetailState {
  readonly id: string;
  readonly detail: Resource<JobDetail>;

  constructor(id: string) {
    this.id = id;
    this.detail = new Resource((signal) => api.job(id, signal));
  }

  async load(): Promise<void> {
    await this.detail.reload();
    const state = this.detail.state;
    if (state.kind !== "ready") return;
    // With the run in the run state, the live feed's job deltas reach this page too.
    await runs.ensureJobs(state.data.run.id).catch((error: unknown) => console.warn("Run of this job unavailable", error));
  }

  // The newest word on the job: the live copy when there is one, else what the page read.
  get job(): (JobSummary & Partial<Pick<JobDetail, "run">>) | null {
    const read = this.#read();
    const fresh = runs.job(this.id);
    if (fresh && read) return { ...fresh, run: read.run };
    return fresh ?? read;
  }

  get runStatus(): RunDetail["status"] | null {
    const job = this.job;
    if (!job) return null;
    return runs.get(job.run_id)?.run.status ?? job.run?.status ?? null;
  }

  get active(): boolean {
    const job = this.job;
    return job !== null && isActive(job.status);
  }

  #read(): JobDetail | null {
    return this.detail.state.kind === "ready" ? this.detail.state.data : null;
  }
}

const RECORD_PAGE_SIZE = 100;

export class JobRecordsState extends OutcomeList<RecordOutcome> {
  readonly jobId: string;

  constructor(jobId: string) {
    super({
      page: (filters, cursor, signal) => api.jobRecords(jobId, filters, { cursor, limit: RECORD_PAGE_SIZE }, signal),
      csv: (filters) => api.jobRecordsCsv(jobId, filters),
      filename: `${jobId}-records.csv`,
    });
    this.jobId = jobId;
  }
}

// ERROR, WARN and INFO are filters; DEBUG has its own toggle, as the seed's "debug mode".
export const FILTER_LEVELS = ["ERROR", "WARN", "INFO"] as const satisfies readonly LogLevel[];
export const LOG_LEVEL_LABEL: Record<LogLevel, string> = { ERROR: "ERROR", WARN: "WARN", INFO: "INFO", DEBUG: "DEBUG" };

const LOG_PAGE_SIZE = 500;
const TAIL_EVERY_MS = 1_500;

export type LogsStatus = { kind: "idle" } | { kind: "loading" } | { kind: "ready" } | { kind: "failed"; error: ApiError };

export class JobLogsState {
  lines: LogLine[] = $state.raw([]);
  status: LogsStatus = $state({ kind: "idle" });
  levels: LogLevel[] = $state.raw([...FILTER_LEVELS]);
  debug = $state(false);
  query = $state("");
  // More lines exist beyond what is shown (a long log read page by page).
  more = $state(false);
  loadingMore = $state(false);
  tailing = $state(false);
  downloading = $state(false);
  downloadError: ApiError | null = $state(null);
  readonly #jobId: string;
  #controller: AbortController | null = null;
  #tailTimer: ReturnType<typeof setTimeout> | null = null;
  #isActive: () => boolean = () => false;

  constructor(jobId: string) {
    this.#jobId = jobId;
  }

  get jobId(): string {
    return this.#jobId;
  }

  get shownLevels(): LogLevel[] {
    return this.debug ? [...this.levels, "DEBUG"] : this.levels;
  }

  // Starts reading; `isActive` says whether the job still runs, so the tail keeps asking for new lines.
  start(isActive: () => boolean): () => void {
    this.#isActive = isActive;
    void this.reload();
    return () => this.stop();
  }

  stop(): void {
    this.#controller?.abort();
    this.#controller = null;
    if (this.#tailTimer) clearTimeout(this.#tailTimer);
    this.#tailTimer = null;
    this.tailing = false;
  }

  setLevels(levels: LogLevel[], debug: boolean): void {
    this.levels = levels;
    this.debug = debug;
    void this.reload();
  }

  search(query: string): void {
    this.query = query.trim();
    void this.reload();
  }

  async reload(): Promise<void> {
    this.stop();
    const controller = new AbortController();
    this.#controller = controller;
    this.status = { kind: "loading" };
    this.lines = [];
    if (this.shownLevels.length === 0) {
      this.more = false;
      this.status = { kind: "ready" };
      return;
    }
    try {
      const page = await this.#page(undefined, controller.signal);
      if (controller.signal.aborted) return;
      this.lines = page.data;
      this.more = page.next_cursor !== null;
      this.status = { kind: "ready" };
      this.#scheduleTail(controller);
    } catch (error) {
      if (isAbort(error) || controller.signal.aborted) return;
      this.status = { kind: "failed", error: asApiError(error) };
    }
  }

  async loadMore(): Promise<void> {
    const controller = this.#controller;
    if (!controller || this.loadingMore || !this.more) return;
    this.loadingMore = true;
    try {
      await this.#append(controller);
    } catch (error) {
      if (!isAbort(error)) this.status = { kind: "failed", error: asApiError(error) };
    } finally {
      this.loadingMore = false;
    }
  }

  async download(): Promise<void> {
    this.downloading = true;
    this.downloadError = null;
    try {
      const text = await api.jobLogsText(this.#jobId, { level: logLevelsParam(this.shownLevels), q: this.query || undefined });
      downloadFile(text, `${this.#jobId}-logs.txt`, "text/plain");
    } catch (error) {
      this.downloadError = asApiError(error);
    } finally {
      this.downloading = false;
    }
  }

  #page(afterSeq: number | undefined, signal: AbortSignal) {
    return api.jobLogs(this.#jobId, { level: logLevelsParam(this.shownLevels), q: this.query || undefined, after_seq: afterSeq }, LOG_PAGE_SIZE, signal);
  }

  async #append(controller: AbortController): Promise<void> {
    const last = this.lines.at(-1)?.seq ?? 0;
    const page = await this.#page(last, controller.signal);
    if (controller.signal.aborted || page.data.length === 0) {
      if (!controller.signal.aborted) this.more = page.next_cursor !== null;
      return;
    }
    this.lines = [...this.lines, ...page.data];
    this.more = page.next_cursor !== null;
  }

  // While the job runs, ask for lines after the last seq; the round that finds it finished is the last.
  #scheduleTail(controller: AbortController, afterRunning = false): void {
    if (!afterRunning && !this.#isActive()) {
      this.tailing = false;
      return;
    }
    this.tailing = true;
    this.#tailTimer = setTimeout(async () => {
      this.#tailTimer = null;
      const stillRunning = this.#isActive();
      try {
        if (!this.more) await this.#append(controller);
      } catch (error) {
        if (isAbort(error)) return;
        console.warn("Log tail: reading new lines failed; trying again", error);
      }
      if (controller.signal.aborted) return;
      if (stillRunning) this.#scheduleTail(controller, true);
      else this.tailing = false;
    }, TAIL_EVERY_MS);
  }
}

export class RerunState {
  busy: RerunScope | null = $state(null);
  error: ApiError | null = $state(null);
  started: RunDetail | null = $state(null);

  async rerun(runId: string, scope: RerunScope): Promise<void> {
    this.busy = scope;
    this.error = null;
    try {
      const run = await api.rerun(runId, scope);
      runs.remember(run);
      this.started = run;
    } catch (error) {
      this.error = asApiError(error);
    } finally {
      this.busy = null;
    }
  }
}
