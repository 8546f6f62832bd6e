import type { Connection, ConnectionSnapshot, ConnectionSummary, ConnectionVersion } from "../schemas/connections";
import { withLimitDefaults, type ConnectionConfig } from "../engine/contracts";
import { isUniqueViolation } from "./unique-violation";
import { statusDetail } from "../schemas/status-detail";
import type { SqlQuery } from "./sql-query";
import { FRESHNESS_COLUMNS, freshnessView, type FreshnessColumns } from "./connection-freshness";

interface SummaryRow extends FreshnessColumns {
  id: string;
  name: string;
  credential_id: string;
  credential_name: string;
  position: number;
  enabled: number;
  dry_run: number;
  debug: number;
  schedule: string | null;
  version: number;
  updated_at: number;
  paused_at: number | null;
  paused_reason: string | null;
  alerts_muted_until: number | null;
}

interface DetailRow extends SummaryRow {
  config_json: string;
  created_at: number;
  last_status: string | null;
  last_failed_records: number;
  last_run_at: number | null;
  last_success_at: number | null;
  consecutive_failures: number;
  sync_cursor: string | null;
}

const SUMMARY_COLUMNS = `c.id, c.name, c.credential_id, cr.name AS credential_name, c.position, c.enabled, c.dry_run,
  c.debug, c.schedule, c.version, c.updated_at, c.alerts_muted_until,
  ${FRESHNESS_COLUMNS},
  c.paused_at, c.paused_reason`;

/** Where the previous page of the execution-order listing ended. */
export interface ConnectionListCursor {
  credentialName: string;
  position: number;
  id: string;
}

export interface ListConnectionsOptions {
  credentialId?: string;
  after?: ConnectionListCursor | null;
  limit?: number;
}

/**
 * Connections in execution order: by credential name, then position. Credentials drive (CROSS JOIN) along
 * their name index, so a page reads its credentials' connections only; filters appear only when given.
 */
