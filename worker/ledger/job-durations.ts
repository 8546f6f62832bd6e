// How long each connection's last completed job took: a run's ETA counts a queued job by it (worker/runs/eta.ts).
export async function lastCompletedDurations(db: D1Database, connectionIds: readonly string[]): Promise<Map<string, number>> {
  if (connectionIds.length === 0) return new Map();
  const rows = await db.batch<{ connection_id: string; duration_ms: number }>(
    connectionIds.map((id) =>
      db
        .prepare(
          `SELECT connection_id, duration_ms FROM jobs INDEXED BY jobs_stats_by_connection
            WHERE connection_id = ?1 AND status = 'completed' AND duration_ms IS NOT NULL ORDER BY created_at DESC LIMIT 1`,
        )
        .bind(id),
    ),
  );
  return new Map(rows.flatMap((result) => result.results.map((row) => [row.connection_id, row.duration_ms] as const)));
}
