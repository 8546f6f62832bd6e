import type { RecordAction } from "../engine/reconcile";
import type { RunMode } from "../schemas/vocabulary";
import type { SqlQuery } from "./sql-query";

export interface LatestOutcomeFilters {
  action?: RecordAction;
  serialPrefix?: string;
  /** The last serial of the previous page. */
  afterSerial?: string;
}

export interface LatestOutcomeRow {
  serial: string;
  action: RecordAction;
  // ISO time the serial's outcome became this action.
  since: string;
  job_id: string;
  run_id: string;
  // Null once retention has purged the run: its outcome stays, since this table is kept by fleet, not by age.
  mode: RunMode | null;
  job_kept: boolean;
}

/** The counts stop here: a connection can hold a million serials in one state and a count must not walk them. */
export const LATEST_COUNT_CAP = 10_000;

// In serial order, through the primary key or, for one action, its index (migration 0033), so a page costs its
// rows whatever the fleet holds. The run and job are looked up by key for the mode and whether the job is kept.
export function buildLatestOutcomeListQuery(connectionId: string, filters: LatestOutcomeFilters, limit: number): SqlQuery {
  const params: unknown[] = [connectionId];
  const p = (value: unknown) => `?${params.push(value)}`;
  const conditions = ["lo.connection_id = ?1"];
  if (filters.action !== undefined) conditions.push(`lo.action = ${p(filters.action)}`);
  if (filters.serialPrefix !== undefined) {
    // A range rather than LIKE, so the key serves it and % or _ in a serial mean themselves.
    conditions.push(`lo.serial >= ${p(filters.serialPrefix)}`, `lo.serial < ${p(`${filters.serialPrefix}\u{10FFFF}`)}`);
  }
  if (filters.afterSerial !== undefined) conditions.push(`lo.serial > ${p(filters.afterSerial)}`);
  const index = filters.action === undefined ? "" : " INDEXED BY latest_outcomes_by_action";
  return {
    sql: `SELECT lo.serial, lo.action, lo.at, lo.job_id, lo.run_id, r.mode, j.id IS NOT NULL AS job_kept
            FROM latest_outcomes lo${index}
            LEFT JOIN runs r ON r.id = lo.run_id
            LEFT JOIN jobs j ON j.id = lo.job_id
           WHERE ${conditions.join(" AND ")}
           ORDER BY lo.serial LIMIT ${p(limit)}`,
    params,
  };
}

export async function listLatestOutcomes(db: D1Database, connectionId: string, filters: LatestOutcomeFilters, limit: number): Promise<LatestOutcomeRow[]> {
  const { sql, params } = buildLatestOutcomeListQuery(connectionId, filters, limit);
  const { results } = await db
    .prepare(sql)
    .bind(...params)
    .all<Stored<LatestOutcomeRow>>();
  return results.map(fromStored);
}

// A row as SQL returns it: `at` in epoch ms for since, and the job's presence as 0 or 1.
type Stored<T> = Omit<T, "since" | "job_kept"> & { at: number; job_kept: number };

function fromStored<R extends { at: number; job_kept: number }>({ at, job_kept, ...rest }: R) {
  return { ...rest, since: new Date(at).toISOString(), job_kept: job_kept === 1 };
}

export function buildLatestOutcomeCountQuery(connectionId: string, action: RecordAction): SqlQuery {
  return {
    sql: `SELECT COUNT(*) AS n FROM (SELECT 1 FROM latest_outcomes INDEXED BY latest_outcomes_by_action
            WHERE connection_id = ?1 AND action = ?2 LIMIT ?3)`,
    params: [connectionId, action, LATEST_COUNT_CAP + 1],
  };
}

/** How many serials of the connection hold each action now, each count stopping past LATEST_COUNT_CAP. One round trip. */
export async function countLatestOutcomes(db: D1Database, connectionId: string, actions: readonly RecordAction[]): Promise<Record<RecordAction, number>> {
  const statements = actions.map((action) => {
    const { sql, params } = buildLatestOutcomeCountQuery(connectionId, action);
    return db.prepare(sql).bind(...params);
  });
  const results = await db.batch<{ n: number }>(statements);
  return Object.fromEntries(actions.map((action, i) => [action, results[i]!.results[0]?.n ?? 0])) as Record<RecordAction, number>;
}

export interface SerialStandingRow {
  connection_id: string;
  connection_name: string;
  credential_id: string;
  action: RecordAction;
  since: string;
  job_id: string;
  run_id: string;
  mode: RunMode | null;
  job_kept: boolean;
}

// One serial on every connection that has decided it: a key lookup per connection (the connections are
// configuration, not history), in each credential's execution order.
export function buildSerialStandingQuery(serial: string): SqlQuery {
  return {
    sql: `SELECT c.id AS connection_id, c.name AS connection_name, c.credential_id, lo.action, lo.at, lo.job_id, lo.run_id,
                 r.mode, j.id IS NOT NULL AS job_kept
            FROM connections c INDEXED BY connections_by_credential
            JOIN latest_outcomes lo ON lo.connection_id = c.id AND lo.serial = ?1
            LEFT JOIN runs r ON r.id = lo.run_id
            LEFT JOIN jobs j ON j.id = lo.job_id
           ORDER BY c.credential_id, c.position`,
    params: [serial],
  };
}

export async function readSerialStanding(db: D1Database, serial: string): Promise<SerialStandingRow[]> {
  const { sql, params } = buildSerialStandingQuery(serial);
  const { results } = await db
    .prepare(sql)
    .bind(...params)
    .all<Stored<SerialStandingRow>>();
  return results.map(fromStored);
}

/** Every serial matching the filters, in serial order, read a page at a time so an export of a large fleet streams. */
export async function* everyLatestOutcome(db: D1Database, connectionId: string, filters: Omit<LatestOutcomeFilters, "afterSerial">, pageSize = 1000) {
  let afterSerial: string | undefined;
  for (;;) {
    const rows = await listLatestOutcomes(db, connectionId, { ...filters, afterSerial }, pageSize);
    yield* rows;
    if (rows.length < pageSize) return;
    afterSerial = rows.at(-1)!.serial;
  }
}
