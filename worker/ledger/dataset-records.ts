import type { DatasetRecord, DatasetUploadResult, UploadMode } from "../schemas/dataset-records";
import type { SqlQuery } from "./sql-query";

export interface DatasetRow {
  serial: string;
  // The record as JSON text, exactly as it will be stored.
  json: string;
}

// D1 caps one bound value at 2 MB; rows travel as one JSON array per statement, well under that, so a
// 20 MB upload is a few dozen statements rather than thousands of 4-parameter rows.
const CHUNK_BYTES = 900_000;

function chunkJson<T>(items: T[], size: (item: T) => number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 2;
  for (const item of items) {
    const itemBytes = size(item) + 1;
    if (current.length > 0 && bytes + itemBytes > CHUNK_BYTES) {
      chunks.push(current);
      current = [];
      bytes = 2;
    }
    current.push(item);
    bytes += itemBytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

const utf8 = new TextEncoder();
const byteLength = (text: string) => utf8.encode(text).byteLength;

/**
 * Writes an upload in one batch, so it lands whole or not at all. Unchanged records keep their
 * updated_at, so an incremental run does not see them as changed.
 */
export async function writeDatasetRecords(
  db: D1Database,
  connectionId: string,
  rows: DatasetRow[],
  mode: UploadMode,
  now: number,
): Promise<DatasetUploadResult> {
  const count = () => db.prepare("SELECT COUNT(*) AS n FROM dataset_records WHERE connection_id = ?1").bind(connectionId);
  const statements: D1PreparedStatement[] = [count()];

  let deleteIndex = -1;
  if (mode === "replace") {
    const serialChunks = chunkJson(
      rows.map((row) => row.serial),
      (serial) => byteLength(JSON.stringify(serial)),
    );
    const keep = serialChunks.map((_, i) => ` AND serial NOT IN (SELECT value FROM json_each(?${i + 2}))`).join("");
    deleteIndex = statements.length;
    statements.push(
      db.prepare(`DELETE FROM dataset_records WHERE connection_id = ?1${keep}`).bind(connectionId, ...serialChunks.map((chunk) => JSON.stringify(chunk))),
    );
  }

  const firstUpsert = statements.length;
  const pairs = rows.map((row) => JSON.stringify([row.serial, row.json]));
  for (const chunk of chunkJson(pairs, byteLength)) {
    statements.push(
      db
        .prepare(
          `INSERT INTO dataset_records (connection_id, serial, record_json, updated_at)
           SELECT ?1, json_extract(value, '$[0]'), json_extract(value, '$[1]'), ?2 FROM json_each(?3) WHERE true
           ON CONFLICT (connection_id, serial) DO UPDATE
              SET record_json = excluded.record_json, updated_at = excluded.updated_at
            WHERE dataset_records.record_json IS NOT excluded.record_json`,
        )
        .bind(connectionId, now, `[${chunk.join(",")}]`),
    );
  }
  const lastUpsert = statements.length;
  if (mode === "replace") {
    // A serial the dataset no longer holds has left this connection's fleet: its latest outcome goes with it, so the
    // connection's Serials do not count it as failing (or anything else) for ever. Merge uploads remove nothing.
    statements.push(
      db
        .prepare(
          `DELETE FROM latest_outcomes WHERE connection_id = ?1
              AND NOT EXISTS (SELECT 1 FROM dataset_records d WHERE d.connection_id = ?1 AND d.serial = latest_outcomes.serial)`,
        )
        .bind(connectionId),
    );
  }
  statements.push(count());

  const results = await db.batch<{ n: number }>(statements);
  const before = results[0]?.results[0]?.n ?? 0;
  const total = results.at(-1)?.results[0]?.n ?? 0;
  const deleted = deleteIndex >= 0 ? (results[deleteIndex]?.meta.changes ?? 0) : 0;
  let written = 0;
  for (let i = firstUpsert; i < lastUpsert; i++) written += results[i]?.meta.changes ?? 0;
  const inserted = total - (before - deleted);
  return {
    mode,
    received: rows.length,
    inserted,
    updated: written - inserted,
    unchanged: rows.length - written,
    deleted,
    total,
  };
}

export interface DatasetRecordPage {
  afterSerial: string | null;
  limit: number;
}

// The cursor is a condition only when given: `(? IS NULL OR serial > ?)` would hide the range from the planner.
export function buildDatasetRecordListQuery(connectionId: string, page: DatasetRecordPage): SqlQuery {
  const after = page.afterSerial === null ? "" : " AND serial > ?3";
  return {
    sql: `SELECT serial, record_json, updated_at FROM dataset_records WHERE connection_id = ?1${after} ORDER BY serial LIMIT ?2`,
    params: page.afterSerial === null ? [connectionId, page.limit] : [connectionId, page.limit, page.afterSerial],
  };
}

export async function listDatasetRecords(db: D1Database, connectionId: string, page: DatasetRecordPage): Promise<DatasetRecord[]> {
  const { sql, params } = buildDatasetRecordListQuery(connectionId, page);
  const { results } = await db
    .prepare(sql)
    .bind(...params)
    .all<{ serial: string; record_json: string; updated_at: number }>();
  return results.map((row) => ({
    serial: row.serial,
    record: JSON.parse(row.record_json) as Record<string, unknown>,
    updated_at: new Date(row.updated_at).toISOString(),
  }));
}
