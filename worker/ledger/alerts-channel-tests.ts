import type { ChannelTestTrigger } from "../alerts/vocabulary";
import type { AlertChannelRow } from "./alerts-channels";
import type { SqlQuery } from "./sql-query";

// Scheduled channel tests: which channels are due, claiming them (moving test_next_at on), and what a test
// got back. Manual tests record their outcome here too.

export type DueChannelTest = Pick<
  AlertChannelRow,
  "id" | "name" | "kind" | "config_json" | "secret_ciphertext" | "previous_secret_ciphertext" | "previous_secret_expires_at" | "enabled"
> & { test_schedule: string; test_next_at: number };

// Along alert_channels_test_due, oldest due first; disabled channels come too, so their schedule moves on.
export function buildDueChannelTestsQuery(now: number, limit: number): SqlQuery {
  return {
    sql: `SELECT id, name, kind, config_json, secret_ciphertext, previous_secret_ciphertext, previous_secret_expires_at, enabled,
                 test_schedule, test_next_at
            FROM alert_channels INDEXED BY alert_channels_test_due
           WHERE test_next_at <= ?1 AND test_schedule IS NOT NULL
           ORDER BY test_next_at LIMIT ?2`,
    params: [now, limit],
  };
}

export async function dueChannelTests(db: D1Database, now: number, limit: number): Promise<DueChannelTest[]> {
  const { sql, params } = buildDueChannelTestsQuery(now, limit);
  const { results } = await db
    .prepare(sql)
    .bind(...params)
    .all<DueChannelTest>();
  return results;
}

export interface ChannelTestClaim {
  id: string;
  // The test_next_at this tick read; a claim succeeds only while it is still there.
  dueAt: number;
  nextAt: number | null;
}

// One batch; each claim is guarded by the due time it read, so of two ticks reading the same channel only
// one moves it on (and sends). Returns the ids this caller claimed.
export async function claimChannelTests(db: D1Database, claims: readonly ChannelTestClaim[]): Promise<Set<string>> {
  if (claims.length === 0) return new Set();
  const results = await db.batch<{ id: string }>(
    claims.map((claim) =>
      db.prepare("UPDATE alert_channels SET test_next_at = ?3 WHERE id = ?1 AND test_next_at = ?2 RETURNING id").bind(claim.id, claim.dueAt, claim.nextAt),
    ),
  );
  return new Set(results.flatMap((result) => result.results.map((row) => row.id)));
}

export interface ChannelTestOutcome {
  channelId: string;
  at: number;
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  trigger: ChannelTestTrigger;
}

export async function recordChannelTests(db: D1Database, outcomes: readonly ChannelTestOutcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  await db.batch(
    outcomes.map((o) =>
      db
        .prepare(
          `UPDATE alert_channels
              SET last_test_at = ?2, last_test_ok = ?3, last_test_status_code = ?4, last_test_error = ?5, last_test_trigger = ?6
            WHERE id = ?1`,
        )
        .bind(o.channelId, o.at, o.ok ? 1 : 0, o.statusCode, o.error, o.trigger),
    ),
  );
}
