import { api, asApiError, type ApiError, type CreateRunRequest } from "../lib/api";
import { Resource } from "../lib/resource.svelte";
import { runNote } from "../lib/job-outcome";
import type { JobDiagnosis, RunDetail, RunSummary, RunType } from "../lib/run-types";
import { runs } from "./runs.svelte";

const HEALTH_WINDOW = "24h";
const CHART_RUNS = 200;

// Health over the last 24 hours: the stats report and the runs behind the chart.
export class HealthState {
  readonly stats = new Resource((signal) => api.stats({ since: HEALTH_WINDOW, no_success_since: "3d", failures_limit: 5 }, signal));
  readonly recent = new Resource(async (signal) => {
    const page = await api.runs({ since: HEALTH_WINDOW }, { limit: CHART_RUNS }, signal);
    runs.rememberAll(page.data);
    return page;
  });

  reload(): void {
    void this.stats.reload();
    void this.recent.reload();
  }
}

// What the last dry run of the same scope (credential, type, serial, and for a full run whether it reads every
// record or only the changes since each cursor) found, so the live confirmation
// promises no more than that; lacking one, the last run of any mode says only how many records are in scope.
export interface LiveEstimate {
  from: RunSummary | null;
  dry: boolean;
  connections: number;
  // Largest scope of any connection of that run; null when unknown.
  inScope: number | null;
  // Would Update per connection of the dry run; null without a dry run.
  wouldUpdate: number[] | null;
  // Why that dry run wrote nothing, when every connection says the same (e.g. Missing Source).
  note: JobDiagnosis | null;
}

// A full run with reset reads every record and one without only the changes: neither previews the other. The list has
// no reset filter, so the last few are read and the first of the same kind taken.
const SAME_KIND_WINDOW = 20;

async function lastRun(credentialId: string, type: RunType, mode: "dry" | null, serial: string | null, reset: boolean): Promise<RunDetail | null> {
  const filters = { credential: credentialId, type, status: "completed" as const, ...(mode ? { mode } : {}), ...(serial ? { serial } : {}) };
  const page = await api.runs(filters, { limit: type === "full" ? SAME_KIND_WINDOW : 1 });
  const found = page.data.find((run) => type !== "full" || run.reset === reset);
  return found ? api.run(found.id) : null;
}

export async function estimateLiveRun(credentialId: string, type: RunType, serial: string | null, reset = false): Promise<LiveEstimate> {
  const dry = await lastRun(credentialId, type, "dry", serial, reset);
  const source = dry ?? (await lastRun(credentialId, type, null, serial, reset));
  if (!source) return { from: null, dry: false, connections: 0, inScope: type === "single" ? 1 : null, wouldUpdate: null, note: null };
  const known = source.jobs.map((job) => job.in_scope).filter((n): n is number => n !== null);
  return {
    from: source,
    dry: dry !== null,
    connections: source.jobs.length,
    inScope: type === "single" ? 1 : known.length > 0 ? Math.max(...known) : null,
    wouldUpdate: dry ? dry.jobs.map((job) => job.would_update) : null,
    note: dry ? runNote(dry.status, dry.jobs) : null,
  };
}

// Starting and canceling runs from the dashboard; the run then arrives in the run state like any other.
export class RunCommandState {
  starting = $state(false);
  startError: ApiError | null = $state(null);
  lastStartedId: string | null = $state(null);
  canceling: string | null = $state(null);
  cancelError: ApiError | null = $state(null);

  async start(request: CreateRunRequest): Promise<RunDetail | null> {
    this.starting = true;
    this.startError = null;
    try {
      const run = await api.startRun(request);
      runs.remember(run);
      this.lastStartedId = run.id;
      return run;
    } catch (error) {
      this.startError = asApiError(error);
      return null;
    } finally {
      this.starting = false;
    }
  }

  async cancel(id: string): Promise<void> {
    this.canceling = id;
    this.cancelError = null;
    try {
      runs.remember(await api.cancelRun(id));
    } catch (error) {
      this.cancelError = asApiError(error);
    } finally {
      this.canceling = null;
    }
  }
}
