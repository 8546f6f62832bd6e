// Backlogs worth watching from outside, each an index-only count: alert events not yet fanned out (the
// alerts queue's work), runs waiting for their credential's slot, and runs in progress.
export interface QueueDepths {
  alert_events: number;
  runs_pending: number;
  runs_running: number;
}

export async function readQueueDepths(db: D1Database): Promise<QueueDepths> {
  const row = await db
    .prepare(
      `SELECT (SELECT COUNT(*) FROM events WHERE dispatched_at IS NULL) AS alert_events,
              (SELECT COUNT(*) FROM runs WHERE status = 'pending') AS runs_pending,
              (SELECT COUNT(*) FROM runs WHERE status = 'running') AS runs_running`,
    )
    .first<QueueDepths>();
  return row ?? { alert_events: 0, runs_pending: 0, runs_running: 0 };
}
