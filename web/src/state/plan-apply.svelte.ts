import { api, asApiError, type ApiClient, type ApiError } from "../lib/api";
import { Resource } from "../lib/resource.svelte";
import type { RunPlan } from "../lib/plan-types";
import type { JobSummary, RunDetail } from "../lib/run-types";
import { runs } from "./runs.svelte";
import { dashboardPaths } from "../../../shared/dashboard-paths";

// "Dry run, review, apply": a dry run's plan (can it be applied, and what would it write) and the apply
// that starts a live run sending exactly the planned requests.

type PlanClient = Pick<ApiClient, "runPlan" | "applyPlan" | "run">;

// The job to open in a run: the one of the same connection, else the first.
export function jobHref(run: Pick<RunDetail, "id" | "jobs">, connectionId: string | null): string {
  const job = run.jobs.find((candidate) => candidate.connection_id === connectionId) ?? run.jobs[0];
  return job ? dashboardPaths.job(job.id) : dashboardPaths.run(run.id);
}

export class PlanApplyState {
  readonly runId: string;
  readonly plan: Resource<RunPlan>;
  // Where the run that already applied this plan can be seen.
  appliedHref: string | null = $state(null);
  applying = $state(false);
  error: ApiError | null = $state(null);
  readonly #client: PlanClient;
  readonly #connectionId: string | null;

  constructor(runId: string, connectionId: string | null = null, client: PlanClient = api) {
    this.runId = runId;
    this.#connectionId = connectionId;
    this.#client = client;
    this.plan = new Resource((signal) => client.runPlan(runId, signal));
  }

  async load(): Promise<void> {
    await this.plan.reload();
    const state = this.plan.state;
    const appliedBy = state.kind === "ready" ? state.data.applied_by_run_id : null;
    if (appliedBy === null) return;
    try {
      const run = await this.#client.run(appliedBy);
      runs.remember(run);
      this.appliedHref = jobHref(run, this.#connectionId);
    } catch (error) {
      // The reason still shows, without the link.
      console.warn("Apply run unavailable", error);
    }
  }

  // Starts the apply run; answers where to go (its job), or null with `error` set.
  async apply(): Promise<string | null> {
    this.applying = true;
    this.error = null;
    try {
      const { run } = await this.#client.applyPlan(this.runId);
      runs.remember(run);
      return jobHref(run, this.#connectionId);
    } catch (error) {
      this.error = asApiError(error);
      // A 409 means the plan's state moved on (expired, applied, outdated): show the new reason.
      void this.load();
      return null;
    } finally {
      this.applying = false;
    }
  }
}

// On an apply run's job: the dry run it applies, its job of the same connection, and the Compare link.
export interface AppliedPlan {
  planRunId: string;
  dryJob: JobSummary | null;
}

export class AppliedPlanState {
  readonly applied: Resource<AppliedPlan>;
  planRunId: string | null = $state(null);
  #connectionId: string | null = null;

  constructor(client: Pick<ApiClient, "run"> = api) {
    this.applied = new Resource(async (signal) => {
      const planRunId = this.planRunId ?? "";
      const dry = await client.run(planRunId, signal);
      return { planRunId, dryJob: dry.jobs.find((job) => job.connection_id === this.#connectionId) ?? null };
    });
  }

  // The run's plan_run_id never changes, so the first one learned is kept (a live frame may not carry it).
  learn(planRunId: string | null, connectionId: string): void {
    if (planRunId === null || this.planRunId !== null) return;
    this.planRunId = planRunId;
    this.#connectionId = connectionId;
    void this.applied.reload();
  }
}
