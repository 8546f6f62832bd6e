import type { AlertDelivery, AlertDeliveryDetail, DeliveryAttempt } from "../schemas/alerts";
import type { NextStep } from "../alerts/retry-schedule";
import type { ChannelKind, DeliveryStatus, EventType } from "../alerts/vocabulary";
import type { SqlQuery } from "./sql-query";
import { IN_LINE_COLUMNS, type InLineDelivery } from "./alerts-sends";

// Deliveries and their attempts: what is due, recording each attempt with its consequences for the
// delivery and the channel in one batch, the delivery log and Redeliver.

export interface DueDelivery {
  id: string;
  webhook_id: string;
  channel_id: string;
  payload_json: string;
  attempt_count: number;
  cycle_attempts: number;
  kind: ChannelKind;
  config_json: string;
  secret_ciphertext: string | null;
  previous_secret_ciphertext: string | null;
  previous_secret_expires_at: number | null;
  failing_since: number | null;
}

// The head of each (channel, run) queue only: an earlier pending delivery of the same run to the same
// channel holds the later ones back, so a receiver sees a run's changes in order.
const ELIGIBLE = `
  d.status = 'pending' AND c.enabled = 1 AND NOT EXISTS (
    SELECT 1 FROM deliveries p
     WHERE p.status = 'pending' AND p.channel_id = d.channel_id AND p.run_id = d.run_id AND p.event_seq < d.event_seq)`;

// Walks the pending deliveries by due time (deliveries_due) and stops at the limit, instead of reading
// every pending delivery to sort them.
export function buildDueDeliveriesQuery(now: number, limit: number): SqlQuery {
  return {
    sql: `SELECT d.id, d.webhook_id, d.channel_id, d.payload_json, d.attempt_count, d.cycle_attempts,
                 c.kind, c.config_json, c.secret_ciphertext, c.previous_secret_ciphertext, c.previous_secret_expires_at, c.failing_since
            FROM deliveries d INDEXED BY deliveries_due JOIN alert_channels c ON c.id = d.channel_id
           WHERE d.next_attempt_at <= ?1 AND ${ELIGIBLE}
           ORDER BY d.next_attempt_at, d.event_seq LIMIT ?2`,
    params: [now, limit],
  };
}

// The first eligible delivery along deliveries_due; MIN() over a join would read them all.
export function buildNextDeliveryDueQuery(): SqlQuery {
  return {
    sql: `SELECT d.next_attempt_at AS at FROM deliveries d INDEXED BY deliveries_due JOIN alert_channels c ON c.id = d.channel_id
           WHERE d.next_attempt_at IS NOT NULL AND ${ELIGIBLE}
           ORDER BY d.next_attempt_at LIMIT 1`,
    params: [],
  };
}

export async function dueDeliveries(db: D1Database, now: number, limit: number): Promise<DueDelivery[]> {
  const { sql, params } = buildDueDeliveriesQuery(now, limit);
  const { results } = await db
    .prepare(sql)
    .bind(...params)
    .all<DueDelivery>();
  return results;
}

/** When the next eligible delivery falls due, or null when nothing waits. */
export async function nextDeliveryDueAt(db: D1Database): Promise<number | null> {
  const { sql, params } = buildNextDeliveryDueQuery();
  const row = await db
    .prepare(sql)
    .bind(...params)
    .first<{ at: number | null }>();
  return row?.at ?? null;
}

export interface AttemptRecord {
  delivery: Pick<InLineDelivery, "id" | "channel_id" | "run_id" | "attempt_count">;
  attemptedAt: number;
  statusCode: number | null;
  durationMs: number;
  responseExcerpt: string | null;
  error: string | null;
  step: NextStep;
}

/**
 * Records an attempt with its consequences for the delivery and the channel in one batch. A delivery that
 * leaves pending hands its place to the next pending one of its (channel, run), which is returned when it
 * became next in line here, so the sender can go on with it without another read.
 */
