import { errorMessage } from "../../shared/lang";
import { log } from "../observability/log";
export const LEDGER_PROBLEMS = {
  ledger_unreachable: "ledger unreachable",
  no_migrations: "no migrations applied",
} as const;
export type LedgerProblem = keyof typeof LEDGER_PROBLEMS;

export interface LedgerHealth {
  ok: boolean;
  latencyMs: number;
  problem?: LedgerProblem;
  migrations: string[];
}

/**
 * Reads the migrations wrangler (or the test setup) recorded; a missing table means none ran. Health is
 * public, so a failure is only named by its code: D1's own text (paths, references) goes to the log.
 */
export async function checkLedger(db: D1Database): Promise<LedgerHealth> {
  const started = Date.now();
  try {
    const { results } = await db.prepare("SELECT name FROM d1_migrations ORDER BY id").all<{ name: string }>();
    return { ok: true, latencyMs: Date.now() - started, migrations: results.map((r) => r.name) };
  } catch (err) {
    const message = errorMessage(err);
    const noMigrations = message.includes("no such table");
    if (!noMigrations) log.error("health: D1 check failed", { error: err });
    return { ok: noMigrations, latencyMs: Date.now() - started, migrations: [], problem: noMigrations ? "no_migrations" : "ledger_unreachable" };
  }
}
