import type { ConnectionSummary } from "../api/types";

interface ConnectionRow {
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
}

/** Connections in execution order: by credential name, then position. */
export async function listConnectionSummaries(db: D1Database): Promise<ConnectionSummary[]> {
  const { results } = await db
    .prepare(
      `SELECT c.id, c.name, c.credential_id, cr.name AS credential_name, c.position, c.enabled, c.dry_run,
              c.debug, c.schedule, c.version, c.updated_at
         FROM connections c JOIN credentials cr ON cr.id = c.credential_id
        ORDER BY cr.name, c.position`,
    )
    .all<ConnectionRow>();
  return results.map((row) => ({
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
    updated_at: new Date(row.updated_at).toISOString(),
  }));
}