export function buildConnectionListQuery(options: ListConnectionsOptions = {}): SqlQuery {
  const params: unknown[] = [];
  const p = (value: unknown) => `?${params.push(value)}`;
  const conditions: string[] = [];
  if (options.credentialId !== undefined) conditions.push(`cr.id = ${p(options.credentialId)}`);
  const after = options.after ?? null;
  if (after !== null) {
    const name = p(after.credentialName);
    conditions.push(`cr.name >= ${name}`, `(cr.name, c.position, c.id) > (${name}, ${p(after.position)}, ${p(after.id)})`);
  }
  return {
    sql: `SELECT ${SUMMARY_COLUMNS}
            FROM credentials cr CROSS JOIN connections c ON c.credential_id = cr.id
           ${conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`}
           ORDER BY cr.name, c.position, c.id
           LIMIT ${p(options.limit ?? -1)}`,
    params,
  };
}

// `now` judges freshness.
export async function listConnectionSummaries(db: D1Database, options: ListConnectionsOptions = {}, now = Date.now()): Promise<ConnectionSummary[]> {
  const { sql, params } = buildConnectionListQuery(options);
  const { results } = await db
    .prepare(sql)
    .bind(...params)
    .all<SummaryRow>();
  return results.map((row) => toSummary(row, now));
}

export async function getConnection(db: D1Database, id: string, now = Date.now()): Promise<Connection | null> {
  const row = await db
    .prepare(
      `SELECT ${SUMMARY_COLUMNS}, c.config_json, c.created_at, c.last_status, c.last_failed_records, c.last_run_at, c.last_success_at,
              c.consecutive_failures, c.sync_cursor
         FROM connections c JOIN credentials cr ON cr.id = c.credential_id
        WHERE c.id = ?1`,
    )
    .bind(id)
    .first<DetailRow>();
  if (!row) return null;
  return {
    ...toSummary(row, now),
    // Limits added since the row was written read as their defaults, the values a run applies.
    config: withLimitDefaults(JSON.parse(row.config_json) as ConnectionConfig),
    created_at: iso(row.created_at),
    last_status: row.last_status,
    last_failed_records: row.last_failed_records,
    last_status_detail: statusDetail(row.last_status, row.last_failed_records),
    last_run_at: row.last_run_at === null ? null : iso(row.last_run_at),
    last_success_at: row.last_success_at === null ? null : iso(row.last_success_at),
    consecutive_failures: row.consecutive_failures,
    sync_cursor: row.sync_cursor,
  };
}

export function snapshotOf(connection: ConnectionSnapshot): ConnectionSnapshot {
  const { name, enabled, dry_run, debug, schedule, config, freshness_sla_minutes } = connection;
  return { name, enabled, dry_run, debug, schedule, config, freshness_sla_minutes };
}

export interface ConnectionChange {
  snapshot: ConnectionSnapshot;
  changedBy: string;
  note: string | null;
  now: number;
}

export type InsertConnectionOutcome = "created" | "credential_not_found" | "name_taken";

// Position and the first version row are written in one batch: the connection never exists without its history.
export async function insertConnection(db: D1Database, id: string, credentialId: string, change: ConnectionChange): Promise<InsertConnectionOutcome> {
  try {
    const [inserted] = await db.batch(insertConnectionStatements(db, id, credentialId, change));
    return (inserted?.meta.changes ?? 0) > 0 ? "created" : "credential_not_found";
  } catch (error) {
    if (isUniqueViolation(error, "connections.name")) return "name_taken";
    throw error;
  }
}

// The insert and its version 1, for a caller that batches them with other writes (configuration as code).
export function insertConnectionStatements(db: D1Database, id: string, credentialId: string, change: ConnectionChange): D1PreparedStatement[] {
  const { snapshot: s, changedBy, note, now } = change;
  return [
    db
      .prepare(
        `INSERT INTO connections
           (id, credential_id, name, position, enabled, dry_run, debug, schedule, config_json, version, created_at, updated_at,
            freshness_sla_minutes, freshness_since)
         SELECT ?1, cr.id, ?3,
                (SELECT COALESCE(MAX(position), 0) + 1 FROM connections WHERE credential_id = cr.id),
                ?4, ?5, ?6, ?7, ?8, 1, ?9, ?9, ?10, ?9
           FROM credentials cr WHERE cr.id = ?2`,
      )
      .bind(
        id,
        credentialId,
        s.name,
        s.enabled ? 1 : 0,
        s.dry_run ? 1 : 0,
        s.debug ? 1 : 0,
        s.schedule,
        JSON.stringify(s.config),
        now,
        s.freshness_sla_minutes,
      ),
    db
      .prepare(
        `INSERT INTO connection_versions (connection_id, version, snapshot_json, changed_by, changed_at, change_note)
         SELECT id, 1, ?2, ?3, ?4, ?5 FROM connections WHERE id = ?1`,
      )
      .bind(id, JSON.stringify(s), changedBy, now, note),
  ];
}

export type UpdateConnectionOutcome = "updated" | "conflict" | "name_taken";

/**
 * Applies a change made on top of `fromVersion`. The history row and the update are conditioned on the
 * same version in one batch (one transaction), so both happen or neither does.
 */
export async function updateConnectionState(db: D1Database, id: string, fromVersion: number, change: ConnectionChange): Promise<UpdateConnectionOutcome> {
  try {
    const [, updated] = await db.batch(updateConnectionStatements(db, id, fromVersion, change));
    return (updated?.meta.changes ?? 0) > 0 ? "updated" : "conflict";
  } catch (error) {
    if (isUniqueViolation(error, "connections.name")) return "name_taken";
    // A concurrent change took this version number first.
    if (isUniqueViolation(error, "connection_versions")) return "conflict";
    throw error;
  }
}

// The history row, then the update, both conditioned on `fromVersion`; the update is the second statement.
export function updateConnectionStatements(db: D1Database, id: string, fromVersion: number, change: ConnectionChange): D1PreparedStatement[] {
  const { snapshot: s, changedBy, note, now } = change;
  return [
    db
      .prepare(
        `INSERT INTO connection_versions (connection_id, version, snapshot_json, changed_by, changed_at, change_note)
         SELECT id, version + 1, ?3, ?4, ?5, ?6 FROM connections WHERE id = ?1 AND version = ?2`,
      )
      .bind(id, fromVersion, JSON.stringify(s), changedBy, now, note),
    db
      .prepare(
        `UPDATE connections
            SET name = ?3, enabled = ?4, dry_run = ?5, debug = ?6, schedule = ?7, config_json = ?8,
                version = version + 1, updated_at = ?9,
                freshness_sla_minutes = ?10,
                -- The freshness clock restarts when what promises a success changes (the old values are read here).
                freshness_since = CASE WHEN schedule IS NOT ?7 OR freshness_sla_minutes IS NOT ?10 OR enabled <> ?4 OR dry_run <> ?5
                                       THEN ?9 ELSE freshness_since END
          WHERE id = ?1 AND version = ?2`,
      )
      .bind(id, fromVersion, s.name, s.enabled ? 1 : 0, s.dry_run ? 1 : 0, s.debug ? 1 : 0, s.schedule, JSON.stringify(s.config), now, s.freshness_sla_minutes),
  ];
}

// Closes the gap in positions in the same batch, so execution order stays dense from 1.
export async function deleteConnection(db: D1Database, id: string): Promise<boolean> {
  const results = await db.batch(deleteConnectionStatements(db, id));
  return (results.at(-1)?.meta.changes ?? 0) > 0;
}

// The connection's row is the last statement.
export function deleteConnectionStatements(db: D1Database, id: string): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `UPDATE connections SET position = position - 1
          WHERE credential_id = (SELECT credential_id FROM connections WHERE id = ?1)
            AND position > (SELECT position FROM connections WHERE id = ?1)`,
      )
      .bind(id),
    db.prepare("DELETE FROM dataset_records WHERE connection_id = ?1").bind(id),
    db.prepare("DELETE FROM connection_retry_serials WHERE connection_id = ?1").bind(id),
    // The latest outcome per serial is kept for the fleet, not by age: it goes with its connection.
    db.prepare("DELETE FROM latest_outcomes WHERE connection_id = ?1").bind(id),
    db.prepare("DELETE FROM connection_versions WHERE connection_id = ?1").bind(id),
    // Rules and webhook channels scoped to it forget it, so editing one never sends back an id that is no more; a
    // scope left empty hears of no connection (the dashboard and the configuration document say so).
    db
      .prepare(
        `UPDATE alert_rules SET connection_ids_json = (SELECT json_group_array(value) FROM json_each(connection_ids_json) WHERE value <> ?1)
          WHERE connection_ids_json IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(connection_ids_json) WHERE value = ?1)`,
      )
      .bind(id),
    db
      .prepare(
        `UPDATE alert_channels
            SET config_json = json_set(config_json, '$.connection_ids',
                  json((SELECT json_group_array(value) FROM json_each(config_json, '$.connection_ids') WHERE value <> ?1)))
          WHERE kind = 'webhook' AND EXISTS (SELECT 1 FROM json_each(config_json, '$.connection_ids') WHERE value = ?1)`,
      )
      .bind(id),
    db.prepare("DELETE FROM connections WHERE id = ?1").bind(id),
  ];
}

export async function listConnectionVersions(db: D1Database, id: string, options: { before: number | null; limit: number }): Promise<ConnectionVersion[]> {
  const { results } = await db
    .prepare(
      `SELECT version, snapshot_json, changed_by, changed_at, change_note FROM connection_versions
        WHERE connection_id = ?1${options.before === null ? "" : " AND version < ?3"}
        ORDER BY version DESC LIMIT ?2`,
    )
    .bind(id, options.limit, ...(options.before === null ? [] : [options.before]))
    .all<{ version: number; snapshot_json: string; changed_by: string; changed_at: number; change_note: string | null }>();
  return results.map((row) => ({
    version: row.version,
    changed_by: row.changed_by,
    changed_at: iso(row.changed_at),
    change_note: row.change_note,
    snapshot: snapshotWithDefaults(JSON.parse(row.snapshot_json) as ConnectionSnapshot),
  }));
}

export async function credentialConnectionIds(db: D1Database, credentialId: string): Promise<string[]> {
  const { results } = await db.prepare("SELECT id FROM connections WHERE credential_id = ?1 ORDER BY position, id").bind(credentialId).all<{ id: string }>();
  return results.map((row) => row.id);
}

/** Positions 1..n in the given order, in one batch. The caller checks the ids are exactly the credential's. */
export async function writeConnectionOrder(db: D1Database, credentialId: string, orderedIds: string[]): Promise<void> {
  if (orderedIds.length === 0) return;
  await db.batch(connectionOrderStatements(db, credentialId, orderedIds));
}

export function connectionOrderStatements(db: D1Database, credentialId: string, orderedIds: string[]): D1PreparedStatement[] {
  return orderedIds.map((id, index) =>
    db.prepare("UPDATE connections SET position = ?3 WHERE id = ?1 AND credential_id = ?2").bind(id, credentialId, index + 1),
  );
}

function toSummary(row: SummaryRow, now: number): ConnectionSummary {
  return {
    id: row.id,
    name: row.name,
    credential_id: row.credential_id,
    credential_name: row.credential_name,
    position: row.position,
    enabled: row.enabled === 1,
    dry_run: row.dry_run === 1,
    debug: row.debug === 1,
    schedule: row.schedule,
    version: row.version,
    updated_at: iso(row.updated_at),
    freshness_sla_minutes: row.freshness_sla_minutes,
    freshness: freshnessView(row, now),
    paused: row.paused_at === null ? null : { at: iso(row.paused_at), reason: row.paused_reason ?? "" },
    alerts_muted_until: row.alerts_muted_until === null ? null : iso(row.alerts_muted_until),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function snapshotWithDefaults(snapshot: ConnectionSnapshot): ConnectionSnapshot {
  // Versions written before the freshness SLA existed had none.
  return { ...snapshot, config: withLimitDefaults(snapshot.config), freshness_sla_minutes: snapshot.freshness_sla_minutes ?? null };
}
