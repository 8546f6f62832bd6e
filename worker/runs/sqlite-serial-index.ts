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
  // These serials' records read in one query, answered from memory: a slice looks its records up one at a
  // time, and one query per slice costs a fraction of one per serial. Other serials are read as before.
  preload(serials: readonly string[]): SerialIndex;
  /**
   * Drops up to `limit` rows of the table, whichever job's listing they belong to, and returns how many: only the
   * job at work needs a listing, and a fleet's worth of rows in one DELETE would hold the object for as long as it
   * takes. Fewer than `limit` means the table is empty.
   */
  dropBatch(limit: number): number;
}

export function createSqliteSerialIndex(sql: SqlStorage, jobId: string): SqliteSerialIndex {
  sql.exec(SERIAL_INDEX_SCHEMA);
  const index: SqliteSerialIndex = {
    async put(entries) {
      // One statement for the whole page: a JSON array of [serial, record] pairs, each record kept as its JSON
      // text (`->`), so no record is stringified on its own and escaped again inside the array.
      if (entries.length === 0) return;
      sql.exec(
        `INSERT OR REPLACE INTO serial_index (job_id, serial, record_json)
         SELECT ?1, value ->> 0, value -> 1 FROM json_each(?2)`,
        jobId,
        JSON.stringify(entries),
      );
    },
    getMany(serials) {
      const texts = readMany(sql, jobId, serials);
      return Promise.resolve(parsed((serial) => texts.get(serial), serials));
    },
    count() {
      return sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM serial_index WHERE job_id = ?1", jobId).one().n;
    },
    dropBatch(limit) {
      return sql.exec("DELETE FROM serial_index WHERE (job_id, serial) IN (SELECT job_id, serial FROM serial_index LIMIT ?1)", limit).rowsWritten;
    },
    preload(serials) {
      // Read and parsed as one JSON text. Each preloaded record is handed out once (a slice looks each serial up
      // once); a serial asked for again, or written meanwhile, is read from the table.
      const loaded = new Set(serials);
      const records = readParsed(sql, jobId, [...loaded]);
      return {
        async put(entries) {
          for (const [serial] of entries) loaded.delete(serial);
          await index.put(entries);
        },
        getMany(wanted) {
          // Serials not preloaded (or already handed out) come from the table in one query; the answer keeps the order asked.
          const texts = readMany(
            sql,
            jobId,
            wanted.filter((serial) => !loaded.has(serial)),
          );
          const found = new Map<string, unknown>();
          for (const serial of wanted) {
            if (loaded.delete(serial)) {
              if (records.has(serial)) found.set(serial, records.get(serial));
              records.delete(serial);
              continue;
            }
            const text = texts.get(serial);
            if (text !== undefined && !found.has(serial)) found.set(serial, JSON.parse(text) as unknown);
          }
          return Promise.resolve(found);
        },
      };
    },
  };
  return index;
}

// The stored JSON text of these serials' records (one query); a serial the listing did not hold is absent.
function readMany(sql: SqlStorage, jobId: string, serials: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  if (serials.length === 0) return found;
  const rows = sql.exec<{ serial: string; record_json: string }>(
    "SELECT serial, record_json FROM serial_index WHERE job_id = ?1 AND serial IN (SELECT value FROM json_each(?2))",
    jobId,
    JSON.stringify(serials),
  );
  for (const row of rows) found.set(row.serial, row.record_json);
  return found;
}

// These serials' records, parsed from one JSON text SQLite builds: one row and one parse for a whole slice.
function readParsed(sql: SqlStorage, jobId: string, serials: readonly string[]): Map<string, unknown> {
  if (serials.length === 0) return new Map();
  const { pairs } = sql
    .exec<{ pairs: string }>(
      `SELECT json_group_array(json_array(serial, json(record_json))) AS pairs
         FROM serial_index WHERE job_id = ?1 AND serial IN (SELECT value FROM json_each(?2))`,
      jobId,
      JSON.stringify(serials),
    )
    .one();
  return new Map(JSON.parse(pairs) as Array<[string, unknown]>);
}

// Parsed on each lookup, as a read from the table would be: no two lookups share a record object.
function parsed(textOf: (serial: string) => string | undefined, serials: readonly string[]): Map<string, unknown> {
  const found = new Map<string, unknown>();
  for (const serial of serials) {
    const text = textOf(serial);
    if (text !== undefined) found.set(serial, JSON.parse(text) as unknown);
  }
  return found;
}
