export interface LedgerHealth {
  ok: boolean;
  latencyMs: number;
  error?: string;
  migrations: string[];
}

/** Reads the migrations wrangler (or the test setup) recorded; a missing table means none ran. */
export async function checkLedger(db: D1Database): Promise<LedgerHealth> {
  const started = Date.now();
  try {
    const { results } = await db.prepare("SELECT name FROM d1_migrations ORDER BY id").all<{ name: string }>();
    return { ok: true, latencyMs: Date.now() - started, migrations: results.map((r) => r.name) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const noMigrations = message.includes("no such table");
    return { ok: noMigrations, latencyMs: Date.now() - started, migrations: [], error: noMigrations ? "no migrations applied" : message };
  }
}
