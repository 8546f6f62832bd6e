import type { RunDetail } from "./run-types";

// GET /api/runs/{id}/plan and POST /api/runs/{id}/apply, as CONTRACTS-16 §4 documents them. The "apply" branch
// owns their worker schemas; until it is merged these mirror them here, and then become a type-only re-export.

export const PLAN_STATES = ["ready", "expired", "outdated", "applied", "empty", "not_dry", "not_finished"] as const;
export type PlanState = (typeof PLAN_STATES)[number];

export interface PlanConnection {
  connection_id: string;
  connection_name: string;
  job_id: string;
  planned_version: number;
  // null when the connection was deleted.
  current_version: number | null;
  would_update: number;
}

export interface RunPlan {
  run_id: string;
  state: PlanState;
  expires_at: string | null;
  applied_by_run_id: string | null;
  connections: PlanConnection[];
}

export interface ApplyRunResponse {
  run: RunDetail;
}

// An apply run names the dry run it applies (runs.plan_run_id, from the "apply" branch); other runs have none.
export function planRunIdOf(run: object | null | undefined): string | null {
  if (!run || !("plan_run_id" in run)) return null;
  return typeof run.plan_run_id === "string" ? run.plan_run_id : null;
}

// Settings section `plans` (GET/PUT /api/settings): how long a dry run's plan may be applied.
export const PLAN_TTL_HOURS = { min: 1, max: 720, fallback: 24 } as const;

export interface PlanSettings {
  ttl_hours: number;
}

export function planSettingsOf(settings: object): PlanSettings | null {
  if (!("plans" in settings) || typeof settings.plans !== "object" || settings.plans === null) return null;
  const plans = settings.plans as Partial<PlanSettings>;
  return typeof plans.ttl_hours === "number" ? { ttl_hours: plans.ttl_hours } : null;
}
