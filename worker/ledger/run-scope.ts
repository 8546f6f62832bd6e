import type { SqlQuery } from "./sql-query";

// What a run covers: its credential's connections, and the dataset records and retry serials a job reads.

export interface RunConnectionRow {
  id: string;
  credential_id: string;
  name: string;
  position: number;
  enabled: number;
  dry_run: number;
  debug: number;
  config_json: string;
  version: number;
  sync_cursor: string | null;
}

export interface RunCredentialRow {
  id: string;
  name: string;
  scheme: string;
  config_json: string;
  secret_ciphertext: string | null;
}

const CONNECTION_COLUMNS = "id, credential_id, name, position, enabled, dry_run, debug, config_json, version, sync_cursor";

export async function readRunCredential(db: D1Database, credentialId: string): Promise<RunCredentialRow | null> {
  return db.prepare("SELECT id, name, scheme, config_json, secret_ciphertext FROM credentials WHERE id = ?1").bind(credentialId).first<RunCredentialRow>();
}

export async function listCredentialConnections(db: D1Database, credentialId: string): Promise<RunConnectionRow[]> {
  const { results } = await db
    .prepare(`SELECT ${CONNECTION_COLUMNS} FROM connections WHERE credential_id = ?1 ORDER BY position, id`)
    .bind(credentialId)
    .all<RunConnectionRow>();
  return results;
}

export async function readRunConnection(db: D1Database, connectionId: string): Promise<RunConnectionRow | null> {
  return db.prepare(`SELECT ${CONNECTION_COLUMNS} FROM connections WHERE id = ?1`).bind(connectionId).first<RunConnectionRow>();
}

export async function readConnectionsByIds(db: D1Database, ids: readonly string[]): Promise<RunConnectionRow[]> {
  if (ids.length === 0) return [];
  const { results } = await db
    .prepare(`SELECT ${CONNECTION_COLUMNS} FROM connections WHERE id IN (SELECT value FROM json_each(?1))`)
    .bind(JSON.stringify(ids))
    .all<RunConnectionRow>();
  return results;
}

// Clears the incremental cursor and the retry list: the next full run reconciles everything.
export async function resetConnectionCursor(db: D1Database, connectionId: string): Promise<void> {
  await db.batch([
    db.prepare("UPDATE connections SET sync_cursor = NULL WHERE id = ?1").bind(connectionId),
    db.prepare("DELETE FROM connection_retry_serials WHERE connection_id = ?1").bind(connectionId),
  ]);
}

// "changed": records updated after the cursor plus the serials that failed last time.
export type DatasetScope = { kind: "all" } | { kind: "changed"; sinceMs: number };

export interface DatasetRow {
  serial: string;
  record_json: string;
  updated_at: number;
}

// A "changed" scope is two index walks, never one walk of every record with an OR: records changed since
// the cursor along dataset_records_changed, plus the retry serials not among them. CROSS JOIN keeps the
// retry list outside, so the planner cannot walk every unchanged record to find the few retried ones.
const RETRIED_UNCHANGED = `connection_retry_serials r CROSS JOIN dataset_records o ON o.connection_id = r.connection_id AND o.serial = r.serial`;

export function buildDatasetScopeCountQuery(connectionId: string, scope: DatasetScope): SqlQuery {
  if (scope.kind === "all") return { sql: "SELECT COUNT(*) AS n FROM dataset_records WHERE connection_id = ?1", params: [connectionId] };
  return {
    sql: `SELECT (SELECT COUNT(*) FROM dataset_records INDEXED BY dataset_records_changed WHERE connection_id = ?1 AND updated_at > ?2)
               + (SELECT COUNT(*) FROM ${RETRIED_UNCHANGED} WHERE r.connection_id = ?1 AND o.updated_at <= ?2) AS n`,
    params: [connectionId, scope.sinceMs],
  };
}

/**
 * Keyset paging by serial. "all" is one range of the primary key; "changed" takes the next `limit` serials
 * of each walk and reads those records by key. The changed walk sorts the records changed since the
 * cursor (index entries only), so a batch costs what changed, not the whole dataset.
 */
export function buildDatasetBatchQuery(connectionId: string, scope: DatasetScope, afterSerial: string, limit: number): SqlQuery {
  if (scope.kind === "all") {
    return {
      sql: `SELECT serial, record_json, updated_at FROM dataset_records
             WHERE connection_id = ?1 AND serial > ?2 ORDER BY serial LIMIT ?3`,
      params: [connectionId, afterSerial, limit],
    };
  }
  return {
    sql: `SELECT d.serial, d.record_json, d.updated_at FROM dataset_records d
           WHERE d.connection_id = ?1 AND d.serial IN (
             SELECT serial FROM (SELECT serial FROM dataset_records INDEXED BY dataset_records_changed
                                  WHERE connection_id = ?1 AND updated_at > ?2 AND serial > ?3 ORDER BY serial LIMIT ?4)
             UNION ALL
             SELECT serial FROM (SELECT r.serial FROM ${RETRIED_UNCHANGED}
                                  WHERE r.connection_id = ?1 AND r.serial > ?3 AND o.updated_at <= ?2 ORDER BY r.serial LIMIT ?4))
           ORDER BY d.serial LIMIT ?4`,
    params: [connectionId, scope.sinceMs, afterSerial, limit],
  };
}

export async function countDatasetScope(db: D1Database, connectionId: string, scope: DatasetScope): Promise<number> {
  const { sql, params } = buildDatasetScopeCountQuery(connectionId, scope);
  const row = await db
    .prepare(sql)
    .bind(...params)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

export async function readDatasetBatch(db: D1Database, connectionId: string, scope: DatasetScope, afterSerial: string, limit: number): Promise<DatasetRow[]> {
  const { sql, params } = buildDatasetBatchQuery(connectionId, scope, afterSerial, limit);
  const { results } = await db
    .prepare(sql)
    .bind(...params)
    .all<DatasetRow>();
  return results;
}

export async function readDatasetRecord(db: D1Database, connectionId: string, serial: string): Promise<DatasetRow | null> {
  return db
    .prepare("SELECT serial, record_json, updated_at FROM dataset_records WHERE connection_id = ?1 AND serial = ?2")
    .bind(connectionId, serial)
    .first<DatasetRow>();
}

export async function countRetrySerials(db: D1Database, connectionId: string): Promise<number> {
  const row = await db.prepare("SELECT COUNT(*) AS n FROM connection_retry_serials WHERE connection_id = ?1").bind(connectionId).first<{ n: number }>();
  return row?.n ?? 0;
}

export async function retrySerialsAmong(db: D1Database, connectionId: string, serials: readonly string[]): Promise<Set<string>> {
  if (serials.length === 0) return new Set();
  const { results } = await db
    .prepare(
      `SELECT serial FROM connection_retry_serials
        WHERE connection_id = ?1 AND serial IN (SELECT value FROM json_each(?2))`,
    )
    .bind(connectionId, JSON.stringify(serials))
    .all<{ serial: string }>();
  return new Set(results.map((r) => r.serial));
}
