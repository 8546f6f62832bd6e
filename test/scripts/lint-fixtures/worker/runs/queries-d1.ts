export async function latestRun(db: D1Database) {
  return db.prepare("SELECT id FROM runs ORDER BY created_at DESC LIMIT 1").first();
}