export async function recordAttempt(db: D1Database, record: AttemptRecord, now: number): Promise<InLineDelivery | null> {
  const [promoted] = await recordAttempts(db, [{ record, now }]);
  return promoted ?? null;
}

/** Records many attempts (of different runs' deliveries) in one round trip; all or nothing, in order. */
export async function recordAttempts(db: D1Database, entries: ReadonlyArray<{ record: AttemptRecord; now: number }>): Promise<Array<InLineDelivery | null>> {
  if (entries.length === 0) return [];
  const perEntry = entries.map(({ record, now }) => attemptStatements(db, record, now));
  const results = await db.batch(perEntry.flatMap((e) => e.statements));
  let end = 0;
  return perEntry.map(({ statements, promotes }) => {
    end += statements.length;
    return promotes ? (((results[end - 1]?.results ?? []) as InLineDelivery[])[0] ?? null) : null;
  });
}

function attemptStatements(db: D1Database, record: AttemptRecord, now: number): { statements: D1PreparedStatement[]; promotes: boolean } {
  const { delivery, step } = record;
  const attempt = delivery.attempt_count + 1;
  const statements = [
    db
      .prepare(
        `INSERT INTO delivery_attempts (delivery_id, attempt, attempted_at, status_code, duration_ms, response_excerpt, error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`,
      )
      .bind(delivery.id, attempt, record.attemptedAt, record.statusCode, Math.round(record.durationMs), record.responseExcerpt, record.error),
    db
      .prepare(
        `UPDATE deliveries
            SET status = ?2, attempt_count = ?3, cycle_attempts = cycle_attempts + 1, next_attempt_at = ?4,
                last_status_code = ?5, last_error = ?6, delivered_at = CASE WHEN ?2 = 'succeeded' THEN ?7 ELSE delivered_at END, updated_at = ?7
          WHERE id = ?1`,
      )
      .bind(delivery.id, step.status, attempt, step.status === "pending" ? step.nextAttemptAt : null, record.statusCode, record.error, now),
  ];
  if (step.status === "succeeded") {
    statements.push(db.prepare("UPDATE alert_channels SET last_success_at = ?2, failing_since = NULL WHERE id = ?1").bind(delivery.channel_id, now));
  } else {
    statements.push(
      db.prepare("UPDATE alert_channels SET last_failure_at = ?2, failing_since = COALESCE(failing_since, ?2) WHERE id = ?1").bind(delivery.channel_id, now),
    );
  }
  if (step.status === "failed" && step.disableReason !== null) {
    statements.push(
      db
        .prepare("UPDATE alert_channels SET enabled = 0, disabled_reason = ?2, disabled_at = ?3, updated_at = ?3 WHERE id = ?1 AND enabled = 1")
        .bind(delivery.channel_id, step.disableReason, now),
    );
  }
  const promotes = step.status !== "pending" && delivery.run_id !== null;
  if (promotes) {
    statements.push(
      db
        .prepare(
          `UPDATE deliveries SET next_in_line = 1
            WHERE next_in_line = 0 AND id = (
              SELECT p.id FROM deliveries p WHERE p.status = 'pending' AND p.channel_id = ?1 AND p.run_id = ?2 ORDER BY p.event_seq LIMIT 1)
           RETURNING ${IN_LINE_COLUMNS}`,
        )
        .bind(delivery.channel_id, delivery.run_id),
    );
  }
  return { statements, promotes };
}

interface DeliveryRow {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: EventType | null;
  channel_id: string;
  channel_name: string | null;
  channel_kind: ChannelKind | null;
  run_id: string | null;
  connection_id: string | null;
  status: DeliveryStatus;
  attempt_count: number;
  next_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  redeliveries: number;
  delivered_at: number | null;
  created_at: number;
  updated_at: number;
  payload_json: string | null;
}

interface AttemptRow {
  delivery_id: string;
  attempt: number;
  attempted_at: number;
  status_code: number | null;
  duration_ms: number;
  response_excerpt: string | null;
  error: string | null;
}

