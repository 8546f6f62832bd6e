import type { PlanConnection, RunPlan } from "../../../web/src/lib/plan-types";

let sequence = 0;

export function makePlanConnection(overrides: Partial<PlanConnection> = {}): PlanConnection {
  sequence += 1;
  return {
    connection_id: `conn_${sequence}`,
    connection_name: `Connection ${sequence}`,
    job_id: `job_dry_${sequence}`,
    planned_version: 3,
    current_version: 3,
    would_update: 12,
    ...overrides,
  };
}

export function makePlan(overrides: Partial<RunPlan> = {}, connections: Array<Partial<PlanConnection>> = [{}]): RunPlan {
  return {
    run_id: "run_dry",
    state: "ready",
    expires_at: "2026-11-23T12:00:00.000Z",
    applied_by_run_id: null,
    connections: connections.map((connection) => makePlanConnection(connection)),
    ...overrides,
  };
}
