import { FRESHNESS_COLUMNS, type FreshnessColumns } from "./connection-freshness";
import { readSetting, writeSettingStatement } from "./settings";

/** A connection as the freshness pass judges it and names it in an alert. */
export interface FreshnessRow extends FreshnessColumns {
  id: string;
  name: string;
  credential_name: string;
}

const SELECT_FRESHNESS = `SELECT c.id, c.name, cr.name AS credential_name, c.enabled, c.schedule, ${FRESHNESS_COLUMNS}
  FROM connections c JOIN credentials cr ON cr.id = c.credential_id`;

// Where the pass resumes next minute: the id the last slice ended at (null: from the start).
const CURSOR_KEY = "freshness.cursor";

/** The next `limit` enabled scheduled connections after `afterId`, by id. */
export async function scheduledFreshnessPage(db: D1Database, afterId: string | null, limit: number): Promise<FreshnessRow[]> {
  const { results } = await db
    .prepare(`${SELECT_FRESHNESS} WHERE c.schedule IS NOT NULL AND c.enabled = 1 AND c.id > ?1 ORDER BY c.id LIMIT ?2`)
    .bind(afterId ?? "", limit)
    .all<FreshnessRow>();
  return results;
}

/** These connections, whatever their schedule; a deleted one is simply absent. */
export async function freshnessRowsOf(db: D1Database, ids: readonly string[]): Promise<FreshnessRow[]> {
  const rows: FreshnessRow[] = [];
  // D1 binds at most 100 parameters per statement.
  for (let i = 0; i < ids.length; i += 100) {
    const chunk = ids.slice(i, i + 100);
    const { results } = await db
      .prepare(`${SELECT_FRESHNESS} WHERE c.id IN (${chunk.map((_, j) => `?${j + 1}`).join(", ")})`)
      .bind(...chunk)
      .all<FreshnessRow>();
    rows.push(...results);
  }
  return rows;
}

export async function readFreshnessCursor(db: D1Database): Promise<string | null> {
  return readSetting<string>(db, CURSOR_KEY);
}

export async function writeFreshnessCursor(db: D1Database, afterId: string | null, now: number): Promise<void> {
  await writeSettingStatement(db, CURSOR_KEY, afterId, now).run();
}