// `indexed`: an INDEXED BY clause naming the index that drives a list, or "".
const selectDeliveries = (indexed = "") => `
  SELECT d.id, d.webhook_id, d.event_id, d.event_type, d.channel_id, c.name AS channel_name, c.kind AS channel_kind,
         d.run_id, d.connection_id, d.status, d.attempt_count, d.next_attempt_at, d.last_status_code, d.last_error,
         d.redeliveries, d.delivered_at, d.created_at, d.updated_at, d.payload_json
    FROM deliveries d ${indexed} LEFT JOIN alert_channels c ON c.id = d.channel_id`;

export interface DeliveryFilters {
  channelId?: string;
  status?: DeliveryStatus;
  eventType?: EventType;
  runId?: string;
}

export interface DeliveryPage {
  beforeId: string | null;
  limit: number;
}

// Each filter given becomes a condition and no other, so the planner sees the columns it can search by.
// Ordered by how narrow each (…, id) index is: the first filter present picks the index that drives.
const DELIVERY_INDEXES: ReadonlyArray<[filters: ReadonlyArray<keyof DeliveryFilters>, index: string]> = [
  [["runId"], "deliveries_log_by_run"],
  [["channelId", "status"], "deliveries_log_by_channel_status"],
  [["channelId"], "deliveries_log_by_channel"],
  [["status"], "deliveries_log_by_status"],
  [["eventType"], "deliveries_log_by_event_type"],
];

