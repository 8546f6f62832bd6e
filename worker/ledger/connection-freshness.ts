import { freshnessOf } from "../schedule/freshness";
import type { FreshnessView } from "../schemas/freshness";

/** The columns freshness is judged from, as read with the connection (alias c). */
export interface FreshnessColumns {
  enabled: number;
  freshness_paused_at: number | null;
  schedule: string | null;
  freshness_sla_minutes: number | null;
  freshness_since: number;
  freshness_success_at: number | null;
}

// A success is a completed live job; while the connection is in dry-run mode its schedule starts dry runs, so
// its newest completed job of any mode counts (one index seek, only for scheduled dry-run connections).
export const FRESHNESS_COLUMNS = `c.freshness_sla_minutes, c.paused_at AS freshness_paused_at, COALESCE(c.freshness_since, c.created_at) AS freshness_since,
  CASE WHEN c.schedule IS NOT NULL AND c.dry_run = 1 THEN NULLIF(MAX(IFNULL(c.last_success_at, 0), IFNULL((
         SELECT j.finished_at FROM jobs j INDEXED BY jobs_stats_by_connection
          WHERE j.connection_id = c.id AND j.status = 'completed' ORDER BY j.created_at DESC LIMIT 1), 0)), 0)
       ELSE c.last_success_at END AS freshness_success_at`;

export function freshnessView(row: FreshnessColumns, now: number): FreshnessView | null {
  const freshness = freshnessOf(
    {
      schedule: row.schedule,
      enabled: row.enabled === 1,
      paused: row.freshness_paused_at !== null,
      slaMinutes: row.freshness_sla_minutes,
      lastSuccessAt: row.freshness_success_at,
      since: row.freshness_since,
    },
    now,
  );
  if (freshness === null) return null;
  return {
    state: freshness.state,
    last_success_at: freshness.lastSuccessAt === null ? null : new Date(freshness.lastSuccessAt).toISOString(),
    expected_by: new Date(freshness.expectedBy).toISOString(),
    overdue_at: new Date(freshness.overdueAt).toISOString(),
    sla_minutes: freshness.slaMinutes,
  };
}
