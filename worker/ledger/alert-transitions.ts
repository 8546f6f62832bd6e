import type { OpenIncident } from "../alerts/fan-out";
import type { IncidentTransition } from "../alerts/incident-state";
import type { EventPayload } from "../alerts/payload";
import type { AlertSeverity, RuleCondition } from "../alerts/vocabulary";

// Incidents judged outside a job's fan-out (the minute tick's freshness pass, the destination circuit
// breaker, auto-pause): each change of state and its alert event land in one D1 batch. Every write is
// guarded by the one before it (`changes()`), so a repeated or concurrent pass opens, moves or resolves an
// incident once and writes its event once.

export interface AlertTransitionItem {
  ruleId: string;
  // alert_incidents.connection_id: a connection id, or `host:<hostname>` for a destination.
  subject: string;
  dedupKey: string;
  transition: Exclude<IncidentTransition, { kind: "none" }>;
  // The open incident's raised_at, for a change or a resolve.
  raisedAt: number | null;
  // The notification; null when none is sent (a resolve nobody asked to hear about).
  event: { id: string; type: "alert.raised" | "alert.resolved"; payload: EventPayload } | null;
}

/** Commits the transitions; returns the ids of the alert events written, for `enqueueAlertEvents`. */
export async function commitAlertTransitions(db: D1Database, items: readonly AlertTransitionItem[], now: number): Promise<string[]> {
  if (items.length === 0) return [];
  const perItem = items.map((item) => transitionStatements(db, item, now));
  const results = await db.batch(perItem.flat());
  const written: string[] = [];
  let end = 0;
  items.forEach((item, i) => {
    end += perItem[i]!.length;
    if (item.event !== null && (results[end - 1]?.meta.changes ?? 0) > 0) written.push(item.event.id);
  });
  return written;
}

function transitionStatements(db: D1Database, item: AlertTransitionItem, now: number): D1PreparedStatement[] {
  const { transition } = item;
  let change: D1PreparedStatement;
  switch (transition.kind) {
    case "open":
      // The one-open-incident index (0004) ignores a second open incident of the rule and subject.
      change = db
        .prepare("INSERT OR IGNORE INTO alert_incidents (rule_id, connection_id, dedup_key, raised_at, severity) VALUES (?1, ?2, ?3, ?4, ?5)")
        .bind(item.ruleId, item.subject, item.dedupKey, now, transition.severity);
      break;
    case "change":
      change = db
        .prepare(
          `UPDATE alert_incidents SET severity = ?4
            WHERE rule_id = ?1 AND connection_id = ?2 AND raised_at = ?3 AND resolved_at IS NULL AND severity = ?5`,
        )
        .bind(item.ruleId, item.subject, item.raisedAt, transition.to, transition.from);
      break;
    case "resolve":
      change = db
        .prepare("UPDATE alert_incidents SET resolved_at = ?4 WHERE rule_id = ?1 AND connection_id = ?2 AND raised_at = ?3 AND resolved_at IS NULL")
        .bind(item.ruleId, item.subject, item.raisedAt, now);
      break;
  }
  if (item.event === null) return [change];
  const { event } = item;
  return [
    change,
    db
      .prepare(
        `INSERT INTO events (id, type, run_id, job_id, connection_id, payload_json, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE changes() > 0`,
      )
      .bind(event.id, event.type, event.payload.run_id, event.payload.job_id, event.payload.connection_id, JSON.stringify(event.payload), now),
  ];
}

interface OpenIncidentRow {
  rule_id: string;
  connection_id: string;
  dedup_key: string;
  raised_at: number;
  severity: AlertSeverity;
  channel_id: string;
  condition: RuleCondition;
  failure_threshold: number;
  notify_recovery: number;
}

/** The open incidents of rules with these conditions (open incidents are few: one per rule and subject at most). */
export async function openIncidentsOf(db: D1Database, conditions: readonly RuleCondition[]): Promise<OpenIncident[]> {
  if (conditions.length === 0) return [];
  const { results } = await db
    .prepare(
      `SELECT i.rule_id, i.connection_id, i.dedup_key, i.raised_at, i.severity, r.channel_id, r.condition, r.failure_threshold, r.notify_recovery
         FROM alert_incidents i JOIN alert_rules r ON r.id = i.rule_id
        WHERE i.resolved_at IS NULL AND r.condition IN (${conditions.map((_, i) => `?${i + 1}`).join(", ")})`,
    )
    .bind(...conditions)
    .all<OpenIncidentRow>();
  return results.map((row) => ({
    ruleId: row.rule_id,
    connectionId: row.connection_id,
    channelId: row.channel_id,
    dedupKey: row.dedup_key,
    raisedAt: row.raised_at,
    condition: row.condition,
    failureThreshold: row.failure_threshold,
    notifyRecovery: row.notify_recovery === 1,
    severity: row.severity,
  }));
}
