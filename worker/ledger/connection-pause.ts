// Auto-pause: a connection whose jobs failed `connections.pause_after_failed_runs` times in a row (default 10,
// 0 = never) is paused in the same batch that records the failure, so no later tick can start it in between.

export const PAUSE_AFTER_KEY = "connections.pause_after_failed_runs";
export const DEFAULT_PAUSE_AFTER = 10;

// The setting as SQL, read inside the statement that needs it rather than by a round trip of its own.
const PAUSE_AFTER_SQL = `COALESCE((SELECT CAST(value_json AS INTEGER) FROM settings WHERE key = '${PAUSE_AFTER_KEY}'), ${DEFAULT_PAUSE_AFTER})`;

/**
 * Must follow the statement that recorded the job's finish on the connection: only that finish (last_run_at)
 * pauses it, so a replayed batch or an older job finishing late changes nothing.
 */
export function pauseAfterFailureStatement(db: D1Database, connectionId: string, finishedAt: number, lastError: string | null): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE connections
          SET paused_at = ?2,
              paused_reason = 'Failed ' || consecutive_failures || ' runs in a row' || COALESCE('; last error: ' || substr(?3, 1, 300), '')
        WHERE id = ?1 AND paused_at IS NULL AND last_run_at = ?2 AND last_status = 'failed'
          AND ${PAUSE_AFTER_SQL} > 0 AND consecutive_failures >= ${PAUSE_AFTER_SQL}`,
    )
    .bind(connectionId, finishedAt, lastError);
}

export type ResumeOutcome = "resumed" | "not_paused" | "not_found";

// The streak starts again from the resume, so the connection gets the full number of tries before it pauses again.
export async function resumeConnection(db: D1Database, connectionId: string): Promise<ResumeOutcome> {
  const [resumed, exists] = await db.batch<{ one: number }>([
    db
      .prepare("UPDATE connections SET paused_at = NULL, paused_reason = NULL, consecutive_failures = 0 WHERE id = ?1 AND paused_at IS NOT NULL")
      .bind(connectionId),
    db.prepare("SELECT 1 AS one FROM connections WHERE id = ?1").bind(connectionId),
  ]);
  if ((resumed?.meta.changes ?? 0) > 0) return "resumed";
  return (exists?.results.length ?? 0) > 0 ? "not_paused" : "not_found";
}

export async function readPauseAfter(db: D1Database): Promise<number> {
  const row = await db.prepare("SELECT value_json FROM settings WHERE key = ?1").bind(PAUSE_AFTER_KEY).first<{ value_json: string }>();
  return row === null ? DEFAULT_PAUSE_AFTER : Number(JSON.parse(row.value_json));
}
