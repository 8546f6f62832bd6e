import type { ConnectionStats, DurationStats, StatsResponse } from "../schemas/stats";
import {
  connectionHealthQuery,
  credentialAttentionQuery,
  emptyDurations,
  emptyStatusCounts,
  recentFailuresQuery,
  recentJobsQuery,
  runCountsQuery,
  runQueries,
  type ConnectionHealthRow,
  type DurationSummary,
  type StatusCounts,
  type TimeWindow,
} from "../ledger/stats";
import { windowStats } from "../ledger/stats-window";
import { statusDetail } from "../schemas/status-detail";
import { attentionReason } from "./attention";

export interface StatsReportOptions {
  window: TimeWindow;
  noSuccessSince: number;
  failuresLimit: number;
  recentPerConnection: number;
}

export async function buildStatsReport(db: D1Database, options: StatsReportOptions): Promise<StatsResponse> {
  const { window } = options;
  // The window's counts and durations (rollup plus edge hours) alongside one batch of the rest.
  const [aggregate, [runCounts, failures, health, recent, credentials]] = await Promise.all([
    windowStats(db, window, null),
    runQueries(db, [
      runCountsQuery(db, window),
      recentFailuresQuery(db, window, Math.max(options.failuresLimit, 0)),
      connectionHealthQuery(db),
      recentJobsQuery(db, Math.max(options.recentPerConnection, 0)),
      credentialAttentionQuery(db),
    ] as const),
  ]);
  const perConnection = aggregate.perConnection;
  const jobCounts = aggregate.jobs;
  const durations = aggregate.durations;

  const recentByConnection = new Map<string, typeof recent>();
  for (const row of recent) {
    const list = recentByConnection.get(row.connection_id);
    if (list) list.push(row);
    else recentByConnection.set(row.connection_id, [row]);
  }
  const connections: ConnectionStats[] = health.map((row) => {
    const stats = perConnection.get(row.id);
    return {
      ...healthView(row),
      jobs: tallyView(stats?.jobs ?? emptyStatusCounts()),
      durations: durationView(stats?.durations ?? emptyDurations()),
      recent_jobs: (recentByConnection.get(row.id) ?? []).map((job) => ({
        job_id: job.id,
        status: job.status,
        duration_ms: job.duration_ms,
        created_at: iso(job.created_at),
      })),
    };
  });

  return {
    window: { since: iso(window.since), until: iso(window.until) },
    jobs: tallyView(jobCounts),
    runs: tallyView(runCounts),
    durations: durationView(durations),
    failures: {
      count: jobCounts.failed,
      recent: failures.map((job) => ({
        job_id: job.id,
        run_id: job.run_id,
        connection_id: job.connection_id,
        connection_name: job.connection_name,
        mode: job.mode,
        trigger: job.trigger,
        error: { code: job.error_code, http_status: job.error_http_status, message: job.error_message, hint: job.error_hint },
        created_at: iso(job.created_at),
        finished_at: job.finished_at === null ? null : iso(job.finished_at),
        duration_ms: job.duration_ms,
      })),
    },
    connections,
    without_success: {
      since: iso(options.noSuccessSince),
      connections: withoutSuccessSince(health, options.noSuccessSince).map(withoutSuccessView),
    },
    credentials: credentials.map((row) => ({
      id: row.id,
      name: row.name,
      attention: row.refresh_error === null ? "not_connected" : "refresh_refused",
      message: row.refresh_error,
      since: row.refresh_error_at === null ? null : iso(row.refresh_error_at),
      connection_count: row.connection_count,
    })),
  };
}

/** Connections whose newest completed live job is older than `since`, or that have none: never-succeeded first. */
export function withoutSuccessSince(rows: ConnectionHealthRow[], since: number): ConnectionHealthRow[] {
  return rows
    .filter((row) => row.last_success_at === null || row.last_success_at < since)
    .sort((a, b) => (a.last_success_at ?? -1) - (b.last_success_at ?? -1));
}

export function successRate(counts: StatusCounts): number | null {
  const finished = counts.completed + counts.failed;
  return finished === 0 ? null : Math.round((counts.completed / finished) * 10_000) / 10_000;
}

export function tallyView(counts: StatusCounts): StatsResponse["jobs"] {
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  return { total, by_status: { ...counts }, success_rate: successRate(counts) };
}

export function durationView(summary: DurationSummary): DurationStats {
  return {
    completed_jobs: summary.count,
    average_ms: summary.averageMs,
    p50_ms: summary.p50Ms,
    p95_ms: summary.p95Ms,
    min_ms: summary.minMs,
    max_ms: summary.maxMs,
  };
}

function withoutSuccessView(row: ConnectionHealthRow): StatsResponse["without_success"]["connections"][number] {
  return { ...healthView(row), attention: attentionReason(row) };
}

export function healthView(row: ConnectionHealthRow): Omit<StatsResponse["without_success"]["connections"][number], "attention"> {
  return {
    id: row.id,
    name: row.name,
    credential_id: row.credential_id,
    credential_name: row.credential_name,
    enabled: row.enabled === 1,
    schedule: row.schedule,
    last_status: row.last_status,
    last_failed_records: row.last_failed_records,
    last_status_detail: statusDetail(row.last_status, row.last_failed_records),
    last_run_at: row.last_run_at === null ? null : iso(row.last_run_at),
    last_success_at: row.last_success_at === null ? null : iso(row.last_success_at),
  };
}

function iso(time: number): string {
  return new Date(time).toISOString();
}