/** Newest first; ids sort by creation time, so the last id of a page is the cursor. */
export function buildDeliveryListQuery(filters: DeliveryFilters, page: DeliveryPage): SqlQuery {
  const params: unknown[] = [];
  const p = (value: unknown) => `?${params.push(value)}`;
  const conditions: string[] = [];
  if (filters.channelId !== undefined) conditions.push(`d.channel_id = ${p(filters.channelId)}`);
  if (filters.status !== undefined) conditions.push(`d.status = ${p(filters.status)}`);
  if (filters.eventType !== undefined) conditions.push(`d.event_type = ${p(filters.eventType)}`);
  if (filters.runId !== undefined) conditions.push(`d.run_id = ${p(filters.runId)}`);
  if (page.beforeId !== null) conditions.push(`d.id < ${p(page.beforeId)}`);
  const index = DELIVERY_INDEXES.find(([keys]) => keys.every((key) => filters[key] !== undefined))?.[1];
  return {
    sql: `${selectDeliveries(index === undefined ? "" : `INDEXED BY ${index}`)}
          ${conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`}
          ORDER BY d.id DESC LIMIT ${p(page.limit + 1)}`,
    params,
  };
}

export async function listDeliveries(db: D1Database, filters: DeliveryFilters, page: DeliveryPage): Promise<{ data: AlertDelivery[]; hasMore: boolean }> {
  const { sql, params } = buildDeliveryListQuery(filters, page);
  const { results } = await db
    .prepare(sql)
    .bind(...params)
    .all<DeliveryRow>();
  const rows = results.slice(0, page.limit);
  const attempts = await attemptsOf(
    db,
    rows.map((r) => r.id),
  );
  return { data: rows.map((row) => toDelivery(row, attempts.get(row.id) ?? [])), hasMore: results.length > page.limit };
}

export async function getDelivery(db: D1Database, id: string): Promise<AlertDeliveryDetail | null> {
  const row = await db.prepare(`${selectDeliveries()} WHERE d.id = ?1`).bind(id).first<DeliveryRow>();
  if (!row) return null;
  const attempts = await attemptsOf(db, [row.id]);
  return { ...toDelivery(row, attempts.get(row.id) ?? []), payload: row.payload_json === null ? null : (JSON.parse(row.payload_json) as unknown) };
}

export type RedeliverOutcome = { status: "queued"; delivery: AlertDeliveryDetail } | { status: "not_found" } | { status: "channel_unavailable" };

// Same row, so the same webhook-id and body; a new cycle of the retry schedule starts now. It takes its
// place in its (channel, run) line again: ahead of later pending deliveries, behind earlier ones.
export async function redeliver(db: D1Database, id: string, now: number): Promise<RedeliverOutcome> {
  const [updated] = await db.batch([
    db
      .prepare(
        `UPDATE deliveries
            SET status = 'pending', next_attempt_at = ?2, cycle_attempts = 0, redeliveries = redeliveries + 1, updated_at = ?2,
                next_in_line = NOT EXISTS (
                  SELECT 1 FROM deliveries p
                   WHERE p.status = 'pending' AND p.channel_id = deliveries.channel_id AND p.run_id = deliveries.run_id
                     AND p.event_seq < deliveries.event_seq AND p.id <> deliveries.id)
          WHERE id = ?1 AND EXISTS (SELECT 1 FROM alert_channels c WHERE c.id = deliveries.channel_id AND c.enabled = 1)`,
      )
      .bind(id, now),
    db
      .prepare(
        `UPDATE deliveries SET next_in_line = 0
          WHERE next_in_line = 1 AND status = 'pending' AND id <> ?1
            AND (channel_id, run_id) = (SELECT channel_id, run_id FROM deliveries WHERE id = ?1 AND status = 'pending' AND next_in_line = 1)
            AND event_seq > (SELECT event_seq FROM deliveries WHERE id = ?1)`,
      )
      .bind(id),
  ]);
  const delivery = await getDelivery(db, id);
  if (delivery === null) return { status: "not_found" };
  if ((updated?.meta.changes ?? 0) === 0) return { status: "channel_unavailable" };
  return { status: "queued", delivery };
}

async function attemptsOf(db: D1Database, ids: string[]): Promise<Map<string, DeliveryAttempt[]>> {
  const byDelivery = new Map<string, DeliveryAttempt[]>();
  if (ids.length === 0) return byDelivery;
  for (let i = 0; i < ids.length; i += 100) {
    const chunk = ids.slice(i, i + 100);
    const { results } = await db
      .prepare(
        `SELECT delivery_id, attempt, attempted_at, status_code, duration_ms, response_excerpt, error FROM delivery_attempts
          WHERE delivery_id IN (${chunk.map((_, j) => `?${j + 1}`).join(", ")}) ORDER BY delivery_id, attempt`,
      )
      .bind(...chunk)
      .all<AttemptRow>();
    for (const row of results) {
      const list = byDelivery.get(row.delivery_id) ?? [];
      list.push({
        attempt: row.attempt,
        attempted_at: new Date(row.attempted_at).toISOString(),
        status_code: row.status_code,
        duration_ms: row.duration_ms,
        response_excerpt: row.response_excerpt,
        error: row.error,
      });
      byDelivery.set(row.delivery_id, list);
    }
  }
  return byDelivery;
}

function toDelivery(row: DeliveryRow, attempts: DeliveryAttempt[]): AlertDelivery {
  return {
    id: row.id,
    webhook_id: row.webhook_id,
    event_id: row.event_id,
    event_type: row.event_type,
    channel_id: row.channel_id,
    channel_name: row.channel_name,
    channel_kind: row.channel_kind,
    run_id: row.run_id,
    connection_id: row.connection_id,
    status: row.status,
    attempt_count: row.attempt_count,
    next_attempt_at: iso(row.next_attempt_at),
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    redeliveries: row.redeliveries,
    delivered_at: iso(row.delivered_at),
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
    attempts,
  };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** Alerts still to be delivered to each channel (pending, not yet succeeded or given up on), by channel id. */
export async function pendingDeliveriesByChannel(db: D1Database): Promise<Map<string, number>> {
  const { results } = await db
    .prepare("SELECT channel_id, COUNT(*) AS n FROM deliveries INDEXED BY deliveries_pending_in_order WHERE status = 'pending' GROUP BY channel_id")
    .all<{ channel_id: string; n: number }>();
  return new Map(results.map((row) => [row.channel_id, row.n]));
}
