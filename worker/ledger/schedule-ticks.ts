import type { RunStatus } from "../schemas/vocabulary";
import { insertRunsStatements, jsonArrays, promoteRunsStatements } from "./run-batch-writes";
import type { NewJob, NewRun } from "./run-writes";
import { isUniqueViolation } from "./unique-violation";
import { ACTIVE_SQL } from "./status-sets";

export interface ActiveJob {
  runId: string;
  status: Extract<RunStatus, "pending" | "running">;
}

export interface TickKey {
  connectionId: string;
  dueAt: number;
}

export type TickOutcome = { outcome: "started"; runId: string } | { outcome: "skipped"; reason: string; runId: string | null };

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

// ---- Schedules through the queue: the cron pages and enqueues, the consumer claims and starts ----

export interface ScheduledConnectionKey {
  credentialId: string;
  id: string;
}

export interface ScheduledConnectionRef extends ScheduledConnectionKey {
  schedule: string;
  updatedAt: number;
}

/** One page of the scheduled connections after `after`, by credential then id (the covering index connections_scheduled_by_credential). */
export async function listScheduledConnectionsPage(db: D1Database, after: ScheduledConnectionKey | null, limit: number): Promise<ScheduledConnectionRef[]> {
  const { results } = await db
    .prepare(
      `SELECT credential_id, id, schedule, updated_at FROM connections
        WHERE schedule IS NOT NULL AND enabled = 1 AND (credential_id, id) > (?1, ?2)
        ORDER BY credential_id, id LIMIT ?3`,
    )
    .bind(after?.credentialId ?? "", after?.id ?? "", limit)
    .all<{ credential_id: string; id: string; schedule: string; updated_at: number }>();
  return results.map((row) => ({ credentialId: row.credential_id, id: row.id, schedule: row.schedule, updatedAt: row.updated_at }));
}

export const tickKey = (tick: TickKey) => `${tick.connectionId}@${tick.dueAt}`;

const tickPairs = (ticks: readonly TickKey[]) => JSON.stringify(ticks.map((tick) => [tick.connectionId, tick.dueAt]));

// One primary-key lookup per tick (CROSS JOIN keeps json_each outside).
function claimedTicksStatement(db: D1Database, ticks: readonly TickKey[]): D1PreparedStatement {
  return db
    .prepare(
      `SELECT t.connection_id, t.due_at FROM json_each(?1) j
         CROSS JOIN schedule_ticks t ON t.connection_id = json_extract(j.value, '$[0]') AND t.due_at = json_extract(j.value, '$[1]')`,
    )
    .bind(tickPairs(ticks));
}

const claimedSet = (rows: ReadonlyArray<{ connection_id: string; due_at: number }>) =>
  new Set(rows.map((row) => tickKey({ connectionId: row.connection_id, dueAt: row.due_at })));

/** The keys (tickKey) of the ticks among these that already have a schedule_ticks row. */
export async function listClaimedTicks(db: D1Database, ticks: readonly TickKey[]): Promise<Set<string>> {
  if (ticks.length === 0) return new Set();
  const { results } = await claimedTicksStatement(db, ticks).all<{ connection_id: string; due_at: number }>();
  return claimedSet(results);
}

export interface TickConnection {
  id: string;
  credential_id: string;
  name: string;
  position: number;
  enabled: number;
  dry_run: number;
  version: number;
  schedule: string | null;
  // Set while the connection is paused after failing too many runs in a row: its ticks are skipped.
  paused_at: number | null;
  paused_reason: string | null;
}

export interface TickContext {
  /** The ticks' connections as they are now; a deleted one is absent. */
  connections: Map<string, TickConnection>;
  credentialNames: Map<string, string>;
  /** tickKey of each tick already recorded. */
  claimed: Set<string>;
  /** Per connection, its pending or running job (the running one when there are both). */
  active: Map<string, ActiveJob>;
}

