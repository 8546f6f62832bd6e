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

const CHANGED_FILTER = `(d.updated_at > ?2 OR EXISTS (SELECT 1 FROM connection_retry_serials r
                                                     WHERE r.connection_id = d.connection_id AND r.serial = d.serial))`;

export async function countDatasetScope(db: D1Database, connectionId: string, scope: DatasetScope): Promise<number> {
  const row =
    scope.kind === "all"
      ? await db.prepare("SELECT COUNT(*) AS n FROM dataset_records WHERE connection_id = ?1").bind(connectionId).first<{ n: number }>()
      : await db
          .prepare(`SELECT COUNT(*) AS n FROM dataset_records d WHERE d.connection_id = ?1 AND ${CHANGED_FILTER}`)
          .bind(connectionId, scope.sinceMs)
          .first<{ n: number }>();
  return row?.n ?? 0;
}

// Keyset paging by serial along the primary key, so every batch is one index range.
export async function readDatasetBatch(db: D1Database, connectionId: string, scope: DatasetScope, afterSerial: string, limit: number): Promise<DatasetRow[]> {
  const { results } =
    scope.kind === "all"
      ? await db
          .prepare(
            `SELECT serial, record_json, updated_at FROM dataset_records
            WHERE connection_id = ?1 AND serial > ?2 ORDER BY serial LIMIT ?3`,
          )
          .bind(connectionId, afterSerial, limit)
          .all<DatasetRow>()
      : await db
          .prepare(
            `SELECT d.serial, d.record_json, d.updated_at FROM dataset_records d
            WHERE d.connection_id = ?1 AND d.serial > ?3 AND ${CHANGED_FILTER} ORDER BY d.serial LIMIT ?4`,
          )
          .bind(connectionId, scope.sinceMs, afterSerial, limit)
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
