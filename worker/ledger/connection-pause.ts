import type { FanOutRule, OpenIncident } from "../alerts/fan-out";
import type { AlertSeverity, ChannelKind } from "../alerts/vocabulary";
import { parseRuleParams } from "./alerts-rules";

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

// The streak starts again from the resume, so the connection gets the full number of tries before it pauses again,
// and so does its freshness clock: while paused it promised no success, so its next one is due from the resume.
export async function resumeConnection(db: D1Database, connectionId: string, now: number): Promise<ResumeOutcome> {
  const [resumed, exists] = await db.batch<{ one: number }>([
    db
      .prepare(
        "UPDATE connections SET paused_at = NULL, paused_reason = NULL, consecutive_failures = 0, freshness_since = ?2 WHERE id = ?1 AND paused_at IS NOT NULL",
      )
      .bind(connectionId, now),
    db.prepare("SELECT 1 AS one FROM connections WHERE id = ?1").bind(connectionId),
  ]);
  if ((resumed?.meta.changes ?? 0) > 0) return "resumed";
  return (exists?.results.length ?? 0) > 0 ? "not_paused" : "not_found";
}

export interface PauseJudgementRow {
  connection: {
    id: string;
    name: string;
    credential_name: string | null;
    paused_at: number | null;
    paused_reason: string | null;
    consecutive_failures: number;
  } | null;
  pauseAfter: number;
  // Enabled connection_paused rules of enabled channels that cover the connection, with their channel's kind.
  rules: Array<FanOutRule & { channelKind: ChannelKind }>;
  openIncidents: OpenIncident[];
}

interface PauseRuleRow {
  id: string;
  channel_id: string;
  kind: ChannelKind;
  connection_ids_json: string | null;
  failure_threshold: number;
  notify_recovery: number;
  severity: AlertSeverity;
  params_json: string | null;
  muted_until: number | null;
}

interface PauseIncidentRow {
  rule_id: string;
  dedup_key: string;
  raised_at: number;
  severity: AlertSeverity;
  channel_id: string;
  failure_threshold: number;
  notify_recovery: number;
}

/** What judging a connection's auto-pause alert needs, in one round trip. */
export async function readPauseJudgement(db: D1Database, connectionId: string): Promise<PauseJudgementRow> {
  const [connection, setting, rules, incidents] = await db.batch([
    db
      .prepare(
        `SELECT c.id, c.name, cr.name AS credential_name, c.paused_at, c.paused_reason, c.consecutive_failures
           FROM connections c LEFT JOIN credentials cr ON cr.id = c.credential_id WHERE c.id = ?1`,
      )
      .bind(connectionId),
    db.prepare("SELECT value_json FROM settings WHERE key = ?1").bind(PAUSE_AFTER_KEY),
    db.prepare(
      `SELECT r.id, r.channel_id, ch.kind, r.connection_ids_json, r.failure_threshold, r.notify_recovery, r.severity, r.params_json, r.muted_until
         FROM alert_rules r JOIN alert_channels ch ON ch.id = r.channel_id
        WHERE r.condition = 'connection_paused' AND r.enabled = 1 AND ch.enabled = 1 ORDER BY r.id`,
    ),
    db
      .prepare(
        `SELECT i.rule_id, i.dedup_key, i.raised_at, i.severity, r.channel_id, r.failure_threshold, r.notify_recovery
           FROM alert_incidents i JOIN alert_rules r ON r.id = i.rule_id
          WHERE i.connection_id = ?1 AND i.resolved_at IS NULL AND r.condition = 'connection_paused'`,
      )
      .bind(connectionId),
  ]);
  const settingRow = (setting?.results[0] ?? null) as { value_json: string } | null;
  return {
    connection: (connection?.results[0] as PauseJudgementRow["connection"] | undefined) ?? null,
    pauseAfter: settingRow === null ? DEFAULT_PAUSE_AFTER : Number(JSON.parse(settingRow.value_json)),
    rules: ((rules?.results ?? []) as PauseRuleRow[])
      .map((row) => ({
        id: row.id,
        channelId: row.channel_id,
        channelKind: row.kind,
        connectionIds: row.connection_ids_json === null ? null : (JSON.parse(row.connection_ids_json) as string[]),
        condition: "connection_paused" as const,
        failureThreshold: row.failure_threshold,
        notifyRecovery: row.notify_recovery === 1,
        severity: row.severity,
        params: parseRuleParams(row.params_json),
        mutedUntil: row.muted_until,
      }))
      .filter((rule) => rule.connectionIds === null || rule.connectionIds.includes(connectionId)),
    openIncidents: ((incidents?.results ?? []) as PauseIncidentRow[]).map((row) => ({
      ruleId: row.rule_id,
      connectionId,
      channelId: row.channel_id,
      dedupKey: row.dedup_key,
      raisedAt: row.raised_at,
      condition: "connection_paused" as const,
      failureThreshold: row.failure_threshold,
      notifyRecovery: row.notify_recovery === 1,
      severity: row.severity,
    })),
  };
}
