import type { BreakerRecord } from "../breakers/breaker-state";

// The destination breakers as last changed by their Durable Objects, and the jobs each one holds back.

const COLUMNS = `host, state, opened_at, failed_probes, next_probe_at, probe_run_id, probe_started_at, last_error, last_failure_at,
  closed_at, updated_at`;

export interface BreakerRow extends BreakerRecord {
  waiting_jobs: number;
}

export async function readBreaker(db: D1Database, host: string): Promise<BreakerRecord | null> {
  return db.prepare(`SELECT ${COLUMNS} FROM destination_breakers WHERE host = ?1`).bind(host).first<BreakerRecord>();
}

// Written at each transition only; `updated_at` never goes back, so a late write of an older state loses.
export async function saveBreaker(db: D1Database, record: BreakerRecord): Promise<void> {
  await db
    .prepare(
      `INSERT INTO destination_breakers (${COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
       ON CONFLICT (host) DO UPDATE SET state = excluded.state, opened_at = excluded.opened_at, failed_probes = excluded.failed_probes,
         next_probe_at = excluded.next_probe_at, probe_run_id = excluded.probe_run_id, probe_started_at = excluded.probe_started_at,
         last_error = excluded.last_error, last_failure_at = excluded.last_failure_at, closed_at = excluded.closed_at,
         updated_at = excluded.updated_at
       WHERE excluded.updated_at >= destination_breakers.updated_at`,
    )
    .bind(
      record.host,
      record.state,
      record.opened_at,
      record.failed_probes,
      record.next_probe_at,
      record.probe_run_id,
      record.probe_started_at,
      record.last_error,
      record.last_failure_at,
      record.closed_at,
      record.updated_at,
    )
    .run();
}

// Bounded by the hosts the fleet's connections name, not by history: open and probing breakers first.
export async function listBreakers(db: D1Database, limit: number): Promise<BreakerRow[]> {
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS},
              (SELECT COUNT(*) FROM jobs j INDEXED BY jobs_waiting_by_host
                WHERE j.waiting_host = b.host AND j.status = 'running') AS waiting_jobs
         FROM destination_breakers b
        ORDER BY CASE state WHEN 'open' THEN 0 WHEN 'half_open' THEN 1 ELSE 2 END, host
        LIMIT ?1`,
    )
    .bind(limit)
    .all<BreakerRow>();
  return results;
}

// A job held back by an open breaker (host and when it looks again), or released (null).
export function jobWaitingStatement(db: D1Database, jobId: string, waiting: { host: string; until: number | null } | null): D1PreparedStatement {
  return db.prepare("UPDATE jobs SET waiting_host = ?2, waiting_until = ?3 WHERE id = ?1").bind(jobId, waiting?.host ?? null, waiting?.until ?? null);
}

export async function runIdsWaitingOn(db: D1Database, host: string, limit: number): Promise<string[]> {
  const { results } = await db
    .prepare("SELECT DISTINCT run_id FROM jobs INDEXED BY jobs_waiting_by_host WHERE waiting_host = ?1 AND status = 'running' LIMIT ?2")
    .bind(host, limit)
    .all<{ run_id: string }>();
  return results.map((row) => row.run_id);
}
