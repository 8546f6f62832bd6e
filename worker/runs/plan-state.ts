import type { PlanFacts } from "../ledger/run-plans";

// Whether a dry run's plan can be applied now, and if not why. Pure: the caller reads the facts and the TTL.

export const PLAN_STATES = ["ready", "expired", "outdated", "applied", "empty", "not_dry", "not_finished"] as const;
export type PlanState = (typeof PLAN_STATES)[number];

export interface PlanConnection {
  connection_id: string;
  connection_name: string;
  job_id: string;
  planned_version: number;
  // null when the connection was deleted since.
  current_version: number | null;
  would_update: number;
}

export interface PlanView {
  run_id: string;
  state: PlanState;
  expires_at: string | null;
  applied_by_run_id: string | null;
  connections: PlanConnection[];
}

export interface PlanVerdict {
  view: PlanView;
  // The refusal an apply gets in this state (null when ready).
  refusal: { code: string; message: string; meta?: Record<string, unknown> } | null;
}

const ENDED_APPLY = new Set(["failed", "canceled"]);

/** A finished dry run's plan can be applied until this time (ms). */
export function planExpiresAt(finishedAt: number, ttlHours: number): number {
  return finishedAt + ttlHours * 3_600_000;
}

export function planExpiredMessage(runId: string, expiresAt: number, ttlHours: number): string {
  return `The plan of dry run ${runId} expired at ${new Date(expiresAt).toISOString()} (plans last ${ttlHours} h).`;
}

export function planVerdict(facts: PlanFacts, ttlHours: number, now: number): PlanVerdict {
  const { run } = facts;
  const connections = facts.jobs.map((job): PlanConnection => ({
    connection_id: job.connection_id,
    connection_name: job.current_name ?? job.connection_name,
    job_id: job.id,
    planned_version: job.connection_version,
    current_version: job.current_version,
    would_update: job.archive_day === null ? 0 : job.would_update,
  }));
  const expiresAt = run.finished_at === null ? null : planExpiresAt(run.finished_at, ttlHours);
  const applied = facts.applies.find((apply) => !ENDED_APPLY.has(apply.status)) ?? null;
  const view = (state: PlanState): PlanView => ({
    run_id: run.id,
    state,
    expires_at: expiresAt === null ? null : new Date(expiresAt).toISOString(),
    applied_by_run_id: applied?.id ?? null,
    connections,
  });
  const refuse = (state: PlanState, code: string, message: string, meta?: Record<string, unknown>): PlanVerdict => ({
    view: view(state),
    refusal: { code, message, ...(meta ? { meta } : {}) },
  });

  if (run.mode !== "dry") return refuse("not_dry", "plan_not_dry", `Run ${run.id} is a live run; only a dry run is a plan to apply.`);
  if (run.status === "pending" || run.status === "running") {
    return refuse("not_finished", "plan_not_finished", `Dry run ${run.id} is ${run.status}; apply it once it has finished.`);
  }
  if (applied !== null) {
    return refuse("applied", "plan_already_applied", `Dry run ${run.id} is already applied by run ${applied.id} (${applied.status}).`, { run_id: applied.id });
  }
  const planned = connections.filter((c) => c.would_update > 0);
  if (planned.length === 0) return refuse("empty", "plan_empty", `Dry run ${run.id} planned no writes: there is nothing to apply.`);
  const changed = planned.filter((c) => c.current_version !== c.planned_version);
  if (changed.length > 0) {
    const names = changed.map((c) =>
      c.current_version === null
        ? `"${c.connection_name}" was deleted (planned at version ${c.planned_version})`
        : `"${c.connection_name}" changed from version ${c.planned_version} to ${c.current_version}`,
    );
    return refuse("outdated", "plan_outdated", `The plan no longer applies: connection ${names.join("; connection ")}. Run a new dry run.`, {
      connections: changed.map((c) => ({ connection_id: c.connection_id, planned_version: c.planned_version, current_version: c.current_version })),
    });
  }
  if (expiresAt !== null && now > expiresAt) {
    return refuse("expired", "plan_expired", `${planExpiredMessage(run.id, expiresAt, ttlHours)} Run a new dry run.`);
  }
  return { view: view("ready"), refusal: null };
}
