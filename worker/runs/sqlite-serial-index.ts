import type { SerialIndex } from "../engine/serial-index";

// A list-mode lookup's destination listing, kept in the coordinator's own SQLite so a fleet of any size
// never sits in memory and survives eviction between slices.
export const SERIAL_INDEX_SCHEMA = `CREATE TABLE IF NOT EXISTS serial_index (
  job_id      TEXT NOT NULL,
  serial      TEXT NOT NULL,
  record_json TEXT NOT NULL,
  PRIMARY KEY (job_id, serial)
) WITHOUT ROWID`;

export interface SqliteSerialIndex extends SerialIndex {
  count(): number;
  /**
   * Drops up to `limit` rows of the table, whichever job's listing they belong to, and returns how many: only the
   * job at work needs a listing, and a fleet's worth of rows in one DELETE would hold the object for as long as it
   * takes. Fewer than `limit` means the table is empty.
   */
  dropBatch(limit: number): number;
}

export function createSqliteSerialIndex(sql: SqlStorage, jobId: string): SqliteSerialIndex {
  sql.exec(SERIAL_INDEX_SCHEMA);
  return {
    async put(entries) {
      // One statement for the whole page: a JSON array of [serial, record] pairs.
      if (entries.length === 0) return;
      sql.exec(
        `INSERT OR REPLACE INTO serial_index (job_id, serial, record_json)
         SELECT ?1, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?2)`,
        jobId,
        JSON.stringify(entries.map(([serial, record]) => [serial, JSON.stringify(record)])),
      );
    },
    async getMany(serials) {
      const found = new Map<string, unknown>();
      if (serials.length === 0) return found;
      const rows = sql.exec<{ serial: string; record_json: string }>(
        "SELECT serial, record_json FROM serial_index WHERE job_id = ?1 AND serial IN (SELECT value FROM json_each(?2))",
        jobId,
        JSON.stringify(serials),
      );
      for (const row of rows) found.set(row.serial, JSON.parse(row.record_json) as unknown);
      return found;
    },
    count() {
      return sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM serial_index WHERE job_id = ?1", jobId).one().n;
    },
    dropBatch(limit) {
      return sql.exec("DELETE FROM serial_index WHERE (job_id, serial) IN (SELECT job_id, serial FROM serial_index LIMIT ?1)", limit).rowsWritten;
    },
  };
}
