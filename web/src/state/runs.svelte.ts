import { untrack } from "svelte";
import { SvelteMap } from "svelte/reactivity";
import { api } from "../lib/api";
import { assertNever } from "../../../shared/lang";
import { isActive } from "../lib/statuses";
import type { JobSummary, LiveMessage, LiveSnapshotRun, RunDetail, RunStatus, RunSummary } from "../lib/run-types";

// The one owner of run state. REST pages and the live feed both land here, so a row on any page shows the
// newest word on its run; each run is its own reactive cell, so a delta re-renders only that run's rows.

export class RunEntry {
  run: RunSummary = $state.raw() as RunSummary;
  // In execution order; null until a detail read or a live message brought them.
  jobs: JobSummary[] | null = $state.raw(null);

  constructor(run: RunSummary, jobs: JobSummary[] | null) {
    this.run = run;
    this.jobs = jobs ? sortJobs(jobs) : null;
  }
}

function sortJobs(jobs: readonly JobSummary[]): JobSummary[] {
  return [...jobs].sort((a, b) => a.position - b.position || a.id.localeCompare(b.id));
}

function summaryOf(run: RunSummary | RunDetail | LiveSnapshotRun): RunSummary {
  if (!("jobs" in run)) return run;
  const { jobs: _jobs, ...summary } = run;
  return summary;
}

// A delayed message must not undo what a newer one (or a REST read) already showed.
function isStale(current: { status: RunStatus }, incoming: { status: RunStatus }): boolean {
  return !isActive(current.status) && isActive(incoming.status);
}

function isStaleJob(current: JobSummary, incoming: JobSummary): boolean {
  return isStale(current, incoming) || (current.status === incoming.status && incoming.processed < current.processed);
}

// A read that left before the feed's latest news must not put a finished job back to pending.
function mergeJobs(current: readonly JobSummary[] | null, incoming: readonly JobSummary[]): JobSummary[] {
  if (current === null) return [...incoming];
  const known = new Map(current.map((job) => [job.id, job]));
  return incoming.map((job) => {
    const held = known.get(job.id);
    return held !== undefined && isStaleJob(held, job) ? held : job;
  });
}

export type RunFetcher = (id: string) => Promise<RunDetail>;

export class RunsState {
  // Active runs, newest first; recomputed only when a run starts or stops being active.
  activeIds: string[] = $state.raw([]);
  // Runs first heard of from the live feed, newest first: lists show them above what they loaded.
  arrivals: string[] = $state.raw([]);
  feedError: string | null = $state(null);
  lastSnapshotAt: string | null = $state(null);

  #entries = new SvelteMap<string, RunEntry>();
  // Reactive, so a job page that asked before its run was read follows the run's jobs once it is.
  #jobRun = new SvelteMap<string, string>();
  #refreshing = new Set<string>();
  // Runs asked for again while a read of them was in flight: that read may predate what prompted the ask.
  #refreshAgain = new Set<string>();
  #fetchRun: RunFetcher;

  constructor(fetchRun: RunFetcher = (id) => api.run(id)) {
    this.#fetchRun = fetchRun;
  }

  get(id: string): RunEntry | undefined {
    return this.#entries.get(id);
  }

  job(jobId: string): JobSummary | undefined {
    const runId = this.#jobRun.get(jobId);
    const entry = runId === undefined ? undefined : this.#entries.get(runId);
    return entry?.jobs?.find((job) => job.id === jobId);
  }

