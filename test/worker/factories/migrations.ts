import { env } from "cloudflare:test";

// A migration run again on the test ledger, as wrangler applies one (one transaction). What it creates beside
// the table it rebuilds exists already, so it is created only if missing.
export async function replayMigration(sql: string): Promise<void> {
  const statements = sql
    .replace(/--.*$/gm, "")
    .split(";")
    .map((statement) => statement.trim().replace(/^CREATE (TABLE|INDEX) /, "CREATE $1 IF NOT EXISTS "))
    .filter((statement) => statement !== "");
  await env.LEDGER.batch(statements.map((statement) => env.LEDGER.prepare(statement)));
}
