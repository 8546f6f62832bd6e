export async function readSetting<T>(db: D1Database, key: string): Promise<T | null> {
  const row = await db.prepare("SELECT value_json FROM settings WHERE key = ?").bind(key).first<{ value_json: string }>();
  return row ? (JSON.parse(row.value_json) as T) : null;
}

export async function readSettings(db: D1Database, keys: string[]): Promise<Map<string, unknown>> {
  const placeholders = keys.map(() => "?").join(", ");
  const { results } = await db
    .prepare(`SELECT key, value_json FROM settings WHERE key IN (${placeholders})`)
    .bind(...keys)
    .all<{ key: string; value_json: string }>();
  return new Map(results.map((r) => [r.key, JSON.parse(r.value_json) as unknown]));
}

export function writeSettingStatement(db: D1Database, key: string, value: unknown, now: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO settings (key, value_json, updated_at) VALUES (?1, ?2, ?3)
       ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at`,
    )
    .bind(key, JSON.stringify(value), now);
}
