import { z } from "zod";
import { matchConnections } from "../ledger/job-status";
import { connectionHealth, emptyDurations, emptyStatusCounts, type ConnectionWindowStats } from "../ledger/stats";
import { connectionWindowStats } from "../ledger/stats-window";
import { durationText } from "../stats/duration-text";
import { ATTENTION_TEXT, attentionReason } from "../stats/attention";
import { successRate, withoutSuccessSince } from "../stats/stats-report";
import { DAY_MS, parseTimeInput, resolveTimeRange } from "../stats/time-range";
import { ToolInputError } from "./tool-errors";
import { freshnessView } from "../ledger/connection-freshness";
import { statusDetail } from "../schemas/status-detail";
import { dashboardPaths, dashboardUrl } from "../../shared/dashboard-paths";

export const LIST_CONNECTIONS_TOOL = {
  name: "list_connections",
  title: "List sync connections",
  description:
    "Lists the outbound sync connections in execution order with their credential, enabled flag, schedule, last " +
    'status (with last_status_detail such as "Completed with 3 failed records" when its last job had failed records), ' +
    "last run and last successful sync (newest completed live job: a dry run writes nothing, so it is no sync), " +
    "freshness (on_time, delayed: one scheduled success missing or the SLA passed, overdue: two missing or twice the SLA; null when unscheduled, disabled or paused), " +
    "whether it has not run yet or never succeeded, and over a time window (default " +
    "the last 7 days) their job counts by status, success rate and the average, median (p50) and p95 duration of " +
    "completed jobs, with connection_url and runs_url, the dashboard pages to link a person to. Examples: connections that haven't synced successfully in the last 3 days → " +
    '{"no_success_since":"3d"}; average sync duration of the Salesforce connection this week → ' +
    '{"name":"salesforce","since":"7d"} and read average_duration.',
  inputSchema: {
    name: z.string().trim().min(1).max(200).optional().describe("Only the connection with this id, or those whose name contains this text (case-insensitive)."),
    since: z
      .string()
      .max(40)
      .optional()
      .describe('Start of the window for job counts and durations: ISO 8601 or a time ago ("24h", "7d", "2w"). Default "7d".'),
    until: z.string().max(40).optional().describe("End of that window (exclusive), same formats. Default now."),
    no_success_since: z
      .string()
      .max(40)
      .optional()
      .describe(
        'Only connections WITHOUT a successful sync (completed live job) since this time — e.g. "3d" for "not synced successfully in the last 3 days". Connections that never succeeded are included, and so are those that have not run yet (time_since_last_success "not run yet": new, not failing).',
      ),
    include_disabled: z.boolean().default(true).describe("Include disabled connections (default true)."),
  },
};

export type ListConnectionsInput = z.output<z.ZodObject<typeof LIST_CONNECTIONS_TOOL.inputSchema>>;

export async function listConnections(db: D1Database, input: ListConnectionsInput, now: number, origin: string) {
  const range = resolveTimeRange({ since: input.since, until: input.until }, now, 7 * DAY_MS);
  const noSuccessSince = input.no_success_since === undefined ? null : parseTimeInput("no_success_since", input.no_success_since, now);

  let rows = await connectionHealth(db);
  if (input.name !== undefined) {
    const matched = new Set((await matchConnections(db, input.name)).map((c) => c.id));
    if (matched.size === 0) {
      const known = rows.map((r) => r.name).join(", ") || "none yet";
      throw new ToolInputError(`No connection has the id "${input.name}" or a name containing it. Connections: ${known}.`);
    }
    rows = rows.filter((row) => matched.has(row.id));
  }
  if (!input.include_disabled) rows = rows.filter((row) => row.enabled === 1);
  if (noSuccessSince !== null) rows = withoutSuccessSince(rows, noSuccessSince);

  const stats =
    rows.length === 0
      ? new Map<string, ConnectionWindowStats>()
      : await connectionWindowStats(
          db,
          range,
          rows.map((r) => r.id),
        );
  return {
    window: { since: iso(range.since), until: iso(range.until) },
    no_success_since: noSuccessSince === null ? null : iso(noSuccessSince),
    count: rows.length,
    connections: rows.map((row) => {
      const window = stats.get(row.id);
      const jobs = window?.jobs ?? emptyStatusCounts();
      const durations = window?.durations ?? emptyDurations();
      return {
        id: row.id,
        name: row.name,
        credential_name: row.credential_name,
        connection_url: dashboardUrl(origin, dashboardPaths.connection(row.id)),
        runs_url: dashboardUrl(origin, dashboardPaths.connectionRuns(row.id)),
        enabled: row.enabled === 1,
        dry_run: row.dry_run === 1,
        schedule: row.schedule,
        last_status: row.last_status,
        last_status_detail: statusDetail(row.last_status, row.last_failed_records),
        last_run_at: row.last_run_at === null ? null : iso(row.last_run_at),
        last_success_at: row.last_success_at === null ? null : iso(row.last_success_at),
        time_since_last_success: row.last_success_at === null ? ATTENTION_TEXT[attentionReason(row)] : durationText(now - row.last_success_at),
        freshness: freshnessView(row, now),
        jobs_in_window: { total: Object.values(jobs).reduce((a, b) => a + b, 0), ...jobs },
        success_rate: successRate(jobs),
        completed_in_window: durations.count,
        average_duration_ms: durations.averageMs,
        average_duration: durationText(durations.averageMs),
        p50_duration_ms: durations.p50Ms,
        p95_duration_ms: durations.p95Ms,
      };
    }),
  };
}

function iso(time: number): string {
  return new Date(time).toISOString();
}
