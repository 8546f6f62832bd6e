import { parseChannelConfig } from "../alerts/channel-config";
import type { FanOutChannel, FanOutPlan, FanOutRoute, FanOutRule, OpenIncident, OutboxEvent } from "../alerts/fan-out";
import type { JobHistory } from "../alerts/job-conditions";
import type { JobFacts, RunFacts } from "../alerts/payload";
import type { AlertSeverity, ChannelKind, EventType, RuleCondition } from "../alerts/vocabulary";
import { parseRuleParams } from "./alerts-rules";
import { newId } from "./ids";

// The outbox side of alerting: reading undispatched events and what deciding their fan-out needs,
// and committing a decision in one batch that deletes the event (its deliveries keep the payload).

interface EventRow {
  seq: number;
  id: string;
  type: EventType;
  run_id: string | null;
  job_id: string | null;
  connection_id: string | null;
  payload_json: string;
  created_at: number;
}

const EVENT_COLUMNS = "rowid AS seq, id, type, run_id, job_id, connection_id, payload_json, created_at";
// D1 binds at most 100 parameters per statement.
const IDS_PER_READ = 100;

function toOutboxEvent(row: EventRow): OutboxEvent {
  return {
    id: row.id,
    seq: row.seq,
    type: row.type,
    runId: row.run_id,
    jobId: row.job_id,
    connectionId: row.connection_id,
    payloadJson: row.payload_json,
    createdAt: row.created_at,
  };
}

