import { env } from "cloudflare:test";
import { vi } from "vitest";
import { forgetTelemetryConfig } from "../../worker/observability/otlp-exporter";
import { createOutboundFetch } from "../../worker/sandbox/outbound-fetch";
import { forgetFileTokens } from "./factories/auth";

// Worker test files share one workerd (isolate: false in vitest.config.ts), so each file starts from what a fresh
// workerd had: an empty ledger and empty buckets. Ids are random, so Durable Objects keyed by them never collide.
const ledgerTables = await env.LEDGER.prepare(
  "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> 'd1_migrations'",
).all<{ name: string; sql: string }>();
const virtualTables = ledgerTables.results.filter((t) => /^CREATE VIRTUAL TABLE/i.test(t.sql)).map((t) => t.name);
// Full-text shadow tables follow their content table through its triggers; they are never emptied by hand.
const plainTables = ledgerTables.results
  .filter((t) => !virtualTables.includes(t.name) && !virtualTables.some((v) => t.name.startsWith(`${v}_`)))
  .map((t) => t.name);

// Delete triggers may write to another table (the hourly job rollup), so empty until nothing is left.
for (let pass = 1; ; pass++) {
  const counts = await env.LEDGER.batch<{ n: number }>(plainTables.map((t) => env.LEDGER.prepare(`SELECT COUNT(*) AS n FROM "${t}"`)));
  const filled = plainTables.filter((_, i) => counts[i]!.results[0]!.n > 0);
  if (filled.length === 0) break;
  if (pass > 5) throw new Error(`the ledger would not empty before this file: ${filled.join(", ")}`);
  await env.LEDGER.batch([env.LEDGER.prepare("PRAGMA defer_foreign_keys = on"), ...filled.map((t) => env.LEDGER.prepare(`DELETE FROM "${t}"`))]);
}

for (const bucket of [env.ARCHIVE, env.LOG_EXPORT]) {
  for (let listed = await bucket.list(); listed.objects.length > 0; listed = await bucket.list()) {
    await bucket.delete(listed.objects.map((o) => o.key));
  }
}

// The sandbox destination is a Durable Object that outlives a file: its fleet, counters and knobs (a throttle a
// file left on answered the next file's first request with 429) go back to their defaults.
// Its body is read whole: an unread body keeps the request open, and the object could then never be evicted.
const reset = await createOutboundFetch(env)("http://localhost/sandbox/_reset", { method: "POST" });
const answer = await reset.text();
if (!reset.ok) throw new Error(`the sandbox would not reset before this file: ${reset.status} ${answer}`);

// The files share one module registry: module state that mirrors ledger rows goes with them, and a spy or
// stubbed global a file left behind is undone.
forgetFileTokens();
forgetTelemetryConfig();
vi.restoreAllMocks();
vi.unstubAllGlobals();