/** Everything the consumer decides a batch of ticks from, read in one round trip. */
export async function readTickContext(db: D1Database, ticks: readonly TickKey[]): Promise<TickContext> {
  const ids = JSON.stringify([...new Set(ticks.map((tick) => tick.connectionId))]);
  const [connections, credentials, claimed, active] = await db.batch([
    db
      .prepare(
        `SELECT id, credential_id, name, position, enabled, dry_run, version, schedule, paused_at, paused_reason FROM connections
          WHERE id IN (SELECT value FROM json_each(?1))`,
      )
      .bind(ids),
    db
      .prepare(
        `SELECT id, name FROM credentials
          WHERE id IN (SELECT credential_id FROM connections WHERE id IN (SELECT value FROM json_each(?1)))`,
      )
      .bind(ids),
    claimedTicksStatement(db, ticks),
    db.prepare(`SELECT connection_id, run_id, status FROM jobs WHERE connection_id IN (SELECT value FROM json_each(?1)) AND status IN ${ACTIVE_SQL}`).bind(ids),
  ]);
  const activeJobs = new Map<string, ActiveJob>();
  for (const row of (active?.results ?? []) as Array<{ connection_id: string; run_id: string; status: ActiveJob["status"] }>) {
    if (activeJobs.get(row.connection_id)?.status === "running") continue;
    activeJobs.set(row.connection_id, { runId: row.run_id, status: row.status });
  }
  return {
    connections: new Map(((connections?.results ?? []) as TickConnection[]).map((row) => [row.id, row])),
    credentialNames: new Map(((credentials?.results ?? []) as Array<{ id: string; name: string }>).map((row) => [row.id, row.name])),
    claimed: claimedSet((claimed?.results ?? []) as Array<{ connection_id: string; due_at: number }>),
    active: activeJobs,
  };
}

export type TickRecord = TickKey & TickOutcome;

/**
 * Records the ticks with their outcomes. A plain INSERT: a tick someone else recorded meanwhile fails the
 * whole batch it is part of (with the runs it would have started), which the caller reads and plans again.
 */
function recordTicksStatements(db: D1Database, ticks: readonly TickRecord[], now: number): D1PreparedStatement[] {
  return jsonArrays(ticks.map((tick) => [tick.connectionId, tick.dueAt, tick.outcome, tick.runId, tick.outcome === "skipped" ? tick.reason : null])).map(
    (rows) =>
      db
        .prepare(
          `INSERT INTO schedule_ticks (connection_id, due_at, outcome, run_id, reason, recorded_at)
         SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'),
                json_extract(value, '$[4]'), ?2
           FROM json_each(?1)`,
        )
        .bind(rows, now),
  );
}

/** What a consumer batch committed: the runs it promoted, and the outbox events it wrote, in outbox order per run. */
export interface TicksCommit {
  promoted: string[];
  // Each run's "pending" event, then its "running" event if it was promoted: what goes on the alerts queue.
  eventIds: string[];
}

/**
 * Records the ticks and inserts their runs (promoting each that may start) in one transaction. Returns the
 * promoted run ids with the events written, or "taken" when another consumer recorded one of these ticks
 * first: nothing was written.
 */
export async function recordTicksWithRuns(
  db: D1Database,
  ticks: readonly TickRecord[],
  runs: ReadonlyArray<{ run: NewRun; jobs: readonly NewJob[] }>,
  now: number,
): Promise<TicksCommit | "taken"> {
  const record = recordTicksStatements(db, ticks, now);
  const insert = insertRunsStatements(db, runs);
  const promote = promoteRunsStatements(
    db,
    runs.map(({ run }) => run),
    now,
  );
  let results: D1Result[];
  try {
    results = await db.batch([...record, ...insert.statements, ...promote.statements]);
  } catch (error) {
    if (isUniqueViolation(error, "schedule_ticks")) return "taken";
    throw error;
  }
  if (promote.statements.length === 0) return { promoted: [], eventIds: insert.eventIds };
  const promoted = ((results[record.length + insert.statements.length]?.results ?? []) as Array<{ id: string }>).map((row) => row.id);
  const started = new Set(promoted);
  // The ids were chosen before the batch, so the consumer enqueues them without reading the outbox back.
  const eventIds = runs.flatMap(({ run }, i) => (started.has(run.id) ? [insert.eventIds[i]!, promote.eventIds[i]!] : [insert.eventIds[i]!]));
  return { promoted, eventIds };
}