// rowid is the outbox's insertion order: events written in one batch keep their order even within a millisecond.
export async function readUndispatchedEvents(db: D1Database, ids: readonly string[]): Promise<OutboxEvent[]> {
  const events: OutboxEvent[] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_READ) {
    const chunk = ids.slice(i, i + IDS_PER_READ);
    const { results } = await db
      .prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE id IN (${chunk.map((_, j) => `?${j + 1}`).join(", ")}) AND dispatched_at IS NULL`)
      .bind(...chunk)
      .all<EventRow>();
    events.push(...results.map(toOutboxEvent));
  }
  return events.sort((a, b) => a.seq - b.seq);
}

/** The oldest undispatched events written at or before `before`: what the minute sweep puts back on the queue. */
export async function undispatchedEventIds(db: D1Database, before: number, limit: number): Promise<string[]> {
  const { results } = await db
    .prepare("SELECT id FROM events WHERE dispatched_at IS NULL AND created_at <= ?1 ORDER BY created_at, rowid LIMIT ?2")
    .bind(before, limit)
    .all<{ id: string }>();
  return results.map((row) => row.id);
}

interface ChannelRow {
  id: string;
  kind: ChannelKind;
  config_json: string;
  created_at: number;
}

interface RuleRow {
  id: string;
  channel_id: string;
  connection_ids_json: string | null;
  condition: RuleCondition;
  failure_threshold: number;
  notify_recovery: number;
  severity: AlertSeverity;
  params_json: string | null;
  muted_until: number | null;
}

export interface FanOutTargets {
  channels: FanOutChannel[];
  rules: FanOutRule[];
  routes: FanOutRoute[];
  mutedConnections: Map<string, number>;
}

// Routes are configuration (a few per connection at most) and muted connections are read through their partial
// index (0026), so both are read whole with the rules, once per consumer batch.
export async function loadFanOutTargets(db: D1Database, now: number): Promise<FanOutTargets> {
  const [channels, rules, routes, muted] = await db.batch([
    db.prepare("SELECT id, kind, config_json, created_at FROM alert_channels WHERE enabled = 1 ORDER BY id"),
    db.prepare(
      `SELECT r.id, r.channel_id, r.connection_ids_json, r.condition, r.failure_threshold, r.notify_recovery, r.severity, r.params_json, r.muted_until
         FROM alert_rules r JOIN alert_channels c ON c.id = r.channel_id
        WHERE r.enabled = 1 AND c.enabled = 1 ORDER BY r.id`,
    ),
    db.prepare("SELECT connection_id, rule_id, channel_id FROM alert_routes"),
    db.prepare("SELECT id, alerts_muted_until FROM connections WHERE alerts_muted_until > ?1").bind(now),
  ]);
  return {
    channels: ((channels?.results ?? []) as ChannelRow[]).map((row) => ({
      id: row.id,
      channel: parseChannelConfig(row.kind, row.config_json),
      createdAt: row.created_at,
    })),
    rules: ((rules?.results ?? []) as RuleRow[]).map((row) => ({
      id: row.id,
      channelId: row.channel_id,
      connectionIds: row.connection_ids_json === null ? null : (JSON.parse(row.connection_ids_json) as string[]),
      condition: row.condition,
      failureThreshold: row.failure_threshold,
      notifyRecovery: row.notify_recovery === 1,
      severity: row.severity,
      params: parseRuleParams(row.params_json),
      mutedUntil: row.muted_until,
    })),
    routes: ((routes?.results ?? []) as Array<{ connection_id: string; rule_id: string; channel_id: string }>).map((row) => ({
      connectionId: row.connection_id,
      ruleId: row.rule_id,
      channelId: row.channel_id,
    })),
    mutedConnections: new Map(((muted?.results ?? []) as Array<{ id: string; alerts_muted_until: number }>).map((row) => [row.id, row.alerts_muted_until])),
  };
}

const JOB_COLUMNS = `id, run_id, connection_id, connection_name, status, mode, in_scope, processed, would_update, updated,
  skipped_rule, skipped_no_change, missing_source, missing_destination, failed, drifted, verified, verify_mismatch, bytes_sent, bytes_received,
  error_code, error_http_status, error_message, error_hint, created_at, started_at, finished_at, duration_ms`;

export interface EventContext {
  // Undispatched events of the same run or connection written before this one: they go first.
  earlier: OutboxEvent[];
  run: RunFacts | null;
  jobs: Array<JobFacts & { created_at: number }>;
  openIncidents: OpenIncident[];
}

interface IncidentRow {
  rule_id: string;
  connection_id: string;
  dedup_key: string;
  raised_at: number;
  channel_id: string;
  condition: RuleCondition;
  failure_threshold: number;
  notify_recovery: number;
  severity: AlertSeverity;
}

const EARLIER_PER_READ = 20;

export async function loadEventContext(db: D1Database, event: OutboxEvent): Promise<EventContext> {
  const [context] = await loadEventContexts(db, [event]);
  return context!;
}

/** The contexts of many events in one round trip: what a consumer batch's events need, read together. */
export async function loadEventContexts(db: D1Database, events: readonly OutboxEvent[]): Promise<EventContext[]> {
  if (events.length === 0) return [];
  const results = await db.batch(events.flatMap((event) => contextStatements(db, event)));
  return events.map((_, i) => {
    const [earlier, runs, jobs, incidents] = results.slice(i * STATEMENTS_PER_CONTEXT, (i + 1) * STATEMENTS_PER_CONTEXT);
    return {
      earlier: ((earlier?.results ?? []) as EventRow[]).map(toOutboxEvent),
      run: ((runs?.results ?? []) as RunFacts[])[0] ?? null,
      jobs: (jobs?.results ?? []) as Array<JobFacts & { created_at: number }>,
      openIncidents: ((incidents?.results ?? []) as IncidentRow[]).map((row) => ({
        ruleId: row.rule_id,
        connectionId: row.connection_id,
        channelId: row.channel_id,
        dedupKey: row.dedup_key,
        raisedAt: row.raised_at,
        condition: row.condition,
        failureThreshold: row.failure_threshold,
        notifyRecovery: row.notify_recovery === 1,
        severity: row.severity,
      })),
    };
  });
}

const STATEMENTS_PER_CONTEXT = 4;

function contextStatements(db: D1Database, event: OutboxEvent): D1PreparedStatement[] {
  const jobsQuery =
    event.type === "run.status_changed" && event.runId !== null
      ? db.prepare(`SELECT ${JOB_COLUMNS} FROM jobs WHERE run_id = ?1 ORDER BY position`).bind(event.runId)
      : db.prepare(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?1`).bind(event.jobId);
  return [
    db
      .prepare(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE dispatched_at IS NULL AND run_id = ?1 AND rowid < ?3
         UNION
         SELECT ${EVENT_COLUMNS} FROM events WHERE dispatched_at IS NULL AND connection_id = ?2 AND rowid < ?3
         ORDER BY seq LIMIT ?4`,
      )
      .bind(event.runId, event.connectionId, event.seq, EARLIER_PER_READ),
    db
      .prepare(
        `SELECT id, credential_name, type, mode, "trigger", status, connection_count, connections_succeeded, connections_failed,
                started_at, finished_at FROM runs WHERE id = ?1`,
      )
      .bind(event.runId),
    jobsQuery,
    db
      .prepare(
        `SELECT i.rule_id, i.connection_id, i.dedup_key, i.raised_at, i.severity, r.channel_id, r.condition, r.failure_threshold, r.notify_recovery
           FROM alert_incidents i JOIN alert_rules r ON r.id = i.rule_id
          WHERE i.connection_id = ?1 AND i.resolved_at IS NULL`,
      )
      .bind(event.connectionId),
  ];
}

/** The connection's finished jobs before `before` (exclusive), newest first: what anomaly rules compare with. */
export async function recentFinishedJobs(
  db: D1Database,
  connectionId: string,
  before: { id: string; created_at: number },
  limit: number,
): Promise<JobHistory[]> {
  const { results } = await db
    .prepare(
      `SELECT id, status, mode, duration_ms, in_scope, processed, updated, would_update, missing_destination, failed, finished_at,
              (SELECT type FROM runs WHERE runs.id = jobs.run_id) AS run_type FROM jobs
        WHERE connection_id = ?1 AND (created_at < ?2 OR (created_at = ?2 AND id < ?3)) AND status IN ('completed', 'failed')
        ORDER BY created_at DESC, id DESC LIMIT ?4`,
    )
    .bind(connectionId, before.created_at, before.id, limit)
    .all<JobHistory>();
  return results;
}

/**
 * Failed jobs in a row for a connection, counting back from `upTo` (inclusive) and stopping at the first
 * completed one. Canceled and unfinished jobs neither count nor break the streak. Reads at most `limit`.
 */
export async function consecutiveFailures(db: D1Database, connectionId: string, upTo: { id: string; created_at: number }, limit: number): Promise<number> {
  const { results } = await db
    .prepare(
      `SELECT status FROM jobs
        WHERE connection_id = ?1 AND (created_at < ?2 OR (created_at = ?2 AND id <= ?3)) AND status IN ('completed', 'failed')
        ORDER BY created_at DESC, id DESC LIMIT ?4`,
    )
    .bind(connectionId, upTo.created_at, upTo.id, limit)
    .all<{ status: string }>();
  let count = 0;
  for (const row of results) {
    if (row.status !== "failed") break;
    count += 1;
  }
  return count;
}

/**
 * Commits a fan-out decision in one batch. Every statement is guarded by the event still being in the outbox
 * and the last one deletes it, so when two consumers fan out the same event (a redelivered message, the
 * sweep) exactly one decision lands. Returns whether this one did. Deleting keeps the outbox to what is
 * still to send (migration 0020 keeps positions from being reused).
 */
export async function commitFanOut(db: D1Database, event: OutboxEvent, plan: FanOutPlan, now: number): Promise<boolean> {
  const [landed] = await commitFanOuts(db, [{ event, plan }], now);
  return landed!;
}

/**
 * Commits the fan-out decisions of unrelated events (no two share a run or a connection) in one round trip.
 * All or nothing: when the batch fails, the caller commits them one by one so one bad event holds back no other.
 */
export async function commitFanOuts(db: D1Database, decisions: ReadonlyArray<{ event: OutboxEvent; plan: FanOutPlan }>, now: number): Promise<boolean[]> {
  if (decisions.length === 0) return [];
  const perDecision = decisions.map(({ event, plan }) => fanOutStatements(db, event, plan, now));
  const results = await db.batch(perDecision.flat());
  let end = 0;
  return perDecision.map((statements) => {
    end += statements.length;
    return (results[end - 1]?.meta.changes ?? 0) > 0;
  });
}

// The decision's writes, each guarded by the event still being in the outbox; the last one deletes it.
function fanOutStatements(db: D1Database, event: OutboxEvent, plan: FanOutPlan, now: number): D1PreparedStatement[] {
  const payloadJson = JSON.stringify(plan.payload);
  const pending = "EXISTS (SELECT 1 FROM events WHERE id = ?1 AND dispatched_at IS NULL)";
  const statements: D1PreparedStatement[] = plan.deliveries.map(({ channelId }) =>
    db
      .prepare(
        `INSERT OR IGNORE INTO deliveries (id, event_id, channel_id, webhook_id, status, attempt_count, next_attempt_at, created_at, updated_at,
                                          payload_json, event_type, event_seq, run_id, connection_id, next_in_line)
         SELECT ?2, ?1, ?3, ?4, 'pending', 0, ?5, ?5, ?5, ?6, ?7, ?8, ?9, ?10,
                NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.status = 'pending' AND p.channel_id = ?3 AND p.run_id = ?9)
          WHERE ${pending}`,
      )
      .bind(
        event.id,
        newId("dlv", now),
        channelId,
        newId("msg", now),
        now,
        payloadJson,
        event.type,
        event.seq,
        plan.payload.run_id,
        plan.payload.connection_id,
      ),
  );
  for (const incident of plan.openIncidents) {
    statements.push(
      db
        .prepare(`INSERT OR IGNORE INTO alert_incidents (rule_id, connection_id, dedup_key, raised_at, severity) SELECT ?2, ?3, ?4, ?5, ?6 WHERE ${pending}`)
        .bind(event.id, incident.ruleId, incident.connectionId, incident.dedupKey, now, incident.severity),
    );
  }
  for (const incident of plan.changeIncidents) {
    statements.push(
      db
        .prepare(
          `UPDATE alert_incidents SET severity = ?5
            WHERE rule_id = ?2 AND connection_id = ?3 AND raised_at = ?4 AND resolved_at IS NULL AND ${pending}`,
        )
        .bind(event.id, incident.ruleId, incident.connectionId, incident.raisedAt, incident.severity),
    );
  }
  for (const incident of plan.resolveIncidents) {
    statements.push(
      db
        .prepare(
          `UPDATE alert_incidents SET resolved_at = ?5
            WHERE rule_id = ?2 AND connection_id = ?3 AND raised_at = ?4 AND resolved_at IS NULL AND ${pending}`,
        )
        .bind(event.id, incident.ruleId, incident.connectionId, incident.raisedAt, now),
    );
  }
  for (const alert of plan.alertEvents) {
    statements.push(
      db
        .prepare(`INSERT INTO events (id, type, run_id, job_id, connection_id, payload_json, created_at) SELECT ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE ${pending}`)
        .bind(event.id, alert.id, alert.type, alert.payload.run_id, alert.payload.job_id, alert.payload.connection_id, JSON.stringify(alert.payload), now),
    );
  }
  statements.push(db.prepare("DELETE FROM events WHERE id = ?1 AND dispatched_at IS NULL").bind(event.id));
  return statements;
}