  get activeRuns(): RunEntry[] {
    return this.activeIds.flatMap((id) => this.#entries.get(id) ?? []);
  }

  // Every message of the feed goes through this switch, in order.
  apply(messages: readonly LiveMessage[]): void {
    for (const message of messages) {
      switch (message.type) {
        case "snapshot":
          this.#applySnapshot(message.runs, message.at, message.credential_id);
          break;
        case "run":
          this.#upsert(message.run, message.jobs ?? null, true);
          break;
        case "job":
          this.#applyJob(message.job);
          break;
        case "pong":
          break;
        case "error":
          this.feedError = message.message;
          break;
        case "ping":
        case "resync":
          // Client-to-server messages; a server never sends them.
          break;
        default:
          assertNever(message);
      }
    }
    this.#recomputeActive();
  }

  // What a REST read learned; returns the entry the page should render.
  remember(run: RunSummary | RunDetail): RunEntry {
    const entry = this.#upsert(run, "jobs" in run ? run.jobs : null, false);
    this.#recomputeActive();
    return entry;
  }

  rememberAll(runs: readonly RunSummary[]): string[] {
    const ids = runs.map((run) => this.#upsert(run, null, false).run.id);
    this.#recomputeActive();
    return ids;
  }

  // Reads the run with its jobs again (a folder opened, or a run that left the active set).
  async refresh(id: string): Promise<RunEntry | undefined> {
    if (this.#refreshing.has(id)) {
      this.#refreshAgain.add(id);
      return this.#entries.get(id);
    }
    this.#refreshing.add(id);
    try {
      let entry = this.remember(await this.#fetchRun(id));
      while (this.#refreshAgain.delete(id)) entry = this.remember(await this.#fetchRun(id));
      return entry;
    } finally {
      this.#refreshing.delete(id);
    }
  }

  async ensureJobs(id: string): Promise<void> {
    if (this.#entries.get(id)?.jobs) return;
    await this.refresh(id);
  }

  #upsert(run: RunSummary | RunDetail | LiveSnapshotRun, jobs: readonly JobSummary[] | null, fromFeed: boolean): RunEntry {
    const summary = summaryOf(run);
    let entry = this.#entries.get(summary.id);
    if (!entry) {
      entry = new RunEntry(summary, jobs ? [...jobs] : null);
      this.#entries.set(summary.id, entry);
      if (fromFeed) this.arrivals = [summary.id, ...this.arrivals];
    } else {
      const finishing = isActive(entry.run.status) && !isActive(summary.status);
      if (!isStale(entry.run, summary)) entry.run = summary;
      if (jobs) entry.jobs = sortJobs(mergeJobs(entry.jobs, jobs));
      // The runs feed tells of a finish without the jobs (their last progress may still be on its way on the
      // credential's feed, which closes now): read the final jobs once.
      else if (fromFeed && finishing && entry.jobs !== null) {
        void this.refresh(summary.id).catch((error: unknown) => console.warn("Could not read finished run", summary.id, error));
      }
    }
    for (const job of entry.jobs ?? []) this.#jobRun.set(job.id, summary.id);
    return entry;
  }

  #applyJob(job: JobSummary): void {
    this.#jobRun.set(job.id, job.run_id);
    const entry = this.#entries.get(job.run_id);
    if (!entry || entry.jobs === null) {
      // A job of a run we hold no job list for: read the whole run rather than show a partial list.
      void this.refresh(job.run_id).catch((error: unknown) => console.warn("Could not read run", job.run_id, error));
      return;
    }
    const index = entry.jobs.findIndex((existing) => existing.id === job.id);
    if (index === -1) {
      entry.jobs = sortJobs([...entry.jobs, job]);
      return;
    }
    const current = entry.jobs[index];
    if (current && isStaleJob(current, job)) return;
    const next = [...entry.jobs];
    next[index] = job;
    entry.jobs = next;
  }

  // A credential's feed speaks for that credential's runs only; the runs feed for every run, without jobs.
  #applySnapshot(runs: readonly LiveSnapshotRun[], at: string, credentialId: string | null): void {
    const present = new Set(runs.map((run) => run.id));
    for (const run of runs) this.#upsert(run, run.jobs ?? null, true);
    // A run of the feed that was active and is missing from the snapshot has finished: read how it ended.
    for (const id of this.activeIds) {
      if (present.has(id)) continue;
      if (credentialId !== null && this.#entries.get(id)?.run.credential_id !== credentialId) continue;
      void this.refresh(id).catch((error: unknown) => console.warn("Could not read finished run", id, error));
    }
    this.lastSnapshotAt = at;
    this.feedError = null;
  }

  // Untracked: REST reads land here from inside effects, which must not come to depend on the whole store.
  #recomputeActive(): void {
    untrack(() => this.#recomputeActiveNow());
  }

  #recomputeActiveNow(): void {
    const next = [...this.#entries.values()]
      .filter((entry) => isActive(entry.run.status))
      .sort((a, b) => b.run.created_at.localeCompare(a.run.created_at) || b.run.id.localeCompare(a.run.id))
      .map((entry) => entry.run.id);
    if (next.length !== this.activeIds.length || next.some((id, i) => id !== this.activeIds[i])) this.activeIds = next;
  }
}

export const runs = new RunsState();
