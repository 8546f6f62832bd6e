import type { RunStatus } from "../schemas/vocabulary";
import { ACTIVE_SQL } from "./status-sets";

export interface ScheduledConnection {
  id: string;
  credentialId: string;
  position: number;
  schedule: string;
  updatedAt: number;
}

export async function listScheduledConnections(db: D1Database): Promise<ScheduledConnection[]> {
  // The WHERE matches the partial index connections_scheduled.
  const { results } = await db
    .prepare(
      `SELECT id, credential_id, position, schedule, updated_at
         FROM connections WHERE schedule IS NOT NULL AND enabled = 1`,
    )
    .all<{ id: string; credential_id: string; position: number; schedule: string; updated_at: number }>();
  return results.map((row) => ({
    id: row.id,
    credentialId: row.credential_id,
    position: row.position,
    schedule: row.schedule,
    updatedAt: row.updated_at,
  }));
}

export interface ActiveJob {
  runId: string;
  status: Extract<RunStatus, "pending" | "running">;
}

/** Per connection, the job that is pending or running now (the running one when there are both). */
export async function listActiveJobsByConnection(db: D1Database): Promise<Map<string, ActiveJob>> {
  const { results } = await db
    .prepare(`SELECT connection_id, run_id, status FROM jobs WHERE status IN ${ACTIVE_SQL}`)
    .all<{ connection_id: string; run_id: string; status: ActiveJob["status"] }>();
  const active = new Map<string, ActiveJob>();
  for (const row of results) {
    if (active.get(row.connection_id)?.status === "running") continue;
    active.set(row.connection_id, { runId: row.run_id, status: row.status });
  }
  return active;
}

export interface TickKey {
  connectionId: string;
  dueAt: number;
}

/**
 * Inserts the ticks no one has claimed yet and returns those: the primary key makes a second firing of
 * the trigger (or a concurrent one) find them taken. A claim starts as skipped until a run is recorded.
 */
export async function claimTicks(db: D1Database, ticks: readonly TickKey[], now: number): Promise<TickKey[]> {
  if (ticks.length === 0) return [];
  const { results } = await db
    .prepare(
      `INSERT OR IGNORE INTO schedule_ticks (connection_id, due_at, outcome, reason, recorded_at)
       SELECT json_extract(value, '$.connectionId'), json_extract(value, '$.dueAt'), 'skipped', 'claimed, not yet started', ?2
         FROM json_each(?1)
       RETURNING connection_id, due_at`,
    )
    .bind(JSON.stringify(ticks), now)
    .all<{ connection_id: string; due_at: number }>();
  return results.map((row) => ({ connectionId: row.connection_id, dueAt: row.due_at }));
}

export type TickOutcome = { outcome: "started"; runId: string } | { outcome: "skipped"; reason: string; runId: string | null };

export async function recordTickOutcomes(db: D1Database, outcomes: ReadonlyArray<TickKey & TickOutcome>, now: number): Promise<void> {
  if (outcomes.length === 0) return;
  await db.batch(
    outcomes.map((tick) =>
      db
        .prepare("UPDATE schedule_ticks SET outcome = ?3, run_id = ?4, reason = ?5, recorded_at = ?6 WHERE connection_id = ?1 AND due_at = ?2")
        .bind(tick.connectionId, tick.dueAt, tick.outcome, tick.runId, tick.outcome === "skipped" ? tick.reason : null, now),
    ),
  );
}

export interface ScheduleTickRow {
  connection_id: string;
  due_at: number;
  outcome: "started" | "skipped";
  run_id: string | null;
  reason: string | null;
  recorded_at: number;
}

export async function listScheduleTicks(db: D1Database, connectionId: string): Promise<ScheduleTickRow[]> {
  const { results } = await db.prepare("SELECT * FROM schedule_ticks WHERE connection_id = ?1 ORDER BY due_at").bind(connectionId).all<ScheduleTickRow>();
  return results;
}
